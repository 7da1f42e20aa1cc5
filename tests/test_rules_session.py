"""Tests of the session and permission rules XA301, XA302, XA305 and XA501 beyond their fixtures: positions
in exports and in the configuration, messages naming the values, witnesses, options and the effect of the
configuration -- plus the evaluator changes these rules rely on (resource-aware search, TagKeys that include
the RequestTag keys, transitive keys drawn from TagKeys' constants, absent keys deciding a condition whatever
its unresolvable variables)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, Severity
from xacct_lint.engine.runner import Place, place_of
from xacct_lint.evaluate.concrete import Caller, CallerType, Effect, Request, entry_holds, evaluate
from xacct_lint.evaluate.search import (
    KeyPin,
    NoneExists,
    RequestKind,
    Witness,
    assume_role_kind,
    find_request,
    saml_kind,
    tag_session_kind,
)
from xacct_lint.load import load_paths
from xacct_lint.model.config import Config, find_config, load_config
from xacct_lint.parse.json_tree import parse_json
from xacct_lint.parse.policy import PolicyDocument, build_policy

xa301 = importlib.import_module("xacct_lint.rules.xa301_max_session_too_long")
xa302 = importlib.import_module("xacct_lint.rules.xa302_invalid_max_session")
xa305 = importlib.import_module("xacct_lint.rules.xa305_unrestricted_session_tags")
xa501 = importlib.import_module("xacct_lint.rules.xa501_assume_role_any_resource")

SEC = "arn:aws:iam::111111111111:root"
MASTER = "arn:aws:iam::111111111111:role/MasterCrossAccountRole"
SAML_PROVIDER = "arn:aws:iam::111111111111:saml-provider/CorporateIdP"
OIDC_PROVIDER = "arn:aws:iam::111111111111:oidc-provider/cognito-identity.amazonaws.com"


# -- helpers -------------------------------------------------------------------------------------------------


def _doc(*statements: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal: Any, action: Any, condition: Any = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action, **extra}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _role(name: str, account: str, max_session: Any = None, *, path: str = "/", trust: Any = None) -> Any:
    role: dict[str, Any] = {
        "Path": path,
        "RoleName": name,
        "Arn": f"arn:aws:iam::{account}:role{path}{name}",
        "AssumeRolePolicyDocument": trust
        or _doc(_allow({"AWS": f"arn:aws:iam::{account}:root"}, "sts:AssumeRole")),
    }
    if max_session is not None:
        role["MaxSessionDuration"] = max_session
    return role


def _run(
    rule: Any,
    tmp_path: Path,
    files: dict[str, Any],
    config: str | None = None,
    *,
    budget: int = 100_000,
) -> list[Finding]:
    """Write the files (JSON values, or text) and an optional xacct-lint.toml, load them as the CLI does and
    return the rule's findings."""
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        (tmp_path / name).write_text(text, encoding="utf-8")
    if config is not None:
        (tmp_path / "xacct-lint.toml").write_text(config, encoding="utf-8")
    loaded = load_config(find_config([tmp_path]))
    model = load_paths([tmp_path], loaded, root=tmp_path)
    return list(rule.check(RuleContext(model, loaded, search_budget=budget)))


def _places(findings: list[Finding]) -> list[Place]:
    return [place_of(f.location) for f in findings]


def _spots(findings: list[Finding]) -> list[tuple[str, str, int, int]]:
    out = []
    for place in _places(findings):
        assert place.region is not None
        out.append((place.path, place.logical_path, place.region.start.line, place.region.start.column))
    return out


def _document(data: Any) -> PolicyDocument:
    return build_policy(parse_json(json.dumps(data, indent=1)).root)


# -- XA301 max-session-too-long ------------------------------------------------------------------------------

ACCOUNTS = """
[accounts.prod]
id = "222222222222"
max-session-duration = 3600

[accounts.dev]
id = "333333333333"
max-session-duration = 7200
"""


def test_xa301_export_above_account_limit_points_at_the_value(tmp_path: Path) -> None:
    files = {"role.json": {"Role": _role("Prod", "222222222222", 14400)}}
    findings = _run(xa301, tmp_path, files, ACCOUNTS)
    assert _spots(findings) == [("role.json", "/Role/MaxSessionDuration", 18, 5)]
    message = findings[0].message
    assert "MaxSessionDuration 14400 s (4 h)" in message
    assert "account prod (222222222222), 3600 s (1 h)" in message
    assert xa301.META.severity is Severity.WARNING


