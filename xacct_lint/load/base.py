"""What every format loader returns, and the loader signature the suffix -> loader mapping holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xacct_lint.model.inventory import Identity, LoadProblem, Policy, Role
from xacct_lint.parse.source import SourceFile


@dataclass(frozen=True)
class FileLoad:
    """Everything one input file contributed to the model (all empty for a file that is not IAM input)."""

    policies: tuple[Policy, ...] = ()
    roles: tuple[Role, ...] = ()
    identities: tuple[Identity, ...] = ()
    problems: tuple[LoadProblem, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Return True when the file held nothing the linter cares about."""
        return not (self.policies or self.roles or self.identities or self.problems)


# A loader reads one decoded file. It never raises for bad input: problems go into the result.
Loader = Callable[[SourceFile], FileLoad]
