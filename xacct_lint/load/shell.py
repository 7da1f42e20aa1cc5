"""Load shell recipes (``.sh``, and the ``bash`` blocks of Markdown files): the IAM they would create.

A recipe like the seed's writes policy files with here-documents and hands them to the AWS CLI:

* ``cat > trust.json << EOF ... EOF`` (also ``<<'EOF'``, ``<<-EOF``, ``cat << EOF > f``, ``tee f << EOF``)
  records the file's text; an unquoted delimiter expands ``$VAR``/``${VAR}`` in the body, as bash does;
* ``aws iam create-role`` (``--role-name``, ``--path``, ``--assume-role-policy-document``,
  ``--max-session-duration``, ``--tags``), ``update-assume-role-policy``, ``update-role``, ``put-role-policy``,
  ``create-policy``, ``attach-role-policy`` and ``aws s3api put-bucket-policy`` turn those files (``file://``)
  -- or a JSON argument -- into trust, identity and resource policies of named roles;
* ``aws sts assume-role`` calls become :class:`~xacct_lint.model.inventory.AssumeRoleCall` facts
  (``Model.assume_role_calls``) for the graph rules: role ARN, ``--external-id``, ``--duration-seconds``,
  ``--tags``, ``--transitive-tag-keys``, each with its location;
* a here-document that writes a shell script (``*.sh``, or a body starting with ``#!``) is read as a script
  too, so the ``assume-role`` calls of a helper script the recipe generates are facts as well.

**Variables.** Assignments (``NAME=value``, ``export NAME="value"``) are followed in order, across all blocks
of a Markdown file (a reader runs them in one shell). A value the user gives -- ``--var NAME=VALUE`` or the
configuration's ``[variables]`` -- wins over the script's own assignment (that is how a recipe's
``RANDOM_SUFFIX=$(aws secretsmanager get-random-password ...)`` gets a value to lint with). The environment is
read only for ``--var NAME`` without a value. Anything else -- command substitution, positional parameters,
variables never assigned -- stays **symbolic**: the text keeps ``${NAME}`` (``$(...)`` as written), and where
an expanding here-document or a JSON argument puts it in a policy, that string becomes a symbol
(:func:`xacct_lint.parse.symbols.mark_symbols`): XA006 reports it as a warning naming the variable and the
``--var`` that would give it, and the evaluator treats it as a value no request carries (a variable naming no
condition key). In a quoted here-document (``<<'EOF'``) bash writes ``${NAME}`` as it is: IAM receives that
text, and XA006 reports template syntax that reaches IAM (an error).

**Accounts.** A role created by ``aws iam create-role`` lands in the account the CLI runs as, which a script
does not say. The account is taken from the configuration (a ``[[roles]]`` entry with the same ``name``
names its ``account``), else from the script itself: the role's full ARN written anywhere in it (a trust
policy's principal, ``--role-arn`` of ``assume-role``, ``--role`` of ``lambda create-function``) with a
12-digit account. Comments ("run this in production account") are not read. A role whose account stays
unknown yields its policies, without a role (a role ARN is never guessed).

**Parsing.** A small scanner of our own splits commands and words: it keeps the offset of every character
(so a finding lands on the line and column of the ``.sh`` or ``.md`` file), knows quotes, escapes, ``$(...)``,
``${...}``, line continuations, comments, pipes and here-documents. :mod:`shlex` gives no positions and splits
``$(aws sts ...)`` at its spaces; bashlex (last release 2023) does not cover here-documents well. Input the
scanner cannot finish -- a here-document or quote that never ends -- is a load problem with its position (a
finding), never an exception or a hang: every loop advances through the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from xacct_lint.load.base import FileLoad, LoadContext
from xacct_lint.load.embedded import anchor, parse_embedded_json, policy_of
from xacct_lint.model.config import Config
from xacct_lint.model.inventory import AssumeRoleCall, LoadProblem, Location, Policy, PolicyKind, Role
from xacct_lint.parse.policy import looks_like_policy
from xacct_lint.parse.source import SourceFile, Span
from xacct_lint.parse.symbols import Symbol, mark_symbols

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\+?=")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/((?:[^\s\"',/]+/)*)([^\s\"',/]+)")
_RESERVED = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "!", "{", "}"}
)
_DECLARATIONS = frozenset({"export", "readonly", "declare", "local", "typeset"})
_MAX_NESTING = 32  # $(...) inside $(...) and scripts written by scripts: deeper input is not followed


@dataclass(frozen=True)
class Script:
    """Shell text and, for each of its characters, the offset in the source file it came from."""

    text: str
    offsets: Sequence[int]

    def origin(self, index: int) -> int:
        """Return the source offset of a character (the end of the text maps past its last character)."""
        if not self.offsets:
            return 0
        if index < len(self.offsets):
            return self.offsets[index]
        return self.offsets[-1] + 1

    def span(self, start: int, end: int) -> Span:
        """Return the source span of ``text[start:end]``."""
        if end <= start:
            return Span(self.origin(start), self.origin(start))
        return Span(self.origin(start), self.origin(end - 1) + 1)

    def sub(self, start: int, end: int) -> Script:
        """Return the part ``text[start:end]`` as a script of its own."""
        return Script(self.text[start:end], self.offsets[start:end])


# --- words --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """One element of a word: a literal character, a variable reference, or a substitution we do not run.

    ``kind`` is ``lit`` (``text`` is one character), ``var`` (``text`` is the name, ``default`` the word
    after ``:-`` if any) or ``raw`` (a command substitution or special parameter, kept as written).
    """

    kind: str
    text: str
    start: int  # offset in the script text
    end: int
    default: str | None = None


@dataclass
class Word:
    """A shell word with its pieces and its span in the script text; ``quoted`` if any part was quoted."""

    pieces: list[Piece] = field(default_factory=list)
    start: int = -1
    end: int = -1
    quoted: bool = False

    def literal(self) -> str:
        """Return the word's text with references as written (used for delimiters and command names)."""
        return "".join(f"${{{p.text}}}" if p.kind == "var" else p.text for p in self.pieces)


