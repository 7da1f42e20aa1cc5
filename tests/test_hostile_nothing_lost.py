"""Issue 7, point 4: nothing lost.

- Output files are written atomically: an interruption while writing (Ctrl-C, a failing disk, SIGKILL) leaves
  the previous file whole -- never half a SARIF log that code scanning would read as "no findings".
- A corrupt baseline is an error (exit 2, one line), never an empty baseline, and leaves the output alone.
- The same inputs give byte-identical reports, whatever the order or spelling of the paths; parallel runs
  (``--jobs``) give the same bytes as serial ones (``test_jobs.py`` compares them on every fixture and corpus).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hostile_support import TRUST, one_error_line, run_cli

OLD = '{"previous": "report, complete"}\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scan root with findings of several kinds: a policy, a broken file, an export, a nested directory."""
    monkeypatch.chdir(tmp_path)
    policies = tmp_path / "policies"
    (policies / "nested").mkdir(parents=True)
    (policies / "trust.json").write_text(TRUST, encoding="utf-8")
    (policies / "nested" / "also.json").write_text(
        TRUST.replace("444455556666", "777788889999"), encoding="utf-8"
    )
    (policies / "broken.json").write_text('{"Statement": [', encoding="utf-8")
    export = {
        "Role": {
            "RoleName": "R",
            "Arn": "arn:aws:iam::222222222222:role/R",
            "AssumeRolePolicyDocument": json.loads(TRUST),
        }
    }
    (policies / "get-role.json").write_text(json.dumps(export, indent=2), encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "z.json").write_text(TRUST, encoding="utf-8")
    return tmp_path


def _leftovers(directory: Path, name: str) -> list[str]:
    return sorted(
        p.name for p in directory.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")
    )


# --- atomic output ---------------------------------------------------------------------------------------------


class _InterruptedHandle:
    """A file handle that writes half of what it is given, then is interrupted (as Ctrl-C would)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def __enter__(self) -> _InterruptedHandle:
        self.handle.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.__exit__(*exc)

    def write(self, text: str) -> int:
        self.handle.write(text[: len(text) // 2])
        self.handle.flush()
        raise KeyboardInterrupt

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)


COMMANDS = {
    "check-sarif": ("results.sarif", ("check", "policies", "--no-config", "--output-format", "sarif")),
    "graph-html": ("graph.html", ("graph", "policies", "--no-config", "--format", "html")),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("existing", [True, False], ids=["old-file-kept", "no-file-made"])
def test_interrupted_while_writing_leaves_the_old_file_or_none(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    existing: bool,
    command: str,
) -> None:
    name, argv = COMMANDS[command]
    target = project / name
    if existing:
        target.write_text(OLD, encoding="utf-8")
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        "xacct_lint.atomic.os.fdopen", lambda *a, **k: _InterruptedHandle(real_fdopen(*a, **k))
    )

    run = run_cli(capsys, *argv, "-o", str(target))

    assert run.code == 130
    assert one_error_line(run) == "xacct-lint: error: interrupted"
    if existing:
        assert target.read_text(encoding="utf-8") == OLD
    else:
        assert not target.exists()
    assert _leftovers(project, name) == []


def test_a_failing_rename_keeps_the_old_file_and_is_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = project / "results.sarif"
    target.write_text(OLD, encoding="utf-8")

    def failing_replace(self: Path, other: Any) -> Path:
        raise OSError(16, "Device or resource busy")

    monkeypatch.setattr(Path, "replace", failing_replace)

    run = run_cli(capsys, "check", "policies", "--no-config", "--output-format", "sarif", "-o", str(target))

    assert run.code == 2
    assert one_error_line(run) == f"xacct-lint: error: cannot write {target}: Device or resource busy"
    assert target.read_text(encoding="utf-8") == OLD
    assert _leftovers(project, "results.sarif") == []


KILLED_CHILD = """
import os, sys, time
import xacct_lint.atomic as atomic

def stall(fd):
    # The whole new report is in the temporary file, not yet renamed: the worst moment to be killed.
    open(sys.argv[2], "w").close()
    time.sleep(120)

