"""Load Terraform configurations (``.tf``, HCL2): IAM roles, their policies, and the policy documents they use.

Read: ``aws_iam_role`` (``assume_role_policy``, ``inline_policy`` blocks, ``managed_policy_arns``,
``max_session_duration``, ``path``, ``tags``), ``aws_iam_role_policy``, ``aws_iam_policy``,
``aws_iam_role_policy_attachment`` and ``data "aws_iam_policy_document"`` (statements, principals and
conditions as blocks, turned into the policy JSON the AWS provider renders). A policy may be written as
``jsonencode({...})``, a heredoc or quoted JSON string, or a reference to ``data.aws_iam_policy_document.x.json``.

A Terraform module is a directory: variables, locals, providers and data sources declared in one ``.tf`` file
are used in the others, so the whole directory is parsed once per run (``LoadContext.memo``) and each file
reports what it defines. Values of variables, lowest to highest precedence (as Terraform orders them):
``default``, ``terraform.tfvars``, ``*.auto.tfvars`` (in name order), then the configuration's ``[variables]``
and ``--var NAME=VALUE``. Provider aliases hint at the account a resource lands in: ``provider = aws.prod``
with ``assume_role { role_arn = "arn:aws:iam::222222222222:role/..." }`` (or a single
``allowed_account_ids``) puts the resource into account 222222222222; a resource whose account cannot be
known yields its policies but no role (a role ARN is never guessed).

**Symbolic values.** What cannot be resolved -- a variable without a default or value, a resource attribute
only known after apply, a function we do not evaluate -- stays in the document as the text ``${expression}``
(``${var.external_id}``), exactly as Terraform's template syntax writes it, and that string is a symbol
(:func:`terraform_symbols`): XA006 reports it as a warning saying what the expression is and how to give it a
value, and the evaluator's search treats it as a value no real request carries (a condition ``StringEquals
sts:ExternalId ${var.external_id}`` still requires *some* ExternalId, so the policy is not reported as missing
one; the value itself is reported as unresolved).

**Positions.** python-hcl2's dictionary output (``with_meta``) carries only start and end *lines* of blocks and
attributes. We use its Lark parse tree instead (``hcl2.parses_to_tree``, built with ``propagate_positions``),
which gives the exact character span of every expression and token: findings point at the line *and column* of
the value in the ``.tf`` file. Inside strings and heredocs every character is mapped to the character (or
escape, or ``${...}`` interpolation) that produced it. Blocks of an ``aws_iam_policy_document`` map to the
attributes that produce each JSON member (``Principal`` -> the ``principals`` block, its ``AWS`` member -> the
``type`` attribute, the values -> ``identifiers``; ``Condition/StringEquals/sts:ExternalId`` -> the
``condition`` block's ``test``, ``variable`` and ``values``). Members Terraform adds by default (``Version``,
``Effect = "Allow"``) point at the block that implies them.

Input we cannot parse is an ``invalid-json`` load problem (reported by XA001) at the character where the HCL2
parser stopped; nothing raises.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xacct_lint.load.base import FileLoad, LoadContext
from xacct_lint.load.embedded import anchor, parse_embedded_json, policy_of
from xacct_lint.model.inventory import LoadProblem, Location, Policy, PolicyKind, Role, arn_account
from xacct_lint.parse.json_tree import JMember, JNode
from xacct_lint.parse.placeholders import PlaceholderPattern
from xacct_lint.parse.source import SourceFile, Span, printable_path
from xacct_lint.parse.symbols import Symbol, mark_symbols

# lark's _Lark and _Lark (imported lazily with hcl2); Any because lark's trees are untyped containers.
_Lark = Any

MEMO_KEY = "xacct_lint.load.terraform"
MAX_DEPTH = 200  # expression nesting we evaluate; deeper input stays symbolic instead of exhausting the stack
_ACCOUNT = re.compile(r"^\d{12}$")
_TRAVERSAL = re.compile(r"^\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*)\s*$")
_HCL_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_POLICY_ATTRIBUTES = {  # resource type -> attribute holding a policy document, and its kind
    "aws_iam_role_policy": ("policy", PolicyKind.IDENTITY),
    "aws_iam_policy": ("policy", PolicyKind.IDENTITY),
}


# --- evaluated values ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class Val:
    """An evaluated HCL expression with its span in the file that wrote it.

    ``kind`` is ``string``, ``number``, ``bool``, ``null``, ``object``, ``tuple``, ``json`` (the result of
    ``jsonencode``: ``inner`` holds the encoded value) or ``document`` (``data.aws_iam_policy_document.x.json``:
    ``doc`` is the built policy tree). Strings carry ``offsets``, the origin of each character. ``symbolic``
    marks a value we could not resolve (its text is ``${expression}``).
    """

    kind: str
    span: Span
    file: str
    value: str | int | float | bool | None = None
    offsets: list[int] = field(default_factory=list)
    members: list[tuple[str, Span, Val]] = field(default_factory=list)
    items: list[Val] = field(default_factory=list)
    inner: Val | None = None
    doc: JNode | None = None
    symbolic: bool = False

    def get(self, key: str) -> Val | None:
        for name, _span, value in reversed(self.members):
            if name == key:
                return value
        return None

    @property
    def text(self) -> str | None:
        """Return the value as a string when it is a scalar (numbers and bools as Terraform prints them)."""
        if self.kind == "string":
            return str(self.value)
        if self.kind == "bool":
            return "true" if self.value else "false"
        if self.kind == "number":
            return str(self.value)
        return None


def _relocated(value: Val, span: Span, file: str) -> Val:
    """Return ``value`` placed at ``span`` of ``file`` (a value defined in another file is shown where used)."""
    if value.file == file:
        return value
    return Val(
        value.kind,
        span,
        file,
        value.value,
        [span.start] * len(value.offsets),
        [(k, span, _relocated(v, span, file)) for k, _s, v in value.members],
        [_relocated(v, span, file) for v in value.items],
        _relocated(value.inner, span, file) if value.inner is not None else None,
        None,  # a document tree keeps spans of its own file: used only where it is defined
        value.symbolic,
    )


# --- the parse tree ----------------------------------------------------------------------------------------


def _is_tree(node: object) -> bool:
    return hasattr(node, "data")


def _span(node: _Lark) -> Span:
    if _is_tree(node):
        meta = node.meta
        if getattr(meta, "empty", True):
            return Span(0, 0)
        return Span(meta.start_pos, meta.end_pos)
    token: _Lark = node
    return Span(token.start_pos or 0, token.end_pos or 0)


def _kids(tree: _Lark) -> list[Any]:
    """Return the children that carry meaning (no newlines or comments)."""
    return [c for c in tree.children if not (_is_tree(c) and c.data == "new_line_or_comment")]


def _subtrees(tree: _Lark) -> list[_Lark]:
    return [c for c in _kids(tree) if _is_tree(c)]


def _name_of(node: _Lark) -> str:
    """Return the text of an identifier, keyword, literal or plain string label."""
    if not _is_tree(node):
        return str(node)
    tree: _Lark = node
    if tree.data == "string":
        return "".join(str(part.children[0]) for part in tree.children if _is_tree(part))
    if tree.data == "expr_term" and tree.children:
        return _name_of(tree.children[0])
    return "".join(_name_of(c) for c in tree.children)


@dataclass(eq=False)
class _Attribute:
    name: str
    name_span: Span
    span: Span
    expr: _Lark


@dataclass(eq=False)
class _Block:
    type: str
    labels: tuple[str, ...]
    span: Span
    header: Span  # the block type and labels: where a block-level finding is shown
    attributes: dict[str, _Attribute]
    blocks: list[_Block]
    file: str

    def children(self, block_type: str) -> list[_Block]:
        return [b for b in self.blocks if b.type == block_type]


def _read_body(body: _Lark, file: str) -> tuple[dict[str, _Attribute], list[_Block]]:
    attributes: dict[str, _Attribute] = {}
    blocks: list[_Block] = []
    for item in _subtrees(body):
        if item.data == "attribute":
            parts = _kids(item)
            name_node, expr = parts[0], parts[-1]
            attributes[_name_of(name_node)] = _Attribute(
                _name_of(name_node), _span(name_node), _span(item), expr
            )
        elif item.data == "block":
            parts = _kids(item)
            inner = next(c for c in parts if _is_tree(c) and c.data == "body")
            heads = [c for c in parts if _is_tree(c) and c.data != "body"]
            header = Span(_span(heads[0]).start, _span(heads[-1]).end)
            child_attributes, child_blocks = _read_body(inner, file)
            blocks.append(
                _Block(
                    _name_of(heads[0]),
                    tuple(_name_of(h) for h in heads[1:]),
                    _span(item),
                    header,
                    child_attributes,
                    child_blocks,
                    file,
                )
            )
    return attributes, blocks


def _syntax_problem(source: SourceFile, exc: Exception) -> LoadProblem:
    offset = getattr(exc, "pos_in_stream", None)
    if not isinstance(offset, int):
        line, column = getattr(exc, "line", None), getattr(exc, "column", None)
        offset = 0
        if isinstance(line, int) and isinstance(column, int) and line >= 1:
            starts = [0, *(m.end() for m in re.finditer("\n", source.text))]
            offset = starts[min(line, len(starts)) - 1] + max(column - 1, 0)
    offset = max(0, min(offset, len(source.text)))
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    detail = re.sub(r"\s*at line \d+,? column \d+\.?$", "", detail)
    token, char = getattr(exc, "token", None), getattr(exc, "char", None)
    if token is not None:  # lark's UnexpectedToken: say what was found, not lark's token class
        shown = str(token)
        detail = f"unexpected {shown[:40]!r}" if shown.strip() else "unexpected end of line or file"
    elif isinstance(char, str):
        detail = f"unexpected character {char!r}"
    return LoadProblem(
        "invalid-json",
        f"not valid Terraform (HCL2) syntax: {detail}",
        Location(source, None, "", span=Span(offset, offset + 1)),
    )


def parse_hcl(source: SourceFile) -> tuple[list[_Block], dict[str, _Attribute], LoadProblem | None]:
    """Return the top-level blocks and attributes of an HCL2 file, or a syntax problem with its position."""
    import hcl2  # deferred: lark's grammar takes a moment to load and only Terraform inputs need it

    try:
        tree = hcl2.parses_to_tree(source.text)
    except RecursionError:
        return (
            [],
            {},
            LoadProblem(
                "invalid-json",
                "not valid Terraform (HCL2) syntax: nested too deeply to parse",
                Location(source, None, "", span=Span(0, 1)),
            ),
        )
    except Exception as exc:  # lark raises many error types; any of them means "cannot parse", never a crash
        return [], {}, _syntax_problem(source, exc)
    body = next((c for c in tree.children if _is_tree(c) and c.data == "body"), None)
    if body is None:
        return [], {}, None
    attributes, blocks = _read_body(body, source.display_path)
    return blocks, attributes, None


# --- strings -----------------------------------------------------------------------------------------------


def _unescape(raw: str, start: int) -> tuple[str, list[int]]:
    """Return the value of HCL string characters (escapes decoded) and the origin offset of each character."""
    chars: list[str] = []
    offsets: list[int] = []
    pos = 0
    while pos < len(raw):
        ch = raw[pos]
        if ch == "\\" and pos + 1 < len(raw):
            escape = raw[pos + 1]
            width = {"u": 4, "U": 8}.get(escape)
            if width is not None and re.fullmatch(r"[0-9a-fA-F]+", raw[pos + 2 : pos + 2 + width] or "x"):
                code = int(raw[pos + 2 : pos + 2 + width], 16)
                chars.append(chr(code) if code <= 0x10FFFF else "\ufffd")
                offsets.append(start + pos)
                pos += 2 + width
                continue
            chars.append(_HCL_ESCAPES.get(escape, escape))
            offsets.append(start + pos)
            pos += 2
            continue
        chars.append(ch)
        offsets.append(start + pos)
        pos += 1
    return "".join(chars), offsets


def _heredoc_body(token_text: str, start: int, trim: bool) -> tuple[str, list[int]]:
    """Return the body of a heredoc token (``<<EOT ... EOT``) and the offset of each of its characters."""
    first_newline = token_text.index("\n")
    body_start = first_newline + 1
    # The closing marker is the last non-blank line of the token.
    closing = token_text.rstrip().rfind("\n")
    body = token_text[body_start : closing + 1] if closing >= body_start else ""
    lines = body.splitlines(keepends=True)
    indent = 0
    if trim:
        widths = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
        indent = min(widths) if widths else 0
    chars: list[str] = []
    offsets: list[int] = []
    pos = start + body_start
    for line in lines:
        drop = min(indent, len(line) - len(line.lstrip(" \t")))
        for index, ch in enumerate(line[drop:]):
            chars.append(ch)
            offsets.append(pos + drop + index)
        pos += len(line)
    return "".join(chars), offsets


def _interpolations(text: str) -> Iterator[tuple[int, int]]:
    """Yield the ``(start, end)`` of every ``${...}`` in template text (``$${`` is an escape, not one)."""
    pos = 0
    while True:
        found = text.find("${", pos)
        if found == -1:
            return
        if found > 0 and text[found - 1] == "$":
            pos = found + 2
            continue
        depth, index, quote = 0, found + 2, False
        while index < len(text):
            ch = text[index]
            if quote:
                if ch == "\\":
                    index += 1
                elif ch == '"':
                    quote = False
            elif ch == '"':
                quote = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                if depth == 0:
                    break
                depth -= 1
            index += 1
        if index >= len(text):
            return
        yield found, index + 1
        pos = index + 1


# --- the module ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Resource:
    block: _Block
    source: SourceFile
    account_id: str | None
    role: Role | None = None
    policy: Policy | None = None  # aws_iam_policy: its document
    arn: str | None = None


@dataclass(eq=False)
class _Module:
    """One directory of ``.tf`` files, evaluated together."""

    sources: dict[str, SourceFile]
    blocks: list[_Block]
    variables: dict[str, Val | None] = field(default_factory=dict)
    locals: dict[str, _Attribute] = field(default_factory=dict)
    locals_value: dict[str, Val] = field(default_factory=dict)
    locals_busy: set[str] = field(default_factory=set)
    providers: dict[str, str | None] = field(default_factory=dict)  # "aws" / "aws.prod" -> account id
    documents: dict[str, _Block] = field(default_factory=dict)
    document_policies: dict[str, Policy] = field(default_factory=dict)
    resources: dict[tuple[str, str], _Resource] = field(default_factory=dict)
    results: dict[str, _FileResult] = field(default_factory=dict)

    def result(self, file: str) -> _FileResult:
        return self.results.setdefault(file, _FileResult())


@dataclass(eq=False)
class _FileResult:
    policies: list[Policy] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


class _Evaluator:
    """Evaluates expressions of one module; ``account_id`` is the account of the resource being read."""

    def __init__(self, module: _Module, file: str, account_id: str | None = None) -> None:
        self.module = module
        self.file = file
        self.source = module.sources[file]
        self.account_id = account_id

    def symbolic(self, node: _Lark) -> Val:
        span = _span(node)
        inner = self.source.text[span.start : span.end]
        text = inner if inner.startswith("${") else "${" + inner + "}"
        offsets = (
            list(range(span.start, span.end))
            if inner.startswith("${")
            else [span.start, span.start, *range(span.start, span.end), max(span.end - 1, span.start)]
        )
        return Val("string", span, self.file, text, offsets, symbolic=True)

    def string(self, text: str, offsets: list[int], span: Span, symbolic: bool = False) -> Val:
        return Val("string", span, self.file, text, offsets, symbolic=symbolic)

    def eval(self, node: _Lark, depth: int = 0) -> Val:
        if depth > MAX_DEPTH or not _is_tree(node):
            return self.symbolic(node)
        tree: _Lark = node
        kind = tree.data
        span = _span(tree)
        if kind == "expr_term":
            parts = _kids(tree)
            inner = [c for c in parts if _is_tree(c)]
            if len(inner) == 1:
                return self.eval(inner[0], depth + 1)
            return self.symbolic(tree)
        if kind == "string":
            return self.template(tree, depth)
        if kind in ("int_lit", "float_lit"):
            raw = str(tree.children[0])
            try:
                number: int | float = int(raw) if kind == "int_lit" else float(raw)
            except ValueError:
                return self.symbolic(tree)
            return Val("number", span, self.file, number)
        if kind == "literal_value":
            word = str(tree.children[0])
            if word == "null":
                return Val("null", span, self.file)
            return Val("bool", span, self.file, word == "true")
        if kind == "tuple":
            return Val("tuple", span, self.file, items=[self.eval(c, depth + 1) for c in _subtrees(tree)])
        if kind == "object":
            return self.object(tree, depth)
        if kind in ("heredoc_template", "heredoc_template_trim"):
            token = tree.children[0]
            body, offsets = _heredoc_body(str(token), _span(token).start, kind == "heredoc_template_trim")
            return self.interpolate(body, offsets, span)
        if kind == "function_call":
            return self.call(tree, depth)
        if kind in ("get_attr_expr_term", "index_expr_term", "identifier"):
            path = _traversal(tree)
            if path is None:
                return self.symbolic(tree)
            return self.reference(path, tree, depth) or self.symbolic(tree)
        return self.symbolic(tree)

    def object(self, tree: _Lark, depth: int) -> Val:
        members: list[tuple[str, Span, Val]] = []
        for elem in _subtrees(tree):
            if elem.data != "object_elem":
                continue
            parts = _subtrees(elem)
            key_node, value_node = parts[0], parts[-1]
            key_expr = _subtrees(key_node)[0] if _subtrees(key_node) else key_node
            key_span = _span(key_node)
            inner = _subtrees(key_expr) if key_expr.data == "expr_term" else []
            if key_expr.data == "keyword" or (len(inner) == 1 and inner[0].data == "identifier"):
                key = _name_of(key_expr)  # a bare name is the key itself, not a reference
            else:
                key_value = self.eval(key_expr, depth + 1)
                key = key_value.text if key_value.text is not None else _name_of(key_expr)
            members.append((key, key_span, self.eval(value_node, depth + 1)))
        return Val("object", _span(tree), self.file, members=members)

    def template(self, tree: _Lark, depth: int) -> Val:
        chars: list[str] = []
        offsets: list[int] = []
        symbolic = False
        for part in tree.children:
            if not _is_tree(part) or part.data != "string_part":
                continue
            piece = part.children[0]
            if not _is_tree(piece):
                token_span = _span(piece)
                raw = str(piece)
                if piece.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    text, piece_offsets = raw[1:], list(range(token_span.start + 1, token_span.end))
                elif piece.type == "STRING_CHARS":
                    text, piece_offsets = _unescape(raw, token_span.start)
                else:
                    text, piece_offsets = raw, list(range(token_span.start, token_span.end))
            elif piece.data == "interpolation":
                expr = next(c for c in _kids(piece) if _is_tree(c))
                value = self.eval(expr, depth + 1)
                interp_span = _span(piece)
                if value.text is not None and not value.symbolic:
                    text, piece_offsets = value.text, [interp_span.start] * len(value.text)
                else:
                    symbolic = True
                    text = self.source.text[interp_span.start : interp_span.end]
                    piece_offsets = list(range(interp_span.start, interp_span.end))
            else:  # template directives (%{ if }, %{ for }): kept as written, reported by XA006
                symbolic = True
                piece_span = _span(piece)
                text = self.source.text[piece_span.start : piece_span.end]
                piece_offsets = list(range(piece_span.start, piece_span.end))
            chars.append(text)
            offsets.extend(piece_offsets)
        return self.string("".join(chars), offsets, _span(tree), symbolic)

    def interpolate(self, body: str, offsets: list[int], span: Span) -> Val:
        """Return heredoc text with the ``${...}`` we can resolve substituted (the rest kept as written)."""
        chars: list[str] = []
        mapped: list[int] = []
        symbolic = False
        pos = 0
        for start, end in _interpolations(body):
            chars.append(body[pos:start].replace("$${", "${"))
            mapped.extend(_drop_escapes(body[pos:start], offsets[pos:start]))
            match = _TRAVERSAL.match(body[start + 2 : end - 1])
            value = self.reference(_split_traversal(match.group(1)), None, 0) if match else None
            if value is not None and value.text is not None and not value.symbolic:
                chars.append(value.text)
                mapped.extend([offsets[start]] * len(value.text))
            else:
                symbolic = True
                chars.append(body[start:end])
                mapped.extend(offsets[start:end])
            pos = end
        chars.append(body[pos:].replace("$${", "${"))
        mapped.extend(_drop_escapes(body[pos:], offsets[pos:]))
        return self.string("".join(chars), mapped, span, symbolic)

    def call(self, tree: _Lark, depth: int) -> Val:
        parts = _kids(tree)
        name = _name_of(parts[0])
        arguments_tree = next((c for c in parts if _is_tree(c) and c.data == "arguments"), None)
        arguments = [self.eval(a, depth + 1) for a in _subtrees(arguments_tree)] if arguments_tree else []
        span = _span(tree)
        if name == "jsonencode" and len(arguments) == 1:
            return Val("json", span, self.file, inner=arguments[0])
        if name in ("tolist", "toset", "tostring", "tomap", "tonumber", "tobool") and len(arguments) == 1:
            return arguments[0]
        if name == "concat" and all(a.kind == "tuple" for a in arguments):
            return Val("tuple", span, self.file, items=[i for a in arguments for i in a.items])
        if name == "format" and arguments and all(a.text is not None and not a.symbolic for a in arguments):
            pattern, *rest = (str(a.text) for a in arguments)
            if pattern.count("%s") == len(rest) and "%" not in pattern.replace("%s", ""):
                text = pattern.replace("%s", "{}").format(*rest)
                return self.string(text, [span.start] * len(text), span)
        if name == "join" and len(arguments) == 2 and arguments[1].kind == "tuple":
            texts = [i.text for i in arguments[1].items]
            if arguments[0].text is not None and all(
                t is not None and not i.symbolic for t, i in zip(texts, arguments[1].items, strict=True)
            ):
                text = str(arguments[0].text).join(str(t) for t in texts)
                return self.string(text, [span.start] * len(text), span)
        return self.symbolic(tree)

    def reference(self, path: list[str], node: _Lark | None, depth: int) -> Val | None:
        """Return the value a traversal names; symbolic (or None without a node) when it is not known."""
        value = self._resolve(path, node, depth)
        if value is not None or node is None:
            return value
        return self.symbolic(node)

    def _resolve(self, path: list[str], node: _Lark | None, depth: int) -> Val | None:
        span = _span(node) if node is not None else Span(0, 0)
        module = self.module
        if len(path) >= 2 and path[0] == "var":
            value = module.variables.get(path[1])
            return _index(_relocated(value, span, self.file), path[2:]) if value is not None else None
        if len(path) >= 2 and path[0] == "local":
            value = self.local(path[1], depth)
            return _index(_relocated(value, span, self.file), path[2:]) if value is not None else None
        if path[:2] == ["data", "aws_iam_policy_document"] and len(path) == 4 and path[3] == "json":
            policy = module.document_policies.get(path[2])
            if policy is None:
                return None
            return Val("document", span, self.file, doc=policy.document.root, value=path[2])
        if path[:2] == ["data", "aws_caller_identity"] and len(path) == 4 and path[3] == "account_id":
            if self.account_id is None:
                return None
            return self.string(self.account_id, [span.start] * 12, span)
        if path[:2] == ["data", "aws_partition"] and len(path) == 4 and path[3] == "partition":
            return self.string("aws", [span.start] * 3, span)
        if len(path) == 3 and path[0] in ("aws_iam_role", "aws_iam_policy"):
            resource = module.resources.get((path[0], path[1]))
            if resource is None:
                return None
            name = _attribute_text(self.module, resource, "name")
            if path[2] in ("name", "id") and name is not None:
                return self.string(name, [span.start] * len(name), span)
            if path[2] == "arn" and resource.arn is not None:
                return self.string(resource.arn, [span.start] * len(resource.arn), span)
        return None

    def local(self, name: str, depth: int) -> Val | None:
        module = self.module
        if name in module.locals_value:
            return module.locals_value[name]
        attribute = module.locals.get(name)
        if attribute is None or name in module.locals_busy:
            return None  # unknown, or a cycle (Terraform rejects those): left symbolic
        module.locals_busy.add(name)
        try:
            file = _file_of(module, attribute)
            value = _Evaluator(module, file, self.account_id).eval(attribute.expr, depth + 1)
        finally:
            module.locals_busy.discard(name)
        module.locals_value[name] = value
        return value


def _drop_escapes(text: str, offsets: Sequence[int]) -> list[int]:
    """Return the offsets of ``text`` after ``$${`` -> ``${`` (one character fewer per escape)."""
    out: list[int] = []
    index = 0
    while index < len(text):
        if text.startswith("$${", index):
            out.append(offsets[index])
            index += 1
            continue
        out.append(offsets[index])
        index += 1
    return out


def _index(value: Val, rest: list[str]) -> Val | None:
    for step in rest:
        if step.isdigit() and value.kind == "tuple":
            position = int(step)
            if position >= len(value.items):
                return None
            value = value.items[position]
        elif value.kind == "object":
            found = value.get(step)
            if found is None:
                return None
            value = found
        else:
            return None
    return value


def _split_traversal(text: str) -> list[str]:
    return [part for part in re.split(r"[.\[\]]", text) if part]


def _traversal(tree: _Lark) -> list[str] | None:
    """Return a reference such as ``var.x``, ``data.t.n.json`` or ``var.list[0]`` as its steps, else None."""
    if tree.data == "identifier":
        return [_name_of(tree)]
    if tree.data == "expr_term":
        inner = _subtrees(tree)
        return _traversal(inner[0]) if len(inner) == 1 and not _has_paren(tree) else None
    if tree.data not in ("get_attr_expr_term", "index_expr_term"):
        return None
    head, step = _subtrees(tree)[0], _subtrees(tree)[-1]
    base = _traversal(head)
    if base is None:
        return None
    if step.data == "get_attr":
        return [*base, _name_of(_subtrees(step)[0])]
    if step.data == "short_index":
        return [*base, str(step.children[-1])]
    if step.data == "braces_index":
        expr = _subtrees(step)[0]
        literal = _subtrees(expr)[0] if expr.data == "expr_term" and _subtrees(expr) else expr
        if literal.data == "int_lit":
            return [*base, str(literal.children[0])]
        if literal.data == "string":
            return [*base, _name_of(literal)]
    return None


def _has_paren(tree: _Lark) -> bool:
    return any(not _is_tree(c) and str(c) == "(" for c in tree.children)


def _file_of(module: _Module, attribute: _Attribute) -> str:
    for file, blocks in _blocks_by_file(module).items():
        for block in blocks:
            if any(a is attribute for a in block.attributes.values()):
                return file
    return next(iter(module.sources))


def _blocks_by_file(module: _Module) -> dict[str, list[_Block]]:
    out: dict[str, list[_Block]] = {}
    for block in module.blocks:
        out.setdefault(block.file, []).append(block)
    return out


def _attribute_text(module: _Module, resource: _Resource, name: str) -> str | None:
    attribute = resource.block.attributes.get(name)
    if attribute is None:
        return None
    value = _Evaluator(module, resource.block.file, resource.account_id).eval(attribute.expr)
    return value.text if value.text is not None else None


# --- policy documents ---------------------------------------------------------------------------------------

_INTERPOLATION = PlaceholderPattern(r"\$\{([^}]*)\}", [("${", "}")])


def terraform_symbols(root: JNode) -> tuple[Symbol, ...]:
    """Return a symbol for every interpolation left in a built policy (``${var.external_id}``): Terraform
    substitutes it at plan or apply time, so the deployed policy holds a value this run cannot know.

    IAM policy variables are not symbols: Terraform writes them ``$${aws:username}`` and they reach IAM as
    ``${aws:username}``, a name with a colon (or ``${*}``, ``${?}``, ``${$}``). An escaped ``$${NAME}`` that
    is meant to reach IAM as text is taken for a symbol too; it is rare, and XA006 still reports it.
    """
    found: dict[str, Symbol] = {}
    for node in root.walk():
        if node.kind != "string" or not isinstance(node.value, str) or "${" not in node.value:
            continue
        for match in _INTERPOLATION.finditer(node.value):
            inner = match.group(1).strip()
            if inner in ("*", "?", "$") or (":" in inner and "::" not in inner):
                continue
            found.setdefault(match.group(0), Symbol(match.group(0), inner, _symbol_reason(inner)))
    return tuple(found.values())


def _symbol_reason(expression: str) -> str:
    parts = expression.split(".")
    if "(" in expression:
        return "a Terraform function call xacct-lint does not evaluate"
    if parts[0] == "var" and len(parts) > 1:
        return (
            f"a Terraform variable with no default and no value in terraform.tfvars or *.auto.tfvars; lint with "
            f"--var {parts[1]}=VALUE or a [variables] entry"
        )
    if parts[0] == "data":
        return "a data source's attribute, read from AWS at plan time"
    if parts[0] == "local":
        return "a local value xacct-lint could not evaluate"
    if parts[0] == "module":
        return "an output of another module"
    return "a resource attribute known only after apply"


def to_jnode(value: Val) -> JNode:
    """Return the JSON tree ``jsonencode`` would produce for a value, with the value's spans."""
    if value.kind == "object":
        node = JNode("object", value.span)
        node.members = [JMember(k, s, to_jnode(v)) for k, s, v in value.members]
        return node
    if value.kind == "tuple":
        return JNode("array", value.span, items=[to_jnode(v) for v in value.items])
    if value.kind in ("number", "bool", "null"):
        return JNode(value.kind, value.span, value.value)
    if value.kind == "json" and value.inner is not None:
        return to_jnode(value.inner)  # jsonencode inside jsonencode: a JSON string; keep its structure
    if value.kind == "document":
        return JNode("string", value.span, "${data.aws_iam_policy_document." + str(value.value) + ".json}")
    return JNode("string", value.span, value.value if isinstance(value.value, str) else str(value.value))


def _document_tree(
    evaluator: _Evaluator, value: Val, where: str, problems: list[LoadProblem]
) -> tuple[JNode, bool] | None:
    """Return the policy tree an attribute's value stands for, and whether it was a JSON string."""
    if value.kind == "json" and value.inner is not None:
        return to_jnode(value.inner), False
    if value.kind == "document" and value.doc is not None:
        return value.doc, False
    if value.kind == "string" and not value.symbolic:
        text = str(value.value)
        if not text.strip():
            return None
        root = parse_embedded_json(evaluator.source, text, value.offsets, where, problems)
        return (root, True) if root is not None else None
    if value.kind == "string" and value.symbolic:
        stripped = str(value.value).lstrip()
        if stripped.startswith("{"):  # JSON text with unresolved parts inside strings: parse it as it stands
            root = parse_embedded_json(evaluator.source, str(value.value), value.offsets, where, problems)
            return (root, True) if root is not None else None
        # Wholly unknown (a variable without a value, file(), a function): a document that is only the
        # symbol, so XA006 reports it at the attribute and no rule mistakes it for a checked policy.
        return JNode("string", value.span, str(value.value)), True
    return None


def _policy_document_block(module: _Module, block: _Block) -> JNode:
    """Return the policy JSON tree an ``aws_iam_policy_document`` data source renders, spans on its blocks."""
    evaluator = _Evaluator(module, block.file, _account_of(module, block))
    label_span = block.header

    def attribute_node(attribute: _Attribute) -> JNode:
        return _single(to_jnode(evaluator.eval(attribute.expr)))

    def member(name: str, key_span: Span, value: JNode) -> JMember:
        return JMember(name, key_span, value)

    root = JNode("object", block.span)
    version = block.attributes.get("version")
    if version is not None:
        root.members.append(member("Version", version.name_span, attribute_node(version)))
    else:
        root.members.append(member("Version", label_span, JNode("string", label_span, "2012-10-17")))
    policy_id = block.attributes.get("policy_id")
    if policy_id is not None:
        root.members.append(member("Id", policy_id.name_span, attribute_node(policy_id)))
    statements = JNode("array", block.span)
    for statement_block in block.children("statement"):
        statement = JNode("object", statement_block.span)
        sid = statement_block.attributes.get("sid")
        if sid is not None:
            statement.members.append(member("Sid", sid.name_span, attribute_node(sid)))
        effect = statement_block.attributes.get("effect")
        if effect is not None:
            statement.members.append(member("Effect", effect.name_span, attribute_node(effect)))
        else:  # the provider's default
            header = statement_block.header
            statement.members.append(member("Effect", header, JNode("string", header, "Allow")))
        for attribute_name, element in (
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ):
            attribute = statement_block.attributes.get(attribute_name)
            if attribute is not None:
                statement.members.append(member(element, attribute.name_span, attribute_node(attribute)))
        for block_type, element in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            principal = _principals(evaluator, statement_block.children(block_type))
            if principal is not None:
                statement.members.append(
                    member(element, statement_block.children(block_type)[0].header, principal)
                )
        condition = _conditions(evaluator, statement_block.children("condition"))
        if condition is not None:
            statement.members.append(
                member("Condition", statement_block.children("condition")[0].header, condition)
            )
        statements.items.append(statement)
    for node in statements.walk():  # lists of one value are rendered as the value, like the provider does
        for item in node.members:
            if item.key in ("Principal", "NotPrincipal", "Condition"):
                for inner in item.value.members:
                    if item.key == "Condition":
                        for key in inner.value.members:
                            key.value = _single(key.value)
                    else:
                        inner.value = _single(inner.value)
    if statements.items:
        first = block.children("statement")[0].header
        root.members.append(member("Statement", first, statements))
    return root


def _single(node: JNode) -> JNode:
    """Return the only item of a one-item list (the provider writes ``"Action": "s3:GetObject"``)."""
    return node.items[0] if node.kind == "array" and len(node.items) == 1 else node


def _principals(evaluator: _Evaluator, blocks: list[_Block]) -> JNode | None:
    if not blocks:
        return None
    node = JNode("object", blocks[0].span)
    by_type: dict[str, JMember] = {}
    for block in blocks:
        type_attribute = block.attributes.get("type")
        identifiers = block.attributes.get("identifiers")
        if type_attribute is None or identifiers is None:
            continue
        type_value = evaluator.eval(type_attribute.expr).text or ""
        values = to_jnode(evaluator.eval(identifiers.expr))
        items = values.items if values.kind == "array" else [values]
        if type_value in by_type:  # repeated blocks of one type are rendered as one list
            by_type[type_value].value.items.extend(items)
            continue
        array = JNode("array", values.span, items=list(items))
        by_type[type_value] = JMember(type_value, type_attribute.span, array)
        node.members.append(by_type[type_value])
    # The provider renders a lone `type = "*"`, `identifiers = ["*"]` as "Principal": "*" (AWS provider
    # iam_policy_model.go, IAMPolicyStatementPrincipalSet.MarshalJSON).
    if len(node.members) == 1 and node.members[0].key == "*":
        items = node.members[0].value.items
        if len(items) == 1 and items[0].value == "*":
            return JNode("string", items[0].span, "*")
    return node


def _conditions(evaluator: _Evaluator, blocks: list[_Block]) -> JNode | None:
    if not blocks:
        return None
    node = JNode("object", blocks[0].span)
    tests: dict[str, JNode] = {}
    for block in blocks:
        test, variable, values = (block.attributes.get(k) for k in ("test", "variable", "values"))
        if test is None or variable is None or values is None:
            continue
        test_text = evaluator.eval(test.expr).text or ""
        variable_text = evaluator.eval(variable.expr).text or ""
        value_node = to_jnode(evaluator.eval(values.expr))
        items = value_node.items if value_node.kind == "array" else [value_node]
        operator = tests.get(test_text)
        if operator is None:
            operator = JNode("object", block.span)
            tests[test_text] = operator
            node.members.append(JMember(test_text, test.span, operator))
        existing = operator.get(variable_text)
        if (
            existing is not None
        ):  # the provider appends the values of a repeated test + variable (UNCONFIRMED)
            existing.items.extend(items)
            continue
        operator.members.append(
            JMember(variable_text, variable.span, JNode("array", value_node.span, items=list(items)))
        )
    return node


# --- accounts -----------------------------------------------------------------------------------------------


def _provider_account(module: _Module, block: _Block) -> str | None:
    evaluator = _Evaluator(module, block.file)
    for assume in block.children("assume_role"):
        role_arn = assume.attributes.get("role_arn")
        if role_arn is not None:
            text = evaluator.eval(role_arn.expr).text
            account = arn_account(text) if text else None
            if account is not None:
                return account
    allowed = block.attributes.get("allowed_account_ids")
    if allowed is not None:
        value = evaluator.eval(allowed.expr)
        ids = [i.text for i in value.items] if value.kind == "tuple" else []
        if len(ids) == 1 and ids[0] is not None and _ACCOUNT.match(ids[0]):
            return ids[0]
    return None


def _account_of(module: _Module, block: _Block) -> str | None:
    provider = block.attributes.get("provider")
    key = "aws"
    if provider is not None:
        path = _traversal(provider.expr)
        if path is not None:
            key = ".".join(path)
    return module.providers.get(key)


# --- building the module ------------------------------------------------------------------------------------


def _variables(module: _Module, context: LoadContext, tfvars: list[SourceFile]) -> None:
    for block in module.blocks:
        if block.type == "variable" and block.labels:
            default = block.attributes.get("default")
            value = _Evaluator(module, block.file).eval(default.expr) if default is not None else None
            if value is not None and value.kind == "null":
                value = None
            module.variables[block.labels[0]] = value
    # terraform.tfvars first, then *.auto.tfvars in name order: later files win, as in Terraform.
    ordered = sorted(tfvars, key=lambda s: (Path(s.display_path).name != "terraform.tfvars", s.display_path))
    for tfvars_source in ordered:
        module.sources[tfvars_source.display_path] = tfvars_source
        _blocks, attributes, problem = parse_hcl(tfvars_source)
        if problem is not None:
            continue
        for name, attribute in attributes.items():
            module.variables[name] = _Evaluator(module, tfvars_source.display_path).eval(attribute.expr)
    for name, text in context.variables.items():  # [variables] and --var: shown where they are used
        module.variables[name] = Val("string", Span(0, 0), "", text, [0] * len(text))


def _role(module: _Module, resource: _Resource, result: _FileResult) -> None:
    block, source = resource.block, resource.source
    evaluator = _Evaluator(module, block.file, resource.account_id)
    label = block.labels[1]
    name_attribute = block.attributes.get("name")
    name = evaluator.eval(name_attribute.expr).text if name_attribute is not None else None
    if name is None:
        name = "${aws_iam_role." + label + ".name}"  # generated by Terraform (name_prefix or no name)
    path_attribute = block.attributes.get("path")
    path = (evaluator.eval(path_attribute.expr).text if path_attribute is not None else None) or "/"
    prefix = f"/resource/aws_iam_role/{label}"
    account = resource.account_id
    arn = f"arn:aws:iam::{account}:role{path}{name}" if account is not None else None
    resource.arn = arn
    role: Role | None = None
    if account is not None and arn is not None:
        role = Role(arn=arn, name=name, account_id=account, path=path)
        role.location = Location(source, None, "", span=block.header)
        duration = block.attributes.get("max_session_duration")
        if duration is not None:
            value = evaluator.eval(duration.expr)
            if value.kind == "number" and isinstance(value.value, int):
                role.max_session_duration = value.value
                role.max_session_location = Location(source, anchor(duration.span), "", span=duration.span)
        else:  # the provider's and AWS's default (iam-facts §1.2), shown on the resource that leaves it out
            role.max_session_duration = 3600
            role.max_session_location = role.location
        tags = block.attributes.get("tags")
        if tags is not None:
            tag_value = evaluator.eval(tags.expr)
            role.tags = {k: v.text for k, _s, v in tag_value.members if v.text is not None}
        resource.role = role
        result.roles.append(role)
    trust = block.attributes.get("assume_role_policy")
    if trust is not None:
        policy = _attribute_policy(
            module,
            evaluator,
            trust,
            f"{prefix}/assume_role_policy",
            PolicyKind.TRUST,
            name,
            account,
            arn,
            result,
        )
        if role is not None:
            role.trust_policy = policy
    for index, inline in enumerate(block.children("inline_policy")):
        policy_attribute = inline.attributes.get("policy")
        if policy_attribute is None:
            continue
        name_value = inline.attributes.get("name")
        inline_name = evaluator.eval(name_value.expr).text if name_value is not None else None
        policy = _attribute_policy(
            module,
            evaluator,
            policy_attribute,
            f"{prefix}/inline_policy/{index}/policy",
            PolicyKind.IDENTITY,
            inline_name,
            account,
            arn,
            result,
        )
        if role is not None and policy is not None:
            role.permission_policies.append(policy)
    managed = block.attributes.get("managed_policy_arns")
    if managed is not None and role is not None:
        value = evaluator.eval(managed.expr)
        for item in value.items if value.kind == "tuple" else []:
            if item.text is not None:
                role.managed_policy_arns.append(item.text)


def _attribute_policy(
    module: _Module,
    evaluator: _Evaluator,
    attribute: _Attribute,
    prefix: str,
    kind: PolicyKind,
    name: str | None,
    account: str | None,
    role_arn: str | None,
    result: _FileResult,
) -> Policy | None:
    """Return the policy an attribute holds (recorded in the file's result), or the data source's policy."""
    value = evaluator.eval(attribute.expr)
    if value.kind == "document":
        policy = module.document_policies.get(str(value.value))
        if policy is not None and policy.kind_inferred:
            policy.kind, policy.kind_inferred = kind, False
            policy.account_id, policy.role_arn = account, role_arn
            policy.name = name if name is not None else policy.name
        return policy
    line = evaluator.source.position(attribute.span.start).line
    where = f"{attribute.name} (line {line})"
    found = _document_tree(evaluator, value, where, result.problems)
    if found is None:
        return None
    root, embedded = found
    policy = policy_of(
        evaluator.source,
        mark_symbols(root, terraform_symbols(root)),
        prefix,
        kind,
        name=name,
        account_id=account,
        role_arn=role_arn,
        embedded_as_string=embedded,
    )
    result.policies.append(policy)
    return policy


def _role_reference(module: _Module, evaluator: _Evaluator, attribute: _Attribute | None) -> _Resource | None:
    """Return the aws_iam_role resource an attribute (``role = aws_iam_role.x.name`` or a name) points at."""
    if attribute is None:
        return None
    path = _traversal(attribute.expr)
    if path is not None and len(path) == 3 and path[0] == "aws_iam_role":
        return module.resources.get(("aws_iam_role", path[1]))
    text = evaluator.eval(attribute.expr).text
    if text is None:
        return None
    for (resource_type, _label), resource in module.resources.items():
        if resource_type == "aws_iam_role" and resource.role is not None and resource.role.name == text:
            return resource
    return None


def _build(module: _Module, context: LoadContext, tfvars: list[SourceFile]) -> None:
    for block in module.blocks:
        if block.type == "locals":
            module.locals.update(block.attributes)
    _variables(module, context, tfvars)
    for block in module.blocks:
        if block.type == "provider" and block.labels and block.labels[0] == "aws":
            alias = block.attributes.get("alias")
            alias_text = _Evaluator(module, block.file).eval(alias.expr).text if alias is not None else None
            module.providers["aws" if alias_text is None else f"aws.{alias_text}"] = _provider_account(
                module, block
            )
    # Data documents first (roles refer to them), then managed policies (attachments refer to their ARNs).
    for block in module.blocks:
        if block.type == "data" and len(block.labels) == 2 and block.labels[0] == "aws_iam_policy_document":
            label = block.labels[1]
            root = _policy_document_block(module, block)
            root = mark_symbols(root, terraform_symbols(root))
            document_policy = policy_of(
                module.sources[block.file],
                root,
                f"/data/aws_iam_policy_document/{label}",
                None,
                name=label,
                account_id=_account_of(module, block),
                embedded_as_string=False,
            )
            module.document_policies[label] = document_policy
            module.result(block.file).policies.append(document_policy)
    resources = [b for b in module.blocks if b.type == "resource" and len(b.labels) == 2]
    for block in resources:
        module.resources[(block.labels[0], block.labels[1])] = _Resource(
            block, module.sources[block.file], _account_of(module, block)
        )
    for block in resources:
        resource = module.resources[(block.labels[0], block.labels[1])]
        if block.labels[0] == "aws_iam_policy":
            evaluator = _Evaluator(module, block.file, resource.account_id)
            name = (
                _attribute_text(module, resource, "name") or "${aws_iam_policy." + block.labels[1] + ".name}"
            )
            path = _attribute_text(module, resource, "path") or "/"
            if resource.account_id is not None:
                resource.arn = f"arn:aws:iam::{resource.account_id}:policy{path}{name}"
            attribute = block.attributes.get("policy")
            if attribute is not None:
                resource.policy = _attribute_policy(
                    module,
                    evaluator,
                    attribute,
                    f"/resource/aws_iam_policy/{block.labels[1]}/policy",
                    PolicyKind.IDENTITY,
                    name,
                    resource.account_id,
                    None,
                    module.result(block.file),
                )
    for block in resources:
        if block.labels[0] == "aws_iam_role":
            _role(module, module.resources[("aws_iam_role", block.labels[1])], module.result(block.file))
    for block in resources:
        resource = module.resources[(block.labels[0], block.labels[1])]
        evaluator = _Evaluator(module, block.file, resource.account_id)
        if block.labels[0] == "aws_iam_role_policy":
            owner = _role_reference(module, evaluator, block.attributes.get("role"))
            attribute = block.attributes.get("policy")
            if attribute is None:
                continue
            role = owner.role if owner is not None else None
            policy = _attribute_policy(
                module,
                evaluator,
                attribute,
                f"/resource/aws_iam_role_policy/{block.labels[1]}/policy",
                PolicyKind.IDENTITY,
                _attribute_text(module, resource, "name"),
                role.account_id if role is not None else resource.account_id,
                role.arn if role is not None else None,
                module.result(block.file),
            )
            if role is not None and policy is not None:
                role.permission_policies.append(policy)
        elif block.labels[0] == "aws_iam_role_policy_attachment":
            owner = _role_reference(module, evaluator, block.attributes.get("role"))
            if owner is None or owner.role is None:
                continue
            attribute = block.attributes.get("policy_arn")
            if attribute is None:
                continue
            target = _traversal(attribute.expr)
            if target is not None and len(target) == 3 and target[0] == "aws_iam_policy":
                managed = module.resources.get(("aws_iam_policy", target[1]))
                if managed is not None and managed.policy is not None:
                    if managed.policy not in owner.role.permission_policies:
                        owner.role.permission_policies.append(managed.policy)
                    if managed.arn is not None:
                        owner.role.managed_policy_arns.append(managed.arn)
                    continue
            text = evaluator.eval(attribute.expr).text
            if text is not None:
                owner.role.managed_policy_arns.append(text)


def _read_sibling(path: Path, display: str) -> SourceFile | None:
    from xacct_lint.load.discover import FileReadError, read_file_bytes
    from xacct_lint.load.text import TextDecodeError, decode_bytes

    try:
        return SourceFile(display, decode_bytes(read_file_bytes(path)).text)
    except (FileReadError, TextDecodeError, OSError):
        return None  # reported by that file's own load, if it is an input


def _module_for(source: SourceFile, context: LoadContext) -> _Module:
    """Return the module (directory) ``source`` belongs to, parsed and evaluated once per run."""
    memo: dict[str, _Module] = context.memo.setdefault(MEMO_KEY, {})
    directory = context.path.parent if context.path is not None else None
    key = os.path.realpath(directory) if directory is not None else f"<{source.display_path}>"
    module = memo.get(key)
    if module is not None and source.display_path in module.sources:
        return module
    shown_dir = source.display_path.rpartition("/")[0]
    sources: dict[str, SourceFile] = {source.display_path: source}
    tfvars: list[SourceFile] = []
    if directory is not None:
        try:
            names = sorted(entry.name for entry in directory.iterdir())
        except OSError:
            names = []
        for name in names:
            shown = printable_path(name)  # as SourceFile shows it, so the file itself is recognised below
            display = f"{shown_dir}/{shown}" if shown_dir else shown
            if display == source.display_path:
                continue
            if name.endswith(".tf") or name == "terraform.tfvars" or name.endswith(".auto.tfvars"):
                sibling = _read_sibling(directory / name, display)
                if sibling is None:
                    continue
                if name.endswith(".tf"):
                    sources[display] = sibling
                else:
                    tfvars.append(sibling)
    module = _Module(sources=dict(sorted(sources.items())), blocks=[])
    for display, file_source in module.sources.items():
        blocks, _attributes, problem = parse_hcl(file_source)
        if problem is not None:
            module.result(display).problems.append(problem)
        module.blocks.extend(blocks)
    _build(module, context, tfvars)
    memo[key] = module
    return module


def load_terraform_source(source: SourceFile, context: LoadContext) -> FileLoad:
    """Return what a ``.tf`` file contributes: the roles and policies it defines, and its problems."""
    module = _module_for(source, context)
    result = module.results.get(source.display_path)
    if result is None:
        return FileLoad()
    return FileLoad(tuple(result.policies), tuple(result.roles), (), tuple(result.problems))


def load_tfvars_source(source: SourceFile, context: LoadContext) -> FileLoad:
    """Return a ``.tfvars`` file's problems (its values serve the ``.tf`` files of its directory)."""
    del context
    _blocks, _attributes, problem = parse_hcl(source)
    return FileLoad(problems=(problem,)) if problem is not None else FileLoad()
