"""Run rules in forked worker processes, with results identical to a serial run.

What runs in parallel is whole rules, not slices of the model. A rule is a pure function of the *whole* model
(XA202 compares ExternalIds across policies, XA007 adds up a role's inline policies, chain rules walk the
graph), so only a rule-level split is correct for every rule without asking each rule whether it could be cut
by policy. Rules that share work through ``RuleContext.memo`` do so within their pack (parliament's analysis
serves all XP rules), so a pack other than the built-in one stays together in one worker, and so do the
built-in chain rules, which share the assume-role graph.

The workers are forked after loading: they inherit the model instead of receiving it. Sending a parsed model
through pickle costs about six times more than parsing it (measured on the AWS managed policies: parse 0.85 s,
pickle.dumps 3.4 s + loads 2.1 s for the policy ASTs), which is also why loading itself stays in one process.
Each worker places its findings (file, line, column -- which needs the tree) and returns plain
:class:`~xacct_lint.engine.runner.Result` values; the parent puts them back in rule order, so de-duplication,
baseline and sorting see exactly the sequence a serial run produces.

Where ``fork`` is unavailable (Windows, or macOS where it is unsafe) or anything in the machinery fails
(a result that does not pickle, a worker killed), :func:`run_placed` returns None and the caller runs serially:
parallelism may only ever change the time taken.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xacct_lint.model.config import ConfigError

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

    from xacct_lint.engine.context import RuleContext
    from xacct_lint.engine.rule import Rule
    from xacct_lint.engine.runner import Result

__all__ = ["AUTO_MIN_POLICIES", "auto_jobs", "available_cpus", "run_placed"]

# Below this many policies a fork and a pool cost more than they save (a 20-policy run takes ~10 ms of rule
# work; starting two workers takes ~15-30 ms). Explicit --jobs N is obeyed whatever the size.
AUTO_MIN_POLICIES = 200

BUILTIN_PACK = "builtin"
GRAPH_TAG = "graph"  # the tag of the built-in chain rules, which share the graph through ctx.memo


@dataclass(frozen=True)
class _ConfigFailure:
    """A rule raised ConfigError in a worker: the parent raises it again, as a serial run would."""

    message: str


# What the forked workers inherit: (rules, context, severity overrides, units). Set only while a pool runs.
_STATE: tuple[Sequence[Rule], RuleContext, Mapping[str, str], list[list[int]]] | None = None


def available_cpus() -> int:
    """Return the number of CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def auto_jobs(policy_count: int) -> int:
    """Return the worker count ``--jobs auto`` means for a model of ``policy_count`` policies."""
    return available_cpus() if policy_count >= AUTO_MIN_POLICIES else 1


def _fork_context() -> BaseContext | None:
    # fork only: workers must inherit the loaded model. macOS offers fork but system libraries may crash in a
    # forked child, so it is used on Linux and the BSDs only. Imported here: a one-file run never needs it
    # (importing multiprocessing costs ~10 ms, pre-commit pays start-up on every commit).
    import multiprocessing

    if sys.platform == "darwin" or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def _units(rules: Sequence[Rule]) -> list[list[int]]:
    """Return groups of rule indices that run together: each built-in rule alone, except the chain rules (all
    together), and every other pack whole.

    The chain rules (tag ``graph``) all walk one assume-role graph, built by the first of them and kept in the
    worker's ``ctx.memo``: split over workers, every worker built it again (on 1,000 accounts x 20 roles, about
    12 CPU seconds each time, and the memory of a second graph). Whole groups go first: they are the largest
    units (parliament's pack is one analysis of every policy), and starting the largest work first keeps the
    last worker from finishing long after the others.
    """
    groups: dict[str, list[int]] = {}
    singles: list[list[int]] = []
    for index, rule in enumerate(rules):
        if rule.pack != BUILTIN_PACK:
            groups.setdefault(f"pack:{rule.pack}", []).append(index)
        elif GRAPH_TAG in rule.meta.tags:
            groups.setdefault(GRAPH_TAG, []).append(index)
        else:
            singles.append([index])
    return [*groups.values(), *singles]


def run_placed(
    rules: Sequence[Rule], ctx: RuleContext, severity_overrides: Mapping[str, str], jobs: int
) -> list[list[Result | None]] | None:
    """Return, per rule in order, ``result_of`` of each of its findings, computed by ``jobs`` workers.

    Returns None when the work cannot run in parallel here (no fork, fewer than two units, a failure of the
    pool); the caller then runs serially. A ConfigError from a rule is raised as in a serial run.
    """
    global _STATE
    units = _units(rules)
    if jobs < 2 or len(units) < 2:
        return None
    context = _fork_context()
    if context is None:
        return None
    from concurrent.futures import ProcessPoolExecutor

    _STATE = (rules, ctx, severity_overrides, units)
    # Objects that exist now are never freed by the workers' collector: freezing them keeps it from touching
    # (and so copying) every page of the inherited model in each worker. Undone afterwards only if nothing was
    # frozen before (under runner.batch_gc the model is frozen already, and batch_gc unfreezes at its end).
    unfreeze_after = gc.get_freeze_count() == 0
    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(units)), mp_context=context) as pool:
            outputs = list(pool.map(_run_unit, range(len(units))))
    except Exception:  # BrokenProcessPool, a result that does not pickle, ...: the serial run decides
        return None
    finally:
        _STATE = None
        if unfreeze_after:
            gc.unfreeze()
    per_rule: list[list[Result | None] | _ConfigFailure] = [[] for _ in rules]
    for output in outputs:
        for index, payload in output:
            per_rule[index] = payload
    placed: list[list[Result | None]] = []
    for payload in per_rule:
        if isinstance(payload, _ConfigFailure):
            raise ConfigError(payload.message)  # the first rule, in rule order, whose option is bad
        placed.append(payload)
    return placed


def _run_unit(unit: int) -> list[tuple[int, list[Result | None] | _ConfigFailure]]:
    """In a worker: run one unit's rules on the inherited model and place their findings."""
    from xacct_lint.engine.runner import result_of, run_rules

    assert _STATE is not None, "run in a worker forked by run_placed"
    rules, ctx, overrides, units = _STATE
    out: list[tuple[int, list[Result | None] | _ConfigFailure]] = []
    for index in units[unit]:
        try:
            findings = run_rules([rules[index]], ctx)
        except ConfigError as exc:
            out.append((index, _ConfigFailure(str(exc))))
            continue
        out.append((index, [result_of(rule, finding, overrides) for rule, finding in findings]))
    return out
