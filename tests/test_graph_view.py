"""The graph views' common reading (order, groups, labels, what a hop demands, which findings concern which
element) and the HTML layout's geometry, on hand-built graphs that follow the engine's schema."""

from __future__ import annotations

import random
from typing import Any

import networkx as nx
import pytest
from graph_view_support import (
    DEV_EXTERNAL_ID,
    DEV_ROLE,
    LAMBDA,
    LAMBDA_ROLE,
    MASTER,
    PROD,
    PROD_EXTERNAL_ID,
    PROD_ROLE,
    RECIPE,
    ROOT,
    SAML,
    SECURITY,
    add_edge,
    add_node,
    recipe_graph,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xacct_lint.engine.rule import Finding, Rule, RuleMeta, Severity
from xacct_lint.engine.runner import to_results
from xacct_lint.graph_view.layout import NAME_LIMIT, Box, layout, short_name
from xacct_lint.graph_view.view import (
    SERVICES_GROUP,
    Owner,
    Place,
    edge_label_lines,
    findings_from_results,
    hop_requirements,
    read_graph,
)
from xacct_lint.model.inventory import Location
from xacct_lint.parse.json_tree import parse_json
from xacct_lint.parse.source import SourceFile, Span

PROD_TRUST = f"{RECIPE}/prod-cross-account-trust-policy.json"
PROD_TO = (MASTER, PROD_ROLE, "trust/Statement/0")
DEV_TO = (MASTER, DEV_ROLE, "trust/Statement/0")
SAML_TO = (SAML, MASTER, "trust/Statement/0")


def shuffled_copy(graph: nx.MultiDiGraph, seed: int) -> nx.MultiDiGraph:
    """Return the same graph with nodes and edges inserted in another order."""
    rng = random.Random(seed)
    nodes = list(graph.nodes(data=True))
    edges = list(graph.edges(keys=True, data=True))
    rng.shuffle(nodes)
    rng.shuffle(edges)
    copy = nx.MultiDiGraph(**graph.graph)
    copy.add_nodes_from(nodes)
    for u, v, k, d in edges:
        copy.add_edge(u, v, key=k, **d)
    return copy


# --- reading ---------------------------------------------------------------------------------------------


def test_groups_are_accounts_by_id_then_services() -> None:
    view = read_graph(recipe_graph())
    assert [g.key for g in view.groups] == [SECURITY, PROD, "333333333333", SERVICES_GROUP]
    security = view.groups[0]
    assert security.title == "security · 111111111111 · tier 3"
    # Within an account: account principals, providers, then roles by name.
    assert security.nodes == (ROOT, SAML, MASTER, LAMBDA_ROLE)
    assert view.groups[-1].nodes == (LAMBDA,)
    assert view.groups[-1].title == "AWS services"


def test_unknown_account_is_a_group_that_says_it_is_not_in_the_data() -> None:
    graph = recipe_graph()
    outsider = "arn:aws:iam::444455556666:root"
    add_node(graph, outsider, "account", "444455556666")
    add_edge(graph, outsider, MASTER, "x", status="unknown")
    group = next(g for g in read_graph(graph).groups if g.key == "444455556666")
    assert group.title == "account 444455556666 · not in the data"
    assert not group.in_data


def test_reading_does_not_depend_on_insertion_order() -> None:
    graph = recipe_graph()
    for seed in range(5):
        assert read_graph(shuffled_copy(graph, seed)) == read_graph(graph)


def test_missing_attributes_read_as_not_known() -> None:
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", key="k")
    view = read_graph(graph)
    assert [n.label for n in view.nodes.values()] == ["a", "b"]
    edge = view.edges[0]
    assert (edge.api, edge.status, edge.trust) == ("AssumeRole", "unknown", None)
    assert dict(hop_requirements(edge))["MFA"] == "not known"


def edge_of(graph: nx.MultiDiGraph, edge_id: tuple[str, str, str]) -> Any:
    return next(e for e in read_graph(graph).edges if e.id == edge_id)


def test_label_lines_name_what_the_hop_demands() -> None:
    graph = recipe_graph()
    assert edge_label_lines(edge_of(graph, PROD_TO)) == (
        "AssumeRole · ≤ 1 h",
        "ExternalId · MFA unmeetable",
        "no TagSession",
    )
    assert edge_label_lines(edge_of(graph, DEV_TO)) == (
        "AssumeRole · ≤ 1 h",
        "ExternalId",
        "IP 203.0.113.0/24 +1",
        "no TagSession",
    )
    assert edge_label_lines(edge_of(graph, SAML_TO)) == ("SAML · ≤ 2 h", "aud AWS sign-in", "no TagSession")


def test_label_lines_are_short_and_say_status_and_tags() -> None:
    graph = nx.MultiDiGraph()
    add_edge(
        graph,
        "a",
        "b",
        "k",
        status="one-sided",
        api="AssumeRoleWithWebIdentity",
        oidc_sub=["repo:example-org/" + "x" * 80 + ":ref:refs/heads/main"],
        tag_session=True,
        allowed_tag_keys=["Project", "Team", "CostCentre"],
        max_duration=5400,
    )
    lines = edge_label_lines(read_graph(graph).edges[0])
    assert lines[:2] == ("WebIdentity · one-sided", "≤ 90 min")
    assert lines[2].startswith("sub repo:example-org/") and lines[2].endswith("…")
    assert lines[3] == "tags Project, Team +1"
    assert all(len(line) <= 30 for line in lines)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [(None, "tags: any"), ([], "tags none"), (["Project"], "tags Project")],
)
def test_tag_keys_none_means_any_and_empty_means_none(keys: list[str] | None, expected: str) -> None:
    graph = nx.MultiDiGraph()
    add_edge(graph, "a", "b", "k", tag_session=True, allowed_tag_keys=keys)
    assert expected in edge_label_lines(read_graph(graph).edges[0])


