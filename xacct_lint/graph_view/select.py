"""Naming nodes on the command line and selecting the paths between them.

A node is named as the graph engine's :func:`~xacct_lint.graph.match_nodes` reads it (the same reading as the
configured invariants): its id (an ARN, a service principal's name), an IAM wildcard pattern, an ARN suffix or
name (``saml-provider/CorporateIdP``, ``MasterCrossAccountRole-a1b2c3``), else any part of an id or label
(``CrossAccount-ProductionAccess`` for ``CrossAccount-ProductionAccess-a1b2c3``). A name must pick exactly one
node: none or several is an error that says which, never a guess.

Paths are the engine's :func:`~xacct_lint.graph.paths` over the hops the authors meant
(:data:`~xacct_lint.graph.INTENDED`: allowed, unknown and blocked), so a chain that a dead condition breaks is
shown, with the blocked hop marked, rather than silently missing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from xacct_lint.graph_view.view import EdgeId, node_name

if TYPE_CHECKING:
    import networkx as nx

    from xacct_lint.graph import Path

MAX_LISTED = 6


class NodeLookupError(ValueError):
    """A node name that matches no node, or more than one."""


def resolve_node(graph: nx.MultiDiGraph, text: str, option: str = "NODE") -> str:
    """Return the id of the one node ``text`` names; raise :class:`NodeLookupError` when none or several match."""
    from xacct_lint.graph import match_nodes

    found = match_nodes(graph, text) if text else []
    if len(found) == 1:
        return str(found[0])
    if found:
        listed = ", ".join(str(n) for n in found[:MAX_LISTED])
        more = f" and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
        raise NodeLookupError(
            f"{option} {text!r} is ambiguous: it matches {listed}{more}; give more of the name"
        )
    names = sorted(
        {node_name(str(n)) for n in graph.nodes}
        | {str(d.get("label", "")) for _n, d in graph.nodes(data=True)}
    )
    close = difflib.get_close_matches(text, [n for n in names if n], n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise NodeLookupError(
        f"{option} {text!r} matches no node of the graph (name a node by its ARN, its name, or an ARN suffix "
        f"such as saml-provider/CorporateIdP){hint}"
    )


def _within(graph: nx.MultiDiGraph, start: str, max_depth: int, *, reverse: bool) -> list[str]:
    """Return the nodes at most ``max_depth`` hops from (or, ``reverse``, to) ``start``, without it."""
    import networkx as nx  # deferred: only path queries need it

    view = graph.reverse(copy=False) if reverse else graph
    lengths = nx.single_source_shortest_path_length(view, start, cutoff=max_depth)
    return sorted(str(n) for n, length in lengths.items() if length > 0)


def select_paths(
    graph: nx.MultiDiGraph, source: str | None, target: str | None, max_depth: int
) -> list[Path]:
    """Return the paths from ``source`` to ``target`` of at most ``max_depth`` hops: shortest first, then by
    nodes and edge keys. With only one end given, the other ranges over every node within reach."""
    from xacct_lint.graph import INTENDED, paths

    if source is not None and target is not None:
        pairs = [(source, target)]
    elif source is not None:
        pairs = [(source, other) for other in _within(graph, source, max_depth, reverse=False)]
    elif target is not None:
        pairs = [(other, target) for other in _within(graph, target, max_depth, reverse=True)]
    else:
        raise ValueError("select_paths needs a source, a target or both")
    found = [
        p for start, end in pairs for p in paths(graph, start, end, max_depth=max_depth, statuses=INTENDED)
    ]
    return sorted(found, key=lambda p: (len(p), p.nodes, tuple(h.key for h in p.hops)))


def path_edges(path: Path) -> tuple[EdgeId, ...]:
    """Return a path's hops as (source, target, key) edge ids."""
    return tuple((h.source, h.target, h.key) for h in path.hops)


def subgraph_of(graph: nx.MultiDiGraph, paths: Iterable[Path], ends: Sequence[str]) -> nx.MultiDiGraph:
    """Return the part of the graph the paths use (plus the named end nodes), with the graph's attributes."""
    edges = sorted({edge for path in paths for edge in path_edges(path)})
    sub = graph.edge_subgraph(edges).copy()
    for node in ends:
        if node not in sub:
            sub.add_node(node, **graph.nodes[node])
    sub.graph.update(graph.graph)
    return sub
