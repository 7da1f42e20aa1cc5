"""Where the time of one ``check`` goes: each phase and each rule, in CPU seconds of this process.

Run on demand (never in the test suite)::

    python benchmarks/profile_check.py ../shared/corpora/aws-managed
    python benchmarks/profile_check.py fixtures/recipe --config fixtures/recipe/xacct-lint.toml --top 40
    python benchmarks/profile_check.py ../shared/corpora/aws-managed --profile /tmp/check.prof  # + cProfile

It runs the same steps as the command line (configuration, rule packs, ``load_paths``, every rule, placing the
results, rendering the text report) in one process, serially, with the command line's garbage-collector
setting, and prints the CPU time of each step and of the slowest rules. CPU time rather than wall time, because
the machines this runs on are shared: another process on the same core lengthens the wall time of a step but
not its CPU time. For a whole-process comparison with parliament use ``compare_parliament.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--config", type=Path, help="configuration file (default: none)")
    parser.add_argument("--pack", action="append", default=[], help="enable a rule pack (repeatable)")
    parser.add_argument("--top", type=int, default=15, help="how many rules to list (slowest first)")
    parser.add_argument("--profile", type=Path, help="also write a cProfile of load + rules to this file")
    args = parser.parse_args()

    clock = time.process_time
    start = clock()
    from xacct_lint.cli import _load_rules
    from xacct_lint.engine.context import RuleContext
    from xacct_lint.engine.runner import batch_gc, run_rules, to_results
    from xacct_lint.load import load_paths
    from xacct_lint.model.config import load_config
    from xacct_lint.report import build_report
    from xacct_lint.report.text import render_text

    imported = clock()
    config = load_config(args.config)
    rules = _load_rules(config, args.pack)
    configured = clock()
    profiler = cProfile.Profile() if args.profile else None
    timings: list[tuple[float, str, int]] = []
    with batch_gc() as settle:
        if profiler is not None:
            profiler.enable()
        model = load_paths(args.paths, config, root=Path.cwd())
        settle()
        loaded = clock()
        ctx = RuleContext(model=model, config=config, search_budget=config.limits.search_budget)
        findings = []
        for rule in rules:
            before = clock()
            found = run_rules([rule], ctx)
            timings.append((clock() - before, rule.meta.id, len(found)))
            findings.extend(found)
        if profiler is not None:
            profiler.disable()
        ruled = clock()
        results, _suppressed = to_results(findings, config.severity)
        placed = clock()
        report = build_report(model, rules, results, suppressed=0, severity_overrides=config.severity)
        render_text(report, color=False)
        rendered = clock()

    print(f"{len(model.sources)} files, {len(model.policies)} policies, {len(results)} results")
    print(f"{'step':<28} {'CPU s':>8}")
    steps = [
        ("imports", imported - start),
        ("configuration + rule packs", configured - imported),
        ("load (read, parse, model)", loaded - configured),
        ("rules", ruled - loaded),
        ("place results", placed - ruled),
        ("text report", rendered - placed),
        ("total", rendered - start),
    ]
    for name, seconds in steps:
        print(f"{name:<28} {seconds:8.3f}")
    print(f"\nslowest rules (of {len(rules)}):")
    for seconds, rule_id, count in sorted(timings, reverse=True)[: args.top]:
        print(f"  {rule_id:<8} {seconds:8.3f}  ({count} findings)")
    if profiler is not None:
        profiler.dump_stats(args.profile)
        print(f"\ncProfile written to {args.profile} (python -m pstats {args.profile})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
