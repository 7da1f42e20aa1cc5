"""A JSON parser that keeps the span of every value and every object key, and every duplicate key.

Python's :mod:`json` forgets positions and silently keeps the last of two equal keys -- exactly how a statement or a
condition can hide in a policy (see iam-facts.md §6.6). This parser builds a small tree of :class:`JNode` values
instead. It is iterative (no recursion limit: a document nested 100,000 levels deep is an error with a position,
not a crash) and strict RFC 8259 JSON, like IAM's own parser.

Offsets can be translated through an *offset map* so that a document embedded in another file as a string
(``aws iam get-account-authorization-details`` stores URL-encoded policies) reports positions in the outer file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, Self

from xacct_lint.parse.source import Span

JsonScalar = str | int | float | bool | None

DEFAULT_MAX_DEPTH = 256


class JsonSyntaxError(ValueError):
    """A JSON syntax error at a character offset (already mapped to the outer file's offsets)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(eq=False, slots=True)
class JNode:
    """One JSON value with its span.

    ``kind`` is ``"object"``, ``"array"``, ``"string"``, ``"number"``, ``"bool"`` or ``"null"``. Objects keep all
    their members in order in ``members`` (duplicates included); ``items`` holds array elements.
    """

    kind: str
    span: Span
    value: JsonScalar = None
    members: list[JMember] = field(default_factory=list)
    items: list[JNode] = field(default_factory=list)

    def get(self, key: str) -> JNode | None:
        """Return the value of the *last* member named ``key`` (what ``json.loads`` would keep), or None."""
        for member in reversed(self.members):
            if member.key == key:
                return member.value
        return None

    def get_member(self, key: str) -> JMember | None:
        """Return the last member named ``key``, or None."""
        for member in reversed(self.members):
            if member.key == key:
                return member
        return None

    def get_ci(self, key: str) -> JMember | None:
        """Return the last member whose name equals ``key`` ignoring case, or None."""
        folded = key.casefold()
        for member in reversed(self.members):
            if member.key.casefold() == folded:
                return member
        return None

    def unique_members(self) -> list[JMember]:
        """Return the members ``json.loads`` would keep: the last of each name, in first-seen order."""
        last: dict[str, JMember] = {}
        for member in self.members:
            last[member.key] = member
        order: dict[str, None] = dict.fromkeys(m.key for m in self.members)
        return [last[key] for key in order]

    def to_python(self) -> object:
        """Return the plain Python value, as ``json.loads`` would build it (last duplicate wins)."""
        return _to_python(self)

    def child(self, token: str) -> JNode | None:
        """Return the child addressed by one JSON Pointer token, or None."""
        if self.kind == "object":
            return self.get(token)
        if self.kind == "array" and token.isdigit():
            index = int(token)
            return self.items[index] if index < len(self.items) else None
        return None

    def walk(self) -> Iterator[JNode]:
        """Yield this node and every node below it, depth first, without recursion."""
        stack: list[JNode] = [self]
        while stack:
            node = stack.pop()
            yield node
            if node.kind == "object":
                stack.extend(member.value for member in reversed(node.members))
            elif node.kind == "array":
                stack.extend(reversed(node.items))


@dataclass(eq=False, slots=True)
class JMember:
    """One ``"key": value`` member of an object, with the key's own span."""

    key: str
    key_span: Span
    value: JNode


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A key that appears more than once in one object: ``first`` is overridden by ``duplicate``."""

    key: str
    pointer: str
    first: Span
    duplicate: Span


def _to_python(root: JNode) -> object:
    try:
        return _to_python_recursive(root)
    except RecursionError:
        return _to_python_iterative(root)


def _to_python_recursive(node: JNode) -> object:
    # Twice as fast as the iterative build below; parse_json's depth limit (256) keeps it far from the
    # recursion limit, and a deeper tree built some other way falls back to the iterative build.
    kind = node.kind
    if kind == "object":
        return {
            m.key: (m.value.value if m.value.kind not in _CONTAINERS else _to_python_recursive(m.value))
            for m in node.members
        }
    if kind == "array":
        return [
            item.value if item.kind not in _CONTAINERS else _to_python_recursive(item) for item in node.items
        ]
    return node.value


_CONTAINERS = frozenset({"object", "array"})


def _to_python_iterative(root: JNode) -> object:
    # Iterative post-order build so that deep documents do not hit the recursion limit.
    results: dict[int, object] = {}
    stack: list[tuple[JNode, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node.kind == "object":
            if not expanded:
                stack.append((node, True))
                stack.extend((m.value, False) for m in node.members)
                continue
            results[id(node)] = {m.key: results.pop(id(m.value)) for m in node.members}
        elif node.kind == "array":
            if not expanded:
                stack.append((node, True))
                stack.extend((item, False) for item in node.items)
                continue
            results[id(node)] = [results.pop(id(item)) for item in node.items]
        else:
            results[id(node)] = node.value
    return results[id(root)]


def escape_pointer_token(token: str) -> str:
    """Escape one JSON Pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def split_pointer(pointer: str) -> list[str]:
    """Split a JSON Pointer into unescaped tokens (``""`` is the root)."""
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]


