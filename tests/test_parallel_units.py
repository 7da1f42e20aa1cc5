"""How ``--jobs`` cuts the rules into units: the chain rules share one graph, so they run in one worker."""

from __future__ import annotations

from xacct_lint.engine.parallel import GRAPH_TAG, _units
from xacct_lint.engine.registry import builtin_pack, merge_packs
from xacct_lint.parliament_pack import parliament_pack


def test_chain_rules_form_one_unit_and_every_rule_runs_once() -> None:
    rules = merge_packs([builtin_pack(), parliament_pack()])
    units = _units(rules)
    assert sorted(i for unit in units for i in unit) == list(range(len(rules)))
    chain = [i for i, rule in enumerate(rules) if rule.pack == "builtin" and GRAPH_TAG in rule.meta.tags]
    assert {rules[i].meta.id for i in chain} >= {"XA303", "XA304", "XA306", "XA401", "XA408"}
    assert chain in units
    parliament = [i for i, rule in enumerate(rules) if rule.pack == "parliament"]
    assert parliament in units
    # Groups first (largest work first), then every other built-in rule alone.
    assert all(len(unit) == 1 for unit in units[2:])