def test_xa301_config_mapping_is_reported_at_its_toml_line(tmp_path: Path) -> None:
    config = (
        ACCOUNTS
        + """
[[roles]]
name = "Deploy"
account = "prod"
trust-policy = "trust.json"
max-session-duration = 7200
"""
    )
    trust = _doc(
        _allow({"AWS": SEC}, "sts:AssumeRole", {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}})
    )
    findings = _run(xa301, tmp_path, {"trust.json": trust}, config)
    places = _places(findings)
    assert [p.path for p in places] == ["xacct-lint.toml"]
    assert places[0].region is not None
    assert places[0].region.start.line == 14  # the max-session-duration line of the [[roles]] table
    assert places[0].region.start.column == 1
    assert "role Deploy: MaxSessionDuration 7200 s (2 h) exceeds" in findings[0].message
    assert "3600 s" in findings[0].message


def test_xa301_export_above_its_role_mapping_limit_names_both_numbers(tmp_path: Path) -> None:
    config = ACCOUNTS + '\n[[roles]]\nname = "Deploy"\naccount = "dev"\nmax-session-duration = 3600\n'
    findings = _run(xa301, tmp_path, {"role.json": {"Role": _role("deploy", "333333333333", 7200)}}, config)
    assert [p.logical_path for p in _places(findings)] == ["/Role/MaxSessionDuration"]
    assert (
        "7200 s (2 h) exceeds the max-session-duration of [[roles]] Deploy, 3600 s (1 h)"
        in findings[0].message
    )


def test_xa301_names_every_exceeded_limit_strictest_first(tmp_path: Path) -> None:
    config = ACCOUNTS + '\n[[roles]]\nname = "Batch"\naccount = "dev"\nmax-session-duration = 3600\n'
    findings = _run(xa301, tmp_path, {"role.json": {"Role": _role("Batch", "333333333333", 14400)}}, config)
    message = findings[0].message
    assert message.index("[[roles]] Batch, 3600 s") < message.index("account dev (333333333333), 7200 s")


def test_xa301_limit_below_3600_is_met_by_3600(tmp_path: Path) -> None:
    config = '[accounts.sandbox]\nid = "444444444444"\nmax-session-duration = 900\n'
    quiet = _run(xa301, tmp_path, {"role.json": {"Role": _role("A", "444444444444", 3600)}}, config)
    assert quiet == []
    loud = _run(xa301, tmp_path, {"role.json": {"Role": _role("A", "444444444444", 3601)}}, config)
    assert "900 s (15 min)" in loud[0].message
    assert "3600 s is the lowest MaxSessionDuration IAM accepts" in loud[0].message


@pytest.mark.parametrize("value", [None, 3600, 86400, 100])
def test_xa301_leaves_absent_and_out_of_range_values_alone(tmp_path: Path, value: int | None) -> None:
    # Absent means 3600 (the minimum); values outside 3600..43200 are XA302's.
    assert (
        _run(xa301, tmp_path, {"role.json": {"Role": _role("Prod", "222222222222", value)}}, ACCOUNTS) == []
    )


def test_xa301_without_configured_limits_is_quiet(tmp_path: Path) -> None:
    assert _run(xa301, tmp_path, {"role.json": {"Role": _role("Prod", "222222222222", 43200)}}) == []


def test_xa301_identity_center_role_says_where_to_change_it(tmp_path: Path) -> None:
    role = _role(
        "AWSReservedSSO_Admin_0123456789abcdef",
        "222222222222",
        43200,
        path="/aws-reserved/sso.amazonaws.com/",
    )
    findings = _run(xa301, tmp_path, {"role.json": {"Role": role}}, ACCOUNTS)
    assert "permission set's session duration" in findings[0].message


# -- XA302 invalid-max-session -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (900, "900 is below 3600 s (1 h)"),
        (3599, "3599 is below 3600 s"),
        (43201, "43201 is above 43200 s (12 h)"),
        ("7200", 'MaxSessionDuration "7200" is not an integer'),
        (7200.5, "MaxSessionDuration 7200.5 is not an integer"),
        (True, "MaxSessionDuration true is not an integer"),
        ([3600], "MaxSessionDuration [ 3600 ] is not an integer"),
        (
            {"Seconds": 3600, "Unit": "s", "Note": "a long object"},
            'MaxSessionDuration { "Seconds": 3600, "Unit": "s", "Note... is not',
        ),
    ],
)
def test_xa302_reports_the_written_value(tmp_path: Path, value: Any, words: str) -> None:
    findings = _run(xa302, tmp_path, {"role.json": {"Role": _role("Deploy", "123456789012", value)}})
    assert _spots(findings) == [("role.json", "/Role/MaxSessionDuration", 18, 5)]
    assert words in findings[0].message
    assert findings[0].message.startswith("role Deploy: ")


