"""Views of the assume-role graph: Mermaid, Graphviz DOT, node-link JSON, one self-contained HTML page, and the
``--from/--to`` path report.

Every view reads the graph that :func:`xacct_lint.graph.build_graph` returns (its node and edge attributes are
documented there) through :mod:`xacct_lint.graph_view.view`, which sorts it once and says which findings concern
which node or hop; the renderers are pure functions from that reading to text. Nothing here imports networkx at
import time.
"""

from __future__ import annotations