def test_requirements_give_every_value_the_caller_presents() -> None:
    graph = recipe_graph()
    prod = dict(hop_requirements(edge_of(graph, PROD_TO)))
    assert prod["ExternalId"] == PROD_EXTERNAL_ID
    assert prod["MFA"].startswith("required, but no session")
    assert prod["source IP"] == "any"
    assert "no sts:TagSession" in prod["session tags"]
    assert prod["duration"] == "at most 3600 s (1 h)"
    dev = dict(hop_requirements(edge_of(graph, DEV_TO)))
    assert dev["ExternalId"] == DEV_EXTERNAL_ID
    assert dev["source IP"] == "from 203.0.113.0/24 or 198.51.100.0/24"
    saml = hop_requirements(edge_of(graph, SAML_TO))
    assert saml[0] == (
        "SAML",
        "a SAML assertion from this provider with audience https://signin.aws.amazon.com/saml",
    )


# --- findings --------------------------------------------------------------------------------------------

PROD_TRUST_TEXT = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole-a1b2c3"},
      "Action": "sts:AssumeRole",
      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    }
  ]
}
"""
TOML = 'name = "x"\nmax-session-duration = 7200\n'


def results_for(findings: list[Finding]) -> list[Any]:
    """Return the placed results of findings, through the engine's own to_results."""
    rules = {
        f.rule_id: Rule(
            RuleMeta(f.rule_id, f"rule-{f.rule_id.lower()}", Severity.WARNING), "doc", lambda _c: (), "t", "t"
        )
        for f in findings
    }
    return to_results([(rules[f.rule_id], f) for f in findings], {})[0]


def prod_location(pointer: str) -> Location:
    source = SourceFile(PROD_TRUST, PROD_TRUST_TEXT)
    return Location(source, parse_json(PROD_TRUST_TEXT).root, pointer)


def test_findings_in_a_statement_mark_its_hop_and_its_role() -> None:
    graph = recipe_graph()
    results = results_for([Finding("XA407", "mfa", prod_location("/Statement/0/Condition/Bool"))])
    owners = [Owner(PROD_ROLE, PROD_TRUST, "")]
    (found,) = findings_from_results(results, graph, owners)
    assert found.edges == (PROD_TO,)
    assert found.nodes == (PROD_ROLE,)
    assert found.place == Place(PROD_TRUST, "/Statement/0/Condition/Bool", 8, 21)
    view = read_graph(graph, [found])
    assert view.nodes[PROD_ROLE].findings == (found.ref,)
    assert next(e for e in view.edges if e.id == PROD_TO).findings == (found.ref,)
    assert view.worst([found.ref]) == "warning"


def test_a_finding_outside_every_statement_marks_no_hop() -> None:
    graph = recipe_graph()
    results = results_for([Finding("XA001", "version", prod_location("/Version"))])
    (found,) = findings_from_results(results, graph, [Owner(PROD_ROLE, PROD_TRUST, "")])
    assert found.edges == ()
    assert found.nodes == (PROD_ROLE,)


def test_findings_in_a_shared_toml_mark_only_the_role_on_their_line() -> None:
    graph = recipe_graph()
    toml = SourceFile("fixtures/recipe/xacct-lint.toml", TOML)
    at_line_2 = Location(toml, None, "", span=Span(TOML.index("max"), TOML.index("max") + 3))
    results = results_for([Finding("XA303", "chained", at_line_2)])
    owners = [Owner(DEV_ROLE, toml.display_path, "", 2), Owner(MASTER, toml.display_path, "", 1)]
    (found,) = findings_from_results(results, graph, owners)
    assert found.nodes == (DEV_ROLE,)


def test_a_chain_finding_keeps_its_flow_apart_from_where_it_is() -> None:
    graph = recipe_graph()
    master_trust = f"{RECIPE}/master-cross-account-trust-policy.json"

    class Step:
        def __init__(self, path: str, pointer: str) -> None:
            self.path, self.logical_path = path, pointer

    result = results_for([Finding("XA407", "chain", prod_location("/Statement/0/Condition/Bool"))])[0]
    flow = (
        (Step(master_trust, "/Statement/0"), None, "saml"),
        (Step(PROD_TRUST, "/Statement/0"), None, "prod"),
    )

    class WithFlow:
        def __getattr__(self, name: str) -> Any:
            return flow if name == "flow" else getattr(result, name)

    (found,) = findings_from_results([WithFlow()], graph)  # type: ignore[list-item]
    assert found.flow == (SAML_TO, PROD_TO)
    assert found.edges == (PROD_TO,)


