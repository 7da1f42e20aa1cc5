"""Atomic file writes: readers see the old file or the whole new one, never a part.

Every file xacct-lint writes goes through :func:`write_atomic`: reports (``-o results.sarif``: a CI job that
uploads SARIF must never read half a file as "no findings"), baselines, generated policies (some hold
ExternalIds: the temporary file is created 0600, so a secret is never readable by others, not even for a
moment) and the caches of the IAM database and of the generated schema validator. The data goes to a
temporary file in the target's directory, which then replaces the target in one ``os.replace`` (atomic on
POSIX and Windows within one filesystem); the temporary file never outlives a failure.

``tempfile`` is imported inside the function: the caches are written on a cold start only, and this module is
on the path of every run (``os`` is imported by the interpreter itself anyway).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def default_mode(target: Path) -> int:
    """Return the permission bits a rewritten file keeps (its current ones) or a new one gets (0666 minus
    the umask, what ``open`` would give)."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(target: Path, data: str | bytes, *, mode: int | None = None, durable: bool = True) -> None:
    """Write ``data`` (text as UTF-8 with ``\\n`` newlines, or bytes) to ``target`` atomically.

    ``mode`` defaults to :func:`default_mode`. ``durable`` also flushes the file and the directory entry to
    disk before returning (for reports and baselines; a cache that a crash tears is detected and rebuilt, so it
    skips that cost). Raises :class:`OSError`; the caller decides whether that is an error line or nothing.
    """
    import tempfile

    bits = default_mode(target) if mode is None else mode
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        temp.chmod(bits)
        temp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    if durable:
        _fsync_directory(target.parent)


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
