"""Properties of the assume-role graph on generated organisations: adding a trust statement never removes a
path, and the graph does not depend on the order of its inputs."""

from __future__ import annotations

from typing import Any

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xacct_lint.graph import INTENDED, TRAVERSABLE, build_graph, entry_nodes, reachable
from xacct_lint.graph.generators import roles_model
from xacct_lint.model.config import Config

ACCOUNTS = ("111111111111", "222222222222", "333333333333")
SAML = "arn:aws:iam::111111111111:saml-provider/IdP"
NAMES = tuple(f"arn:aws:iam::{a}:role/R{i}" for a in ACCOUNTS for i in range(2))
CONDITIONS: tuple[dict[str, Any] | None, ...] = (
    None,
    {"StringEquals": {"sts:ExternalId": "abc123456789"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"StringLike": {"aws:userid": "*:111111111111:*"}},  # never matches: a blocked hop
    {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}},
)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    """One trust statement: a role, an account root or the SAML provider, under a condition."""
    kind = draw(st.sampled_from(["role", "root", "saml"]))
    condition = draw(st.sampled_from(CONDITIONS))
    if kind == "saml":
        statement: dict[str, Any] = {"Principal": {"Federated": SAML}, "Action": "sts:AssumeRoleWithSAML"}
    else:
        principal = draw(st.sampled_from(NAMES)) if kind == "role" else draw(st.sampled_from(ACCOUNTS))
        statement = {"Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition is not None and kind != "saml":
        statement["Condition"] = condition
    return statement


@st.composite
def organisations(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """Six roles in three accounts, each with 1-2 trust statements and a permission to assume some roles."""
    org: dict[str, dict[str, Any]] = {}
    for name in NAMES:
        targets = draw(st.lists(st.sampled_from(NAMES), max_size=3, unique=True))
        org[name] = {
            "statements": draw(st.lists(statements(), min_size=1, max_size=2)),
            "permissions": [{"Action": "sts:AssumeRole", "Resource": t} for t in targets],
        }
    return org


def _pairs(graph: nx.MultiDiGraph, statuses: frozenset[str]) -> set[tuple[str, str]]:
    return {
        (source, node)
        for source in entry_nodes(graph)
        for node in reachable(graph, [source], statuses=statuses)
    }


PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(organisations(), st.sampled_from(NAMES), statements())
def test_adding_a_trust_statement_never_removes_a_path(
    org: dict[str, dict[str, Any]], target: str, extra: dict[str, Any]
) -> None:
    before = build_graph(roles_model(org), Config())
    grown = {**org, target: {**org[target], "statements": [*org[target]["statements"], extra]}}
    after = build_graph(roles_model(grown), Config())
    for statuses in (TRAVERSABLE, INTENDED):
        assert _pairs(before, statuses) <= _pairs(after, statuses)


def _without_places(graph: nx.MultiDiGraph) -> tuple[Any, ...]:
    """Return the graph's content without file positions (which move when an export lists roles in another
    order) and without the keys of permission-only edges (which name a position too)."""
    nodes = sorted(
        (n, sorted((k, repr(v)) for k, v in d.items() if k != "source")) for n, d in graph.nodes(data=True)
    )
    edges = sorted(
        (
            u,
            v,
            "" if k.startswith("identity:") else k,
            sorted((a, repr(b)) for a, b in d.items() if a not in ("trust", "identity")),
        )
        for u, v, k, d in graph.edges(keys=True, data=True)
    )
    return (graph.graph, nodes, edges)


@PROPERTY
@given(organisations(), st.randoms(use_true_random=False))
def test_the_graph_does_not_depend_on_input_order(org: dict[str, dict[str, Any]], rng: Any) -> None:
    model = roles_model(org)
    reference = build_graph(model, Config())
    for items in (model.roles, model.policies, model.identities, model.sources):
        rng.shuffle(items)  # type: ignore[arg-type]
    shuffled = build_graph(model, Config())
    assert nx.node_link_data(shuffled, edges="edges") == nx.node_link_data(reference, edges="edges")
    order = list(org)
    rng.shuffle(order)
    reordered = build_graph(roles_model(org, order=order), Config())
    assert _without_places(reordered) == _without_places(reference)