@dataclass
class Heredoc:
    """A here-document attached to a command: its delimiter, body and where it starts."""

    delimiter: str
    expand: bool  # unquoted delimiter: $VAR and $(...) in the body are expanded
    strip_tabs: bool
    operator: int  # script offset of ``<<``
    body_start: int = -1
    body_end: int = -1
    terminated: bool = True


@dataclass
class Command:
    """A simple command: its words, output redirection targets, here-documents, and nesting depth."""

    words: list[Word] = field(default_factory=list)
    outputs: list[Word] = field(default_factory=list)
    heredocs: list[Heredoc] = field(default_factory=list)
    depth: int = 0


@dataclass(frozen=True)
class ScanProblem:
    """Something the scanner could not finish, at a script offset."""

    message: str
    offset: int


class _Scanner:
    """Splits shell text into simple commands (iteratively; every step consumes at least one character)."""

    def __init__(self, text: str, depth: int = 0, begin: int = 0, stop: int | None = None) -> None:
        self.text = text
        self.depth = depth
        self.begin = begin
        self.stop = len(text) if stop is None else min(stop, len(text))
        self.commands: list[Command] = []
        self.problems: list[ScanProblem] = []
        self.pending: list[Heredoc] = []

    def scan(self) -> tuple[list[Command], list[ScanProblem]]:
        text = self.text
        pos = self.begin
        command = Command(depth=self.depth)
        word: Word | None = None
        redirect_to: str | None = None  # "out" when the next word is a redirection target

        def finish_word() -> None:
            nonlocal word, redirect_to
            if word is None:
                return
            if redirect_to == "out":
                command.outputs.append(word)
            elif redirect_to == "in":
                pass
            else:
                command.words.append(word)
            redirect_to = None
            word = None

        def finish_command() -> None:
            nonlocal command
            finish_word()
            if command.words or command.heredocs or command.outputs:
                self.commands.append(command)
            command = Command(depth=self.depth)

        while pos < self.stop:
            ch = text[pos]
            if ch == "\n":
                finish_word()
                pos = self.read_heredoc_bodies(pos + 1)
                finish_command()
                continue
            if ch in " \t\r":
                finish_word()
                pos += 1
                continue
            if ch == "#" and word is None:
                end = text.find("\n", pos, self.stop)
                pos = self.stop if end == -1 else end
                continue
            if ch == "\\":
                if pos + 1 < self.stop and text[pos + 1] == "\n":
                    pos += 2
                    continue
                word = word or Word(start=pos)
                if pos + 1 < self.stop:
                    word.pieces.append(Piece("lit", text[pos + 1], pos + 1, pos + 2))
                    word.quoted = True
                word.end = pos + 2
                pos += 2
                continue
            if ch in ";|&()":
                finish_word()
                if ch == "&" and text.startswith("&>", pos):
                    redirect_to = "out"
                    pos += 2
                    continue
                finish_command()
                pos += 2 if text.startswith(("||", "&&", ";;"), pos) else 1
                continue
            if ch in "<>":
                if (
                    word is not None
                    and word.pieces
                    and all(p.kind == "lit" and p.text.isdigit() for p in word.pieces)
                ):
                    word = None  # a file descriptor number (2>&1)
                finish_word()
                if text.startswith("<<<", pos):
                    redirect_to = "in"
                    pos += 3
                    continue
                if text.startswith("<<", pos):
                    pos = self.heredoc_operator(pos, command)
                    continue
                if ch == ">":
                    step = 2 if text.startswith((">>", ">|"), pos) else 1
                    if text.startswith(">&", pos):
                        end = pos + 2
                        while end < self.stop and (text[end].isdigit() or text[end] == "-"):
                            end += 1
                        pos = end
                        continue
                    redirect_to = "out"
                    pos += step
                    continue
                redirect_to = "in"
                pos += 1
                continue
            word = word or Word(start=pos)
            pos = self.word_part(pos, word)
            word.end = pos
        if self.pending:
            self.read_heredoc_bodies(self.stop)
        finish_command()
        return self.commands, self.problems

    def heredoc_operator(self, pos: int, command: Command) -> int:
        text = self.text
        strip = text.startswith("<<-", pos)
        cursor = pos + (3 if strip else 2)
        while cursor < self.stop and text[cursor] in " \t":
            cursor += 1
        delimiter = Word(start=cursor)
        while cursor < self.stop and text[cursor] not in " \t\n;|&<>()":
            cursor = self.word_part(cursor, delimiter)
        delimiter.end = cursor
        name = "".join(p.text for p in delimiter.pieces if p.kind == "lit") or delimiter.literal()
        if not name:
            self.problems.append(ScanProblem("a here-document operator '<<' without a delimiter word", pos))
            return cursor
        heredoc = Heredoc(name, not delimiter.quoted, strip, pos)
        command.heredocs.append(heredoc)
        self.pending.append(heredoc)
        return cursor

    def read_heredoc_bodies(self, pos: int) -> int:
        """Read the bodies of the pending here-documents starting at ``pos``; return the offset after them."""
        text = self.text
        for heredoc in self.pending:
            heredoc.body_start = pos
            while True:
                if pos >= self.stop:
                    heredoc.body_end = self.stop
                    heredoc.terminated = False
                    self.problems.append(
                        ScanProblem(
                            f"the here-document '<<{'-' if heredoc.strip_tabs else ''}{heredoc.delimiter}' never "
                            f"ends: no line reads '{heredoc.delimiter}', so bash takes everything to the end as "
                            "its body (and warns 'here-document delimited by end-of-file'); the commands after it "
                            "never run",
                            heredoc.operator,
                        )
                    )
                    break
                end = text.find("\n", pos, self.stop)
                line_end = self.stop if end == -1 else end
                line = text[pos:line_end].rstrip("\r")
                if (line.lstrip("\t") if heredoc.strip_tabs else line) == heredoc.delimiter:
                    heredoc.body_end = pos
                    pos = line_end + 1 if end != -1 else self.stop
                    break
                pos = line_end + 1 if end != -1 else self.stop
        self.pending = []
        return pos

    def word_part(self, pos: int, word: Word) -> int:
        """Read one part of a word at ``pos`` (a character, a quoted string, an expansion); return the next pos."""
        text = self.text
        ch = text[pos]
        if ch == "'":
            end = text.find("'", pos + 1, self.stop)
            word.quoted = True
            if end == -1:
                self.problems.append(ScanProblem("a single quote that is never closed", pos))
                end = self.stop
            word.pieces.extend(Piece("lit", text[i], i, i + 1) for i in range(pos + 1, end))
            return min(end + 1, self.stop)
        if ch == '"':
            word.quoted = True
            cursor = pos + 1
            while cursor < self.stop and text[cursor] != '"':
                inner = text[cursor]
                if inner == "\\" and cursor + 1 < self.stop and text[cursor + 1] in '$`"\\\n':
                    if text[cursor + 1] != "\n":
                        word.pieces.append(Piece("lit", text[cursor + 1], cursor + 1, cursor + 2))
                    cursor += 2
                    continue
                if inner in "$`":
                    cursor = self.expansion(cursor, word)
                    continue
                word.pieces.append(Piece("lit", inner, cursor, cursor + 1))
                cursor += 1
            if cursor >= self.stop:
                self.problems.append(ScanProblem("a double quote that is never closed", pos))
                return self.stop
            return cursor + 1
        if ch in "$`":
            return self.expansion(pos, word)
        word.pieces.append(Piece("lit", ch, pos, pos + 1))
        return pos + 1

    def expansion(self, pos: int, word: Word) -> int:
        """Read ``$NAME``, ``${...}``, ``$(...)``, ``$((...))`` or a backquoted command at ``pos``."""
        text = self.text
        if text[pos] == "`":
            end = text.find("`", pos + 1, self.stop)
            end = self.stop - 1 if end == -1 else end
            self.substitution(pos + 1, end)
            word.pieces.append(Piece("raw", text[pos : end + 1], pos, end + 1))
            return end + 1
        nxt = text[pos + 1] if pos + 1 < self.stop else ""
        if nxt == "(":
            end = _closing(text, pos + 1, "(", ")", self.stop)
            if not text.startswith("$((", pos):
                self.substitution(pos + 2, end)
            word.pieces.append(Piece("raw", text[pos : end + 1], pos, min(end + 1, self.stop)))
            return min(end + 1, self.stop)
        if nxt == "{":
            end = _closing(text, pos + 1, "{", "}", self.stop)
            body = text[pos + 2 : end]
            match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?::?-(.*))?", body, re.DOTALL)
            if match and (match.group(2) is None or "$" not in match.group(2)):
                word.pieces.append(Piece("var", match.group(1), pos, end + 1, match.group(2)))
            else:
                word.pieces.append(Piece("raw", text[pos : end + 1], pos, min(end + 1, self.stop)))
            return min(end + 1, self.stop)
        name = _NAME.match(text, pos + 1)
        if name is not None:
            word.pieces.append(Piece("var", name.group(0), pos, name.end()))
            return name.end()
        if nxt and (nxt.isdigit() or nxt in "#?@*$!-"):
            word.pieces.append(Piece("raw", "${" + nxt + "}", pos, pos + 2))
            return pos + 2
        word.pieces.append(Piece("lit", "$", pos, pos + 1))
        return pos + 1

    def substitution(self, start: int, end: int) -> None:
        """Scan the commands inside a command substitution (their positions are this text's)."""
        if self.depth >= _MAX_NESTING:
            return
        inner = _Scanner(self.text, self.depth + 1, start, end)
        commands, problems = inner.scan()
        self.commands.extend(commands)
        del problems  # the outer scan reports unclosed quotes once


