"""Run rules and turn their findings into placed, filtered, sorted results.

This is the one place where logical paths become file, line and column, where severity overrides and the
baseline apply, and where a rule that raises becomes an internal-error result (never a silent "clean").
"""

from __future__ import annotations

import hashlib
import json
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from xacct_lint.crash import describe
from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, Rule, RuleMeta, Severity
from xacct_lint.model.config import ConfigError, read_named_file
from xacct_lint.model.inventory import LOADER_CRASHED, Location, Policy
from xacct_lint.parse.json_tree import resolve_pointer
from xacct_lint.parse.policy import Statement
from xacct_lint.parse.source import Region, SourceFile, Span

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
    flow: tuple[tuple[Place, Place | None, str], ...] = ()  # a chain finding's hops: trust, identity, text

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
    """Run every rule; a rule that raises (or yields something that is not a finding) yields one
    internal-error finding naming the rule and the file it was checking."""
    out: list[tuple[Rule | None, Finding]] = []
    for rule in rules:
        try:
            findings = list(rule.check(ctx))
            for finding in findings:
                if not isinstance(finding, Finding) or not isinstance(finding.location, Location):
                    raise TypeError(
                        f"check() yielded {type(finding).__name__}, not a Finding with a Location"
                    )
        except ConfigError:
            raise  # a bad rule option is the user's to fix: one clear line and exit 2, not an internal error
        except Exception as exc:  # a broken rule must never turn into "no findings"
            out.append((None, _crash_finding(rule, exc, ctx)))
            continue
        out.extend((rule, f) for f in findings)
    return out


def _crash_finding(rule: Rule, exc: Exception, ctx: RuleContext) -> Finding:
    location = _crash_location(exc)
    if location is None:
        # Nothing in the rule's frames says which file: blame the first input, or the scan root when there is
        # none -- the crash is reported either way, never dropped.
        source = ctx.model.sources[0] if ctx.model.sources else SourceFile(".", "")
        location = Location(source, None, "", span=Span(0, 0) if source.text else None)
    message = (
        f"rule {rule.meta.id} ({rule.meta.name}) crashed: {describe(exc)} "
        f"(while checking {location.source.display_path}); its findings are missing"
    )
    return Finding(INTERNAL_ERROR.id, message, location, precision=Precision.UNKNOWN)


def _crash_location(exc: BaseException) -> Location | None:
    """Return what the crashed rule was looking at: the policy (and statement), location or source file held
    by the innermost frame of the traceback that holds any; None when no frame does."""
    frames = [frame for frame, _line in traceback.walk_tb(exc.__traceback__)]
    for frame in reversed(frames):
        values = list(frame.f_locals.values())
        policy = next((v for v in values if isinstance(v, Policy)), None)
        if policy is not None:
            statements = policy.document.statements
            statement = next(
                (v for v in values if isinstance(v, Statement) and any(s is v for s in statements)), None
            )
            return policy.at(statement.pointer if statement is not None else "")
        location = next((v for v in values if isinstance(v, Location)), None)
        if location is not None:
            return location
        source = next((v for v in values if isinstance(v, SourceFile)), None)
        if source is not None:
            return Location(source, None, "", span=Span(0, 0) if source.text else None)
    return None


def to_results(
    findings: Iterable[tuple[Rule | None, Finding]],
    severity_overrides: Mapping[str, str],
    baseline: frozenset[str] = frozenset(),
) -> tuple[list[Result], int]:
    """Place, override, de-duplicate, baseline-filter and sort findings; return results and how many the
    baseline suppressed."""
    return collect_results((result_of(rule, f, severity_overrides) for rule, f in findings), baseline)


# Longest message a result carries. A rule quotes the values it judges, and input can make one of them huge (a
# 200 KB ExternalId); a report line of that size helps nobody and bloats SARIF uploads.
MAX_MESSAGE_CHARS = 4000


