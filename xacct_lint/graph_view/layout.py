"""A small left-to-right layout of the assume-role graph with accounts as clusters, for the HTML view.

Two levels, each a longest-path layering of the strongly connected components (so a cycle shares one column):

1. accounts (clusters) get global columns from the hops between accounts;
2. inside an account, nodes get columns from the hops within it.

Each hop's label is a waypoint in the gap just left of its target's column (as dagre treats labels: a dummy
node the edge runs through), so labels never sit on a node and moving a label to avoid another keeps it on its
edge. Labels in one gap are stacked without overlap by the usual cluster-merging placement (each run of touching
labels centred on the mean of their wanted positions). Hops inside a cycle (both ends in one column) bulge out to
the right of that column, through a label placed in the gap there. Within a column, accounts and nodes are
ordered by the mean position of what leads into them (the barycentre heuristic), in one sweep from the left.

Text widths are estimated from character counts: node names and edge labels use fonts whose advance the page
fixes (see ``page.css``), with a margin for wider fallbacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from xacct_lint.graph_view.view import EdgeId, EdgeView, GraphView, NodeView, edge_label_lines

# Measured in Chromium with Debian's DejaVu fonts: bold 12 px sans-serif runs 7.5-8.4 px per character in role
# names (digits widest), 11 px sans-serif 5.4-7.0 px, 11 px monospace exactly 6.62 px.
NAME_CHAR = 8.4
SUB_CHAR = 6.5
LABEL_CHAR = 6.7  # 11 px monospace advances 0.6 em = 6.6 px
NAME_LIMIT = 44  # longer names are shortened in the box (the tooltip and tables keep them whole)
NODE_H = 46.0
NODE_PAD = 12.0
NODE_MIN_W, NODE_MAX_W = 150.0, 380.0
NODE_GAP = 18.0
LABEL_LINE_H = 14.0
LABEL_PAD = 6.0
LABEL_GAP = 8.0  # vertical space between two labels in one gap
GAP_MARGIN = 28.0  # horizontal space between a label and the columns beside it
MIN_GLOBAL_GAP, MIN_INTRA_GAP = 70.0, 50.0
GROUP_PAD, GROUP_TITLE_H, GROUP_GAP = 16.0, 34.0, 28.0
MARGIN = 24.0
BULGE = 24.0
BADGE_H = 16.0


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        """Return the x of the right side."""
        return self.x + self.w

    @property
    def bottom(self) -> float:
        """Return the y of the bottom side."""
        return self.y + self.h

    @property
    def cy(self) -> float:
        """Return the y of the centre."""
        return self.y + self.h / 2


@dataclass(frozen=True)
class EdgeGeometry:
    """Where a hop is drawn: an SVG path (ending at the target) and its label box and lines."""

    path: str
    label: Box
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """Positions of everything, in SVG user units."""

    width: float
    height: float
    groups: Mapping[str, Box]
    nodes: Mapping[str, Box]
    edges: Mapping[EdgeId, EdgeGeometry]


def short_name(label: str) -> str:
    """Return the name as shown in a node box: whole up to NAME_LIMIT characters, else shortened with an ellipsis."""
    return label if len(label) <= NAME_LIMIT else label[: NAME_LIMIT - 1] + "…"


def badge_text(rule_ids: Sequence[str]) -> str:
    """Return the text of a node's findings badge: up to two rule ids, then a count of the rest."""
    shown = " ".join(rule_ids[:2])
    return shown + (f" +{len(rule_ids) - 2}" if len(rule_ids) > 2 else "")


def label_lines(view: GraphView, edge: EdgeView) -> tuple[str, ...]:
    """Return the lines of a hop's label: the rule ids of its findings first, then API, status and conditions."""
    lines = edge_label_lines(edge)
    rules = view.rule_ids(edge.findings)
    return ((" ".join(rules),) if rules else ()) + lines


def _node_width(node: NodeView) -> float:
    wanted = max(len(short_name(node.label)) * NAME_CHAR, len(node.subtitle) * SUB_CHAR) + 2 * NODE_PAD
    return min(NODE_MAX_W, max(NODE_MIN_W, wanted))


def _label_size(lines: Sequence[str]) -> tuple[float, float]:
    width = max(len(line) for line in lines) * LABEL_CHAR + 2 * LABEL_PAD
    return width, len(lines) * LABEL_LINE_H + 2 * LABEL_PAD


