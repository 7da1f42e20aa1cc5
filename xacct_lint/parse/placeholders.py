"""Placeholders such as ``${aws:username}`` found in linear time, whatever the text.

``re.compile(r"\\$\\{([^}]*)\\}").finditer(text)`` tries every ``${`` of the text, and from each one with no
``}`` after it scans to the end: 100,000 ``${`` in a condition value (200 KB) kept the evaluator, XA202, XA006
and the CloudFormation and Terraform loaders busy for hours. :class:`PlaceholderPattern` finds the same matches
with ``str.find``, every character looked at a bounded number of times, and hands back the ``re.Match`` objects
the regex itself gives at those places, so callers keep using ``group``, ``start`` and ``end``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

_NONE = (-1, -1)


def _leftmost(text: str, opener: str, closer: str, pos: int) -> tuple[int, int]:
    """Return (start, end) of the leftmost match at or after ``pos`` of ``opener [^c]* closer`` (``c`` being
    ``closer[0]``), or ``(-1, -1)`` when there is none."""
    stop = closer[0]
    while True:
        start = text.find(opener, pos)
        if start < 0:
            return _NONE
        first_stop = text.find(stop, start + len(opener))
        if first_stop < 0:
            return _NONE  # no later opener has a closing character after it either
        if text.startswith(closer, first_stop):
            return start, first_stop + len(closer)
        # Every opener between here and first_stop meets the same first closing character and fails; the
        # opener holds no closing character, so none starts inside it either.
        pos = first_stop + 1


class PlaceholderPattern:
    """A regex of alternatives ``opener [^c]* closer`` (``c`` the first character of ``closer``), matched in
    linear time: ``search``, ``finditer`` and ``sub`` give what the compiled regex gives.

    ``forms`` lists the (opener, closer) of each alternative of ``pattern`` in its order, and must describe the
    same language; capture groups and flags come from ``pattern``.
    """

    __slots__ = ("forms", "regex", "single_stop")

    def __init__(self, pattern: str, forms: Sequence[tuple[str, str]], flags: int = 0) -> None:
        self.regex = re.compile(pattern, flags)
        self.forms = tuple(forms)
        # One alternative closed by one character (``${...}``): up to the last such character every opener
        # finds its closer, matches and is consumed, so the regex itself is linear there -- and fast.
        self.single_stop = forms[0][1] if len(forms) == 1 and len(forms[0][1]) == 1 else None

    @property
    def pattern(self) -> str:
        """Return the regex source."""
        return self.regex.pattern

    def _spans(self, text: str) -> Iterator[tuple[int, int]]:
        # Leftmost-first alternation, as the regex engine does it: the earliest start of any alternative wins,
        # the first alternative at equal starts. A cached match stays the leftmost while it starts after pos.
        cached = [(-2, -2)] * len(self.forms)
        pos = 0
        while True:
            best = _NONE
            for index, (opener, closer) in enumerate(self.forms):
                found = cached[index]
                if found == (-2, -2) or (found != _NONE and found[0] < pos):
                    found = cached[index] = _leftmost(text, opener, closer, pos)
                if found != _NONE and (best == _NONE or found[0] < best[0]):
                    best = found
            if best == _NONE:
                return
            yield best
            pos = best[1]

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Yield the matches ``self.regex.finditer(text)`` yields."""
        if self.single_stop is not None:
            yield from self.regex.finditer(text, 0, text.rfind(self.single_stop) + 1)
            return
        for start, _end in self._spans(text):
            match = self.regex.match(text, start)
            if match is not None:  # always, when ``forms`` describes ``pattern``
                yield match

    def search(self, text: str) -> re.Match[str] | None:
        """Return the first match, as ``self.regex.search(text)``."""
        return next(self.finditer(text), None)

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str) -> str:
        """Return ``text`` with every match replaced, as ``self.regex.sub(repl, text)``."""
        if self.single_stop is not None:
            end = text.rfind(self.single_stop) + 1
            return self.regex.sub(repl, text[:end]) + text[end:] if end else text
        pieces: list[str] = []
        last = 0
        for match in self.finditer(text):
            pieces.append(text[last : match.start()])
            pieces.append(repl(match) if callable(repl) else match.expand(repl))
            last = match.end()
        if not pieces:
            return text
        pieces.append(text[last:])
        return "".join(pieces)


class LazyPattern:
    """The regex ``re.escape(opener) + ".*?" + re.escape(closer)`` (no DOTALL: a match never crosses a line
    break), matched in linear time: ``finditer`` gives what the compiled regex gives.

    The regex tries each ``opener`` and scans to the end of its line when no ``closer`` follows: quadratic in an
    attacker's line of ``{%{%{%...``.
    """

    __slots__ = ("closer", "opener", "regex")

    def __init__(self, opener: str, closer: str) -> None:
        self.opener = opener
        self.closer = closer
        self.regex = re.compile(re.escape(opener) + ".*?" + re.escape(closer))

    @property
    def pattern(self) -> str:
        """Return the regex source."""
        return self.regex.pattern

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Yield the matches ``self.regex.finditer(text)`` yields."""
        pos = 0
        while True:
            start = text.find(self.opener, pos)
            if start < 0:
                return
            body = start + len(self.opener)
            end = text.find(self.closer, body)
            if end < 0:
                return  # no later opener has a closer after it either
            newline = text.find("\n", body, end)
            if newline >= 0:
                # Every opener before the line break meets this same first closer beyond it, and fails.
                pos = newline + 1
                continue
            match = self.regex.match(text, start)
            if match is not None:  # always: the shortest body up to the first closer, on one line
                yield match
            pos = end + len(self.closer)
