"""The graph's renderers -- Mermaid, DOT, node-link JSON, HTML, and the path report -- on hand-built graphs:
each says what the graph says, escapes whatever the inputs hold, and gives the same bytes for the same graph."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import networkx as nx
import pydot
import pytest
from graph_view_support import (
    DEV_ROLE,
    HOSTILE_ROLE,
    HOSTILE_ROLE_NAME,
    LAMBDA_ROLE,
    MASTER,
    PROD_EXTERNAL_ID,
    PROD_ROLE,
    RECIPE_ROLES,
    SAML,
    hostile_graph,
    recipe_graph,
)
from test_graph_view import shuffled_copy

from xacct_lint.graph_view.dot import dot_string, render_dot
from xacct_lint.graph_view.html import render_html
from xacct_lint.graph_view.json_graph import node_link, render_json
from xacct_lint.graph_view.mermaid import mermaid_text, render_mermaid
from xacct_lint.graph_view.paths_text import render_hops, render_paths
from xacct_lint.graph_view.select import NodeLookupError, resolve_node, select_paths, subgraph_of
from xacct_lint.graph_view.view import FindingRef, Place, read_graph

PROD_HOP = (MASTER, PROD_ROLE, "trust/Statement/0")
FINDING = FindingRef(
    "f1",
    "XA407",
    "mfa-lost-in-chain",
    "error",
    "MFA required, but the caller's session carries none",
    Place("fixtures/recipe/prod-cross-account-trust-policy.json", "/Statement/0/Condition/Bool", 14, 11),
    nodes=(PROD_ROLE,),
    edges=(PROD_HOP,),
)


# --- Mermaid ---------------------------------------------------------------------------------------------


def test_mermaid_has_a_subgraph_per_account_and_a_link_per_hop() -> None:
    text = render_mermaid(read_graph(recipe_graph(), [FINDING]))
    lines = text.splitlines()
    assert lines[1] == "flowchart LR"
    assert [line.strip() for line in lines if "subgraph" in line] == [
        'subgraph g0["security · 111111111111 · tier 3"]',
        'subgraph g1["prod · 222222222222 · tier 3"]',
        'subgraph g2["dev · 333333333333 · tier 1"]',
        'subgraph g3["AWS services"]',
    ]
    links = [line for line in lines if re.search(r"(-->|-\.->|-\.-x)\|", line)]
    assert len(links) == 5
    # The finding's hop: its rule id leads the label, and the link and node are coloured as errors.
    (prod_link,) = [line for line in links if "XA407" in line]
    index = links.index(prod_link)
    assert f"  linkStyle {index} stroke:#cf222e,stroke-width:2.5px,color:#cf222e" in lines
    prod_id = re.search(r"(n\d+)\(\"CrossAccount-ProductionAccess", text)
    assert prod_id is not None and f"  class {prod_id.group(1)} error" in lines


def test_mermaid_writes_every_special_character_as_an_entity() -> None:
    text = render_mermaid(read_graph(hostile_graph()))
    assert "<script" not in text and "<b>" not in text and "<svg" not in text and "<img" not in text
    assert mermaid_text(HOSTILE_ROLE_NAME) == (
        "#60;script#62;window.__xacctPwned=1#60;/script#62;#34;'#38;#60;b#62;x#60;/b#62;#92;n#123;#123;#96;#124;#35;"
    )
    # Every quoted label is closed on its own line: nothing from the input ends a string early.
    for line in text.splitlines():
        assert line.count('"') % 2 == 0, line


def test_mermaid_fenced_for_markdown() -> None:
    text = render_mermaid(read_graph(recipe_graph()), fenced=True)
    assert text.startswith("```mermaid\n%% xacct-lint") and text.endswith("\n```\n")


# --- DOT -------------------------------------------------------------------------------------------------


def unquote(name: str) -> str:
    """Return the value of a quoted DOT id as Graphviz reads it."""
    assert name.startswith('"') and name.endswith('"')
    return re.sub(r"\\(.)", r"\1", name[1:-1])


def test_dot_parses_and_names_nodes_by_their_ids() -> None:
    text = render_dot(read_graph(recipe_graph(), [FINDING]))
    (graph,) = pydot.graph_from_dot_data(text)
    clusters = graph.get_subgraphs()
    assert [unquote(c.get("label")) for c in clusters] == [
        "security · 111111111111 · tier 3",
        "prod · 222222222222 · tier 3",
        "dev · 333333333333 · tier 1",
        "AWS services",
    ]
    names = {unquote(n.get_name()) for c in clusters for n in c.get_nodes() if n.get_name() != "graph"}
    assert names == set(recipe_graph().nodes)
    edges = {(unquote(e.get_source()), unquote(e.get_destination())): e for e in graph.get_edges()}
    assert set(edges) == {(u, v) for u, v in recipe_graph().edges()}
    prod = edges[(MASTER, PROD_ROLE)].get_attributes()
    assert prod["color"] == '"#cf222e"'
    assert prod["label"].startswith('"XA407\\n')


def test_dot_strings_keep_quotes_and_backslashes_as_text() -> None:
    assert dot_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    (graph,) = pydot.graph_from_dot_data(render_dot(read_graph(hostile_graph())))
    names = {n.get_name() for c in graph.get_subgraphs() for n in c.get_nodes() if n.get_name() != "graph"}
    assert dot_string(HOSTILE_ROLE) in names
    assert all(
        e.get_attributes()["style"] in ("solid", "dashed", "dotted") for e in graph.get_edges()
    )  # the hostile key and label did not leak into other attributes


# --- JSON ------------------------------------------------------------------------------------------------


def test_json_is_node_link_that_networkx_reads_back() -> None:
    graph = recipe_graph()
    document = json.loads(render_json(graph))
    again = nx.node_link_graph(document, edges="edges")
    assert again.is_multigraph() and again.is_directed()
    assert nx.utils.graphs_equal(again, graph)
    assert [n["id"] for n in document["nodes"]] == sorted(graph.nodes)
    assert "findings" not in document["graph"]


def test_json_carries_findings_as_data() -> None:
    document = node_link(recipe_graph(), [FINDING])
    assert document["graph"]["findings"] == [
        {
            "id": "f1",
            "rule": "XA407",
            "name": "mfa-lost-in-chain",
            "severity": "error",
            "message": FINDING.message,
            "path": FINDING.place.path,
            "pointer": "/Statement/0/Condition/Bool",
            "line": 14,
            "column": 11,
            "flow": [],
        }
    ]
    by_id = {n["id"]: n for n in document["nodes"]}
    assert by_id[PROD_ROLE]["findings"] == ["f1"] and by_id[DEV_ROLE]["findings"] == []
    (prod,) = [e for e in document["edges"] if (e["source"], e["target"]) == (MASTER, PROD_ROLE)]
    assert prod["findings"] == ["f1"]


def test_json_is_deterministic() -> None:
    graph = recipe_graph()
    assert all(render_json(shuffled_copy(graph, seed)) == render_json(graph) for seed in range(4))


# --- HTML (static checks; tests/test_graph_html_browser.py loads it in a browser) ------------------------


class Collector(HTMLParser):
    """Collects script elements, element names and attribute values of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _value in attrs if name.startswith("on")]
        if tag in ("script", "style"):
            self._in = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "style":
            self.styles[-1] += data


