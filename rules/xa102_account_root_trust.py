"""A whole other account is trusted: its administrators, not this policy, decide who can assume the role.

## What it does
For every account an ``Allow`` statement trusts as a whole -- ``"AWS": "arn:aws:iam::111122223333:root"``, the
bare ``"AWS": "111122223333"``, or ``{"AWS": "*"}`` with an ``aws:PrincipalAccount`` condition naming it --
searches for a concrete ``sts:AssumeRole`` request by a **probe principal** of that account: an IAM user or
role session the policy does not name, with its own unique ID. If the statement allows the probe (and no
``Deny`` blocks it), every principal of that account that its administrators let call ``sts:AssumeRole``
can assume the role, and the rule fires at the principal value (or the ``aws:PrincipalAccount`` value).

It is silent when ``aws:PrincipalArn`` (``ArnEquals``/``ArnLike`` on named roles or users, including a
role-name prefix such as ``role/ci-*``) or ``aws:userid`` (a role's or user's unique ID) narrows the statement
to principals the policy names, or a ``Deny`` does the same. Decisions:

- ``aws:PrincipalTag/...``, ``aws:ResourceTag``, session tags, the session name, ``sts:ExternalId``, MFA and
  network conditions do **not** count as narrowing: the other account's administrators can tag any of their
  principals, name sessions as they like and satisfy the rest, so these conditions still leave the choice of
  *who* with them.
- An ``aws:PrincipalArn`` pattern that admits any role of the account (``arn:aws:iam::N:role/*``) is no
  narrowing either.
- A trust of the role's **own** account (known from the role's ARN or the configuration) is silent: that is
  the documented same-account delegation to IAM policies. When the role's account is unknown the rule
  reports, and says so in the message.

## Why is this bad
``arn:aws:iam::ACCOUNT:root`` does not mean the root user: it trusts *every* principal in that account that
an administrator there grants ``sts:AssumeRole`` on this role, including role sessions and federated sessions
(iam-facts §7.2). Who can reach your role then depends on another account's IAM hygiene, and role chaining
from any role there becomes possible. Naming the roles that need access (or narrowing with
``aws:PrincipalArn``) keeps that decision in your policy.

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "111122223333"},
 "Action": "sts:AssumeRole"}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111122223333:role/deploy"},
 "Action": "sts:AssumeRole"}
```
or keep the account principal and add
``"Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/deploy-*"}}``.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import entries_for, role_account_of, undecided_finding, witness_finding
from xacct_lint.evaluate.search import KeyPin, NoneExists, Unknown, assume_role_kind, find_request
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import Statement

from ._principals import POSITIVE_BASES, direct_call_pins, has_wildcard, only_mentioned, probe_callers

META = RuleMeta(id="XA102", name="account-root-trust", severity=Severity.WARNING, tags=("trust", "principal"))

_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class _AccountTrust:
    """One place where a statement trusts a whole account."""

    account: str
    pointer: str
    via: str  # how the policy names the account, for the message


def _account_trusts(statement: Statement) -> list[_AccountTrust]:
    """Return the whole-account trusts of one Allow statement, in document order."""
    assert statement.principal is not None
    found: list[_AccountTrust] = []
    wildcard = False
    for entry in statement.principal.entries:
        if entry.kind != "AWS":
            wildcard = wildcard or entry.kind == "*"
            continue
        if entry.normalized == "*":
            wildcard = True
            continue
        match = _ROOT.match(entry.normalized)
        if match is not None:
            found.append(_AccountTrust(match.group(1), entry.pointer, f'Principal "{entry.raw}"'))
    if wildcard:
        # {"AWS": "*"} + aws:PrincipalAccount = N trusts account N as a whole, exactly like N's root ARN.
        for condition in entries_for(statement, "aws:PrincipalAccount"):
            if condition.operator.base not in POSITIVE_BASES:
                continue
            for value in condition.values:
                if _ACCOUNT_ID.match(value.text) and not has_wildcard(value.text):
                    found.append(
                        _AccountTrust(value.text, value.pointer, f'aws:PrincipalAccount "{value.text}"')
                    )
    return found


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per whole-account trust that admits a principal the policy does not name."""
    for policy in ctx.model.trust_policies():
        own = role_account_of(policy)
        pins = only_mentioned(direct_call_pins(), policy.document)
        for statement in policy.document.statements:
            if not statement.is_allow or statement.principal is None:
                continue
            for trust in _account_trusts(statement):
                if trust.account == own:
                    continue  # same-account delegation to IAM policies: the documented pattern
                yield from _check_trust(ctx, policy, statement, trust, own, pins)


def _check_trust(
    ctx: RuleContext,
    policy: Policy,
    statement: Statement,
    trust: _AccountTrust,
    own: str | None,
    pins: dict[str, KeyPin],
) -> Iterator[Finding]:
    kind = assume_role_kind(
        own, foreign_only=True, accounts=[trust.account], name="AssumeRole by any principal"
    )
    result = find_request(
        policy.document,
        kind,
        pins,
        budget=ctx.search_budget,
        only_statement=statement,
        callers=probe_callers(trust.account),
    )
    if isinstance(result, NoneExists):
        return
    if isinstance(result, Unknown):
        question = f"any principal of account {trust.account} can assume this role"
        yield undecided_finding(META.id, policy, trust.pointer, question, result)
        return
    narrowing = entries_for(statement, "aws:PrincipalArn") + entries_for(statement, "aws:userid")
    if narrowing:
        keys = ", ".join(sorted({e.key for e in narrowing}, key=str.casefold))
        why = f"its {keys} condition also admits principals the policy does not name"
    else:
        why = "no aws:PrincipalArn condition narrows it to named roles or users"
    unknown_own = (
        ""
        if own is not None
        else f" (the role's account is unknown: if it is {trust.account}, this is same-account delegation)"
    )
    message = (
        f"{trust.via} trusts all of account {trust.account}: {result.request.caller.describe()}, which this "
        f"policy does not name, can assume the role through {statement.pointer} because {why}; account "
        f"{trust.account}'s administrators decide who gets in{unknown_own}"
    )
    yield witness_finding(META.id, message, policy, result, trust.pointer)
