"""A fuzz campaign over the parser, text decoding, every registered loader, the evaluator and the pipeline.

Run on demand (not in CI)::

    python benchmarks/fuzz_campaign.py --seconds 120                 # every target, 2 minutes each
    python benchmarks/fuzz_campaign.py --target parse-json --target loader.yaml --seconds 600
    python benchmarks/fuzz_campaign.py --engine hypothesis --seconds 60
    python benchmarks/fuzz_campaign.py --list

The targets are those of ``tests/fuzz_targets.py`` -- the same functions the bounded suite
``tests/test_fuzz.py`` runs in CI -- including one per suffix in :data:`xacct_lint.load.LOADERS` at the time of
the run, so a new loader is fuzzed without changes here.

Engines: ``atheris`` (coverage-guided libFuzzer, ``pip install atheris``; used when importable) mutates a
corpus seeded with the repository's example files of the target's format; ``hypothesis`` (the fallback)
draws from the suite's strategies until the time is up. The ``every-type`` target is no search: it lints
each element of a rich policy and of an export replaced by each JSON type, once, with either engine. Each
target runs in its own process with a time budget; a crash is any exception the target raises (see
``fuzz_targets``), a hang is a single input running longer than ``--hang-seconds``. Crashing inputs are saved
under ``benchmarks/results/fuzz-crashes/`` (git ignored) with the traceback beside them; the atheris corpus
grows in ``benchmarks/results/fuzz-corpus/``.

The closing table prints, per target: engine, seconds, inputs tried, crashes (distinct by exception type and
raising line) and the files saved. The exit code is 1 when any target crashed or hung.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TESTS = ROOT / "tests"


@dataclass
class Stats:
    """What one target's run found; written by the child process, read by the parent."""

    target: str
    engine: str
    seconds: float = 0.0
    inputs: int = 0
    crashes: dict[str, str] = field(default_factory=dict)  # signature -> saved input file
    hung: str | None = None  # libFuzzer's timeout artifact, or the parent's note that the child never ended

    def write(self, path: Path) -> None:
        """Write the stats atomically (the parent may read them while the child runs)."""
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(self.__dict__, sort_keys=True), encoding="utf-8")
        temp.replace(path)


# --- child: run one target ---------------------------------------------------------------------------------------


class _Recorder:
    """Wraps a target: counts inputs, saves each crashing input once per distinct signature, keeps going."""

    def __init__(
        self, name: str, target: Callable[[bytes], None], stats: Stats, crash_dir: Path, stats_path: Path
    ):
        self.name = name
        self.target = target
        self.stats = stats
        self.crash_dir = crash_dir
        self.stats_path = stats_path
        self.started = time.monotonic()
        self.last_write = 0.0

    def __call__(self, data: bytes) -> None:
        self.stats.inputs += 1
        try:
            self.target(data)
        except Exception as exc:  # the bug we are looking for: record it and go on to the next input
            self._record(data, exc)
        now = time.monotonic()
        if now - self.last_write > 1.0:
            self.flush(now)

    def _record(self, data: bytes, exc: Exception) -> None:
        frames = traceback.extract_tb(exc.__traceback__)
        last = frames[-1] if frames else None
        signature = (
            f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno}"
            if last
            else type(exc).__name__
        )
        if signature in self.stats.crashes:
            return
        digest = hashlib.sha256(data).hexdigest()[:16]
        path = self.crash_dir / f"{self.name}-{digest}.bin"
        path.write_bytes(data)
        path.with_suffix(".txt").write_text(
            f"target: {self.name}\nsignature: {signature}\n\n" + "".join(traceback.format_exception(exc)),
            encoding="utf-8",
        )
        self.stats.crashes[signature] = str(path.relative_to(ROOT))
        self.flush(time.monotonic())

    def flush(self, now: float) -> None:
        self.stats.seconds = round(now - self.started, 1)
        self.stats.write(self.stats_path)
        self.last_write = now


def _seed_corpus(name: str, seeds: list[bytes]) -> Path:
    corpus = RESULTS / "fuzz-corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        for seed in seeds or [b"{}"]:
            (corpus / hashlib.sha256(seed).hexdigest()[:16]).write_bytes(seed)
    return corpus


