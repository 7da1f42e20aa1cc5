"""``xacct-lint graph``: formats, output files, --from/--to path reports and the errors a user can make.

The recipe runs through the real pipeline (loaders, every configured rule, the graph engine), from the
repository root as the README does; error cases use a two-role project in a temporary directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from graph_view_support import DEV_ROLE, LAMBDA, LAMBDA_ROLE, MASTER, PROD_ROLE, RECIPE_ROLES, ROOT, SAML

from xacct_lint.cli import main

REPO = Path(__file__).resolve().parents[1]
RECIPE_HOPS = {
    (SAML, MASTER, "AssumeRoleWithSAML"),
    (ROOT, MASTER, "AssumeRole"),
    (MASTER, PROD_ROLE, "AssumeRole"),
    (MASTER, DEV_ROLE, "AssumeRole"),
    (LAMBDA, LAMBDA_ROLE, "AssumeRole"),
}


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    return REPO


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["graph", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_recipe_json_has_exactly_the_recipes_hops(
    at_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "graph.json"
    code, out, err = run(capsys, "fixtures/recipe", "--format", "json", "-o", str(target))
    assert (code, out, err) == (0, "", "")
    document = json.loads(target.read_text(encoding="utf-8"))
    graph = nx.node_link_graph(document, edges="edges")
    assert {(u, v, d["api"]) for u, v, d in graph.edges(data=True)} == RECIPE_HOPS
    assert set(RECIPE_ROLES) <= set(graph.nodes)
    # Findings of the same run are data on the elements they concern.
    rules = {f["id"]: f["rule"] for f in document["graph"]["findings"]}
    prod_hop = next(e for e in document["edges"] if (e["source"], e["target"]) == (MASTER, PROD_ROLE))
    assert {"XA208", "XA407"} <= {rules[ref] for ref in prod_hop["findings"]}
    dev = next(n for n in document["nodes"] if n["id"] == DEV_ROLE)
    assert "XA303" in {rules[ref] for ref in dev["findings"]}


def test_recipe_mermaid_is_the_default(at_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "fixtures/recipe")
    assert code == 0
    assert out.startswith("%% xacct-lint assume-role graph: 7 nodes, 5 hops\nflowchart LR\n")
    assert out.count("  subgraph ") == 4


def test_readme_example_prints_the_path_and_what_each_hop_demands(
    at_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "fixtures/recipe",
        "--from",
        "saml-provider/CorporateIdP",
        "--to",
        "CrossAccount-ProductionAccess",
    )
    assert (code, err) == (0, "")
    assert (
        out.splitlines()[1]
        == f"  from: {SAML} (SAML provider · not in the data, security · 111111111111 · tier 3)"
    )
    assert (
        "path 1 of 1 (2 hops; hop 2 blocked): "
        "CorporateIdP -> MasterCrossAccountRole-a1b2c3 -> CrossAccount-ProductionAccess-a1b2c3"
    ) in out
    hop1, hop2 = out.split("  hop 1:")[1].split("  hop 2:")
    assert "    sts:AssumeRoleWithSAML, allowed" in hop1
    assert "audience https://signin.aws.amazon.com/saml" in hop1
    assert "    sts:AssumeRole, blocked: no request satisfies StringLike aws:userid" in hop2
    assert "    identity:  fixtures/recipe/master-cross-account-permissions.json:4:5 /Statement/0" in hop2
    assert "      ExternalId    k3v9q2m7x4p8w1z6" in hop2
    assert "never carries MFA (iam-facts §2.3): this hop fails" in hop2
    assert "does not allow sts:TagSession, so the call fails" in hop2
    assert "    finding:   XA407 mfa-lost-in-chain" in hop2


def test_paths_in_another_format_draw_only_the_paths(
    at_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "paths.json"
    args = ["fixtures/recipe", "--from", "MasterCrossAccountRole", "--format", "json", "-o", str(target)]
    assert run(capsys, *args)[0] == 0
    graph = nx.node_link_graph(json.loads(target.read_text(encoding="utf-8")), edges="edges")
    assert set(graph.edges()) == {(MASTER, PROD_ROLE), (MASTER, DEV_ROLE)}


def test_html_goes_to_a_file_with_every_role(
    at_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "graph.html"
    assert run(capsys, "fixtures/recipe", "--format", "html", "-o", str(target)) == (0, "", "")
    page = target.read_text(encoding="utf-8")
    assert "<title>Assume-role graph: fixtures/recipe</title>" in page
    for role in RECIPE_ROLES:
        assert f'data-id="{role}"' in page
    assert list(tmp_path.iterdir()) == [target]  # written atomically: no temporary file left


# --- a small project for the errors ---------------------------------------------------------------------

TRUST = """{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111111111111:role/Hub"}, "Action": "sts:AssumeRole",
  "Condition": {"StringEquals": {"sts:ExternalId": "a1b2c3d4e5f6g7h8"}}}]}
"""
CONFIG = """
[accounts.hub]
id = "111111111111"
[accounts.spoke]
id = "222222222222"
[[roles]]
name = "SpokeAlpha"
account = "spoke"
trust-policy = "alpha.json"
[[roles]]
name = "SpokeBeta"
account = "spoke"
trust-policy = "beta.json"
[lint]
select = ["XA2"]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "alpha.json").write_text(TRUST, encoding="utf-8")
    (tmp_path / "beta.json").write_text(TRUST, encoding="utf-8")
    (tmp_path / "xacct-lint.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_ambiguous_node_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, ".", "--to", "Spoke")
    assert (code, out) == (2, "")
    assert err == (
        "xacct-lint: error: --to 'Spoke' is ambiguous: it matches arn:aws:iam::222222222222:role/SpokeAlpha, "
        "arn:aws:iam::222222222222:role/SpokeBeta; give more of the name\n"
    )


def test_an_unknown_node_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, ".", "--from", "Hubb")
    assert code == 2
    assert err.startswith("xacct-lint: error: --from 'Hubb' matches no node of the graph")
    assert err.endswith("did you mean Hub?\n") and err.count("\n") == 1


def test_paths_by_name_and_depth(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, ".", "--from", "role/Hub", "--to", "SpokeAlpha")
    assert code == 0 and "path 1 of 1 (1 hop; hop 1 unknown): Hub -> SpokeAlpha" in out
    assert "      ExternalId    a1b2c3d4e5f6g7h8" in out
    code, out, _err = run(
        capsys, ".", "--from", "Hub", "--to", "SpokeBeta", "--max-depth", "1", "--format", "text"
    )
    assert code == 0 and "path 1 of 1" in out


def test_a_missing_path_or_unwritable_output_is_one_error_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, "no-such-dir")
    assert code == 2 and err.startswith("xacct-lint: error: ") and err.count("\n") == 1
    code, _out, err = run(capsys, ".", "-o", str(project / "missing" / "graph.mmd"))
    assert code == 2 and err.startswith("xacct-lint: error: cannot write ") and err.count("\n") == 1


def test_markdown_output_is_fenced(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, ".", "-o", "graph.md")[0] == 0
    text = (project / "graph.md").read_text(encoding="utf-8")
    assert text.startswith("```mermaid\n") and text.endswith("```\n")


@pytest.mark.parametrize("value", ["0", "x", "65"])
def test_max_depth_must_be_a_small_positive_integer(
    project: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert run(capsys, ".", "--from", "Hub", "--max-depth", value)[0] == 2
