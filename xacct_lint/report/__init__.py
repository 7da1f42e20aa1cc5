"""Reporters: one run rendered as text, JSON or SARIF, and written out atomically.

Every reporter takes the same :class:`Report` value and is a pure function of it: no clock, no environment, no
absolute paths that the inputs did not already carry, so the same input gives byte-identical output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from xacct_lint import __version__

if TYPE_CHECKING:
    from xacct_lint.engine.rule import Rule
    from xacct_lint.engine.runner import Result
    from xacct_lint.model.inventory import Model

TOOL_NAME = "xacct-lint"
INTERNAL_ERROR_ID = "XA000"  # engine.runner.INTERNAL_ERROR; repeated so that importing this stays light
NOTIFICATION_LEVELS = ("error", "warning", "note")


@dataclass(frozen=True)
class Notification:
    """Something about the run rather than about the policies: e.g. a file that could not be analysed."""

    level: str  # "error", "warning" or "note" (SARIF notification levels)
    message: str
    path: str | None = None  # display path of the file it concerns, if any
    code: str = ""  # the loader's problem code (``unreadable``, ``invalid-json``, ...), if any

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        """Return the deterministic order of notifications: file, code, message, level."""
        return (self.path or "", self.code, self.message, self.level)


@dataclass(frozen=True)
class PolicySeen:
    """One policy document found in the inputs and the kind the loader gave it."""

    path: str
    logical_path: str
    kind: str  # "trust", "identity" or "resource"
    kind_inferred: bool  # True when the kind was guessed from the document's shape


@dataclass(frozen=True)
class Report:
    """Everything a reporter needs about one run."""

    results: tuple[Result, ...]
    rules: tuple[Rule, ...]  # the rules that ran, sorted by id
    files: tuple[str, ...] = ()  # display paths of every input file, sorted
    policies: tuple[PolicySeen, ...] = ()
    notifications: tuple[Notification, ...] = ()
    suppressed: int = 0  # results hidden by the baseline
    severity_overrides: Mapping[str, str] = field(default_factory=dict)
    tool_version: str = __version__

    def counts(self) -> dict[str, int]:
        """Return the number of results per severity (always all three keys)."""
        counts = {"error": 0, "warning": 0, "note": 0}
        for result in self.results:
            counts[result.severity.value] += 1
        return counts

    @property
    def internal_errors(self) -> tuple[Result, ...]:
        """Return the results that say a rule crashed (XA000)."""
        return tuple(r for r in self.results if r.rule.id == INTERNAL_ERROR_ID)


def policies_seen(model: Model) -> tuple[PolicySeen, ...]:
    """Return every policy of the model with its kind, sorted by file and pointer."""
    seen = {
        PolicySeen(p.source.display_path, p.prefix, p.kind.value, p.kind_inferred) for p in model.policies
    }
    return tuple(sorted(seen, key=lambda p: (p.path, p.logical_path, p.kind, p.kind_inferred)))


def notifications_from(model: Model) -> tuple[Notification, ...]:
    """Return a notification for every input file the loaders could not analyse.

    A load problem whose location has no JSON tree means the file was never parsed (unreadable, not UTF-8, not
    JSON, too large): nothing in it was checked. Problems inside a parsed file (duplicate keys, ...) are the
    document rules' business and become findings, not notifications.
    """
    notes = {
        Notification(
            "warning", f"not analysed: {problem.message}", problem.location.source.display_path, problem.code
        )
        for problem in model.problems
        if problem.location.root is None
    }
    return tuple(sorted(notes, key=lambda n: n.sort_key))


def build_report(
    model: Model,
    rules: tuple[Rule, ...],
    results: Sequence[Result],
    *,
    suppressed: int = 0,
    severity_overrides: Mapping[str, str] | None = None,
) -> Report:
    """Return the report of one run over a model."""
    return Report(
        results=tuple(results),
        rules=tuple(sorted(rules, key=lambda r: r.meta.id)),
        files=tuple(sorted({s.display_path for s in model.sources})),
        policies=policies_seen(model),
        notifications=notifications_from(model),
        suppressed=suppressed,
        severity_overrides=dict(severity_overrides or {}),
    )


def plural(count: int, noun: str) -> str:
    """Return ``"1 error"`` / ``"2 errors"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def jsonable(value: object) -> object:
    """Return a plain JSON value for witness and property data (sets sorted, enums by value, the rest as str).

    Rules put arbitrary JSON-like data into a finding; this keeps the reporters deterministic and total:
    unordered collections get a stable order and nothing makes ``json.dumps`` raise.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return str(value)