def _closing(text: str, pos: int, opening: str, closing: str, stop: int) -> int:
    """Return the offset of the bracket closing the one at ``pos`` (quotes respected), or the last offset."""
    depth = 0
    index = pos
    quote = ""
    while index < stop:
        ch = text[index]
        if quote:
            if ch == "\\" and quote == '"':
                index += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            index += 2
            continue
        elif ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return stop - 1


def scan_script(text: str) -> tuple[list[Command], list[ScanProblem]]:
    """Return the simple commands of shell text (nested ones included, in order) and what could not be read."""
    return _Scanner(text).scan()


# --- the interpreter ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expanded:
    """A word after expansion: its text, the script offset of each character, and unresolved variables."""

    text: str
    offsets: tuple[int, ...]
    start: int
    end: int
    unresolved: tuple[str, ...] = ()


@dataclass
class _File:
    """A file a here-document wrote: its text (expanded), offsets, and the script it was read from."""

    name: str
    text: str
    offsets: list[int]  # offsets into the *source file*
    operator_span: Span
    prefix: str
    policy: Policy | None = None
    parsed: bool = False
    used: bool = False
    symbols: tuple[Symbol, ...] = ()  # what the expansion of the body could not know


@dataclass
class _RoleRecord:
    name: str
    path: str
    location: Location
    trust: Policy | None = None
    permissions: list[Policy] = field(default_factory=list)
    managed_arns: list[str] = field(default_factory=list)
    max_session: int | None = None
    max_session_location: Location | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class _State:
    source: SourceFile
    config: Config
    user: Mapping[str, str]
    variables: dict[str, str | None] = field(default_factory=dict)
    exported: set[str] = field(default_factory=set)
    files: dict[str, _File] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)
    roles: dict[str, _RoleRecord] = field(default_factory=dict)
    managed: dict[str, Policy] = field(default_factory=dict)
    calls: list[AssumeRoleCall] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # expanded texts that may name role ARNs


