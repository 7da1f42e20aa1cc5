"""The optional parliament pack: stable ids, recipe findings, trust-policy false positive dropped, crashes contained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import merge_packs, named_pack
from xacct_lint.engine.runner import run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import Config, find_config, load_config

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def results_for(paths: list[Path], config: Config | None = None) -> list[tuple[str, str, str, int]]:
    config = config if config is not None else load_config(find_config(paths))
    model = load_paths(paths, config, root=ROOT)
    rules = merge_packs([named_pack("parliament")])
    results, _ = to_results(run_rules(rules, RuleContext(model, config)), {})
    return [
        (r.rule.id, r.place.path, r.place.logical_path, r.place.region.start.line if r.place.region else 0)
        for r in results
    ]


def test_ids_are_stable_and_documented() -> None:
    pack = named_pack("parliament")
    ids = [rule.meta.id for rule in pack.rules]
    assert ids == sorted(ids) and ids[0] == "XP001" and len(ids) == len(set(ids))
    by_name = {rule.meta.name: rule.meta.id for rule in pack.rules}
    assert by_name["resource-star"] == "XP022"
    assert by_name["resource-mismatch"] == "XP020"
    assert by_name["exception"] == "XP004"
    for rule in pack.rules:
        for section in ("What it does", "Why is this bad", "Example", "Use instead", "References"):
            assert rule.doc_section(section), (rule.meta.id, section)


def test_recipe_wildcard_grants_are_reported_at_their_statements() -> None:
    dev = ROOT / "fixtures" / "recipe" / "dev-cross-account-permissions.json"
    found = results_for([dev])
    assert ("XP020", "fixtures/recipe/dev-cross-account-permissions.json", "/Statement/0", 4) in found  # s3:*
    assert (
        "XP020",
        "fixtures/recipe/dev-cross-account-permissions.json",
        "/Statement/3",
        33,
    ) in found  # logs:*


def test_trust_policy_gets_no_missing_resource_finding(tmp_path: Path) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(trust), encoding="utf-8")
    assert results_for([path], Config()) == []


@pytest.mark.skipif(
    not (SHARED / "corpora" / "aws-managed").is_dir(), reason="../shared corpora are not present"
)
def test_a_policy_parliament_crashes_on_is_a_note_not_a_crash() -> None:
    crasher = SHARED / "corpora" / "aws-managed" / "SageMakerStudioProjectUserRolePolicy.json"
    found = results_for([crasher], Config())
    assert [f[0] for f in found if f[0] == "XP004"] == ["XP004"]
