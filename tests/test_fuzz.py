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
