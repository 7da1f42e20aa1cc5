"""A policy holds unrendered template syntax (`${PROD_EXTERNAL_ID}`, `<ACCOUNT_ID>`) or variables IAM ignores.

## What it does
Looks at every string of a policy document -- values and member names -- for template syntax that was meant
to be replaced before the policy reached IAM:

- shell variables: `${PROD_EXTERNAL_ID}`, `$ACCOUNT_ID`;
- Terraform interpolation `${var.account_id}` and directives `%{ ... }`;
- CloudFormation pseudo parameters `${AWS::AccountId}` and dynamic references `{{resolve:ssm:...}}`;
- other template engines: `{{ account_id }}`, `{% ... %}`, `<%= ... %>`;
- placeholders such as `<ACCOUNT_ID>`, `<your-bucket>`, `REPLACE_ME`, `CHANGE_ME`.

IAM's own policy variables are not placeholders: `${aws:username}`, `${aws:PrincipalTag/team}`,
`${saml:sub}`, `${token.actions.githubusercontent.com:sub}` -- any `${prefix:key}`, optionally with a default
(`${aws:username, 'nobody'}`) -- and the escapes `${*}`, `${?}`, `${$}`. But IAM substitutes them only in
policies with `"Version": "2012-10-17"`; under `2008-10-17` (which a policy without `Version` gets) they are
literal text, and a separate finding says so.

Documentation account IDs such as `111122223333` look like real values and are not reported.

In a CloudFormation template the loader resolves what it can (parameters with defaults or configured values,
the configured account and Region, `Fn::Sub`, `Fn::Join`, ...). What stays unknown until deployment -- a
parameter without a default, a generated resource name, `Fn::ImportValue` -- is kept as a *symbol* spelled
as `Fn::Sub` would spell it (`${ExternalIdParam}`, `${ProdRole.Arn}`, `${AWS::AccountId}`). This rule reports
each symbol as a warning naming the expression and why it is unknown, and also a condition (`Fn::If`, a
resource's `Condition`) that cannot be decided, for which the template is checked as if it held. The same goes
for Terraform (`${var.external_id}` without a default or `.tfvars` value, `${aws_iam_role.x.arn}`) and for a
shell script's unquoted here-document or JSON argument (`${PROD_EXTERNAL_ID}` that the script never assigns a
known value): the tool substitutes those before IAM sees the policy, so they are symbols -- warnings that say
how to give the value (`--var NAME=VALUE`, `[variables]`). Template syntax in a plain JSON file, or in a
quoted here-document (`<<'EOF'`), reaches IAM as text: an error.

## Why is this bad
IAM does not know about templates: `"sts:ExternalId": "${PROD_EXTERNAL_ID}"` requires callers to send that
literal string, `arn:aws:iam::<ACCOUNT_ID>:root` names no account. The policy deploys, and then either nobody
can use the permission or -- when the placeholder sits in a `Deny` or a negated condition -- the guard never
matches. Usually the shell heredoc was quoted, or the wrong file (the template instead of its rendered
output) was applied. A policy variable under `2008-10-17` fails the same way: `${aws:username}` is compared as
those fourteen characters.

## Example
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::${SECURITY_ACCOUNT_ID}:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "${PROD_EXTERNAL_ID}"}}
  }]
}
```

## Use instead
Render the template first (an unquoted heredoc, `envsubst`, `terraform plan`, `Fn::Sub`) and lint the result:
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "f3a9c1d27b4e8a60"}}
  }]
}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
- https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html
- https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.json_tree import JNode, escape_pointer_token
from xacct_lint.parse.placeholders import LazyPattern
from xacct_lint.parse.symbols import Symbol, SymbolNode, symbols_at

META = RuleMeta(id="XA006", name="unresolved-placeholder", severity=Severity.ERROR, tags=("document",))

_DOLLAR_BRACE = re.compile(r"\$\{([^{}]*)\}")
# ${prefix:key} with an optional ", 'default'": the prefix is a service prefix or an OIDC provider host (with
# an optional path); the key starts with a letter. That keeps out ${AWS::AccountId} (key starts with ":"),
# ${PROD_ID:-x} (underscore prefix, shell default) and ${var.x} (no colon).
_IAM_VARIABLE = re.compile(
    r"\s*[A-Za-z0-9][A-Za-z0-9.-]*(?:/[^\s/:,}]+)*:[A-Za-z][^,}]*?\s*(?:,\s*'[^']*'\s*)?", re.ASCII
)
_IAM_ESCAPES = frozenset({"*", "?", "$"})
# A cheap pre-filter: most strings (ARNs, actions) hold none of these and skip the full scan.
_MAY_HOLD_TEMPLATE = re.compile(r"[${<%]|replace|change", re.IGNORECASE)

# {%...%} and <%...%> through LazyPattern: the same matches as ".*?", in linear time on a line of openers.
_OTHER_TEMPLATES: tuple[tuple[re.Pattern[str] | LazyPattern, str], ...] = (
    (
        re.compile(r"\{\{\s*resolve:[^{}]*\}\}"),
        "a CloudFormation dynamic reference, resolved only inside a stack",
    ),
    (re.compile(r"\{\{[^{}]*\}\}"), "a template expression"),
    (LazyPattern("{%", "%}"), "a template directive"),
    (re.compile(r"%\{[^{}]*\}"), "a Terraform template directive"),
    (LazyPattern("<%", "%>"), "a template expression"),
    # "$LATEST" (Lambda, SSM) and "$DEFAULT" (SSM automation) are real version qualifiers in ARNs.
    (re.compile(r"\$(?!(?:LATEST|DEFAULT)\b)[A-Z][A-Z0-9_]*\b"), "a shell variable"),
    (re.compile(r"<[A-Za-z][A-Za-z0-9 _.:-]{0,63}>"), "a placeholder"),
    (
        re.compile(r"(?<![A-Za-z0-9])(?:REPLACE[_-]?ME|CHANGE[_-]?ME)(?![A-Za-z0-9])", re.IGNORECASE),
        "placeholder text",
    ),
)


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One piece of template syntax found in a string."""

    text: str
    kind: str


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per string holding template placeholders, and per literal policy variable."""
    # One regex search per distinct string: actions, ARNs and member names recur across policies (145,124
    # strings, 25,657 distinct, in the AWS managed policies), and a dict hit costs a twentieth of a search.
    may_hold = _MemoSearch(_MAY_HOLD_TEMPLATE)
    for policy in ctx.model.policies:
        enabled = policy.document.variables_enabled
        for pointer, text, is_key in _template_candidates(policy.document.root, may_hold):
            symbols = () if is_key else symbols_at(policy.document.root, pointer)
            rest = text
            if symbols:
                # A template value unknown before deployment: say what it is; scan only the rest of the string.
                message = _symbol_message(symbols)
                yield Finding(META.id, message, policy.at(pointer), severity=Severity.WARNING)
                for symbol in symbols:
                    rest = rest.replace(symbol.placeholder, "")
            placeholders, variables = scan(rest)
            if placeholders:
                yield Finding(META.id, _placeholder_message(text, placeholders, is_key), policy.at(pointer))
            if variables and not enabled and not is_key:
                yield Finding(META.id, _literal_variable_message(policy, variables), policy.at(pointer))

    for problem in ctx.model.problems:
        if problem.code == "unresolved-template":  # a template condition or account that cannot be known
            yield Finding(META.id, problem.message, problem.location, severity=Severity.WARNING)


def _symbol_message(symbols: tuple[Symbol, ...]) -> str:
    parts = [f"{s.expression} ({s.reason})" for s in symbols]
    what = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    shown = ", ".join(dict.fromkeys(s.placeholder for s in symbols))
    return (
        f"not known before deployment: {what}. The policy is checked with {shown} in its place, a value no "
        "request carries, so findings about this value describe the template rather than the deployed policy"
    )


def scan(text: str) -> tuple[tuple[Placeholder, ...], tuple[str, ...]]:
    """Return the template placeholders in ``text`` and the IAM policy variables in it, in order."""
    placeholders: list[tuple[int, Placeholder]] = []
    variables: list[str] = []
    masked = list(text)
    for match in _DOLLAR_BRACE.finditer(text):
        body = match.group(1)
        if body in _IAM_ESCAPES or _IAM_VARIABLE.fullmatch(body):
            variables.append(match.group(0))
        else:
            placeholders.append((match.start(), Placeholder(match.group(0), _dollar_kind(body))))
        # Masked either way, so "$PROD" inside "${PROD}" is not reported a second time.
        masked[match.start() : match.end()] = " " * (match.end() - match.start())
    rest = "".join(masked)
    for pattern, kind in _OTHER_TEMPLATES:
        # Masked once per pattern, not once per match (a string of 100,000 matches was copied 100,000 times);
        # the same result: finditer reads the string as it was when it started.
        spans = []
        for match in pattern.finditer(rest):
            placeholders.append((match.start(), Placeholder(match.group(0), kind)))
            spans.append(match.span())
        if spans:
            masked = list(rest)
            for start, end in spans:
                masked[start:end] = " " * (end - start)
            rest = "".join(masked)
    ordered = tuple(p for _, p in sorted(placeholders, key=lambda item: item[0]))
    return ordered, tuple(variables)


def _dollar_kind(body: str) -> str:
    if body.startswith("AWS::"):
        return "a CloudFormation pseudo parameter, substituted only by Fn::Sub"
    if re.fullmatch(r"[A-Z_][A-Z0-9_]*(?:[:%#/^,~-].*)?", body):
        return "a shell variable"
    if re.match(r"(?:var|local|data|module|path|terraform|each|count|self)\.", body):
        return "a Terraform interpolation"
    return "a template variable"


# A string's pointer, kept as the chain (parent chain, token) and joined only for the rare string that may hold
# a template: building "/Statement/3/Action/17" for each of the 145,000 strings of the AWS managed policies cost
# more than the check itself.
_Chain = tuple["_Chain", str] | None


def _pointer(chain: _Chain) -> str:
    tokens: list[str] = []
    while chain is not None:
        chain, token = chain
        tokens.append(token)
    return "".join(f"/{escape_pointer_token(t)}" for t in reversed(tokens))


class _MemoSearch(dict[str, bool]):
    """``bool(pattern.search(text))``, remembered per text."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        super().__init__()
        self.search = pattern.search

    def __missing__(self, text: str) -> bool:
        found = self[text] = self.search(text) is not None
        return found


