"""The graph in Graphviz DOT: ``dot -Tsvg graph.dot -o graph.svg``.

Node ids are the graph's own ids (ARNs, service names) as quoted DOT strings; every string is quoted with ``\\``
and ``"`` escaped and line breaks written as ``\\n``, so nothing from the inputs can end a string or become a DOT
escape (a backslash in a name stays a backslash). Accounts are clusters; unknown and one-sided hops are dashed,
blocked ones dotted; findings colour the node or hop red (error), orange (warning) or blue (note).
"""

from __future__ import annotations

from collections.abc import Sequence

from xacct_lint.graph_view.view import GraphView, edge_label_lines

SHAPES = {
    "role": "box",
    "user": "box",
    "saml-provider": "hexagon",
    "oidc-provider": "hexagon",
    "account": "folder",
    "service": "ellipse",
}
FILLS = {
    "role": "#ddf4ff",
    "user": "#fbefff",
    "saml-provider": "#fff8c5",
    "oidc-provider": "#fff8c5",
    "account": "#ffffff",
    "service": "#dafbe1",
}
COLOURS = {"error": "#cf222e", "warning": "#bc4c00", "note": "#0969da"}
EDGE_STYLES = {"allowed": "solid", "unknown": "dashed", "one-sided": "dashed", "blocked": "dotted"}


def dot_string(text: str) -> str:
    """Return a quoted DOT string whose value is exactly ``text`` (line breaks become ``\\n`` escapes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n") + '"'


def _label(lines: Sequence[str]) -> str:
    """Return a multi-line label: each line escaped on its own, joined by DOT's centred line break."""
    return '"' + "\\n".join(dot_string(line)[1:-1] for line in lines) + '"'


def _attrs(pairs: Sequence[tuple[str, str]]) -> str:
    return "[" + ", ".join(f"{key}={value}" for key, value in pairs) + "]"


def render_dot(view: GraphView) -> str:
    """Return a DOT ``digraph`` of the graph, left to right, with one cluster per account."""
    out = [
        'digraph "assume-role graph" {',
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=1.1];',
        '  node [fontname="Helvetica", fontsize=11, style="rounded,filled", penwidth=1.2];',
        '  edge [fontname="Courier", fontsize=9, color="#424a53", fontcolor="#1f2328"];',
    ]
    for index, group in enumerate(view.groups):
        out.append(f"  subgraph cluster_{index} {{")
        style = '"rounded,filled"' if group.in_data else '"rounded,dashed"'
        out.append(
            f'    label={dot_string(group.title)}; style={style}; fillcolor="#f6f8fa"; color="#d1d9e0";'
        )
        for node_id in group.nodes:
            node = view.nodes[node_id]
            worst = view.worst(node.findings)
            style = "rounded,filled" if node.in_data else "rounded,filled,dashed"
            rules = view.rule_ids(node.findings)
            lines = [node.label, node.subtitle] + ([" ".join(rules)] if rules else [])
            pairs = [
                ("label", _label(lines)),
                ("shape", SHAPES.get(node.kind, "box")),
                ("style", dot_string(style)),
                ("fillcolor", dot_string(FILLS.get(node.kind, "#ffffff"))),
            ]
            if worst:
                pairs += [("color", dot_string(COLOURS[worst])), ("penwidth", "2.5")]
            out.append(f"    {dot_string(node_id)} {_attrs(pairs)};")
        out.append("  }")
    for edge in view.edges:
        worst = view.worst(edge.findings)
        rules = view.rule_ids(edge.findings)
        lines = ([" ".join(rules)] if rules else []) + list(edge_label_lines(edge))
        pairs = [
            ("key", dot_string(edge.key)),
            ("label", _label(lines)),
            ("style", EDGE_STYLES.get(edge.status, "solid")),
        ]
        if worst:
            pairs += [("color", dot_string(COLOURS[worst])), ("fontcolor", dot_string(COLOURS[worst]))]
            pairs.append(("penwidth", "2"))
        elif edge.status != "allowed":
            pairs.append(("color", '"#818b98"'))
        out.append(f"  {dot_string(edge.source)} -> {dot_string(edge.target)} {_attrs(pairs)};")
    out.append("}")
    return "\n".join(out) + "\n"
