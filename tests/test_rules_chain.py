"""The chain rules (XA303, XA304, XA306, XA401-XA408) on small hand-made organisations -- each fires where it
should and stays quiet where it should not -- on the recipe, and their paths in the text, JSON and SARIF
reports."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from report_support import validate_sarif

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.rule import Precision, Rule
from xacct_lint.engine.runner import INTERNAL_ERROR, Result, run_rules, to_results
from xacct_lint.graph.generators import roles_model
from xacct_lint.load import load_paths
from xacct_lint.model.config import AccountConfig, Config, GraphConfig, Invariant, load_config
from xacct_lint.model.inventory import Model
from xacct_lint.report import build_report
from xacct_lint.report.json_report import report_document
from xacct_lint.report.sarif import render_sarif, sarif_log
from xacct_lint.report.text import render_text

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "fixtures" / "recipe"
SEC, PROD, DEV, OTHER = "111111111111", "222222222222", "333333333333", "444455556666"
SAML = f"arn:aws:iam::{SEC}:saml-provider/CorporateIdP"
XID = {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}}
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
TIERS = Config(
    accounts=(
        AccountConfig("dev", DEV, frozenset(), tier=1),
        AccountConfig("prod", PROD, frozenset(), tier=3),
    )
)
TRUST = "/RoleDetailList/{}/AssumeRolePolicyDocument/Statement/0"
NO_CONFIG = Config()


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def hub(*resources: str, actions: Any = "sts:AssumeRole") -> dict[str, Any]:
    """The security account's hub role, entered through SAML, allowed to assume the given roles."""
    return {
        "trust": {"Federated": SAML},
        "permissions": [{"Action": actions, "Resource": list(resources)}] if resources else [],
    }


@functools.cache
def _rules() -> dict[str, Rule]:
    return {rule.meta.id: rule for rule in builtin_pack().rules}


def run(rule_id: str, model: Model, config: Config = NO_CONFIG) -> list[Result]:
    """Return the results of one rule (and any crash) on a model."""
    rule = _rules()[rule_id]
    results, _ = to_results(run_rules([rule], RuleContext(model, config)), {})
    assert not [r for r in results if r.rule.id == INTERNAL_ERROR.id], [r.message for r in results]
    return results


def spots(results: list[Result]) -> list[tuple[str, str]]:
    return [(r.place.path, r.place.logical_path) for r in results]


def flow_nodes(result: Result) -> list[str]:
    return [text.split(" (", 1)[0] for _trust, _identity, text in result.flow]


# --- XA303 chained-session-duration -------------------------------------------------------------------------------


def test_xa303_fires_when_only_role_sessions_reach_a_long_role() -> None:
    model = roles_model({
        role(SEC, "Hub"): hub(role(DEV, "Dev")),
        role(DEV, "Dev"): {"trust": {"AWS": role(SEC, "Hub")}, "conditions": XID, "max_session_duration": 7200},
    })  # fmt: skip
    (result,) = run("XA303", model)
    assert spots([result]) == [(f"{DEV}.json", "/RoleDetailList/0/MaxSessionDuration")]
    assert result.severity.value == "warning" and "every way in is role chaining" in result.message
    assert flow_nodes(result) == ["CorporateIdP -> Hub", "Hub -> Dev"]


def test_xa303_is_a_note_with_a_direct_caller_and_quiet_at_one_hour() -> None:
    alice = f"arn:aws:iam::{DEV}:user/alice"
    model = roles_model(
        {
            role(SEC, "Hub"): hub(role(DEV, "Dev")),
            role(DEV, "Dev"): {"trust": {"AWS": [role(SEC, "Hub"), alice]}, "max_session_duration": 7200},
            role(DEV, "Short"): {"trust": {"AWS": role(SEC, "Hub")}, "max_session_duration": 3600},
        },
        users={alice: [{"Action": "sts:AssumeRole", "Resource": "*"}]},
    )
    (result,) = run("XA303", model)
    assert result.severity.value == "note" and "only alice can use the longer sessions" in result.message
    assert "Short" not in result.message


