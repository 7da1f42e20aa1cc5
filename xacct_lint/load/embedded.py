"""Policy documents embedded in other files (Terraform, shell heredocs, Markdown), with their positions kept.

A document written inside another file reaches us as text plus an *offset map*: for each character of the
document, the offset in the outer file of the character (or escape, or variable reference) that produced it.
:func:`embedded_policy` parses such text with that map, so every node of the policy AST points at the outer
file, and reports what goes wrong (invalid JSON, duplicate keys) as load problems at the exact character.
"""

from __future__ import annotations

from collections.abc import Sequence

from xacct_lint.model.inventory import LoadProblem, Location, Policy, PolicyKind
from xacct_lint.parse.json_tree import JNode, JsonSyntaxError, parse_json
from xacct_lint.parse.policy import build_policy
from xacct_lint.parse.source import SourceFile, Span


def anchor(span: Span) -> JNode:
    """Return a stand-in tree for a problem inside a file that was otherwise read.

    A problem whose location has no tree reads as "file not analysed" (reporters say so); a problem in one
    embedded document must not, so it gets a one-node tree at the place it concerns.
    """
    return JNode("null", span)


def parse_embedded_json(
    source: SourceFile, text: str, offsets: Sequence[int], where: str, problems: list[LoadProblem]
) -> JNode | None:
    """Return the JSON tree of ``text`` with spans mapped through ``offsets``; None (and a problem) if invalid.

    ``where`` names the place for messages ("the here-document written to trust.json (line 12)").
    """
    offset_map = list(offsets) if offsets else [0]
    try:
        parsed = parse_json(text, offset_map=offset_map)
    except JsonSyntaxError as exc:
        span = Span(exc.offset, exc.offset + 1)
        problems.append(
            LoadProblem(
                "invalid-json",
                f"the policy document in {where} is not valid JSON: {exc.message}",
                Location(source, anchor(span), "", span=span),
            )
        )
        return None
    for dup in parsed.duplicates:
        first_line = source.position(dup.first.start).line
        problems.append(
            LoadProblem(
                "duplicate-key",
                f"duplicate key {dup.key!r} (first on line {first_line}): JSON parsers keep only the last "
                "one, so the earlier value silently disappears; IAM's grammar forbids repeated keys",
                Location(source, parsed.root, dup.pointer, span=dup.duplicate),
            )
        )
    return parsed.root


def policy_of(
    source: SourceFile,
    root: JNode,
    prefix: str,
    kind: PolicyKind | None,
    *,
    name: str | None = None,
    account_id: str | None = None,
    role_arn: str | None = None,
    embedded_as_string: bool = True,
) -> Policy:
    """Return a policy for a document tree; ``kind`` None means: infer it from the document's shape."""
    from xacct_lint.load.json_file import infer_kind

    document = build_policy(root)
    return Policy(
        document=document,
        kind=infer_kind(document) if kind is None else kind,
        kind_inferred=kind is None,
        source=source,
        prefix=prefix,
        name=name,
        account_id=account_id,
        role_arn=role_arn,
        embedded_as_string=embedded_as_string,
    )