class _Interpreter:
    def __init__(self, state: _State, script: Script, depth: int = 0) -> None:
        self.state = state
        self.script = script
        self.depth = depth

    # -- expansion --

    def lookup(self, name: str) -> str | None:
        state = self.state
        if name in state.user:
            return state.user[name]
        return state.variables.get(name)

    def expand(self, word: Word) -> Expanded:
        chars: list[str] = []
        offsets: list[int] = []
        unresolved: list[str] = []
        for piece in word.pieces:
            if piece.kind == "lit":
                chars.append(piece.text)
                offsets.append(piece.start)
                continue
            if piece.kind == "var":
                value = self.lookup(piece.text)
                if value is None and piece.default is not None and "$" not in piece.default:
                    value = piece.default
                if value is not None:
                    chars.append(value)
                    offsets.extend([piece.start] * len(value))
                    continue
                unresolved.append(piece.text)
                text = f"${{{piece.text}}}"
            else:
                text = piece.text
                unresolved.append(piece.text)
            chars.append(text)
            offsets.extend(_spread(piece.start, piece.end, len(text)))
        return Expanded("".join(chars), tuple(offsets), word.start, word.end, tuple(unresolved))

    def expand_body(
        self, start: int, end: int, expand: bool, strip_tabs: bool
    ) -> tuple[str, list[int], tuple[Symbol, ...]]:
        """Return a here-document body (tabs stripped for ``<<-``, variables expanded unless quoted), its
        offsets, and the symbols of the expansions it could not resolve."""
        text = self.script.text
        chars: list[str] = []
        offsets: list[int] = []
        unresolved: list[str] = []
        pos = start
        at_line_start = True
        while pos < end:
            ch = text[pos]
            if strip_tabs and at_line_start and ch == "\t":
                pos += 1
                continue
            at_line_start = ch == "\n"
            if expand and ch == "\\" and pos + 1 < end and text[pos + 1] in "$`\\\n":
                if text[pos + 1] != "\n":
                    chars.append(text[pos + 1])
                    offsets.append(pos + 1)
                pos += 2
                continue
            if expand and ch in "$`":
                scanner = _Scanner(text, _MAX_NESTING, pos, end)  # nested commands of a body are not run
                word = Word(start=pos)
                nxt = scanner.expansion(pos, word)
                expanded = self.expand(word)
                unresolved.extend(expanded.unresolved)
                if expanded.text == "$" and len(word.pieces) == 1 and word.pieces[0].kind == "lit":
                    chars.append("$")
                    offsets.append(pos)
                else:
                    chars.append(expanded.text)
                    offsets.extend(expanded.offsets)
                pos = max(nxt, pos + 1)
                continue
            chars.append(ch)
            offsets.append(pos)
            pos += 1
        return "".join(chars), offsets, _shell_symbols(unresolved)

    # -- running --

    def run(self, commands: list[Command]) -> None:
        for command in commands:
            self.command(command)

    def command(self, command: Command) -> None:
        words = list(command.words)
        while words and words[0].literal() in _RESERVED and not words[0].quoted:
            words.pop(0)
        assignments: list[Word] = []
        while words and _ASSIGNMENT.match(words[0].literal()) and words[0].pieces[0].kind == "lit":
            assignments.append(words.pop(0))
        if not words:
            for assignment in assignments:
                self.assign(assignment)
            self.heredocs(command, None)
            return
        name = words[0].literal()
        if name in _DECLARATIONS:
            for word in words[1:]:
                if _ASSIGNMENT.match(word.literal()):
                    self.assign(word, export=name == "export")
                elif name == "export" and _NAME.fullmatch(word.literal()):
                    self.state.exported.add(word.literal())
            return
        if name == "unset":
            for word in words[1:]:
                self.state.variables.pop(word.literal(), None)
            return
        expanded = [self.expand(w) for w in words]
        self.state.evidence.extend(e.text for e in expanded if "arn:" in e.text)
        self.heredocs(command, expanded)
        if expanded[0].text == "aws":
            self.aws(expanded)

    def assign(self, word: Word, *, export: bool = False) -> None:
        literal = word.literal()
        match = _ASSIGNMENT.match(literal)
        if match is None:
            return
        name = match.group(1)
        value_word = Word(list(word.pieces[match.end() :]), word.start, word.end, word.quoted)
        expanded = self.expand(value_word)
        self.state.variables[name] = None if expanded.unresolved else expanded.text
        if export:
            self.state.exported.add(name)

    def heredocs(self, command: Command, expanded: list[Expanded] | None) -> None:
        """Record the files written by ``cat > f << EOF`` / ``tee f << EOF``; read scripts written that way."""
        if not command.heredocs:
            return
        targets = [self.expand(w).text for w in command.outputs]
        if expanded and expanded[0].text == "tee":
            targets += [e.text for e in expanded[1:] if not e.text.startswith("-")]
        for heredoc in command.heredocs:
            body, offsets, symbols = self.expand_body(
                heredoc.body_start, heredoc.body_end, heredoc.expand, heredoc.strip_tabs
            )
            source_offsets = [self.script.origin(o) for o in offsets]
            operator_span = self.script.span(heredoc.operator, heredoc.operator + 2)
            for target in targets[:1]:
                self.write(target, body, source_offsets, operator_span, symbols)
                if (target.endswith((".sh", ".bash")) or body.startswith("#!")) and self.depth < _MAX_NESTING:
                    nested = Script(body, source_offsets)
                    _run_script(self.state, nested, self.depth + 1, inherit=True)
            if not targets:
                self.state.evidence.append(body)

    def write(
        self,
        target: str,
        body: str,
        offsets: list[int],
        operator_span: Span,
        symbols: tuple[Symbol, ...] = (),
    ) -> None:
        name = _file_name(target)
        count = self.state.written.get(name, 0) + 1
        self.state.written[name] = count
        prefix = "/" + name.replace("~", "~0").replace("/", "~1") + (f"#{count}" if count > 1 else "")
        self.state.files[name] = _File(name, body, offsets, operator_span, prefix, symbols=symbols)
        self.state.evidence.append(body)

    # -- the AWS CLI --

    def aws(self, words: list[Expanded]) -> None:
        positional: list[Expanded] = []
        options: dict[str, list[Expanded]] = {}
        option_words: dict[str, Expanded] = {}
        current: str | None = None
        for word in words[1:]:
            if word.text.startswith("--") and len(word.text) > 2:
                name, sep, value = word.text.partition("=")
                current = name
                options.setdefault(name, [])
                option_words[name] = word
                if sep:
                    cut = len(name) + 1
                    options[name].append(
                        Expanded(value, word.offsets[cut:], word.start + cut, word.end, word.unresolved)
                    )
                    current = None
                continue
            if current is not None:
                options[current].append(word)
            else:
                positional.append(word)
        if len(positional) < 2:
            return
        service, operation = positional[0].text, positional[1].text
        where = self.script.span(words[0].start, positional[1].end)
        location = Location(self.state.source, None, "", span=where)
        handler = _OPERATIONS.get((service, operation))
        if handler is not None:
            handler(self, options, location)

    def first(self, options: Mapping[str, list[Expanded]], name: str) -> Expanded | None:
        values = options.get(name)
        return values[0] if values else None

    def value_location(self, value: Expanded) -> Location:
        span = self.script.span(value.start, value.end)
        return Location(self.state.source, anchor(span), "", span=span)

    def document(
        self,
        value: Expanded | None,
        kind: PolicyKind,
        *,
        name: str | None,
        option: str,
    ) -> Policy | None:
        """Return the policy a ``--policy-document``-like argument names (``file://`` or inline JSON)."""
        if value is None:
            return None
        state = self.state
        if value.text.startswith(("file://", "fileb://")):
            file = state.files.get(_file_name(value.text.split("://", 1)[1]))
            if file is None:
                return None
            file.used = True
            if not file.parsed:
                file.parsed = True
                line = state.source.position(file.operator_span.start).line
                root = parse_embedded_json(
                    state.source,
                    file.text,
                    file.offsets,
                    f"the here-document written to {file.name} (line {line})",
                    state.problems,
                )
                if root is not None:
                    root = mark_symbols(root, file.symbols)
                    file.policy = policy_of(state.source, root, file.prefix, kind, name=name)
                    state.policies.append(file.policy)
            return file.policy
        # "[...]" too: a JSON array is no policy, and XA002 says so rather than nothing.
        if value.text.lstrip().startswith(("{", "[")):
            offsets = [self.script.origin(o) for o in value.offsets]
            line = state.source.position(self.script.origin(value.start)).line
            root = parse_embedded_json(
                state.source, value.text, offsets, f"{option} (line {line})", state.problems
            )
            if root is None:
                return None
            root = mark_symbols(root, _shell_symbols(value.unresolved))
            policy = policy_of(state.source, root, f"/line-{line}/{option.lstrip('-')}", kind, name=name)
            state.policies.append(policy)
            return policy
        return None

    def role(
        self, options: Mapping[str, list[Expanded]], location: Location, *, create: bool
    ) -> _RoleRecord | None:
        name_value = self.first(options, "--role-name")
        if name_value is None:
            return None
        record = self.state.roles.get(name_value.text)
        if record is None and create:
            path_value = self.first(options, "--path")
            record = _RoleRecord(name_value.text, path_value.text if path_value else "/", location)
            self.state.roles[name_value.text] = record
        return record