# --- XA304 missing-tag-session ------------------------------------------------------------------------------------


def test_xa304_caller_passes_tags_but_the_trust_refuses_them() -> None:
    model = roles_model({
        role(SEC, "Hub"): hub(role(PROD, "Prod"), actions=["sts:AssumeRole", "sts:TagSession"]),
        role(PROD, "Prod"): {"trust": {"AWS": role(SEC, "Hub")}, "conditions": XID},
    })  # fmt: skip
    (result,) = run("XA304", model)
    assert spots([result]) == [(f"{PROD}.json", TRUST.format(0) + "/Action")]
    assert "Hub passes session tags" in result.message and "iam-facts §4.1" in result.message


def test_xa304_quiet_when_tags_are_accepted_or_never_passed() -> None:
    model = roles_model({
        role(SEC, "Hub"): hub(role(PROD, "Prod"), role(PROD, "Plain"), actions=["sts:AssumeRole", "sts:TagSession"]),
        role(SEC, "Admin"): {"trust": {"Federated": SAML}, "permissions": [{"Action": "*", "Resource": "*"}]},
        role(PROD, "Prod"): {"trust": {"AWS": role(SEC, "Hub")}, "action": ["sts:AssumeRole", "sts:TagSession"]},
        role(PROD, "Plain"): {"trust": {"AWS": role(SEC, "Admin")}},  # "*" grants TagSession only incidentally
    })  # fmt: skip
    assert run("XA304", model) == []


def test_xa304_inherited_transitive_tags_are_partly_unconfirmed() -> None:
    model = roles_model({
        role(SEC, "Hub"): {"trust": {"Federated": SAML}, "permissions": [
            {"Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": role(SEC, "Tools"),
             "Condition": {"ForAllValues:StringEquals": {"sts:TransitiveTagKeys": ["Project"]}}}]},
        role(SEC, "Tools"): {"trust": {"AWS": role(SEC, "Hub")}, "action": ["sts:AssumeRole", "sts:TagSession"],
                             "permissions": [{"Action": "sts:AssumeRole", "Resource": role(PROD, "Prod")}]},
        role(PROD, "Prod"): {"trust": {"AWS": role(SEC, "Tools")}},
    })  # fmt: skip
    (result,) = run("XA304", model)
    assert "inherit transitive tags Project" in result.message and "PARTLY UNCONFIRMED" in result.message
    assert flow_nodes(result) == ["CorporateIdP -> Hub", "Hub -> Tools", "Tools -> Prod"]


# --- XA306 session-tag-injection ----------------------------------------------------------------------------------


