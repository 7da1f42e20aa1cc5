"""How the assume-role graph scales: build it and run the chain rules on synthetic organisations of N accounts.

Run on demand (never in the test suite)::

    python benchmarks/graph_scale.py                  # 100 and 1,000 accounts (x 20 roles)
    python benchmarks/graph_scale.py 100 1000 5000    # any sizes
    python benchmarks/graph_scale.py 100 --all-rules  # also every other rule of the built-in pack

For each size, :mod:`synthetic_org` writes one authorization-details export per account (fixed seed) into a
temporary directory, and a fresh Python process measures, one after the other:

1. ``load``: :func:`xacct_lint.load.load_paths` (reading and parsing the exports);
2. ``graph``: :func:`xacct_lint.graph.build_graph` (every trust statement and identity side evaluated);
3. ``rules``: the chain rules (XA303, XA304, XA306, XA401-XA408) on the built graph;
4. with ``--all-rules``: every other rule of the built-in pack.

Times are wall seconds, and CPU seconds of the process for the graph and the rules (which a busy machine does
not inflate). Peak memory is the process's maximum resident set size (``ru_maxrss``), also read after loading,
so the graph's own share shows. The last lines give the growth from the smallest to each larger size next to
the growth of the input: a ratio near the input's means linear scaling.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAIN_RULES = (
    "XA303",
    "XA304",
    "XA306",
    "XA401",
    "XA402",
    "XA403",
    "XA404",
    "XA405",
    "XA406",
    "XA407",
    "XA408",
)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(directory: Path, all_rules: bool) -> dict[str, float | int]:
    """Measure one organisation in this process; return seconds, MiB and counts."""
    from xacct_lint.engine.context import RuleContext
    from xacct_lint.engine.registry import builtin_pack
    from xacct_lint.engine.runner import run_rules
    from xacct_lint.graph import MEMO_KEY, build_graph
    from xacct_lint.iamdb import get_database
    from xacct_lint.load import load_paths
    from xacct_lint.model.config import load_config

    config = load_config(directory / "xacct-lint.toml")
    rules = builtin_pack().rules
    iamdb = get_database()
    started = time.perf_counter()
    model = load_paths([directory], config, root=directory)
    loaded = time.perf_counter()
    rss_loaded = _rss_mib()
    cpu_loaded = time.process_time()
    graph = build_graph(model, config, iamdb=iamdb)
    built = time.perf_counter()
    cpu_built = time.process_time()
    ctx = RuleContext(model, config)
    ctx.memo[MEMO_KEY] = graph
    chain = [r for r in rules if r.meta.id in CHAIN_RULES]
    findings = run_rules(chain, ctx)
    ruled = time.perf_counter()
    cpu_ruled = time.process_time()
    result: dict[str, float | int] = {
        "roles": len(model.roles),
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "findings": len(findings),
        "load_s": loaded - started,
        "graph_s": built - loaded,
        "rules_s": ruled - built,
        "graph_cpu_s": cpu_built - cpu_loaded,
        "rules_cpu_s": cpu_ruled - cpu_built,
        "rss_after_load_mib": rss_loaded,
    }
    if all_rules:
        others = [r for r in rules if r.meta.id not in CHAIN_RULES]
        run_rules(others, ctx)
        result["other_rules_s"] = time.perf_counter() - ruled
    result["peak_rss_mib"] = _rss_mib()
    return result


def run_size(accounts: int, all_rules: bool, seed: int) -> dict[str, float | int]:
    """Generate an organisation of ``accounts`` accounts and measure it in a fresh process."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synthetic_org import generate

    with tempfile.TemporaryDirectory(prefix=f"xacct-org-{accounts}-") as tmp:
        directory = Path(tmp)
        generate(directory, accounts, seed=seed)
        command = [sys.executable, str(Path(__file__).resolve()), "--measure", str(directory)]
        if all_rules:
            command.append("--all-rules")
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, float | int] = json.loads(done.stdout.strip().splitlines()[-1])
    result["accounts"] = accounts
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Scale of the assume-role graph on synthetic organisations.")
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000], help="numbers of accounts")
    parser.add_argument("--all-rules", action="store_true", help="also run every other built-in rule")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.all_rules)))
        return
    rows = [run_size(size, args.all_rules, args.seed) for size in sorted(args.sizes)]
    columns = ["accounts", "roles", "nodes", "edges", "findings", "load_s", "graph_s", "rules_s"]
    columns += ["graph_cpu_s", "rules_cpu_s"]
    if args.all_rules:
        columns.append("other_rules_s")
    columns += ["rss_after_load_mib", "peak_rss_mib"]
    print(" ".join(f"{c:>12}" for c in columns))
    for row in rows:
        print(" ".join(f"{row[c]:>12.2f}" if isinstance(row[c], float) else f"{row[c]:>12}" for c in columns))
    base = rows[0]
    for row in rows[1:]:
        size = row["accounts"] / base["accounts"]
        graph_rules = (row["graph_s"] + row["rules_s"]) / (base["graph_s"] + base["rules_s"])
        print(
            f"{base['accounts']} -> {row['accounts']} accounts (x{size:.1f} input): graph build x"
            f"{row['graph_s'] / base['graph_s']:.1f}, chain rules x{row['rules_s'] / base['rules_s']:.1f}, "
            f"build + rules x{graph_rules:.1f} (CPU x"
            f"{(row['graph_cpu_s'] + row['rules_cpu_s']) / (base['graph_cpu_s'] + base['rules_cpu_s']):.1f}), "
            f"peak RSS x{row['peak_rss_mib'] / base['peak_rss_mib']:.1f}"
        )


if __name__ == "__main__":
    main()
