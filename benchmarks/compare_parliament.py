"""Whole-process wall time and peak memory of xacct-lint against parliament, side by side in one session.

Run on demand (never in the test suite)::

    python benchmarks/compare_parliament.py            # medians of 5 runs after a warm-up
    python benchmarks/compare_parliament.py --runs 9 --corpus ../shared/corpora/aws-managed

Measures, on the same files:
1. one small trust policy: ``xacct-lint check one.json`` vs ``parliament --files one.json``;
2. the AWS managed policy corpus (minus the two documents parliament 1.6.4 crashes on): xacct-lint with its
   default rules, xacct-lint with the parliament pack, and ``parliament --directory``;
3. the floor: a Python process that only reads and ``json.loads`` every file of the corpus.
Ratios are against parliament (and against the floor for the corpus), measured in the same session.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARLIAMENT_CRASHERS = (
    "SageMakerStudioEMRContainersSystemNamespaceRolePolicy.json",
    "SageMakerStudioProjectUserRolePolicy.json",
)
SMALL_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}},
        }
    ],
}


@dataclass(frozen=True)
class Measure:
    """Median wall seconds and median peak RSS (MiB) of a command over several runs."""

    seconds: float
    peak_mib: float


def bytecode_env(cache: Path) -> dict[str, str]:
    """Return an environment in which Python keeps bytecode caches, as a normal installation does.

    Some machines set PYTHONDONTWRITEBYTECODE; an editable install then recompiles every module on every run,
    a cost parliament (installed with compiled .pyc files) never pays. The warm-up run fills the cache.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


ENV: dict[str, str] = dict(os.environ)


def run_once(command: list[str], cwd: Path) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    _, _status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def measure(command: list[str], cwd: Path, runs: int) -> Measure:
    run_once(command, cwd)  # warm-up: page cache, bytecode, our IAM database cache
    samples = [run_once(command, cwd) for _ in range(runs)]
    return Measure(statistics.median(s for s, _ in samples), statistics.median(m for _, m in samples))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "aws-managed")
    args = parser.parse_args()
    parliament = shutil.which("parliament")
    xacct = [sys.executable, "-m", "xacct_lint"]
    if parliament is None or not args.corpus.is_dir():
        print(
            "needs parliament installed and the corpus directory (../shared/corpora/aws-managed)",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        ENV.clear()
        ENV.update(bytecode_env(work / "pycache"))
        (work / "one.json").write_text(json.dumps(SMALL_TRUST, indent=2), encoding="utf-8")
        corpus = work / "corpus"
        corpus.mkdir()
        for path in sorted(args.corpus.glob("*.json")):
            if path.name not in PARLIAMENT_CRASHERS:
                shutil.copy(path, corpus / path.name)
        count = len(list(corpus.glob("*.json")))
        floor_code = (
            "import json, pathlib\n"
            "for p in sorted(pathlib.Path('corpus').glob('*.json')): json.loads(p.read_text(encoding='utf-8'))"
        )
        rows = [
            (
                "one small trust policy",
                "xacct-lint",
                measure([*xacct, "check", "one.json", "--no-config"], work, args.runs),
            ),
            (
                "one small trust policy",
                "parliament",
                measure([parliament, "--files", "one.json"], work, args.runs),
            ),
            (
                f"{count} managed policies",
                "xacct-lint (default rules)",
                measure([*xacct, "check", "corpus", "--no-config", "--fail-on", "never"], work, args.runs),
            ),
            (
                f"{count} managed policies",
                "xacct-lint --pack parliament",
                measure(
                    [*xacct, "check", "corpus", "--no-config", "--fail-on", "never", "--pack", "parliament"],
                    work,
                    args.runs,
                ),
            ),
            (
                f"{count} managed policies",
                "parliament --directory",
                measure([parliament, "--directory", "corpus"], work, args.runs),
            ),
            (
                f"{count} managed policies",
                "floor: python reads + json.loads",
                measure([sys.executable, "-c", floor_code], work, args.runs),
            ),
        ]
    print(
        f"medians of {args.runs} runs after a warm-up, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n"
    )
    print("| workload | command | wall s | peak MiB |")
    print("| --- | --- | ---: | ---: |")
    for workload, name, m in rows:
        print(f"| {workload} | {name} | {m.seconds:.3f} | {m.peak_mib:.0f} |")
    small_x, small_p = rows[0][2], rows[1][2]
    corpus_x, corpus_xp, corpus_p, floor = rows[2][2], rows[3][2], rows[4][2], rows[5][2]
    print()
    print(
        f"one file, wall: xacct-lint / parliament = {small_x.seconds / small_p.seconds:.2f}x; "
        f"peak memory {small_x.peak_mib / small_p.peak_mib:.2f}x"
    )
    print(
        f"corpus, wall: xacct-lint / parliament = {corpus_x.seconds / corpus_p.seconds:.2f}x; "
        f"with the parliament pack {corpus_xp.seconds / corpus_p.seconds:.2f}x"
    )
    print(f"corpus, wall: xacct-lint / floor = {corpus_x.seconds / floor.seconds:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
