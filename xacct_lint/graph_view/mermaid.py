"""The graph as a Mermaid flowchart, which GitHub renders inside a Markdown file (a ```mermaid block).

Node ids are generated (``n0``, ``n1``, ...) so no input string becomes Mermaid syntax, and every label is a
quoted string in which the characters Mermaid or its HTML labels would read (``"``, ``<``, ``>``, ``&``, ``#``,
backtick, ``|``, brackets and braces) are written as Mermaid entity codes (``#quot;``, ``#60;``, ...). Accounts are
subgraphs; unknown and one-sided hops are dotted, blocked ones end in a cross; findings colour the node or hop
red (error), orange (warning) or blue (note).
"""

from __future__ import annotations

from xacct_lint.graph_view.view import GraphView, NodeView, edge_label_lines

SHAPES = {  # Mermaid node shapes: (opening, closing)
    "role": ("(", ")"),
    "user": ("[", "]"),
    "saml-provider": ("{{", "}}"),
    "oidc-provider": ("{{", "}}"),
    "account": ("[[", "]]"),
    "service": ("([", "])"),
}
COLOURS = {"error": "#cf222e", "warning": "#bc4c00", "note": "#0969da"}
_ENTITIES = {c: f"#{ord(c)};" for c in '"<>&#`|[](){};\\'}


def mermaid_text(text: str) -> str:
    """Return text safe inside a quoted Mermaid label: special characters as entity codes, one line."""
    return "".join(_ENTITIES.get(c, c) for c in " ".join(text.split()))


def _node_label(node: NodeView) -> str:
    return f"{mermaid_text(node.label)}<br/><small>{mermaid_text(node.subtitle)}</small>"


def render_mermaid(view: GraphView, *, fenced: bool = False) -> str:
    """Return a Mermaid ``flowchart LR`` of the graph (inside a ```mermaid fence when ``fenced``)."""
    ids = {node_id: f"n{index}" for index, node_id in enumerate(view.nodes)}
    out = [
        f"%% xacct-lint assume-role graph: {len(view.nodes)} nodes, {len(view.edges)} hops",
        "flowchart LR",
    ]
    for index, group in enumerate(view.groups):
        out.append(f'  subgraph g{index}["{mermaid_text(group.title)}"]')
        for node_id in group.nodes:
            node = view.nodes[node_id]
            opening, closing = SHAPES.get(node.kind, ("[", "]"))
            out.append(f'    {ids[node_id]}{opening}"{_node_label(node)}"{closing}')
        out.append("  end")
    link_styles: list[str] = []
    for index, edge in enumerate(view.edges):
        rules = view.rule_ids(edge.findings)
        lines = ([" ".join(rules)] if rules else []) + list(edge_label_lines(edge))
        label = "<br/>".join(mermaid_text(line) for line in lines)
        arrow = {"allowed": "-->", "blocked": "-.-x"}.get(edge.status, "-.->")
        out.append(f'  {ids[edge.source]} {arrow}|"{label}"| {ids[edge.target]}')
        worst = view.worst(edge.findings)
        if worst:
            link_styles.append(
                f"  linkStyle {index} stroke:{COLOURS[worst]},stroke-width:2.5px,color:{COLOURS[worst]}"
            )
        elif edge.status != "allowed":
            link_styles.append(f"  linkStyle {index} stroke:#818b98")
    out.extend(link_styles)
    for level, colour in COLOURS.items():
        flagged = [ids[n.id] for n in view.nodes.values() if view.worst(n.findings) == level]
        if flagged:
            out.append(f"  classDef {level} stroke:{colour},stroke-width:3px")
            out.append(f"  class {','.join(flagged)} {level}")
    outside = [ids[n.id] for n in view.nodes.values() if not n.in_data]
    if outside:
        out.append("  classDef outside stroke-dasharray:5 3")
        # A node with a finding keeps its severity colour; the dashes still say it is not in the data.
        out.append(f"  class {','.join(outside)} outside")
    text = "\n".join(out) + "\n"
    return f"```mermaid\n{text}```\n" if fenced else text
