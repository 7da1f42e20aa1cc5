"""``xacct-lint generate``: trust and permission policies that are correct by construction.

From the configuration ``xacct-lint check`` reads -- accounts and their requirements, session-tag allowlists,
``[[roles]]`` -- plus a ``[federation]`` table (the SAML provider and the master role) and per-role ``access``
and ``external-id``, it writes the documents of a hub-and-spoke federation, a configuration that lets ``check``
lint them, a manifest, an AWS CLI script and CloudFormation templates. The pieces:

- :mod:`.plan` validates the configuration and takes every decision (session limits, MFA, ExternalIds);
- :mod:`.documents` builds the policy documents, :mod:`.permissions` asks policy-sentry for the permissions;
- :mod:`.render` turns them into files, :mod:`.write` puts those on disk.

Nothing here prints; the CLI reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from xacct_lint.generate.plan import GenerateError, Plan, make_plan
from xacct_lint.generate.render import OutputFile, render_outputs
from xacct_lint.generate.write import write_outputs
from xacct_lint.model.config import Config

__all__ = ["GenerateError", "Generated", "OutputFile", "Plan", "generate", "make_plan", "render_outputs"]


@dataclass(frozen=True)
class Generated:
    """What a run wrote: the plan, the files (relative paths) and the stale files it removed."""

    plan: Plan
    files: tuple[OutputFile, ...]
    removed: tuple[str, ...]

    @property
    def secret_files(self) -> tuple[str, ...]:
        """Return the files that hold ExternalId values (written with mode 0600)."""
        return tuple(f.path for f in self.files if f.secret)


def generate(
    config: Config,
    out_dir: Path,
    *,
    environ: Mapping[str, str],
    external_ids_from_env: bool = False,
    seed: int | None = None,
) -> Generated:
    """Plan, render and write the federation for ``config`` into ``out_dir``; raise GenerateError or OSError."""
    plan = make_plan(config, environ=environ, seed=seed)
    config_name = config.path.name if config.path is not None else "the configuration"
    files = render_outputs(
        plan, out_dir=out_dir, external_ids_from_env=external_ids_from_env, config_name=config_name
    )
    removed = write_outputs(out_dir, files)
    return Generated(plan, files, tuple(removed))
