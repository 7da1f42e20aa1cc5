"""The human report: one ``path:line:col: ID [severity] message`` line per result, details indented below.

The first line of each result is the format compilers use, so editors and terminals can jump to it. Below it
come the witness (the concrete request the policy allows, one condition key a line), the command that
reproduces it, the precision when the evaluator could not decide, related places, and -- for a chain finding
-- its path, one hop a line (the trust statement that admits it, and the caller's identity statement).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from xacct_lint.report import Report, plural

if TYPE_CHECKING:
    from xacct_lint.engine.runner import Place, Result

ABSENT = "<absent>"

_RESET = "\x1b[0m"
_STYLES = {
    "path": "\x1b[1m",  # bold
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "note": "\x1b[1;36m",
    "rule": "\x1b[1m",
    "detail": "\x1b[2m",  # dim
}


# Characters from the inputs that would act on a terminal or a CI log instead of being shown: C0 and C1 controls
# (ESC starts ANSI sequences that move the cursor, erase lines or set the window title; CR and LF could start
# a line that looks like a result or a summary of its own) and the bidirectional formatting characters that
# reorder what is displayed ("Trojan Source", CVE-2021-42574). Tab stays. Each is shown as its escape.
_NOT_INERT = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str) -> str:
    """Return ``text`` with every character that a terminal would act on written as a visible escape."""
    return _NOT_INERT.sub(_escape, text)


class _Painter:
    """Wraps text in ANSI styles, or leaves it alone when colour is off; text from the inputs is made inert."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        text = inert(text)
        if not self.color or not text:
            return text
        return f"{_STYLES[style]}{text}{_RESET}"


def format_place(place: Place) -> str:
    """Return ``path:line:col`` (or just ``path`` when the file has no text to point into)."""
    if place.region is None:
        return place.path
    return f"{place.path}:{place.region.start.line}:{place.region.start.column}"


def format_value(value: object) -> str:
    """Return a witness value as a person reads it: strings bare, absence as ``<absent>``, else JSON."""
    if value is None:
        return ABSENT
    if isinstance(value, str):
        return value
    from xacct_lint.report import jsonable

    return json.dumps(jsonable(value), sort_keys=True, ensure_ascii=False)


def witness_lines(witness: Mapping[str, object]) -> Iterator[str]:
    """Yield the witness a line at a time: its own ``description`` lines when it has them (the evaluator's
    witnesses do), else ``key = value`` lines with the request ``context`` flattened to one line per key."""
    description = witness.get("description")
    if isinstance(description, list | tuple) and all(isinstance(line, str) for line in description):
        yield from description
        return
    for key, value in witness.items():
        if key == "context" and isinstance(value, Mapping):
            for context_key, context_value in value.items():
                yield f"{context_key} = {format_value(context_value)}"
        else:
            yield f"{key} = {format_value(value)}"


def result_lines(result: Result, paint: _Painter) -> Iterator[str]:
    """Yield the lines of one result: the header line, then indented details."""
    first, *rest = result.message.splitlines() or [""]
    severity = result.severity.value
    yield (
        f"{paint('path', format_place(result.place))}: {paint('rule', result.rule.id)} "
        f"{paint(severity, f'[{severity}]')} {inert(first)}"
    )
    for line in rest:
        yield f"  {inert(line)}"
    if result.witness:
        yield paint("detail", "  witness:")
        for line in witness_lines(result.witness):
            yield paint("detail", f"    {line}")
    if result.reproduce:
        yield paint("detail", f"  reproduce: {result.reproduce}")
    if result.precision.value != "exact":
        yield paint("detail", f"  precision: {result.precision.value}")
    for place, text in result.related:
        yield paint("detail", f"  see {format_place(place)}: {text}")
    if result.flow:
        yield paint("detail", f"  path ({len(result.flow)} {'hop' if len(result.flow) == 1 else 'hops'}):")
        for number, (trust, identity, text) in enumerate(result.flow, 1):
            yield paint("detail", f"    {number}. {format_place(trust)}: {inert(text)}")
            if identity is not None:
                yield paint("detail", f"       identity: {format_place(identity)}")


def summary_line(report: Report) -> str:
    """Return the closing line: counts per severity and files, or ``no findings in N files``."""
    files = plural(len(report.files), "file")
    if report.results:
        counts = report.counts()
        line = (
            f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, "
            f"{plural(counts['note'], 'note')} in {files}"
        )
    else:
        line = f"no findings in {files}"
    if report.suppressed:
        line += f" ({report.suppressed} suppressed by the baseline)"
    return line


def render_text(report: Report, *, color: bool = False) -> str:
    """Return the text report, ending with a newline."""
    paint = _Painter(color)
    lines: list[str] = []
    for result in report.results:
        lines.extend(result_lines(result, paint))
    # A file that could not be analysed is usually also a finding (invalid JSON ...); say it once in text.
    reported = {result.place.path for result in report.results}
    for note in report.notifications:
        if note.path in reported:
            continue
        where = note.path if note.path is not None else "xacct-lint"
        lines.append(f"{paint('path', where)}: {paint(note.level, note.level)}: {inert(note.message)}")
    lines.append(paint("path", summary_line(report)))
    return "\n".join(lines) + "\n"
