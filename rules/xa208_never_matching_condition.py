"""A trust statement's conditions can never hold for the requests it is written for: the statement is dead.

## What it does
For every statement of a trust policy and every request kind it serves (its principals and actions decide:
`AssumeRole` by IAM users and role sessions, `AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity`, `AssumeRole`
by a service), searches for **any** request of that kind its conditions admit. When none exists -- an
exhaustive search over representative requests proves it -- the statement is dead for that kind. The rule
then blames the condition entries responsible: an entry that cannot hold on its own, else the smallest set of
entries whose removal revives the statement (for example two contradictory ranges). Typical causes:

- a key the API never carries: `sts:ExternalId` with `AssumeRoleWithSAML` / `AssumeRoleWithWebIdentity` (only
  `AssumeRole` has an ExternalId parameter), `saml:aud` with `AssumeRole`, `sts:DurationSeconds` in any trust
  policy ("The key is not present for AWS STS assume-role operations");
- an `aws:userid` pattern that expects an account ID inside a role session's user ID, like the recipe's
  `"StringLike": {"aws:userid": "*:111111111111:*"}`: a role session's user ID is `AROA…:<session-name>`, an
  IAM user's is `AIDA…`, and a session name cannot contain `:`, so no user ID contains `:111111111111:`;
- contradictory ranges: `NumericLessThan 10` with `NumericGreaterThan 20` on one key, or a `DateLessThan`
  before a `DateGreaterThan`;
- values that are not valid for the operator (a date that does not parse, `Bool "yes"`).

Values listed for one key are alternatives (OR): one impossible value among possible ones does not kill the
statement and is not reported. A statement is judged only when its principals and actions admit a request of
the kind without any condition, so principal and action mistakes are left to their own rules. An MFA
requirement on an `Allow` whose principals are all `Federated` is reported by XA204, not here.

Severity: error for an `Allow` that is dead for every kind it serves (the role cannot be assumed as
intended); warning for an `Allow` dead for some of its kinds only, and for a `Deny` that never applies -- a
Deny that never applies is a silent hole in the guard it was meant to be. When the search cannot decide
(budget exhausted), a note says so.

## Why is this bad
IAM stores such a policy without complaint. The role then fails with `AccessDenied` for exactly the callers
it was written for, and the cause is invisible in the console: the condition reads like a restriction. The
recipe's production role is an example: its `aws:userid` condition makes it impossible to assume at all.

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
 "Action": "sts:AssumeRole",
 "Condition": {
   "StringEquals": {"sts:ExternalId": "7f3c9a2e4b1d8c6f"},
   "StringLike": {"aws:userid": "*:111111111111:*"}}}
```

## Use instead
Scope callers by account with `aws:PrincipalAccount` (present on every request) or by role with
`aws:PrincipalArn`:
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
 "Action": "sts:AssumeRole",
 "Condition": {
   "StringEquals": {"sts:ExternalId": "7f3c9a2e4b1d8c6f", "aws:PrincipalAccount": "111111111111"}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
- https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import role_account_of, undecided_finding
from xacct_lint.evaluate.operators import parse_date, parse_network, parse_number
from xacct_lint.evaluate.search import (
    NoneExists,
    RequestKind,
    Unknown,
    Witness,
    find_request,
    statement_kinds,
)
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import ConditionEntry, PolicyDocument, Statement
from xacct_lint.parse.symbols import is_unresolved_template

META = RuleMeta(
    id="XA208",
    name="never-matching-condition",
    severity=Severity.ERROR,
    tags=("trust", "condition", "semantic"),
)

_FEDERATED_ACTIONS = ("sts:assumerolewithsaml", "sts:assumerolewithwebidentity")
_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
_SHOWN_VALUES = 3


@dataclass(frozen=True, slots=True)
class _Blame:
    """The condition entries that make a statement dead for some request kinds (empty: the whole block)."""

    entries: tuple[ConditionEntry, ...]
    kinds: tuple[RequestKind, ...]


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per trust statement whose conditions no request of its own kinds can satisfy."""
    for policy in ctx.model.trust_policies():
        account = role_account_of(policy)
        for statement in policy.document.statements:
            if statement.effect in ("Allow", "Deny") and statement.conditions:
                yield from _statement_findings(ctx, policy, statement, account)


