"""SARIF 2.1.0 output, shaped for GitHub code scanning.

Choices, each for a reason:

- Paths are relative to the scan root and carried as ``uriBaseId: "%SRCROOT%"``; ``originalUriBaseIds``
  describes ``%SRCROOT%`` without an absolute ``uri`` (SARIF §3.14.14 allows that) so the log holds no
  machine-specific path and stays byte-identical across checkouts. A file outside the root keeps the absolute
  ``file://`` URI its display path already had.
- ``partialFingerprints["xacctLint/v1"]`` is the engine's fingerprint (rule id + relative path + logical
  path), so an alert survives edits that move it to another line.
- ``properties["security-severity"]`` on each rule (GitHub ranks security alerts by it): ``error`` → 8.0
  (high), ``warning`` → 5.0 (medium), ``note`` → 2.0 (low), from the rule's default severity. Severity changes
  made in the configuration are recorded as ``invocations[0].ruleConfigurationOverrides``, and every result
  carries its effective ``level``.
- ``executionSuccessful`` is false only when a rule crashed (an XA000 result). Files that could not be
  analysed are ``toolExecutionNotifications`` (the run itself still did its job on everything else), and so
  is each file with findings of precision "unknown" (code ``undecided``): analysed, but not completely.
- A chain finding (one with a path) carries ``codeFlows``: one threadFlow whose threadFlowLocations are its
  hops in order, each at the trust statement that admits the hop; the caller's identity-policy statement of
  each hop is a ``relatedLocation`` whose id the step's ``properties.identityLocationId`` names.
- Columns count Unicode code points (``columnKind``), matching the engine's positions; ``endColumn`` is
  exclusive, as SARIF defines it.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from xacct_lint.report import INTERNAL_ERROR_ID, TOOL_NAME, Report, jsonable

if TYPE_CHECKING:
    from xacct_lint.engine.rule import RuleMeta
    from xacct_lint.engine.runner import Place, Result

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# The project's public home page; keep in step with the README when the project gets one of its own.
INFORMATION_URI = "https://pypi.org/project/xacct-lint/"
FINGERPRINT_KEY = "xacctLint/v1"
SRCROOT = "%SRCROOT%"
SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "note": "2.0"}
INTERNAL_ERROR_DOC = (
    "A rule crashed while checking the inputs.\n\n"
    "## What it does\n\nReports that a rule raised an exception instead of finishing; its findings are "
    "missing, so the inputs were not fully checked.\n\n"
    "## Why is this bad\n\nA crashed rule must never look like a clean result.\n\n"
    "## Use instead\n\nReport the message (it names the rule and where it failed) to the rule's authors."
)

_HEADING = re.compile(r"^\s*#{1,6}\s+(.*?)\s*#*\s*$")


def artifact_location(path: str) -> dict[str, str]:
    """Return a SARIF artifactLocation: a percent-encoded URI relative to ``%SRCROOT%`` when possible."""
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + quote(path, safe="/")}
    windows = PureWindowsPath(path)
    if windows.is_absolute():
        return {"uri": windows.as_uri()}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def physical_location(place: Place) -> dict[str, Any]:
    """Return a SARIF physicalLocation for a resolved place (no region when the file has no text)."""
    location: dict[str, Any] = {"artifactLocation": artifact_location(place.path)}
    if place.region is not None:
        location["region"] = {
            "startLine": place.region.start.line,
            "startColumn": place.region.start.column,
            "endLine": place.region.end.line,
            "endColumn": place.region.end.column,
        }
    return location


def location(place: Place, message: str | None = None, index: int | None = None) -> dict[str, Any]:
    """Return a SARIF location with the logical JSON Pointer as a logical location."""
    loc: dict[str, Any] = {"physicalLocation": physical_location(place)}
    if index is not None:
        loc["id"] = index
    if place.logical_path:
        loc["logicalLocations"] = [{"fullyQualifiedName": place.logical_path, "kind": "member"}]
    if message is not None:
        loc["message"] = {"text": message}
    return loc


def help_markdown(doc: str) -> str:
    """Return a rule's docstring as Markdown (it is written in Markdown: ``## Section`` headings)."""
    return inspect.cleandoc(doc)


def help_text(doc: str) -> str:
    """Return a rule's docstring as plain text: headings become ``Title:`` lines, the rest stays as is."""
    lines = []
    for line in inspect.cleandoc(doc).splitlines():
        match = _HEADING.match(line)
        lines.append(f"{match.group(1)}:" if match else line)
    return "\n".join(lines)


def unwrap(text: str) -> str:
    """Return text with hard-wrapped paragraph lines joined (code fences and list items keep their lines).

    Docstrings are wrapped at the source's line length; GitHub shows ``fullDescription`` as flowing text.
    """
    out: list[str] = []
    in_fence = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
            out.append(line)
            continue
        joinable = out and out[-1].strip() and not out[-1].strip().startswith("```")
        if not in_fence and stripped and joinable and not stripped.startswith(("- ", "* ", "|")):
            out[-1] = f"{out[-1].rstrip()} {stripped}"
        else:
            out.append(line)
    return "\n".join(out)


def _summary(doc: str, fallback: str) -> str:
    for line in doc.strip().splitlines():
        if line.strip():
            return line.strip()
    return fallback


