"""Issue 7, point 3: "could not analyse" is never "clean".

- A rule that raises is an XA000 error naming the rule and the file it was checking; the run exits 1 whatever
  ``--fail-on`` says, and SARIF says ``executionSuccessful: false`` with a ``toolExecutionNotifications`` entry.
- Every built-in rule, starved of search budget, still reports something on each of its bad fixtures: the
  finding itself, or a note with precision "unknown" saying what it could not decide -- never silence.
- A file the loaders could not read is an XA001 finding and a SARIF notification, and the run fails.
- A document parliament refuses is an XP004 note on that policy, not a crash of the whole pack.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hostile_support import TRUST, messages, rule_module, run_cli, sarif_run, spots
from report_support import validate_sarif

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.rule import Rule
from xacct_lint.engine.runner import Result, run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import find_config, load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"

CRASH_ON_B = """    for policy in ctx.model.policies:
        for statement in policy.document.statements:
            if policy.source.display_path.endswith("b.json"):
                raise RuntimeError("boom")
    return ()"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scan root with policies a.json and b.json and a local pack whose XA950 crashes on b.json."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "a.json").write_text(TRUST, encoding="utf-8")
    (tmp_path / "policies" / "b.json").write_text(TRUST, encoding="utf-8")
    (tmp_path / "myrules").mkdir()
    (tmp_path / "myrules" / "xa950_crashes.py").write_text(
        rule_module("XA950", "crashes-on-b", CRASH_ON_B), encoding="utf-8"
    )
    (tmp_path / "xacct-lint.toml").write_text('[lint]\nrule-dirs = ["myrules"]\n', encoding="utf-8")
    return tmp_path