@pytest.mark.parametrize("value", [3600, 43200, None])
def test_xa302_accepts_the_range_and_the_default(tmp_path: Path, value: int | None) -> None:
    assert _run(xa302, tmp_path, {"role.json": {"Role": _role("Deploy", "123456789012", value)}}) == []


def test_xa302_null_value_is_absent(tmp_path: Path) -> None:
    role = _role("Deploy", "123456789012")
    role["MaxSessionDuration"] = None
    assert _run(xa302, tmp_path, {"role.json": {"Role": role}}) == []


def test_xa302_config_mapping_value_out_of_range_is_reported_in_the_config(tmp_path: Path) -> None:
    config = """[accounts.prod]
id = "222222222222"

[[roles]]
name = "Deploy"
account = "prod"
trust-policy = "trust.json"
max-session-duration = 50000
"""
    trust = _doc(
        _allow({"AWS": SEC}, "sts:AssumeRole", {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}})
    )
    findings = _run(xa302, tmp_path, {"trust.json": trust}, config)
    assert _spots(findings) == [("xacct-lint.toml", "", 8, 1)]
    assert "50000 is above 43200 s (12 h)" in findings[0].message


# -- XA305 unrestricted-session-tags -------------------------------------------------------------------------

ALLOWLIST = """[session-tags]
allowed-keys = ["Project", "Department", "team-*"]
allowed-transitive-keys = ["Project"]
"""
TAGGING = ["sts:AssumeRole", "sts:TagSession"]


def _xa305(tmp_path: Path, document: Any, config: str | None = None, **kw: Any) -> list[Finding]:
    return _run(xa305, tmp_path, {"trust.json": document}, config, **kw)


def test_xa305_without_allowlist_reports_tagsession_without_key_condition(tmp_path: Path) -> None:
    findings = _xa305(tmp_path, _doc(_allow({"AWS": MASTER}, TAGGING)))
    assert [p.logical_path for p in _places(findings)] == ["/Statement/0/Action/1"]
    finding = findings[0]
    assert "can pass session tag key 'ZZfresh0value' (any key not listed) with --tags" in finding.message
    assert "named by no condition of this policy" in finding.message
    assert finding.witness is not None and finding.witness["context"]["aws:TagKeys"] == "ZZfresh0value"
    assert finding.reproduce is not None and "--tags Key=ZZfresh0value,Value=x" in finding.reproduce
    assert finding.precision is Precision.EXACT


def test_xa305_without_allowlist_accepts_keys_the_policy_lists_with_forallvalues(tmp_path: Path) -> None:
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Department"]}}
    assert _xa305(tmp_path, _doc(_allow({"AWS": SEC}, TAGGING, condition))) == []


def test_xa305_forallvalues_star_names_nothing(tmp_path: Path) -> None:
    condition = {"ForAllValues:StringLike": {"aws:TagKeys": "*"}}
    findings = _xa305(tmp_path, _doc(_allow({"AWS": SEC}, TAGGING, condition)))
    assert [p.logical_path for p in _places(findings)] == [
        "/Statement/0/Condition/ForAllValues:StringLike/aws:TagKeys"
    ]


def test_xa305_foranyvalue_is_the_classic_mistake(tmp_path: Path) -> None:
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["Project", "Department"]}}
    findings = _xa305(tmp_path, _doc(_allow({"AWS": SEC}, TAGGING, condition)))
    assert [p.logical_path for p in _places(findings)] == [
        "/Statement/0/Condition/ForAnyValue:StringEquals/aws:TagKeys"
    ]
    assert "ForAnyValue needs only one listed key" in findings[0].message
    assert findings[0].witness is not None
    keys = findings[0].witness["context"]["aws:TagKeys"]
    assert isinstance(keys, list) and "ZZfresh0value" in keys and len(keys) == 2


