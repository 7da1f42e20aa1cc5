"""The built-in rule pack: one rule per module; a module's docstring is its documentation."""

from __future__ import annotations

from xacct_lint.engine.registry import RulePack


def pack() -> RulePack:
    """Return the built-in pack (modules found and validated by the registry)."""
    return RulePack.from_package("builtin", __name__)
