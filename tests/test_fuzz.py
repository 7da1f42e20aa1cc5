"""Bounded fuzzing in CI: the parser, text decoding, every registered loader, the evaluator and search, and
the whole pipeline on generated hostile input (issue 7, point 2).

The targets live in ``fuzz_targets.py`` and are shared with ``benchmarks/fuzz_campaign.py``, the long
campaign. Here each runs a few dozen examples; ``--hypothesis-profile=fuzz`` (registered in ``conftest.py``)
runs the profile's example count instead, for a longer run under pytest. Loaders are parametrised over
:data:`xacct_lint.load.LOADERS` at collection time, so a newly registered format is fuzzed automatically --
with the repository's example files of that format (fixtures, tests/data) as seeds for mutation.
"""

from __future__ import annotations

import fuzz_targets as ft
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xacct_lint.load import LOADERS


def _examples(count: int) -> int:
    """Return ``count`` in ordinary runs, the profile's own example count under ``--hypothesis-profile=fuzz``."""
    if settings.get_current_profile_name() == "fuzz":
        return settings.default.max_examples
    return count


def _fuzz_settings(count: int) -> settings:
    return settings(
        max_examples=_examples(count),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --- the targets ------------------------------------------------------------------------------------------------


@_fuzz_settings(150)
@given(ft.strategy_for("decode"))
def test_decoding_any_bytes_gives_text_or_a_located_error(data: bytes) -> None:
    ft.target_decode(data)


@_fuzz_settings(120)
@given(ft.strategy_for("parse-json"))
def test_parser_agrees_with_json_loads_and_keeps_positions_in_bounds(data: bytes) -> None:
    ft.target_parse_json(data)


@pytest.mark.parametrize("suffix", sorted(LOADERS))
@_fuzz_settings(40)
@given(data=st.data())
def test_every_registered_loader_returns_problems_never_raises(suffix: str, data: st.DataObject) -> None:
    ft.loader_target(suffix)(data.draw(ft.strategy_for(f"loader{suffix}"), label="input"))


@_fuzz_settings(40)
@given(ft.strategy_for("evaluate"))
def test_evaluator_and_search_answer_within_budget_and_agree(data: bytes) -> None:
    ft.target_evaluate(data)


@_fuzz_settings(40)
@given(ft.strategy_for("pipeline"))
def test_whole_pipeline_never_crashes_a_rule_or_a_reporter(data: bytes) -> None:
    ft.target_pipeline(data)


@_fuzz_settings(8)
@given(ft.strategy_for("pipeline-parliament"))
def test_parliament_pack_never_crashes_on_hostile_policies(data: bytes) -> None:
    ft.target_pipeline_parliament(data)


def test_every_loader_is_a_fuzz_target() -> None:
    # The campaign and this suite fuzz what LOADERS holds when they run, not a list that can fall behind.
    assert {f"loader{suffix}" for suffix in LOADERS} <= set(ft.targets())


# --- what the campaign found (benchmarks/fuzz_campaign.py), kept as regressions ----------------------------------

# Each input as the campaign saved it, with the target that failed on it.
DATA_MANY_STARS = (
    b'{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
    b'      "Action": ["s' + b"*" * 55 + b'4:GetObject", "AssumeRole", "*:NoSuchActionAnywhere"],\n'
    b'      "Resource": "*"\n    }\n  ]\n}\n'
)
CAMPAIGN_FINDINGS = {
    # A hang (libFuzzer's 60 s timeout): XA004 matched the action against the IAM database with one ".*" per
    # star, and the regex engine tried every split of the name among 55 stars.
    "loader.json-many-stars": ("loader.json", DATA_MANY_STARS),
}


@pytest.mark.parametrize("name", sorted(CAMPAIGN_FINDINGS))
def test_what_the_campaign_found_stays_fixed(name: str) -> None:
    target, data = CAMPAIGN_FINDINGS[name]
    ft.targets()[target](data)


def test_a_wildcard_with_many_stars_matches_in_linear_time() -> None:
    from xacct_lint.evaluate.operators import glob_match
    from xacct_lint.iamdb import get_database

    pattern = "s" + "*" * 55 + "4:GetObject"
    assert glob_match(pattern, "s34:GetObject")
    assert not glob_match(pattern, "s3:GetObject" + "x" * 200)
    assert not glob_match("*a" * 30 + "*b", "a" * 500)
    assert get_database().match_actions(pattern) == ()
    matched = get_database().match_actions("s*3:*" + "*" * 40 + "Object")
    assert {"s3:GetObject", "s3:PutObject"} <= set(matched)
    assert all(action.startswith("s") and action.endswith("Object") for action in matched)


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet="ab*?", max_size=8), value=st.text(alphabet="ab", max_size=10))
def test_linear_wildcards_agree_with_one_dot_star_per_star(pattern: str, value: str) -> None:
    import re

    from xacct_lint.evaluate.operators import glob_match

    naive = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    assert glob_match(pattern, value) is (re.fullmatch(naive, value, re.DOTALL) is not None)