def _ranks(items: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Return each item's layer: the longest path to it over the strongly connected components."""
    import networkx as nx  # deferred: only the HTML view lays out

    graph = nx.DiGraph()
    graph.add_nodes_from(items)
    graph.add_edges_from((u, v) for u, v in edges if u != v)
    dag = nx.condensation(graph)
    component_rank: dict[int, int] = {}
    for component in nx.topological_sort(dag):
        component_rank[component] = max(
            (component_rank[p] + 1 for p in dag.predecessors(component)), default=0
        )
    mapping: dict[str, int] = dag.graph["mapping"]
    return {item: component_rank[mapping[item]] for item in items}


def _place_intervals(
    wanted: Sequence[tuple[float, float]], top: float, bottom: float = float("inf")
) -> list[float]:
    """Return the tops of intervals (wanted centre, height), in the given order, without overlap.

    Runs of touching intervals are centred on the mean of their wanted centres; nothing goes above ``top`` nor,
    when they fit, below ``bottom``.
    """
    blocks: list[tuple[list[int], float, float]] = []  # (members, top, total height incl. gaps)
    for index, (centre, height) in enumerate(wanted):
        blocks.append(([index], centre - height / 2, height))
        while len(blocks) > 1 and blocks[-2][1] + blocks[-2][2] + LABEL_GAP > blocks[-1][1]:
            (m1, _t1, h1), (m2, _t2, h2) = blocks[-2], blocks[-1]
            members = m1 + m2
            total = h1 + LABEL_GAP + h2
            # Each member's offset within the merged block; the block's best top is the mean of
            # (wanted top of member - its offset).
            offsets, running = [], 0.0
            for member in members:
                offsets.append(running)
                running += wanted[member][1] + LABEL_GAP
            best = sum(wanted[m][0] - wanted[m][1] / 2 - o for m, o in zip(members, offsets, strict=True))
            blocks[-2:] = [(members, best / len(members), total)]
    tops = [0.0] * len(wanted)
    floor = top
    for members, block_top, _height in blocks:
        y = max(block_top, floor)
        for member in members:
            tops[member] = y
            y += wanted[member][1] + LABEL_GAP
        floor = y
    ceiling = bottom
    for index in range(len(wanted) - 1, -1, -1):
        tops[index] = min(tops[index], ceiling - wanted[index][1])
        ceiling = tops[index] - LABEL_GAP
    return tops


def _barycentre_order(
    items: Sequence[str], preds: Mapping[str, Sequence[str]], placed: Mapping[str, float]
) -> list[str]:
    """Return items sorted by the mean centre of their already placed predecessors (unplaced ones keep order)."""

    def key(indexed: tuple[int, str]) -> tuple[float, int]:
        index, item = indexed
        ys = [placed[p] for p in preds.get(item, ()) if p in placed]
        return (sum(ys) / len(ys) if ys else float("inf"), index)

    return [item for _index, item in sorted(enumerate(items), key=key)]


def _bezier(x1: float, y1: float, x2: float, y2: float) -> str:
    dx = max(18.0, abs(x2 - x1) / 2)
    return f"C {x1 + dx:.1f} {y1:.1f} {x2 - dx:.1f} {y2:.1f} {x2:.1f} {y2:.1f}"


def _ports(
    edges: Sequence[EdgeView],
    nodes: Mapping[str, Box],
    labels: Mapping[EdgeId, Box],
    forward: Mapping[EdgeId, bool],
    *,
    outgoing: bool,
) -> dict[EdgeId, float]:
    """Return the y where each forward hop leaves its source (``outgoing``) or reaches its target."""
    by_node: dict[str, list[EdgeId]] = {}
    for edge in edges:
        if forward[edge.id]:
            by_node.setdefault(edge.source if outgoing else edge.target, []).append(edge.id)
    ports: dict[EdgeId, float] = {}
    for node, ids in by_node.items():
        box = nodes[node]
        ids.sort(key=lambda eid: (labels[eid].cy, eid))
        spread = min(box.h - 12, 10.0 * (len(ids) - 1))
        for index, eid in enumerate(ids):
            share = index / (len(ids) - 1) if len(ids) > 1 else 0.5
            ports[eid] = box.cy - spread / 2 + spread * share
    return ports


def layout(view: GraphView) -> Layout:
    """Return the positions of every cluster, node and hop label of a graph view."""
    group_of = {node: group.key for group in view.groups for node in group.nodes}
    group_rank = _ranks(
        [g.key for g in view.groups],
        ((group_of[e.source], group_of[e.target]) for e in view.edges),
    )
    inner_edges: dict[str, list[tuple[str, str]]] = {}
    for edge in view.edges:
        if group_of[edge.source] == group_of[edge.target]:
            inner_edges.setdefault(group_of[edge.source], []).append((edge.source, edge.target))
    node_rank: dict[str, int] = {}
    for group in view.groups:
        node_rank.update(_ranks(group.nodes, inner_edges.get(group.key, ())))

    def forward(edge: EdgeView) -> bool:
        gs, gt = group_of[edge.source], group_of[edge.target]
        if gs != gt:
            return group_rank[gt] > group_rank[gs]
        return node_rank[edge.target] > node_rank[edge.source]

    forward_ids = {e.id: forward(e) for e in view.edges}
    # Gaps are named ("global", column) for the space left of a global column (the last one is the right
    # margin) and ("intra", group, column) inside a cluster (the last one is its right padding).
    label_size = {e.id: _label_size(label_lines(view, e)) for e in view.edges}
    lines_of = {e.id: label_lines(view, e) for e in view.edges}
    columns = max(group_rank.values(), default=-1) + 1
    intra_columns = {g.key: max((node_rank[n] for n in g.nodes), default=-1) + 1 for g in view.groups}
    gap_of: dict[EdgeId, tuple[str, ...]] = {}
    for edge in view.edges:
        gt = group_of[edge.target]
        if forward_ids[edge.id]:
            rank = node_rank[edge.target]
            gap_of[edge.id] = ("global", str(group_rank[gt])) if rank == 0 else ("intra", gt, str(rank))
        elif group_of[edge.source] == gt:
            gap_of[edge.id] = ("intra", gt, str(node_rank[edge.target] + 1))
        else:
            gap_of[edge.id] = ("global", str(group_rank[gt] + 1))
    gap_width: dict[tuple[str, ...], float] = {}
    for edge in view.edges:
        gap = gap_of[edge.id]
        width = label_size[edge.id][0] + 2 * GAP_MARGIN + (0.0 if forward_ids[edge.id] else BULGE)
        gap_width[gap] = max(gap_width.get(gap, 0.0), width)

    # Horizontal: intra columns inside each cluster, then global columns.
    node_w = {node.id: _node_width(node) for node in view.nodes.values()}
    intra_x: dict[str, list[float]] = {}
    intra_w: dict[str, list[float]] = {}
    group_w: dict[str, float] = {}
    for group in view.groups:
        widths = [0.0] * intra_columns[group.key]
        for node in group.nodes:
            widths[node_rank[node]] = max(widths[node_rank[node]], node_w[node])
        xs, x = [], GROUP_PAD
        for index, width in enumerate(widths):
            if index:
                x += max(MIN_INTRA_GAP, gap_width.get(("intra", group.key, str(index)), 0.0))
            xs.append(x)
            x += width
        right_pad = max(GROUP_PAD, gap_width.get(("intra", group.key, str(len(widths))), 0.0))
        title_w = len(group.title) * SUB_CHAR * 1.15 + 2 * GROUP_PAD
        intra_x[group.key], intra_w[group.key] = xs, widths
        group_w[group.key] = max(x + right_pad, title_w)
    column_w = [0.0] * columns
    for group in view.groups:
        rank = group_rank[group.key]
        column_w[rank] = max(column_w[rank], group_w[group.key])
    column_x, x = [], MARGIN
    for index, width in enumerate(column_w):
        if index:
            x += max(MIN_GLOBAL_GAP, gap_width.get(("global", str(index)), 0.0))
        column_x.append(x)
        x += width
    width = x + max(MARGIN, gap_width.get(("global", str(columns)), 0.0))

    # Vertical: heights do not depend on order, so size everything first, then place left to right.
    label_stack_h: dict[tuple[str, ...], float] = {}
    for edge in view.edges:
        gap = gap_of[edge.id]
        label_stack_h[gap] = label_stack_h.get(gap, -LABEL_GAP) + label_size[edge.id][1] + LABEL_GAP
    group_h: dict[str, float] = {}
    for group in view.groups:
        counts = [0] * intra_columns[group.key]
        for node in group.nodes:
            counts[node_rank[node]] += 1
        inner = max((c * NODE_H + (c - 1) * NODE_GAP for c in counts if c), default=0.0)
        # The labels of hops inside the cluster stack in its gaps, so it is at least as tall as each stack.
        inner = max(
            [inner, *(h for gap, h in label_stack_h.items() if gap[0] == "intra" and gap[1] == group.key)]
        )
        group_h[group.key] = GROUP_TITLE_H + inner + GROUP_PAD
    column_groups: list[list[str]] = [[] for _ in range(columns)]
    for group in view.groups:
        column_groups[group_rank[group.key]].append(group.key)
    column_h = [sum(group_h[g] for g in gs) + GROUP_GAP * max(0, len(gs) - 1) for gs in column_groups]
    content_h = max(column_h, default=0.0)

    preds: dict[str, list[str]] = {}
    for edge in view.edges:
        if edge.source != edge.target:
            preds.setdefault(edge.target, []).append(edge.source)
    members_of = {g.key: g.nodes for g in view.groups}
    group_preds = {
        key: [p for n in nodes for p in preds.get(n, ()) if group_of[p] != key]
        for key, nodes in members_of.items()
    }
    centre: dict[str, float] = {}
    nodes: dict[str, Box] = {}
    groups: dict[str, Box] = {}
    for rank, keys in enumerate(column_groups):
        y = MARGIN + (content_h - column_h[rank]) / 2
        for key in _barycentre_order(keys, group_preds, centre):
            box = Box(column_x[rank], y, column_w[rank], group_h[key])
            groups[key] = box
            inner_top, inner_h = y + GROUP_TITLE_H, group_h[key] - GROUP_TITLE_H - GROUP_PAD
            for column in range(intra_columns[key]):
                stack = [n for n in members_of[key] if node_rank[n] == column]
                stack = _barycentre_order(stack, preds, centre)
                stack_h = len(stack) * NODE_H + (len(stack) - 1) * NODE_GAP
                node_y = inner_top + (inner_h - stack_h) / 2
                for node in stack:
                    nodes[node] = Box(box.x + intra_x[key][column], node_y, intra_w[key][column], NODE_H)
                    centre[node] = node_y + NODE_H / 2
                    node_y += NODE_H + NODE_GAP
            y += group_h[key] + GROUP_GAP

    # Labels: wanted where the straight line between the ends crosses the gap, then stacked per gap.
    def gap_span(gap: tuple[str, ...]) -> tuple[float, float]:
        if gap[0] == "global":
            index = int(gap[1])
            left = column_x[index - 1] + column_w[index - 1] if index else 0.0
            return left, column_x[index] if index < columns else width
        key, index = gap[1], int(gap[2])
        base, xs, ws = groups[key].x, intra_x[key], intra_w[key]
        left = base + xs[index - 1] + ws[index - 1] if index else base
        return left, base + xs[index] if index < len(xs) else groups[key].right

    wanted: dict[tuple[str, ...], list[tuple[EdgeId, float]]] = {}
    for edge in view.edges:
        s, t = nodes[edge.source], nodes[edge.target]
        if forward_ids[edge.id]:
            left, right = gap_span(gap_of[edge.id])
            mid_x = (left + right) / 2
            share = (mid_x - s.right) / max(1.0, t.x - s.right)
            y = s.cy + (t.cy - s.cy) * min(1.0, max(0.0, share))
        else:
            y = (s.cy + t.cy) / 2
        wanted.setdefault(gap_of[edge.id], []).append((edge.id, y))
    labels: dict[EdgeId, Box] = {}
    for gap, entries in sorted(wanted.items()):
        entries.sort(key=lambda entry: (entry[1], entry[0]))
        if gap[0] == "intra":
            box = groups[gap[1]]
            top, bottom = box.y + GROUP_TITLE_H, box.bottom - GROUP_PAD
        else:
            top, bottom = MARGIN, float("inf")
        tops = _place_intervals([(y, label_size[eid][1]) for eid, y in entries], top, bottom)
        left, right = gap_span(gap)
        for (eid, _y), top in zip(entries, tops, strict=True):
            w, h = label_size[eid]
            x = (left + right - w) / 2 if forward_ids[eid] else left + BULGE
            labels[eid] = Box(x, top, w, h)
    height = max(
        [MARGIN + content_h + MARGIN, *(box.bottom + MARGIN for box in labels.values())],
    )

    # Ports: a node's outgoing (incoming) forward hops leave (arrive) spread along its right (left) side, in
    # the order of their labels, so fans do not cross at the node.
    out_port = _ports(view.edges, nodes, labels, forward_ids, outgoing=True)
    in_port = _ports(view.edges, nodes, labels, forward_ids, outgoing=False)
    geometry: dict[EdgeId, EdgeGeometry] = {}
    for edge in view.edges:
        s, t, box = nodes[edge.source], nodes[edge.target], labels[edge.id]
        if forward_ids[edge.id]:
            sy, ty = out_port[edge.id], in_port[edge.id]
            path = (
                f"M {s.right:.1f} {sy:.1f} {_bezier(s.right, sy, box.x, box.cy)} "
                f"L {box.right:.1f} {box.cy:.1f} {_bezier(box.right, box.cy, t.x, ty)}"
            )
        else:
            sy, ty = (s.cy - 8, t.cy + 8) if edge.source == edge.target else (s.cy, t.cy)
            path = (
                f"M {s.right:.1f} {sy:.1f} C {box.x:.1f} {sy:.1f} {box.x:.1f} {box.cy:.1f} {box.x:.1f} {box.cy:.1f} "
                f"C {box.x:.1f} {box.cy:.1f} {box.x:.1f} {ty:.1f} {t.right:.1f} {ty:.1f}"
            )
        geometry[edge.id] = EdgeGeometry(path, box, lines_of[edge.id])
    return Layout(width, height, groups, nodes, geometry)
