"""Reporter test inputs built through the real engine path (parse -> Location -> Finding -> to_results).

Reporter tests do not depend on any built-in rule: the rules here are small stand-ins with full documentation,
and results are placed by ``engine.runner.to_results`` exactly as in a real run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from xacct_lint.engine.rule import Finding, Precision, Rule, RuleMeta, Severity
from xacct_lint.engine.runner import INTERNAL_ERROR, Result, to_results
from xacct_lint.model.inventory import Location
from xacct_lint.parse.json_tree import parse_json
from xacct_lint.parse.source import SourceFile, Span
from xacct_lint.report import Notification, PolicySeen, Report

TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEqualsIfExists": {"sts:ExternalId": "7f3c9a2e4b1d8c6f"}}
    }
  ]
}
"""
EXTERNAL_ID_POINTER = "/Statement/0/Condition/StringEqualsIfExists/sts:ExternalId"
ACTION_POINTER = "/Statement/0/Action"

DOC = """A principal of another account can assume the role without an ExternalId.

## What it does
Searches the trust policy for a request made without ``sts:ExternalId``
that the policy allows.

## Why is this bad
The ExternalId guards against the confused deputy.

## Example
```json
{"Condition": {"StringEqualsIfExists": {"sts:ExternalId": "x"}}}
```

## Use instead
```json
{"Condition": {"StringEquals": {"sts:ExternalId": "x"}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html
"""

WITNESS: Mapping[str, Any] = {
    "kind": "cross-account AssumeRole",
    "action": "sts:AssumeRole",
    "principal": {"type": "user", "arn": "arn:aws:iam::999988887777:user/probe", "account": "999988887777"},
    "context": {"sts:ExternalId": None},
    "allowed_by": "/Statement/0",
}
REPRODUCE = "aws sts assume-role --role-arn <this-role-arn> --role-session-name probe (no --external-id)"


def make_rule(
    rule_id: str, name: str, severity: Severity, doc: str = DOC, tags: tuple[str, ...] = ()
) -> Rule:
    """Return a documented stand-in rule (its check is never called by reporter tests)."""
    return Rule(RuleMeta(rule_id, name, severity, tags), doc.strip(), lambda ctx: (), "test", f"tests.{name}")


RULE_EXTERNAL_ID = make_rule("XA201", "missing-external-id", Severity.ERROR, tags=("trust", "condition"))
RULE_ACTION = make_rule("XA104", "broad-action", Severity.WARNING, tags=("trust",))
RULE_NOTE = make_rule("XA900", "style-note", Severity.NOTE)


def source(text: str = TRUST, path: str = "policies/trust.json") -> SourceFile:
    """Return a source file."""
    return SourceFile(path, text)


def at(src: SourceFile, pointer: str) -> Location:
    """Return a location in a freshly parsed tree of the source."""
    return Location(src, parse_json(src.text).root, pointer)


def results_for(
    findings: Iterable[tuple[Rule | None, Finding]],
    overrides: Mapping[str, str] | None = None,
    baseline: frozenset[str] = frozenset(),
) -> list[Result]:
    """Return the placed, sorted results of findings."""
    results, _suppressed = to_results(findings, overrides or {}, baseline)
    return results


def standard_findings(src: SourceFile) -> list[tuple[Rule | None, Finding]]:
    """Return one finding per severity in the source, with witness, related place and unknown precision."""
    return [
        (
            RULE_EXTERNAL_ID,
            Finding(
                "XA201",
                "role can be assumed without an ExternalId",
                at(src, EXTERNAL_ID_POINTER),
                witness=WITNESS,
                reproduce=REPRODUCE,
                related=((at(src, "/Statement/0"), "the statement that allows it"),),
            ),
        ),
        (
            RULE_ACTION,
            Finding("XA104", "action is broad", at(src, ACTION_POINTER), precision=Precision.UNKNOWN),
        ),
        (RULE_NOTE, Finding("XA900", "a note", at(src, "/Version"))),
    ]


def standard_report(src: SourceFile | None = None, **changes: Any) -> Report:
    """Return a report with three results (error, warning, note) in one file."""
    src = src if src is not None else source()
    fields: dict[str, Any] = {
        "results": tuple(results_for(standard_findings(src))),
        "rules": (RULE_ACTION, RULE_EXTERNAL_ID, RULE_NOTE),
        "files": (src.display_path,),
        "policies": (PolicySeen(src.display_path, "", "trust", True),),
    }
    fields.update(changes)
    return Report(**fields)


def internal_error_finding(src: SourceFile) -> tuple[Rule | None, Finding]:
    """Return the finding the runner makes when a rule crashes."""
    message = "rule XA201 (missing-external-id) crashed: KeyError: 'x' at xa201.py:10"
    location = Location(src, None, "", span=Span(0, 0))
    return (None, Finding(INTERNAL_ERROR.id, message, location, precision=Precision.UNKNOWN))


UNREADABLE = Notification("warning", "not analysed: permission denied", "policies/secret.json", "unreadable")


SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def validate_sarif(text: str) -> None:
    """Assert that text is a valid SARIF 2.1.0 log (skip, saying why, when the schema is absent)."""
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF 2.1.0 schema not found at {SARIF_SCHEMA} (shared/ beside the repository)")
    import jsonschema

    validator = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    errors = sorted(validator.iter_errors(json.loads(text)), key=lambda e: list(map(str, e.absolute_path)))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