def run_child(args: argparse.Namespace) -> int:
    """Fuzz one target in this process until its time is up; stats go to ``args.stats``."""
    sys.path.insert(0, str(TESTS))
    name, engine = args.child, args.engine
    stats = Stats(name, "exhaustive" if name == "every-type" else engine)
    crash_dir = Path(args.crash_dir)
    crash_dir.mkdir(parents=True, exist_ok=True)
    stats_path = Path(args.stats)
    if engine == "atheris" and name != "every-type":
        import atheris

        # Coverage guidance needs the code under test instrumented as it is imported: the targets module
        # imports the package, and the built-in rules (imported lazily) are loaded inside the block too.
        with atheris.instrument_imports(include=["xacct_lint", "fuzz_targets"]):
            import fuzz_targets

            fuzz_targets.builtin_rules()
            if name == "pipeline-parliament":
                fuzz_targets.parliament_rules()
        target = fuzz_targets.targets()[name]
        recorder = _Recorder(name, target, stats, crash_dir, stats_path)
        corpus = _seed_corpus(name, fuzz_targets.seeds_for(name))
        recorder.flush(time.monotonic())
        atheris.Setup(
            [
                sys.argv[0],
                f"-max_total_time={args.seconds}",
                f"-timeout={args.hang_seconds}",
                "-rss_limit_mb=4096",
                "-max_len=65536",
                f"-artifact_prefix={crash_dir}/{name}-",
                str(corpus),
            ],
            recorder,
        )
        atheris.Fuzz()  # ends the process (libFuzzer exits when the time is up)
        return 0
    import fuzz_targets
    from hypothesis import HealthCheck, Verbosity, given, settings

    target = fuzz_targets.targets()[name]
    recorder = _Recorder(name, target, stats, crash_dir, stats_path)
    deadline = time.monotonic() + args.seconds

    class _TimeUp(BaseException):
        """Ends a hypothesis run when the time is up (a BaseException: hypothesis lets it through)."""

    @settings(
        max_examples=10**9,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(fuzz_targets.strategy_for(name))
    def campaign(data: bytes) -> None:
        if time.monotonic() > deadline:
            raise _TimeUp
        recorder(data)

    if name == "every-type":  # a fixed, exhaustive set: run it once (within the time), nothing to generate
        for data in fuzz_targets.every_type_inputs():
            if time.monotonic() > deadline:
                break
            recorder(data)
        recorder.flush(time.monotonic())
        return 0
    for seed in fuzz_targets.seeds_for(name):
        recorder(seed)
    while time.monotonic() < deadline:
        try:
            campaign()
        except _TimeUp:
            break
    recorder.flush(time.monotonic())
    return 0


# --- parent: run every target in its own process -----------------------------------------------------------------


def _engine(choice: str) -> str:
    if choice != "auto":
        return choice
    try:
        import atheris  # noqa: F401
    except ImportError:
        return "hypothesis"
    return "atheris"


def _target_names() -> list[str]:
    sys.path.insert(0, str(TESTS))
    import fuzz_targets

    return list(fuzz_targets.targets())


def run_target(name: str, engine: str, seconds: int, hang_seconds: int, crash_dir: Path) -> Stats:
    """Run one target in a child process and return what it found."""
    stats_path = RESULTS / "fuzz-stats" / f"{name}.json"
    stats_path.parent.mkdir(parents=True, exist_ok=True)
    stats_path.unlink(missing_ok=True)
    command = [
        sys.executable, str(Path(__file__).resolve()), "--child", name, "--engine", engine,
        "--seconds", str(seconds), "--hang-seconds", str(hang_seconds), "--crash-dir", str(crash_dir),
        "--stats", str(stats_path),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
        )
        output = done.stderr
    except subprocess.TimeoutExpired as exc:
        done = None
        output = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    stats = Stats(name, engine)
    if stats_path.is_file():
        stats = Stats(**json.loads(stats_path.read_text(encoding="utf-8")))
    runs = re.findall(r"Done (\d+) runs in (\d+) second", output)
    if runs:  # libFuzzer's own count is exact; the child's file may lag by up to a second
        stats.inputs, stats.seconds = max(stats.inputs, int(runs[-1][0])), float(runs[-1][1])
    if done is None:
        stats.hung = f"the child did not end within {seconds + 120} s"
    else:
        artifacts = sorted(crash_dir.glob(f"{name}-timeout-*")) + sorted(crash_dir.glob(f"{name}-oom-*"))
        artifacts += sorted(crash_dir.glob(f"{name}-crash-*"))
        if artifacts:
            stats.hung = str(artifacts[-1].relative_to(ROOT))
        elif done.returncode not in (0,) and not stats.crashes:
            stats.hung = f"the child exited with {done.returncode}: {output.strip().splitlines()[-1:]}"
    return stats


def main(argv: list[str] | None = None) -> int:
    """Run the campaign and print the table; return 1 when anything crashed or hung."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="time budget per target (default 60)")
    parser.add_argument("--target", action="append", help="only this target (repeatable; see --list)")
    parser.add_argument("--engine", choices=("auto", "atheris", "hypothesis"), default="auto")
    parser.add_argument("--hang-seconds", type=int, default=60, help="one input running longer is a hang")
    parser.add_argument("--crash-dir", default=str(RESULTS / "fuzz-crashes"))
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args)
    names = _target_names()
    if args.list:
        print("\n".join(names))
        return 0
    unknown = sorted(set(args.target or ()) - set(names))
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; see --list")
    engine = _engine(args.engine)
    crash_dir = Path(args.crash_dir).resolve()
    crash_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.target or names:
        print(f"fuzzing {name} with {engine} for {args.seconds} s ...", file=sys.stderr, flush=True)
        rows.append(run_target(name, engine, args.seconds, args.hang_seconds, crash_dir))
    print(f"{'target':<22} {'engine':<10} {'seconds':>8} {'inputs':>10} {'crashes':>8}  saved")
    failed = False
    for stats in rows:
        saved = ", ".join(sorted(stats.crashes.values())) + (f" HANG: {stats.hung}" if stats.hung else "")
        print(
            f"{stats.target:<22} {stats.engine:<10} {stats.seconds:>8.0f} {stats.inputs:>10} "
            f"{len(stats.crashes):>8}  {saved or '-'}"
        )
        for signature in sorted(stats.crashes):
            print(f"{'':<22} {signature}")
        failed = failed or bool(stats.crashes) or stats.hung is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