def test_xa305_required_request_tags_do_not_stop_an_extra_key(tmp_path: Path) -> None:
    # The AWS documentation example: three RequestTag keys required, nothing said about others. The witness
    # needs TagKeys with all three plus one more (four elements): the search grows TagKeys by the RequestTags.
    condition = {
        "StringLike": {
            "aws:RequestTag/Project": "*",
            "aws:RequestTag/CostCenter": "*",
            "aws:RequestTag/Department": "*",
        }
    }
    findings = _xa305(tmp_path, _doc(_allow({"AWS": SEC}, TAGGING, condition)))
    assert findings, "an unnamed fourth tag key rides along"
    assert findings[0].witness is not None
    keys = findings[0].witness["context"]["aws:TagKeys"]
    assert sorted(keys) == ["CostCenter", "Department", "Project", "ZZfresh0value"]


def test_xa305_allowlist_is_case_insensitive_and_takes_wildcards(tmp_path: Path) -> None:
    condition = {
        "ForAllValues:StringEquals": {
            "aws:TagKeys": ["project", "DEPARTMENT", "team-a"],
            "sts:TransitiveTagKeys": "PROJECT",
        }
    }
    assert _xa305(tmp_path, _doc(_allow({"AWS": SEC}, TAGGING, condition)), ALLOWLIST) == []


def test_xa305_allowlist_reports_a_listed_key_outside_it(tmp_path: Path) -> None:
    condition = {
        "ForAllValues:StringEquals": {
            "aws:TagKeys": ["Project", "CostCenter"],
            "sts:TransitiveTagKeys": "Project",
        }
    }
    findings = _xa305(tmp_path, _doc(_allow({"AWS": SEC}, TAGGING, condition)), ALLOWLIST)
    assert len(findings) == 1
    assert "session tag key 'CostCenter'" in findings[0].message
    assert "not in [session-tags] allowed-keys (Project, Department, team-*)" in findings[0].message


def test_xa305_transitive_keys_are_asked_only_with_an_allowlist(tmp_path: Path) -> None:
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Department"]}}
    document = _doc(_allow({"AWS": SEC}, TAGGING, condition))
    assert _xa305(tmp_path, document) == []
    findings = _xa305(tmp_path, document, ALLOWLIST)
    assert [p.logical_path for p in _places(findings)] == ["/Statement/0/Condition"]
    assert "transitive tag key 'Department' with --transitive-tag-keys" in findings[0].message
    assert "allowed-transitive-keys (Project)" in findings[0].message


def test_xa305_separate_tagsession_statement_needs_the_assume_side_too(tmp_path: Path) -> None:
    document = _doc(
        _allow({"AWS": MASTER}, "sts:AssumeRole", {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}}),
        _allow({"AWS": MASTER}, "sts:TagSession"),
    )
    findings = _xa305(tmp_path, document)
    assert [p.logical_path for p in _places(findings)] == ["/Statement/1/Action"]
    reproduce = findings[0].reproduce
    assert reproduce is not None
    assert "--external-id k3v9q2m7x4p8w1z6" in reproduce and "--tags Key=ZZfresh0value" in reproduce


