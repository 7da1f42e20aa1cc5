"""Source files and spans: where every parsed node came from.

A :class:`Span` is a pair of character offsets into the *decoded text* of one :class:`SourceFile`. Lines and
columns are derived on demand from a line index, so parsing pays only for two integers per node.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open character range ``[start, end)`` in a source file's text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column (columns count Unicode code points)."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Region:
    """Start and end positions of a span (end is exclusive, like SARIF's endColumn)."""

    start: Position
    end: Position


def printable_path(text: str) -> str:
    """Return a file name as text every report can carry: bytes that were not UTF-8 shown as ``\\xNN``.

    POSIX file names are bytes; Python hands undecodable ones over as lone surrogates, which no UTF-8 writer,
    JSON consumer or hash accepts (a file named ``b"\\xff.json"`` crashed every report).
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate that no byte produced (a Windows name): show it escaped
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
        return raw.decode("utf-8", "backslashreplace")
    return text


@dataclass(eq=False)
class SourceFile:
    """One input file: its path as shown to users (relative to the scan root) and its decoded text."""

    display_path: str
    text: str
    _line_starts: list[int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.display_path = printable_path(self.display_path)

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def position(self, offset: int) -> Position:
        """Return the 1-based line and column of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        starts = self._starts()
        index = bisect.bisect_right(starts, offset) - 1
        return Position(index + 1, offset - starts[index] + 1)

    def region(self, span: Span) -> Region:
        """Return the start and end positions of a span."""
        return Region(self.position(span.start), self.position(span.end))

    def line_text(self, line: int) -> str:
        """Return the text of a 1-based line without its line break."""
        starts = self._starts()
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r")
