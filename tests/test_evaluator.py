"""The concrete evaluator against the fact sheet (iam-facts.md §6, §7) and the AWS documentation examples."""

from __future__ import annotations

import json
from typing import Any

import pytest

from xacct_lint.evaluate.concrete import Caller, CallerType, Effect, Request, evaluate, substitute
from xacct_lint.evaluate.operators import condition_holds
from xacct_lint.parse.json_tree import parse_json
from xacct_lint.parse.policy import PolicyDocument, build_policy

USER_A = Caller(CallerType.USER, "arn:aws:iam::111111111111:user/alice", "111111111111")
SESSION_B = Caller(
    CallerType.ROLE_SESSION,
    "arn:aws:iam::222222222222:role/Deployer",
    "222222222222",
    "arn:aws:sts::222222222222:assumed-role/Deployer/s1",
)
SAML = Caller(CallerType.SAML, "arn:aws:iam::111111111111:saml-provider/Corp", "111111111111")


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> PolicyDocument:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return build_policy(parse_json(json.dumps(doc, indent=1)).root)


def trust(
    condition: dict[str, Any] | None = None, principal: Any = None, effect: str = "Allow"
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": effect,
        "Principal": principal or {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return statement


def allowed(
    doc: PolicyDocument, caller: Caller = USER_A, action: str = "sts:AssumeRole", **context: Any
) -> bool:
    ctx = {k.replace("__", ":").casefold(): (v if isinstance(v, tuple) else (v,)) for k, v in context.items()}
    return evaluate(doc, Request(caller, action, None, ctx)).effect is Effect.ALLOW


# --- §6.1 missing keys ------------------------------------------------------------------------------------------


def test_positive_operator_on_absent_key_is_false() -> None:
    doc = policy(trust({"StringEquals": {"sts:ExternalId": "abc"}}))
    assert not allowed(doc)
    assert allowed(doc, sts__ExternalId="abc")


def test_negated_operator_on_absent_key_is_true() -> None:
    doc = policy(trust({"StringNotEquals": {"sts:ExternalId": "abc"}}))
    assert allowed(doc)
    assert not allowed(doc, sts__ExternalId="abc")


def test_if_exists_on_absent_key_is_true() -> None:
    doc = policy(trust({"StringEqualsIfExists": {"sts:ExternalId": "abc"}}))
    assert allowed(doc)
    assert not allowed(doc, sts__ExternalId="other")


def test_null_tests_presence() -> None:
    doc = policy(trust({"Null": {"sts:ExternalId": "false"}}))
    assert not allowed(doc)
    assert allowed(doc, sts__ExternalId="anything")
    assert allowed(policy(trust({"Null": {"sts:ExternalId": "true"}})))


# --- §6.2 AND / OR ----------------------------------------------------------------------------------------------


def test_values_or_keys_and() -> None:
    doc = policy(trust({"StringEquals": {"sts:ExternalId": ["a1", "b2"], "sts:RoleSessionName": "x"}}))
    assert allowed(doc, sts__ExternalId="b2", sts__RoleSessionName="x")
    assert not allowed(doc, sts__ExternalId="b2", sts__RoleSessionName="y")


def test_negated_with_several_values_means_none_of_them() -> None:
    doc = policy(trust({"StringNotEquals": {"sts:ExternalId": ["a1", "b2"]}}))
    assert not allowed(doc, sts__ExternalId="a1")
    assert not allowed(doc, sts__ExternalId="b2")
    assert allowed(doc, sts__ExternalId="c3")


# --- §6.3 set operators -----------------------------------------------------------------------------------------


def test_forallvalues_is_vacuously_true_on_absent_key() -> None:
    doc = policy(
        trust({"ForAllValues:StringLike": {"SAML:department": ["Engineering"]}}, {"Federated": SAML.arn})
    )
    assert allowed(doc, SAML, "sts:AssumeRole")
    assert allowed(doc, SAML, "sts:AssumeRole", saml__department=())
    assert not allowed(doc, SAML, "sts:AssumeRole", saml__department=("Engineering", "Sales"))


def test_foranyvalue_is_false_on_absent_key() -> None:
    doc = policy(trust({"ForAnyValue:StringEquals": {"aws:TagKeys": ["Team"]}}))
    assert not allowed(doc)
    assert not allowed(doc, aws__TagKeys=())
    assert allowed(doc, aws__TagKeys=("Other", "Team"))


# --- §6.4 case ------------------------------------------------------------------------------------------------


def test_key_names_are_case_insensitive_values_are_not() -> None:
    doc = policy(trust({"StringEquals": {"STS:EXTERNALID": "Abc"}}))
    assert allowed(doc, sts__externalid="Abc")
    assert not allowed(doc, sts__externalid="abc")
    ignore_case = policy(trust({"StringEqualsIgnoreCase": {"sts:ExternalId": "Abc"}}))
    assert allowed(ignore_case, sts__ExternalId="aBC")


# --- §6.5 Bool and types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["true", True, "TRUE"])
def test_bool_accepts_json_and_string_booleans(written: Any) -> None:
    doc = policy(trust({"Bool": {"aws:MultiFactorAuthPresent": written}}))
    assert allowed(doc, aws__MultiFactorAuthPresent="true")
    assert not allowed(doc, aws__MultiFactorAuthPresent="false")
    assert not allowed(doc)  # long-term keys: key absent (iam-facts §2.1)


def test_bool_if_exists_lets_long_term_keys_through() -> None:
    doc = policy(trust({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}))
    assert allowed(doc)
    assert not allowed(doc, aws__MultiFactorAuthPresent="false")


def test_numeric_and_date_operators() -> None:
    doc = policy(trust({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}))
    assert allowed(doc, aws__MultiFactorAuthAge="3599")
    assert not allowed(doc, aws__MultiFactorAuthAge="3600")
    assert not allowed(doc, aws__MultiFactorAuthAge="soon")
    assert not allowed(doc)
    dated = policy(trust({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))
    assert allowed(dated, aws__CurrentTime="2029-12-31T23:59:59Z")
    assert not allowed(dated, aws__CurrentTime="2030-01-01T00:00:01Z")
    assert allowed(dated, aws__CurrentTime="1893455999")  # epoch seconds are dates too


def test_ip_address_v4_v6_and_host_bits() -> None:
    doc = policy(trust({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}))
    assert allowed(doc, aws__SourceIp="203.0.113.9")
    assert allowed(doc, aws__SourceIp="2001:db8::5")
    assert not allowed(doc, aws__SourceIp="203.0.114.1")
    assert not allowed(doc, aws__SourceIp="not-an-ip")
    negated = policy(trust({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    assert allowed(negated)  # through a VPC endpoint the key is absent: negated operator is true (§9)


def test_arn_like_matches_segment_by_segment() -> None:
    doc = policy(trust({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Deploy*"}}))
    assert allowed(doc, aws__PrincipalArn="arn:aws:iam::123456789012:role/DeployProd")
    assert not allowed(doc, aws__PrincipalArn="arn:aws:iam::123456789012:user/DeployProd")
    assert not allowed(doc, aws__PrincipalArn="not:an:arn")


# --- principals (§7.2, §7.3) ------------------------------------------------------------------------------------


def test_account_root_admits_every_principal_of_the_account() -> None:
    doc = policy(trust(principal={"AWS": "111111111111"}))
    assert allowed(doc, USER_A)
    assert not allowed(doc, SESSION_B)


def test_role_arn_principal_admits_its_sessions_only() -> None:
    doc = policy(trust(principal={"AWS": "arn:aws:iam::222222222222:role/Deployer"}))
    assert allowed(doc, SESSION_B)
    assert not allowed(doc, USER_A)


def test_federated_and_service_principals() -> None:
    saml = policy(trust(principal={"Federated": SAML.arn}) | {"Action": "sts:AssumeRoleWithSAML"})
    assert allowed(saml, SAML, "sts:AssumeRoleWithSAML")
    assert not allowed(saml, USER_A, "sts:AssumeRoleWithSAML")
    service = policy(trust(principal={"Service": "lambda.amazonaws.com"}))
    assert allowed(service, Caller(CallerType.SERVICE, "lambda.amazonaws.com", None))
    assert not allowed(service, USER_A)


def test_explicit_deny_wins() -> None:
    doc = policy(trust(), trust({"StringNotEquals": {"sts:ExternalId": "secret"}}, {"AWS": "*"}, "Deny"))
    assert not allowed(doc)
    assert allowed(doc, sts__ExternalId="secret")


def test_not_action_and_wildcards() -> None:
    doc = policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "NotAction": "sts:TagSession"})
    assert allowed(doc, USER_A, "sts:AssumeRole")
    assert not allowed(doc, USER_A, "STS:TagSession")
    wildcard = policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:Assume?ole*"})
    assert allowed(wildcard, USER_A, "sts:AssumeRoleWithSAML")


# --- variables (§13) --------------------------------------------------------------------------------------------


def test_policy_variables_substitute_only_in_2012_version() -> None:
    cond = {"StringEquals": {"sts:RoleSessionName": "${aws:username}"}}
    doc = policy(trust(cond))
    assert allowed(doc, aws__username="alice", sts__RoleSessionName="alice")
    assert not allowed(doc, aws__username="alice", sts__RoleSessionName="bob")
    literal = policy(trust(cond), version="2008-10-17")
    assert allowed(literal, aws__username="alice", sts__RoleSessionName="${aws:username}")


def test_variable_defaults_and_specials() -> None:
    ctx: dict[str, tuple[str, ...]] = {}
    assert substitute("${aws:PrincipalTag/team, 'none'}", ctx) == "none"
    assert substitute("a${*}b${?}${$}", ctx) == "a*b?$"
    assert substitute("${aws:username}", ctx) is None


def test_unresolved_variable_is_reported() -> None:
    doc = policy(trust({"StringEquals": {"sts:RoleSessionName": "${aws:username}"}}))
    decision = evaluate(doc, Request(USER_A, "sts:AssumeRole", None, {"sts:rolesessionname": ("x",)}))
    assert decision.effect is Effect.IMPLICIT_DENY
    assert decision.unresolved_variables


def test_condition_holds_direct() -> None:
    assert condition_holds("StringLike", None, False, ("a*",), ("abc",))
    assert not condition_holds("StringLike", None, False, ("a*",), ("Abc",))
    assert condition_holds("StringNotLike", "ForAllValues", False, ("a*",), ("x", "y"))
    assert not condition_holds("StringNotLike", "ForAllValues", False, ("a*",), ("x", "ab"))
    assert condition_holds("BinaryEquals", None, False, ("QmluYXJ5VmFsdWU=",), ("QmluYXJ5VmFsdWU=",))