def resolve_pointer(root: JNode, pointer: str) -> tuple[JNode, JMember | None, bool]:
    """Return the node a pointer names, the member holding it, and whether the whole pointer resolved.

    When the pointer goes further than the document (a rule pointing at a key that is missing), the deepest
    existing node is returned with ``False`` so a finding still lands on the nearest real place.
    """
    node = root
    member: JMember | None = None
    for token in split_pointer(pointer):
        if node.kind == "object":
            found = node.get_member(token)
            if found is None:
                return node, member, False
            member, node = found, found.value
        else:
            nxt = node.child(token)
            if nxt is None:
                return node, member, False
            member, node = None, nxt
    return node, member, True


_WS = re.compile(r"[ \t\n\r]*")
_STRING_BODY = re.compile(r'[^"\\\x00-\x1f]*')
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


@dataclass(slots=True)
class _Frame:
    node: JNode
    pending_key: str | None = None
    pending_key_span: Span | None = None
    seen: dict[str, Span] = field(default_factory=dict)
    pointer: str = ""


class _Parser:
    def __init__(self, text: str, offset_map: Sequence[int] | None, max_depth: int) -> None:
        self.text = text
        self.offset_map = offset_map
        self.max_depth = max_depth
        self.duplicates: list[DuplicateKey] = []

    def _map(self, offset: int) -> int:
        if self.offset_map is None:
            return offset
        if offset < len(self.offset_map):
            return self.offset_map[offset]
        return self.offset_map[-1] + 1 if self.offset_map else offset

    def span(self, start: int, end: int) -> Span:
        if self.offset_map is None:
            return Span(start, end)
        # The end is exclusive: the start of the following character is where this token ends in the outer
        # file (decoded characters come from contiguous source text, escapes included).
        if end < len(self.offset_map):
            return Span(self._map(start), self.offset_map[end])
        return Span(self._map(start), self._map(end - 1) + 1 if end > start else self._map(start))

    def error(self, message: str, offset: int) -> JsonSyntaxError:
        return JsonSyntaxError(message, self._map(offset))

    def parse(self) -> JNode:
        text = self.text
        pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
        if pos == len(text):
            raise self.error("empty document: expected a JSON value", pos)
        stack: list[_Frame] = []
        root: JNode | None = None
        while True:
            # Expect a value at pos.
            if pos >= len(text):
                raise self.error("unexpected end of input: expected a value", pos)
            ch = text[pos]
            node: JNode | None = None
            if ch == "{" or ch == "[":
                if len(stack) >= self.max_depth:
                    raise self.error(f"nesting deeper than {self.max_depth} levels", pos)
                node = JNode("object" if ch == "{" else "array", Span(pos, pos))
                frame = _Frame(node, pointer=self._child_pointer(stack))
                stack.append(frame)
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                closing = "}" if ch == "{" else "]"
                if pos < len(text) and text[pos] == closing:
                    pos += 1
                    node = self._close(stack, pos)
                elif ch == "{":
                    pos = self._read_key(frame, pos)
                    continue
                else:
                    continue
            else:
                node, pos = self._scalar(pos)
            # A complete value (scalar or closed container) was produced: attach it, then read separators.
            while True:
                if not stack:
                    root = node
                    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
                    if pos != len(text):
                        raise self.error("unexpected data after the JSON value", pos)
                    return root
                frame = stack[-1]
                self._attach(frame, node)
                pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
                if pos >= len(text):
                    raise self.error("unexpected end of input: unclosed object or array", pos)
                sep = text[pos]
                closing = "}" if frame.node.kind == "object" else "]"
                if sep == ",":
                    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                    if frame.node.kind == "object":
                        pos = self._read_key(frame, pos)
                    break
                if sep == closing:
                    pos += 1
                    node = self._close(stack, pos)
                    continue
                expected = "',' or '}'" if closing == "}" else "',' or ']'"
                raise self.error(f"expected {expected}, found {sep!r}", pos)

    def _child_pointer(self, stack: list[_Frame]) -> str:
        if not stack:
            return ""
        parent = stack[-1]
        if parent.node.kind == "object":
            return f"{parent.pointer}/{escape_pointer_token(parent.pending_key or '')}"
        return f"{parent.pointer}/{len(parent.node.items)}"

    def _close(self, stack: list[_Frame], end: int) -> JNode:
        frame = stack.pop()
        start = frame.node.span.start
        frame.node.span = self.span(start, end)
        return frame.node

    def _attach(self, frame: _Frame, node: JNode) -> None:
        if frame.node.kind == "array":
            frame.node.items.append(node)
            return
        key = frame.pending_key
        key_span = frame.pending_key_span
        assert key is not None and key_span is not None
        if key in frame.seen:
            self.duplicates.append(
                DuplicateKey(key, f"{frame.pointer}/{escape_pointer_token(key)}", frame.seen[key], key_span)
            )
        frame.seen[key] = key_span
        frame.node.members.append(JMember(key, key_span, node))
        frame.pending_key = None

    def _read_key(self, frame: _Frame, pos: int) -> int:
        text = self.text
        if pos >= len(text) or text[pos] != '"':
            found = repr(text[pos]) if pos < len(text) else "end of input"
            raise self.error(f"expected a string key, found {found}", pos)
        key, end = self._string(pos)
        frame.pending_key = key
        frame.pending_key_span = self.span(pos, end)
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if pos >= len(text) or text[pos] != ":":
            raise self.error("expected ':' after object key", pos)
        return _WS.match(text, pos + 1).end()  # type: ignore[union-attr]

    def _string(self, pos: int) -> tuple[str, int]:
        text = self.text
        body = _STRING_BODY.match(text, pos + 1)
        assert body is not None
        end = body.end()
        if end < len(text) and text[end] == '"':
            return text[pos + 1 : end], end + 1
        match = _STRING.match(text, pos)
        if match is None:
            bad = end if end < len(text) else len(text)
            if bad >= len(text):
                raise self.error("unterminated string", pos)
            raise self.error("invalid character or escape in string", bad)
        raw = match.group(0)
        return json.loads(raw), match.end()

    def _scalar(self, pos: int) -> tuple[JNode, int]:
        text = self.text
        ch = text[pos]
        if ch == '"':
            value, end = self._string(pos)
            return JNode("string", self.span(pos, end), value), end
        if ch == "t" and text.startswith("true", pos):
            return JNode("bool", self.span(pos, pos + 4), True), pos + 4
        if ch == "f" and text.startswith("false", pos):
            return JNode("bool", self.span(pos, pos + 5), False), pos + 5
        if ch == "n" and text.startswith("null", pos):
            return JNode("null", self.span(pos, pos + 4), None), pos + 4
        match = _NUMBER.match(text, pos)
        if match is not None and match.end() > pos:
            raw = match.group(0)
            number: int | float
            try:
                number = float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:
                # More than sys.get_int_max_str_digits() (4,300) digits: int() refuses (CPython's guard
                # against quadratic conversion). Valid JSON all the same; keep it as the float it overflows
                # to, as "1e400" is kept, instead of crashing on one hostile number.
                number = float(raw)
            return JNode("number", self.span(pos, match.end()), number), match.end()
        raise self.error(f"unexpected character {ch!r}: expected a JSON value", pos)