atomic.os.fsync = stall
from xacct_lint.cli import main
sys.exit(main(["check", "policies", "--no-config", "--output-format", "sarif", "-o", sys.argv[1]]))
"""


def test_killed_while_writing_leaves_the_old_file_whole(project: Path) -> None:
    target = project / "results.sarif"
    target.write_text(OLD, encoding="utf-8")
    ready = project / "ready"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, str(target), str(ready)], cwd=project, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), child.stderr.read().decode() if child.stderr else "the child never wrote"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        if child.stderr:
            child.stderr.close()
    assert target.read_text(encoding="utf-8") == OLD
    # The temporary file stays behind (nothing runs after SIGKILL), hidden and never under the target's name.
    [left] = _leftovers(project, "results.sarif")
    assert json.loads((project / left).read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_an_interrupted_baseline_write_keeps_the_old_baseline(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = project / "baseline.json"
    baseline.write_text('{"version": 1, "fingerprints": ["kept"]}\n', encoding="utf-8")
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        "xacct_lint.atomic.os.fdopen", lambda *a, **k: _InterruptedHandle(real_fdopen(*a, **k))
    )

    run = run_cli(capsys, "check", "policies", "--no-config", "--write-baseline", str(baseline))

    assert run.code == 130
    assert json.loads(baseline.read_text(encoding="utf-8"))["fingerprints"] == ["kept"]
    assert _leftovers(project, "baseline.json") == []


# --- corrupt baselines -----------------------------------------------------------------------------------------

CORRUPT_BASELINES = {
    "empty": (b"", "corrupt baseline (invalid JSON: Expecting value at line 1)"),
    "truncated": (
        b'{"version": 1, "fingerprints": ["ab',
        "corrupt baseline (invalid JSON: Unterminated string",
    ),
    "a-list": (b'["ab12"]', 'corrupt baseline (expected {"fingerprints": ["...", ...]})'),
    "numbers": (b'{"fingerprints": [1, 2]}', 'corrupt baseline (expected {"fingerprints": ["...", ...]})'),
    "not-utf8": (b"\xff\xfe\x00garbage", "corrupt baseline (not UTF-8 text: invalid start byte at byte 0)"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPT_BASELINES))
def test_a_corrupt_baseline_is_exit_2_and_the_output_stays(
    project: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    content, message = CORRUPT_BASELINES[kind]
    (project / "baseline.json").write_bytes(content)
    target = project / "results.sarif"
    target.write_text(OLD, encoding="utf-8")

    run = run_cli(
        capsys, "check", "policies", "--no-config", "--baseline", "baseline.json", "--output-format", "sarif",
        "-o", str(target),
    )  # fmt: skip

    assert run.code == 2
    assert one_error_line(run).startswith(f"xacct-lint: error: baseline.json: {message}")
    assert target.read_text(encoding="utf-8") == OLD


def test_a_baseline_that_is_a_directory_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "baseline.json").mkdir()
    run = run_cli(capsys, "check", "policies", "--no-config", "--baseline", "baseline.json")
    assert run.code == 2
    assert one_error_line(run) == "xacct-lint: error: baseline.json: cannot read baseline: Is a directory"


# --- byte-identical output --------------------------------------------------------------------------------------


def _report(capsys: pytest.CaptureFixture[str], output_format: str, *paths: str) -> str:
    run = run_cli(
        capsys, "check", *paths, "--no-config", "--output-format", output_format, "--color", "never"
    )
    assert run.code == 1
    return run.out


@pytest.mark.parametrize("output_format", ["sarif", "json", "text"])
def test_the_same_inputs_give_the_same_bytes(
    project: Path, capsys: pytest.CaptureFixture[str], output_format: str
) -> None:
    first = _report(capsys, output_format, "policies", "other")
    assert _report(capsys, output_format, "policies", "other") == first
    assert _report(capsys, output_format, "other", "policies") == first  # the order of the paths
    assert _report(capsys, output_format, "./other/", "policies/../policies") == first  # their spelling
    assert str(project) not in first  # nothing machine-specific: paths are relative to the scan root


@pytest.mark.parametrize("output_format", ["sarif", "json", "text"])
def test_parallel_runs_give_the_same_bytes_as_serial_runs(
    project: Path, capsys: pytest.CaptureFixture[str], output_format: str
) -> None:
    serial = _report(capsys, output_format, "policies", "other", "--jobs", "1")
    for jobs in ("2", "4"):
        assert _report(capsys, output_format, "policies", "other", "--jobs", jobs) == serial