def _spread(start: int, end: int, length: int) -> list[int]:
    """Return ``length`` offsets covering ``[start, end)`` (a symbol keeps its place in the script)."""
    if end - start == length:
        return list(range(start, end))
    return [start] * max(length - 1, 0) + [max(end - 1, start)] if length else []


def _file_name(target: str) -> str:
    name = target.strip()
    while name.startswith("./"):
        name = name[2:]
    return name


def _int(value: Expanded | None) -> int | None:
    if value is None or not re.fullmatch(r"\d{1,9}", value.text):
        return None
    return int(value.text)


def _tags(values: Sequence[Expanded]) -> dict[str, str]:
    """Return tags given in the AWS CLI shorthand (``Key=a,Value=b`` per word) or as a JSON list."""
    import json

    tags: dict[str, str] = {}
    for value in values:
        text = value.text.strip()
        if text.startswith("["):
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if isinstance(data, list):
                for item in data:
                    if isinstance(item, dict) and isinstance(item.get("Key"), str):
                        tags[item["Key"]] = str(item.get("Value", ""))
            continue
        fields = dict(part.partition("=")[::2] for part in text.split(","))
        if "Key" in fields:
            tags[fields["Key"]] = fields.get("Value", "")
    return tags


def _list(values: Sequence[Expanded]) -> tuple[str, ...]:
    """Return a list option: words, each possibly comma-separated (the CLI's shorthand for a list)."""
    return tuple(part for value in values for part in value.text.split(",") if part)


