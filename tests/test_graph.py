"""The assume-role graph: its schema, the recipe's exact hops, edge statuses, derived conditions, path
composition, invariants, the configuration keys, and the doctests of the graph modules."""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from xacct_lint.graph import (
    INTENDED,
    NODE_KINDS,
    STATUSES,
    TRAVERSABLE,
    build_graph,
    check_invariant,
    compose,
    match_nodes,
    paths,
    shortest_paths,
)
from xacct_lint.graph.generators import roles_model
from xacct_lint.load import load_paths
from xacct_lint.model.config import Config, ConfigError, GraphConfig, Invariant, load_config

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "fixtures" / "recipe"
SEC, PROD, DEV, OTHER = "111111111111", "222222222222", "333333333333", "444455556666"
SAML = f"arn:aws:iam::{SEC}:saml-provider/CorporateIdP"
MASTER = f"arn:aws:iam::{SEC}:role/MasterCrossAccountRole-a1b2c3"
PROD_ROLE = f"arn:aws:iam::{PROD}:role/CrossAccount-ProductionAccess-a1b2c3"
DEV_ROLE = f"arn:aws:iam::{DEV}:role/CrossAccount-DevelopmentAccess-a1b2c3"
LAMBDA_ROLE = f"arn:aws:iam::{SEC}:role/RoleValidatorLambdaRole-a1b2c3"
XID = {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}}
NODE_ATTRIBUTES = {"kind", "account", "label", "in_data", "tier", "max_session_duration", "admin", "source"}
EDGE_ATTRIBUTES = {
    "api", "status", "status_reason", "blocked_by", "conditions", "tags_offered", "offered_transitive_keys",
    "undecided", "trust", "identity", "description",
}  # fmt: skip
CONDITION_KEYS = {
    "external_id", "mfa", "source_ip", "saml_aud", "oidc_sub", "tag_session", "allowed_tag_keys",
    "allowed_transitive_keys", "max_duration",
}  # fmt: skip


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


@pytest.fixture(scope="module")
def recipe_graph() -> nx.MultiDiGraph:
    config = load_config(RECIPE / "xacct-lint.toml")
    return build_graph(load_paths([RECIPE], config, root=ROOT), config)


