"""In an account that requires MFA, the role can be assumed without MFA.

## What it does
For roles in accounts whose configuration lists ``require = ["mfa"]`` (not required by default), searches
each ``Allow`` statement for a concrete ``sts:AssumeRole`` request from an IAM user or role session, of any
account, made **without MFA** -- ``aws:MultiFactorAuthPresent`` absent (an IAM user's long-term access keys,
iam-facts §2.1) or ``false`` (temporary credentials obtained without MFA) -- that the policy allows.

Being a search, it catches what a look for ``"Bool"`` misses:

- ``BoolIfExists`` ``true`` in an ``Allow``: true when the key is absent, so long-term access keys get through
  (AWS documents this form as "MFA for console, not for programmatic" use, iam-facts §2.6);
- a ``Deny`` with ``Bool`` ``false``: false when the key is absent, so it misses long-term access keys
  (AWS: "not a reliable way to check whether a request is authenticated using MFA");
- a ``Deny`` with ``NumericGreaterThan`` on ``aws:MultiFactorAuthAge`` without ``IfExists``: the key is
  absent when no MFA was used, so the Deny never applies to those requests (iam-facts §2.5);
- a second statement without any MFA condition.

It stays quiet for ``Bool`` ``true`` in the ``Allow`` and for a ``Deny`` with ``BoolIfExists`` ``false``
(AWS's recommended deny). SAML and web-identity statements are XA204's concern: this rule asks about
AssumeRole only. The finding points at the MFA condition that lets the request through, else at the
statement's Condition block or the statement.

No options. Severity error: the account's configuration says MFA is required, and a request without it is
allowed.

## Why is this bad
An MFA condition in a trust policy is what makes a stolen access key or a stolen session insufficient to
assume the role. A condition that passes when the key is absent turns that into "MFA for the console only":
the long-term access keys that leak most often are exactly the requests that carry no MFA key at all.

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
```
or keep the Allow and add a ``Deny`` with ``"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}``.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthage
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import culprit_pointer, role_account_of, undecided_finding, witness_finding
from xacct_lint.evaluate.concrete import CallerType
from xacct_lint.evaluate.search import (
    KeyPin,
    NoneExists,
    Unknown,
    Witness,
    assume_role_kind,
    describe_caller,
    find_request,
)
from xacct_lint.parse.policy import ConditionEntry, Statement

META = RuleMeta(id="XA203", name="missing-mfa", severity=Severity.ERROR, tags=("trust", "condition", "mfa"))

PRESENT = "aws:MultiFactorAuthPresent"
AGE = "aws:MultiFactorAuthAge"
_MFA_KEYS = (PRESENT.casefold(), AGE.casefold())

# iam-facts §2.1: absent for long-term access keys, "false" for temporary credentials issued without MFA.
_WITHOUT_MFA = KeyPin(
    lambda value: value is None or (len(value) == 1 and value[0].strip().casefold() == "false"),
    description="absent or false (no MFA)",
)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per Allow statement that admits an AssumeRole without MFA where MFA is required."""
    for policy in ctx.model.trust_policies():
        account = role_account_of(policy)
        if not ctx.config.requires(account, "mfa"):
            continue
        document = policy.document
        kind = assume_role_kind(account, foreign_only=False)
        denies = [s for s in document.statements if s.is_deny and _mfa_entries(s)]
        for statement in document.statements:
            if not statement.is_allow:
                continue
            result = find_request(
                document, kind, {PRESENT: _WITHOUT_MFA}, budget=ctx.search_budget, only_statement=statement
            )
            if isinstance(result, NoneExists):
                continue
            if isinstance(result, Unknown):
                question = f"{statement.pointer} lets a principal assume this role without MFA"
                yield undecided_finding(META.id, policy, statement.pointer, question, result)
                continue
            pointer, why = _why(statement, denies, result)
            where = "" if account is None else f" (role account {account}, which requires MFA)"
            message = (
                f"{describe_caller(result.request.caller)} can assume this role without MFA{where}, "
                f"{_credentials(result)}: {statement.pointer} allows it because {why}"
            )
            yield witness_finding(META.id, message, policy, result, pointer)


def _mfa_entries(statement: Statement) -> list[ConditionEntry]:
    return [e for e in statement.conditions if e.key_lower in _MFA_KEYS]


def _mfa_value(witness: Witness) -> str | None:
    value = witness.request.context.get(PRESENT.casefold())
    return None if value is None else value[0]


def _credentials(witness: Witness) -> str:
    if _mfa_value(witness) is None:
        if witness.request.caller.type is CallerType.USER:
            return f"signing with an IAM user's long-term access keys ({PRESENT} absent)"
        return f"with no {PRESENT} in the request"
    return f"with temporary credentials obtained without MFA ({PRESENT} = false)"


def _why(statement: Statement, denies: Sequence[Statement], witness: Witness) -> tuple[str, str]:
    """Return the pointer to blame and why the request without MFA passes."""
    mfa = _mfa_value(witness)
    for entry in _mfa_entries(statement):
        operator = entry.operator
        if (
            entry.key_lower == PRESENT.casefold()
            and operator.base == "Bool"
            and operator.if_exists
            and mfa is None
        ):
            return entry.key_pointer, (
                f"BoolIfExists lets long-term access keys through: {entry.key} is absent on every request "
                "signed with an IAM user's access keys (iam-facts §2.1), and BoolIfExists is true when the "
                'key is absent; use "Bool" to require MFA for programmatic calls too'
            )
        key_state = "absent" if witness.request.context.get(entry.key_lower) is None else "present"
        return entry.key_pointer, (
            f"its {operator.canonical} condition on {entry.key} holds for this request "
            f"({entry.key} {key_state})"
        )
    for deny in denies:
        for entry in _mfa_entries(deny):
            return entry.key_pointer, _why_deny_misses(deny, entry, witness)
    return culprit_pointer(statement, PRESENT), "it has no MFA condition and no Deny requires MFA"


def _why_deny_misses(deny: Statement, entry: ConditionEntry, witness: Witness) -> str:
    operator = entry.operator
    absent = witness.request.context.get(entry.key_lower) is None
    if absent and not operator.if_exists and not operator.negated and operator.base != "Null":
        if entry.key_lower == AGE.casefold():
            return (
                f"the Deny at {deny.pointer} tests {entry.key} with {operator.canonical}, but that key is "
                f"absent when no MFA was used (iam-facts §2.5) and {operator.canonical} is false on an "
                f"absent key, so the Deny never applies to requests without MFA; use "
                f"{operator.canonical}IfExists"
            )
        return (
            f"the Deny at {deny.pointer} uses {operator.canonical}, which is false when {entry.key} is "
            "absent -- as it is on requests signed with an IAM user's long-term access keys -- so the Deny "
            "misses them "
            f'(AWS: "not a reliable way to check whether a request is authenticated using MFA"); use '
            f"{operator.canonical}IfExists"
        )
    return f"the Deny at {deny.pointer} ({operator.canonical} on {entry.key}) does not apply to it"
