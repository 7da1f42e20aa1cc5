"""Load Markdown recipes: their ``bash``/``sh``/``shell`` code blocks, read as one shell script.

A recipe is read top to bottom in one terminal, so its blocks are joined in order into one script (variables
exported in "Preparation" are known in "Step 2"), and handed to :mod:`xacct_lint.load.shell`. Fenced blocks
(backticks or tildes, CommonMark) may be indented, as they are inside numbered steps; the indentation of the
opening fence is removed from every line of the block, and each character keeps the offset it has in the
``.md`` file, so a finding in a here-document lands on its line and column of the Markdown file. Blocks with
other info strings (``console``, ``json``, ``mermaid``, none) are not scripts and are skipped. A block whose
closing fence is missing runs to the end of the file, as CommonMark says.
"""

from __future__ import annotations

import re

from xacct_lint.load.base import FileLoad, LoadContext
from xacct_lint.load.shell import Script, load_script
from xacct_lint.parse.source import SourceFile

SHELL_INFO = frozenset({"bash", "sh", "shell", "zsh", "ksh"})
_FENCE = re.compile(r"^( {0,3}|[ \t]*)(`{3,}|~{3,})[ \t]*([^\s`{]*)")


def shell_blocks(text: str) -> Script:
    """Return the shell code blocks of Markdown text joined into one script, with offsets into ``text``."""
    chars: list[str] = []
    offsets: list[int] = []
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        indent, fence, info = len(match.group(1)), match.group(2), match.group(3).lower()
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        index += 1
        block_start = index
        while index < len(lines) and not closing.match(lines[index].rstrip("\r\n")):
            index += 1
        if info in SHELL_INFO:
            for number in range(block_start, index):
                line = lines[number]
                body = line.rstrip("\r\n")
                drop = min(indent, len(body) - len(body.lstrip(" ")))
                for column in range(drop, len(body)):
                    chars.append(body[column])
                    offsets.append(starts[number] + column)
                chars.append("\n")
                offsets.append(starts[number] + len(body))
            # A block ends its last command: a blank separator line keeps blocks from running together.
            chars.append("\n")
            offsets.append(starts[index] if index < len(lines) else len(text))
        index += 1
    return Script("".join(chars), offsets)


def load_markdown_source(source: SourceFile, context: LoadContext) -> FileLoad:
    """Return what a Markdown file's shell blocks contribute (nothing when it has none)."""
    script = shell_blocks(source.text)
    if not script.text.strip():
        return FileLoad()
    return load_script(source, script, context)
