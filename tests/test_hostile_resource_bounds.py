"""Issue 7, point 6: resource bounds.

``[limits]`` in the configuration and ``--max-file-size``, ``--max-depth``, ``--max-statements`` and
``--search-budget`` on the command line bound what one input can cost. Hitting a bound is a finding on that
input -- XA001 for a file or policy that was not analysed, a note with precision "unknown" for a witness search
that ran out of budget -- never a hang, never silence. Bad limit values are usage or configuration errors
(exit 2).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import fuzz_targets as ft
import pytest
from hostile_support import TRUST, TRUST_SPOT, messages, one_error_line, run_cli, sarif_run, spots
from hypothesis import given, settings
from hypothesis import strategies as st
from report_support import validate_sarif

from xacct_lint.evaluate.search import NoneExists, Unknown, Witness, assume_role_kind, find_request
from xacct_lint.parse.json_tree import parse_json
from xacct_lint.parse.policy import build_policy


@pytest.fixture
def scan_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The scan root (current directory) with ``trust.json``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "trust.json").write_text(TRUST, encoding="utf-8")
    return tmp_path


def _explosive_policy(keys: int = 12, values: int = 6) -> dict[str, Any]:
    """A trust policy whose witness search must visit values**keys combinations to prove there is none.

    The Allow accepts ``values`` constants for each of ``keys`` principal tags; the Deny matches every request
    that carries all of them -- so no request is allowed, and only an exhaustive search could prove it.
    """
    names = [f"aws:PrincipalTag/k{i}" for i in range(keys)]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {k: [f"v{j}" for j in range(values)] for k in names}},
            },
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringLike": {k: "*" for k in names}},
            },
        ],
    }


# --- the search budget ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["command-line", "configuration"])
def test_an_exploding_search_stops_at_its_budget_with_precision_unknown(
    scan_root: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    (scan_root / "explode.json").write_text(json.dumps(_explosive_policy(), indent=2), encoding="utf-8")
    if where == "configuration":
        (scan_root / "xacct-lint.toml").write_text("[limits]\nsearch-budget = 2000\n", encoding="utf-8")
        options = ["--config", "xacct-lint.toml"]
    else:
        options = ["--no-config", "--search-budget", "2000"]

    run = run_cli(capsys, "check", "explode.json", "trust.json", *options, "--output-format", "sarif")

    validate_sarif(run.out)
    log = sarif_run(run.json())
    exploded = [
        r
        for r in log["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "explode.json"
    ]
    undecided = [r for r in exploded if "could not decide" in r["message"]["text"]]
    # XA201 (no ExternalId) and XA102 (someone the policy does not name) both ask the exploding question;
    # each stops at the budget and says so.
    assert {r["ruleId"] for r in undecided} == {"XA102", "XA201"}
    for result in undecided:
        assert result["properties"]["precision"] == "unknown"
        assert result["level"] == "note"
        assert "search budget of 2000 combinations exhausted after 2000 steps" in result["message"]["text"]
        assert result["message"]["text"].endswith("review this policy by hand")
    assert [r["ruleId"] for r in exploded if r not in undecided] == []
    # The invocation says so too: the file was analysed, but not completely.
    undecided_notes = [
        (n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], n["level"], n["message"]["text"])
        for n in log["invocations"][0]["toolExecutionNotifications"]
        if n["properties"]["code"] == "undecided"
    ]
    assert undecided_notes == [
        (
            "explode.json",
            "warning",
            '2 findings in this file could not be decided (precision "unknown"): the analysis of what they '
            "point at is incomplete",
        )
    ]
    assert log["invocations"][0]["executionSuccessful"] is True
    # The rest of the run is unaffected: trust.json's finding is there, exact.
    [trust] = [
        r
        for r in log["results"]
        if r["ruleId"] == "XA201"
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "trust.json"
    ]
    assert trust["properties"]["precision"] == "exact"
    assert log["invocations"][0]["executionSuccessful"] is True


@settings(max_examples=25, deadline=None)
@given(budget=st.integers(1, 3000), keys=st.integers(1, 12))
def test_the_search_never_explores_more_than_its_budget(budget: int, keys: int) -> None:
    document = build_policy(parse_json(json.dumps(_explosive_policy(keys, 4))).root)
    result = find_request(document, assume_role_kind("222222222222"), budget=budget)
    assert isinstance(result, Unknown | NoneExists | Witness)
    assert not isinstance(result, Witness)  # the Deny matches every request that the Allow admits
    if isinstance(result, Unknown):
        assert result.explored <= budget
        assert result.reason == f"search budget of {budget} combinations exhausted"
    else:
        assert result.explored <= budget  # decided within the budget: a proof, not a guess


# --- file size, nesting depth, statements ---------------------------------------------------------------------------


def test_max_file_size_from_configuration_and_command_line(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (scan_root / "xacct-lint.toml").write_text("[limits]\nmax-file-size = 100\n", encoding="utf-8")
    size = len(TRUST.encode("utf-8"))

    run = run_cli(capsys, "check", "trust.json", "--output-format", "json")
    assert run.code == 1
    assert spots(run.json()) == {"trust.json": {("XA001", "", 0, 0)}}
    assert messages(run.json(), "trust.json", "XA001") == [
        f"file is {size} bytes, larger than the limit of 100 bytes; not read"
    ]

    run = run_cli(capsys, "check", "trust.json", "--output-format", "json", "--max-file-size", str(size))
    assert TRUST_SPOT in spots(run.json())["trust.json"]  # the command line wins over the configuration


def _nested_condition(depth: int) -> str:
    """A trust policy whose condition value is nested so that the document is ``depth`` levels deep."""
    policy = json.loads(TRUST)
    policy["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceIp": "NESTED"}}
    inner = depth - 5  # root, Statement, statement, Condition, operator
    return json.dumps(policy).replace('"NESTED"', "[" * inner + '"10.0.0.1"' + "]" * inner)


def test_max_depth_from_configuration(scan_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (scan_root / "xacct-lint.toml").write_text("[limits]\nmax-depth = 8\n", encoding="utf-8")
    (scan_root / "deep.json").write_text(_nested_condition(9), encoding="utf-8")
    (scan_root / "fits.json").write_text(_nested_condition(8), encoding="utf-8")

    run = run_cli(capsys, "check", ".", "--output-format", "json")

    doc = run.json()
    text = (scan_root / "deep.json").read_text(encoding="utf-8")
    column = [m.start() for m in re.finditer(r"\[", text)][-1] + 1  # the innermost bracket opens level 9
    assert spots(doc)["deep.json"] == {("XA001", "", 1, column)}
    assert messages(doc, "deep.json", "XA001") == [
        "invalid JSON: nesting deeper than 8 levels; nothing in this document was checked"
    ]
    assert "XA001" not in {spot[0] for spot in spots(doc)["fits.json"]}
    assert TRUST_SPOT in spots(doc)["trust.json"]


def test_max_depth_applies_to_documents_embedded_in_exports(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from urllib.parse import quote

    role = {
        "RoleName": "Target",
        "Arn": "arn:aws:iam::222222222222:role/Target",
        "AssumeRolePolicyDocument": quote(_nested_condition(9)),
    }
    (scan_root / "export.json").write_text(json.dumps({"RoleDetailList": [role]}), encoding="utf-8")

    run = run_cli(
        capsys, "check", "export.json", "--no-config", "--max-depth", "8", "--output-format", "json"
    )

    [message] = messages(run.json(), "export.json", "XA001")
    assert message == (
        "the policy document embedded as a string at /RoleDetailList/0/AssumeRolePolicyDocument is not valid "
        "JSON: nesting deeper than 8 levels; nothing in this document was checked"
    )


def test_at_the_largest_allowed_depth_no_rule_crashes(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 512 is the schema's maximum: jsonschema (XA002) and parliament recurse over the document, and must still
    # fit Python's recursion limit with a document that deep in any element.
    for name, path in (("condition", ("Statement", 0, "Condition", "StringEquals", "aws:SourceIp")),
                       ("unknown-element", ("Statement", 0, "Foo")), ("statement", ("Statement", 0)),
                       ("top", ("Id",))):  # fmt: skip
        depth = 512 - len(path) - 1
        document = json.loads(TRUST)
        document["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceIp": "10.0.0.1"}}
        document = ft.replace_at(document, path, "NESTED")
        text = json.dumps(document).replace('"NESTED"', "[" * depth + "]" * depth)
        (scan_root / f"deep-{name}.json").write_text(text, encoding="utf-8")

    run = run_cli(capsys, "check", ".", "--no-config", "--max-depth", "512", "--pack", "parliament",
                  "--output-format", "json")  # fmt: skip

    doc = run.json()
    assert [r["message"][:200] for r in doc["results"] if r["rule_id"] == "XA000"] == []
    assert [r for r in doc["results"] if r["rule_id"] == "XA001"] == []
    assert {p for p in spots(doc) if p.startswith("deep-")} == {
        "deep-condition.json", "deep-unknown-element.json", "deep-statement.json", "deep-top.json"
    }  # fmt: skip


def _statements(count: int) -> dict[str, Any]:
    statement = json.loads(TRUST)["Statement"][0]
    return {"Version": "2012-10-17", "Statement": [statement] * count}


def test_a_policy_over_max_statements_is_xa001_and_not_analysed(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (scan_root / "long.json").write_text(json.dumps(_statements(1001), indent=2), encoding="utf-8")

    # The default bound (1000). Only XA001 runs: analysing 1,000 statements is a benchmark, not a test.
    run = run_cli(capsys, "check", ".", "--no-config", "--output-format", "sarif", "--select", "XA001")

    log = sarif_run(run.json())
    [xa001] = log["results"]
    assert xa001["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "long.json"
    assert xa001["message"]["text"] == (
        "the policy at / has 1001 statements, more than the limit of 1000 ([limits] max-statements, "
        "--max-statements); it was not analysed"
    )
    region = xa001["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (3, 3)  # the "Statement" member
    assert xa001["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "/Statement", "kind": "member"}
    ]
    notes = log["invocations"][0]["toolExecutionNotifications"]
    assert [(n["message"]["text"][:37], n["properties"]["code"]) for n in notes] == [
        ("not analysed: the policy at / has 100", "too-many-statements")
    ]


def test_a_policy_at_max_statements_is_analysed_one_over_is_not(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (scan_root / "long.json").write_text(json.dumps(_statements(6), indent=2), encoding="utf-8")
    (scan_root / "limit.json").write_text(json.dumps(_statements(5)), encoding="utf-8")

    run = run_cli(capsys, "check", ".", "--no-config", "--max-statements", "5", "--output-format", "json")

    found = spots(run.json())
    assert found["long.json"] == {("XA001", "/Statement", 3, 3)}  # nothing else: the policy was not analysed
    assert "XA201" in {spot[0] for spot in found["limit.json"]}
    assert TRUST_SPOT in found["trust.json"]


def test_max_statements_in_an_export_drops_only_that_policy(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = {
        "RoleName": "Target",
        "Arn": "arn:aws:iam::222222222222:role/Target",
        "AssumeRolePolicyDocument": _statements(3),
        "RolePolicyList": [{"PolicyName": "ok", "PolicyDocument": _statements(1)}],
    }
    (scan_root / "export.json").write_text(json.dumps({"Role": role}, indent=2), encoding="utf-8")

    run = run_cli(
        capsys, "check", "export.json", "--no-config", "--max-statements", "2", "--output-format", "json"
    )

    doc = run.json()
    assert messages(doc, "export.json", "XA001") == [
        "the policy at /Role/AssumeRolePolicyDocument has 3 statements, more than the limit of 2 ([limits] "
        "max-statements, --max-statements); it was not analysed"
    ]
    assert [p["logical_path"] for p in doc["policies"]] == ["/Role/RolePolicyList/0/PolicyDocument"]
    assert "XA201" not in {spot[0] for spot in spots(doc)["export.json"]}


# --- bad limit values ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("max-depth = 0", "invalid configuration at limits.max-depth: 0 is less than the minimum of 1"),
        (
            "max-depth = 513",
            "invalid configuration at limits.max-depth: 513 is greater than the maximum of 512",
        ),
        (
            'search-budget = "lots"',
            "invalid configuration at limits.search-budget: 'lots' is not of type 'integer'",
        ),
        ("max-files = 3", "invalid configuration at limits: unknown key(s): 'max-files' was unexpected"),
    ],
)
def test_bad_limits_in_the_configuration_are_exit_2(
    scan_root: Path, capsys: pytest.CaptureFixture[str], table: str, expected: str
) -> None:
    (scan_root / "xacct-lint.toml").write_text(f"[limits]\n{table}\n", encoding="utf-8")
    run = run_cli(capsys, "check", "trust.json")
    assert run.code == 2
    assert expected in one_error_line(run)


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--search-budget", "0", "argument --search-budget: expected an integer at least 1, got 0"),
        ("--max-depth", "100000", "argument --max-depth: expected an integer from 1 to 512, got 100000"),
        ("--max-file-size", "1e9", "argument --max-file-size: expected an integer, got '1e9'"),
        ("--max-statements", "-1", "argument --max-statements: expected an integer at least 1, got -1"),
    ],
)
def test_bad_limits_on_the_command_line_are_usage_errors(
    scan_root: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, expected: str
) -> None:
    run = run_cli(capsys, "check", "trust.json", "--no-config", option, value)
    assert run.code == 2
    assert run.err.rstrip().endswith(f"xacct-lint check: error: {expected}")


# --- no quadratic scans: placeholders in linear time ----------------------------------------------------------------

OPENERS = {"dollar": "${", "braces": "{{", "directive": "{%", "erb": "<%", "terraform": "%{", "angle": "<"}


def test_100000_placeholder_openers_without_closers_are_linted_not_a_hang(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every "${" of a 200 KB string with no "}" after it made r"\$\{([^}]*)\}" scan to the end: the evaluator,
    # XA202, XA006, the condition-key lookup and CloudFormation's Fn::Sub ran for hours on one such value
    # (likewise "{{", and "{%" / "<%" in XA006). The same text as an action, a condition value and a key.
    for name, opener in OPENERS.items():
        text = opener * 100_000
        statement = json.loads(TRUST)["Statement"][0]
        statement["Action"] = ["sts:AssumeRole", text]
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": text}, "StringLike": {text: "x"}}
        (scan_root / f"{name}.json").write_text(
            json.dumps({"Version": "2012-10-17", "Statement": [statement]}), encoding="utf-8"
        )
    (scan_root / "sub.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      RoleName: !Sub '" + "${" * 100_000 + "'\n      AssumeRolePolicyDocument: {}\n",
        encoding="utf-8",
    )

    run = run_cli(capsys, "check", ".", "--no-config", "--output-format", "json")

    assert run.code == 1
    doc = run.json()
    found = {
        path: {(rule, pointer) for rule, pointer, _line, _column in spots}
        for path, spots in spots(doc).items()
    }
    for name, opener in OPENERS.items():
        key = "/Statement/0/Condition/StringLike/" + opener * 100_000
        assert found[f"{name}.json"] == {
            ("XA004", "/Statement/0/Action/1"),  # no such action
            ("XA005", key),  # no such condition key
            ("XA007", ""),  # far over the size quota
            ("XA202", "/Statement/0/Condition/StringEquals/sts:ExternalId"),  # no ExternalId STS accepts
            ("XA208", key),  # a condition no request satisfies
        }, name
    assert found["sub.yaml"] == {
        ("XA002", "/Resources/R/Properties/AssumeRolePolicyDocument"),
        ("XA006", "/Resources"),  # the account is unknown: no [[templates]] entry
    }
    assert TRUST_SPOT in spots(doc)["trust.json"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="${}<>%x\n", max_size=16))
def test_linear_placeholder_scans_find_what_the_regexes_find(text: str) -> None:
    from xacct_lint.parse.placeholders import LazyPattern, PlaceholderPattern

    for source, forms in (
        (r"\$\{([^}]*)\}", [("${", "}")]),
        (r"\$\{([^}]*)\}|\{\{[^}]*\}\}", [("${", "}"), ("{{", "}}")]),
        (r"\$\{([^}]*)\}|<([^>]*)>", [("${", "}"), ("<", ">")]),
    ):
        linear, regex = PlaceholderPattern(source, forms), re.compile(source)
        assert [(m.span(), m.groups()) for m in linear.finditer(text)] == [
            (m.span(), m.groups()) for m in regex.finditer(text)
        ]
        assert linear.sub(lambda m: f"<{m.group(0)}>", text) == regex.sub(lambda m: f"<{m.group(0)}>", text)
        first, expected = linear.search(text), regex.search(text)
        assert (first.span() if first else None) == (expected.span() if expected else None)
    for opener, closer in (("{%", "%}"), ("<%", "%>")):
        lazy = re.compile(re.escape(opener) + ".*?" + re.escape(closer))
        assert [m.span() for m in LazyPattern(opener, closer).finditer(text)] == [
            m.span() for m in lazy.finditer(text)
        ]


def test_a_finding_quoting_a_huge_value_is_shortened_in_the_middle(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xacct_lint.engine.runner import MAX_MESSAGE_CHARS

    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "a" * 200_000}},
            }
        ],
    }
    (scan_root / "huge-external-id.json").write_text(json.dumps(policy), encoding="utf-8")
    run = run_cli(capsys, "check", "huge-external-id.json", "--no-config", "--output-format", "json")
    [xa202] = [r for r in run.json()["results"] if r["rule_id"] == "XA202"]
    message = xa202["message"]
    assert len(message) <= MAX_MESSAGE_CHARS
    assert message.startswith("ExternalId 'aaaa")
    assert re.search(r" \[\.\.\. [\d,]+ characters omitted \.\.\.\] ", message)
    assert message.endswith("the role cannot be assumed through it")
