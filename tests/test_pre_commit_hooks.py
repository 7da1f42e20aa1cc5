"""``.pre-commit-hooks.yaml`` is a manifest pre-commit accepts, wired to ``xacct-lint check``."""

from __future__ import annotations

from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml"


def test_manifest_is_valid_and_runs_check_on_json_serially() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit is a test extra")
    (hook,) = clientlib.load_manifest(str(MANIFEST))
    assert hook["id"] == "xacct-lint"
    assert hook["entry"] == "xacct-lint check"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["json"]
    assert hook["pass_filenames"] is True
    assert hook["require_serial"] is True