# --- operations ---------------------------------------------------------------------------------------------


def _create_role(it: _Interpreter, options: Mapping[str, list[Expanded]], location: Location) -> None:
    record = it.role(options, location, create=True)
    if record is None:
        return
    record.location = location
    trust = it.document(
        it.first(options, "--assume-role-policy-document"),
        PolicyKind.TRUST,
        name=record.name,
        option="--assume-role-policy-document",
    )
    if trust is not None:
        record.trust = trust
    _session_and_tags(it, record, options)


def _session_and_tags(it: _Interpreter, record: _RoleRecord, options: Mapping[str, list[Expanded]]) -> None:
    duration = it.first(options, "--max-session-duration")
    if duration is not None and _int(duration) is not None:
        record.max_session = _int(duration)
        record.max_session_location = it.value_location(duration)
    record.tags.update(_tags(options.get("--tags", [])))


def _update_role(it: _Interpreter, options: Mapping[str, list[Expanded]], location: Location) -> None:
    record = it.role(options, location, create=False)
    if record is not None:
        _session_and_tags(it, record, options)


def _update_trust(it: _Interpreter, options: Mapping[str, list[Expanded]], location: Location) -> None:
    record = it.role(options, location, create=False)
    name = (
        record.name if record else (it.first(options, "--role-name") or Expanded("", (), 0, 0)).text or None
    )
    policy = it.document(
        it.first(options, "--policy-document"), PolicyKind.TRUST, name=name, option="--policy-document"
    )
    if record is not None and policy is not None:
        record.trust = policy


