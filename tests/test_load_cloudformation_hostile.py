"""Hostile and odd templates are findings, never crashes or hangs: alias bombs, unknown and Python tags, huge
files, deep nesting, broken YAML, merge keys, malformed intrinsic functions. Inputs are generated here."""

from __future__ import annotations

from pathlib import Path

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.runner import INTERNAL_ERROR, Result, place_of, run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import load_config
from xacct_lint.model.inventory import Model

HEADER = 'AWSTemplateFormatVersion: "2010-09-09"\n'
ROLE = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
"""


CONFIG = '[accounts.app]\nid = "444455556666"\n\n[[templates]]\nglob = "**"\naccount = "app"\n'


def lint(tmp_path: Path, name: str, text: str) -> tuple[Model, list[Result]]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "xacct-lint.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "xacct-lint.toml")
    model = load_paths([tmp_path], config, root=tmp_path)
    results, _ = to_results(run_rules(builtin_pack().rules, RuleContext(model, config)), {})
    assert not [r for r in results if r.rule.id == INTERNAL_ERROR.id], "a rule crashed"
    return model, results


def codes(model: Model) -> list[str]:
    return sorted(p.code for p in model.problems)


def line_col(result: Result) -> tuple[int, int]:
    region = result.place.region
    assert region is not None
    return region.start.line, region.start.column


def billion_laughs(levels: int, fan_out: int) -> str:
    lines = [HEADER, 'l0: &l0 "lol"\n']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * fan_out)
        lines.append(f"l{level}: &l{level} [{refs}]\n")
    lines.append(ROLE)
    lines.append(f"      Tags: *l{levels}\n")
    return "".join(lines)


def test_alias_bomb_stops_at_the_node_budget(tmp_path: Path) -> None:
    text = billion_laughs(levels=9, fan_out=10)  # 10**9 strings once expanded
    model, results = lint(tmp_path, "bomb.yaml", text)
    assert codes(model) == ["yaml-limit"]
    assert model.policies == []
    (finding,) = [r for r in results if r.rule.id == "XA001"]
    assert "alias bomb" in finding.message and "nothing in this template was checked" in finding.message
    # It stops on the line of the alias that crossed the budget.
    line, _ = line_col(finding)
    assert text.splitlines()[line - 1].startswith(("l6:", "l7:"))


def test_a_few_aliases_are_read_and_reported(tmp_path: Path) -> None:
    text = HEADER + ROLE.replace(
        "Principal: {Service: ec2.amazonaws.com}", "Principal: &p {Service: ec2.amazonaws.com}"
    )
    text += "          - Effect: Deny\n            Principal: *p\n            Action: sts:TagSession\n"
    model, results = lint(tmp_path, "aliases.yaml", text)
    (policy,) = model.policies
    statements = policy.document.root.to_python()["Statement"]  # type: ignore[index]
    assert statements[1]["Principal"] == {"Service": "ec2.amazonaws.com"}
    (problem,) = model.problems
    assert problem.code == "invalid-template" and "does not support aliases" in problem.message
    (finding,) = [r for r in results if r.rule.id == "XA001"]
    assert line_col(finding) == (len(text.splitlines()) - 1, 24)


def test_unknown_and_python_tags_are_findings_and_construct_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = HEADER + ROLE + f"      Description: !!python/object/apply:os.system ['touch {marker}']\n"
    text += "      Path: !Frobnicate /x/\n"
    model, results = lint(tmp_path, "tags.yaml", text)
    assert not marker.exists()
    assert codes(model) == ["invalid-template", "invalid-template"]
    found = sorted((line_col(r), r.message.split(":")[0]) for r in results if r.rule.id == "XA001")
    lines = text.splitlines()
    assert found == [
        ((lines.index(lines[-2]) + 1, 20), "unknown YAML tag !!python/object/apply"),
        ((len(lines), 13), "unknown YAML tag !Frobnicate"),
    ]
    (role_policy,) = model.policies  # the rest of the template is still read
    assert role_policy.prefix == "/Resources/Role/Properties/AssumeRolePolicyDocument"


def test_fifty_megabyte_template_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.write((HEADER + ROLE).encode())
        handle.truncate(50 * 1024 * 1024)  # sparse: the size is what discovery checks
    model, results = lint(tmp_path, "small.yaml", HEADER + ROLE)
    assert codes(model) == ["file-too-large"]
    (finding,) = [r for r in results if r.rule.id == "XA001"]
    assert finding.place.path == "huge.yaml" and "larger than the limit" in finding.message
    assert [p.source.display_path for p in model.policies] == ["small.yaml"]


def test_deep_yaml_nesting_is_a_finding(tmp_path: Path) -> None:
    depth = 100_000
    text = HEADER + "Resources: " + "[" * depth + "]" * depth + "\n"
    model, results = lint(tmp_path, "deep.yaml", text)
    assert codes(model) == ["yaml-limit"]
    (finding,) = [r for r in results if r.rule.id == "XA001"]
    assert "nesting deeper than 256 levels" in finding.message
    # The template's own mapping is the first level: the 256th bracket is one too many.
    assert line_col(finding) == (2, len("Resources: ") + 256)


def test_template_deeper_than_the_resolver_accepts(tmp_path: Path) -> None:
    nested = "{a: " * 150 + "x" + "}" * 150
    model, _ = lint(tmp_path, "deep-template.yaml", HEADER + ROLE + f"      Tags: [{nested}]\n")
    assert codes(model) == ["yaml-limit"]
    assert "nesting deeper than 100 levels" in model.problems[0].message


def test_deep_json_template(tmp_path: Path) -> None:
    nested = '{"a": ' * 200 + "1" + "}" * 200
    text = '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"R": {"Type": "AWS::IAM::Role", '
    text += f'"Properties": {{"Tags": [{nested}]}}}}}}}}\n'
    model, _ = lint(tmp_path, "deep.json", text)
    assert codes(model) == ["yaml-limit"]


def test_broken_yaml_template_is_a_finding_with_a_position(tmp_path: Path) -> None:
    text = HEADER + ROLE + "      Policies: [unclosed\n"
    model, results = lint(tmp_path, "broken.yaml", text)
    assert codes(model) == ["invalid-yaml"]
    (finding,) = [r for r in results if r.rule.id == "XA001"]
    assert finding.message.startswith("invalid YAML:")
    line, _ = line_col(finding)
    assert line >= len(text.splitlines())


def test_broken_yaml_that_is_no_template_is_ignored(tmp_path: Path) -> None:
    model, results = lint(tmp_path, "helm.yaml", "kind: {{ .Values.kind }}\nimage: AWS::x: [\n")
    assert model.problems == [] and results == []


def test_invalid_characters_are_a_finding(tmp_path: Path) -> None:
    text = HEADER + ROLE + "      Description: bell\x07here\n"
    model, _ = lint(tmp_path, "control.yaml", text)
    assert codes(model) == ["invalid-yaml"]


def test_merge_keys_duplicates_and_extra_documents(tmp_path: Path) -> None:
    text = (
        HEADER
        + "Base: &base {Effect: Allow, Action: sts:AssumeRole}\n"
        + ROLE.replace(
            "          - Effect: Allow\n            Principal: {Service: ec2.amazonaws.com}\n"
            "            Action: sts:AssumeRole\n",
            "          - <<: *base\n            Principal: {Service: ec2.amazonaws.com}\n",
        )
        + '      Path: "/a/"\n      Path: "/b/"\n---\nsecond: document\n'
    )
    model, results = lint(tmp_path, "odd.yaml", text)
    (policy,) = model.policies
    statement = policy.document.root.to_python()["Statement"][0]  # type: ignore[index]
    assert statement == {
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
    }
    messages = sorted(p.message.split(":")[0] for p in model.problems)
    assert codes(model) == ["duplicate-key", "invalid-template", "invalid-template", "invalid-template"]
    assert any(m.startswith("a YAML merge key (<<)") for m in messages)
    assert any(m.startswith("a second YAML document") for m in messages)
    assert {r.rule.id for r in results} >= {"XA001", "XA003"}


def test_malformed_intrinsics_are_findings_and_stay_symbols(tmp_path: Path) -> None:
    text = HEADER + ROLE.replace(
        "Principal: {Service: ec2.amazonaws.com}", "Principal: {AWS: !Ref Nowhere, Service: !Join [x]}"
    )
    text += "            Condition:\n              StringEquals: {aws:SourceAccount: !If [Missing, a, b]}\n"
    text += "Conditions:\n  Loop: !Condition Loop\n  Odd: !Fn::Frob []\n"
    model, _results = lint(tmp_path, "intrinsics.yaml", text)
    (policy,) = model.policies
    principal = policy.document.root.to_python()["Statement"][0]["Principal"]  # type: ignore[index]
    assert principal == {"AWS": "${Ref}", "Service": "${Join}"}
    messages = sorted(p.message for p in model.problems if p.code == "invalid-template")
    assert any("Ref Nowhere" in m for m in messages)
    assert any("Fn::Join takes [delimiter, [values]]" in m for m in messages)
    assert any("condition Missing is not defined" in m for m in messages)
    spots = {place_of(p.location).logical_path for p in model.problems}
    assert "/Resources/Role/Properties/AssumeRolePolicyDocument/Statement/0/Principal/AWS/Ref" in spots


def test_condition_cycle_is_reported(tmp_path: Path) -> None:
    text = HEADER + ROLE.replace(
        "Principal: {Service: ec2.amazonaws.com}", "Principal: {Service: !If [A, ec2.amazonaws.com, x]}"
    )
    text += "Conditions:\n  A: !Condition B\n  B: !And [!Condition A, true]\n"
    model, _ = lint(tmp_path, "cycle.yaml", text)
    assert any("depends on itself" in p.message for p in model.problems)
