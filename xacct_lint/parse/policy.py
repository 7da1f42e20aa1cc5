"""The policy AST: statements, principals, actions, resources and conditions, each with its span and pointer.

Values are normalised here, once, so that no rule can look at only the first element of a list: scalars become
tuples, a bare account ID in ``Principal`` becomes the account's root ARN, condition operators and keys get their
canonical form. Every node keeps ``pointer`` (its JSON Pointer inside the policy document) and ``span``.

The builder is tolerant: wrong types are skipped here (the grammar rule XA002 reports them against the shipped
JSON Schema), so a half-broken document still yields every statement that can be understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xacct_lint.parse.json_tree import JNode, escape_pointer_token
from xacct_lint.parse.placeholders import PlaceholderPattern
from xacct_lint.parse.source import Span

ACCOUNT_ID = re.compile(r"^\d{12}$")
POLICY_VARIABLE = PlaceholderPattern(r"\$\{([^}]*)\}", [("${", "}")])

# Operators as IAM spells them, keyed by their case-folded form (IAM accepts operator names case-insensitively
# in practice, but the grammar defines this spelling; XA002 flags other spellings).
BASE_OPERATORS = (
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
)  # fmt: skip
_OPERATOR_BY_FOLD = {op.casefold(): op for op in BASE_OPERATORS}
NEGATED_OPERATORS = frozenset(
    {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals",
     "NotIpAddress", "ArnNotEquals", "ArnNotLike"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Operator:
    """A parsed condition operator such as ``ForAllValues:StringLikeIfExists``."""

    raw: str
    base: str | None  # canonical base operator, None when unknown
    qualifier: str | None  # "ForAllValues", "ForAnyValue" or None
    if_exists: bool

    @property
    def canonical(self) -> str:
        """Return the operator in IAM's canonical spelling (the raw text when unknown)."""
        if self.base is None:
            return self.raw
        prefix = f"{self.qualifier}:" if self.qualifier else ""
        return f"{prefix}{self.base}{'IfExists' if self.if_exists else ''}"

    @property
    def negated(self) -> bool:
        """Return True for operators that match when the value matches *none* of the policy values."""
        return self.base in NEGATED_OPERATORS


def parse_operator(raw: str) -> Operator:
    """Split an operator into qualifier, base operator and ``IfExists`` suffix."""
    text = raw
    qualifier: str | None = None
    if ":" in text:
        prefix, _, rest = text.partition(":")
        folded = prefix.casefold()
        if folded == "forallvalues":
            qualifier = "ForAllValues"
        elif folded == "foranyvalue":
            qualifier = "ForAnyValue"
        else:
            return Operator(raw, None, None, False)
        text = rest
    if_exists = False
    base = _OPERATOR_BY_FOLD.get(text.casefold())
    if base is None and text.casefold().endswith("ifexists"):
        base = _OPERATOR_BY_FOLD.get(text[: -len("IfExists")].casefold())
        if_exists = base is not None
    if base == "Null" and if_exists:
        # NullIfExists is not an operator (iam-facts §6.1): keep it unknown so the grammar rule reports it.
        return Operator(raw, None, qualifier, True)
    return Operator(raw, base, qualifier, if_exists)


@dataclass(frozen=True, slots=True)
class Value:
    """One string value of an element, as IAM sees it, with where it was written.

    JSON booleans and numbers are turned into the strings IAM compares (``true`` -> ``"true"``);
    ``json_kind`` remembers what was written.
    """

    text: str
    pointer: str
    span: Span
    json_kind: str


@dataclass(frozen=True, slots=True)
class PrincipalEntry:
    """One principal: ``kind`` is "AWS", "Service", "Federated", "CanonicalUser" or "*" (the bare string)."""

    kind: str
    raw: str
    normalized: str  # account IDs become root ARNs; everything else as written
    pointer: str
    span: Span


@dataclass(frozen=True, slots=True)
class PrincipalBlock:
    """A ``Principal`` or ``NotPrincipal`` element."""

    entries: tuple[PrincipalEntry, ...]
    pointer: str
    span: Span


@dataclass(frozen=True, slots=True)
class ConditionEntry:
    """One ``operator: {key: values}`` pair of a statement's ``Condition`` block."""

    operator: Operator
    key: str  # as written
    key_lower: str  # condition key names are case-insensitive (iam-facts §6.4)
    values: tuple[Value, ...]
    operator_pointer: str
    operator_span: Span
    key_pointer: str
    key_span: Span
    value_span: Span  # the key's value (scalar or list) as a whole


@dataclass(frozen=True, slots=True)
class ValueList:
    """``Action``/``NotAction``/``Resource``/``NotResource`` with their values normalised to a tuple."""

    values: tuple[Value, ...]
    pointer: str
    span: Span


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a policy document."""

    index: int
    pointer: str
    span: Span
    sid: str | None
    effect: str | None  # "Allow", "Deny", or the raw text when invalid
    principal: PrincipalBlock | None
    not_principal: PrincipalBlock | None
    action: ValueList | None
    not_action: ValueList | None
    resource: ValueList | None
    not_resource: ValueList | None
    conditions: tuple[ConditionEntry, ...]
    condition_pointer: str | None

    @property
    def is_allow(self) -> bool:
        """Return True for an ``Allow`` statement."""
        return self.effect == "Allow"

    @property
    def is_deny(self) -> bool:
        """Return True for a ``Deny`` statement."""
        return self.effect == "Deny"


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A parsed IAM policy document."""

    root: JNode
    version: str | None
    statements: tuple[Statement, ...]
    span: Span

    @property
    def variables_enabled(self) -> bool:
        """Return True when policy variables are substituted (only in version 2012-10-17, iam-facts §13)."""
        return self.version == "2012-10-17"