def _abac(tag_keys: list[str] | None) -> Model:
    condition = {**XID, **({"ForAllValues:StringEquals": {"aws:TagKeys": tag_keys}} if tag_keys else {})}
    return roles_model({
        role(DEV, "Builder"): {"trust": {"Service": "codebuild.amazonaws.com"},
                               "permissions": [{"Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]},
        role(PROD, "Payments"): {
            "trust": {"AWS": role(DEV, "Builder")}, "action": ["sts:AssumeRole", "sts:TagSession"],
            "conditions": condition,
            "permissions": [{"Action": "s3:GetObject", "Resource": "*",
                             "Condition": {"StringEquals": {"aws:PrincipalTag/project": "payments"}}}],
        },
    })  # fmt: skip


def test_xa306_a_lower_tier_sets_the_tag_a_permission_trusts() -> None:
    (result,) = run("XA306", _abac(None), TIERS)
    assert result.place.logical_path.endswith("/Condition/StringEquals/aws:PrincipalTag~1project")
    assert "Builder (account 333333333333 (dev), tier 1) -- less trusted than Payments" in result.message
    assert flow_nodes(result) == ["codebuild.amazonaws.com -> Builder", "Builder -> Payments"]


def test_xa306_quiet_when_the_key_is_not_admitted_or_tiers_agree() -> None:
    assert run("XA306", _abac(["team"]), TIERS) == []
    same = Config(
        accounts=(
            AccountConfig("dev", DEV, frozenset(), tier=3),
            AccountConfig("prod", PROD, frozenset(), tier=3),
        )
    )
    assert run("XA306", _abac(None), same) == []


# --- XA401 role-cycle -----------------------------------------------------------------------------------------------


def test_xa401_reports_each_cycle_once() -> None:
    model = roles_model({
        role(SEC, "Alpha"): {"trust": {"AWS": role(SEC, "Beta")}},
        role(SEC, "Beta"): {"trust": {"AWS": role(SEC, "Alpha")}},
        role(SEC, "Gamma"): {"trust": {"AWS": role(SEC, "Alpha")}},  # reached from the cycle, not on it
        role(SEC, "Solo"): {"trust": {"AWS": role(SEC, "Solo")}},
    })  # fmt: skip
    results = run("XA401", model)
    assert [r.message.split(" (")[0] for r in results] == [
        "roles Alpha, Beta can assume each other",
        "role Solo may assume itself",
    ]
    assert flow_nodes(results[0]) == ["Alpha -> Beta", "Beta -> Alpha"]


def test_xa401_quiet_without_a_cycle_or_across_a_blocked_hop() -> None:
    model = roles_model({
        role(SEC, "Alpha"): {"trust": {"Federated": SAML}},
        role(SEC, "Beta"): {"trust": {"AWS": role(SEC, "Alpha")}},
        role(SEC, "Gamma"): {"trust": {"AWS": role(SEC, "Delta")}},
        role(SEC, "Delta"): {"trust": {"AWS": role(SEC, "Gamma")},
                             "conditions": {"StringLike": {"aws:userid": "*:111111111111:*"}}},
    })  # fmt: skip
    assert run("XA401", model) == []


# --- XA402 chain-too-long -------------------------------------------------------------------------------------------


def test_xa402_uses_the_configured_depth() -> None:
    model = roles_model({
        role(SEC, "Hub"): hub(role(SEC, "Tools")),
        role(SEC, "Tools"): {"trust": {"AWS": role(SEC, "Hub")}},
        role(SEC, "Deploy"): {"trust": {"AWS": role(SEC, "Tools")}},
    })  # fmt: skip
    (result,) = run("XA402", model, Config(graph=GraphConfig(max_depth=2)))
    assert "chains of 3 hops" in result.message and len(result.flow) == 3
    assert run("XA402", model, Config(graph=GraphConfig(max_depth=3))) == []


# --- XA403 lower-tier-reaches-higher ------------------------------------------------------------------------------


def test_xa403_reports_the_hop_that_crosses_into_the_higher_tier() -> None:
    model = roles_model({
        role(DEV, "Ci"): {"trust": {"Service": "codebuild.amazonaws.com"},
                          "permissions": [{"Action": "sts:AssumeRole", "Resource": role(SEC, "Shared")}]},
        role(SEC, "Shared"): {"trust": {"AWS": role(DEV, "Ci")},
                              "permissions": [{"Action": "sts:AssumeRole", "Resource": role(PROD, "Release")}]},
        role(PROD, "Release"): {"trust": {"AWS": role(SEC, "Shared")}, "conditions": XID},
    })  # fmt: skip
    (result,) = run("XA403", model, TIERS)  # the untiered hub is passed through, prod is entered
    assert result.place.path == f"{PROD}.json"
    assert flow_nodes(result) == ["Ci -> Shared", "Shared -> Release"]
    assert run("XA403", model, Config()) == []  # no tiers: nothing to judge


# --- XA404 unreachable-role -----------------------------------------------------------------------------------------


def test_xa404_blocked_and_island_roles() -> None:
    model = roles_model({
        role(SEC, "Hub"): hub(role(PROD, "Dead")),
        role(PROD, "Dead"): {"trust": {"AWS": role(SEC, "Hub")},
                             "conditions": {"StringLike": {"aws:userid": "*:111111111111:*"}}},
        role(PROD, "Island"): {"trust": {"AWS": role(PROD, "Dead")}},
        role(PROD, "Open"): {"trust": {"AWS": role(OTHER, "Partner")}},  # unknown: never claimed unreachable
    })  # fmt: skip
    results = run("XA404", model)
    assert [r.message.split(" so ")[0] for r in results] == [
        "no principal in the data can reach role Dead,",
        "no principal in the data can reach role Island,",
    ]
    assert "is blocked" in results[0].message and "which no principal reaches either" in results[1].message


# --- XA405 one-sided-trust ------------------------------------------------------------------------------------------


def test_xa405_both_directions() -> None:
    model = roles_model({
        role(SEC, "Hub"): hub(role(PROD, "Closed")),
        role(SEC, "Mute"): {"trust": {"Federated": SAML}},
        role(PROD, "Closed"): {"trust": {"AWS": role(SEC, "Mute")}},
    })  # fmt: skip
    results = run("XA405", model)
    assert sorted(r.message.split(":")[0] for r in results) == [
        "permission without trust",
        "trust without permission",
    ]
    assert all(r.severity.value == "note" for r in results)


# --- XA406 reaches-admin --------------------------------------------------------------------------------------------


def test_xa406_admin_by_star_and_by_permissions_management() -> None:
    model = roles_model({
        role(SEC, "Hub"): hub(role(PROD, "Admin"), role(PROD, "Reader")),
        role(PROD, "Admin"): {"trust": {"AWS": role(SEC, "Hub")}, "permissions": [{"Action": "*", "Resource": "*"}]},
        role(PROD, "Reader"): {"trust": {"AWS": role(SEC, "Hub")},
                               "permissions": [{"Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]},
        role(PROD, "Writer"): {"trust": {"Service": "lambda.amazonaws.com"},
                               "permissions": [{"Action": "iam:AttachRolePolicy", "Resource": "*"}]},
    })  # fmt: skip
    results = run("XA406", model)
    assert [r.message.split(",")[0] for r in results] == [
        "CorporateIdP (account 111111111111) reaches Admin",
        "lambda.amazonaws.com (an AWS service) reaches Writer",
    ]


# --- XA407 mfa-lost-in-chain ----------------------------------------------------------------------------------------


def test_xa407_role_callers_cannot_present_mfa() -> None:
    alice = f"arn:aws:iam::{SEC}:user/alice"
    model = roles_model(
        {
            role(SEC, "Hub"): hub(role(PROD, "Prod")),
            role(PROD, "Prod"): {"trust": {"AWS": role(SEC, "Hub")}, "conditions": {**XID, **MFA}},
            role(PROD, "Breakglass"): {"trust": {"AWS": alice}, "conditions": MFA},
        },
        users={alice: [{"Action": "sts:AssumeRole", "Resource": "*"}]},
    )
    (result,) = run("XA407", model)
    assert result.place.logical_path == TRUST.format(1) + "/Condition/Bool/aws:MultiFactorAuthPresent"
    assert "SAML-federated callers" in result.message and "UNCONFIRMED" in result.message


# --- XA408 invariant-violated ---------------------------------------------------------------------------------------


def test_xa408_reports_each_violation_with_its_path_and_precision() -> None:
    model = roles_model(
        {
            role(DEV, "Ci"): {
                "trust": {"AWS": OTHER},
                "permissions": [{"Action": "sts:AssumeRole", "Resource": "*"}],
            },
            role(PROD, "Release"): {"trust": {"AWS": role(DEV, "Ci")}, "conditions": XID},
        },
        partial_accounts=[OTHER],
    )
    invariant = Invariant("dev-never-prod", "no-path", from_accounts=(DEV,), to_accounts=(PROD,))
    (result,) = run("XA408", model, Config(graph=GraphConfig(invariants=(invariant,))))
    assert result.message.startswith('invariant "dev-never-prod" (no-path')
    assert result.precision is Precision.EXACT
    only = Invariant("partner-never-prod", "no-path", from_accounts=(OTHER,), to_accounts=(PROD,))
    (possible,) = run("XA408", model, Config(graph=GraphConfig(invariants=(only,))))
    assert (
        possible.precision is Precision.UNKNOWN and "possibly" in possible.message
    )  # through the unknown root
    assert run("XA408", model, Config()) == []


# --- the recipe and the reports -------------------------------------------------------------------------------------


@functools.cache
def recipe_results() -> tuple[Result, ...]:
    config = load_config(RECIPE / "xacct-lint.toml")
    model = load_paths([RECIPE], config, root=ROOT)
    rules = [r for r in _rules().values() if r.meta.id[:3] in ("XA3", "XA4")]
    results, _ = to_results(run_rules(rules, RuleContext(model, config)), {})
    return tuple(results)


def test_recipe_reports_the_chain_findings_the_issue_asks_for() -> None:
    found = {
        (r.rule.id, r.place.path, r.place.logical_path)
        for r in recipe_results()
        if r.flow or r.rule.id == "XA404"
    }
    prod = "fixtures/recipe/prod-cross-account-trust-policy.json"
    dev = "fixtures/recipe/dev-cross-account-trust-policy.json"
    assert found == {
        ("XA407", prod, "/Statement/0/Condition/Bool/aws:MultiFactorAuthPresent"),
        ("XA304", prod, "/Statement/0/Action"),
        ("XA304", dev, "/Statement/0/Action"),
        ("XA303", "fixtures/recipe/xacct-lint.toml", ""),
        ("XA404", prod, "/Statement/0"),
        ("XA404", dev, "/Statement/0"),
    }
    for result in recipe_results():
        if result.flow:  # every intended hop through the dead statement says that it is blocked today
            assert "is blocked today" in result.message and "XA208" in result.message


def test_reports_show_the_path() -> None:
    config = load_config(RECIPE / "xacct-lint.toml")
    model = load_paths([RECIPE], config, root=ROOT)
    chained = [r for r in recipe_results() if r.rule.id == "XA407"]
    report = build_report(model, tuple(r for r in _rules().values() if r.meta.id == "XA407"), chained)
    text = render_text(report)
    assert "  path (2 hops):" in text
    assert "    1. fixtures/recipe/master-cross-account-trust-policy.json:4:5: CorporateIdP -> Master" in text
    assert "       identity: fixtures/recipe/master-cross-account-permissions.json:4:5" in text
    (document,) = report_document(report)["results"]
    assert [hop["trust"]["path"] for hop in document["flow"]] == [
        "fixtures/recipe/master-cross-account-trust-policy.json",
        "fixtures/recipe/prod-cross-account-trust-policy.json",
    ]
    assert document["flow"][1]["identity"]["logical_path"] == "/Statement/0"
    sarif = render_sarif(report)
    validate_sarif(sarif)
    (result,) = json.loads(sarif)["runs"][0]["results"]
    (flow,) = result["codeFlows"]
    steps = flow["threadFlows"][0]["locations"]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [4, 4]
    assert [s["executionOrder"] for s in steps] == [1, 2]
    related = {r["id"]: r for r in result["relatedLocations"]}
    identity = related[steps[1]["properties"]["identityLocationId"]]
    assert identity["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "master-cross-account-permissions.json"
    )
    assert "codeFlows" not in sarif_log(build_report(model, (), []))["runs"][0].get("results", [{}])[0:1]


@pytest.mark.parametrize(
    "rule_id",
    ["XA303", "XA304", "XA306", "XA401", "XA402", "XA403", "XA404", "XA405", "XA406", "XA407", "XA408"],
)
def test_chain_rules_are_quiet_on_an_empty_model(rule_id: str) -> None:
    assert run(rule_id, Model()) == []


def test_an_undecided_search_is_a_note_never_silence() -> None:
    model = roles_model({
        role(SEC, "Hub"): hub(role(PROD, "Prod")),
        role(PROD, "Prod"): {"trust": {"AWS": role(SEC, "Hub")}, "conditions": {**XID, **MFA}},
    })  # fmt: skip
    rule = _rules()["XA407"]
    results, _ = to_results(run_rules([rule], RuleContext(model, NO_CONFIG, search_budget=1)), {})
    (result,) = results
    assert result.message.startswith("could not decide whether this statement requires MFA of Hub")
    assert result.precision is Precision.UNKNOWN and result.severity.value == "note"
