"""Run rules and turn their findings into placed, filtered, sorted results.

This is the one place where logical paths become file, line and column, where severity overrides and the
baseline apply, and where a rule that raises becomes an internal-error result (never a silent "clean").
"""

from __future__ import annotations

import hashlib
import json
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, Rule, RuleMeta, Severity
from xacct_lint.model.config import ConfigError
from xacct_lint.model.inventory import Location
from xacct_lint.parse.json_tree import resolve_pointer
from xacct_lint.parse.source import Region, Span

INTERNAL_ERROR = RuleMeta("XA000", "internal-error", Severity.ERROR, ("tool",))


@dataclass(frozen=True)
class Place:
    """A resolved location: relative path, logical path and region (None when the file has no text)."""

    path: str
    logical_path: str
    region: Region | None
    snippet: str = ""


@dataclass(frozen=True)
class Result:
    """A finding ready for a reporter."""

    rule: RuleMeta
    severity: Severity
    message: str
    place: Place
    fingerprint: str
    precision: Precision
    witness: Mapping[str, Any] | None
    reproduce: str | None
    related: tuple[tuple[Place, str], ...]
    properties: Mapping[str, Any]

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """Return the deterministic order of results: file, line, column, rule, message."""
        region = self.place.region
        line, column = (region.start.line, region.start.column) if region else (0, 0)
        return (self.place.path, line, column, self.rule.id, self.place.logical_path, self.message)


def place_of(location: Location) -> Place:
    """Resolve a location to its region: the narrowest node the pointer names (a member includes its key)."""
    source = location.source
    span: Span | None = location.span
    if span is None and location.root is not None:
        node, member, _exact = resolve_pointer(location.root, location.pointer)
        span = Span(member.key_span.start, node.span.end) if member is not None else node.span
    if span is None:
        return Place(source.display_path, location.logical_path, None)
    region = source.region(span)
    return Place(
        source.display_path, location.logical_path, region, source.line_text(region.start.line).strip()
    )


def fingerprint(rule_id: str, path: str, logical_path: str, message_key: str = "") -> str:
    """Return a stable fingerprint: rule id + relative path + logical path, never line numbers."""
    digest = hashlib.sha256(f"{rule_id}\0{path}\0{logical_path}\0{message_key}".encode()).hexdigest()
    return digest[:32]


def run_rules(rules: Sequence[Rule], ctx: RuleContext) -> list[tuple[Rule | None, Finding]]:
    """Run every rule; a rule that raises yields one internal-error finding naming the rule."""
    out: list[tuple[Rule | None, Finding]] = []
    for rule in rules:
        try:
            findings = list(rule.check(ctx))
        except ConfigError:
            raise  # a bad rule option is the user's to fix: one clear line and exit 2, not an internal error
        except Exception as exc:  # a broken rule must never turn into "no findings"
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
            source = ctx.model.sources[0] if ctx.model.sources else None
            if source is None:
                continue
            location = Location(source, None, "", span=Span(0, 0))
            message = f"rule {rule.meta.id} ({rule.meta.name}) crashed: {type(exc).__name__}: {exc}{where}"
            out.append((None, Finding(INTERNAL_ERROR.id, message, location, precision=Precision.UNKNOWN)))
            continue
        out.extend((rule, f) for f in findings)
    return out


def to_results(
    findings: Iterable[tuple[Rule | None, Finding]],
    severity_overrides: Mapping[str, str],
    baseline: frozenset[str] = frozenset(),
) -> tuple[list[Result], int]:
    """Place, override, de-duplicate, baseline-filter and sort findings; return results and how many the
    baseline suppressed."""
    results: dict[tuple[str, str, str, str], Result] = {}
    suppressed = 0
    for rule, finding in findings:
        meta = rule.meta if rule is not None else INTERNAL_ERROR
        override = severity_overrides.get(meta.id) or severity_overrides.get(meta.name)
        if override == "off":
            continue
        severity = Severity(override) if override else (finding.severity or meta.severity)
        place = place_of(finding.location)
        related = tuple((place_of(loc), text) for loc, text in finding.related)
        fp = fingerprint(
            meta.id, place.path, place.logical_path, finding.properties.get("fingerprint_key", "")
        )
        if fp in baseline:
            suppressed += 1
            continue
        result = Result(
            rule=meta,
            severity=severity,
            message=finding.message,
            place=place,
            fingerprint=fp,
            precision=finding.precision,
            witness=finding.witness,
            reproduce=finding.reproduce,
            related=related,
            properties=dict(finding.properties),
        )
        results.setdefault((meta.id, place.path, place.logical_path, finding.message), result)
    return sorted(results.values(), key=lambda r: r.sort_key), suppressed


def load_baseline(path: Path) -> frozenset[str]:
    """Read a baseline file of fingerprints; a corrupt baseline is an error, never an empty baseline."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read baseline: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: corrupt baseline (invalid JSON: {exc.msg} at line {exc.lineno})") from exc
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("fingerprints"), list)
        or not all(isinstance(f, str) for f in data["fingerprints"])
    ):
        raise ConfigError(f'{path}: corrupt baseline (expected {{"fingerprints": ["...", ...]}})')
    return frozenset(data["fingerprints"])


def baseline_document(results: Sequence[Result]) -> str:
    """Return the baseline file content that accepts all given results."""
    return (
        json.dumps({"version": 1, "fingerprints": sorted({r.fingerprint for r in results})}, indent=2) + "\n"
    )