@dataclass(frozen=True, slots=True)
class ParsedJson:
    """The root node of a parsed document and the duplicate keys found in it."""

    root: JNode
    duplicates: tuple[DuplicateKey, ...]


def parse_json(
    text: str, *, offset_map: Sequence[int] | None = None, max_depth: int = DEFAULT_MAX_DEPTH
) -> ParsedJson:
    """Parse JSON text into a tree with spans; raise :class:`JsonSyntaxError` with a mapped offset on error."""
    fast = _parse_valid(text, offset_map, max_depth)
    if fast is not None:
        return fast
    # Invalid, too deep, or outside what json.loads and IAM agree on (NaN, ...): the character-by-character
    # parser decides, and names the first error with its exact offset.
    parser = _Parser(text, offset_map, max_depth)
    root = parser.parse()
    return ParsedJson(root, tuple(parser.duplicates))


# -- the fast path for valid documents ------------------------------------------------------------------------
#
# Measured on the 1,643 AWS managed policies (212,008 tokens), CPython 3.11, CPU seconds in a fresh process that
# keeps every tree (as loading does), median of 3: the character-by-character parser above takes 1.3 s with the
# default garbage-collector thresholds and 0.75 s with the command line's (engine.runner.batch_gc); this path
# 1.0 s and 0.41 s; json.loads alone 0.02 s. What remains is Python work per token, so a valid document is
# parsed twice at C speed -- json.loads for the values (members kept as pairs, so repeated keys survive) and one
# regex pass for the offsets of every token (0.12 s) -- and one Python walk zips the two into JNodes.
# json.loads is the validator: when it accepts the text, the text is valid JSON, so the token regex below needs
# no error handling; where json.loads is laxer than RFC 8259 (NaN, Infinity) it is told to refuse, and every
# refusal goes to the strict parser, which then reports the error exactly as before. tests/test_json_tree_fast.py
# compares the two parsers' trees, spans and errors on the corpora and on generated documents.


