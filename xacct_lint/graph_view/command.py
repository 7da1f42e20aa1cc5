"""What ``xacct-lint graph`` prints, given the graph, the run's results and the command-line choices.

The CLI loads, runs the rules and builds the graph; this module picks the paths (``--from/--to``), attaches the
findings and calls one renderer. It raises :class:`~xacct_lint.graph_view.select.NodeLookupError` for a node name
that matches no node or several.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xacct_lint.graph_view.select import resolve_node, select_paths, subgraph_of
from xacct_lint.graph_view.view import Owner, findings_from_results, read_graph

if TYPE_CHECKING:
    import networkx as nx

    from xacct_lint.engine.runner import Result

FORMATS = ("mermaid", "dot", "json", "html", "text")
# Deep enough for any federation seen in practice (a hub, a spoke, a workload role, and some slack), shallow
# enough that listing every simple path stays quick on an organisation of thousands of roles.
DEFAULT_MAX_DEPTH = 6


@dataclass(frozen=True)
class GraphRequest:
    """The choices of one ``xacct-lint graph`` run."""

    format: str | None = None  # None: "text" with --from/--to, else "mermaid"
    source: str | None = None  # as the user wrote them
    target: str | None = None
    max_depth: int = DEFAULT_MAX_DEPTH
    title: str = "Assume-role graph"
    markdown: bool = False  # wrap Mermaid in a ```mermaid fence (output to a .md file)

    @property
    def selects_paths(self) -> bool:
        """Return whether --from or --to was given."""
        return self.source is not None or self.target is not None

    @property
    def output_format(self) -> str:
        """Return the format to write."""
        return self.format or ("text" if self.selects_paths else "mermaid")


def render_graph(
    graph: nx.MultiDiGraph, results: Sequence[Result], request: GraphRequest, owners: Sequence[Owner] = ()
) -> str:
    """Return the output of ``xacct-lint graph`` for a graph and the findings of the same run (``owners``:
    which places of the inputs belong to which node, :func:`~xacct_lint.graph_view.view.owners_from_model`)."""
    source = resolve_node(graph, request.source, "--from") if request.source is not None else None
    target = resolve_node(graph, request.target, "--to") if request.target is not None else None
    shown = graph
    paths = []
    if request.selects_paths:
        paths = select_paths(graph, source, target, request.max_depth)
        ends = [n for n in (source, target) if n is not None]
        shown = subgraph_of(graph, paths, ends)
    findings = findings_from_results(results, shown, owners)
    fmt = request.output_format
    if fmt == "json":
        from xacct_lint.graph_view.json_graph import render_json

        return render_json(shown, findings)
    view = read_graph(shown, findings)
    if fmt == "text":
        from xacct_lint.graph_view.paths_text import render_hops, render_paths

        if request.selects_paths:
            return render_paths(view, paths, source=source, target=target, max_depth=request.max_depth)
        return render_hops(view)
    if fmt == "dot":
        from xacct_lint.graph_view.dot import render_dot

        return render_dot(view)
    if fmt == "html":
        from xacct_lint.graph_view.html import render_html

        return render_html(view, title=request.title)
    from xacct_lint.graph_view.mermaid import render_mermaid

    return render_mermaid(view, fenced=request.markdown)