def test_xa305_assume_side_restriction_protects_a_bare_tagsession_statement(tmp_path: Path) -> None:
    document = _doc(
        _allow({"AWS": SEC}, "sts:AssumeRole", {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project"]}}),
        _allow({"AWS": SEC}, "sts:TagSession"),
    )
    assert _xa305(tmp_path, document) == []


def test_xa305_contradicting_sides_give_a_note_not_silence(tmp_path: Path) -> None:
    # Each side allows an unnamed key alone; no single request passes both (Department differs). The rule says
    # it could not decide instead of calling the policy clean or claiming a witness.
    document = _doc(
        _allow({"AWS": SEC}, "sts:AssumeRole", {"StringEquals": {"aws:RequestTag/Department": "Marketing"}}),
        _allow(
            {"AWS": SEC}, "sts:TagSession", {"StringEquals": {"aws:RequestTag/Department": "Engineering"}}
        ),
    )
    findings = _xa305(tmp_path, document)
    assert [(f.severity, f.precision) for f in findings] == [(Severity.NOTE, Precision.UNKNOWN)]
    assert "could not decide" in findings[0].message
    assert [p.logical_path for p in _places(findings)] == ["/Statement/1/Condition"]


def test_xa305_deny_of_other_keys_makes_it_quiet(tmp_path: Path) -> None:
    document = _doc(
        _allow({"AWS": SEC}, TAGGING),
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "sts:TagSession",
            "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["Project", "Department"]}},
        },
    )
    assert _xa305(tmp_path, document) == []


def test_xa305_saml_tags_come_from_principaltag_attributes(tmp_path: Path) -> None:
    condition = {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
    findings = _xa305(
        tmp_path,
        _doc(_allow({"Federated": SAML_PROVIDER}, ["sts:AssumeRoleWithSAML", "sts:TagSession"], condition)),
    )
    assert [p.logical_path for p in _places(findings)] == ["/Statement/0/Condition"]
    assert "a SAML session from provider" in findings[0].message
    assert "PrincipalTag:<key> attribute" in findings[0].message
    reproduce = findings[0].reproduce
    assert reproduce is not None and reproduce.startswith("aws sts assume-role-with-saml")
    assert "PrincipalTag:ZZfresh0value=x" in reproduce


def test_xa305_web_identity_tags_claim(tmp_path: Path) -> None:
    document = _doc(
        _allow(
            {"Federated": "cognito-identity.amazonaws.com"},
            ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:1234"}},
        )
    )
    findings = _xa305(tmp_path, document)
    assert "https://aws.amazon.com/tags claim" in findings[0].message
    assert findings[0].reproduce is not None
    assert findings[0].reproduce.startswith("aws sts assume-role-with-web-identity")


def test_xa305_service_principals_set_their_own_tags(tmp_path: Path) -> None:
    document = _doc(_allow({"Service": "pods.eks.amazonaws.com"}, TAGGING))
    assert _xa305(tmp_path, document) == []


def test_xa305_identity_center_roles_are_skipped_unless_asked(tmp_path: Path) -> None:
    trust = _doc(
        _allow(
            {"Federated": "arn:aws:iam::222222222222:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"},
            ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        )
    )
    role = _role(
        "AWSReservedSSO_Admin_0123456789abcdef",
        "222222222222",
        path="/aws-reserved/sso.amazonaws.com/",
        trust=trust,
    )
    assert _run(xa305, tmp_path, {"role.json": {"Role": role}}) == []
    findings = _run(
        xa305, tmp_path, {"role.json": {"Role": role}}, "[rules.XA305]\ninclude-aws-reserved = true\n"
    )
    assert [p.logical_path for p in _places(findings)] == [
        "/Role/AssumeRolePolicyDocument/Statement/0/Action/1"
    ]


def test_xa305_exhausted_budget_is_a_note(tmp_path: Path) -> None:
    findings = _xa305(tmp_path, _doc(_allow({"AWS": SEC}, TAGGING)), budget=1)
    assert findings and all(
        f.precision is Precision.UNKNOWN and f.severity is Severity.NOTE for f in findings
    )


def test_xa305_statement_order_does_not_change_findings(tmp_path: Path) -> None:
    first = _allow({"AWS": SEC}, TAGGING, {"ForAnyValue:StringEquals": {"aws:TagKeys": "Project"}})
    second = _allow({"AWS": MASTER}, "sts:AssumeRole")
    forward = _xa305(tmp_path, _doc(first, second))
    backward = _xa305(tmp_path, _doc(second, first))
    assert [p.logical_path.replace("/0/", "/#/") for p in _places(forward)] == [
        p.logical_path.replace("/1/", "/#/") for p in _places(backward)
    ]


# -- XA501 assume-role-any-resource --------------------------------------------------------------------------


def _xa501(tmp_path: Path, *statements: Any, config: str | None = None) -> list[Finding]:
    return _run(xa501, tmp_path, {"policy.json": _doc(*statements)}, config)


def _grant(
    resource: Any = "*", action: Any = "sts:AssumeRole", condition: Any = None, key: str = "Resource"
) -> Any:
    statement = {"Effect": "Allow", "Action": action, key: resource}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def test_xa501_resource_star_is_an_error_with_a_target_witness(tmp_path: Path) -> None:
    findings = _xa501(tmp_path, _grant())
    assert _spots(findings) == [("policy.json", "/Statement/0/Resource", 7, 7)]
    finding = findings[0]
    assert finding.severity is None  # the rule's default: error
    assert xa501.META.severity is Severity.ERROR
    target = "arn:aws:iam::888877776666:role/ZZfreshRole0"
    assert finding.witness is not None and finding.witness["resource"] == target
    assert finding.reproduce is not None and f"--role-arn {target}" in finding.reproduce
    assert "any role in any account through Resource '*'" in finding.message


@pytest.mark.parametrize("action", ["sts:*", "sts:Assume*", "*", ["iam:PassRole", "sts:AssumeRole"]])
def test_xa501_action_wildcards(tmp_path: Path, action: Any) -> None:
    assert len(_xa501(tmp_path, _grant(action=action))) == 1


def test_xa501_notaction_covering_assume_role(tmp_path: Path) -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert [p.logical_path for p in _places(_xa501(tmp_path, statement))] == ["/Statement/0/Resource"]


def test_xa501_whole_account_wildcard_is_a_warning(tmp_path: Path) -> None:
    findings = _xa501(tmp_path, _grant("arn:aws:iam::222222222222:role/*"))
    assert [f.severity for f in findings] == [Severity.WARNING]
    assert "every role of account 222222222222" in findings[0].message


def test_xa501_recipe_prefix_wildcard_is_quiet(tmp_path: Path) -> None:
    resources = [
        "arn:aws:iam::222222222222:role/CrossAccount-*",
        "arn:aws:iam::333333333333:role/CrossAccount-*",
    ]
    assert _xa501(tmp_path, _grant(resources, ["sts:AssumeRole", "sts:TagSession"])) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}},
        {"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}},
        {
            "StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"},
            "ArnLike": {"aws:PrincipalArn": "x"},
        },
    ],
)
def test_xa501_target_restrictions_quiet_the_any_account_question(tmp_path: Path, condition: Any) -> None:
    findings = _xa501(tmp_path, _grant(condition=condition))
    assert all(f.severity is Severity.WARNING for f in findings)  # at most the own-account warning