def edges(graph: nx.MultiDiGraph) -> dict[tuple[str, str], dict[str, Any]]:
    """Return the graph's edges by (caller, role); each test graph has one edge per pair."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for source, target, data in graph.edges(data=True):
        assert (source, target) not in found, f"two edges {source} -> {target}"
        found[(source, target)] = data
    return found


# --- the recipe ---------------------------------------------------------------------------------------------------


def test_recipe_has_exactly_the_hops_the_recipe_builds(recipe_graph: nx.MultiDiGraph) -> None:
    hops = {(u, v, d["api"], d["status"]) for u, v, d in recipe_graph.edges(data=True)}
    assert hops == {
        (SAML, MASTER, "AssumeRoleWithSAML", "allowed"),  # step 1, statement 0
        (
            f"arn:aws:iam::{SEC}:root",
            MASTER,
            "AssumeRole",
            "unknown",
        ),  # step 1, statement 1: no export of 111...
        (
            MASTER,
            PROD_ROLE,
            "AssumeRole",
            "blocked",
        ),  # step 2: the aws:userid condition never matches (XA208)
        (MASTER, DEV_ROLE, "AssumeRole", "blocked"),  # step 3: likewise
        (
            "lambda.amazonaws.com",
            LAMBDA_ROLE,
            "AssumeRole",
            "allowed",
        ),  # step 6: the validator's execution role
    }
    assert recipe_graph.graph["accounts"] == {SEC: "security", PROD: "prod", DEV: "dev"}
    assert recipe_graph.graph["exported_accounts"] == []


def test_recipe_hops_carry_their_conditions_and_places(recipe_graph: nx.MultiDiGraph) -> None:
    found = edges(recipe_graph)
    saml = found[(SAML, MASTER)]
    assert saml["conditions"]["saml_aud"] == ["https://signin.aws.amazon.com/saml"]
    assert saml["conditions"]["external_id"] is None
    assert saml["conditions"]["mfa"] == "not-required"
    assert saml["conditions"]["max_duration"] == 7200
    assert saml["trust"] == {
        "path": "fixtures/recipe/master-cross-account-trust-policy.json",
        "pointer": "/Statement/0",
        "line": 4,
        "column": 5,
    }
    assert saml["identity"] is None
    root = found[(f"arn:aws:iam::{SEC}:root", MASTER)]
    assert root["conditions"]["mfa"] == "required"
    assert root["trust"]["pointer"] == "/Statement/1"
    assert "no export of account 111111111111" in root["status_reason"]
    prod = found[(MASTER, PROD_ROLE)]
    assert prod["blocked_by"] == ['StringLike aws:userid ["*:111111111111:*"]']
    # The intended hop, with the dead condition set aside: what the author meant the hub to present.
    assert prod["conditions"]["external_id"] == ["k3v9q2m7x4p8w1z6"]
    assert prod["conditions"]["mfa"] == "required"
    assert prod["conditions"]["tag_session"] is False
    assert prod["tags_offered"] is True
    assert prod["offered_transitive_keys"] == ["Department", "Project", "Environment"]  # [session-tags]
    assert prod["identity"]["path"] == "fixtures/recipe/master-cross-account-permissions.json"
    assert prod["description"] == "ExternalId k3v9q2m7x4p8w1z6; MFA required; max 3600 s"
    dev = found[(MASTER, DEV_ROLE)]
    assert dev["conditions"]["source_ip"] == ["203.0.113.0/24", "198.51.100.0/24"]
    assert dev["conditions"]["mfa"] == "not-required"
    assert dev["conditions"]["max_duration"] == 7200


def test_every_node_and_edge_has_the_documented_attributes(recipe_graph: nx.MultiDiGraph) -> None:
    for node, data in recipe_graph.nodes(data=True):
        assert set(data) == NODE_ATTRIBUTES, node
        assert data["kind"] in NODE_KINDS
        assert data["account"] is None or (len(data["account"]) == 12 and data["account"].isdigit())
    for _u, _v, key, data in recipe_graph.edges(keys=True, data=True):
        assert set(data) == EDGE_ATTRIBUTES, key
        assert set(data["conditions"]) == CONDITION_KEYS
        assert data["status"] in STATUSES
    assert recipe_graph.nodes[MASTER]["tier"] == 3 and recipe_graph.nodes[DEV_ROLE]["tier"] == 1
    assert recipe_graph.nodes[SAML]["in_data"] is False and recipe_graph.nodes[MASTER]["in_data"] is True
    json.dumps(nx.node_link_data(recipe_graph, edges="edges"))  # plain data: the JSON view can dump it


def test_recipe_paths_compose_the_session(recipe_graph: nx.MultiDiGraph) -> None:
    assert paths(recipe_graph, SAML, PROD_ROLE, max_depth=3) == []  # blocked today
    (intended,) = paths(recipe_graph, SAML, PROD_ROLE, max_depth=3, statuses=INTENDED)
    first, second = intended.steps
    assert (first.chained, first.mfa, first.after.mfa) == (False, "not-required", "never")
    assert first.after.saml_keys == ("saml:namequalifier", "saml:sub", "saml:sub_type")
    assert (second.chained, second.mfa, second.tags, second.tag_session_missing) == (
        True,
        "never",
        ("caller",),
        True,
    )
    assert second.after.transitive_tag_keys == ("Department", "Project", "Environment")
    (to_dev,) = paths(recipe_graph, SAML, DEV_ROLE, max_depth=3, statuses=INTENDED)
    assert to_dev.steps[-1].duration_cap == 3600  # 7200 on the role, capped by chaining


def test_the_build_is_deterministic_and_pure(recipe_graph: nx.MultiDiGraph) -> None:
    config = load_config(RECIPE / "xacct-lint.toml")
    again = build_graph(load_paths([RECIPE], config, root=ROOT), config)
    assert nx.node_link_data(again, edges="edges") == nx.node_link_data(recipe_graph, edges="edges")
    assert list(again.nodes) == sorted(again.nodes)


# --- statuses -----------------------------------------------------------------------------------------------------


HUB = {
    "trust": {"Federated": SAML},
    "permissions": [{"Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{PROD}:role/*"}],
}


def test_cross_account_needs_both_sides() -> None:
    graph = build_graph(
        roles_model(
            {
                role(SEC, "Hub"): HUB,
                role(SEC, "NoPermission"): {"trust": {"Federated": SAML}},
                role(PROD, "Target"): {
                    "trust": {"AWS": [role(SEC, "Hub"), role(SEC, "NoPermission"), role(OTHER, "Partner")]},
                    "conditions": XID,
                },
            }
        ),
        Config(),
    )
    found = edges(graph)
    assert found[(role(SEC, "Hub"), role(PROD, "Target"))]["status"] == "allowed"
    one_sided = found[(role(SEC, "NoPermission"), role(PROD, "Target"))]
    assert one_sided["status"] == "one-sided" and "allows sts:AssumeRole" in one_sided["status_reason"]
    unknown = found[(role(OTHER, "Partner"), role(PROD, "Target"))]
    assert unknown["status"] == "unknown" and "no export of account 444455556666" in unknown["status_reason"]
    assert graph.nodes[role(OTHER, "Partner")]["in_data"] is False


def test_same_account_role_trust_needs_only_the_trust() -> None:
    graph = build_graph(
        roles_model(
            {
                role(SEC, "Caller"): {"trust": {"Service": "ec2.amazonaws.com"}},
                role(SEC, "Target"): {"trust": {"AWS": role(SEC, "Caller")}},
            }
        ),
        Config(),
    )
    assert edges(graph)[(role(SEC, "Caller"), role(SEC, "Target"))]["status"] == "allowed"


def test_a_root_trust_adds_the_permitted_principals_of_an_exported_account() -> None:
    model = roles_model(
        {
            role(SEC, "Permitted"): {
                "trust": {"Service": "ec2.amazonaws.com"},
                "permissions": [{"Action": "sts:AssumeRole", "Resource": role(PROD, "Target")}],
            },
            role(SEC, "Bystander"): {"trust": {"Service": "ec2.amazonaws.com"}},
            role(PROD, "Target"): {"trust": {"AWS": SEC}, "conditions": XID},
        },
        users={f"arn:aws:iam::{SEC}:user/alice": [{"Action": "sts:AssumeRole", "Resource": "*"}]},
    )
    found = edges(build_graph(model, Config()))
    root = f"arn:aws:iam::{SEC}:root"
    assert found[(root, role(PROD, "Target"))]["status"] == "allowed"
    assert found[(role(SEC, "Permitted"), role(PROD, "Target"))]["status"] == "allowed"
    assert found[(f"arn:aws:iam::{SEC}:user/alice", role(PROD, "Target"))]["status"] == "allowed"
    assert (role(SEC, "Bystander"), role(PROD, "Target")) not in found  # not permitted: no hop at all
    partial = roles_model({role(PROD, "Target"): {"trust": {"AWS": SEC}}}, partial_accounts=[PROD])
    assert edges(build_graph(partial, Config()))[(root, role(PROD, "Target"))]["status"] == "unknown"


def test_a_dead_statement_is_blocked_and_keeps_its_intended_conditions() -> None:
    graph = build_graph(
        roles_model({
            role(SEC, "Hub"): HUB,
            role(PROD, "Target"): {
                "trust": {"AWS": role(SEC, "Hub")},
                "conditions": {**XID, "NumericLessThan": {"aws:EpochTime": "10"},
                               "NumericGreaterThan": {"aws:EpochTime": "20"}},
            },
            role(PROD, "SamlWithAssumeRole"): {"trust": {"Federated": SAML}, "action": "sts:AssumeRole"},
            role(PROD, "TagOnly"): {"trust": {"AWS": role(SEC, "Hub")}, "action": "sts:TagSession"},
        }),
        Config(),
    )  # fmt: skip
    found = edges(graph)
    dead = found[(role(SEC, "Hub"), role(PROD, "Target"))]
    assert dead["status"] == "blocked"
    assert len(dead["blocked_by"]) == 2 and all("aws:EpochTime" in b for b in dead["blocked_by"])
    assert dead["conditions"]["external_id"] == ["k3v9q2m7x4p8w1z6"]
    mismatch = found[(SAML, role(PROD, "SamlWithAssumeRole"))]
    assert mismatch["status"] == "blocked" and "sts:AssumeRoleWithSAML" in mismatch["blocked_by"][0]
    assert (role(SEC, "Hub"), role(PROD, "TagOnly")) not in found  # a TagSession-only statement is no hop


def test_a_permission_that_names_a_role_without_its_trust() -> None:
    graph = build_graph(
        roles_model(
            {
                role(SEC, "Caller"): {
                    "trust": {"Federated": SAML},
                    "permissions": [
                        {"Action": "sts:AssumeRole", "Resource": [role(PROD, "Closed"), role(OTHER, "Far")]}
                    ],
                },
                role(PROD, "Closed"): {"trust": {"Service": "ec2.amazonaws.com"}},
            }
        ),
        Config(),
    )
    found = edges(graph)
    assert found[(role(SEC, "Caller"), role(PROD, "Closed"))]["status"] == "one-sided"
    assert found[(role(SEC, "Caller"), role(OTHER, "Far"))]["status"] == "unknown"
    assert found[(role(SEC, "Caller"), role(OTHER, "Far"))]["trust"] is None


# --- conditions are derived semantically --------------------------------------------------------------------------


def _conditions(
    trust: dict[str, Any], conditions: dict[str, Any] | None = None, **spec: Any
) -> dict[str, Any]:
    target = role(PROD, "Target")
    model = roles_model({
        role(SEC, "Hub"): {"trust": {"Federated": SAML}, "permissions": [
            {"Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]},
        target: {"trust": trust, **({"conditions": conditions} if conditions else {}), **spec},
    })  # fmt: skip
    graph = build_graph(model, Config())
    ((_u, _v, data),) = [(u, v, d) for u, v, d in graph.edges(data=True) if v == target]
    result: dict[str, Any] = data["conditions"]
    return result


def test_external_id_if_exists_is_not_required() -> None:
    hub = {"AWS": role(SEC, "Hub")}
    assert _conditions(hub, {"StringEqualsIfExists": {"sts:ExternalId": "abc123"}})["external_id"] is None
    assert _conditions(hub, {"StringEquals": {"sts:ExternalId": ["abc123", "def456"]}})["external_id"] == [
        "abc123",
        "def456",
    ]


def test_mfa_is_judged_by_what_the_statements_admit() -> None:
    hub = {"AWS": role(SEC, "Hub")}
    assert _conditions(hub, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})["mfa"] == "required"
    # A Deny that refuses sessions without MFA requires it as surely as an Allow condition does.
    deny = {
        "statements": [
            {"Principal": hub, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": hub, "Action": "sts:AssumeRole",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
        ]
    }  # fmt: skip
    assert _conditions(hub, **deny)["mfa"] == "required"
    saml = _conditions({"Federated": SAML}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    assert saml["mfa"] == "unsatisfiable"  # STS never sets MFA for SAML sessions (iam-facts §2.3)


def test_source_ip_audience_subject_and_tags() -> None:
    hub = {"AWS": role(SEC, "Hub")}
    assert _conditions(hub, {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}})["source_ip"] == [
        "198.51.100.0/24"
    ]
    assert _conditions(hub, {"IpAddressIfExists": {"aws:SourceIp": "198.51.100.0/24"}})["source_ip"] is None
    oidc = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
    sub = {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}}
    assert _conditions({"Federated": oidc}, sub)["oidc_sub"] == ["repo:org/app:*"]
    tags = _conditions(
        hub, {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Team"]}},
        action=["sts:AssumeRole", "sts:TagSession"],
    )  # fmt: skip
    assert tags["tag_session"] is True and tags["allowed_tag_keys"] == ["Project", "Team"]
    assert _conditions(hub)["tag_session"] is False and _conditions(hub)["allowed_tag_keys"] == []


# --- paths and session composition --------------------------------------------------------------------------------


def _hand_made() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    kinds = {"idp": "saml-provider", "alice": "user", "acct": "account"}
    for node in ("idp", "alice", "acct", "hub", "spoke", "deep"):
        g.add_node(node, kind=kinds.get(node, "role"), tier=None, account=None)

    def add(u: str, v: str, status: str = "allowed", api: str = "AssumeRole", **extra: Any) -> None:
        conditions = {"mfa": extra.pop("mfa", "not-required"), "tag_session": extra.pop("tag_session", False),
                      "max_duration": extra.pop("max_duration", 3600)}  # fmt: skip
        g.add_edge(u, v, key="k", status=status, api=api, conditions=conditions, **extra)

    add("idp", "hub", api="AssumeRoleWithSAML", max_duration=7200)
    add("alice", "hub", mfa="required")
    add("acct", "spoke", max_duration=7200)
    add(
        "hub", "spoke", mfa="required", max_duration=7200, tags_offered=True, offered_transitive_keys=["team"]
    )
    add("spoke", "deep", status="blocked", tag_session=False)
    return g


def test_composition_follows_the_fact_sheet() -> None:
    g = _hand_made()
    (from_idp,) = paths(g, "idp", "spoke", max_depth=3)
    assert from_idp.steps[1].mfa == "never"  # a SAML-born session never carries MFA
    assert from_idp.steps[1].duration_cap == 3600  # chained: one hour at most
    (from_alice,) = paths(g, "alice", "spoke", max_depth=3)
    assert from_alice.steps[0].mfa == "satisfied"  # an IAM user can present MFA
    assert from_alice.steps[1].mfa == "lost"  # ...but the AssumeRole session it gets carries none
    (from_account,) = paths(g, "acct", "spoke", max_depth=3)
    assert from_account.steps[0].chained is None and from_account.steps[0].duration_cap == 7200
    (deep,) = paths(g, "idp", "deep", max_depth=3, statuses=INTENDED)
    assert deep.steps[-1].tags == ("transitive",) and deep.steps[-1].tag_session_missing
    assert deep.status == "blocked"
    assert paths(g, "idp", "deep", max_depth=3) == []
    assert paths(g, "idp", "spoke", max_depth=1) == []  # longer than the cutoff


def test_shortest_paths_prefer_allowed_hops() -> None:
    g = nx.MultiDiGraph()
    g.add_edge("a", "b", key="k", status="unknown", api="AssumeRole", conditions={})
    g.add_edge("z", "b", key="k", status="allowed", api="AssumeRole", conditions={})
    assert shortest_paths(g, ["a", "z"])["b"].nodes == ("z", "b")
    path = compose(g, "a", [])
    assert path.nodes == ("a",) and path.status == "allowed"


def test_match_nodes_reads_ids_suffixes_labels_and_patterns(recipe_graph: nx.MultiDiGraph) -> None:
    assert match_nodes(recipe_graph, "saml-provider/CorporateIdP") == [SAML]
    assert match_nodes(recipe_graph, "CrossAccount-ProductionAccess") == [PROD_ROLE]
    assert match_nodes(recipe_graph, "arn:aws:iam::*:role/CrossAccount-*") == [PROD_ROLE, DEV_ROLE]


# --- invariants ---------------------------------------------------------------------------------------------------


def _org() -> nx.MultiDiGraph:
    return build_graph(
        roles_model({
            role(SEC, "Hub"): {"trust": {"Federated": SAML}, "permissions": [
                {"Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/CrossAccount-*"}]},
            role(SEC, "Shortcut"): {"trust": {"Federated": SAML}},
            role(DEV, "Ci"): {"trust": {"Service": "codebuild.amazonaws.com"}, "permissions": [
                {"Action": "sts:AssumeRole", "Resource": role(PROD, "CrossAccount-Deploy")}]},
            role(PROD, "CrossAccount-Deploy"): {"trust": {"AWS": [role(SEC, "Hub"), role(DEV, "Ci")]},
                                               "conditions": XID},
        }),
        Config(),
    )  # fmt: skip


def test_invariants() -> None:
    g = _org()
    only = Invariant(
        "only-security", "only-from", from_accounts=(SEC,), to_nodes=("arn:aws:iam::*:role/CrossAccount-*",)
    )
    assert [(v.path.source, v.target) for v in check_invariant(g, only)] == [
        (role(DEV, "Ci"), role(PROD, "CrossAccount-Deploy"))
    ]
    no_path = Invariant("dev-never-prod", "no-path", from_accounts=(DEV,), to_accounts=(PROD,))
    assert [v.target for v in check_invariant(g, no_path)] == [role(PROD, "CrossAccount-Deploy")]
    through = Invariant("through-hub", "must-pass-through", from_nodes=(SAML,), through=(role(SEC, "Hub"),))
    assert [v.target for v in check_invariant(g, through)] == [role(SEC, "Shortcut")]
    assert all(v.certain for v in check_invariant(g, through))


def test_graph_configuration(tmp_path: Path) -> None:
    path = tmp_path / "xacct-lint.toml"
    path.write_text(
        '[accounts.dev]\nid = "333333333333"\n[accounts.prod]\nid = "222222222222"\n'
        "[graph]\nmax-depth = 2\n"
        '[[graph.invariants]]\nkind = "no-path"\nfrom-accounts = ["dev"]\nto-accounts = ["prod", "444455556666"]\n'
    )
    graph = load_config(path).graph
    assert graph.max_depth == 2
    assert graph.invariants == (
        Invariant("no-path-1", "no-path", from_accounts=(DEV,), to_accounts=(PROD, OTHER)),
    )
    assert Config().graph == GraphConfig(max_depth=3, invariants=())
    for text, fragment in [
        ("[graph]\ndepth = 2\n", "unknown key"),
        (
            '[[graph.invariants]]\nkind = "no-path"\nfrom-accounts = ["nowhere"]\nto = "*"\n',
            "unknown account",
        ),
        ('[[graph.invariants]]\nkind = "no-path"\nfrom = "*"\n', "needs to"),
        ('[[graph.invariants]]\nkind = "must-pass-through"\nfrom = "*"\n', "needs through"),
        ('[[graph.invariants]]\nkind = "sometimes"\nfrom = "*"\n', "graph.invariants.0.kind"),
    ]:
        path.write_text(text)
        with pytest.raises(ConfigError, match=fragment):
            load_config(path)


# --- documentation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    ["xacct_lint.graph", "xacct_lint.graph.build", "xacct_lint.graph.paths", "xacct_lint.graph.invariants",
     "xacct_lint.graph.generators"],
)  # fmt: skip
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_traversable_statuses_are_a_subset_of_intended() -> None:
    assert TRAVERSABLE < INTENDED <= set(STATUSES)
