"""``.pre-commit-hooks.yaml`` is a manifest pre-commit accepts, wired to ``xacct-lint check``."""

from __future__ import annotations

from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml"


def test_manifest_is_valid_and_runs_check_on_every_format_serially() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit is a test extra")
    (hook,) = clientlib.load_manifest(str(MANIFEST))
    assert hook["id"] == "xacct-lint"
    assert hook["entry"] == "xacct-lint check"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["json", "yaml", "terraform", "shell", "markdown"]
    assert hook["pass_filenames"] is True
    assert hook["require_serial"] is True


def test_every_loaded_suffix_reaches_the_hook() -> None:
    # A loader for a new format must come with its pre-commit type, or commits to such files go unlinted.
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit is a test extra")
    identify = pytest.importorskip("identify.identify", reason="identify comes with pre-commit")
    from xacct_lint.load import LOADERS

    (hook,) = clientlib.load_manifest(str(MANIFEST))
    untagged = {".template"}  # no type tag in identify; the manifest's comment says how to include them
    missing = [
        suffix
        for suffix in sorted(LOADERS)
        if suffix not in untagged
        and not identify.tags_from_filename(f"policy{suffix}") & set(hook["types_or"])
    ]
    assert missing == []
