"""What every format loader returns, and the loader signature the suffix -> loader mapping holds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xacct_lint.model.config import Config
from xacct_lint.model.inventory import AssumeRoleCall, Identity, LoadProblem, Policy, Role
from xacct_lint.parse.source import SourceFile


@dataclass(frozen=True)
class FileLoad:
    """Everything one input file contributed to the model (all empty for a file that is not IAM input)."""

    policies: tuple[Policy, ...] = ()
    roles: tuple[Role, ...] = ()
    identities: tuple[Identity, ...] = ()
    problems: tuple[LoadProblem, ...] = ()
    assume_role_calls: tuple[AssumeRoleCall, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Return True when the file held nothing the linter cares about."""
        return not (self.policies or self.roles or self.identities or self.problems or self.assume_role_calls)


# A loader reads one decoded file. It never raises for bad input: problems go into the result.
Loader = Callable[[SourceFile], FileLoad]


@dataclass(frozen=True)
class LoadContext:
    """What a loader may need beyond the file's text: where it is, the configuration, the user's variables.

    ``variables`` are the values the user gave for script and template variables (``[variables]`` in the
    configuration, overridden by ``--var NAME=VALUE``). ``memo`` is shared by every file of one run, so a
    loader can parse something once for several files (a Terraform module is a directory, not a file); keys
    are namespaced by the loader's module.
    """

    path: Path | None
    config: Config
    variables: Mapping[str, str] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ContextLoader:
    """A loader in the suffix -> loader mapping that also takes the run's :class:`LoadContext`."""

    load: Callable[[SourceFile, LoadContext], FileLoad]
