"""A YAML reader that builds the same span-carrying :class:`JNode` tree as the JSON parser.

PyYAML's *safe* parser turns the text into events (scalar, mapping start/end, alias, ...) that carry the
character offsets of their start and end; this module builds the tree from those events itself, with an
explicit stack. It never calls ``yaml.load`` and never constructs Python objects from tags: a tag is only a
name here. Building from events (instead of ``yaml.compose``) keeps three things under our control:

* nesting depth: an explicit stack, so ``[[[[...`` 100,000 levels deep is a :class:`YamlLimitError` with a
  position, not a ``RecursionError`` (PyYAML's composer recurses, and libyaml's Cython composer would too);
* aliases: an alias is the anchored node again (shared, not copied), and every alias adds the size of the tree
  it stands for to a node budget, so a "billion laughs" document stops at :data:`DEFAULT_MAX_NODES` expanded
  nodes -- in a few milliseconds, whatever it would expand to;
* tags: local tags listed in ``short_tags`` become one-member mappings (CloudFormation's ``!Sub x`` becomes
  ``{"Fn::Sub": "x"}``), the member key spanning the tag; a tag we do not know is a :class:`YamlIssue`, and the
  value is kept as if untagged.

Scalars are typed by YAML 1.1's implicit resolvers (PyYAML's ``Resolver``, what CloudFormation's YAML 1.1
parser also uses): ``3600`` is a number, ``true``/``yes`` a boolean, ``~``/``null`` null; timestamps stay strings,
as CloudFormation reads them (it does not support the timestamp tag). Mapping keys are always strings (their
text). Spans are character offsets into the text (PyYAML's marks count code points, for the C and the Python
parser alike).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from xacct_lint.parse.json_tree import DuplicateKey, JMember, JNode, escape_pointer_token
from xacct_lint.parse.source import Span

DEFAULT_MAX_DEPTH = 256
# Expanded nodes (aliases count with the size of what they stand for). CloudFormation accepts templates of at
# most 1 MB (through S3), a few hundred thousand nodes at the very most; a document larger than this is not a
# template someone deploys.
DEFAULT_MAX_NODES = 500_000

_YAML_TAG = "tag:yaml.org,2002:"
# Standard tags CloudFormation rejects ("The binary, omap, pairs, set, and timestamp tags", template-formats).
_UNSUPPORTED_STANDARD_TAGS = frozenset({"binary", "omap", "pairs", "set", "timestamp"})


class YamlSyntaxError(ValueError):
    """The text is not YAML; ``offset`` is where the parser stopped."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class YamlLimitError(ValueError):
    """The document exceeds a safety limit (nesting depth, expanded size); ``offset`` is where it did."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class YamlIssue:
    """Something in a document that parsed but that a consumer may reject.

    ``code`` is ``unknown-tag``, ``unsupported-tag`` (binary, omap, pairs, set, timestamp), ``alias`` (first
    alias of the document; ``message`` counts them), ``merge-key`` (``<<``), ``complex-key`` (a mapping or
    sequence used as a key, skipped) or ``extra-document`` (documents after the first, ignored).
    """

    code: str
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class ParsedYaml:
    """The root of the first document (None for an empty stream), its duplicate keys and issues."""

    root: JNode | None
    duplicates: tuple[DuplicateKey, ...]
    issues: tuple[YamlIssue, ...]


@dataclass(slots=True)
class _Frame:
    node: JNode
    pointer: str
    anchor: str | None
    wrap: tuple[str, Span] | None  # (long-form key, tag span) for a short-form tagged collection
    size: int = 1
    pending_key: tuple[str, Span] | None = None
    seen: dict[str, Span] = field(default_factory=dict)
    merges: list[tuple[JNode, Span]] = field(default_factory=list)
    key_is_merge: bool = False
    skip_value: bool = False  # the key was not a scalar: its value is dropped


class _Builder:
    def __init__(self, text: str, short_tags: Mapping[str, str], max_depth: int, max_nodes: int) -> None:
        import yaml

        self.yaml = yaml
        self.text = text
        self.short_tags = short_tags
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[JNode, int]] = {}
        self.duplicates: list[DuplicateKey] = []
        self.issues: list[YamlIssue] = []
        self.nodes = 0
        self.alias_count = 0
        self.first_alias: Span | None = None
        self.root: JNode | None = None

    # -- tags ---------------------------------------------------------------------------------------------

    def tag_span(self, start: int, tag: str) -> Span:
        # The event starts at its properties (anchor and tag, in either order): find the tag's own text.
        shown = tag
        if tag.startswith(_YAML_TAG):
            shown = "!!" + tag[len(_YAML_TAG) :]
        found = self.text.find(shown, start, start + len(shown) + 256)
        if found == -1:
            found = self.text.find("!", start, start + 256)
            return Span(start, start + 1) if found == -1 else Span(found, found + 1)
        return Span(found, found + len(shown))

    def classify_tag(self, tag: str | None, start: int) -> tuple[str | None, str | None]:
        """Return (long-form key for a short tag, standard type name) for an explicit tag; record issues."""
        if tag is None or tag == "!":
            return None, None
        if tag in self.short_tags:
            return self.short_tags[tag], None
        if tag.startswith(_YAML_TAG):
            name = tag[len(_YAML_TAG) :]
            if name in ("str", "int", "float", "bool", "null", "seq", "map"):
                return None, name
            if name in _UNSUPPORTED_STANDARD_TAGS:
                self.issues.append(
                    YamlIssue(
                        "unsupported-tag",
                        f"the YAML tag !!{name} is not supported by CloudFormation (it rejects the binary, omap, "
                        "pairs, set and timestamp tags); the value is read as if untagged",
                        self.tag_span(start, tag),
                    )
                )
                return None, None
        shown = "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag
        self.issues.append(
            YamlIssue(
                "unknown-tag",
                f"unknown YAML tag {shown}: it is not one of CloudFormation's short-form intrinsic functions "
                "(!Ref, !Sub, !GetAtt, ...); the value is read as if untagged",
                self.tag_span(start, tag),
            )
        )
        return None, None

    # -- scalars ------------------------------------------------------------------------------------------

    def scalar(self, event: Any, standard: str | None) -> JNode:
        value: str = event.value
        span = Span(event.start_mark.index, event.end_mark.index)
        if standard is None:
            if event.tag is not None and event.tag != "!":
                return JNode("string", span, value)  # a short-form or unknown tag: its value is text
            # typeshed leaves Resolver.resolve unannotated; it returns the tag name.
            resolved: str = self.resolver.resolve(  # type: ignore[no-untyped-call]
                self.yaml.ScalarNode, value, event.implicit
            )
            standard = resolved[len(_YAML_TAG) :] if resolved.startswith(_YAML_TAG) else "str"
        node = self.yaml.ScalarNode(_YAML_TAG + standard, value)
        try:
            if standard == "int":
                return JNode("number", span, int(self.constructor.construct_yaml_int(node)))
            if standard == "float":
                return JNode("number", span, float(self.constructor.construct_yaml_float(node)))
            if standard == "bool":
                return JNode("bool", span, bool(self.constructor.construct_yaml_bool(node)))
        except (ValueError, KeyError, self.yaml.YAMLError):
            return JNode("string", span, value)  # an explicit !!int on text that is no integer
        if standard == "null":
            return JNode("null", span, None)
        return JNode("string", span, value)

    # -- structure ----------------------------------------------------------------------------------------

    def count(self, amount: int, offset: int) -> None:
        self.nodes += amount
        if self.nodes > self.max_nodes:
            raise YamlLimitError(
                f"the document expands to more than {self.max_nodes} nodes (aliases count with everything "
                "they repeat): reading stopped here; a YAML alias bomb, or far larger than any CloudFormation "
                "template",
                offset,
            )

    def child_pointer(self) -> str:
        if not self.stack:
            return ""
        parent = self.stack[-1]
        if parent.node.kind == "object":
            key = parent.pending_key[0] if parent.pending_key else ""
            return f"{parent.pointer}/{escape_pointer_token(key)}"
        return f"{parent.pointer}/{len(parent.node.items)}"

    def wrap(self, node: JNode, long_key: str, tag_span: Span) -> JNode:
        return JNode(
            "object", Span(tag_span.start, node.span.end), members=[JMember(long_key, tag_span, node)]
        )

    def attach(self, node: JNode, size: int, anchor: str | None, *, is_merge_key: bool = False) -> None:
        if anchor is not None:
            self.anchors[anchor] = (node, size)
        if not self.stack:
            if self.root is None:
                self.root = node
            return
        frame = self.stack[-1]
        frame.size += size
        if frame.node.kind == "array":
            frame.node.items.append(node)
            return
        if frame.pending_key is None and not frame.skip_value:
            # A key: only scalars can be keys of a JSON-like tree.
            if node.kind in ("object", "array"):
                self.issues.append(
                    YamlIssue(
                        "complex-key",
                        "a mapping or sequence used as a mapping key: CloudFormation keys are strings; "
                        "this entry is ignored",
                        node.span,
                    )
                )
                frame.skip_value = True
                return
            frame.pending_key = (self.key_text(node), node.span)
            frame.key_is_merge = is_merge_key
            return
        if frame.skip_value:
            frame.skip_value = False
            return
        assert frame.pending_key is not None
        key, key_span = frame.pending_key
        frame.pending_key = None
        if frame.key_is_merge:
            frame.key_is_merge = False
            frame.merges.append((node, key_span))
            return
        if key in frame.seen:
            self.duplicates.append(
                DuplicateKey(key, f"{frame.pointer}/{escape_pointer_token(key)}", frame.seen[key], key_span)
            )
        frame.seen[key] = key_span
        frame.node.members.append(JMember(key, key_span, node))

    def key_text(self, node: JNode) -> str:
        # A key is its text as written: `true:` is the key "true", `3600:` the key "3600".
        if node.kind == "string":
            return str(node.value)
        return self.text[node.span.start : node.span.end].strip().strip("'\"")

    def apply_merges(self, frame: _Frame) -> None:
        for source, key_span in frame.merges:
            self.issues.append(
                YamlIssue(
                    "merge-key",
                    "a YAML merge key (<<): CloudFormation does not support hash merges, so it rejects this "
                    "template; the merged entries are read as a YAML 1.1 tool would read them",
                    key_span,
                )
            )
            sources = source.items if source.kind == "array" else [source]
            for item in sources:
                if item.kind != "object":
                    continue
                for member in item.members:
                    if member.key not in frame.seen:
                        frame.seen[member.key] = member.key_span
                        frame.node.members.append(member)

    def start_collection(self, event: Any, kind: str) -> None:
        start = event.start_mark.index
        if len(self.stack) >= self.max_depth:
            raise YamlLimitError(f"nesting deeper than {self.max_depth} levels", start)
        self.count(1, start)
        long_key, _standard = self.classify_tag(event.tag, start)
        pointer = self.child_pointer()
        wrap = None
        if long_key is not None:
            wrap = (long_key, self.tag_span(start, event.tag))
            pointer = f"{pointer}/{escape_pointer_token(long_key)}"
        node = JNode(kind, Span(start, start))
        self.stack.append(_Frame(node, pointer, event.anchor, wrap))

    def end_collection(self, event: Any) -> None:
        frame = self.stack.pop()
        node = frame.node
        if frame.merges:
            self.apply_merges(frame)
        # Block collections end where the next token starts (after comments and blank lines): end the span at
        # the last child instead, so a finding on a whole mapping does not run into the next key.
        last_end = event.end_mark.index
        if node.kind == "object" and node.members:
            last_end = max(m.value.span.end for m in node.members)
        elif node.kind == "array" and node.items:
            last_end = node.items[-1].span.end
        if self.text[event.start_mark.index : event.end_mark.index] in ("}", "]"):
            last_end = event.end_mark.index
        node.span = Span(node.span.start, max(last_end, node.span.start))
        result = node
        if frame.wrap is not None:
            result = self.wrap(node, *frame.wrap)
        self.attach(result, frame.size, frame.anchor)

    def alias(self, event: Any) -> None:
        start = event.start_mark.index
        span = Span(start, event.end_mark.index)
        found = self.anchors.get(event.anchor)
        if found is None:
            raise YamlSyntaxError(
                f"alias *{event.anchor} refers to no anchor defined before it (or to the node it is inside)",
                start,
            )
        node, size = found
        self.alias_count += 1
        if self.first_alias is None:
            self.first_alias = span
        self.count(size, start)
        self.attach(node, size, None)

    def scalar_event(self, event: Any) -> None:
        start = event.start_mark.index
        self.count(1, start)
        long_key, standard = self.classify_tag(event.tag, start)
        node = self.scalar(event, standard)
        is_merge = (
            event.tag is None
            and event.implicit[0]
            and event.value == "<<"
            and bool(self.stack)
            and self.stack[-1].node.kind == "object"
            and self.stack[-1].pending_key is None
        )
        if long_key is not None:
            tag_span = self.tag_span(start, event.tag)
            value_start = tag_span.end
            while value_start < node.span.end and self.text[value_start] in " \t\r\n":
                value_start += 1
            node.span = Span(min(value_start, node.span.end), node.span.end)
            node = self.wrap(node, long_key, tag_span)
        self.attach(node, 1, event.anchor, is_merge_key=is_merge)

    def build(self, events: Iterator[Any]) -> None:
        yaml = self.yaml
        documents = 0
        for event in events:
            if isinstance(event, yaml.ScalarEvent):
                self.scalar_event(event)
            elif isinstance(event, yaml.MappingStartEvent):
                self.start_collection(event, "object")
            elif isinstance(event, yaml.SequenceStartEvent):
                self.start_collection(event, "array")
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                self.end_collection(event)
            elif isinstance(event, yaml.AliasEvent):
                self.alias(event)
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self.issues.append(
                        YamlIssue(
                            "extra-document",
                            "a second YAML document in the stream: a template is one document; everything "
                            "after the first is ignored",
                            Span(event.start_mark.index, event.end_mark.index),
                        )
                    )
                    break  # the rest of the stream is not read (nor parsed: a bomb there costs nothing)
        if self.alias_count:
            assert self.first_alias is not None
            more = f" ({self.alias_count} aliases in this document)" if self.alias_count > 1 else ""
            self.issues.append(
                YamlIssue(
                    "alias",
                    f"a YAML alias{more}: CloudFormation does not support aliases, so it rejects this template; "
                    "the aliased values are read as a YAML 1.1 tool would read them",
                    self.first_alias,
                )
            )


def parse_yaml(
    text: str,
    *,
    short_tags: Mapping[str, str] | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> ParsedYaml:
    """Parse the first YAML document of ``text`` into a span-carrying tree.

    Raise :class:`YamlSyntaxError` for text that is not YAML and :class:`YamlLimitError` for a document deeper
    than ``max_depth`` or larger than ``max_nodes`` once aliases are expanded. ``short_tags`` maps local tags
    (``"!Sub"``) to the key of the one-member mapping they stand for (``"Fn::Sub"``).
    """
    import yaml

    # The C parser (libyaml) when PyYAML was built with it; both are safe parsers that only produce events.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    builder = _Builder(text, short_tags or {}, max_depth, max_nodes)
    try:
        try:
            builder.build(iter(yaml.parse(text, Loader=loader)))
        except yaml.MarkedYAMLError as exc:
            # libyaml 0.2.5 as bundled with PyYAML 6.0.4 refuses flow nesting deeper than 1,000 levels while its
            # scanner looks ahead, before our builder has seen the events of level ``max_depth`` (at most 512):
            # the pure-Python parser streams them, so the limit is reported as ours, at its exact position.
            if loader is yaml.SafeLoader or "maximum nesting depth" not in str(exc.problem):
                raise
            builder = _Builder(text, short_tags or {}, max_depth, max_nodes)
            builder.build(iter(yaml.parse(text, Loader=yaml.SafeLoader)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        offset = mark.index if mark is not None else 0
        raise YamlSyntaxError(_describe(exc), min(offset, len(text))) from None
    except yaml.YAMLError as exc:  # a ReaderError: a character YAML does not allow
        position = getattr(exc, "position", 0)
        raise YamlSyntaxError(str(exc).splitlines()[0], min(int(position or 0), len(text))) from None
    return ParsedYaml(builder.root, tuple(builder.duplicates), tuple(builder.issues))


def _describe(exc: Any) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "; ".join(parts) if parts else "invalid YAML"