def _statement_findings(
    ctx: RuleContext, policy: Policy, statement: Statement, account: str | None
) -> Iterator[Finding]:
    # A Deny is asked the same question as an Allow ("can it ever apply?"): search it as an Allow on its own.
    probe = statement if statement.is_allow else replace(statement, effect="Allow")
    judged: list[RequestKind] = []
    dead: list[RequestKind] = []
    undecided: Unknown | None = None
    for kind in statement_kinds(statement, account):
        unconditioned = _search(ctx, policy.document, statement, replace(probe, conditions=()), kind)
        if isinstance(unconditioned, NoneExists):
            continue  # not admitted even without conditions: a principal or action problem, not ours
        if isinstance(unconditioned, Unknown):
            undecided = undecided or unconditioned
            continue
        judged.append(kind)
        result = _search(ctx, policy.document, statement, probe, kind)
        if isinstance(result, NoneExists):
            dead.append(kind)
        elif isinstance(result, Unknown):
            undecided = undecided or result
    if undecided is not None and not dead:
        question = f"the conditions of {statement.pointer} can ever hold"
        yield undecided_finding(
            META.id, policy, statement.condition_pointer or statement.pointer, question, undecided
        )
    if not dead or (statement.is_deny and len(dead) < len(judged)):
        return  # alive for some kind; a Deny that applies somewhere is doing its job
    blames = _blames(ctx, policy.document, statement, probe, dead)
    reported = {kind.name for blame in blames for kind in blame.kinds}
    root = policy.document.root
    for blame in blames:
        if blame.entries and all(
            any(is_unresolved_template(root, v.pointer, v.text) for v in entry.values)
            for entry in blame.entries
        ):
            # The statement is "dead" only because a value is unknown until deployment (a NoEcho parameter,
            # ${var.external_id}): XA006 reports the placeholder; the deployed statement may well match.
            continue
        all_dead = reported == {k.name for k in judged}
        severity = None if statement.is_allow and all_dead else Severity.WARNING
        yield _finding(policy, statement, blame, severity)


def _search(
    ctx: RuleContext, document: PolicyDocument, original: Statement, probe: Statement, kind: RequestKind
) -> Witness | NoneExists | Unknown:
    """Return whether ``probe`` (standing in for ``original`` in the document) matches a request of the
    kind on its own: other Allows are not asked and Denies are left out."""
    statements = tuple(probe if s is original else s for s in document.statements)
    return find_request(
        replace(document, statements=statements),
        kind,
        budget=ctx.search_budget,
        only_statement=probe,
        include_denies=False,
    )


def _blames(
    ctx: RuleContext,
    document: PolicyDocument,
    statement: Statement,
    probe: Statement,
    dead: Sequence[RequestKind],
) -> list[_Blame]:
    """Return the entries to blame, grouped so that each group is reported once with the kinds it kills."""
    by_entries: dict[tuple[int, ...], list[RequestKind]] = {}
    order: list[tuple[ConditionEntry, ...]] = []
    for kind in dead:
        for culprit in _culprits(ctx, document, statement, probe, kind):
            if _mfa_on_federated(statement, culprit, kind):
                continue  # XA204 reports MFA requirements on SAML/OIDC statements
            ident = tuple(id(e) for e in culprit)
            if ident not in by_entries:
                by_entries[ident] = []
                order.append(culprit)
            by_entries[ident].append(kind)
    return [_Blame(entries, tuple(by_entries[tuple(id(e) for e in entries)])) for entries in order]


def _culprits(
    ctx: RuleContext, document: PolicyDocument, statement: Statement, probe: Statement, kind: RequestKind
) -> list[tuple[ConditionEntry, ...]]:
    """Return the entries that cannot hold on their own; else the entries whose removal revives the
    statement (together they cannot hold); else the whole block."""
    entries = probe.conditions

    def dead_with(kept: tuple[ConditionEntry, ...]) -> bool:
        result = _search(ctx, document, statement, replace(probe, conditions=kept), kind)
        return isinstance(result, NoneExists)

    def alive_with(kept: tuple[ConditionEntry, ...]) -> bool:
        result = _search(ctx, document, statement, replace(probe, conditions=kept), kind)
        return isinstance(result, Witness)

    alone: list[tuple[ConditionEntry, ...]] = [(e,) for e in entries if dead_with((e,))]
    if alone:
        return alone
    reviving = tuple(e for e in entries if alive_with(tuple(o for o in entries if o is not e)))
    return [reviving] if reviving else [()]


def _mfa_on_federated(statement: Statement, culprit: tuple[ConditionEntry, ...], kind: RequestKind) -> bool:
    """Return True for what XA204 reports: MFA keys killing an Allow whose principals are all Federated."""
    principals = statement.principal.entries if statement.principal is not None else ()
    return (
        statement.is_allow
        and bool(principals)
        and all(p.kind == "Federated" for p in principals)
        and bool(culprit)
        and kind.action.casefold() in _FEDERATED_ACTIONS
        and all(e.key_lower.startswith("aws:multifactorauth") for e in culprit)
    )


def _finding(policy: Policy, statement: Statement, blame: _Blame, severity: Severity | None) -> Finding:
    kinds = " or ".join(dict.fromkeys(_kind_label(k) for k in blame.kinds))
    if statement.is_allow:
        head = f"{statement.pointer} can never match an {kinds} request, so it grants nothing"
        tail = ""
    else:
        head = f"this Deny ({statement.pointer}) never applies to any {kinds} request"
        tail = "; a Deny that never applies protects nothing -- check what it was meant to block"
    if not blame.entries:
        pointer = statement.condition_pointer or statement.pointer
        return Finding(
            META.id,
            f"{head}: its conditions cannot all hold together{tail}",
            policy.at(pointer),
            severity=severity,
        )
    first, *others = blame.entries
    if others:
        parts = " and ".join(_show_entry(e) for e in blame.entries)
        reason = f"{parts} cannot hold together"
    else:
        reason = _single_reason(first, blame.kinds)
    related = tuple((policy.at(e.key_pointer), "also part of the contradiction") for e in others)
    return Finding(
        META.id, f"{head}: {reason}{tail}", policy.at(first.key_pointer), related=related, severity=severity
    )