# --- layout ----------------------------------------------------------------------------------------------


def overlaps(a: Box, b: Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def inside(inner: Box, outer: Box) -> bool:
    return (
        outer.x <= inner.x
        and inner.right <= outer.right
        and outer.y <= inner.y
        and inner.bottom <= outer.bottom
    )


def assert_readable(graph: nx.MultiDiGraph) -> None:
    """Nodes sit in their account's box, and no two nodes, clusters or hop labels overlap."""
    view = read_graph(graph)
    placed = layout(view)
    for group in view.groups:
        for node in group.nodes:
            assert inside(placed.nodes[node], placed.groups[group.key]), node
    boxes = list(placed.nodes.values())
    labels = [g.label for g in placed.edges.values()]
    for index, box in enumerate(boxes):
        assert not any(overlaps(box, other) for other in boxes[index + 1 :])
        assert not any(overlaps(box, label) for label in labels)
    groups = list(placed.groups.values())
    for index, box in enumerate(groups):
        assert not any(overlaps(box, other) for other in groups[index + 1 :])
    for index, box in enumerate(labels):
        assert not any(overlaps(box, other) for other in labels[index + 1 :])
    everything = [*boxes, *labels, *groups]
    assert all(
        b.x >= 0 and b.y >= 0 and b.right <= placed.width and b.bottom <= placed.height for b in everything
    )


def test_recipe_layout_flows_left_to_right_through_the_accounts() -> None:
    graph = recipe_graph()
    assert_readable(graph)
    placed = layout(read_graph(graph))
    assert placed.groups[SERVICES_GROUP].right < placed.groups[SECURITY].x < placed.groups[PROD].x
    assert placed.nodes[SAML].right < placed.nodes[MASTER].x < placed.nodes[PROD_ROLE].x
    # The hop label sits between its ends, so the line runs through it.
    label = placed.edges[PROD_TO].label
    assert placed.nodes[MASTER].right < label.x and label.right < placed.nodes[PROD_ROLE].x


def test_layout_is_the_same_for_any_insertion_order() -> None:
    graph = recipe_graph()
    assert layout(read_graph(shuffled_copy(graph, 3))) == layout(read_graph(graph))


def test_long_names_are_shortened_in_the_box_only() -> None:
    name = "R" * 64
    assert short_name(name) == "R" * (NAME_LIMIT - 1) + "…"
    graph = nx.MultiDiGraph()
    add_node(graph, f"arn:aws:iam::{PROD}:role/{name}", "role", PROD)
    assert read_graph(graph).nodes[f"arn:aws:iam::{PROD}:role/{name}"].label == name


def test_cycles_and_self_loops_are_laid_out() -> None:
    graph = nx.MultiDiGraph(accounts={})
    roles = [
        f"arn:aws:iam::{account}:role/R{i}" for i, account in enumerate([SECURITY, SECURITY, PROD, PROD])
    ]
    for role in roles:
        add_node(graph, role, "role", role.split(":")[4])
    for u, v in [(0, 1), (1, 0), (1, 2), (2, 3), (3, 2), (3, 1), (2, 2)]:
        add_edge(graph, roles[u], roles[v], f"k{u}{v}")
    assert_readable(graph)


ACCOUNTS = [f"{n:012d}" for n in (111111111111, 222222222222, 333333333333, 444444444444)]


@st.composite
def graphs(draw: st.DrawFn) -> nx.MultiDiGraph:
    """Random graphs of a few accounts, roles, providers and services, with any hops between them."""
    graph = nx.MultiDiGraph(accounts={a: None for a in ACCOUNTS})
    nodes = []
    for index in range(draw(st.integers(1, 9))):
        kind = draw(st.sampled_from(["role", "role", "role", "saml-provider", "account", "service"]))
        account = None if kind == "service" else draw(st.sampled_from(ACCOUNTS))
        name = draw(st.text(alphabet="abcXYZ-_+=,.@<>&\"'", min_size=1, max_size=70))
        node = (
            f"svc{index}.amazonaws.com"
            if kind == "service"
            else f"arn:aws:iam::{account}:{kind}/{name}{index}"
        )
        add_node(graph, node, kind, account, label=name)
        nodes.append(node)
    for index, (u, v) in enumerate(
        draw(st.lists(st.tuples(st.sampled_from(nodes), st.sampled_from(nodes)), max_size=14))
    ):
        add_edge(
            graph,
            u,
            v,
            f"k{index}",
            status=draw(st.sampled_from(["allowed", "unknown", "one-sided", "blocked"])),
            external_id=draw(st.none() | st.just(["id"])),
            source_ip=draw(st.none() | st.just(["10.0.0.0/8", "192.0.2.0/24"])),
        )
    return graph


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_any_graph_is_laid_out_without_overlaps(graph: nx.MultiDiGraph) -> None:
    assert_readable(graph)