class _NoChildren(list[Any]):
    """The ``members`` of a node that is not an object, or the ``items`` of one that is not an array, shared by
    every such node of a parsed tree: an empty list that refuses to grow.

    A parsed tree keeps every token as a node, and all but a few of its lists are these: on an organisation of
    300 accounts (7 MB of exports), 378,000 of 390,000 lists, 21 MB of 131 MB -- about 350 MB at 5,000
    accounts. One shared list instead costs nothing; since it is shared, changing it would change every node,
    so it raises instead (a loader that builds a tree of its own gets fresh lists from ``JNode``'s defaults).
    """

    __slots__ = ()

    def _refuse(self) -> NoReturn:
        raise TypeError("a JSON node of this kind has no members or items to change")

    def append(self, item: Any) -> NoReturn:
        self._refuse()

    def extend(self, items: Any) -> NoReturn:
        self._refuse()

    def insert(self, index: Any, item: Any) -> NoReturn:
        self._refuse()

    def __setitem__(self, index: Any, value: Any) -> NoReturn:
        self._refuse()

    def __delitem__(self, index: Any) -> NoReturn:
        self._refuse()

    def __iadd__(self, items: Any) -> Self:  # type: ignore[misc]  # raises: the result type is moot
        self._refuse()

    def __imul__(self, count: Any) -> Self:  # type: ignore[misc]  # raises: the result type is moot
        self._refuse()

    def pop(self, index: Any = -1) -> NoReturn:
        self._refuse()

    def remove(self, item: Any) -> NoReturn:
        self._refuse()

    def clear(self) -> NoReturn:
        self._refuse()

    def sort(self, *, key: Any = None, reverse: bool = False) -> NoReturn:
        self._refuse()

    def reverse(self) -> NoReturn:
        self._refuse()


_NO_MEMBERS: list[JMember] = _NoChildren()
_NO_ITEMS: list[JNode] = _NoChildren()


class _Pairs(list[tuple[str, object]]):
    """An object's members as ``json.loads`` read them, in order, duplicates included."""

    __slots__ = ()


class _NeedsStrictParserError(Exception):
    """The document needs the strict parser (too deep for the walk, or a constant json.loads would accept)."""


def _refuse_constant(name: str) -> object:
    raise _NeedsStrictParserError(name)


# One alternative per token kind the walk consumes: brackets, a whole string (escapes included), a number or
# literal. Commas, colons and white space are skipped by finditer. Only valid JSON ever reaches it.
_TOKEN = re.compile(r'[{}\[\]]|"[^"\\]*(?:\\.[^"\\]*)*"|[^ \t\n\r,:{}\[\]"]+')
_DECODE = json.JSONDecoder(object_pairs_hook=_Pairs, parse_constant=_refuse_constant).decode
_SPAN_OF = re.Match.span