def test_a_crashing_rule_is_xa000_naming_rule_and_file_and_fails_the_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_cli(capsys, "check", "policies", "--output-format", "sarif", "--fail-on", "never")

    assert run.code == 1  # a crash fails the run even when no severity would
    validate_sarif(run.out)
    log = sarif_run(run.json())
    crashes = [r for r in log["results"] if r["ruleId"] == "XA000"]
    assert len(crashes) == 1
    crash = crashes[0]
    # The rule was looking at b.json's first statement when it raised: that is where the finding points.
    location = crash["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "policies/b.json", "uriBaseId": "%SRCROOT%"}
    assert (location["region"]["startLine"], location["region"]["startColumn"]) == (4, 5)
    text = crash["message"]["text"]
    assert text.startswith("rule XA950 (crashes-on-b) crashed: RuntimeError: boom at xa950_crashes.py:")
    assert text.endswith("(while checking policies/b.json); its findings are missing")
    assert crash["level"] == "error"
    assert crash["properties"]["precision"] == "unknown"

    invocation = log["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = [
        n
        for n in invocation["toolExecutionNotifications"]
        if n.get("properties", {}).get("code") == "internal-error"
    ]
    assert [n["message"]["text"] for n in notes] == [text]
    assert notes[0]["level"] == "error"
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policies/b.json"
    # Every other rule still ran on both files.
    assert {
        tuple(r["locations"][0]["physicalLocation"]["artifactLocation"].values()) for r in log["results"]
    } >= {
        ("policies/a.json", "%SRCROOT%"),
        ("policies/b.json", "%SRCROOT%"),
    }
    assert {r["ruleId"] for r in log["results"]} >= {"XA000", "XA201"}


def test_a_crash_in_text_and_json_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(capsys, "check", "policies", "--output-format", "json", "--select", "XA950")
    assert run.code == 1
    doc = run.json()
    assert spots(doc) == {"policies/b.json": {("XA000", "/Statement/0", 4, 5)}}

    run = run_cli(capsys, "check", "policies", "--select", "XA950", "--color", "never")
    assert run.code == 1
    assert re.match(
        r"policies/b\.json:4:5: XA000 \[error\] rule XA950 \(crashes-on-b\) crashed: RuntimeError: boom at "
        r"xa950_crashes\.py:\d+ \(while checking policies/b\.json\); its findings are missing$",
        run.out.splitlines()[0],
    )


def test_a_crash_with_no_input_files_is_still_reported(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "myrules" / "xa951_always.py").write_text(
        rule_module("XA951", "always-crashes", '    raise RuntimeError("nothing to check")'), encoding="utf-8"
    )
    (project / "empty").mkdir()

    run = run_cli(capsys, "check", "empty", "--output-format", "json", "--select", "XA951")

    assert run.code == 1
    [crash] = run.json()["results"]
    assert (crash["rule_id"], crash["path"]) == ("XA000", ".")  # no file to blame: the scan root
    assert "rule XA951 (always-crashes) crashed: RuntimeError: nothing to check" in crash["message"]


def test_a_rule_yielding_something_else_than_a_finding_is_xa000(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "myrules" / "xa952_yields_text.py").write_text(
        rule_module("XA952", "yields-text", '    yield "not a finding"'), encoding="utf-8"
    )
    run = run_cli(capsys, "check", "policies", "--output-format", "json", "--select", "XA952")
    assert run.code == 1
    [crash] = run.json()["results"]
    assert crash["rule_id"] == "XA000"
    assert "crashed: TypeError: check() yielded str, not a Finding with a Location" in crash["message"]


def test_an_exception_quoting_a_huge_input_is_shortened(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "myrules" / "xa953_loud.py").write_text(
        rule_module("XA953", "loud-crash", '    raise ValueError("x" * 1_000_000 + "\\n\\x1b[2J")'),
        encoding="utf-8",
    )
    run = run_cli(capsys, "check", "policies", "--output-format", "json", "--select", "XA953")
    [crash] = run.json()["results"]
    assert len(crash["message"]) < 1000
    assert "\n" not in crash["message"]


# --- every built-in rule says when it could not decide -----------------------------------------------------------


def _bad_fixtures() -> list[Any]:
    cases = []
    for directory in sorted(p for p in FIXTURES.iterdir() if re.fullmatch(r"XA\d{3}", p.name)):
        expected = directory / "expected.toml"
        listed = tomllib.loads(expected.read_text(encoding="utf-8")) if expected.is_file() else {}
        for path in sorted((directory / "bad").glob("*")):
            if path.is_file() and listed.get(f"bad/{path.name}", {}).get("findings", [True]):
                cases.append(pytest.param(directory.name, path, id=f"{directory.name}/{path.name}"))
    return cases


def _rule(rule_id: str) -> Rule:
    return next(r for r in builtin_pack().rules if r.meta.id == rule_id)


@pytest.mark.parametrize(("rule_id", "path"), _bad_fixtures())
def test_a_rule_starved_of_search_budget_is_never_silent(rule_id: str, path: Path) -> None:
    # With a budget of one combination every search answers "unknown": where the rule reports the fixture
    # with its normal budget, it must still say something about it -- its finding (found without searching),
    # or a finding with precision "unknown" saying what it could not decide.
    config = load_config(find_config([path]))
    model = load_paths([path], config, root=REPO_ROOT)
    rule = _rule(rule_id)
    shown = path.relative_to(REPO_ROOT).as_posix()

    def results_with(budget: int) -> list[Result]:
        results, _ = to_results(run_rules([rule], RuleContext(model, config, search_budget=budget)), {})
        assert not [r.message for r in results if r.rule.id == "XA000"]
        return [r for r in results if r.rule.id == rule_id and r.place.path == shown]

    if not results_with(RuleContext(model, config).search_budget):
        pytest.skip(f"{rule_id} reports {shown} only together with other files (its fixture harness)")
    starved = results_with(1)
    assert starved, f"{rule_id} is silent on {shown} when its searches cannot decide"
    for result in starved:
        if "could not decide" in result.message:
            assert result.precision.value == "unknown"


# --- files that could not be read, documents parliament refuses -----------------------------------------------------


def test_an_unreadable_file_alone_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.json").write_text('{"Version": "2012-10-17", "Statement": [', encoding="utf-8")

    run = run_cli(capsys, "check", "broken.json", "--no-config", "--output-format", "sarif")

    assert run.code == 1
    log = sarif_run(run.json())
    assert [(r["ruleId"], r["level"]) for r in log["results"]] == [("XA001", "error")]
    invocation = log["invocations"][0]
    assert invocation["executionSuccessful"] is True  # the tool did its job; the file is the problem
    [note] = invocation["toolExecutionNotifications"]
    assert note["message"]["text"] == "not analysed: invalid JSON: unexpected end of input: expected a value"
    assert note["properties"] == {"code": "invalid-json"}


def test_documents_parliament_refuses_are_one_note_each_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    from urllib.parse import quote

    # An export whose embedded trust policy decodes to a JSON string, and a policy with a number that
    # overflows (parliament's JSON encoder refuses infinity).
    export = {
        "RoleDetailList": [
            {
                "RoleName": "Target",
                "Arn": "arn:aws:iam::222222222222:role/Target",
                "AssumeRolePolicyDocument": quote(json.dumps("not a document")),
            }
        ]
    }
    (tmp_path / "export.json").write_text(json.dumps(export), encoding="utf-8")
    (tmp_path / "overflow.json").write_text(
        TRUST.replace(
            '"Action": "sts:AssumeRole"',
            '"Action": "sts:AssumeRole", "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": 1e400}}',
        ),
        encoding="utf-8",
    )

    run = run_cli(capsys, "check", ".", "--no-config", "--pack", "parliament", "--output-format", "json")

    doc = run.json()
    assert [r for r in doc["results"] if r["rule_id"] == "XA000"] == []
    found = spots(doc)
    assert ("XP004", "/RoleDetailList/0/AssumeRolePolicyDocument", 1, 121) in found["export.json"]
    assert ("XP004", "", 1, 1) in found["overflow.json"]
    [note] = messages(doc, "overflow.json", "XP004")
    assert note == (
        "parliament could not analyse this policy (ValueError: Out of range float values are not JSON compliant); "
        "its checks did not run here"
    )
    assert [r["precision"] for r in doc["results"] if r["rule_id"] == "XP004"] == ["unknown", "unknown"]
    assert ("XA208", "/Statement/0/Condition/NumericLessThan/aws:MultiFactorAuthAge", 7, 69) in found[
        "overflow.json"
    ]


# --- what was meant as a template, a loader that raises, a statement the evaluator cannot decide -------------------


@pytest.mark.parametrize("suffix", [".template", ".yaml"])
def test_a_truncated_json_template_is_xa001_not_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    # JSON templates need no AWSTemplateFormatVersion, and their "Resources" key is indented or follows "{":
    # cut short, such a file was taken for "not a template" and the run said "No findings".
    monkeypatch.chdir(tmp_path)
    text = '{\n  "Resources": {\n    "R": {\n      "Type": "AWS::IAM::Role",\n      "Properties": {\n'
    (tmp_path / f"stack{suffix}").write_text(text, encoding="utf-8")
    (tmp_path / f"one-line{suffix}").write_text(text.replace("\n", "").replace("  ", ""), encoding="utf-8")

    run = run_cli(capsys, "check", ".", "--no-config", "--output-format", "json")

    assert run.code == 1
    doc = run.json()
    assert spots(doc) == {
        f"stack{suffix}": {("XA001", "", 6, 1)},
        f"one-line{suffix}": {("XA001", "", 1, len(text.replace("\n", "").replace("  ", "")) + 1)},
    }
    for path in spots(doc):
        assert messages(doc, path, "XA001") == [
            "invalid JSON: expected a string key, found end of input; nothing in this document was checked"
        ]


def test_a_loader_that_raises_is_xa000_naming_the_file_and_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No input should make a loader raise (the fuzz suite hunts for those bugs), but when one does, that file
    # is an internal error -- never a traceback that ends the run, never a file that silently reads as clean.
    import xacct_lint.load as load_module

    monkeypatch.chdir(tmp_path)
    (tmp_path / "trust.json").write_text(TRUST, encoding="utf-8")
    (tmp_path / "recipe.sh").write_text("aws iam create-role --role-name r\n", encoding="utf-8")

    def crashing_loader(source: Any) -> Any:
        raise KeyError("x" * 2000)

    monkeypatch.setattr(
        load_module, "LOADERS", MappingProxyType({**load_module.LOADERS, ".sh": crashing_loader})
    )

    for jobs in ("1", "2"):
        run = run_cli(capsys, "check", ".", "--no-config", "--output-format", "sarif", "--jobs", jobs)

        assert run.code == 1
        validate_sarif(run.out)
        log = sarif_run(run.json())
        [crash] = [r for r in log["results"] if r["ruleId"] == "XA000"]
        location = crash["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "recipe.sh"
        text = crash["message"]["text"]
        assert text.startswith("the .sh loader crashed: KeyError: 'xxxx")
        assert re.search(r"\.\.\. at test_hostile_never_clean\.py:\d+ \(while reading recipe\.sh\); nothing in "
                         r"this file was checked$", text), text  # fmt: skip
        assert len(text) < 1000
        assert crash["properties"]["precision"] == "unknown"
        invocation = log["invocations"][0]
        assert invocation["executionSuccessful"] is False
        assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [
            f"not analysed: {text}",
            text,
        ]
        assert {r["ruleId"] for r in log["results"] if r["ruleId"] != "XA000"} >= {"XA201"}  # trust.json


def test_a_statement_the_evaluator_cannot_decide_is_a_finding_with_precision_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Deny compares the caller's ARN with a principal tag no policy defines: whether it stops the member
    # of account 444455556666 cannot be known, so the finding says "unknown" and why -- it does not go quiet.
    monkeypatch.chdir(tmp_path)
    policy = json.loads(TRUST)
    policy["Statement"][0]["Condition"] = {"StringEquals": {"sts:ExternalId": "Zq7pL2v9Xk4mR8wT"}}
    policy["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringNotEquals": {"aws:PrincipalArn": "${aws:PrincipalTag/allowed}"}},
        }
    )
    (tmp_path / "variable.json").write_text(json.dumps(policy, indent=2), encoding="utf-8")

    run = run_cli(capsys, "check", "variable.json", "--no-config", "--output-format", "sarif")

    assert run.code == 1
    log = sarif_run(run.json())
    [result] = log["results"]
    assert (result["ruleId"], result["level"]) == ("XA102", "warning")
    assert result["properties"]["precision"] == "unknown"
    assert result["message"]["text"].endswith("(precision unknown: a policy variable could not be resolved)")
    assert log["invocations"][0]["executionSuccessful"] is True


def test_an_inline_policy_that_is_a_json_array_is_xa002_not_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only text starting with "{" was taken for an inline document; "[...]" was dropped without a word.
    monkeypatch.chdir(tmp_path)
    prefix = "aws iam create-role --role-name r --assume-role-policy-document '"
    (tmp_path / "recipe.sh").write_text(prefix + "[]'\n", encoding="utf-8")

    run = run_cli(capsys, "check", "recipe.sh", "--no-config", "--output-format", "json")

    assert run.code == 1
    doc = run.json()
    assert spots(doc) == {"recipe.sh": {("XA002", "/line-1/assume-role-policy-document", 1, len(prefix) + 1)}}
    assert messages(doc, "recipe.sh", "XA002") == ["a policy document must be a JSON object, found []"]