def _put_role_policy(it: _Interpreter, options: Mapping[str, list[Expanded]], location: Location) -> None:
    record = it.role(options, location, create=False)
    policy_name = it.first(options, "--policy-name")
    policy = it.document(
        it.first(options, "--policy-document"),
        PolicyKind.IDENTITY,
        name=policy_name.text if policy_name else None,
        option="--policy-document",
    )
    if record is not None and policy is not None and policy not in record.permissions:
        record.permissions.append(policy)


def _create_policy(it: _Interpreter, options: Mapping[str, list[Expanded]], location: Location) -> None:
    policy_name = it.first(options, "--policy-name")
    policy = it.document(
        it.first(options, "--policy-document"),
        PolicyKind.IDENTITY,
        name=policy_name.text if policy_name else None,
        option="--policy-document",
    )
    if policy is not None and policy_name is not None:
        it.state.managed[policy_name.text] = policy


def _attach_role_policy(it: _Interpreter, options: Mapping[str, list[Expanded]], location: Location) -> None:
    record = it.role(options, location, create=False)
    arn = it.first(options, "--policy-arn")
    if record is None or arn is None:
        return
    record.managed_arns.append(arn.text)
    managed = it.state.managed.get(arn.text.rsplit("/", 1)[-1])
    if managed is not None and managed not in record.permissions:
        record.permissions.append(managed)


def _put_bucket_policy(it: _Interpreter, options: Mapping[str, list[Expanded]], location: Location) -> None:
    bucket = it.first(options, "--bucket")
    it.document(
        it.first(options, "--policy"),
        PolicyKind.RESOURCE,
        name=bucket.text if bucket else None,
        option="--policy",
    )


def _assume_role(it: _Interpreter, options: Mapping[str, list[Expanded]], location: Location) -> None:
    def text(name: str) -> str | None:
        value = it.first(options, name)
        return value.text if value is not None else None

    located = {name: it.value_location(values[0]) for name, values in sorted(options.items()) if values}
    unresolved = sorted({n for values in options.values() for v in values for n in v.unresolved})
    it.state.calls.append(
        AssumeRoleCall(
            role_arn=text("--role-arn"),
            session_name=text("--role-session-name"),
            external_id=text("--external-id"),
            duration_seconds=_int(it.first(options, "--duration-seconds")),
            tags=tuple(sorted(_tags(options.get("--tags", [])).items())),
            transitive_tag_keys=_list(options.get("--transitive-tag-keys", [])),
            location=location,
            options=located,
            symbolic=tuple(unresolved),
        )
    )


