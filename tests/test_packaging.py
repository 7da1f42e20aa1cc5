"""The wheel ships the built-in rules, and pre-commit can run the hook from this repository.

Both tests build real artefacts in a temporary directory: they are the proof that ``pip install .`` (not only an
editable install) gives a working linter, and that ``.pre-commit-hooks.yaml`` is usable.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEqualsIfExists": {"sts:ExternalId": "7f3c9a2e4b1d8c6f0a"}},
        }
    ],
}


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Copy the tracked sources so the build never writes into the work tree (build/ and egg-info).
    src = tmp_path_factory.mktemp("src") / "xacct-lint"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*cache*"
        ),
    )
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(src)]
    )
    assert built.returncode == 0, built.stderr[-2000:]
    wheels = list(out.glob("xacct_lint-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_rules_schemas_and_data(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    assert "xacct_lint/rules/__init__.py" in names
    assert "xacct_lint/rules/xa201_missing_external_id.py" in names
    assert "xacct_lint/schemas/config.schema.json" in names
    assert not any(n.startswith(("tests/", "fixtures/", "rules/")) for n in names)
    # pyproject lists packages by hand (rules/ is mapped in as xacct_lint.rules): every subpackage of the source
    # tree must be in the wheel, or the installed tool fails on the first command that imports it.
    subpackages = [p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "xacct_lint").rglob("__init__.py")]
    missing = [p for p in subpackages if f"{p}/__init__.py" not in names]
    assert missing == [], f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_installed_wheel_lints_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # Install only our wheel into the fresh environment; its dependencies come from this interpreter's
    # site-packages through a .pth path entry (a plain path line: .pth files found there are not executed, so an
    # editable install of xacct-lint in the outer environment cannot shadow the wheel).
    installed = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)]
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    (Path(site) / "outer-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "trust.json").write_text(json.dumps(BAD_TRUST, indent=2), encoding="utf-8")
    where = _run(
        [
            str(python),
            "-c",
            "import xacct_lint, xacct_lint.rules as r; print(xacct_lint.__file__); print(r.__file__)",
        ],
        cwd=work,
    )
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(env_dir)) for line in where.stdout.split()), where.stdout
    result = _run(
        [str(python), "-m", "xacct_lint", "check", "trust.json", "--output-format", "json"], cwd=work
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [r["rule_id"] for r in report["results"] if r["rule_id"] == "XA201"] == ["XA201"]
    script = env_dir / "bin" / "xacct-lint"
    assert script.exists()
    listed = _run([str(script), "rules"], cwd=work)
    assert listed.returncode == 0 and "XA201" in listed.stdout


@pytest.mark.skipif(
    shutil.which("pre-commit") is None
    and _run([sys.executable, "-m", "pre_commit", "--version"]).returncode != 0,
    reason="pre-commit is not installed (it is a test extra: pip install '.[test]')",
)
def test_pre_commit_try_repo(tmp_path: Path) -> None:
    # pre-commit clones the repository at HEAD, so this checks what is committed.
    if _run(["git", "-C", str(ROOT), "rev-parse", "HEAD"]).returncode != 0:
        pytest.skip("not a git checkout with commits")
    repo = tmp_path / "policies"
    repo.mkdir()
    _run(["git", "init", "-q", str(repo)])
    (repo / "trust.json").write_text(json.dumps(BAD_TRUST, indent=2), encoding="utf-8")
    _run(["git", "-C", str(repo), "add", "trust.json"])
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PIP_NO_BUILD_ISOLATION": "0"}
    result = _run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "xacct-lint", "--files", "trust.json"],
        cwd=repo,
        env=env,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "XA201" in output, output[-3000:]
