"""Helpers of the hostile-input suites (``test_hostile_*.py``): a policy with a known finding, CLI runs that
must never print a traceback, and the places of results and notifications in the reports.

Every hostile test puts :data:`TRUST` beside its hostile input and checks that its XA201 finding is still
reported -- "every other file is still checked" -- at :data:`TRUST_SPOT`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from xacct_lint.cli import main

# A foreign account trusted without an ExternalId: XA201 at /Statement/0 (line 4, column 5) with no config.
TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
      "Action": "sts:AssumeRole"
    }
  ]
}
"""
TRUST_SPOT = ("XA201", "/Statement/0", 4, 5)

RULE_DOC = '''"""{summary}

## What it does
{summary}

## Why is this bad
It is a test rule of the hostile-input suites.

## Example
```json
{{"Statement": [{{"Effect": "Allow"}}]}}
```

## Use instead
```json
{{"Statement": [{{"Effect": "Deny"}}]}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_statement.html
"""

from __future__ import annotations

from xacct_lint.engine.rule import Finding, RuleMeta, Severity

META = RuleMeta({rule_id!r}, {name!r}, Severity.ERROR, ("test",))


def check(ctx):
{body}
'''


def rule_module(rule_id: str, name: str, body: str, summary: str = "A test rule.") -> str:
    """Return the source of a local rule module; ``body`` is the indented body of ``check(ctx)``."""
    return RULE_DOC.format(rule_id=rule_id, name=name, body=body, summary=summary)


@dataclass(frozen=True)
class Run:
    """One CLI run: exit code, stdout, stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """Return stdout parsed as JSON."""
        return json.loads(self.out)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """Run ``xacct-lint`` in-process; assert that nothing printed a traceback."""
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    assert "Traceback" not in captured.out
    return Run(code, captured.out, captured.err)


def one_error_line(run: Run) -> str:
    """Return the single ``xacct-lint: error:`` line of a failed run (and assert there is exactly one)."""
    lines = [line for line in run.err.splitlines() if line.startswith("xacct-lint: error:")]
    assert len(lines) == 1, run.err
    return lines[0]


def spots(doc: Any) -> dict[str, set[tuple[str, str, int, int]]]:
    """Return, per path, the (rule id, logical path, line, column) of every result of a JSON report."""
    out: dict[str, set[tuple[str, str, int, int]]] = {}
    for result in doc["results"]:
        region = result.get("region") or {"start_line": 0, "start_column": 0}
        out.setdefault(result["path"], set()).add(
            (result["rule_id"], result["logical_path"], region["start_line"], region["start_column"])
        )
    return out


def messages(doc: Any, path: str, rule_id: str) -> list[str]:
    """Return the messages of one rule's results on one path of a JSON report."""
    return [r["message"] for r in doc["results"] if r["path"] == path and r["rule_id"] == rule_id]


def sarif_run(doc: Any) -> Any:
    """Return the one run of a SARIF log."""
    runs = doc["runs"]
    assert len(runs) == 1
    return runs[0]
