"""The chain rules' shortcut: ``graph_is_empty`` says exactly when the graph would have no node, and a run over
plain policy documents then never imports networkx (start-up is what pre-commit users feel on every commit)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xacct_lint.graph import build_graph, graph_is_empty
from xacct_lint.load import load_paths
from xacct_lint.model.config import load_config

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
# Every fixture file on its own (most are plain policies: empty graphs), and every directory whole (the recipe,
# multi-account exports, Terraform and CloudFormation sets: graphs with nodes).
CASES = sorted(
    [
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.suffix in {".json", ".tf", ".yaml", ".yml", ".sh", ".md"}
    ]
    + [p for p in FIXTURES.iterdir() if p.is_dir()]
)


def test_cases_cover_both_answers() -> None:
    """The comparison below is only worth something if the fixtures give empty and non-empty graphs."""
    config = load_config(None)
    answers = {graph_is_empty(load_paths([case], config, root=ROOT)) for case in CASES}
    assert answers == {True, False}


@pytest.mark.parametrize("case", CASES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_graph_is_empty_agrees_with_build_graph(case: Path) -> None:
    config_file = case / "xacct-lint.toml" if case.is_dir() else None
    config = load_config(config_file if config_file is not None and config_file.is_file() else None)
    model = load_paths([case], config, root=ROOT)
    assert graph_is_empty(model) == (build_graph(model, config).number_of_nodes() == 0)


def test_one_plain_policy_does_not_import_networkx(tmp_path: Path) -> None:
    policy = tmp_path / "trust.json"
    policy.write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": '
        '"arn:aws:iam::111111111111:role/Hub"}, "Action": "sts:AssumeRole", "Condition": '
        '{"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}}}]}',
        encoding="utf-8",
    )
    code = (
        "import sys\n"
        "from xacct_lint.cli import main\n"
        f"code = main(['check', {str(policy)!r}, '--no-config'])\n"
        "print(code, 'networkx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["0", "False"]
