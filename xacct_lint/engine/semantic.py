"""Helpers for semantic rules: turning a search result into a finding with its witness and reproduction.

Rule packs (built-in or a user's) use these so every semantic finding has the same shape: the witness in
``Finding.witness``, a one-line ``reproduce`` command, and precision "unknown" when the search could not decide.
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.rule import Finding, Precision, Severity
from xacct_lint.evaluate.search import Unknown, Witness
from xacct_lint.model.inventory import Model, Policy, arn_account
from xacct_lint.parse.policy import ConditionEntry, Statement


def role_arn_of(policy: Policy) -> str | None:
    """Return the ARN of the role a trust policy belongs to, when known."""
    return policy.role_arn


def role_account_of(policy: Policy) -> str | None:
    """Return the account a policy lives in, when known (from its role's ARN or its loader)."""
    if policy.account_id:
        return policy.account_id
    if policy.role_arn:
        return arn_account(policy.role_arn)
    return None


def entries_for(statement: Statement, key: str) -> list[ConditionEntry]:
    """Return the condition entries of a statement that test ``key`` (case-insensitive)."""
    folded = key.casefold()
    return [e for e in statement.conditions if e.key_lower == folded]


def culprit_pointer(statement: Statement, key: str) -> str:
    """Return the narrowest pointer to blame for a missing or weak condition on ``key`` in a statement:
    the key's own entry when the statement tests it, else its Condition block, else the statement."""
    entries = entries_for(statement, key)
    if entries:
        return entries[0].key_pointer
    if statement.condition_pointer is not None:
        return statement.condition_pointer
    return statement.pointer


def witness_finding(
    rule_id: str,
    message: str,
    policy: Policy,
    witness: Witness,
    pointer: str,
    *,
    severity: Severity | None = None,
) -> Finding:
    """Return a finding that carries a witness (already confirmed by the concrete evaluator)."""
    precision = Precision.UNKNOWN if witness.precision_note else Precision.EXACT
    text = (
        message if not witness.precision_note else f"{message} (precision unknown: {witness.precision_note})"
    )
    return Finding(
        rule_id,
        text,
        policy.at(pointer),
        witness=witness.to_dict() | {"description": witness.describe()},
        reproduce=witness.reproduce(policy.role_arn),
        precision=precision,
        severity=severity,
    )


def undecided_finding(rule_id: str, policy: Policy, pointer: str, question: str, result: Unknown) -> Finding:
    """Return a note saying the search could not decide a question: "could not analyse" is never "clean"."""
    return Finding(
        rule_id,
        f"could not decide whether {question}: {result.reason} after {result.explored} steps; "
        "review this policy by hand",
        policy.at(pointer),
        precision=Precision.UNKNOWN,
        severity=Severity.NOTE,
    )


def trust_policies(model: Model) -> Iterator[Policy]:
    """Yield every trust policy of the model, in model order."""
    return model.trust_policies()
