"""The graph as one self-contained HTML page: an SVG drawing, the findings and every hop's conditions.

Nothing is fetched when the page is viewed: the stylesheet and the small script (``page.css``, ``page.js`` beside
this module) are inlined, and a Content-Security-Policy allows exactly those two by hash and nothing else — no
network, no other script. The drawing is static SVG laid out here (:mod:`xacct_lint.graph_view.layout`), so the
page reads without JavaScript; the script only adds "follow the paths through this node". Every string that
comes from the inputs is escaped with :func:`html.escape`, in text and attributes alike, and the script never
builds markup, so a role named ``<script>`` is just text.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from html import escape
from importlib import resources

from xacct_lint import __version__
from xacct_lint.graph_view.layout import NODE_PAD, Box, Layout, badge_text, layout, short_name
from xacct_lint.graph_view.view import (
    SEVERITY_RANK,
    STATUS_TEXT,
    EdgeView,
    GraphView,
    NodeView,
    hop_requirements,
)


def _asset(name: str) -> str:
    return resources.files("xacct_lint.graph_view").joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}"


class _Ids:
    """DOM ids of nodes (``n0``...) and edges (``e0``...): input strings never become ids or selectors."""

    def __init__(self, view: GraphView) -> None:
        self.node = {node_id: f"n{index}" for index, node_id in enumerate(view.nodes)}
        self.edge = {edge.id: f"e{index}" for index, edge in enumerate(view.edges)}


def _severity_class(view: GraphView, refs: Iterable[str]) -> str:
    worst = view.worst(refs)
    return f" sev-{worst}" if worst else ""


def _marker(view: GraphView, edge: EdgeView) -> str:
    worst = view.worst(edge.findings)
    if worst:
        return worst
    return "default" if edge.status == "allowed" else "muted"


def _findings_title(view: GraphView, refs: Sequence[str]) -> str:
    return "".join(
        f"\n{found.rule_id} {found.rule_name} [{found.severity}]: {found.message}"
        for found in (view.finding(ref) for ref in refs)
    )


def _svg(view: GraphView, placed: Layout, ids: _Ids) -> str:
    out = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{_n(placed.width)}" '
        f'height="{_n(placed.height)}" viewBox="0 0 {_n(placed.width)} {_n(placed.height)}" role="img" '
        f'aria-label="assume-role graph: {len(view.nodes)} nodes, {len(view.edges)} hops">',
        "<defs>",
    ]
    for name in ("default", "muted", "error", "warning", "note"):
        out.append(
            f'<marker id="arrow-{name}" class="marker-{name}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse">'
            '<path d="M 0 0 L 10 5 L 0 10 z"/></marker>'
        )
    out.append("</defs>")

    out.append('<g class="groups">')
    for group in view.groups:
        box = placed.groups[group.key]
        outside = "" if group.in_data else " outside"
        out.append(
            f'<g class="group{outside}" data-account="{_e(group.account or "")}">'
            f'<rect class="group-box" x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" '
            f'rx="10"/><text class="group-title" x="{_n(box.x + 14)}" y="{_n(box.y + 21)}" '
            f'data-fit="{_n(box.w - 28)}">{_e(group.title)}</text>'
            "</g>"
        )
    out.append("</g>")

    out.append('<g class="edge-lines">')
    for edge in view.edges:
        geometry = placed.edges[edge.id]
        classes = f"edge-line status-{_e(edge.status)}{_severity_class(view, edge.findings)}"
        out.append(
            f'<path class="{classes}" data-edge="{ids.edge[edge.id]}" data-source="{ids.node[edge.source]}" '
            f'data-target="{ids.node[edge.target]}" d="{geometry.path}" '
            f'marker-end="url(#arrow-{_marker(view, edge)})"/>'
        )
    out.append("</g>")

    out.append('<g class="edge-labels">')
    for edge in view.edges:
        out.append(_edge_label(view, edge, placed.edges[edge.id].label, placed.edges[edge.id].lines, ids))
    out.append("</g>")

    out.append('<g class="nodes">')
    for node in view.nodes.values():
        out.append(_node(view, node, placed.nodes[node.id], ids))
    out.append("</g></svg>")
    return "\n".join(out)


def _edge_label(view: GraphView, edge: EdgeView, box: Box, lines: Sequence[str], ids: _Ids) -> str:
    source, target = view.nodes[edge.source], view.nodes[edge.target]
    title = f"{source.label} → {target.label}\n{edge.api}: {STATUS_TEXT.get(edge.status, edge.status)}"
    title += "".join(f"\n{what}: {need}" for what, need in hop_requirements(edge))
    title += _findings_title(view, edge.findings)
    classes = f"edge-label status-{_e(edge.status)}{_severity_class(view, edge.findings)}"
    has_rules = bool(edge.findings)
    spans = []
    for index, line in enumerate(lines):
        cls = ' class="rules"' if has_rules and index == 0 else ""
        y = box.y + 6 + 11 + index * 14
        spans.append(f'<tspan x="{_n(box.x + 6)}" y="{_n(y)}"{cls}>{_e(line)}</tspan>')
    return (
        f'<g class="{classes}" data-edge="{ids.edge[edge.id]}"><title>{_e(title)}</title>'
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" rx="4"/>'
        f"<text>{''.join(spans)}</text></g>"
    )


def _node(view: GraphView, node: NodeView, box: Box, ids: _Ids) -> str:
    classes = (
        f"node kind-{_e(node.kind)}{'' if node.in_data else ' outside'}{_severity_class(view, node.findings)}"
    )
    title = f"{node.id}\n{node.subtitle}"
    if node.source is not None:
        title += f"\ndefined in {node.source}"
    title += _findings_title(view, node.findings)
    room = _n(box.w - 2 * NODE_PAD)
    parts = [
        f'<g class="{classes}" id="{ids.node[node.id]}" data-kind="{_e(node.kind)}" data-id="{_e(node.id)}" '
        f'tabindex="0"><title>{_e(title)}</title>',
        f'<rect class="node-box" x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" rx="8"/>',
        f'<text class="node-name" x="{_n(box.x + NODE_PAD)}" y="{_n(box.y + 19)}" data-fit="{room}">'
        f"{_e(short_name(node.label))}</text>",
        f'<text class="node-sub" x="{_n(box.x + NODE_PAD)}" y="{_n(box.y + 35)}" data-fit="{room}">'
        f"{_e(node.subtitle)}</text>",
    ]
    rules = view.rule_ids(node.findings)
    if rules:
        text = badge_text(rules)
        width = len(text) * 6.2 + 12
        x, y = box.right - width + 6, box.y - 8
        parts.append(
            f'<g class="badge"><rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="16" rx="8"/>'
            f'<text x="{_n(x + 6)}" y="{_n(y + 11.5)}">{_e(text)}</text></g>'
        )
    parts.append("</g>")
    return "".join(parts)


def _legend() -> str:
    def swatch(kind: str, text: str) -> str:
        return (
            f'<li><svg width="22" height="14" aria-hidden="true"><g class="node kind-{kind}">'
            f'<rect class="node-box" x="1" y="1" width="20" height="12" rx="3"/></g></svg>{_e(text)}</li>'
        )

    def line(status: str, text: str) -> str:
        return (
            f'<li><svg width="30" height="14" aria-hidden="true"><path class="edge-line status-{status}" '
            f'd="M 1 7 L 29 7"/></svg>{_e(text)}</li>'
        )

    def severity(level: str) -> str:
        return (
            f'<li><svg width="22" height="14" aria-hidden="true"><g class="node kind-role sev-{level}">'
            f'<rect class="node-box" x="1.5" y="1.5" width="19" height="11" rx="3"/></g></svg>{level} finding</li>'
        )

    items = [
        swatch("role", "role"),
        swatch("user", "IAM user"),
        swatch("saml-provider", "SAML/OIDC provider"),
        swatch("account", "any principal of an account"),
        swatch("service", "AWS service"),
    ]
    items += [
        line("allowed", "hop allowed"),
        line("unknown", "unknown (side not in data)"),
        line("one-sided", "one-sided"),
        line("blocked", "blocked"),
    ]
    items += [severity(level) for level in ("error", "warning", "note")]
    return f'<ul class="legend">{"".join(items)}</ul>'


def _summary(view: GraphView) -> str:
    accounts = sum(1 for g in view.groups if g.account)
    roles = sum(1 for n in view.nodes.values() if n.kind == "role")
    counts = {level: sum(1 for f in view.findings if f.severity == level) for level in SEVERITY_RANK}
    found = ", ".join(f"{count} {level}" for level, count in counts.items() if count) or "none"
    return (
        f"{accounts} account{'s' * (accounts != 1)} · {roles} role{'s' * (roles != 1)} · "
        f"{len(view.edges)} hop{'s' * (len(view.edges) != 1)} · findings: {found}"
    )


def _place_cell(place: object) -> str:
    if place is None:
        return '<td class="empty">—</td>'
    # Let long paths break after a slash rather than anywhere.
    return f'<td class="where">{_e(place).replace("/", "/<wbr>")}</td>'


def _findings_table(view: GraphView, ids: _Ids) -> str:
    if not view.findings:
        return '<p class="empty">No findings.</p>'
    rows = []
    ordered = sorted(view.findings, key=lambda f: (-SEVERITY_RANK.get(f.severity, 0), f.place.path, f.ref))
    for found in ordered:
        on_graph = [view.nodes[n].label for n in found.nodes] or ["—"]
        nodes = " ".join(ids.node[n] for n in found.nodes)
        edges = " ".join(ids.edge[e] for e in dict.fromkeys((*found.flow, *found.edges)) if e in ids.edge)
        selectable = ' class="selectable"' if nodes or edges else ""
        rows.append(
            f'<tr{selectable} data-nodes="{nodes}" data-edges="{edges}">'
            f'<td><span class="sev {_e(found.severity)}">{_e(found.severity)}</span></td>'
            f'<td class="id">{_e(found.rule_id)}<br>{_e(found.rule_name)}</td><td>{_e(found.message)}</td>'
            f"{_place_cell(found.place)}<td>{'<br>'.join(_e(name) for name in on_graph)}</td></tr>"
        )
    return (
        '<table class="findings"><colgroup><col class="c-sev"><col class="c-rule"><col><col class="c-where">'
        '<col class="c-node"></colgroup>'
        "<thead><tr><th>severity</th><th>rule</th><th>finding</th><th>where</th><th>on the graph</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _hops_table(view: GraphView, ids: _Ids) -> str:
    if not view.edges:
        return '<p class="empty">No hops.</p>'
    rows = []
    for edge in view.edges:
        needs = "".join(f"<dt>{_e(what)}</dt><dd>{_e(need)}</dd>" for what, need in hop_requirements(edge))
        rules = ", ".join(view.rule_ids(edge.findings)) or "—"
        rows.append(
            f'<tr class="selectable" data-nodes="{ids.node[edge.source]} {ids.node[edge.target]}" '
            f'data-edges="{ids.edge[edge.id]}"><td>{_e(view.nodes[edge.source].label)}</td>'
            f"<td>{_e(view.nodes[edge.target].label)}</td><td>{_e(edge.api)}<br>{_e(edge.status)}</td>"
            f'<td><dl class="needs">{needs}</dl></td>{_place_cell(edge.trust)}{_place_cell(edge.identity)}'
            f"<td>{_e(rules)}</td></tr>"
        )
    return (
        '<table class="hops"><colgroup><col class="c-node"><col class="c-node"><col class="c-api"><col>'
        '<col class="c-where"><col class="c-where"><col class="c-rules"></colgroup>'
        "<thead><tr><th>from</th><th>to</th><th>API, status</th><th>caller must present</th>"
        f"<th>trust statement</th><th>identity statement</th><th>findings</th></tr></thead><tbody>{''.join(rows)}"
        "</tbody></table>"
    )


def render_html(view: GraphView, *, title: str = "Assume-role graph") -> str:
    """Return the whole page for a graph view (deterministic: the same view gives the same bytes)."""
    ids = _Ids(view)
    style, script = _asset("page.css"), _asset("page.js")
    policy = (
        f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    body = _svg(view, layout(view), ids) if view.nodes else '<p class="empty">The graph is empty.</p>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="xacct-lint {_e(__version__)}">\n'
        f"<title>{_e(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        f'<header><h1>{_e(title)}</h1><p class="summary">{_e(_summary(view))}</p>{_legend()}</header>\n'
        '<main>\n<section><div class="toolbar"><button id="size" type="button">Actual size</button>'
        "<span>Click a node to follow every path through it, a hop or a row below to pick it out; "
        "Esc clears. Hover for details.</span></div>\n"
        f'<div class="canvas">\n{body}\n</div></section>\n'
        f"<section><h2>Findings</h2>\n{_findings_table(view, ids)}</section>\n"
        f"<section><h2>Hops</h2>\n{_hops_table(view, ids)}</section>\n</main>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
