"""The recipe as Terraform (fixtures/terraform/recipe) gives the JSON form's roles and findings, on .tf lines."""

from __future__ import annotations

from recipe_equivalence import REPO, Lint, finding_keys, json_form, lint, misplaced, role_signature

from xacct_lint.cli import _load_rules
from xacct_lint.model.config import load_config

TERRAFORM = REPO / "fixtures" / "terraform" / "recipe"


def terraform_form() -> Lint:
    return lint([TERRAFORM], load_config(TERRAFORM / "xacct-lint.toml"))


def test_same_roles_as_the_json_form() -> None:
    assert role_signature(terraform_form().model) == role_signature(json_form().model)


def test_same_findings_as_the_json_form() -> None:
    expected = finding_keys(json_form())
    assert expected  # the recipe has defects: an empty comparison would prove nothing
    assert finding_keys(terraform_form()) == expected


def test_every_finding_points_at_a_line_of_the_tf_file_that_shows_it() -> None:
    result = terraform_form()
    assert not misplaced(result)
    assert {f.location.source.display_path.rsplit("/", 1)[-1] for f in result.findings} <= {
        "master.tf",
        "prod.tf",
        "dev.tf",
        "lambda.tf",
    }


def test_sarif_shows_a_terraform_finding_on_its_line_of_the_tf_file() -> None:
    import json

    from xacct_lint.engine.runner import to_results
    from xacct_lint.report import build_report
    from xacct_lint.report.sarif import render_sarif

    config = load_config(TERRAFORM / "xacct-lint.toml")
    result = terraform_form()
    rules = _load_rules(config, [])
    results, _ = to_results(
        ((next(r for r in rules if r.meta.id == f.rule_id), f) for f in result.findings), {}
    )
    sarif = json.loads(render_sarif(build_report(result.model, rules, results)))
    prod = (TERRAFORM / "prod.tf").read_text(encoding="utf-8").splitlines()
    userid = next(
        r
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "XA208"
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("prod.tf")
    )
    region = userid["locations"][0]["physicalLocation"]["region"]
    line = prod[region["startLine"] - 1]
    assert line[region["startColumn"] - 1 :].startswith('"aws:userid": "*:${var.security_account_id}:*"')
