"""How an internal crash is described in a finding: one line, bounded, with where it happened.

A rule or a loader that raises becomes an XA000 result (never a traceback, never silence); both say what
raised the same way. The exception text is quoted with white space folded to single spaces (a finding message
is one line) and cut at :data:`MAX_DETAIL_CHARS`, because an exception may quote a whole hostile input.
"""

from __future__ import annotations

import traceback
from pathlib import Path

MAX_DETAIL_CHARS = 500


def describe(exc: BaseException) -> str:
    """Return ``"<Type>: <text> at <file>:<line>"`` for the innermost frame of the exception's traceback."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    detail = " ".join(str(exc).split())
    if len(detail) > MAX_DETAIL_CHARS:
        detail = detail[:MAX_DETAIL_CHARS] + "..."
    return f"{type(exc).__name__}: {detail}{where}"