def _parse_valid(text: str, offset_map: Sequence[int] | None, max_depth: int) -> ParsedJson | None:
    """Return the parse of ``text`` if it is valid JSON within ``max_depth``, else None."""
    try:
        value = _DECODE(text)
    except (ValueError, RecursionError, _NeedsStrictParserError):
        return None
    spans = list(map(_SPAN_OF, _TOKEN.finditer(text)))
    if offset_map is not None:
        mapper = _Parser(text, offset_map, max_depth)
        spans = [(s.start, s.end) for s in (mapper.span(start, end) for start, end in spans)]
    walk = _Walk(spans, max_depth)
    try:
        root = walk.value(value, 0, "")
    except (_NeedsStrictParserError, RecursionError):
        return None
    return ParsedJson(root, tuple(walk.duplicates))


class _Walk:
    """Zip ``json.loads``'s values with the token spans, in document order, into a JNode tree."""

    __slots__ = ("duplicates", "max_depth", "next_span")

    def __init__(self, spans: list[tuple[int, int]], max_depth: int) -> None:
        # Every value and key consumes its tokens from this one iterator, in document order; a container takes
        # its opening bracket, its members' tokens (recursively), then its closing bracket.
        self.next_span = iter(spans).__next__
        self.max_depth = max_depth
        self.duplicates: list[DuplicateKey] = []

    def value(self, value: object, depth: int, pointer: str) -> JNode:
        """Return the node of ``value``, whose first token is the next one; ``pointer`` is its JSON Pointer."""
        if isinstance(value, str):
            start, end = self.next_span()
            return JNode("string", Span(start, end), value, _NO_MEMBERS, _NO_ITEMS)
        if isinstance(value, _Pairs):
            return self._object(value, depth, pointer)
        if isinstance(value, list):
            return self._array(value, depth, pointer)
        start, end = self.next_span()
        if isinstance(value, bool):
            return JNode("bool", Span(start, end), value, _NO_MEMBERS, _NO_ITEMS)
        if isinstance(value, int | float):
            return JNode("number", Span(start, end), value, _NO_MEMBERS, _NO_ITEMS)
        return JNode("null", Span(start, end), None, _NO_MEMBERS, _NO_ITEMS)

    def _object(self, pairs: _Pairs, depth: int, pointer: str) -> JNode:
        if depth >= self.max_depth:
            raise _NeedsStrictParserError("depth")
        next_span = self.next_span
        start = next_span()[0]
        members: list[JMember] = []
        append = members.append
        value_of = self.value
        # Repeated keys are rare: find out once (at C speed) whether this object has any.
        seen: dict[str, Span] | None = {} if len(pairs) > 1 and len(dict(pairs)) != len(pairs) else None
        for key, item in pairs:
            key_start, key_end = next_span()
            if isinstance(item, str):
                # The common case inline: a string member needs no call.
                value_start, value_end = next_span()
                node = JNode("string", Span(value_start, value_end), item, _NO_MEMBERS, _NO_ITEMS)
            else:
                node = value_of(item, depth + 1, f"{pointer}/{escape_pointer_token(key)}")
            key_span = Span(key_start, key_end)
            append(JMember(key, key_span, node))
            if seen is not None:
                self._check_duplicate(seen, key, key_span, pointer)
        return JNode("object", Span(start, next_span()[1]), None, members, _NO_ITEMS)

    def _check_duplicate(self, seen: dict[str, Span], key: str, key_span: Span, pointer: str) -> None:
        # Same order and pairing as the strict parser: recorded once the member's value is complete, and
        # each repeat against the previous occurrence.
        previous = seen.get(key)
        if previous is not None:
            self.duplicates.append(
                DuplicateKey(key, f"{pointer}/{escape_pointer_token(key)}", previous, key_span)
            )
        seen[key] = key_span

    def _array(self, values: list[object], depth: int, pointer: str) -> JNode:
        if depth >= self.max_depth:
            raise _NeedsStrictParserError("depth")
        next_span = self.next_span
        start = next_span()[0]
        items: list[JNode] = []
        append = items.append
        value_of = self.value
        for index, item in enumerate(values):
            if isinstance(item, str):
                item_start, item_end = next_span()
                append(JNode("string", Span(item_start, item_end), item, _NO_MEMBERS, _NO_ITEMS))
            else:
                append(value_of(item, depth + 1, f"{pointer}/{index}"))
        return JNode("array", Span(start, next_span()[1]), None, _NO_MEMBERS, items)
