"""Writing a report: to stdout, or atomically to a file.

A CI job that uploads ``results.sarif`` must never see half a file, nor lose the previous one when the disk is
full or the process is killed: the text goes to a temporary file in the same directory, is flushed to disk,
and then replaces the target in one ``os.replace`` (atomic on POSIX and Windows within one filesystem).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO


def _new_file_mode(target: Path) -> int:
    """Return the permission bits the target should get: its current ones, or what ``open`` would give."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        # mkstemp creates 0600; a report is not a secret, so use the usual 0666 minus the umask.
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(target: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` so that readers see the old file or the whole new one.

    Raises :class:`OSError` (the caller turns it into one error line); the temporary file never outlives a
    failure.
    """
    directory = target.parent
    mode = _new_file_mode(target)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(mode)
        temp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible everywhere (Windows, some filesystems), so best effort.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_output(text: str, path: Path | None, stream: TextIO | None = None) -> None:
    """Write a report to ``path`` atomically, or to ``stream`` (stdout by default) when no path is given."""
    if path is not None:
        write_atomic(path, text)
        return
    out = stream if stream is not None else sys.stdout
    try:
        out.write(text)  # encoded whole before any byte is written, so a failure leaves nothing half-written
    except UnicodeEncodeError:
        # The console's encoding (ascii, cp1252) cannot represent a character from the inputs. JSON and SARIF
        # are UTF-8 by definition, and text in UTF-8 beats a traceback that reports nothing.
        buffer = getattr(out, "buffer", None)
        if buffer is None:
            raise
        out.flush()
        buffer.write(text.encode("utf-8", "backslashreplace"))
        buffer.flush()
    out.flush()