def _template_candidates(root: JNode, may_hold: _MemoSearch) -> Iterator[tuple[str, str, bool]]:
    """Yield (pointer, text, is_member_name) for every string value and member name below ``root`` in which
    ``may_hold`` finds something, depth first, members and items in reverse order."""
    stack: list[tuple[JNode, _Chain]] = [(root, None)]
    while stack:
        node, chain = stack.pop()
        kind = node.kind
        if kind == "string":
            # A loader's symbol is a candidate whatever its text (a shell `cmd` substitution has no "${").
            if isinstance(node.value, str) and (may_hold[node.value] or isinstance(node, SymbolNode)):
                yield _pointer(chain), node.value, False
        elif kind == "object":
            for member in node.members:
                member_chain = (chain, member.key)
                if may_hold[member.key]:
                    yield _pointer(member_chain), member.key, True
                stack.append((member.value, member_chain))
        elif kind == "array":
            stack.extend((item, (chain, str(index))) for index, item in enumerate(node.items))


def _show(text: str) -> str:
    shown = json.dumps(text, ensure_ascii=False)
    return shown if len(shown) <= 90 else f"{shown[:87]}..."


def _placeholder_message(text: str, placeholders: tuple[Placeholder, ...], is_key: bool) -> str:
    where = "member name" if is_key else "value"
    parts = [f"{p.text} ({p.kind})" for p in placeholders]
    found = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return (
        f"unresolved template syntax in {where} {_show(text)}: {found}. IAM takes it as literal text, so "
        "this part of the policy matches nothing real; render the template before it reaches IAM"
    )


def _literal_variable_message(policy: Policy, variables: tuple[str, ...]) -> str:
    version = policy.document.version
    why = (
        f'this policy has "Version": {json.dumps(version)}'
        if version is not None
        else 'this policy has no Version, so IAM treats it as "2008-10-17"'
    )
    names = ", ".join(dict.fromkeys(variables))
    return (
        f"policy variable {names} is literal text here: {why}, and IAM substitutes policy variables only in "
        'policies with "Version": "2012-10-17"; add that Version'
    )
