"""A JSON object repeats a key, so all but the last value are silently dropped -- often a hidden condition.

## What it does
Reports every key that appears twice in one JSON object of an input file, including policy documents
embedded as strings in AWS CLI exports. The finding points at the repeated key and names the line of the
earlier one. It is an error when the key sits inside `Statement`, `Condition`, `Principal` or `NotPrincipal`
(or is one of them), where a lost value changes what the policy allows; a warning elsewhere (a repeated
`Version`, a repeated field of an export).

## Why is this bad
The IAM policy grammar says "Individual elements must not contain multiple instances of the same key", but
JSON parsers -- Python's `json`, most SDKs, the tools that render and review policies -- keep only the *last*
value and drop the others without a word. A second `"StringEquals"` block in a `Condition` therefore hides the
first one: the policy reads as if both conditions are enforced, while one of them is gone. This is how a
GitHub OIDC trust policy lost its `sub` restriction (alphagov/govuk-infrastructure PR #879), letting any
repository's workflow assume the role.

## Example
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
      "StringLike": {"token.actions.githubusercontent.com:sub": "repo:example-org/deploy:*"},
      "StringLike": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
    }
  }]
}
```

## Use instead
Merge the keys into one object:
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
      "StringLike": {
        "token.actions.githubusercontent.com:sub": "repo:example-org/deploy:*",
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
      }
    }
  }]
}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.model.inventory import LoadProblem, Location
from xacct_lint.parse.json_tree import resolve_pointer, split_pointer
from xacct_lint.parse.source import Span

META = RuleMeta(id="XA003", name="duplicate-json-key", severity=Severity.ERROR, tags=("document",))

# Inside (or at) these elements a dropped value changes what the policy allows.
_POLICY_ELEMENTS = frozenset({"Statement", "Condition", "Principal", "NotPrincipal"})


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per repeated key the loaders found."""
    for problem in ctx.model.problems:
        if problem.code == "duplicate-key":
            yield _finding(problem)


def _finding(problem: LoadProblem) -> Finding:
    location = problem.location
    tokens = split_pointer(location.logical_path)
    key = tokens[-1] if tokens else ""
    parent_pointer = location.logical_path[: location.logical_path.rfind("/")] or "the top-level object"
    spans = _occurrences(location, key)
    inside = _POLICY_ELEMENTS.intersection(tokens)
    severity = None if inside else Severity.WARNING
    this = location.span
    if this is None or this not in spans:
        # The tree could not be consulted; fall back on the loader's own words.
        message = f'duplicate key "{key}" in {parent_pointer}: {problem.message}{_consequence(tokens)}'
        return Finding(META.id, message, location, severity=severity)
    places = _places(location, spans)
    index = spans.index(this)
    kept = places[-1]
    if index == len(spans) - 1:
        lost = places[:-1]
        verb = "is" if len(lost) == 1 else "are"
        what = f"keep only this last value, so {_values(lost)} {verb} silently lost"
    else:
        others = places[:index] + places[index + 1 : -1]
        also = f", like {_values(others)}" if others else ""
        what = f"keep only the last value ({kept}), so this one is silently lost{also}"
    message = (
        f'duplicate key "{key}" in {parent_pointer} ({len(spans)} times): IAM and most JSON parsers '
        f"{what}{_consequence(tokens)}"
    )
    first = Location(location.source, location.root, location.pointer, location.prefix, span=spans[0])
    related = ((first, f'first "{key}" (its value is dropped)'),) if index != 0 else ()
    return Finding(
        META.id,
        message,
        location,
        related=related,
        severity=severity,
        # Several repeats of one key share a logical path; keep their fingerprints apart.
        properties={"fingerprint_key": f"occurrence-{index + 1}"},
    )


def _occurrences(location: Location, key: str) -> list[Span]:
    """Return the key spans of every member named ``key`` in the object holding the duplicate."""
    if location.root is None:
        return []
    parent = location.pointer[: location.pointer.rfind("/")]
    node, _member, exact = resolve_pointer(location.root, parent)
    if not exact or node.kind != "object":
        return []
    return [m.key_span for m in node.members if m.key == key]


def _places(location: Location, spans: list[Span]) -> list[str]:
    """Return "line N" for each span, with the column too when two spans share a line (embedded documents)."""
    positions = [location.source.position(span.start) for span in spans]
    shared = len({p.line for p in positions}) < len(positions)
    return [f"line {p.line}, column {p.column}" if shared else f"line {p.line}" for p in positions]


def _values(places: list[str]) -> str:
    if len(places) == 1:
        return f"the value on {places[0]}"
    return f"the values on {'; '.join(places[:-1])} and {places[-1]}"


def _consequence(tokens: list[str]) -> str:
    if "Condition" in tokens:
        return (
            ": a condition that reads as enforced is not there at all (IAM's grammar forbids repeated keys); "
            "merge them into one object"
        )
    if "Principal" in tokens or "NotPrincipal" in tokens:
        return ": the policy trusts other principals than it appears to; merge them into one object"
    if "Statement" in tokens:
        return ": part of the statement is not what it appears to be; merge or remove the repeated key"
    return "; IAM's grammar forbids repeated keys"
