"""A principal of another account can assume the role without an ExternalId.

## What it does
Searches the trust policy for a concrete ``sts:AssumeRole`` request from an IAM user or role session of an
account other than the role's own, made **without** ``sts:ExternalId`` and from outside any AWS organisation,
that the policy allows. The search is semantic, so it catches a ``StringEqualsIfExists`` (true when the key is
absent), a ``StringNotEquals`` used by mistake in an Allow, and a second statement that allows the same caller
without the condition -- and it stays silent when a ``Deny`` with ``StringNotEquals`` enforces the ExternalId, or
when an ``aws:PrincipalOrgID`` condition restricts callers to your organisation.

It applies to roles in accounts whose configuration lists ``require = ["external-id"]``, and by default (no
configuration, or an account the configuration does not name) to every role.

## Why is this bad
The ExternalId is the guard against the cross-account confused deputy: a third party that assumes roles in many
customers' accounts must not be tricked into using your role on someone else's behalf. AWS: "If you can assume
the role without the correct external ID, don't store the customer's role ARN in your system." An
``...IfExists`` operator turns the requirement into a suggestion: callers that send no ExternalId pass.

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEqualsIfExists": {"sts:ExternalId": "7f3c9a2e4b1d8c6f"}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"sts:ExternalId": "7f3c9a2e4b1d8c6f"}}}
```
or restrict callers to your organisation with ``"StringEquals": {"aws:PrincipalOrgID": "o-..."}``.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import (
    culprit_pointer,
    entries_for,
    role_account_of,
    undecided_finding,
    witness_finding,
)
from xacct_lint.evaluate.search import (
    KeyPin,
    NoneExists,
    Unknown,
    Witness,
    absent,
    assume_role_kind,
    describe_caller,
    find_request,
)
from xacct_lint.model.inventory import Policy

META = RuleMeta(id="XA201", name="missing-external-id", severity=Severity.ERROR, tags=("trust", "condition"))

# A caller outside every organisation carries neither key (iam-facts §7.6: PrincipalOrgID "is included in the
# request context only if the principal is a member of an organization").
_OUTSIDE_ORG = {
    "aws:PrincipalOrgID": KeyPin(
        lambda value: value is None, description="absent (caller outside your organisation)"
    ),
    "aws:PrincipalOrgPaths": KeyPin(lambda value: value is None, description="absent", shown=False),
}


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per Allow statement through which a foreign principal gets in without an ExternalId."""
    for policy in ctx.model.trust_policies():
        account = role_account_of(policy)
        if not ctx.config.requires(account, "external-id"):
            continue
        kind = assume_role_kind(account, foreign_only=True)
        pins = {"sts:ExternalId": absent(), **_OUTSIDE_ORG}
        # Each Allow statement is asked on its own (Denies still apply), so every statement that lets callers
        # in is reported -- not only the first one found, which would depend on statement order.
        for statement in policy.document.statements:
            if not statement.is_allow:
                continue
            result = find_request(
                policy.document, kind, pins, budget=ctx.search_budget, only_statement=statement
            )
            if isinstance(result, NoneExists):
                continue
            if isinstance(result, Unknown):
                question = f"a foreign principal can assume this role through {statement.pointer} without an ExternalId"
                yield undecided_finding(META.id, policy, statement.pointer, question, result)
                continue
            yield _finding(policy, result, account)


def _finding(policy: Policy, result: Witness, account: str | None) -> Finding:
    statement = result.statement
    tested = entries_for(statement, "sts:ExternalId")
    if tested:
        operators = ", ".join(sorted({e.operator.canonical for e in tested}))
        why = f"its {operators} condition on sts:ExternalId passes when the caller sends none"
    else:
        why = "it has no sts:ExternalId condition"
    where = "" if account is None else f" (role account {account})"
    message = (
        f"{describe_caller(result.request.caller)} can assume this role without an ExternalId{where}: "
        f"{statement.pointer} allows it because {why}"
    )
    return witness_finding(META.id, message, policy, result, culprit_pointer(statement, "sts:ExternalId"))
