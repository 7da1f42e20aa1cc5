"""The SARIF reporter: schema-valid, shaped for GitHub code scanning, deterministic, line-shift-proof."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from report_support import (
    EXTERNAL_ID_POINTER,
    REPRODUCE,
    RULE_EXTERNAL_ID,
    TRUST,
    UNREADABLE,
    WITNESS,
    at,
    internal_error_finding,
    results_for,
    source,
    standard_report,
    validate_sarif,
)

from xacct_lint.engine.rule import Finding
from xacct_lint.engine.runner import fingerprint
from xacct_lint.parse.source import SourceFile
from xacct_lint.report import Report
from xacct_lint.report.sarif import artifact_location, render_sarif, sarif_log


def _run(report: Report) -> dict[str, Any]:
    run: dict[str, Any] = json.loads(render_sarif(report))["runs"][0]
    return run


def test_valid_against_the_sarif_schema() -> None:
    src = source()
    report = standard_report(
        src,
        results=(*standard_report(src).results, *results_for([internal_error_finding(src)])),
        notifications=(UNREADABLE,),
        severity_overrides={"XA201": "warning", "style-note": "off"},
    )
    validate_sarif(render_sarif(report))


def test_empty_run_is_valid_and_successful() -> None:
    text = render_sarif(Report(results=(), rules=()))
    validate_sarif(text)
    run = json.loads(text)["runs"][0]
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_driver_rules_sorted_and_rendered_from_docstrings() -> None:
    run = _run(standard_report())
    driver = run["tool"]["driver"]
    assert driver["name"] == "xacct-lint"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == ["XA104", "XA201", "XA900"]
    rule = driver["rules"][1]
    assert rule["name"] == "missing-external-id"
    assert rule["shortDescription"] == {
        "text": "A principal of another account can assume the role without an ExternalId."
    }
    # fullDescription is the "What it does" section with its hard line wraps joined.
    assert rule["fullDescription"] == {
        "text": "Searches the trust policy for a request made without ``sts:ExternalId`` "
        "that the policy allows."
    }
    for title in ("What it does", "Why is this bad", "Example", "Use instead", "References"):
        assert f"## {title}" in rule["help"]["markdown"]
        assert f"\n{title}:\n" in rule["help"]["text"]
    assert '{"Condition": {"StringEquals": {"sts:ExternalId": "x"}}}' in rule["help"]["text"]
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert rule["properties"] == {"tags": ["condition", "security", "trust"], "security-severity": "8.0"}
    assert driver["rules"][0]["properties"]["security-severity"] == "5.0"
    assert driver["rules"][2]["properties"]["security-severity"] == "2.0"


def test_result_locations_fingerprints_and_properties() -> None:
    run = _run(standard_report())
    assert run["columnKind"] == "unicodeCodePoints"
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]  # no absolute path of this machine
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    result = run["results"][2]
    assert result["ruleId"] == "XA201"
    assert result["level"] == "error"
    assert result["message"] == {"text": "role can be assumed without an ExternalId"}
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "policies/trust.json", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 8, "startColumn": 46, "endLine": 8, "endColumn": 82},
            },
            "logicalLocations": [{"fullyQualifiedName": EXTERNAL_ID_POINTER, "kind": "member"}],
        }
    ]
    assert result["partialFingerprints"] == {
        "xacctLint/v1": fingerprint("XA201", "policies/trust.json", EXTERNAL_ID_POINTER)
    }
    assert result["relatedLocations"] == [
        {
            "id": 0,
            "message": {"text": "the statement that allows it"},
            "physicalLocation": {
                "artifactLocation": {"uri": "policies/trust.json", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 4, "startColumn": 5, "endLine": 9, "endColumn": 6},
            },
            "logicalLocations": [{"fullyQualifiedName": "/Statement/0", "kind": "member"}],
        }
    ]
    assert result["properties"] == {
        "precision": "exact",
        "witness": json.loads(json.dumps(WITNESS)),
        "reproduce": REPRODUCE,
    }
    assert run["results"][1]["properties"] == {"precision": "unknown"}


def test_uris_are_relative_posix_and_percent_encoded() -> None:
    assert artifact_location("policies/my trust#1.json") == {
        "uri": "policies/my%20trust%231.json",
        "uriBaseId": "%SRCROOT%",
    }
    assert artifact_location("politiques/été.json") == {
        "uri": "politiques/%C3%A9t%C3%A9.json",
        "uriBaseId": "%SRCROOT%",
    }
    # A file outside the scan root keeps the absolute path its display path has, as a file URI.
    assert artifact_location("/srv/other root/trust.json") == {"uri": "file:///srv/other%20root/trust.json"}


def test_internal_error_makes_execution_unsuccessful() -> None:
    src = source()
    report = Report(results=tuple(results_for([internal_error_finding(src)])), rules=(RULE_EXTERNAL_ID,))
    run = _run(report)
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["XA000", "XA201"]
    assert run["results"][0]["ruleId"] == "XA000"
    assert run["results"][0]["ruleIndex"] == 0
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert [n["level"] for n in invocation["toolExecutionNotifications"]] == ["error"]
    assert "crashed" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_unanalysed_files_are_notifications_not_failures() -> None:
    run = _run(Report(results=(), rules=(), notifications=(UNREADABLE,)))
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "warning",
            "message": {"text": "not analysed: permission denied"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "policies/secret.json", "uriBaseId": "%SRCROOT%"}
                    }
                }
            ],
            "properties": {"code": "unreadable"},
        }
    ]


def test_configured_severities_are_rule_configuration_overrides() -> None:
    report = standard_report(severity_overrides={"missing-external-id": "warning", "XA900": "off"})
    invocation = _run(report)["invocations"][0]
    assert invocation["ruleConfigurationOverrides"] == [
        {"descriptor": {"id": "XA201", "index": 1}, "configuration": {"level": "warning"}},
        {"descriptor": {"id": "XA900", "index": 2}, "configuration": {"enabled": False}},
    ]


def test_byte_identical_for_the_same_input() -> None:
    # Two independent parses and runs: nothing (object ids, dict order, clock) may leak into the output.
    first = render_sarif(standard_report(source()))
    second = render_sarif(standard_report(source()))
    assert first.encode() == second.encode()
    assert str(Path.cwd()) not in first
    assert "file://" not in first


def test_fingerprints_survive_lines_inserted_above() -> None:
    shifted_text = TRUST.replace('  "Version"', '\n\n\n  "Version"', 1)
    original = _run(standard_report(source()))
    shifted = _run(standard_report(source(shifted_text)))
    assert [r["partialFingerprints"] for r in shifted["results"]] == [
        r["partialFingerprints"] for r in original["results"]
    ]
    lines_before = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in original["results"]]
    lines_after = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in shifted["results"]]
    assert lines_after == [line + 3 for line in lines_before]


def test_result_without_text_has_no_region_and_empty_pointer_no_logical_location() -> None:
    from xacct_lint.model.inventory import Location

    empty = SourceFile("policies/empty.json", "")
    finding = Finding("XA201", "empty file", Location(empty, None, ""))
    log = sarif_log(
        Report(results=tuple(results_for([(RULE_EXTERNAL_ID, finding)])), rules=(RULE_EXTERNAL_ID,))
    )
    location = log["runs"][0]["results"][0]["locations"][0]
    assert location == {
        "physicalLocation": {"artifactLocation": {"uri": "policies/empty.json", "uriBaseId": "%SRCROOT%"}}
    }


def test_witness_location_comes_from_the_finding_not_the_message() -> None:
    src = source()
    finding = Finding("XA201", "x", at(src, "/Statement/0/Principal/AWS"))
    run = _run(Report(results=tuple(results_for([(RULE_EXTERNAL_ID, finding)])), rules=(RULE_EXTERNAL_ID,)))
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (6, 21)
