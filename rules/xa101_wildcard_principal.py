"""A wildcard principal lets a principal of any AWS account in.

## What it does
For every ``Allow`` statement of a trust or resource policy whose ``Principal`` is ``"*"`` or
``{"AWS": "*"}``, searches for a concrete request from an IAM user or role session of a **fresh account**
-- an account the policy names nowhere -- that the statement allows (and no ``Deny`` blocks). The caller is
outside every organisation the policy or the configuration (``organization-ids``) names, or in none at all;
it makes the call itself, so the service-source keys (``aws:SourceAccount``, ``aws:SourceArn``,
``aws:SourceOrgID``, ``aws:SourceOrgPaths``) are absent; it has its own unique ID. Everything else the caller
controls (session tags, ``sts:ExternalId``, source IP, session name, MFA) is free.

So the rule is silent exactly when a condition ties the caller to accounts you chose: ``aws:PrincipalOrgID`` /
``aws:PrincipalOrgPaths`` naming an organisation, ``aws:PrincipalAccount``, ``aws:PrincipalArn`` on specific
accounts, or ``aws:SourceAccount``/``aws:SourceArn`` (which a direct call never carries). It fires when the
condition does not hold that line: ``StringNotEquals aws:PrincipalOrgID`` in an Allow (true when the key is
absent, i.e. for every caller outside any organisation), ``...IfExists`` forms, ``StringLike`` patterns that
admit any organisation, an ExternalId alone (not a secret, iam-facts §5), network conditions alone
(``aws:SourceIp``, ``aws:SourceVpce`` say where the call comes from, not whose account it is), or principal
tags (set by the caller's own account). The finding points at the ``*`` value.

For trust policies the request is ``sts:AssumeRole``; for resource policies each action the statement lists is
tried. Web-identity and SAML callers are not covered here (see XA105, XA106).

## Why is this bad
``{"AWS": "*"}`` in a trust policy means any AWS principal in any account, with the conditions as the only
guard (iam-facts §7.3). If no condition restricts the caller's account or organisation, anyone with an AWS
account who learns the role's ARN -- it is not a secret -- can assume it. ``StringNotEquals`` on
``aws:PrincipalOrgID`` in an Allow is a classic slip: callers outside every organisation carry no
``aws:PrincipalOrgID`` at all, and a negated operator on an absent key is true (iam-facts §6.1, §7.6).

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "*"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"AWS": "*"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
```
or name the trusted roles in ``Principal`` (``"AWS": "arn:aws:iam::111122223333:role/deploy"``).

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import undecided_finding, witness_finding
from xacct_lint.evaluate.concrete import Caller, CallerType
from xacct_lint.evaluate.search import FRESH_ACCOUNT, KeyPin, NoneExists, RequestKind, Unknown, find_request
from xacct_lint.model.inventory import Policy, PolicyKind
from xacct_lint.parse.policy import PrincipalEntry, Statement

from ._principals import outside_caller_pins, statements_allowing

META = RuleMeta(id="XA101", name="wildcard-principal", severity=Severity.ERROR, tags=("trust", "principal"))

# A NotAction statement covers any action it does not list: this one stands for "an action not excluded".
_PROBE_ACTION = "xacct-probe:ProbeAction"


def _from_fresh_account(caller: Caller) -> bool:
    return caller.account == FRESH_ACCOUNT


def _kinds(policy: Policy, statement: Statement) -> list[RequestKind]:
    """Return the requests to try: AssumeRole for a trust policy, each listed action for a resource policy
    (a wildcard action stands for an action it matches; ``description`` says what the message calls it)."""
    callers = frozenset({CallerType.USER, CallerType.ROLE_SESSION})
    if policy.kind is PolicyKind.TRUST:
        return [
            RequestKind(
                "AssumeRole from any account",
                "sts:AssumeRole",
                callers,
                _from_fresh_account,
                description="assume this role",
            )
        ]
    written = [v.text for v in statement.action.values] if statement.action is not None else [_PROBE_ACTION]
    kinds = []
    for text in dict.fromkeys(written):
        action = text.replace("*", "xq").replace("?", "x")
        label = "use any action on this resource" if text == "*" else f"call {text} on this resource"
        if statement.action is None:
            label = "call the actions NotAction leaves allowed on this resource"
        kinds.append(
            RequestKind(f"{text} from any account", action, callers, _from_fresh_account, description=label)
        )
    return kinds


def _wildcard_entry(statement: Statement) -> PrincipalEntry | None:
    assert statement.principal is not None
    for entry in statement.principal.entries:
        if entry.kind == "*" or (entry.kind == "AWS" and entry.normalized == "*"):
            return entry
    return None


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per wildcard principal that admits a caller of an account the policy never names."""
    for policy in ctx.model.policies:
        if policy.kind not in (PolicyKind.TRUST, PolicyKind.RESOURCE):
            continue
        document = policy.document
        pins = outside_caller_pins(document, ctx.config)
        for statement in statements_allowing(document):
            entry = _wildcard_entry(statement)
            if entry is None:
                continue
            yield from _check_statement(ctx, policy, statement, entry, pins)


def _check_statement(
    ctx: RuleContext, policy: Policy, statement: Statement, entry: PrincipalEntry, pins: dict[str, KeyPin]
) -> Iterator[Finding]:
    for kind in _kinds(policy, statement):
        result = find_request(policy.document, kind, pins, budget=ctx.search_budget, only_statement=statement)
        if isinstance(result, NoneExists):
            continue
        what = kind.description
        if isinstance(result, Unknown):
            question = f"a principal of any AWS account can {what} through {statement.pointer}"
            yield undecided_finding(META.id, policy, entry.pointer, question, result)
            return
        keys = sorted({e.key for e in statement.conditions}, key=str.casefold)
        if keys:
            named = ", ".join(keys)
            why = f"its conditions on {named} do not tie the caller to an account or organisation you chose"
        else:
            why = "no condition restricts the caller's account or organisation"
        shown = '"*"' if entry.kind == "*" else '{"AWS": "*"}'
        message = (
            f"Principal {shown} lets any AWS account {what}: {result.request.caller.describe()} (account "
            f"{FRESH_ACCOUNT}, which this policy names nowhere) is allowed by {statement.pointer}, "
            f"because {why}"
        )
        yield witness_finding(META.id, message, policy, result, entry.pointer)
        return
