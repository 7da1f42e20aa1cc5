"""Whole-process wall time and peak memory of xacct-lint against parliament, side by side in one session.

Run on demand (never in the test suite)::

    python benchmarks/compare_parliament.py            # medians of 5 runs after a warm-up
    python benchmarks/compare_parliament.py --runs 9 --corpus ../shared/corpora/aws-managed

Measures, on the same files:
1. one small trust policy: ``xacct-lint check one.json`` vs ``parliament --files one.json``;
2. the AWS managed policy corpus (minus the two documents parliament 1.6.4 crashes on): xacct-lint with its
   default rules (``--jobs auto``), the same in one process (``--jobs 1``), xacct-lint with the parliament
   pack, and ``parliament --directory``;
3. the floor: a Python process that only reads and ``json.loads`` every file of the corpus.
Ratios are against parliament (and against the floor for the corpus), measured in the same session, the
commands taking turns. Wall time is the figure that counts; CPU time (all processes) is printed beside it
because on a shared machine it shows what the wall time of a busy moment hides.
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
    """Medians over several runs of a command: wall seconds, CPU seconds (user + system, workers included)
    and peak RSS (MiB, of the largest single process)."""

    seconds: float
    cpu_seconds: float
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


def console_script(name: str) -> str | None:
    """Return the console script ``name`` installed beside this interpreter, else the one on PATH.

    Beside the interpreter first: on PATH there may be a version manager's shim (pyenv's is a bash script that
    runs ``pyenv exec``, ~0.2 s per call), which would add its own start-up to one side of the comparison only.
    Both tools are run the way an installation runs them: through their console scripts.
    """
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def run_once(command: list[str], cwd: Path) -> tuple[float, float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    _, _status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux; wait4 reports the process together with the children it reaped (workers),
    # so CPU time adds up all of them and the peak is the largest single process.
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def measure_all(commands: list[list[str]], cwd: Path, runs: int) -> list[Measure]:
    """Measure every command ``runs`` times, round-robin, after one warm-up run each; return the medians.

    Round-robin rather than one command after another: on a shared machine the load changes over minutes, and
    interleaving gives every command the same share of quiet and busy moments.
    """
    for command in commands:
        run_once(command, cwd)  # warm-up: page cache, bytecode, our IAM database and schema caches
    samples: list[list[tuple[float, float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for index, command in enumerate(commands):
            samples[index].append(run_once(command, cwd))
    return [
        Measure(*(statistics.median(sample[field] for sample in runs_of) for field in range(3)))
        for runs_of in samples
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "aws-managed")
    args = parser.parse_args()
    parliament = console_script("parliament")
    xacct_script = console_script("xacct-lint")
    xacct = [xacct_script] if xacct_script is not None else [sys.executable, "-m", "xacct_lint"]
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
        corpus_args = ["check", "corpus", "--no-config", "--fail-on", "never"]
        plan = [
            ("one small trust policy", "xacct-lint", [*xacct, "check", "one.json", "--no-config"]),
            ("one small trust policy", "parliament", [parliament, "--files", "one.json"]),
            (f"{count} managed policies", "xacct-lint (default rules)", [*xacct, *corpus_args]),
            (
                f"{count} managed policies",
                "xacct-lint --jobs 1 (one process)",
                [*xacct, *corpus_args, "-j", "1"],
            ),
            (
                f"{count} managed policies",
                "xacct-lint --pack parliament",
                [*xacct, *corpus_args, "--pack", "parliament"],
            ),
            (f"{count} managed policies", "parliament --directory", [parliament, "--directory", "corpus"]),
            (
                f"{count} managed policies",
                "floor: python reads + json.loads",
                [sys.executable, "-c", floor_code],
            ),
        ]
        load_before = os.getloadavg()
        measures = measure_all([command for _, _, command in plan], work, args.runs)
        load_after = os.getloadavg()
    rows = [(workload, name, m) for (workload, name, _), m in zip(plan, measures, strict=True)]
    print(
        f"medians of {args.runs} runs (round-robin) after a warm-up, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n"
    )
    print("| workload | command | wall s | CPU s | peak MiB |")
    print("| --- | --- | ---: | ---: | ---: |")
    for workload, name, m in rows:
        print(f"| {workload} | {name} | {m.seconds:.3f} | {m.cpu_seconds:.3f} | {m.peak_mib:.0f} |")
    small_x, small_p = measures[0], measures[1]
    corpus_x, corpus_serial, corpus_xp, corpus_p, floor = measures[2:7]
    print()
    print(
        f"one file, wall: xacct-lint / parliament = {small_x.seconds / small_p.seconds:.2f}x; "
        f"peak memory {small_x.peak_mib / small_p.peak_mib:.2f}x"
    )
    print(
        f"corpus, wall: xacct-lint / parliament = {corpus_x.seconds / corpus_p.seconds:.2f}x "
        f"(--jobs 1: {corpus_serial.seconds / corpus_p.seconds:.2f}x); "
        f"with the parliament pack {corpus_xp.seconds / corpus_p.seconds:.2f}x"
    )
    print(
        f"corpus, wall: xacct-lint / floor = {corpus_x.seconds / floor.seconds:.1f}x "
        f"(--jobs 1: {corpus_serial.seconds / floor.seconds:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