def shorten_message(message: str) -> str:
    """Return ``message``, its middle cut out when it is longer than :data:`MAX_MESSAGE_CHARS` (the start says
    what is wrong, the end how to fix it)."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    keep = (MAX_MESSAGE_CHARS - 60) // 2
    omitted = len(message) - 2 * keep
    return f"{message[:keep]} [... {omitted:,} characters omitted ...] {message[-keep:]}"


def result_of(rule: Rule | None, finding: Finding, severity_overrides: Mapping[str, str]) -> Result | None:
    """Return one finding placed and with its severity applied; None when its rule is configured ``off``."""
    meta = rule.meta if rule is not None else INTERNAL_ERROR
    override = severity_overrides.get(meta.id) or severity_overrides.get(meta.name)
    if override == "off":
        return None
    severity = Severity(override) if override else (finding.severity or meta.severity)
    place = place_of(finding.location)
    related = tuple((place_of(loc), text) for loc, text in finding.related)
    flow = tuple(
        (place_of(trust), place_of(identity) if identity is not None else None, text)
        for trust, identity, text in finding.flow
    )
    fp = fingerprint(meta.id, place.path, place.logical_path, finding.properties.get("fingerprint_key", ""))
    return Result(
        rule=meta,
        severity=severity,
        message=shorten_message(finding.message),
        place=place,
        fingerprint=fp,
        precision=finding.precision,
        witness=finding.witness,
        reproduce=finding.reproduce,
        related=related,
        properties=dict(finding.properties),
        flow=flow,
    )


def collect_results(results: Iterable[Result | None], baseline: frozenset[str]) -> tuple[list[Result], int]:
    """Baseline-filter, de-duplicate (the first of equal results wins) and sort placed results, in the order
    their findings were made; return them and how many the baseline suppressed."""
    kept: dict[tuple[str, str, str, str], Result] = {}
    suppressed = 0
    for result in results:
        if result is None:
            continue
        if result.fingerprint in baseline:
            suppressed += 1
            continue
        kept.setdefault(
            (result.rule.id, result.place.path, result.place.logical_path, result.message), result
        )
    return sorted(kept.values(), key=lambda r: r.sort_key), suppressed


@contextmanager
def batch_gc() -> Iterator[Callable[[], None]]:
    """Run one batch (load, then rules) with the cyclic garbage collector set for it; restore it afterwards.

    Yields ``settle``: call it once the long-lived data (the model) is built. Until then the collector is off;
    ``settle`` freezes everything that exists (``gc.freeze``: never scanned again) and turns the collector back
    on with a young-generation threshold of 100,000 allocations instead of 700, for the rules.

    Why: loading builds a few small objects per JSON token (node, span, member) and frees almost none; with the
    default thresholds the collector rescans them again and again as they age -- CPU seconds of loading the
    AWS managed policies: 1.7-2.1 with the defaults, 0.8-1.1 with a 100,000 threshold (20,000 gave 1.1, 200,000
    no better). The rules then pay for the model's size: one full collection scans every object (0.44 s on
    the managed policies, about 3.5 s on an organisation of 1,000 accounts x 20 roles), and older generations
    are collected every so often whatever the thresholds. Loading makes no reference cycles (a full collection
    right after loading those inputs finds 0 unreachable objects), so nothing is lost by not collecting while
    loading, and a frozen model costs the rules nothing. On exit everything is unfrozen: in a longer-lived
    process (tests), the model is collectable again like any other object.
    """
    import gc

    thresholds = gc.get_threshold()
    enabled = gc.isenabled()
    frozen = False

    def settle() -> None:
        nonlocal frozen
        if not frozen:
            frozen = True
            gc.freeze()
            gc.set_threshold(100_000, 50, 100)
            gc.enable()

    gc.disable()
    try:
        yield settle
    finally:
        if frozen:
            gc.unfreeze()
        gc.set_threshold(*thresholds)
        if enabled:
            gc.enable()
        else:
            gc.disable()


def check_results(
    rules: Sequence[Rule],
    ctx: RuleContext,
    severity_overrides: Mapping[str, str],
    baseline: frozenset[str] = frozenset(),
    *,
    jobs: int = 1,
) -> tuple[list[Result], int]:
    """Run the rules and return ``to_results`` of their findings; with ``jobs`` > 1 the rules run in forked
    worker processes (see :mod:`xacct_lint.engine.parallel`) and the results are the same, in the same order."""
    crashes = loader_crashes(ctx)
    if jobs > 1:
        from xacct_lint.engine.parallel import run_placed

        per_rule = run_placed(rules, ctx, severity_overrides, jobs)
        if per_rule is not None:
            placed = (result_of(rule, finding, severity_overrides) for rule, finding in crashes)
            return collect_results(
                chain(placed, (result for results in per_rule for result in results)), baseline
            )
    return to_results(chain(crashes, run_rules(rules, ctx)), severity_overrides, baseline)


def loader_crashes(ctx: RuleContext) -> list[tuple[Rule | None, Finding]]:
    """Return an internal-error finding for every file a loader raised on (no rule reports those)."""
    return [
        (None, Finding(INTERNAL_ERROR.id, problem.message, problem.location, precision=Precision.UNKNOWN))
        for problem in ctx.model.problems
        if problem.code == LOADER_CRASHED
    ]


def load_baseline(path: Path) -> frozenset[str]:
    """Read a baseline file of fingerprints; a corrupt baseline is an error, never an empty baseline."""
    try:
        data = json.loads(read_named_file(path).decode("utf-8"))  # not read_text: a FIFO would block forever
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read baseline: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: corrupt baseline (invalid JSON: {exc.msg} at line {exc.lineno})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: corrupt baseline (not UTF-8 text: {exc.reason} at byte {exc.start})"
        ) from exc
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