def _scalar_text(node: JNode) -> str | None:
    if node.kind == "string":
        assert isinstance(node.value, str)
        return node.value
    if node.kind == "bool":
        return "true" if node.value else "false"
    if node.kind == "number":
        return str(node.value)
    return None


def _values(node: JNode, pointer: str) -> tuple[Value, ...]:
    """Normalise a scalar-or-list element to a tuple of values, skipping entries of the wrong type."""
    if node.kind == "array":
        out = []
        for index, item in enumerate(node.items):
            text = _scalar_text(item)
            if text is not None:
                out.append(Value(text, f"{pointer}/{index}", item.span, item.kind))
        return tuple(out)
    text = _scalar_text(node)
    return (Value(text, pointer, node.span, node.kind),) if text is not None else ()


def normalize_aws_principal(raw: str) -> str:
    """Return the canonical form of an ``AWS`` principal: a bare account ID becomes its root ARN."""
    if ACCOUNT_ID.match(raw):
        return f"arn:aws:iam::{raw}:root"
    return raw


def _principal_block(node: JNode, pointer: str) -> PrincipalBlock:
    entries: list[PrincipalEntry] = []
    if node.kind == "string":
        assert isinstance(node.value, str)
        kind = "*" if node.value == "*" else "invalid"
        entries.append(PrincipalEntry(kind, node.value, node.value, pointer, node.span))
    elif node.kind == "object":
        for member in node.unique_members():
            member_pointer = f"{pointer}/{escape_pointer_token(member.key)}"
            for value in _values(member.value, member_pointer):
                normalized = normalize_aws_principal(value.text) if member.key == "AWS" else value.text
                entries.append(PrincipalEntry(member.key, value.text, normalized, value.pointer, value.span))
    return PrincipalBlock(tuple(entries), pointer, node.span)


def _conditions(node: JNode, pointer: str) -> tuple[ConditionEntry, ...]:
    out: list[ConditionEntry] = []
    if node.kind != "object":
        return ()
    for op_member in node.unique_members():
        operator = parse_operator(op_member.key)
        op_pointer = f"{pointer}/{escape_pointer_token(op_member.key)}"
        if op_member.value.kind != "object":
            continue
        for key_member in op_member.value.unique_members():
            key_pointer = f"{op_pointer}/{escape_pointer_token(key_member.key)}"
            out.append(
                ConditionEntry(
                    operator=operator,
                    key=key_member.key,
                    key_lower=key_member.key.casefold(),
                    values=_values(key_member.value, key_pointer),
                    operator_pointer=op_pointer,
                    operator_span=op_member.key_span,
                    key_pointer=key_pointer,
                    key_span=key_member.key_span,
                    value_span=key_member.value.span,
                )
            )
    return tuple(out)


def _statement(node: JNode, index: int, pointer: str) -> Statement:
    def element(name: str) -> tuple[JNode | None, str]:
        member = node.get_member(name)
        return (member.value if member else None), f"{pointer}/{name}"

    def value_list(name: str) -> ValueList | None:
        value, vpointer = element(name)
        if value is None:
            return None
        return ValueList(_values(value, vpointer), vpointer, value.span)

    sid_node, _ = element("Sid")
    effect_node, _ = element("Effect")
    principal_node, principal_pointer = element("Principal")
    not_principal_node, not_principal_pointer = element("NotPrincipal")
    condition_node, condition_pointer = element("Condition")
    return Statement(
        index=index,
        pointer=pointer,
        span=node.span,
        sid=sid_node.value if sid_node is not None and isinstance(sid_node.value, str) else None,
        effect=effect_node.value if effect_node is not None and isinstance(effect_node.value, str) else None,
        principal=_principal_block(principal_node, principal_pointer) if principal_node else None,
        not_principal=(
            _principal_block(not_principal_node, not_principal_pointer) if not_principal_node else None
        ),
        action=value_list("Action"),
        not_action=value_list("NotAction"),
        resource=value_list("Resource"),
        not_resource=value_list("NotResource"),
        conditions=_conditions(condition_node, condition_pointer) if condition_node else (),
        condition_pointer=condition_pointer if condition_node is not None else None,
    )


def build_policy(root: JNode) -> PolicyDocument:
    """Build the policy AST from a parsed JSON document (tolerant of grammar errors)."""
    statements: list[Statement] = []
    version: str | None = None
    if root.kind == "object":
        version_node = root.get("Version")
        if version_node is not None and isinstance(version_node.value, str):
            version = version_node.value
        statement_node = root.get("Statement")
        if statement_node is not None:
            if statement_node.kind == "array":
                for index, item in enumerate(statement_node.items):
                    if item.kind == "object":
                        statements.append(_statement(item, index, f"/Statement/{index}"))
            elif statement_node.kind == "object":
                statements.append(_statement(statement_node, 0, "/Statement"))
    return PolicyDocument(root, version, tuple(statements), root.span)


def looks_like_policy(root: JNode) -> bool:
    """Return True when a JSON value has the shape of an IAM policy document (a ``Statement`` member)."""
    return root.kind == "object" and root.get("Statement") is not None


def statement_actions(statement: Statement) -> tuple[str, ...]:
    """Return the statement's ``Action`` values (empty for ``NotAction`` statements)."""
    return tuple(v.text for v in statement.action.values) if statement.action else ()