def rule_descriptor(meta: RuleMeta, doc: str) -> dict[str, Any]:
    """Return the reportingDescriptor of a rule, rendered from its documentation."""
    from xacct_lint.engine.rule import doc_sections

    summary = _summary(doc, meta.name)
    full = unwrap(doc_sections(doc).get("What it does") or summary)
    properties: dict[str, Any] = {"tags": sorted(set(meta.tags))}
    if meta.id != INTERNAL_ERROR_ID:
        # GitHub treats rules tagged "security" as security queries and ranks them by security-severity.
        properties["tags"] = sorted({*meta.tags, "security"})
        properties["security-severity"] = SECURITY_SEVERITY[meta.severity.value]
    return {
        "id": meta.id,
        "name": meta.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full},
        "help": {"text": help_text(doc), "markdown": help_markdown(doc)},
        "defaultConfiguration": {"level": meta.severity.value},
        "properties": properties,
    }


def _descriptors(report: Report) -> list[tuple[RuleMeta, str]]:
    by_id: dict[str, tuple[RuleMeta, str]] = {rule.meta.id: (rule.meta, rule.doc) for rule in report.rules}
    for result in report.results:
        if result.rule.id not in by_id:  # XA000, or a result of a rule the caller did not list
            doc = INTERNAL_ERROR_DOC if result.rule.id == INTERNAL_ERROR_ID else result.rule.name
            by_id[result.rule.id] = (result.rule, doc)
    return [by_id[key] for key in sorted(by_id)]


def _overrides(report: Report, metas: list[RuleMeta]) -> list[dict[str, Any]]:
    overrides = []
    for index, meta in enumerate(metas):
        level = report.severity_overrides.get(meta.id) or report.severity_overrides.get(meta.name)
        if not level:
            continue
        configuration: dict[str, Any] = {"enabled": False} if level == "off" else {"level": level}
        overrides.append({"descriptor": {"id": meta.id, "index": index}, "configuration": configuration})
    return overrides


def result_object(result: Result, rule_index: int) -> dict[str, Any]:
    """Return the SARIF result of one engine result."""
    properties: dict[str, Any] = {"precision": result.precision.value}
    if result.witness is not None:
        properties["witness"] = jsonable(result.witness)
    if result.reproduce is not None:
        properties["reproduce"] = result.reproduce
    if result.properties:
        properties["details"] = jsonable(result.properties)
    sarif: dict[str, Any] = {
        "ruleId": result.rule.id,
        "ruleIndex": rule_index,
        "level": result.severity.value,
        "message": {"text": result.message},
        "locations": [location(result.place)],
        "partialFingerprints": {FINGERPRINT_KEY: result.fingerprint},
        "properties": properties,
    }
    related = [location(place, text, index) for index, (place, text) in enumerate(result.related)]
    if result.flow:
        sarif["codeFlows"] = [code_flow(result, related)]
    if related:
        sarif["relatedLocations"] = related
    return sarif


def code_flow(result: Result, related: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the codeFlow of a chain finding: one threadFlowLocation per hop, at the trust statement that
    admits it; the caller's identity-policy statement is appended to ``related`` (as a relatedLocation) and
    named by id in the step's properties, so both sides of every hop are one click away."""
    steps: list[dict[str, Any]] = []
    for number, (trust, identity, text) in enumerate(result.flow, 1):
        step: dict[str, Any] = {
            "location": location(trust, f"{number}. {text}"),
            "executionOrder": number,
            "importance": "essential",
        }
        if identity is not None:
            index = len(related)
            related.append(location(identity, f"hop {number}: the caller's identity-policy statement", index))
            step["properties"] = {"identityLocationId": index}
        steps.append(step)
    return {
        "message": {"text": f"assume-role path of {len(steps)} {'hop' if len(steps) == 1 else 'hops'}"},
        "threadFlows": [{"locations": steps}],
    }


def _notification(level: str, text: str, path: str | None, code: str) -> dict[str, Any]:
    note: dict[str, Any] = {"level": level, "message": {"text": text}}
    if path is not None:
        note["locations"] = [{"physicalLocation": {"artifactLocation": artifact_location(path)}}]
    if code:
        note["properties"] = {"code": code}
    return note


def _undecided_notifications(report: Report) -> list[dict[str, Any]]:
    """One warning per file where the analysis is incomplete: findings with precision "unknown" (the search
    ran out of budget, a value is only known at deployment) say what could not be decided; the run still did
    its job, so ``executionSuccessful`` stays true, but a reader of the invocation alone must not take the
    file as fully analysed."""
    counts: dict[str, int] = {}
    for result in report.results:
        if result.precision.value == "unknown" and result.rule.id != INTERNAL_ERROR_ID:
            counts[result.place.path] = counts.get(result.place.path, 0) + 1
    return [
        _notification(
            "warning",
            f"{count} {'finding' if count == 1 else 'findings'} in this file could not be decided "
            '(precision "unknown"): the analysis of what they point at is incomplete',
            path,
            "undecided",
        )
        for path, count in sorted(counts.items())
    ]


def sarif_log(report: Report) -> dict[str, Any]:
    """Return the SARIF log of a report as plain Python data."""
    descriptors = _descriptors(report)
    index_of = {meta.id: index for index, (meta, _doc) in enumerate(descriptors)}
    notifications = [_notification(n.level, n.message, n.path, n.code) for n in report.notifications]
    notifications += [
        _notification("error", r.message, r.place.path, "internal-error") for r in report.internal_errors
    ]
    notifications += _undecided_notifications(report)
    invocation: dict[str, Any] = {"executionSuccessful": not report.internal_errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    overrides = _overrides(report, [meta for meta, _doc in descriptors])
    if overrides:
        invocation["ruleConfigurationOverrides"] = overrides
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(meta, doc) for meta, doc in descriptors],
            }
        },
        "invocations": [invocation],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The scan root (the directory xacct-lint ran in)."}}
        },
        "columnKind": "unicodeCodePoints",
        "results": [result_object(r, index_of[r.rule.id]) for r in report.results],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report) -> str:
    """Return the SARIF log as JSON text (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(sarif_log(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
