"""The assume-role graph across accounts: who may assume which role, under which conditions, along which chains.

Public API (networkx style: functions over a ``networkx.MultiDiGraph``; nothing here imports networkx until a
function needs it, so ``import xacct_lint.graph`` stays cheap):

- :func:`build_graph` ``(model, config) -> MultiDiGraph``: the graph; its node, edge and graph attributes are
  documented in :mod:`xacct_lint.graph.build`.
- :func:`paths` ``(graph, source, target, *, max_depth, statuses=TRAVERSABLE) -> list[Path]``: every simple
  path, each step with the session composed per iam-facts §1, §2.4, §4.2, §8.2 (:mod:`xacct_lint.graph.paths`).
- :class:`PathTree`, :func:`shortest_paths`, :func:`shortest_path`, :func:`distances_to`, :func:`reachable`,
  :func:`entry_nodes`, :func:`in_hops`, :func:`path_to`, :func:`compose`, :func:`match_nodes`: building blocks
  the chain rules use.
- :func:`check_invariant` ``(graph, invariant) -> list[Violation]``: the configured ``[[graph.invariants]]``.
- :func:`graph_for` ``(ctx)``: the graph of a rule run, built once and shared by every graph rule.

>>> from xacct_lint.graph.generators import roles_model
>>> from xacct_lint.model.config import Config
>>> model = roles_model({
...     "arn:aws:iam::111111111111:role/Hub": {
...         "trust": {"Federated": "arn:aws:iam::111111111111:saml-provider/IdP"},
...         "permissions": [{"Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}],
...     },
...     "arn:aws:iam::222222222222:role/Prod": {
...         "trust": {"AWS": "arn:aws:iam::111111111111:role/Hub"},
...         "conditions": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
...         "max_session_duration": 7200,
...     },
... })
>>> graph = build_graph(model, Config())
>>> [path.nodes[-1].rsplit("/", 1)[-1] for path in paths(graph, "arn:aws:iam::111111111111:saml-provider/IdP",
...                                                       "arn:aws:iam::222222222222:role/Prod", max_depth=3)]
['Prod']
>>> last = paths(graph, "arn:aws:iam::111111111111:saml-provider/IdP",
...              "arn:aws:iam::222222222222:role/Prod", max_depth=3)[0].steps[-1]
>>> last.duration_cap, last.mfa, last.tag_session_missing
(3600, 'never', True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xacct_lint.graph.build import (
    ACCOUNT,
    ALLOWED,
    ANY_PRINCIPAL,
    APIS,
    BLOCKED,
    NODE_KINDS,
    OIDC_PROVIDER,
    ONE_SIDED,
    ROLE,
    SAML_PROVIDER,
    SERVICE,
    STATUSES,
    UNKNOWN,
    USER,
    build_graph,
    describe_conditions,
    graph_is_empty,
)
from xacct_lint.graph.invariants import Violation, check_invariant, node_selected
from xacct_lint.graph.paths import (
    CHAINED_SESSION_LIMIT,
    INTENDED,
    TRAVERSABLE,
    Hop,
    Path,
    PathTree,
    Session,
    Step,
    compose,
    distances_to,
    entry_nodes,
    in_hops,
    match_nodes,
    path_to,
    paths,
    reachable,
    shortest_path,
    shortest_paths,
)

if TYPE_CHECKING:
    import networkx as nx

    from xacct_lint.engine.context import RuleContext

MEMO_KEY = "xacct_lint.graph"


def graph_for(ctx: RuleContext) -> nx.MultiDiGraph:
    """Return the assume-role graph of a rule run: built on first use, then shared through ``ctx.memo``."""
    graph = ctx.memo.get(MEMO_KEY)
    if graph is None:
        from xacct_lint.iamdb import IamDatabaseUnavailable

        try:
            iamdb = ctx.iamdb()
        except IamDatabaseUnavailable:
            iamdb = None  # administrator detection then sees only `*` and managed policies
        graph = build_graph(ctx.model, ctx.config, iamdb=iamdb, search_budget=ctx.search_budget)
        ctx.memo[MEMO_KEY] = graph
    return graph


__all__ = [
    "ACCOUNT", "ALLOWED", "ANY_PRINCIPAL", "APIS", "BLOCKED", "CHAINED_SESSION_LIMIT", "INTENDED", "MEMO_KEY",
    "NODE_KINDS", "OIDC_PROVIDER", "ONE_SIDED", "ROLE", "SAML_PROVIDER", "SERVICE", "STATUSES", "TRAVERSABLE",
    "UNKNOWN", "USER", "Hop", "Path", "PathTree", "Session", "Step", "Violation", "build_graph", "check_invariant",
    "compose", "describe_conditions", "distances_to", "entry_nodes", "graph_for", "graph_is_empty", "in_hops",
    "match_nodes", "node_selected", "path_to", "paths", "reachable", "shortest_path", "shortest_paths",
]  # fmt: skip
