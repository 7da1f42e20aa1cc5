"""Writing a report: to stdout, or atomically to a file (:func:`xacct_lint.atomic.write_atomic`).

A CI job that uploads ``results.sarif`` must never see half a file, nor lose the previous one when the disk is
full or the process is killed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from xacct_lint.atomic import write_atomic


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