def _kind_label(kind: RequestKind) -> str:
    return {"service AssumeRole": "AssumeRole (by a service)"}.get(kind.name, kind.action.partition(":")[2])


def _show_entry(entry: ConditionEntry) -> str:
    values = [v.text for v in entry.values]
    shown = ", ".join(f'"{v}"' for v in values[:_SHOWN_VALUES])
    if len(values) > _SHOWN_VALUES:
        shown += f" and {len(values) - _SHOWN_VALUES} more"
    return f"{entry.operator.raw} {entry.key} [{shown}]"


def _single_reason(entry: ConditionEntry, kinds: Sequence[RequestKind]) -> str:
    """Return why one condition entry cannot hold, citing the fact behind it."""
    key = entry.key_lower
    shown = _show_entry(entry)
    actions = {k.action.casefold() for k in kinds}
    if key == "aws:userid":
        return _userid_reason(entry, shown)
    if key == "sts:externalid" and actions <= set(_FEDERATED_ACTIONS):
        return (
            f"{shown} tests a key these requests never carry: sts:ExternalId is set only by the ExternalId "
            "parameter of AssumeRole, and AssumeRoleWithSAML / AssumeRoleWithWebIdentity have no such "
            "parameter (iam-facts §5); remove it, or trust the IdP's own claims (saml:aud, <provider>:sub) "
            "instead"
        )
    if key == "sts:durationseconds":
        return (
            f'{shown} tests a key no assume-role request carries -- AWS: "The key is not present for AWS STS '
            'assume-role operations" (iam-facts §1.2); a trust policy cannot cap the session length: set the '
            "role's MaxSessionDuration instead"
        )
    if key.startswith("saml:") and "sts:assumerolewithsaml" not in actions:
        return (
            f"{shown} tests a SAML key, which only AssumeRoleWithSAML requests carry (after federation "
            "only saml:sub, saml:sub_type and saml:namequalifier reach the session's later requests, "
            "iam-facts §8.2)"
        )
    if key.startswith("saml:") and _undocumented_saml_key(entry.key):
        attribute = entry.key.partition(":")[2].removesuffix("[]")
        return (
            f"{shown} tests {entry.key}, which is not a SAML condition key AWS documents: a custom SAML "
            "attribute never reaches the request context (iam-facts §8.1); send it as a session tag (SAML "
            f"attribute https://aws.amazon.com/SAML/Attributes/PrincipalTag:{attribute}) and test "
            f"aws:RequestTag/{attribute}"
        )
    invalid = _invalid_values_note(entry)
    return f"no such request satisfies {shown}{invalid}"


def _userid_reason(entry: ConditionEntry, shown: str) -> str:
    accounts = sorted({m.group(0) for v in entry.values for m in _ACCOUNT_ID.finditer(v.text)})
    reason = (
        f"no caller's user ID matches {shown}: aws:userid is 'AROA…:<role-session-name>' for a role session "
        "and 'AIDA…' for an IAM user, and session names cannot contain ':' (iam-facts §3)"
    )
    if accounts:
        account = accounts[0]
        reason += (
            f", so no user ID contains ':{account}:' -- the account ID is not part of a role session's or "
            f"an IAM user's user ID; to test the caller's account use \"StringEquals\": "
            f'{{"aws:PrincipalAccount": "{account}"}} (present in every request)'
        )
    return reason


def _undocumented_saml_key(key: str) -> bool:
    from xacct_lint.condition_keys import lookup_global_key

    return lookup_global_key(key) is None


def _invalid_values_note(entry: ConditionEntry) -> str:
    """Return a note when none of the entry's values is valid for its operator (such values match nothing)."""
    base = entry.operator.base or ""
    texts = [v.text for v in entry.values]
    if not texts:
        return " (it lists no values)"
    checks: dict[str, tuple[str, Callable[[str], bool]]] = {
        "Numeric": ("a number", lambda t: parse_number(t) is not None),
        "Date": ("a date", lambda t: parse_date(t) is not None),
        "IpAddress": ("an IP address or CIDR block", lambda t: parse_network(t) is not None),
        "NotIpAddress": ("an IP address or CIDR block", lambda t: parse_network(t) is not None),
        "Bool": ('"true" or "false"', lambda t: t.strip().casefold() in ("true", "false")),
    }
    for prefix, (what, valid) in checks.items():
        if base.startswith(prefix) and not any(valid(t) for t in texts):
            return f" (none of its values is {what}, so it matches nothing)"
    return ""
