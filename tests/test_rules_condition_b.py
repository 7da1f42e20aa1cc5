"""Unit tests for the condition rules XA206 (broad-source-ip), XA207 (vacuous-forallvalues), XA208
(never-matching-condition) and XA209 (requested-region-on-sts): ids, pointers, positions, severities,
witnesses, options and the tricky forms (ForAnyValue, Null guards, values that OR, aws:PrincipalAccount).

Policies are built in memory from JSON text, so positions are real; expected positions are found in that
text independently of the engine (the first character of the quoted needle). The fixture harness covers the
same rules through the loader.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import pytest

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, Severity
from xacct_lint.engine.runner import place_of
from xacct_lint.evaluate.concrete import Caller, CallerType, Effect, Request, evaluate
from xacct_lint.evaluate.search import NoneExists, find_request, saml_kind, service_kind
from xacct_lint.iamdb import IamDatabaseUnavailable
from xacct_lint.model.config import Config, ConfigError
from xacct_lint.model.inventory import Model, Policy, PolicyKind
from xacct_lint.parse.json_tree import parse_json
from xacct_lint.parse.policy import build_policy
from xacct_lint.parse.source import SourceFile

XA206 = importlib.import_module("xacct_lint.rules.xa206_broad_source_ip")
XA207 = importlib.import_module("xacct_lint.rules.xa207_vacuous_forallvalues")
XA208 = importlib.import_module("xacct_lint.rules.xa208_never_matching_condition")
XA209 = importlib.import_module("xacct_lint.rules.xa209_requested_region_on_sts")

OWN = "222222222222"
HUB = "111111111111"
ACCOUNT = {"AWS": f"arn:aws:iam::{HUB}:root"}
MASTER = {"AWS": f"arn:aws:iam::{HUB}:role/MasterCrossAccountRole-a1b2c3"}
SAML = {"Federated": f"arn:aws:iam::{HUB}:saml-provider/CorporateIdP"}
AUD = {"SAML:aud": "https://signin.aws.amazon.com/saml"}
EXTERNAL_ID = {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}


def statement(
    condition: dict[str, Any] | None = None,
    *,
    effect: str = "Allow",
    principal: dict[str, Any] | None = None,
    action: str | list[str] = "sts:AssumeRole",
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, "Principal": principal or ACCOUNT, "Action": action}
    if condition is not None:
        out["Condition"] = condition
    return out


def policy(
    *statements: dict[str, Any], kind: PolicyKind = PolicyKind.TRUST, account: str | None = OWN
) -> Policy:
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)
    source = SourceFile(f"{kind.value}.json", text)
    document = build_policy(parse_json(text).root)
    return Policy(document, kind, False, source, "", account_id=account)


def identity(*statements: dict[str, Any]) -> Policy:
    return policy(*statements, kind=PolicyKind.IDENTITY)


def run(
    rule: ModuleType, *policies: Policy, config: Config | None = None, budget: int = 100_000
) -> list[Finding]:
    model = Model(sources=[p.source for p in policies], policies=list(policies))
    return list(rule.check(RuleContext(model, config or Config(), search_budget=budget)))


def spots(findings: Sequence[Finding]) -> list[tuple[str, str, int, int]]:
    """Return (rule id, pointer, line, column) of each finding, sorted."""
    out = []
    for finding in findings:
        place = place_of(finding.location)
        assert place.region is not None
        out.append((finding.rule_id, place.logical_path, place.region.start.line, place.region.start.column))
    return sorted(out)


def at(target: Policy, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """Return the 1-based (line, column) of the ``occurrence``-th quoted ``needle`` in the policy text."""
    text = target.source.text
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(f'"{needle}"', index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def effective(finding: Finding, rule: ModuleType) -> Severity:
    default: Severity = rule.META.severity
    return finding.severity or default


# -- XA206 broad-source-ip ---------------------------------------------------------------------------------


def test_xa206_reports_each_bad_value_at_the_value() -> None:
    values = ["0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24", "3.0.0.0/9", "34.223.12.0/24", "office", "::/0"]
    target = policy(statement({"IpAddress": {"aws:SourceIp": values}, "StringEquals": EXTERNAL_ID}))
    findings = run(XA206, target)
    base = "/Statement/0/Condition/IpAddress/aws:SourceIp"
    assert spots(findings) == sorted(
        ("XA206", f"{base}/{i}", *at(target, values[i])) for i in (0, 1, 2, 3, 5, 6)
    )
    by_pointer = {place_of(f.location).logical_path: f for f in findings}
    assert "matches every IPv4 address" in by_pointer[f"{base}/0"].message
    assert (
        "RFC 1918" in by_pointer[f"{base}/1"].message and "aws:VpcSourceIp" in by_pointer[f"{base}/1"].message
    )
    assert "documentation range TEST-NET-3" in by_pointer[f"{base}/2"].message
    assert "/9 block of 8,388,608 addresses" in by_pointer[f"{base}/3"].message
    assert "UNCONFIRMED" in by_pointer[f"{base}/5"].message
    assert effective(by_pointer[f"{base}/5"], XA206) is Severity.ERROR
    assert effective(by_pointer[f"{base}/0"], XA206) is Severity.WARNING


@pytest.mark.parametrize(
    "value",
    ["172.16.5.0/24", "100.64.0.0/10", "127.0.0.1", "169.254.169.254", "fd12:3456::/48", "fe80::1", "::1",
     "2001:db8::/32", "198.18.0.0/15", "224.0.0.1"],
)  # fmt: skip
def test_xa206_never_source_ranges(value: str) -> None:
    target = policy(statement({"IpAddressIfExists": {"aws:SourceIp": value}}))
    findings = run(XA206, target)
    assert spots(findings) == [
        ("XA206", "/Statement/0/Condition/IpAddressIfExists/aws:SourceIp", *at(target, "aws:SourceIp"))
    ]
    assert value in findings[0].message


def test_xa206_a_range_that_only_overlaps_a_private_block_is_judged_by_width() -> None:
    # 10.0.0.0/7 is 10/8 (private) plus 11/8 (public): not "never a source", but far too wide.
    findings = run(XA206, policy(statement({"IpAddress": {"aws:SourceIp": "10.0.0.0/7"}})))
    assert len(findings) == 1 and "/7 block" in findings[0].message


def test_xa206_wide_values_that_narrow_access_are_quiet_but_dead_values_are_not() -> None:
    narrowing = identity(
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
        },
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["3.0.0.0/9", "192.168.0.0/16"]}},
        },
    )
    findings = run(XA206, narrowing)
    assert [place_of(f.location).logical_path for f in findings] == [
        "/Statement/1/Condition/NotIpAddress/aws:SourceIp/1"
    ]
    assert "excluding it excludes nobody" in findings[0].message


def test_xa206_deny_with_not_ip_address_widens() -> None:
    target = identity(
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["0.0.0.0/0", "45.0.0.0/8", "34.223.12.0/24"]}}}
    )  # fmt: skip
    messages = {place_of(f.location).logical_path: f.message for f in run(XA206, target)}
    base = "/Statement/0/Condition/NotIpAddress/aws:SourceIp"
    assert set(messages) == {f"{base}/0", f"{base}/1"}
    assert "this Deny exempts callers from every IPv4 address" in messages[f"{base}/0"]
    assert "exempts every caller in it from this Deny" in messages[f"{base}/1"]


def test_xa206_options_move_the_width_limit() -> None:
    target = policy(statement({"IpAddress": {"aws:SourceIp": ["3.0.0.0/9", "2600:1f00::/24", "0.0.0.0/0"]}}))
    assert len(run(XA206, target)) == 3
    relaxed = Config(rule_options={"XA206": {"max-prefix-v4": 8, "max-prefix-v6": 24}})
    assert [f.message.split(" ")[0] for f in run(XA206, target, config=relaxed)] == ["0.0.0.0/0"]
    strict = Config(rule_options={"XA206": {"max-prefix-v4": 24}})
    wide24 = policy(statement({"IpAddress": {"aws:SourceIp": "34.223.0.0/20"}}))
    assert len(run(XA206, wide24, config=strict)) == 1
    assert run(XA206, wide24) == []


@pytest.mark.parametrize("bad", ["16", 33, -1, True, 1.5])
def test_xa206_invalid_option_is_a_configuration_error(bad: object) -> None:
    config = Config(rule_options={"XA206": {"max-prefix-v4": bad}})
    with pytest.raises(ConfigError, match="max-prefix-v4"):
        run(XA206, policy(statement({"IpAddress": {"aws:SourceIp": "3.0.0.0/9"}})), config=config)


def test_xa206_ignores_other_keys_operators_and_policy_variables() -> None:
    target = policy(
        statement(
            {"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}, "StringEquals": {"aws:SourceIp": "0.0.0.0/0"}}
        ),
        statement({"IpAddress": {"aws:SourceIp": "${aws:PrincipalTag/office-cidr}"}}),
    )
    assert run(XA206, target) == []


# -- XA207 vacuous-forallvalues ----------------------------------------------------------------------------


def test_xa207_recipe_saml_department() -> None:
    target = policy(
        statement(
            {
                "StringEquals": AUD,
                "ForAllValues:StringLike": {"SAML:department": ["Engineering", "Security"]},
            },
            principal=SAML,
            action="sts:AssumeRoleWithSAML",
        )
    )
    (finding,) = run(XA207, target)
    pointer = "/Statement/0/Condition/ForAllValues:StringLike/SAML:department"
    assert spots([finding]) == [("XA207", pointer, *at(target, "SAML:department"))]
    assert effective(finding, XA207) is Severity.ERROR
    assert finding.precision is Precision.EXACT
    assert "carries no SAML:department" in finding.message
    assert "not a SAML condition key AWS documents" in finding.message
    assert "every user of the identity provider passes" in finding.message
    assert (
        "ForAnyValue:StringLike" in finding.message
        and '"Null": {"SAML:department": "false"}' in finding.message
    )
    assert "aws:RequestTag/department" in finding.message
    assert finding.witness is not None
    assert finding.witness["context"]["SAML:department"] is None
    assert finding.witness["action"] == "sts:AssumeRoleWithSAML"
    assert finding.reproduce is not None and finding.reproduce.startswith("aws sts assume-role-with-saml")


def test_xa207_witness_is_allowed_by_the_evaluator() -> None:
    target = policy(statement({"ForAllValues:StringEquals": {"aws:PrincipalTag/team": ["platform"]}}))
    (finding,) = run(XA207, target)
    assert finding.witness is not None
    principal = finding.witness["principal"]
    assert principal["account"] == HUB and finding.witness["context"] == {"aws:PrincipalTag/team": None}
    caller = Caller(CallerType(principal["type"]), principal["arn"], principal["account"])
    assert evaluate(target.document, Request(caller, finding.witness["action"])).effect is Effect.ALLOW


def test_xa207_single_valued_key_is_an_error_and_says_so() -> None:
    target = policy(
        statement({"ForAllValues:StringEquals": {"aws:PrincipalTag/team": ["platform", "security"]}})
    )
    (finding,) = run(XA207, target)
    assert effective(finding, XA207) is Severity.ERROR
    assert "single-valued" in finding.message and "ForAllValues with single valued key" in finding.message
    assert "use StringEquals without a qualifier" in finding.message


def test_xa207_multivalued_key_is_a_warning() -> None:
    target = policy(
        statement(
            {"ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": ["Department"]}},
            action=["sts:AssumeRole", "sts:TagSession"],
        )
    )
    (finding,) = run(XA207, target)
    assert effective(finding, XA207) is Severity.WARNING
    assert '"Null": {"aws:PrincipalOrgPaths": "false"}' in finding.message


@pytest.mark.parametrize(
    "condition",
    [
        {"ForAnyValue:StringLike": {"SAML:department": ["Engineering"]}},
        {
            "ForAllValues:StringLike": {"SAML:department": ["Engineering"]},
            "Null": {"SAML:department": "false"},
        },
    ],
    ids=["for-any-value", "null-guard"],
)
def test_xa207_quiet_forms(condition: dict[str, Any]) -> None:
    target = policy(
        statement({"StringEquals": AUD, **condition}, principal=SAML, action="sts:AssumeRoleWithSAML")
    )
    assert run(XA207, target) == []


def test_xa207_a_deny_that_refuses_requests_without_the_key_guards_the_allow() -> None:
    allow = statement(
        {"ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": ["Department"]}},
        action=["sts:AssumeRole", "sts:TagSession"],
    )
    deny = statement({"Null": {"aws:PrincipalOrgPaths": "true"}}, effect="Deny", principal={"AWS": "*"})
    assert run(XA207, policy(allow, deny)) == []
    assert len(run(XA207, policy(allow))) == 1


def test_xa207_deny_statements_only_get_the_single_valued_note() -> None:
    multi = statement(
        {"ForAllValues:StringNotEquals": {"aws:PrincipalOrgPaths": ["Department"]}}, effect="Deny"
    )
    single = statement(
        {"ForAllValues:StringNotEquals": {"aws:PrincipalTag/team": ["platform"]}}, effect="Deny"
    )
    target = policy(statement({"StringEquals": EXTERNAL_ID}), multi, single)
    (finding,) = run(XA207, target)
    assert (
        place_of(finding.location).logical_path
        == "/Statement/2/Condition/ForAllValues:StringNotEquals/aws:PrincipalTag~1team"
    )
    assert effective(finding, XA207) is Severity.NOTE and finding.witness is None


def test_xa207_identity_policy_uses_the_statements_action_and_no_sts_reproduce() -> None:
    target = identity(
        {"Effect": "Allow", "Action": "iam:Create*", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": ["Department"]}}}
    )  # fmt: skip
    (finding,) = run(XA207, target)
    assert finding.witness is not None and finding.witness["action"] == "iam:CreateProbe"
    assert finding.reproduce is None


def test_xa207_undecided_search_is_a_note_not_silence() -> None:
    target = policy(
        statement(
            {"StringEquals": {**EXTERNAL_ID, "aws:PrincipalOrgID": "o-a1b2c3d4e5"},
             "ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": ["Department", "Project"]},
             "StringLike": {"sts:RoleSessionName": ["ci-*", "ops-*"]}},
            action=["sts:AssumeRole", "sts:TagSession"],
        )
    )  # fmt: skip
    (finding,) = run(XA207, target, budget=2)
    assert finding.precision is Precision.UNKNOWN and effective(finding, XA207) is Severity.NOTE
    assert "could not decide" in finding.message


# -- XA208 never-matching-condition -----------------------------------------------------------------------


def test_xa208_recipe_prod_userid() -> None:
    target = policy(
        statement(
            {"StringEquals": EXTERNAL_ID, "Bool": {"aws:MultiFactorAuthPresent": "true"},
             "StringLike": {"aws:userid": f"*:{HUB}:*"}},
            principal=MASTER,
        )
    )  # fmt: skip
    (finding,) = run(XA208, target)
    assert spots([finding]) == [
        ("XA208", "/Statement/0/Condition/StringLike/aws:userid", *at(target, "aws:userid"))
    ]
    assert effective(finding, XA208) is Severity.ERROR
    assert f"no user ID contains ':{HUB}:'" in finding.message
    assert "AROA…:<role-session-name>" in finding.message
    assert f'"aws:PrincipalAccount": "{HUB}"' in finding.message
    assert finding.witness is None and finding.precision is Precision.EXACT


def test_xa208_principal_account_and_alternative_values_are_alive() -> None:
    fixed = statement({"StringEquals": {**EXTERNAL_ID, "aws:PrincipalAccount": HUB}}, principal=MASTER)
    alternatives = statement(
        {"StringLike": {"aws:userid": [f"*:{HUB}:*", "AROAEXAMPLEROLEID0001:*"]}}, principal=MASTER
    )
    assert run(XA208, policy(fixed, alternatives)) == []


def test_xa208_keys_the_api_never_carries() -> None:
    target = policy(
        statement(
            {"StringEquals": {**AUD, "sts:ExternalId": "x1y2z3"}},
            principal=SAML,
            action="sts:AssumeRoleWithSAML",
        ),
        statement({"StringEquals": {"saml:aud": "https://signin.aws.amazon.com/saml"}}),
        statement({"NumericLessThanEquals": {"sts:DurationSeconds": "3600"}}),
    )
    findings = run(XA208, target)
    assert [
        place_of(f.location).logical_path for f in sorted(findings, key=lambda f: f.location.pointer)
    ] == [
        "/Statement/0/Condition/StringEquals/sts:ExternalId",
        "/Statement/1/Condition/StringEquals/saml:aud",
        "/Statement/2/Condition/NumericLessThanEquals/sts:DurationSeconds",
    ]
    text = " | ".join(f.message for f in findings)
    assert "only by the ExternalId parameter of AssumeRole" in text
    assert "only AssumeRoleWithSAML requests carry" in text
    assert "not present for AWS STS assume-role operations" in text


def test_xa208_keys_that_reach_chained_sessions_and_services_are_not_dead() -> None:
    target = policy(
        statement({"StringEquals": {"saml:sub": "alice@example.com"}}, principal=MASTER),
        statement(
            {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}}, principal=MASTER
        ),
        statement(
            {"StringEquals": {"sts:ExternalId": "4b1d8c6f"}},
            principal={"Service": "cognito-idp.amazonaws.com"},
        ),
    )
    assert run(XA208, target) == []
    cognito = target.document.statements[2]
    assert not isinstance(find_request(target.document, service_kind(), only_statement=cognito), NoneExists)


def test_xa208_contradictory_ranges_blame_the_pair() -> None:
    target = policy(
        statement(
            {"StringEquals": EXTERNAL_ID, "NumericLessThan": {"aws:MultiFactorAuthAge": "10"},
             "NumericGreaterThan": {"aws:MultiFactorAuthAge": "20"}}
        )
    )  # fmt: skip
    (finding,) = run(XA208, target)
    assert (
        place_of(finding.location).logical_path
        == "/Statement/0/Condition/NumericLessThan/aws:MultiFactorAuthAge"
    )
    assert [place_of(loc).logical_path for loc, _ in finding.related] == [
        "/Statement/0/Condition/NumericGreaterThan/aws:MultiFactorAuthAge"
    ]
    assert "cannot hold together" in finding.message


def test_xa208_invalid_values_say_so() -> None:
    (finding,) = run(XA208, policy(statement({"DateLessThan": {"aws:CurrentTime": "next tuesday"}})))
    assert "none of its values is a date" in finding.message


def test_xa208_deny_that_never_applies_is_a_warning() -> None:
    deny = statement(
        {"StringLike": {"aws:userid": "*:444455556666:*"}}, effect="Deny", principal={"AWS": "*"}
    )
    target = policy(statement({"StringEquals": EXTERNAL_ID}), deny)
    (finding,) = run(XA208, target)
    assert place_of(finding.location).logical_path == "/Statement/1/Condition/StringLike/aws:userid"
    assert effective(finding, XA208) is Severity.WARNING
    assert "never applies" in finding.message
    applying = statement(
        {"StringNotEquals": {"aws:PrincipalAccount": HUB}}, effect="Deny", principal={"AWS": "*"}
    )
    assert run(XA208, policy(statement({"StringEquals": EXTERNAL_ID}), applying)) == []


def test_xa208_partly_dead_statement_is_a_warning_for_the_dead_kind() -> None:
    both = statement(
        {"StringEquals": EXTERNAL_ID},
        principal={"AWS": f"arn:aws:iam::{HUB}:root", "Federated": SAML["Federated"]},
        action=["sts:AssumeRole", "sts:AssumeRoleWithSAML"],
    )
    (finding,) = run(XA208, policy(both))
    assert effective(finding, XA208) is Severity.WARNING
    assert "AssumeRoleWithSAML request" in finding.message


def test_xa208_leaves_mfa_on_federated_statements_to_xa204() -> None:
    mfa = statement(
        {"StringEquals": AUD, "Bool": {"aws:MultiFactorAuthPresent": "true"}},
        principal=SAML,
        action="sts:AssumeRoleWithSAML",
    )
    target = policy(mfa)
    assert isinstance(
        find_request(target.document, saml_kind(), only_statement=target.document.statements[0]), NoneExists
    )
    assert run(XA208, target) == []


def test_xa208_principal_problems_are_not_condition_problems() -> None:
    # A unique-ID principal (a deleted role) admits no caller even without conditions: other rules' business.
    orphan = statement({"StringEquals": EXTERNAL_ID}, principal={"AWS": "AROAEXAMPLEORPHANED01"})
    assert run(XA208, policy(orphan)) == []


def test_xa208_only_trust_policies() -> None:
    target = identity(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "*",
            "Condition": {"StringLike": {"aws:userid": f"*:{HUB}:*"}},
        }
    )
    assert run(XA208, target) == []


# -- XA209 requested-region-on-sts --------------------------------------------------------------------------


def test_xa209_trust_allowlist_blocks_the_global_endpoint() -> None:
    target = policy(statement({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}))
    (finding,) = run(XA209, target)
    assert spots([finding]) == [
        (
            "XA209",
            "/Statement/0/Condition/StringEquals/aws:RequestedRegion",
            *at(target, "aws:RequestedRegion"),
        )
    ]
    assert effective(finding, XA209) is Severity.WARNING
    assert "us-east-1" in finding.message and "eu-west-1, eu-central-1" in finding.message
    assert "sts.amazonaws.com" in finding.message and "regional" in finding.message


def test_xa209_guardrail_deny_with_and_without_sts_exemption() -> None:
    def guardrail(not_action: list[str]) -> Policy:
        return identity(
            {"Effect": "Deny", "NotAction": not_action, "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}
        )  # fmt: skip

    (finding,) = run(XA209, guardrail(["iam:*", "organizations:*"]))
    assert "every STS action (sts:*)" in finding.message and "this Deny refuses" in finding.message
    assert run(XA209, guardrail(["iam:*", "sts:*"])) == []


def test_xa209_us_east_1_allowed_is_a_note() -> None:
    target = identity(
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}
    )  # fmt: skip
    (finding,) = run(XA209, target)
    assert effective(finding, XA209) is Severity.NOTE
    assert "sts:AssumeRole and sts:TagSession" in finding.message
    assert "does not confine" in finding.message


def test_xa209_quiet_without_sts_actions_null_tests_or_variables() -> None:
    def allow(action: str, condition: dict[str, Any]) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": action, "Resource": "*", "Condition": condition}

    target = identity(
        allow("s3:*", {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
        allow("sts:AssumeRole", {"Null": {"aws:RequestedRegion": "false"}}),
        allow("sts:*", {"StringEquals": {"aws:RequestedRegion": "${aws:PrincipalTag/home-region}"}}),
    )
    assert run(XA209, target) == []


def test_xa209_falls_back_to_built_in_sts_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(self: RuleContext) -> None:
        raise IamDatabaseUnavailable("no database in this test")

    monkeypatch.setattr(RuleContext, "iamdb", unavailable)
    target = identity(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        }
    )
    (finding,) = run(XA209, target)
    assert "every STS action" in finding.message


# -- properties shared by the four rules ---------------------------------------------------------------------


@pytest.mark.parametrize("rule", [XA206, XA207, XA208, XA209], ids=lambda r: r.META.id)
def test_findings_do_not_depend_on_statement_order(rule: ModuleType) -> None:
    statements = [
        statement({"IpAddress": {"aws:SourceIp": ["0.0.0.0/0", "10.0.0.0/8"]}}),
        statement({"ForAllValues:StringEquals": {"aws:PrincipalTag/team": ["a"]}}),
        statement({"StringLike": {"aws:userid": f"*:{HUB}:*"}}, principal=MASTER),
        statement({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
    ]

    def summary(findings: list[Finding], order: list[int]) -> list[tuple[int, str, str]]:
        out = []
        for f in findings:
            index, _, rest = f.location.pointer.removeprefix("/Statement/").partition("/")
            out.append((order[int(index)], rest, f.message.replace(f"/Statement/{index}", "/Statement/#")))
        return sorted(out)

    forward = summary(run(rule, policy(*statements)), [0, 1, 2, 3])
    backward = summary(run(rule, policy(*reversed(statements))), [3, 2, 1, 0])
    assert forward == backward and forward