def test_xa501_own_account_by_principal_account_variable(tmp_path: Path) -> None:
    condition = {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}
    findings = _xa501(tmp_path, _grant(condition=condition))
    assert [f.severity for f in findings] == [Severity.WARNING]
    assert "every role of the principal's own account" in findings[0].message


def test_xa501_configured_organisation_counts_as_ours(tmp_path: Path) -> None:
    condition = {"StringNotEquals": {"aws:ResourceOrgID": "o-zzzzzzzzzz"}}  # a deny-list: others' orgs pass
    assert len(_xa501(tmp_path, _grant(condition=condition))) == 1
    config = 'organization-ids = ["o-a1b2c3d4e5"]\n'
    condition = {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}
    assert _xa501(tmp_path, _grant(condition=condition), config=config) == []


def test_xa501_resource_tags_do_not_restrict_an_outsider(tmp_path: Path) -> None:
    condition = {"StringEquals": {"aws:ResourceTag/team": "platform"}}
    findings = _xa501(tmp_path, _grant(condition=condition))
    assert findings[0].witness is not None
    assert findings[0].witness["context"]["aws:ResourceTag/team"] == "platform"
    abac = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
    assert _xa501(tmp_path, _grant("arn:aws:iam::222222222222:role/*", condition=abac)) == []


def test_xa501_deny_outside_the_organisation(tmp_path: Path) -> None:
    deny = {
        "Effect": "Deny",
        "Action": "sts:AssumeRole",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}},
    }
    assert _xa501(tmp_path, _grant(), deny) == []


def test_xa501_notresource_that_excludes_few_roles(tmp_path: Path) -> None:
    findings = _xa501(tmp_path, _grant(["arn:aws:iam::222222222222:role/Admin"], key="NotResource"))
    assert [p.logical_path for p in _places(findings)] == ["/Statement/0/NotResource"]
    assert "which does not exclude it" in findings[0].message


def test_xa501_ignores_trust_policies(tmp_path: Path) -> None:
    trust = _allow({"AWS": SEC}, "sts:AssumeRole")
    assert _xa501(tmp_path, trust) == []


def test_xa501_inline_policy_of_a_role_uses_the_role_session(tmp_path: Path) -> None:
    role = _role("Ci", "111111111111")
    role["RolePolicyList"] = [{"PolicyName": "p", "PolicyDocument": _doc(_grant())}]
    findings = _run(xa501, tmp_path, {"authz.json": {"RoleDetailList": [role]}})
    assert [p.logical_path for p in _places(findings)] == [
        "/RoleDetailList/0/RolePolicyList/0/PolicyDocument/Statement/0/Resource"
    ]
    assert findings[0].witness is not None
    assert findings[0].witness["principal"]["arn"] == "arn:aws:iam::111111111111:role/Ci"