def collect(page: str) -> Collector:
    parser = Collector()
    parser.feed(page)
    return parser


def test_html_escapes_everything_from_the_inputs() -> None:
    page = render_html(read_graph(hostile_graph()))
    parsed = collect(page)
    assert len(parsed.scripts) == 1 and "__xacctPwned" not in parsed.scripts[0]
    assert parsed.handlers == []
    assert not {"img", "b", "svg"} & set(parsed.tags[parsed.tags.index("body") :]) - {"svg"}
    assert parsed.tags.count("svg") == 1 + 12  # the drawing and the legend's swatches, none from the input
    assert "&lt;script&gt;window.__xacctPwned=1&lt;/script&gt;&quot;&#x27;&amp;&lt;b&gt;" in page


def test_html_allows_only_its_own_script_and_style() -> None:
    page = render_html(read_graph(recipe_graph(), [FINDING]))
    parsed = collect(page)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    directives = dict(part.strip().split(" ", 1) for part in policy.group(1).split(";"))
    assert directives["default-src"] == "'none'"

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert directives["script-src"] == digest(parsed.scripts[0])
    assert directives["style-src"] == digest(parsed.styles[0])
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page.replace(
        "https://signin.aws.amazon.com/saml", ""
    )


def test_html_marks_findings_and_lists_hops() -> None:
    page = render_html(read_graph(recipe_graph(), [FINDING]), title="Assume-role graph: fixtures/recipe")
    assert "<title>Assume-role graph: fixtures/recipe</title>" in page
    node = re.search(
        r'<g class="([^"]+)" id="(n\d+)" data-kind="role" data-id="' + re.escape(PROD_ROLE), page
    )
    assert node is not None and "sev-error" in node.group(1).split()
    assert '<text x="' in page and ">XA407</text>" in page  # the node's badge
    row = re.search(r'<tr class="selectable" data-nodes="([^"]*)" data-edges="([^"]*)">[^\n]*XA407', page)
    assert row is not None and node.group(2) in row.group(1).split()
    assert PROD_EXTERNAL_ID in page  # the hop table says what the caller must present
    for role in RECIPE_ROLES:
        assert f'data-id="{role}"' in page


