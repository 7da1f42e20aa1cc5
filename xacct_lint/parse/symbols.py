"""Symbols: values a template names but the linter cannot know (a parameter without a default, an import).

A loader that resolves template expressions (CloudFormation's ``Ref``/``Fn::Sub``/``Fn::GetAtt``, ...) puts a
:class:`SymbolNode` where a value stays unknown. It is an ordinary string :class:`JNode` to every consumer --
the policy AST, the evaluator, the rules -- so nothing can crash on it, and it carries a :class:`Symbol` that
says which expression it stands for and why it could not be resolved.

The string a symbol reads as is its spelling inside ``Fn::Sub``: ``${ExternalIdParam}`` for a parameter,
``${ProdRole.Arn}`` for an attribute, ``${AWS::AccountId}`` for a pseudo parameter. How the evaluator treats
that string follows its rule for policy variables (``xacct_lint.evaluate.concrete.substitute``): a ``${name}``
without a colon names no condition key, so the value matches no request (a condition on it never holds); a
``${AWS::AccountId}`` has a colon, so the evaluator cannot decide and semantic findings that depend on it are
reported with precision "unknown". XA006 reports every symbol in a policy with its expression and reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from xacct_lint.parse.json_tree import JNode, resolve_pointer
from xacct_lint.parse.placeholders import PlaceholderPattern
from xacct_lint.parse.source import Span


@dataclass(frozen=True, slots=True)
class Symbol:
    """An unknown value: how it reads in the policy (``${ExternalIdParam}``), the expression the user wrote
    (``!Ref ExternalIdParam``) and why it is unknown."""

    placeholder: str
    expression: str
    reason: str


@dataclass(eq=False, slots=True)
class SymbolNode(JNode):
    """A string node holding one or more symbols (``kind`` is always ``"string"``).

    The value may be a symbol alone (``${ExternalIdParam}``) or a string with symbols in it
    (``arn:aws:iam::${TrustedAccount}:root``); ``symbols`` lists them in order of appearance.
    """

    symbols: tuple[Symbol, ...] = ()


def symbol_node(text: str, span: Span, symbols: tuple[Symbol, ...]) -> SymbolNode:
    """Return a string node reading ``text`` that holds ``symbols``."""
    return SymbolNode("string", span, text, symbols=symbols)


def symbols_of(node: JNode) -> tuple[Symbol, ...]:
    """Return the symbols a node holds (empty for an ordinary value)."""
    return node.symbols if isinstance(node, SymbolNode) else ()


def symbols_at(root: JNode, pointer: str) -> tuple[Symbol, ...]:
    """Return the symbols of the value a pointer names in a document (empty when there are none)."""
    node, _member, exact = resolve_pointer(root, pointer)
    return symbols_of(node) if exact else ()


_TEMPLATE = PlaceholderPattern(r"\$\{([^}]*)\}|\{\{[^}]*\}\}", [("${", "}"), ("{{", "}}")])


def is_unresolved_template(root: JNode, pointer: str, text: str) -> bool:
    """Return True when a value is not known before deployment: a loader's symbol, or template syntax left in
    the text (``${PROD_EXTERNAL_ID}``, ``${var.external_id}``, ``{{resolve:...}}``) that is not an IAM policy
    variable. IAM's variables always name a condition key ``prefix:key`` (or are ``${*}``, ``${?}``, ``${$}``);
    ``${AWS::AccountId}`` is CloudFormation's. XA006 reports such values; rules that would otherwise judge the
    placeholder text itself as the deployed value skip them.
    """
    if symbols_at(root, pointer):
        return True
    for match in _TEMPLATE.finditer(text):
        inner = match.group(1)
        if inner is None or inner in ("*", "?", "$"):
            if inner is None:
                return True
            continue
        name = inner.partition(",")[0].strip()
        if ":" not in name or "::" in name:
            return True
    return False


def mark_symbols(root: JNode, symbols: tuple[Symbol, ...]) -> JNode:
    """Return ``root`` with every string value that reads one of ``symbols`` (its placeholder in the text) turned
    into a :class:`SymbolNode` holding them in order of appearance; spans and everything else stay as they are.

    For loaders that substitute text before parsing it (a shell here-document with an unquoted delimiter): the
    JSON is parsed from the substituted text, and this says afterwards which of its strings hold a value the
    substitution could not know. Member names are left alone (XA006 reports template syntax in them as such).
    """
    if not symbols:
        return root

    def marked(node: JNode) -> JNode:
        if node.kind == "string" and isinstance(node.value, str):  # "${NAME}", "$(cmd)" or "`cmd`"
            text = node.value
            found = sorted(
                ((text.find(s.placeholder), s) for s in symbols if s.placeholder in text),
                key=lambda item: item[0],
            )
            if found:
                return symbol_node(text, node.span, tuple(dict.fromkeys(s for _, s in found)))
        return node

    stack = [root]
    while stack:
        node = stack.pop()
        if node.kind == "object":
            for member in node.members:
                member.value = marked(member.value)
                stack.append(member.value)
        elif node.kind == "array":
            node.items = [marked(item) for item in node.items]
            stack.extend(node.items)
    return marked(root)
