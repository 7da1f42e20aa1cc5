"""Tests for the parliament adapter: what parliament 1.6.4 really reports, and what the adapter fixes up."""

from __future__ import annotations

import importlib
import importlib.resources
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from xacct_lint.parliament_adapter import (
    PARLIAMENT_ISSUES,
    ParliamentResult,
    analyze_policy,
    parliament_version,
)

PROJECT_ROOT = Path(__file__).parents[1]
SHARED = Path(__file__).parents[2] / "shared"
AWS_MANAGED = SHARED / "corpora" / "aws-managed"
TRUST_EXAMPLES = SHARED / "corpora" / "trust-examples"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"shared corpora not present at {SHARED} (outside this repository)"
)

NO_RESOURCE = "Statement contains neither Resource nor NotResource"

S3_STAR_ON_STAR = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}

EXTERNAL_ID_TRUST_STATEMENT = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "example-external-id"}},
}

CROSS_ACCOUNT_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        EXTERNAL_ID_TRUST_STATEMENT,
        {
            "Effect": "Allow",
            "Principal": {
                "Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
            },
            "Action": "sts:AssumeRoleWithWebIdentity",
        },
    ],
}

# No Version, a duplicated Sid, and a misspelt action in the second statement.
SLOPPY_IDENTITY = {
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"},
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObjekt"], "Resource": "arn:aws:s3:::bucket/*"},
    ]
}

# The 30 codes parliament 1.6.4 can emit, in the order they were given XP001..XP030 (ASCII order of the code).
CODES_1_6_4 = (
    "BAD_PATTERN_FOR_MFA",
    "CREDENTIALS_EXPOSURE",
    "DUPLICATE_SID",
    "EXCEPTION",
    "INVALID_ARN",
    "INVALID_SID",
    "INVALID_VERSION",
    "MALFORMED",
    "MALFORMED_JSON",
    "MISMATCHED_TYPE",
    "MISMATCHED_TYPE_BUT_USABLE",
    "MISMATCHED_TYPE_OPERATION_TO_NULL",
    "NOTPRINCIPAL_WITH_ALLOW",
    "NOTRESOURCE_WITH_ALLOW",
    "NO_VERSION",
    "OLD_VERSION",
    "PERMISSIONS_MANAGEMENT_ACTIONS",
    "PRIVILEGE_ESCALATION",
    "RESOURCE_EFFECTIVELY_STAR",
    "RESOURCE_MISMATCH",
    "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
    "RESOURCE_STAR",
    "SENSITIVE_ACCESS",
    "SINGLE_VALUE_CONDITION_TOO_PERMISSIVE",
    "UNKNOWN_ACTION",
    "UNKNOWN_CONDITION_FOR_ACTION",
    "UNKNOWN_FEDERATION_SOURCE",
    "UNKNOWN_OPERATOR",
    "UNKNOWN_PREFIX",
    "UNKNOWN_PRINCIPAL",
)


def located(result: ParliamentResult) -> set[tuple[str, int | None, str | None]]:
    return {(issue.code, issue.statement_index, issue.extra.get("path")) for issue in result.issues}


def run_python(code: str, **env: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout


def test_s3_wildcard_on_any_resource_is_resource_star_only() -> None:
    result = analyze_policy(S3_STAR_ON_STAR, is_trust_policy=False)

    # parliament's core checks have no finding for the s3:* wildcard itself: RESOURCE_STAR lists the
    # expanded actions that could have been scoped to specific resources.
    assert result.crashed is None
    assert located(result) == {("RESOURCE_STAR", 0, "/Statement/0")}
    (issue,) = result.issues
    assert issue.severity == "LOW"
    assert issue.title == "Unnecessary use of Resource *"
    assert issue.action is None
    actions = issue.extra["actions"].split(", ")
    assert {"s3:GetObject", "s3:PutBucketPolicy", "s3:DeleteBucket"} <= set(actions)
    assert "s3:ListAllMyBuckets" not in actions  # needs Resource "*", so it is not flagged
    assert issue.detail.startswith(f'Resource "*" is used for {len(actions)} action(s)')


def test_community_auditors_add_permissions_management_for_s3_wildcard() -> None:
    result = analyze_policy(S3_STAR_ON_STAR, is_trust_policy=False, include_community_auditors=True)

    assert {code for code, _, _ in located(result)} == {"RESOURCE_STAR", "PERMISSIONS_MANAGEMENT_ACTIONS"}
    management = next(issue for issue in result.issues if issue.code == "PERMISSIONS_MANAGEMENT_ACTIONS")
    assert "s3:putbucketpolicy" in management.extra["actions"].split(", ")
    assert management.statement_index is None  # parliament's auditor reports on the whole policy


def test_trust_policy_drops_only_the_missing_resource_finding() -> None:
    as_identity = analyze_policy(CROSS_ACCOUNT_TRUST, is_trust_policy=False)
    as_trust = analyze_policy(CROSS_ACCOUNT_TRUST, is_trust_policy=True)

    assert located(as_identity) == {
        ("MALFORMED", 0, "/Statement/0"),
        ("MALFORMED", 1, "/Statement/1"),
        ("UNKNOWN_FEDERATION_SOURCE", 1, "/Statement/1/Principal"),
    }
    assert {issue.detail for issue in as_identity.issues if issue.code == "MALFORMED"} == {NO_RESOURCE}
    # parliament's OIDC blind spot is not a missing-Resource artefact, so it stays.
    assert located(as_trust) == {("UNKNOWN_FEDERATION_SOURCE", 1, "/Statement/1/Principal")}


def test_trust_policy_keeps_other_malformed_findings() -> None:
    statement = {**EXTERNAL_ID_TRUST_STATEMENT, "Principle": "*"}
    result = analyze_policy({"Version": "2012-10-17", "Statement": [statement]}, is_trust_policy=True)

    assert located(result) == {("MALFORMED", 0, "/Statement/0/Principle")}
    assert result.issues[0].detail == 'Statement contains an unknown element (got "Principle")'


@needs_shared
def test_real_trust_policies_lose_exactly_one_finding_per_statement() -> None:
    paths = sorted(TRUST_EXAMPLES.glob("awsdocs-iam-user-guide/trust/*.json"))
    assert paths
    for path in paths:
        document = json.loads(path.read_text())
        statements = (
            document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        )
        as_identity = analyze_policy(document, is_trust_policy=False).issues
        as_trust = analyze_policy(document, is_trust_policy=True).issues

        missing_resource = [issue for issue in as_identity if issue.detail == NO_RESOURCE]
        assert [issue.statement_index for issue in missing_resource] == list(range(len(statements))), (
            path.name
        )
        assert set(as_trust) == set(as_identity) - set(missing_resource), path.name


@needs_shared
@pytest.mark.parametrize(
    "name", ["SageMakerStudioEMRContainersSystemNamespaceRolePolicy", "SageMakerStudioProjectUserRolePolicy"]
)
def test_managed_policy_that_crashes_parliament_is_reported_not_raised(name: str) -> None:
    document = json.loads((AWS_MANAGED / f"{name}.json").read_text())

    result = analyze_policy(document, is_trust_policy=False)

    assert result.issues == ()
    assert result.crashed is not None
    assert result.crashed.startswith("Exception: Unknown data format: ArrayOfARN (parliament/statement.py:")
    assert "\n" not in result.crashed


def test_malformed_document_that_crashes_parliament_is_reported_not_raised() -> None:
    result = analyze_policy({"Version": "2012-10-17", "Statement": "not a statement"}, is_trust_policy=False)

    assert result.issues == ()
    assert result.crashed is not None
    assert result.crashed.startswith("JSONConfigNodeTypeError: ")
    assert "(parliament/statement.py:" in result.crashed


def test_top_level_list_gets_parliaments_verdict() -> None:
    result = analyze_policy([S3_STAR_ON_STAR], is_trust_policy=False)

    assert located(result) == {("MALFORMED_JSON", None, None)}


def test_text_must_be_parsed_first() -> None:
    with pytest.raises(TypeError, match=r"json\.loads"):
        analyze_policy(json.dumps(S3_STAR_ON_STAR), is_trust_policy=False)


def test_issues_carry_statement_index_path_and_action() -> None:
    result = analyze_policy(SLOPPY_IDENTITY, is_trust_policy=False)

    assert [(issue.code, issue.statement_index, issue.action) for issue in result.issues] == [
        ("NO_VERSION", None, None),
        ("UNKNOWN_ACTION", 1, "s3:GetObjekt"),
        ("DUPLICATE_SID", 1, None),
    ]
    no_version, unknown_action, duplicate_sid = result.issues
    assert dict(no_version.extra) == {}
    assert dict(unknown_action.extra) == {"path": "/Statement/1/Action/0", "value": "s3:GetObjekt"}
    assert unknown_action.detail == "Unknown action s3:GetObjekt"
    assert dict(duplicate_sid.extra) == {"path": "/Statement/1/Sid"}


def test_policy_level_community_finding_is_mapped_to_its_statement() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"},
        ],
    }

    result = analyze_policy(document, is_trust_policy=False, include_community_auditors=True)

    assert ("NOTRESOURCE_WITH_ALLOW", 1, "/Statement/1/NotResource") in located(result)


def test_condition_values_are_named() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::bucket/*",
                "Condition": {"Null": {"aws:TokenIssueTime": "yes"}},
            }
        ],
    }

    (issue,) = analyze_policy(document, is_trust_policy=False).issues

    assert issue.code == "MISMATCHED_TYPE_OPERATION_TO_NULL"
    assert issue.extra["path"] == "/Statement/0/Condition/Null"
    assert issue.detail == 'Mismatched type of operator to null: {"aws:TokenIssueTime": "yes"}'


def test_repeated_calls_are_identical_and_isolated() -> None:
    first = analyze_policy(SLOPPY_IDENTITY, is_trust_policy=False)
    with_community = analyze_policy(S3_STAR_ON_STAR, is_trust_policy=False, include_community_auditors=True)
    clean = analyze_policy(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}],
        },
        is_trust_policy=False,
    )
    second = analyze_policy(SLOPPY_IDENTITY, is_trust_policy=False)
    without_community = analyze_policy(S3_STAR_ON_STAR, is_trust_policy=False)

    assert first.issues
    assert second == first
    assert clean == ParliamentResult(issues=(), crashed=None)
    assert {issue.code for issue in with_community.issues} > {
        issue.code for issue in without_community.issues
    }
    assert without_community == analyze_policy(S3_STAR_ON_STAR, is_trust_policy=False)


def test_parliaments_process_global_state_does_not_reach_results(monkeypatch: pytest.MonkeyPatch) -> None:
    import parliament

    # Another user of parliament in the same process: a run with a file path (parliament writes it into a
    # mutable default argument shared by later findings) and an override of its global config.
    parliament.analyze_policy_string(json.dumps({"Statement": []}), filepath="/elsewhere/other.json")
    monkeypatch.setitem(parliament.config["NO_VERSION"], "severity", "CRITICAL")
    monkeypatch.setitem(parliament.config["NO_VERSION"], "title", "overridden")

    (issue,) = analyze_policy({"Statement": []}, is_trust_policy=False).issues

    assert (issue.code, issue.severity, issue.title) == (
        "NO_VERSION",
        "LOW",
        PARLIAMENT_ISSUES["NO_VERSION"].title,
    )
    assert "filepath" not in issue.extra
    assert "/elsewhere" not in repr(issue)


def test_results_do_not_depend_on_hash_seed() -> None:
    # The community auditors collect actions in a set; the adapter must sort them.
    code = (
        "from xacct_lint.parliament_adapter import analyze_policy\n"
        "doc = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Resource': '*',\n"
        "       'Action': ['iam:*', 'sts:AssumeRole', 's3:Put*']}]}\n"
        "print(repr(analyze_policy(doc, is_trust_policy=False, include_community_auditors=True)))\n"
    )
    outputs = {run_python(code, PYTHONHASHSEED=seed) for seed in ("1", "2")}
    assert len(outputs) == 1
    assert "CREDENTIALS_EXPOSURE" in outputs.pop()


def test_importing_the_adapter_does_not_import_parliament() -> None:
    code = (
        "import sys\n"
        "import xacct_lint.parliament_adapter\n"
        "print(sorted(m for m in ('parliament', 'jsoncfg', 'yaml') if m in sys.modules))\n"
    )
    assert run_python(code).strip() == "[]"


def test_catalogue_matches_installed_parliament_config() -> None:
    # PyYAML ships no type stubs here; parliament depends on it.
    safe_load = importlib.import_module("yaml").safe_load
    package = importlib.resources.files("parliament")
    core = safe_load(package.joinpath("config.yaml").read_text())
    community = safe_load(package.joinpath("community_auditors", "config_override.yaml").read_text())

    expected = {code: (entry, "core") for code, entry in core.items()}
    expected |= {code: (entry, "community") for code, entry in community.items()}
    assert set(PARLIAMENT_ISSUES) == set(expected)
    for code, (entry, source) in expected.items():
        info = PARLIAMENT_ISSUES[code]
        assert (info.title, info.description, info.severity, info.group, info.source) == (
            entry["title"],
            entry.get("description", ""),
            entry["severity"],
            entry["group"],
            source,
        ), code


def test_catalogue_covers_every_code_parliaments_source_emits() -> None:
    package = Path(str(importlib.resources.files("parliament")))
    emitted = {
        code
        for path in package.rglob("*.py")
        for code in re.findall(r'add_finding\(\s*"([A-Z_]+)"', path.read_text())
    }
    assert emitted == set(PARLIAMENT_ISSUES)


def test_rule_ids_are_stable() -> None:
    # Appending a code for a newer parliament is fine; changing any of these ids is not.
    assert {code: PARLIAMENT_ISSUES[code].rule_id for code in CODES_1_6_4} == {
        code: f"XP{number:03d}" for number, code in enumerate(CODES_1_6_4, start=1)
    }
    assert tuple(sorted(CODES_1_6_4)) == CODES_1_6_4
    rule_ids = [info.rule_id for info in PARLIAMENT_ISSUES.values()]
    assert len(set(rule_ids)) == len(rule_ids)
    assert all(re.fullmatch(r"XP\d{3}", rule_id) for rule_id in rule_ids)


def test_names_are_kebab_case_codes() -> None:
    assert PARLIAMENT_ISSUES["RESOURCE_STAR"].name == "resource-star"
    assert PARLIAMENT_ISSUES["MISMATCHED_TYPE_BUT_USABLE"].name == "mismatched-type-but-usable"
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", info.name) for info in PARLIAMENT_ISSUES.values())


def test_parliament_version_reports_the_installed_distribution() -> None:
    import parliament

    assert parliament_version() == parliament.__version__
    assert parliament_version().startswith("1.6.")
