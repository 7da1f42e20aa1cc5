"""Unit tests for the condition rules XA202 (weak-external-id), XA203 (missing-mfa), XA204 (unsatisfiable-mfa)
and XA205 (missing-source-ip): ids, pointers, positions, severities, witnesses and the tricky operator forms.

Policies are built in memory (one JSON text per policy, so positions are real); the fixture harness covers
the same rules through the loader and the configuration files.
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
from xacct_lint.evaluate.search import NoneExists, Witness, assume_role_kind, find_request, saml_kind
from xacct_lint.model.config import AccountConfig, Config, ConfigError
from xacct_lint.model.inventory import Model, Policy, PolicyKind
from xacct_lint.parse.json_tree import parse_json
from xacct_lint.parse.policy import build_policy
from xacct_lint.parse.source import SourceFile

XA202 = importlib.import_module("xacct_lint.rules.xa202_weak_external_id")
XA203 = importlib.import_module("xacct_lint.rules.xa203_missing_mfa")
XA204 = importlib.import_module("xacct_lint.rules.xa204_unsatisfiable_mfa")
XA205 = importlib.import_module("xacct_lint.rules.xa205_missing_source_ip")

OWN = "111122223333"
VENDOR = {"AWS": "arn:aws:iam::999988887777:root"}
GUID = "b21b757b-7d8e-4864-bb7b-800f5fad7aa6"
SAML = {"Federated": f"arn:aws:iam::{OWN}:saml-provider/CorporateIdP"}
AUD = {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
ALLOWLIST = ["203.0.113.0/24", "198.51.100.0/24"]


def statement(
    condition: dict[str, Any] | None = None,
    *,
    effect: str = "Allow",
    principal: dict[str, Any] | None = None,
    action: str | list[str] = "sts:AssumeRole",
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, "Principal": principal or VENDOR, "Action": action}
    if condition is not None:
        out["Condition"] = condition
    return out


def trust(
    *statements: dict[str, Any], account: str | None = OWN, path: str = "trust.json", arn: str = ""
) -> Policy:
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)
    source = SourceFile(path, text)
    document = build_policy(parse_json(text).root)
    return Policy(document, PolicyKind.TRUST, False, source, "", account_id=account, role_arn=arn or None)


def run(rule: ModuleType, policies: Sequence[Policy], config: Config | None = None) -> list[Finding]:
    model = Model(sources=[p.source for p in policies], policies=list(policies))
    findings: list[Finding] = list(rule.check(RuleContext(model, config or Config())))
    return findings


def spots(findings: Sequence[Finding]) -> list[tuple[str, str, int, int]]:
    """Return (rule id, pointer, line, column) of each finding, sorted."""
    out = []
    for finding in findings:
        place = place_of(finding.location)
        assert place.region is not None
        out.append((finding.rule_id, place.logical_path, place.region.start.line, place.region.start.column))
    return sorted(out)


def severity(finding: Finding, rule: ModuleType) -> Severity:
    default: Severity = rule.META.severity
    return finding.severity or default


def config_with(**accounts: AccountConfig) -> Config:
    return Config(accounts=tuple(accounts.values()))


# --- XA202 weak-external-id ---------------------------------------------------------------------------------


def test_xa202_stringlike_wildcard_points_at_the_pattern_with_a_witness() -> None:
    policy = trust(statement({"StringLike": {"sts:ExternalId": "*"}}))
    [finding] = run(XA202, [policy])
    assert spots([finding]) == [("XA202", "/Statement/0/Condition/StringLike/sts:ExternalId", 12, 11)]
    assert severity(finding, XA202) is Severity.ERROR
    assert finding.precision is Precision.EXACT
    assert finding.witness is not None
    sent = finding.witness["context"]["sts:ExternalId"]
    assert sent not in ("*", None)
    assert "any ExternalId works" in finding.message and f"{sent!r}" in finding.message
    assert "pattern '*'" in finding.message
    assert finding.reproduce is not None and f"--external-id {sent}" in finding.reproduce


def test_xa202_witness_is_allowed_by_the_concrete_evaluator() -> None:
    policy = trust(statement({"StringNotEquals": {"sts:ExternalId": GUID}}))
    [finding] = run(XA202, [policy])
    assert finding.witness is not None
    sent = finding.witness["context"]["sts:ExternalId"]
    caller = Caller(CallerType.USER, finding.witness["principal"]["arn"], "999988887777")
    request = Request(caller, "sts:AssumeRole", None, {"sts:externalid": (sent,)})
    assert evaluate(policy.document, request).effect is Effect.ALLOW
    assert spots([finding]) == [("XA202", "/Statement/0/Condition/StringNotEquals/sts:ExternalId", 12, 11)]
    assert "negated operator in an Allow" in finding.message


@pytest.mark.parametrize(
    "statements",
    [
        pytest.param([statement({"StringEquals": {"sts:ExternalId": GUID}})], id="string-equals"),
        pytest.param([statement({"StringEqualsIgnoreCase": {"sts:ExternalId": GUID}})], id="ignore-case"),
        pytest.param(
            [
                statement({"StringLike": {"sts:ExternalId": "*"}}),
                statement(
                    {"StringNotEquals": {"sts:ExternalId": GUID}}, effect="Deny", principal={"AWS": "*"}
                ),
            ],
            id="deny-enforces-the-value",
        ),
        pytest.param(
            [
                statement(
                    {
                        "StringLike": {"sts:ExternalId": "*"},
                        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
                    }
                )
            ],
            id="organisation-restricted",
        ),
        # Absent ExternalId passes these: XA201's finding, not this rule's.
        pytest.param([statement({"StringEqualsIfExists": {"sts:ExternalId": GUID}})], id="if-exists-exact"),
        pytest.param(
            [statement({"StringEquals": {"sts:ExternalId": GUID}}), statement()],
            id="second-statement-without",
        ),
    ],
)
def test_xa202_quiet_when_only_the_named_value_passes(statements: list[dict[str, Any]]) -> None:
    assert run(XA202, [trust(*statements)]) == []


def test_xa202_deny_that_only_requires_presence_is_blamed() -> None:
    policy = trust(
        statement(), statement({"Null": {"sts:ExternalId": "true"}}, effect="Deny", principal={"AWS": "*"})
    )
    [finding] = run(XA202, [policy])
    assert spots([finding]) == [("XA202", "/Statement/1/Condition/Null/sts:ExternalId", 19, 11)]
    assert "only requires that some ExternalId is sent" in finding.message


def test_xa202_value_checks_each_point_at_their_value() -> None:
    values = ["1234567890123456", "0000000000001234", "7f3c9a2e", "YOUR_EXTERNAL_ID", "12345", GUID]
    policy = trust(statement({"StringEquals": {"sts:ExternalId": values}}))
    findings = run(XA202, [policy])
    base = "/Statement/0/Condition/StringEquals/sts:ExternalId"
    assert spots(findings) == [("XA202", f"{base}/{i}", 13 + i, 13) for i in range(5)]
    by_pointer = {place_of(f.location).logical_path: f for f in findings}
    assert "consecutive or repeated" in by_pointer[f"{base}/0"].message
    assert "1.31 bits of entropy per character, below 2" in by_pointer[f"{base}/1"].message
    assert "8 characters, fewer than 16" in by_pointer[f"{base}/2"].message
    assert "placeholder" in by_pointer[f"{base}/3"].message
    assert "example value from the AWS documentation" in by_pointer[f"{base}/4"].message
    assert all(severity(f, XA202) is Severity.WARNING for f in findings)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Unique ID Assigned by Example Corp", "it contains a space"),
        ("x", "it has 1 character"),
        ("<external-id>", "it contains '<', '>'"),
        ("a" * 1225, "it has 1225 characters"),
    ],
)
def test_xa202_invalid_values_can_never_be_sent(value: str, reason: str) -> None:
    policy = trust(statement({"StringEquals": {"sts:ExternalId": value}}))
    findings = [f for f in run(XA202, [policy]) if f.precision is Precision.EXACT]
    [finding] = findings
    assert place_of(finding.location).logical_path == "/Statement/0/Condition/StringEquals/sts:ExternalId"
    assert severity(finding, XA202) is Severity.ERROR
    assert reason in finding.message
    assert "the role cannot be assumed through it" in finding.message


def test_xa202_literal_star_under_string_equals_is_explained() -> None:
    [finding] = run(XA202, [trust(statement({"StringEquals": {"sts:ExternalId": "*"}}))])
    assert "StringEquals compares wildcards literally" in finding.message


def test_xa202_leaves_template_placeholders_to_xa006() -> None:
    # "${PROD_EXTERNAL_ID}" is filled in at deployment (a shell variable, a NoEcho parameter): XA006 reports the
    # placeholder; judging the text as the deployed ExternalId would be a false finding.
    policy = trust(statement({"StringEquals": {"sts:ExternalId": "${PROD_EXTERNAL_ID}"}}))
    assert run(XA202, [policy]) == []


def test_xa202_policy_variables_and_service_conventions_are_not_judged() -> None:
    variable = trust(statement({"StringEquals": {"sts:ExternalId": "${aws:PrincipalTag/external-id}"}}))
    assert [f for f in run(XA202, [variable]) if f.precision is Precision.EXACT and "weak" in f.message] == []
    vmimport = trust(
        statement(
            {"StringEquals": {"sts:ExternalId": "vmimport"}}, principal={"Service": "vmie.amazonaws.com"}
        )
    )
    assert run(XA202, [vmimport]) == []


def test_xa202_options_change_the_thresholds() -> None:
    policy = trust(statement({"StringEquals": {"sts:ExternalId": "7f3c9a2e"}}))
    assert spots(run(XA202, [policy])) == [
        ("XA202", "/Statement/0/Condition/StringEquals/sts:ExternalId", 12, 11)
    ]
    relaxed = Config(rule_options={"XA202": {"min-length": 8}})
    assert run(XA202, [policy], relaxed) == []
    strict = Config(rule_options={"XA202": {"min-length": 8, "min-entropy": 3.5}})
    [finding] = run(XA202, [policy], strict)
    assert "3.00 bits of entropy per character, below 3.5" in finding.message


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"min-length": "16"}, "min-length must be an integer"),
        ({"min-entropy": True}, "min-entropy must be a number"),
    ],
)
def test_xa202_bad_options_are_configuration_errors(options: dict[str, Any], text: str) -> None:
    with pytest.raises(ConfigError, match=text):
        run(XA202, [trust(statement())], Config(rule_options={"XA202": options}))


def test_xa202_shared_value_across_accounts_names_the_other_role() -> None:
    condition = {"StringEquals": {"sts:ExternalId": "c6e1f0a94b7d3e28"}}
    first = trust(
        statement(condition), account="111122223333", path="a.json", arn="arn:aws:iam::111122223333:role/A"
    )
    second = trust(
        statement(condition), account="444455556666", path="b.json", arn="arn:aws:iam::444455556666:role/B"
    )
    same = trust(
        statement(condition), account="111122223333", path="c.json", arn="arn:aws:iam::111122223333:role/C"
    )
    findings = run(XA202, [first, second, same])
    places = sorted((place_of(f.location).path, place_of(f.location).logical_path) for f in findings)
    pointer = "/Statement/0/Condition/StringEquals/sts:ExternalId"
    assert places == [("a.json", pointer), ("b.json", pointer), ("c.json", pointer)]
    by_path = {place_of(f.location).path: f for f in findings}
    assert (
        "role arn:aws:iam::444455556666:role/B (b.json) in account 444455556666" in by_path["a.json"].message
    )
    assert "role/A" in by_path["b.json"].message and "role/C" in by_path["b.json"].message
    assert {place_of(loc).path for loc, _ in by_path["b.json"].related} == {"a.json", "c.json"}
    assert all(severity(f, XA202) is Severity.WARNING for f in findings)


def test_xa202_shared_value_within_one_account_or_unknown_account_is_quiet() -> None:
    condition = {"StringEquals": {"sts:ExternalId": "c6e1f0a94b7d3e28"}}
    assert (
        run(XA202, [trust(statement(condition), path="a.json"), trust(statement(condition), path="b.json")])
        == []
    )
    unknown = [trust(statement(condition), account=None, path=f"{n}.json") for n in "ab"]
    assert run(XA202, unknown) == []


def test_xa202_entropy_helper() -> None:
    assert XA202.shannon_entropy("aaaa") == 0.0
    assert XA202.shannon_entropy("abab") == pytest.approx(1.0)
    assert XA202.shannon_entropy("0123456789abcdef") == pytest.approx(4.0)


# --- XA203 missing-mfa --------------------------------------------------------------------------------------

MFA_PROD = config_with(prod=AccountConfig("prod", OWN, frozenset({"mfa"})))
ACCOUNT = {"AWS": f"arn:aws:iam::{OWN}:root"}


def test_xa203_bool_if_exists_true_lets_long_term_keys_through() -> None:
    policy = trust(statement({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, principal=ACCOUNT))
    [finding] = run(XA203, [policy], MFA_PROD)
    assert spots([finding]) == [
        ("XA203", "/Statement/0/Condition/BoolIfExists/aws:MultiFactorAuthPresent", 12, 11)
    ]
    assert "BoolIfExists lets long-term access keys through" in finding.message
    assert finding.witness is not None
    assert finding.witness["principal"]["type"] == "user"
    assert finding.witness["context"]["aws:MultiFactorAuthPresent"] is None
    assert finding.reproduce is not None and "long-term access keys" in finding.reproduce


def test_xa203_is_off_unless_the_account_requires_mfa() -> None:
    policy = trust(statement(principal=ACCOUNT))
    assert run(XA203, [policy]) == []
    assert spots(run(XA203, [policy], MFA_PROD)) == [("XA203", "/Statement/0", 4, 5)]


def test_xa203_deny_bool_false_misses_access_keys() -> None:
    deny = statement({"Bool": {"aws:MultiFactorAuthPresent": "false"}}, effect="Deny", principal={"AWS": "*"})
    [finding] = run(XA203, [trust(statement(principal=ACCOUNT), deny)], MFA_PROD)
    assert spots([finding]) == [("XA203", "/Statement/1/Condition/Bool/aws:MultiFactorAuthPresent", 19, 11)]
    assert "Deny at /Statement/1 uses Bool" in finding.message and "BoolIfExists" in finding.message


def test_xa203_deny_mfa_age_without_if_exists() -> None:
    deny = statement(
        {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}}, effect="Deny", principal={"AWS": "*"}
    )
    [finding] = run(XA203, [trust(statement(principal=ACCOUNT), deny)], MFA_PROD)
    assert spots([finding]) == [
        ("XA203", "/Statement/1/Condition/NumericGreaterThan/aws:MultiFactorAuthAge", 19, 11)
    ]
    assert "use NumericGreaterThanIfExists" in finding.message


def test_xa203_second_statement_without_mfa_is_blamed_alone() -> None:
    policy = trust(
        statement({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, principal=ACCOUNT),
        statement(principal={"AWS": "arn:aws:iam::444455556666:role/deployer"}),
    )
    [finding] = run(XA203, [policy], MFA_PROD)
    assert spots([finding]) == [("XA203", "/Statement/1", 16, 5)]
    assert finding.witness is not None and finding.witness["context"]["aws:MultiFactorAuthPresent"] == "false"
    assert "temporary credentials obtained without MFA" in finding.message


@pytest.mark.parametrize(
    "statements",
    [
        pytest.param(
            [statement({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, principal=ACCOUNT)], id="bool-true"
        ),
        pytest.param(
            [statement({"Bool": {"aws:MultiFactorAuthPresent": True}}, principal=ACCOUNT)], id="json-true"
        ),
        pytest.param(
            [statement({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, principal=ACCOUNT)],
            id="age-in-allow",
        ),
        pytest.param(
            [
                statement(principal=ACCOUNT),
                statement(
                    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                    effect="Deny",
                    principal={"AWS": "*"},
                ),
            ],
            id="deny-bool-if-exists-false",
        ),
        pytest.param(
            [
                statement(
                    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    principal=SAML,
                    action="sts:AssumeRoleWithSAML",
                )
            ],
            id="saml-is-xa204s-concern",
        ),
    ],
)
def test_xa203_quiet_when_mfa_is_enforced(statements: list[dict[str, Any]]) -> None:
    assert run(XA203, [trust(*statements)], MFA_PROD) == []


# --- XA204 unsatisfiable-mfa --------------------------------------------------------------------------------


def test_xa204_saml_bool_true_can_never_match() -> None:
    policy = trust(
        statement(
            {**AUD, "Bool": {"aws:MultiFactorAuthPresent": "true"}},
            principal=SAML,
            action="sts:AssumeRoleWithSAML",
        )
    )
    [finding] = run(XA204, [policy])
    assert spots([finding]) == [("XA204", "/Statement/0/Condition/Bool/aws:MultiFactorAuthPresent", 15, 11)]
    assert severity(finding, XA204) is Severity.ERROR
    assert "SAML sessions never carry MFA (AWS: 'MFA support: No' for AssumeRoleWithSAML)" in finding.message
    assert "enforce MFA at the IdP" in finding.message
    assert "UNCONFIRMED" in finding.message and "irrelevant" in finding.message
    example = finding.properties["matches_without_mfa"]
    assert (
        example["kind"] == "AssumeRoleWithSAML"
        and example["context"]["SAML:aud"] == "https://signin.aws.amazon.com/saml"
    )


def test_xa204_every_culprit_is_named_and_the_others_are_related() -> None:
    condition = {
        **AUD,
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
    }
    [finding] = run(XA204, [trust(statement(condition, principal=SAML, action="sts:AssumeRoleWithSAML"))])
    assert place_of(finding.location).logical_path == "/Statement/0/Condition/Bool/aws:MultiFactorAuthPresent"
    assert [place_of(loc).logical_path for loc, _ in finding.related] == [
        "/Statement/0/Condition/NumericLessThan/aws:MultiFactorAuthAge"
    ]


def test_xa204_web_identity() -> None:
    github = {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"}
    condition = {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
    }
    [finding] = run(
        XA204, [trust(statement(condition, principal=github, action="sts:AssumeRoleWithWebIdentity"))]
    )
    assert "web-identity sessions never carry MFA" in finding.message
    assert "AssumeRoleWithWebIdentity" in finding.message


def test_xa204_bool_if_exists_depends_on_an_unconfirmed_fact() -> None:
    condition = {**AUD, "BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}
    [finding] = run(XA204, [trust(statement(condition, principal=SAML, action="sts:AssumeRoleWithSAML"))])
    assert spots([finding]) == [
        ("XA204", "/Statement/0/Condition/BoolIfExists/aws:MultiFactorAuthPresent", 15, 11)
    ]
    assert finding.severity is Severity.NOTE and finding.precision is Precision.UNKNOWN
    assert "UNCONFIRMED" in finding.message


@pytest.mark.parametrize(
    "statements",
    [
        pytest.param(
            [statement(AUD, principal=SAML, action="sts:AssumeRoleWithSAML")], id="saml-without-mfa"
        ),
        pytest.param(
            [statement({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, principal=ACCOUNT)],
            id="aws-principal",
        ),
        pytest.param(
            [
                statement(
                    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    principal={**SAML, **ACCOUNT},
                    action=["sts:AssumeRoleWithSAML", "sts:AssumeRole"],
                )
            ],
            id="not-only-federated",
        ),
        pytest.param(
            [
                statement(
                    {
                        "StringEquals": {
                            "SAML:aud": "https://signin.aws.amazon.com/saml",
                            "sts:ExternalId": GUID,
                        },
                        "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    },
                    principal=SAML,
                    action="sts:AssumeRoleWithSAML",
                )
            ],
            id="dead-for-another-reason",
        ),
    ],
)
def test_xa204_quiet(statements: list[dict[str, Any]]) -> None:
    assert run(XA204, [trust(*statements)]) == []


# --- XA205 missing-source-ip --------------------------------------------------------------------------------

DEV = "333333333333"
PARTNER = {"AWS": "arn:aws:iam::444455556666:root"}
SOURCE_IP_DEV = config_with(
    dev=AccountConfig("dev", DEV, frozenset({"source-ip"}), source_ip_allowlist=tuple(ALLOWLIST)),
)


def dev_trust(*statements: dict[str, Any]) -> Policy:
    return trust(*statements, account=DEV)


def test_xa205_no_condition_witness_is_outside_the_allowlist() -> None:
    [finding] = run(XA205, [dev_trust(statement(principal=PARTNER))], SOURCE_IP_DEV)
    assert spots([finding]) == [("XA205", "/Statement/0", 4, 5)]
    assert finding.witness is not None
    address = finding.witness["context"]["aws:SourceIp"]
    assert address not in (None, "") and not address.startswith(("203.0.113.", "198.51.100."))
    assert f"from {address}, outside the source-ip-allowlist of account {DEV}" in finding.message
    assert severity(finding, XA205) is Severity.ERROR


def test_xa205_if_exists_is_the_vpc_endpoint_route() -> None:
    policy = dev_trust(statement({"IpAddressIfExists": {"aws:SourceIp": ALLOWLIST}}, principal=PARTNER))
    [finding] = run(XA205, [policy], SOURCE_IP_DEV)
    assert spots([finding]) == [("XA205", "/Statement/0/Condition/IpAddressIfExists/aws:SourceIp", 12, 11)]
    assert finding.severity is Severity.WARNING
    assert finding.witness is not None and finding.witness["context"]["aws:SourceIp"] is None
    assert "VPC endpoint" in finding.message and "iam-facts §9" in finding.message


def test_xa205_wider_range_and_deny_exemption_point_at_the_value() -> None:
    wide = dev_trust(statement({"IpAddress": {"aws:SourceIp": [*ALLOWLIST, "0.0.0.0/0"]}}, principal=PARTNER))
    assert spots(run(XA205, [wide], SOURCE_IP_DEV)) == [
        ("XA205", "/Statement/0/Condition/IpAddress/aws:SourceIp/2", 15, 13)
    ]
    deny = statement(
        {"NotIpAddress": {"aws:SourceIp": [*ALLOWLIST, "100.24.0.0/13"]}},
        effect="Deny",
        principal={"AWS": "*"},
    )
    [finding] = run(XA205, [dev_trust(statement(principal=PARTNER), deny)], SOURCE_IP_DEV)
    assert spots([finding]) == [("XA205", "/Statement/1/Condition/NotIpAddress/aws:SourceIp/2", 22, 13)]
    assert "exempts 100.24.0.0/13" in finding.message


@pytest.mark.parametrize(
    "statements",
    [
        pytest.param(
            [statement({"IpAddress": {"aws:SourceIp": ALLOWLIST}}, principal=PARTNER)], id="ip-address"
        ),
        pytest.param(
            [statement({"IpAddress": {"aws:SourceIp": "203.0.113.128/25"}}, principal=PARTNER)], id="subset"
        ),
        pytest.param(
            [
                statement(principal=PARTNER),
                statement(
                    {"NotIpAddress": {"aws:SourceIp": ALLOWLIST}}, effect="Deny", principal={"AWS": "*"}
                ),
            ],
            id="deny-not-ip-address-also-stops-vpc-callers",
        ),
        pytest.param(
            [
                statement({"IpAddress": {"aws:SourceIp": ALLOWLIST}}, principal=PARTNER),
                statement({"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}}, principal=PARTNER),
            ],
            id="own-vpc-endpoint",
        ),
    ],
)
def test_xa205_quiet(statements: list[dict[str, Any]]) -> None:
    assert run(XA205, [dev_trust(*statements)], SOURCE_IP_DEV) == []


def test_xa205_requirement_and_allowlist_come_from_the_configuration() -> None:
    policy = dev_trust(statement({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, principal=PARTNER))
    assert run(XA205, [policy]) == []  # source-ip is not required by default
    empty = config_with(dev=AccountConfig("dev", DEV, frozenset({"source-ip"})))
    [finding] = run(XA205, [policy], empty)
    assert "which is empty" in finding.message and "add source-ip-allowlist" in finding.message
    broken = config_with(
        dev=AccountConfig(
            "dev", DEV, frozenset({"source-ip"}), source_ip_allowlist=("203.0.113.0/24", "office")
        )
    )
    assert run(XA205, [policy], broken) == []
    wide = dev_trust(statement({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, principal=PARTNER))
    [noted] = run(XA205, [wide], broken)
    assert "ignored allowlist entries that are not addresses or CIDR blocks: office" in noted.message


# --- the search behaviours these rules rely on --------------------------------------------------------------


def test_search_without_denies_confirms_against_the_allow_side_only() -> None:
    policy = trust(
        statement(AUD, principal=SAML, action="sts:AssumeRoleWithSAML"),
        statement(
            {"Null": {"SAML:sub": "false"}}, effect="Deny", principal=SAML, action="sts:AssumeRoleWithSAML"
        ),
    )
    allow = policy.document.statements[0]
    alone = find_request(policy.document, saml_kind(), None, only_statement=allow, include_denies=False)
    assert isinstance(alone, Witness) and alone.statement is allow


def test_search_never_puts_a_key_without_prefix_in_a_request() -> None:
    # "ExternalId" (no "sts:") is a typo IAM never fills in; the search once treated it as caller-controlled.
    policy = trust(statement({"StringEquals": {"ExternalId": GUID}}))
    assert isinstance(find_request(policy.document, assume_role_kind(OWN)), NoneExists)
