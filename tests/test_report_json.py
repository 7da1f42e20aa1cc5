"""The JSON reporter: a stable, sorted, deterministic document."""

from __future__ import annotations

import json

from report_support import (
    EXTERNAL_ID_POINTER,
    REPRODUCE,
    RULE_EXTERNAL_ID,
    UNREADABLE,
    at,
    results_for,
    source,
    standard_report,
)

from xacct_lint import __version__
from xacct_lint.engine.rule import Finding
from xacct_lint.engine.runner import fingerprint
from xacct_lint.report import PolicySeen, Report
from xacct_lint.report.json_report import FORMAT_VERSION, render_json


def test_document_shape_and_the_external_id_result() -> None:
    report = standard_report(notifications=(UNREADABLE,), suppressed=2)
    doc = json.loads(render_json(report))
    assert doc["format_version"] == FORMAT_VERSION
    assert doc["tool"] == {"name": "xacct-lint", "version": __version__}
    assert doc["rules"] == ["XA104", "XA201", "XA900"]
    assert doc["files"] == ["policies/trust.json"]
    assert [r["rule_id"] for r in doc["results"]] == ["XA900", "XA104", "XA201"]
    result = doc["results"][2]
    assert result == {
        "rule_id": "XA201",
        "rule_name": "missing-external-id",
        "severity": "error",
        "message": "role can be assumed without an ExternalId",
        "path": "policies/trust.json",
        "logical_path": EXTERNAL_ID_POINTER,
        "region": {"start_line": 8, "start_column": 46, "end_line": 8, "end_column": 82},
        "fingerprint": fingerprint("XA201", "policies/trust.json", EXTERNAL_ID_POINTER),
        "precision": "exact",
        "witness": {
            "kind": "cross-account AssumeRole",
            "action": "sts:AssumeRole",
            "principal": {
                "type": "user",
                "arn": "arn:aws:iam::999988887777:user/probe",
                "account": "999988887777",
            },
            "context": {"sts:ExternalId": None},
            "allowed_by": "/Statement/0",
        },
        "reproduce": REPRODUCE,
        "related": [
            {
                "path": "policies/trust.json",
                "logical_path": "/Statement/0",
                "region": {"start_line": 4, "start_column": 5, "end_line": 9, "end_column": 6},
                "message": "the statement that allows it",
            }
        ],
        "properties": {},
    }
    assert doc["results"][1]["precision"] == "unknown"
    assert doc["results"][1]["witness"] is None
    assert doc["notifications"] == [
        {
            "level": "warning",
            "message": "not analysed: permission denied",
            "path": "policies/secret.json",
            "code": "unreadable",
        }
    ]
    assert doc["summary"] == {"error": 1, "warning": 1, "note": 1, "total": 3, "files": 1, "suppressed": 2}


def test_policies_say_which_kind_was_inferred() -> None:
    policies = (
        PolicySeen("account.json", "/RoleDetailList/0/AssumeRolePolicyDocument", "trust", False),
        PolicySeen("loose.json", "", "identity", True),
    )
    doc = json.loads(render_json(Report(results=(), rules=(), policies=policies)))
    assert doc["policies"] == [
        {
            "path": "account.json",
            "logical_path": "/RoleDetailList/0/AssumeRolePolicyDocument",
            "kind": "trust",
            "kind_inferred": False,
        },
        {"path": "loose.json", "logical_path": "", "kind": "identity", "kind_inferred": True},
    ]


def test_output_is_sorted_and_deterministic() -> None:
    first = render_json(standard_report())
    second = render_json(standard_report())
    assert first == second
    assert first == json.dumps(json.loads(first), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_unordered_and_odd_property_values_serialise_stably() -> None:
    src = source()
    finding = Finding(
        "XA201",
        "m",
        at(src, "/Version"),
        properties={"accounts": frozenset({"222222222222", "111111111111"}), "ratio": float("nan")},
    )
    report = Report(results=tuple(results_for([(RULE_EXTERNAL_ID, finding)])), rules=(RULE_EXTERNAL_ID,))
    doc = json.loads(render_json(report))
    assert doc["results"][0]["properties"] == {"accounts": ["111111111111", "222222222222"], "ratio": "nan"}
