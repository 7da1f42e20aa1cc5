"""Tests of the principal rules XA101-XA106 beyond their fixtures: witnesses, severities, messages, options,
configuration-dependent behaviour, the bundled known-accounts registry and the helpers."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, Severity
from xacct_lint.engine.runner import place_of
from xacct_lint.evaluate.search import FRESH_ACCOUNT, PROBE_ROLE, PROBE_USER
from xacct_lint.load import load_paths
from xacct_lint.model.config import AccountConfig, Config
from xacct_lint.model.inventory import Model, PolicyKind
from xacct_lint.parse.policy import PrincipalEntry
from xacct_lint.parse.source import Span

# The built-in pack is the top-level rules/ directory, installed as xacct_lint.rules (pyproject package-dir).
xa101 = importlib.import_module("xacct_lint.rules.xa101_wildcard_principal")
xa102 = importlib.import_module("xacct_lint.rules.xa102_account_root_trust")
xa103 = importlib.import_module("xacct_lint.rules.xa103_unknown_external_account")
xa104 = importlib.import_module("xacct_lint.rules.xa104_service_confused_deputy")
xa105 = importlib.import_module("xacct_lint.rules.xa105_unchecked_saml_audience")
xa106 = importlib.import_module("xacct_lint.rules.xa106_unchecked_oidc_subject")

REPO_ROOT = Path(__file__).resolve().parents[1]
GITHUB = "token.actions.githubusercontent.com"
GITHUB_PROVIDER = {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{GITHUB}"}
SAML_PROVIDER = {"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"}


def _statement(principal: Any, action: Any = "sts:AssumeRole", condition: Any = None, **extra: Any) -> Any:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action, **extra}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _document(*statements: Any) -> Any:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _model(
    tmp_path: Path, document: Any, *, account: str | None = None, role_arn: str | None = None
) -> Model:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    model = load_paths([path], Config(), root=tmp_path)
    assert len(model.policies) == 1, model.problems
    model.policies[0].account_id = account
    model.policies[0].role_arn = role_arn
    return model


def _check(
    rule: Any,
    tmp_path: Path,
    document: Any,
    config: Config | None = None,
    *,
    budget: int = 100_000,
    **where: str,
) -> list[Finding]:
    ctx = RuleContext(_model(tmp_path, document, **where), config or Config(), search_budget=budget)
    findings: list[Finding] = list(rule.check(ctx))
    return findings


def _paths(findings: list[Finding]) -> list[str]:
    return [place_of(f.location).logical_path for f in findings]


# -- XA101 wildcard-principal ------------------------------------------------------------------------------


def test_xa101_witness_is_a_caller_of_a_fresh_account(tmp_path: Path) -> None:
    document = _document(
        _statement({"AWS": "*"}, condition={"StringEquals": {"sts:ExternalId": "7f3c9a2e4b1d"}})
    )
    [finding] = _check(xa101, tmp_path, document, role_arn="arn:aws:iam::111122223333:role/shared")
    assert _paths([finding]) == ["/Statement/0/Principal/AWS"]
    assert finding.witness is not None
    assert finding.witness["principal"]["account"] == FRESH_ACCOUNT
    assert finding.witness["context"] == {"sts:ExternalId": "7f3c9a2e4b1d"}
    assert finding.precision is Precision.EXACT
    assert finding.severity is None  # the rule's default, error
    assert xa101.META.severity is Severity.ERROR
    assert '{"AWS": "*"}' in finding.message and "/Statement/0" in finding.message
    assert "sts:ExternalId" in finding.message
    assert finding.reproduce is not None
    assert finding.reproduce.startswith(
        "aws sts assume-role --role-arn arn:aws:iam::111122223333:role/shared"
    )
    assert "--external-id 7f3c9a2e4b1d" in finding.reproduce


def test_xa101_organisation_from_configuration_counts_as_named(tmp_path: Path) -> None:
    # A negated org condition in a Deny keeps out callers of other organisations and of none.
    document = _document(
        _statement({"AWS": "*"}),
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        },
    )
    assert _check(xa101, tmp_path, document) == []
    # An Allow testing only that the caller is in *some* organisation admits a fresh one.
    document = _document(_statement({"AWS": "*"}, condition={"Null": {"aws:PrincipalOrgID": "false"}}))
    [finding] = _check(xa101, tmp_path, document, Config(organization_ids=("o-a1b2c3d4e5",)))
    assert finding.witness is not None
    org = finding.witness["context"]["aws:PrincipalOrgID"]
    assert org is not None and org != "o-a1b2c3d4e5"


def test_xa101_resource_policy_tries_the_listed_action(tmp_path: Path) -> None:
    document = _document(
        _statement("*", action=["s3:GetObject"], Resource="arn:aws:s3:::example-bucket/*"),
    )
    [finding] = _check(xa101, tmp_path, document)
    assert _paths([finding]) == ["/Statement/0/Principal"]
    assert finding.witness is not None and finding.witness["action"] == "s3:GetObject"
    assert "call s3:GetObject on this resource" in finding.message
    assert finding.reproduce is not None and "s3:GetObject" in finding.reproduce
    assert "assume-role" not in finding.reproduce


def test_xa101_exhausted_budget_is_reported_as_undecided(tmp_path: Path) -> None:
    document = _document(
        _statement({"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalTag/team": "ops"}})
    )
    [finding] = _check(xa101, tmp_path, document, budget=1)
    assert finding.precision is Precision.UNKNOWN
    assert finding.severity is Severity.NOTE
    assert finding.message.startswith("could not decide whether a principal of any AWS account")
    assert _paths([finding]) == ["/Statement/0/Principal/AWS"]


def test_xa101_scalar_and_list_principal_give_the_same_finding(tmp_path: Path) -> None:
    scalar = _check(xa101, tmp_path, _document(_statement({"AWS": "*"})))
    listed = _check(xa101, tmp_path, _document(_statement({"AWS": ["*"]})))
    assert _paths(scalar) == ["/Statement/0/Principal/AWS"]
    assert _paths(listed) == ["/Statement/0/Principal/AWS/0"]
    assert scalar[0].witness == listed[0].witness


def test_xa101_principal_arn_with_any_account_fires(tmp_path: Path) -> None:
    document = _document(
        _statement({"AWS": "*"}, condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deploy"}})
    )
    assert _paths(_check(xa101, tmp_path, document)) == ["/Statement/0/Principal/AWS"]


# -- XA102 account-root-trust ------------------------------------------------------------------------------


def test_xa102_same_account_is_silent_and_other_account_fires(tmp_path: Path) -> None:
    document = _document(_statement({"AWS": ["111122223333", "arn:aws:iam::444455556666:root"]}))
    findings = _check(xa102, tmp_path, document, role_arn="arn:aws:iam::111122223333:role/deploy")
    assert _paths(findings) == ["/Statement/0/Principal/AWS/1"]
    [finding] = findings
    assert finding.witness is not None
    assert finding.witness["principal"]["account"] == "444455556666"
    assert finding.witness["principal"]["arn"].endswith((PROBE_USER, PROBE_ROLE))
    assert "administrators decide who gets in" in finding.message
    assert "unknown" not in finding.message  # the role's account is known
    assert xa102.META.severity is Severity.WARNING


def test_xa102_unknown_role_account_is_reported_with_a_caveat(tmp_path: Path) -> None:
    [finding] = _check(xa102, tmp_path, _document(_statement({"AWS": "111122223333"})))
    assert "the role's account is unknown: if it is 111122223333, this is same-account delegation" in (
        finding.message
    )


def test_xa102_principal_tag_does_not_narrow_but_principal_arn_does(tmp_path: Path) -> None:
    tagged = _document(
        _statement({"AWS": "444455556666"}, condition={"StringEquals": {"aws:PrincipalTag/team": "platform"}})
    )
    [finding] = _check(xa102, tmp_path, tagged)
    assert "no aws:PrincipalArn condition narrows it" in finding.message
    assert finding.witness is not None and finding.witness["context"] == {"aws:PrincipalTag/team": "platform"}
    narrowed = _document(
        _statement(
            {"AWS": "444455556666"},
            condition={"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::444455556666:role/deploy"}},
        )
    )
    assert _check(xa102, tmp_path, narrowed) == []


def test_xa102_session_name_in_userid_does_not_narrow(tmp_path: Path) -> None:
    document = _document(
        _statement({"AWS": "444455556666"}, condition={"StringLike": {"aws:userid": "*:alice"}})
    )
    [finding] = _check(xa102, tmp_path, document)
    assert finding.witness is not None
    assert finding.witness["context"]["aws:userid"].endswith(":alice")
    assert "its aws:userid condition also admits principals the policy does not name" in finding.message


# -- XA103 unknown-external-account ------------------------------------------------------------------------

CONFIGURED = Config(accounts=(AccountConfig("prod", "111122223333", frozenset()),))


def test_xa103_without_configuration_only_known_vendors_are_reported(tmp_path: Path) -> None:
    document = _document(
        _statement({"AWS": ["arn:aws:iam::464622532012:root", "arn:aws:iam::444455556666:root"]})
    )
    [finding] = _check(xa103, tmp_path, document)
    assert _paths([finding]) == ["/Statement/0/Principal/AWS/0"]
    assert finding.severity is Severity.NOTE
    assert "464622532012" in finding.message and "Datadog" in finding.message


def test_xa103_with_configuration_unknown_accounts_warn_and_own_account_is_silent(tmp_path: Path) -> None:
    document = _document(
        _statement({"AWS": ["arn:aws:iam::555566667777:role/app", "arn:aws:iam::444455556666:root"]}),
        _statement({"AWS": "arn:aws:iam::444455556666:role/ops"}, action="sts:TagSession"),
    )
    findings = _check(xa103, tmp_path, document, CONFIGURED, role_arn="arn:aws:iam::555566667777:role/target")
    assert _paths(findings) == ["/Statement/0/Principal/AWS/1"]
    [finding] = findings
    assert finding.severity is None  # the rule's default, warning
    assert "444455556666" in finding.message and "not a known vendor" in finding.message
    assert [place_of(loc).logical_path for loc, _ in finding.related] == ["/Statement/1/Principal/AWS"]


def test_xa103_aws_owned_accounts_are_not_foreign(tmp_path: Path) -> None:
    # 127311923021: the Elastic Load Balancing log-delivery account of us-east-1 (type "aws" in the registry).
    document = _document(
        _statement(
            {"AWS": "arn:aws:iam::127311923021:root"},
            action="s3:PutObject",
            Resource="arn:aws:s3:::example-lb-logs/*",
        )
    )
    assert _check(xa103, tmp_path, document, CONFIGURED) == []
    assert xa103.known_accounts()["127311923021"].aws_owned


def test_xa103_registry_is_loaded_only_when_an_account_is_unexplained(tmp_path: Path) -> None:
    xa103.known_accounts.cache_clear()
    document = _document(_statement({"AWS": "arn:aws:iam::111122223333:role/app"}))
    assert _check(xa103, tmp_path, document, CONFIGURED) == []
    assert xa103.known_accounts.cache_info().currsize == 0
    _check(xa103, tmp_path, _document(_statement({"AWS": "444455556666"})), CONFIGURED)
    assert xa103.known_accounts.cache_info().currsize == 1


def test_xa103_bundled_registry_keeps_its_source_and_licence() -> None:
    data = json.loads(
        (REPO_ROOT / "xacct_lint" / "data" / "known_aws_accounts.json").read_text(encoding="utf-8")
    )
    assert data["source"]["repo"] == "fwdcloudsec/known_aws_accounts"
    assert data["source"]["license"] == "Apache-2.0"
    notice = (REPO_ROOT / "xacct_lint" / "data" / "NOTICE").read_text(encoding="utf-8")
    assert "fwdcloudsec/known_aws_accounts" in notice and "Apache License, Version 2.0" in notice


def test_xa103_wildcard_and_negated_allow_values_trust_no_particular_account(tmp_path: Path) -> None:
    document = _document(
        _statement(
            {"AWS": "*"},
            condition={
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"},
                "StringNotEquals": {"aws:PrincipalAccount": "666677778888"},
            },
        )
    )
    assert _check(xa103, tmp_path, document, CONFIGURED) == []


# -- XA104 service-confused-deputy -------------------------------------------------------------------------


def test_xa104_witness_is_a_source_in_a_fresh_account(tmp_path: Path) -> None:
    document = _document(
        _statement(
            {"Service": "sagemaker.amazonaws.com"},
            condition={"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:*:*"}},
        )
    )
    [finding] = _check(xa104, tmp_path, document)
    assert _paths([finding]) == ["/Statement/0/Condition/ArnLike/aws:SourceArn"]
    assert finding.witness is not None
    assert f":{FRESH_ACCOUNT}:" in finding.witness["context"]["aws:SourceArn"]
    assert finding.witness["principal"]["arn"] == "sagemaker.amazonaws.com"
    assert "service sagemaker.amazonaws.com" in finding.message
    assert xa104.META.severity is Severity.WARNING


def test_xa104_exempt_services_option_adds_to_the_built_in_list(tmp_path: Path) -> None:
    document = _document(_statement({"Service": ["ec2.amazonaws.com", "glue.amazonaws.com"]}))
    assert _paths(_check(xa104, tmp_path, document)) == ["/Statement/0/Principal/Service/1"]
    config = Config(rule_options={"XA104": {"exempt-services": ["Glue.amazonaws.com"]}})
    assert _check(xa104, tmp_path, document, config) == []


def test_xa104_service_linked_roles_are_skipped(tmp_path: Path) -> None:
    document = _document(_statement({"Service": "elasticloadbalancing.amazonaws.com"}))
    service_linked = (
        "aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"
    )
    role = f"arn:aws:iam::111122223333:role/{service_linked}"
    assert _check(xa104, tmp_path, document, role_arn=role) == []
    assert len(_check(xa104, tmp_path, document, role_arn="arn:aws:iam::111122223333:role/custom")) == 1


# -- XA105 unchecked-saml-audience -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://signin.aws.amazon.com/saml", True),
        ("https://eu-west-1.signin.aws.amazon.com/saml", True),
        ("https://us-east-1.signin.aws.amazon.com/saml/acs/SAMLSP4SHN3UIS2D558H46", True),
        ("https://signin.amazonaws-us-gov.com/saml", True),
        ("HTTPS://SIGNIN.AWS.AMAZON.COM/saml", True),
        ("http://signin.aws.amazon.com/saml", False),
        ("https://signin.aws.amazon.com.example.net/saml", False),
        ("https://signin.aws.amazon.comxq", False),
        ("https://evil.example/signin.aws.amazon.com/saml", False),
        ("https://user@signin.aws.amazon.com/saml", False),
        ("", False),
    ],
)
def test_xa105_sign_in_endpoints(url: str, expected: bool) -> None:
    assert xa105.is_signin_endpoint(url) is expected


def test_xa105_message_names_provider_and_audience(tmp_path: Path) -> None:
    document = _document(
        _statement(
            SAML_PROVIDER,
            action="sts:AssumeRoleWithSAML",
            condition={"StringLike": {"SAML:aud": "https://signin.aws.amazon.com*"}},
        )
    )
    [finding] = _check(xa105, tmp_path, document)
    assert "arn:aws:iam::111122223333:saml-provider/Okta" in finding.message
    assert '"https://signin.aws.amazon.comxq"' in finding.message
    assert "UNCONFIRMED" in finding.message
    assert finding.witness is not None and finding.witness["action"] == "sts:AssumeRoleWithSAML"
    assert finding.reproduce is not None and finding.reproduce.startswith("aws sts assume-role-with-saml")


def test_xa105_each_provider_is_checked(tmp_path: Path) -> None:
    providers = {
        "Federated": [
            "arn:aws:iam::111122223333:saml-provider/A",
            "arn:aws:iam::111122223333:saml-provider/B",
        ]
    }
    findings = _check(xa105, tmp_path, _document(_statement(providers, action="sts:AssumeRoleWithSAML")))
    assert sorted(f.message.split(" with ")[0] for f in findings) == [
        "a SAML assertion from arn:aws:iam::111122223333:saml-provider/A",
        "a SAML assertion from arn:aws:iam::111122223333:saml-provider/B",
    ]


# -- XA106 unchecked-oidc-subject --------------------------------------------------------------------------


def test_xa106_github_owner_and_provider_host() -> None:
    assert xa106.github_owner("repo:myorg/app:ref:refs/heads/main") == "myorg"
    assert xa106.github_owner("repo:myorgxq") == "myorgxq"
    assert xa106.github_owner("project_path:group/project") is None

    def federated(value: str) -> PrincipalEntry:
        return PrincipalEntry("Federated", value, value, "/Statement/0/Principal/Federated", Span(0, 0))

    assert xa106.provider_host(federated(f"arn:aws:iam::111122223333:oidc-provider/{GITHUB}")) == GITHUB
    assert (
        xa106.provider_host(federated("cognito-identity.amazonaws.com")) == "cognito-identity.amazonaws.com"
    )
    assert xa106.provider_host(federated("arn:aws:iam::111122223333:saml-provider/Okta")) is None


def test_xa106_prefix_without_slash_admits_a_longer_organisation(tmp_path: Path) -> None:
    document = _document(
        _statement(
            GITHUB_PROVIDER,
            action="sts:AssumeRoleWithWebIdentity",
            condition={
                "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{GITHUB}:sub": "repo:myorg*"},
            },
        )
    )
    [finding] = _check(xa106, tmp_path, document)
    assert finding.witness is not None
    subject = finding.witness["context"][f"{GITHUB}:sub"]
    assert subject.startswith("repo:myorg") and xa106.github_owner(subject) != "myorg"
    assert finding.severity is None  # error
    assert "outside the organisations this policy names" in finding.message


def test_xa106_missing_sub_and_aud_give_an_error_and_a_warning(tmp_path: Path) -> None:
    document = _document(_statement(GITHUB_PROVIDER, action="sts:AssumeRoleWithWebIdentity"))
    findings = _check(xa106, tmp_path, document)
    assert _paths(findings) == ["/Statement/0", "/Statement/0"]
    by_severity = {f.severity: f for f in findings}
    assert set(by_severity) == {None, Severity.WARNING}
    sub = by_severity[None]
    assert sub.witness is not None
    assert sub.witness["context"][f"{GITHUB}:sub"] == xa106.ATTACKER_SUBJECT
    assert f"{GITHUB}:aud" in by_severity[Severity.WARNING].message


def test_xa106_if_exists_on_sub_is_silent_because_every_token_carries_sub(tmp_path: Path) -> None:
    # The search models OIDC's REQUIRED sub/aud claims as always present, so IfExists adds no way in.
    document = _document(
        _statement(
            GITHUB_PROVIDER,
            action="sts:AssumeRoleWithWebIdentity",
            condition={
                "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
                "StringLikeIfExists": {f"{GITHUB}:sub": "repo:myorg/*"},
            },
        )
    )
    assert _check(xa106, tmp_path, document) == []


def test_xa106_optional_claim_under_if_exists_is_a_warning_with_a_caveat(tmp_path: Path) -> None:
    # app_id is not one of the claims every token must carry: a token without it passes an IfExists condition.
    principal = {"Federated": "graph.facebook.com"}
    document = _document(
        _statement(
            principal,
            action="sts:AssumeRoleWithWebIdentity",
            condition={"StringEqualsIfExists": {"graph.facebook.com:app_id": "123456789012345"}},
        )
    )
    [finding] = _check(xa106, tmp_path, document)
    assert _paths([finding]) == ["/Statement/0/Condition/StringEqualsIfExists/graph.facebook.com:app_id"]
    assert finding.severity is Severity.WARNING
    assert "UNCONFIRMED" in finding.message and "without the app_id claim" in finding.message


def test_xa106_cognito_needs_the_identity_pool(tmp_path: Path) -> None:
    principal = {"Federated": "cognito-identity.amazonaws.com"}
    open_pool = _document(_statement(principal, action="sts:AssumeRoleWithWebIdentity"))
    [finding] = _check(xa106, tmp_path, open_pool)
    assert "cognito-identity.amazonaws.com:aud" in finding.message
    assert finding.severity is None
    pinned = _document(
        _statement(
            principal,
            action="sts:AssumeRoleWithWebIdentity",
            condition={"StringEquals": {"cognito-identity.amazonaws.com:aud": "eu-west-1:0f1e2d3c-4b5a"}},
        )
    )
    assert _check(xa106, tmp_path, pinned) == []


def test_principal_rules_only_look_at_their_policy_kinds(tmp_path: Path) -> None:
    # An identity policy has no principals: none of the rules has anything to say.
    document = _document({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    model = _model(tmp_path, document)
    assert model.policies[0].kind is PolicyKind.IDENTITY
    for rule in (xa101, xa102, xa103, xa104, xa105, xa106):
        assert list(rule.check(RuleContext(model, CONFIGURED))) == []