_OPERATIONS = {
    ("iam", "create-role"): _create_role,
    ("iam", "update-role"): _update_role,
    ("iam", "update-assume-role-policy"): _update_trust,
    ("iam", "put-role-policy"): _put_role_policy,
    ("iam", "create-policy"): _create_policy,
    ("iam", "attach-role-policy"): _attach_role_policy,
    ("s3api", "put-bucket-policy"): _put_bucket_policy,
    ("sts", "assume-role"): _assume_role,
}


# --- putting it together ------------------------------------------------------------------------------------


def _run_script(state: _State, script: Script, depth: int, *, inherit: bool = False) -> None:
    """Scan and run one script (a generated script runs with the exported variables of its parent)."""
    commands, problems = scan_script(script.text)
    for problem in problems:
        span = script.span(problem.offset, problem.offset + 1)
        state.problems.append(
            LoadProblem(
                "invalid-json",
                f"shell syntax that never ends: {problem.message}",
                Location(state.source, anchor(span), "", span=span),
            )
        )
    if inherit:
        saved = state.variables
        state.variables = {k: v for k, v in saved.items() if k in state.exported}
        try:
            _Interpreter(state, script, depth).run(commands)
        finally:
            state.variables = saved
    else:
        _Interpreter(state, script, depth).run(commands)


def _account_for(state: _State, name: str) -> str | None:
    for mapping in state.config.roles:
        if mapping.name == name:
            account = state.config.account_by_name(mapping.account)
            if account is not None:
                return account.id
    accounts = {
        match.group(1)
        for text in state.evidence
        for match in _ROLE_ARN.finditer(text)
        if match.group(3) == name
    }
    return accounts.pop() if len(accounts) == 1 else None


def _shell_symbols(unresolved: Sequence[str]) -> tuple[Symbol, ...]:
    """Return the symbols of expansions the interpreter could not resolve: the shell substitutes them when the
    script runs, so the deployed policy holds a value this run cannot know (not the ``${NAME}`` text)."""
    symbols: list[Symbol] = []
    for piece in dict.fromkeys(unresolved):
        if piece.startswith(("$", "`")):
            reason = "a command substitution: only the shell that runs the script knows its output"
            symbols.append(Symbol(piece, piece, reason))
        else:
            reason = (
                f"a shell variable the script gives no known value; lint with --var {piece}=VALUE, or --var "
                f"{piece} to take it from the environment"
            )
            placeholder = f"${{{piece}}}"
            symbols.append(Symbol(placeholder, placeholder, reason))
    return tuple(symbols)


def _finish(state: _State) -> FileLoad:
    # Here-documents no command used: still policies when they look like one (kind inferred from the shape).
    for file in state.files.values():
        if file.used or file.parsed or not file.name.endswith(".json"):
            continue
        problems: list[LoadProblem] = []
        root = parse_embedded_json(state.source, file.text, file.offsets, file.name, problems)
        if root is not None and looks_like_policy(root):
            file.policy = policy_of(state.source, mark_symbols(root, file.symbols), file.prefix, None)
            state.policies.append(file.policy)
            state.problems.extend(problems)
    roles: list[Role] = []
    for record in state.roles.values():
        account = _account_for(state, record.name)
        arn = f"arn:aws:iam::{account}:role{record.path}{record.name}" if account is not None else None
        for policy in [record.trust, *record.permissions]:
            if policy is None:
                continue
            policy.account_id = policy.account_id or account
            policy.role_arn = policy.role_arn or arn
        if account is None or arn is None:
            continue
        role = Role(arn=arn, name=record.name, account_id=account, path=record.path)
        role.location = record.location
        role.trust_policy = record.trust
        role.permission_policies = list(record.permissions)
        role.managed_policy_arns = list(record.managed_arns)
        # Without --max-session-duration AWS applies its default of 3600 seconds (iam-facts §1.2); the fact is
        # shown on the create-role command that omitted the option.
        role.max_session_duration = record.max_session if record.max_session is not None else 3600
        role.max_session_location = record.max_session_location or record.location
        role.tags = dict(record.tags)
        roles.append(role)
    return FileLoad(
        tuple(state.policies), tuple(roles), (), tuple(state.problems), assume_role_calls=tuple(state.calls)
    )


def load_script(source: SourceFile, script: Script, context: LoadContext) -> FileLoad:
    """Return what a shell script (text with offsets into ``source``) contributes to the model."""
    state = _State(source, context.config, dict(context.variables))
    _run_script(state, script, 0)
    return _finish(state)


def load_shell_source(source: SourceFile, context: LoadContext) -> FileLoad:
    """Return what a ``.sh`` file contributes: roles, policies, ``assume-role`` calls and problems."""
    return load_script(source, Script(source.text, range(len(source.text))), context)