def test_html_is_deterministic() -> None:
    graph = recipe_graph()
    assert render_html(read_graph(shuffled_copy(graph, 1))) == render_html(read_graph(graph))


def test_empty_graph_still_renders() -> None:
    page = render_html(read_graph(nx.MultiDiGraph()))
    assert "The graph is empty." in page and render_mermaid(read_graph(nx.MultiDiGraph())).endswith("LR\n")


# --- naming nodes, selecting paths, the path report --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "node"),
    [
        (PROD_ROLE, PROD_ROLE),
        ("saml-provider/CorporateIdP", SAML),
        ("MasterCrossAccountRole-a1b2c3", MASTER),
        ("CrossAccount-ProductionAccess", PROD_ROLE),
        ("lambda.amazonaws.com", "lambda.amazonaws.com"),
    ],
)
def test_nodes_are_named_by_arn_suffix_or_name(text: str, node: str) -> None:
    assert resolve_node(recipe_graph(), text) == node


def test_an_ambiguous_name_lists_what_it_matches() -> None:
    with pytest.raises(NodeLookupError) as error:
        resolve_node(recipe_graph(), "CrossAccount-", "--to")
    assert str(error.value).startswith("--to 'CrossAccount-' is ambiguous: it matches ")
    assert DEV_ROLE in str(error.value) and PROD_ROLE in str(error.value)


def test_an_unknown_name_suggests_a_near_one() -> None:
    with pytest.raises(
        NodeLookupError, match=r"--from 'CorporateIDP' matches no node .* did you mean CorporateIdP\?"
    ):
        resolve_node(recipe_graph(), "CorporateIDP", "--from")


def test_path_report_lists_each_hop_and_what_it_demands() -> None:
    graph = recipe_graph()
    paths = select_paths(graph, SAML, PROD_ROLE, 4)
    assert [p.nodes for p in paths] == [(SAML, MASTER, PROD_ROLE)]
    view = read_graph(subgraph_of(graph, paths, [SAML, PROD_ROLE]), [FINDING])
    text = render_paths(view, paths, source=SAML, target=PROD_ROLE, max_depth=4)
    assert text.splitlines()[:3] == [
        "paths of at most 4 hops",
        f"  from: {SAML} (SAML provider · not in the data, security · 111111111111 · tier 3)",
        f"  to:   {PROD_ROLE} (role · max 1 h, prod · 222222222222 · tier 3)",
    ]
    assert "path 1 of 1 (2 hops): CorporateIdP -> MasterCrossAccountRole-a1b2c3 -> " in text
    hop2 = text[text.index("  hop 2:") :]
    assert "    trust:     fixtures/recipe/prod-cross-account-trust-policy.json:4:5 /Statement/0" in hop2
    assert f"      ExternalId    {PROD_EXTERNAL_ID}" in hop2
    # The engine composes the session: MFA cannot arrive through SAML, and tags are not passed here.
    assert "      MFA           required, but no session that reaches this hop can carry MFA" in hop2
    assert "      source IP     any" in hop2
    assert (
        "    finding:   XA407 mfa-lost-in-chain [error] at fixtures/recipe/prod-cross-account-trust-policy.json"
        in hop2
    )
    assert text.endswith("\n1 path\n")


def test_path_report_says_when_chaining_and_lost_mfa_decide_a_hop() -> None:
    graph = recipe_graph()
    graph.edges[PROD_HOP]["conditions"].update(mfa="required", max_duration=7200)
    paths = select_paths(graph, SAML, PROD_ROLE, 4)
    view = read_graph(subgraph_of(graph, paths, [SAML, PROD_ROLE]))
    hop2 = render_paths(view, paths, source=SAML, target=PROD_ROLE, max_depth=4).split("  hop 2:")[1]
    assert "SAML or web identity, which never carries MFA (iam-facts §2.3): this hop fails" in hop2
    assert "at most 3600 s: role chaining caps the session at one hour although the role allows 2 h" in hop2


def test_path_report_with_one_end_and_without_paths() -> None:
    graph = recipe_graph()
    from_master = select_paths(graph, MASTER, None, 3)
    assert sorted(p.target for p in from_master) == sorted([PROD_ROLE, DEV_ROLE])
    none = render_paths(read_graph(graph), [], source=LAMBDA_ROLE, target=PROD_ROLE, max_depth=3)
    assert none.endswith("\nno path within 3 hops\n")


def test_hop_listing_without_ends() -> None:
    text = render_hops(read_graph(recipe_graph()))
    assert text.startswith("5 hops in the graph\n")
    assert text.count("    caller must present:") == 5
