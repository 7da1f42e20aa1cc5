"""Configured invariants of the assume-role graph (``[[graph.invariants]]``): policy as code for the organisation.

Three kinds, each answered by one breadth-first search over the edges AWS may allow (``allowed`` and
``unknown``; a violation through an ``unknown`` hop is a *possible* violation):

- ``only-from``: only nodes selected by the ``from`` side may reach a role selected by the ``to`` side. The
  search starts from every other node; every selected role it reaches is a violation.
- ``no-path``: no node of the ``from`` side reaches a role of the ``to`` side.
- ``must-pass-through``: every path from a ``from`` node into a ``to`` role (default: any role) passes through
  a node matching ``through``. The search avoids the ``through`` nodes; every role it still reaches is a
  violation.

A side selects a node by its account (``*-accounts``), its account's tier (``*-tiers``) or its id (an ARN
pattern with IAM wildcards ``*`` and ``?``); any one of them suffices.

>>> import networkx as nx
>>> from xacct_lint.model.config import Invariant
>>> g = nx.MultiDiGraph()
>>> g.add_node("arn:aws:iam::333333333333:role/Dev", kind="role", account="333333333333", tier=1)
>>> g.add_node("arn:aws:iam::222222222222:role/Prod", kind="role", account="222222222222", tier=3)
>>> _ = g.add_edge("arn:aws:iam::333333333333:role/Dev", "arn:aws:iam::222222222222:role/Prod", key="k",
...                status="allowed", api="AssumeRole", conditions={})
>>> rule = Invariant("dev-never-prod", "no-path", from_accounts=("333333333333",), to_accounts=("222222222222",))
>>> [(v.target.rsplit("/", 1)[-1], v.path.nodes[0].rsplit("/", 1)[-1]) for v in check_invariant(g, rule)]
[('Prod', 'Dev')]
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xacct_lint.evaluate.operators import glob_match
from xacct_lint.graph.paths import TRAVERSABLE, Path, PathTree

if TYPE_CHECKING:
    import networkx as nx

    from xacct_lint.model.config import Invariant


@dataclass(frozen=True)
class Violation:
    """A role an invariant protects, reached by a path the invariant forbids (``path.source`` is the offender)."""

    invariant: Invariant
    target: str
    path: Path

    @property
    def certain(self) -> bool:
        """Return False when the path needs a hop whose status is unknown (a possible violation)."""
        return self.path.status == "allowed"


def node_selected(
    graph: nx.MultiDiGraph,
    node: str,
    accounts: Collection[str],
    tiers: Collection[int],
    patterns: Collection[str],
) -> bool:
    """Return whether a node is selected by accounts, tiers or id patterns (any one suffices)."""
    data = graph.nodes[node]
    if accounts and data.get("account") in accounts:
        return True
    if tiers and data.get("tier") in tiers:
        return True
    return any(glob_match(pattern, node) for pattern in patterns)


def check_invariant(
    graph: nx.MultiDiGraph, invariant: Invariant, *, statuses: Collection[str] = TRAVERSABLE
) -> list[Violation]:
    """Return the violations of one invariant, one per protected role reached, sorted by role."""

    def is_from(node: str) -> bool:
        return node_selected(graph, node, invariant.from_accounts, invariant.from_tiers, invariant.from_nodes)

    def is_to(node: str) -> bool:
        if graph.nodes[node].get("kind") != "role":
            return False
        if not (invariant.to_accounts or invariant.to_tiers or invariant.to_nodes):
            return True
        return node_selected(graph, node, invariant.to_accounts, invariant.to_tiers, invariant.to_nodes)

    nodes = sorted(graph.nodes)
    avoid: set[str] = set()
    if invariant.kind == "only-from":
        tree = PathTree(graph, [n for n in nodes if not is_from(n)], statuses=statuses)
    elif invariant.kind == "no-path":
        tree = PathTree(graph, [n for n in nodes if is_from(n)], statuses=statuses)
    else:  # must-pass-through
        avoid = {n for n in nodes if any(glob_match(p, n) for p in invariant.through)}
        tree = PathTree(graph, [n for n in nodes if is_from(n)], statuses=statuses, avoid=avoid)
    violations = []
    for target in tree.reached():
        if is_to(target) and target not in avoid and (path := tree.path(target)) is not None:
            violations.append(Violation(invariant, target, path))
    return violations
