"""Put rendered files on disk: atomically, with mode 0600 for files that hold ExternalIds, never clobbering a
directory that ``generate`` did not write.

An output directory is either new, empty, or holds a ``manifest.json`` from an earlier run: then the files that
run listed and this one does not write are removed (a role dropped from the configuration must not linger and
be linted or applied). Anything else is a :class:`~xacct_lint.generate.plan.GenerateError`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from xacct_lint.atomic import write_atomic
from xacct_lint.generate.plan import GenerateError
from xacct_lint.generate.render import MANIFEST_NAME, OutputFile

SECRET_MODE = 0o600
PLAIN_MODE = 0o644


def _previous_files(out_dir: Path) -> set[str]:
    """Return the files an earlier run listed; raise when the directory holds something else."""
    if not out_dir.exists():
        return set()
    if not out_dir.is_dir():
        raise GenerateError(f"{out_dir}: exists and is not a directory")
    manifest = out_dir / MANIFEST_NAME
    if not manifest.is_file():
        if any(out_dir.iterdir()):
            raise GenerateError(
                f"{out_dir}: not empty and not written by xacct-lint generate (no {MANIFEST_NAME}); choose a new "
                "or empty directory"
            )
        return set()
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        paths = {str(entry["path"]) for entry in listed}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GenerateError(
            f"{manifest}: cannot read the previous manifest ({exc}); remove the directory"
        ) from exc
    for path in paths:  # a manifest is input: never follow it out of the directory
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts:
            raise GenerateError(f"{manifest}: lists {path!r}, outside the directory")
    return paths


def _write(target: Path, text: str, mode: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # The temporary file is created 0600 and gets ``mode`` only when complete, so a secret is never readable by
    # others, not even for a moment.
    write_atomic(target, text, mode=mode, durable=False)


def write_outputs(out_dir: Path, files: Sequence[OutputFile]) -> list[str]:
    """Write ``files`` under ``out_dir`` and return the stale files removed; raise GenerateError or OSError."""
    previous = _previous_files(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The manifest goes last: an interrupted run leaves the old one, which still lists every file it may have
    # to clean up next time.
    ordered = sorted(files, key=lambda f: (f.path == MANIFEST_NAME, f.path))
    for file in ordered:
        _write(out_dir / file.path, file.text, SECRET_MODE if file.secret else PLAIN_MODE)
    current = {f.path for f in files}
    removed = sorted(previous - current)
    for path in removed:
        with contextlib.suppress(FileNotFoundError):
            (out_dir / path).unlink()
    return removed
