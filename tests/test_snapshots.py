"""Snapshots of the three reporters on the bundled recipe: any change in what users see shows up in review.

Update deliberately with ``python -m pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("output_format", ["text", "json", "sarif"])
def test_recipe_report(output_format: str, snapshot: SnapshotAssertion) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "xacct_lint", "check", "fixtures/recipe", "--output-format", output_format],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == snapshot
