"""What a rule is: frozen metadata beside a pure ``check`` function, documented by its module docstring."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from xacct_lint.model.inventory import Location

if TYPE_CHECKING:
    from xacct_lint.engine.context import RuleContext

RULE_ID = re.compile(r"^[A-Z]{2}\d{3}$")
RULE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it does", "Why is this bad", "Example", "Use instead", "References")


class Severity(StrEnum):
    """How bad a finding is; configuration may override a rule's default."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        """Return 3 for error, 2 for warning, 1 for note."""
        return {"error": 3, "warning": 2, "note": 1}[self.value]


class Precision(StrEnum):
    """How sure a semantic finding is."""

    EXACT = "exact"  # proved by the evaluator (a witness, or an exhaustive search)
    UNKNOWN = "unknown"  # the evaluator could not decide; the finding says so


@dataclass(frozen=True)
class RuleMeta:
    """A rule's stable identity: opaque id, kebab-case name of the bad pattern, default severity, tags."""

    id: str
    name: str
    severity: Severity
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """What a rule reports: a message about one place, optionally with a witness request.

    ``witness`` is a JSON-able mapping describing the concrete request the policy allows (it goes into SARIF
    ``result.properties``); ``reproduce`` is a one-line command that shows the problem against a real account.
    ``related`` are other places that explain the finding (e.g. the statement that grants what another lacks).
    ``flow`` is the path of a chain finding, one hop a step: (the trust statement that admits the hop, the
    caller's identity-policy statement that allows it or None, a line describing the hop).
    """

    rule_id: str
    message: str
    location: Location
    witness: Mapping[str, Any] | None = None
    reproduce: str | None = None
    precision: Precision = Precision.EXACT
    related: tuple[tuple[Location, str], ...] = ()
    severity: Severity | None = None  # a rule may lower its own default for a weaker variant
    properties: Mapping[str, Any] = field(default_factory=dict)
    flow: tuple[tuple[Location, Location | None, str], ...] = ()


CheckFunction = Callable[["RuleContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A loaded rule: metadata, documentation (its module docstring), check function and its pack's name."""

    meta: RuleMeta
    doc: str
    check: CheckFunction
    pack: str
    module: str

    @property
    def summary(self) -> str:
        """Return the first line of the documentation."""
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.meta.name

    def doc_section(self, title: str) -> str:
        """Return the text of one documentation section ('' when missing)."""
        return doc_sections(self.doc).get(title, "")


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its titled sections (``## Title`` or ``Title:`` headings)."""
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip()
        heading = stripped.lstrip("#").strip().rstrip(":")
        if stripped.startswith("#") and heading in DOC_SECTIONS:
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = heading, []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return sections