# -- the evaluator changes these rules rely on ---------------------------------------------------------------


def test_search_respects_the_kind_resource() -> None:
    document = _document(
        _doc(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::222222222222:role/A"},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::333333333333:role/*"},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/*"},
        )
    )
    caller = Caller(CallerType.USER, "arn:aws:iam::111111111111:user/u", "111111111111")
    kinds = {
        target: RequestKind("k", "sts:AssumeRole", frozenset({CallerType.USER}), resource=target)
        for target in ("arn:aws:iam::222222222222:role/A", "arn:aws:iam::333333333333:role/B")
    }
    first = find_request(document, kinds["arn:aws:iam::222222222222:role/A"], callers=[caller])
    assert isinstance(first, Witness) and first.statement.index == 0
    assert first.to_dict()["resource"] == "arn:aws:iam::222222222222:role/A"
    # The Deny covers B (before the fix, the search ignored Resource and raised WitnessDisagreementError).
    assert isinstance(
        find_request(document, kinds["arn:aws:iam::333333333333:role/B"], callers=[caller]), NoneExists
    )


def test_search_tag_keys_include_required_request_tags() -> None:
    document = _document(
        _doc(
            _allow(
                {"AWS": SEC},
                TAGGING,
                {
                    "StringLike": {
                        "aws:RequestTag/Project": "*",
                        "aws:RequestTag/CostCenter": "*",
                        "aws:RequestTag/Department": "*",
                    }
                },
            )
        )
    )
    allowed = {"project", "costcenter", "department"}
    pin = KeyPin(lambda value: value is not None and any(k.casefold() not in allowed for k in value))
    kind = tag_session_kind(assume_role_kind("999988887777", foreign_only=False))
    assert kind.action == "sts:TagSession"
    result = find_request(document, kind, {"aws:TagKeys": pin})
    assert isinstance(result, Witness)
    assert len(result.request.context["aws:tagkeys"]) == 4


def test_search_transitive_keys_draw_on_tag_key_constants() -> None:
    document = _document(
        _doc(
            _allow(
                {"AWS": SEC},
                TAGGING,
                {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Department"]}},
            )
        )
    )
    pin = KeyPin(lambda value: value is not None and any(k != "Project" for k in value), ("Project",))
    result = find_request(
        document, tag_session_kind(assume_role_kind(None, foreign_only=False)), {"sts:TransitiveTagKeys": pin}
    )
    assert isinstance(result, Witness)
    assert result.request.context["sts:transitivetagkeys"] == ("Department",)


def test_tag_session_witness_reproduces_through_the_saml_call() -> None:
    document = _document(
        _doc(_allow({"Federated": SAML_PROVIDER}, ["sts:AssumeRoleWithSAML", "sts:TagSession"]))
    )
    pin = KeyPin(lambda value: value is not None and len(value) > 0)
    result = find_request(document, tag_session_kind(saml_kind()), {"aws:TagKeys": pin})
    assert isinstance(result, Witness)
    assert result.reproduce("arn:aws:iam::111111111111:role/R").startswith("aws sts assume-role-with-saml")


def test_absent_key_decides_a_positive_condition_despite_an_unresolvable_variable() -> None:
    document = _document(
        _doc(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
            }
        )
    )
    entry = document.statements[0].conditions[0]
    assert entry_holds(entry, {}, True) == (False, False)
    # A negated operator on an absent key still depends on how the variable is treated: unchanged.
    negated = _document(
        _doc(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
            }
        )
    )
    assert entry_holds(negated.statements[0].conditions[0], {}, True) == (False, True)
    caller = Caller(CallerType.USER, "arn:aws:iam::111111111111:user/u", "111111111111")
    decision = evaluate(document, Request(caller, "sts:AssumeRole", "arn:aws:iam::1:role/x", {}))
    assert decision.effect is Effect.IMPLICIT_DENY and not decision.unresolved_variables


def test_rules_have_no_unexpected_options() -> None:
    # XA305's only option is documented in its docstring; the others have none.
    assert "include-aws-reserved" in (xa305.__doc__ or "")
    for module in (xa301, xa302, xa501):
        assert "no options" in (module.__doc__ or "")
    assert Config().allowed_tag_keys is None
