"""The JSON report: a stable, documented document for scripts (``--output-format json``).

Shape (``format_version`` 1; keys are sorted, lists are in the engine's deterministic order, no timestamps)::

    {
      "format_version": 1,
      "tool": {"name": "xacct-lint", "version": "0.1.0"},
      "rules": ["XA101", ...],                     # ids of the rules that ran
      "files": ["policies/trust.json", ...],       # every input file, relative to the scan root
      "policies": [{"path", "logical_path", "kind", "kind_inferred"}, ...],
      "results": [{"rule_id", "rule_name", "severity", "message", "path", "logical_path",
                   "region": {"start_line", "start_column", "end_line", "end_column"} | null,
                   "fingerprint", "precision", "witness", "reproduce",
                   "related": [{"path", "logical_path", "region", "message"}], "properties",
                   "flow": [{"trust": {"path", "logical_path", "region"}, "identity": {...} | null,
                             "message"}, ...]   # chain findings only: one entry per hop}, ...],
      "notifications": [{"level", "message", "path", "code"}, ...],
      "summary": {"error", "warning", "note", "total", "files", "suppressed"}
    }

Columns count Unicode code points and ``end_column`` is exclusive, as in SARIF. ``kind_inferred`` is true when
the loader guessed the policy's kind from its shape rather than from where it was found.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from xacct_lint.report import Report, jsonable

if TYPE_CHECKING:
    from xacct_lint.engine.runner import Place, Result

FORMAT_VERSION = 1


def _region(place: Place) -> dict[str, int] | None:
    region = place.region
    if region is None:
        return None
    return {
        "start_line": region.start.line,
        "start_column": region.start.column,
        "end_line": region.end.line,
        "end_column": region.end.column,
    }


def result_document(result: Result) -> dict[str, Any]:
    """Return the JSON object of one result."""
    document: dict[str, Any] = {
        "rule_id": result.rule.id,
        "rule_name": result.rule.name,
        "severity": result.severity.value,
        "message": result.message,
        "path": result.place.path,
        "logical_path": result.place.logical_path,
        "region": _region(result.place),
        "fingerprint": result.fingerprint,
        "precision": result.precision.value,
        "witness": jsonable(result.witness) if result.witness is not None else None,
        "reproduce": result.reproduce,
        "related": [
            {
                "path": place.path,
                "logical_path": place.logical_path,
                "region": _region(place),
                "message": text,
            }
            for place, text in result.related
        ],
        "properties": jsonable(result.properties),
    }
    if result.flow:
        document["flow"] = [
            {
                "trust": _place(trust),
                "identity": _place(identity) if identity is not None else None,
                "message": text,
            }
            for trust, identity, text in result.flow
        ]
    return document


def _place(place: Place) -> dict[str, Any]:
    return {"path": place.path, "logical_path": place.logical_path, "region": _region(place)}


def report_document(report: Report) -> dict[str, Any]:
    """Return the whole JSON document as plain Python data."""
    counts = report.counts()
    return {
        "format_version": FORMAT_VERSION,
        "tool": {"name": "xacct-lint", "version": report.tool_version},
        "rules": [rule.meta.id for rule in report.rules],
        "files": list(report.files),
        "policies": [
            {
                "path": p.path,
                "logical_path": p.logical_path,
                "kind": p.kind,
                "kind_inferred": p.kind_inferred,
            }
            for p in report.policies
        ],
        "results": [result_document(r) for r in report.results],
        "notifications": [
            {"level": n.level, "message": n.message, "path": n.path, "code": n.code}
            for n in report.notifications
        ],
        "summary": {
            **counts,
            "total": len(report.results),
            "files": len(report.files),
            "suppressed": report.suppressed,
        },
    }


def render_json(report: Report) -> str:
    """Return the JSON report (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(report_document(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
