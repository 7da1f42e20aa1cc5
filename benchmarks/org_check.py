"""Whole-process ``xacct-lint check`` on synthetic organisations: wall time, CPU time and peak memory per size.

Run on demand (never in the test suite)::

    python benchmarks/org_check.py 100 1000 5000          # --jobs auto and --jobs 1, one run each
    python benchmarks/org_check.py 1000 --jobs 2 --runs 3

``graph_scale.py`` times the steps of the graph engine inside one process; this script measures what a user
waits for: the command line on the exports of an organisation written by ``synthetic_org.py`` (fixed seed,
N accounts x 20 roles, the generated ``xacct-lint.toml``), every built-in rule, SARIF to a file. Peak memory is
the largest single process (the parent, or a rule worker). The growth lines compare each size with the previous
one: for near-linear scaling, time grows about as much as the number of accounts.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_once(command: list[str], cwd: Path) -> tuple[float, float, float]:
    """Return wall seconds, CPU seconds (with reaped workers) and peak RSS MiB of one run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "xacct-bench-pycache"))
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed: {stderr}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000], help="numbers of accounts")
    parser.add_argument("--jobs", action="append", help="--jobs values to measure (default: auto and 1)")
    parser.add_argument("--runs", type=int, default=1, help="runs per size and jobs value (median reported)")
    parser.add_argument("--seed", type=int, default=None, help="seed for synthetic_org (default: its own)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from synthetic_org import generate

    jobs_values = args.jobs or ["auto", "1"]
    rows: list[tuple[int, str, float, float, float]] = []
    for accounts in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"xacct-org-{accounts}-") as tmp:
            directory = Path(tmp)
            if args.seed is None:
                generate(directory, accounts)
            else:
                generate(directory, accounts, seed=args.seed)
            for jobs in jobs_values:
                command = [
                    sys.executable, "-m", "xacct_lint", "check", ".", "--fail-on", "never",
                    "--output-format", "sarif", "-o", str(directory / "out.sarif"), "--jobs", jobs,
                ]  # fmt: skip
                samples = [run_once(command, directory) for _ in range(args.runs)]
                wall, cpu, peak = (statistics.median(s[i] for s in samples) for i in range(3))
                rows.append((accounts, jobs, wall, cpu, peak))
                print(
                    f"{accounts} accounts, --jobs {jobs}: {wall:.1f} s wall, {cpu:.1f} s CPU, {peak:.0f} MiB",
                    flush=True,
                )
    print("\n| accounts | roles | --jobs | wall s | CPU s | peak MiB |")
    print("| ---: | ---: | --- | ---: | ---: | ---: |")
    for accounts, jobs, wall, cpu, peak in rows:
        print(f"| {accounts:,} | {accounts * 20:,} | {jobs} | {wall:.1f} | {cpu:.1f} | {peak:.0f} |")
    for jobs in jobs_values:
        series = [(a, w, p) for a, j, w, _c, p in rows if j == jobs]
        for (a0, w0, p0), (a1, w1, p1) in itertools.pairwise(series):
            print(
                f"--jobs {jobs}: {a0:,} -> {a1:,} accounts ({a1 / a0:.0f}x): time {w1 / w0:.1f}x, "
                f"peak memory {p1 / p0:.1f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
