"""The graph as networkx node-link JSON, for other tools.

``networkx.node_link_graph(json.load(f), edges="edges")`` reads it back into the same MultiDiGraph. Node ids
are the graph's own (ARNs where one exists, the service principal's name otherwise); every node and edge keeps
all its attributes. Findings are added as data: each node and edge carries ``findings`` (the ids of the entries
in the graph attribute ``findings``, which says rule, severity, message and place). Output is deterministic:
nodes sorted by id, edges by source, target and key, object keys sorted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from xacct_lint.report import jsonable

if TYPE_CHECKING:
    import networkx as nx

    from xacct_lint.graph_view.view import FindingRef


def node_link(graph: nx.MultiDiGraph, findings: Sequence[FindingRef] = ()) -> dict[str, Any]:
    """Return the node-link document of a graph (the shape of ``networkx.node_link_data(G, edges="edges")``)."""
    node_refs: dict[str, list[str]] = {}
    edge_refs: dict[tuple[str, str, str], list[str]] = {}
    for found in findings:
        for node in found.nodes:
            node_refs.setdefault(node, []).append(found.ref)
        for edge in found.edges:
            edge_refs.setdefault(edge, []).append(found.ref)
    graph_attrs: dict[str, Any] = dict(graph.graph)
    if findings:
        graph_attrs["findings"] = [
            {
                "id": f.ref,
                "rule": f.rule_id,
                "name": f.rule_name,
                "severity": f.severity,
                "message": f.message,
                "path": f.place.path,
                "pointer": f.place.pointer,
                "line": f.place.line,
                "column": f.place.column,
                "flow": [list(edge) for edge in f.flow],
            }
            for f in findings
        ]
    nodes = []
    for node_id in sorted(graph.nodes, key=str):
        entry: dict[str, Any] = {"id": node_id, **graph.nodes[node_id]}
        if findings:
            entry["findings"] = node_refs.get(str(node_id), [])
        nodes.append(entry)
    edges = []
    for u, v, k in sorted(graph.edges(keys=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))):
        entry = {"source": u, "target": v, "key": k, **graph.edges[u, v, k]}
        if findings:
            entry["findings"] = edge_refs.get((str(u), str(v), str(k)), [])
        edges.append(entry)
    document: Mapping[str, Any] = {
        "directed": True,
        "multigraph": True,
        "graph": graph_attrs,
        "nodes": nodes,
        "edges": edges,
    }
    plain = jsonable(document)
    assert isinstance(plain, dict)
    return plain


def render_json(graph: nx.MultiDiGraph, findings: Sequence[FindingRef] = ()) -> str:
    """Return the node-link JSON text of a graph, with its findings when given."""
    return json.dumps(node_link(graph, findings), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
