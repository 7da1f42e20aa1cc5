"""A ForAllValues condition in an Allow is true when the request does not carry the key at all.

## What it does
For every `ForAllValues:` condition of an `Allow` statement, searches for a request of the statement's own
kind (the caller and API its principals and actions admit) **without** that key -- or with an empty list of
values -- that the policy allows. If one exists, the condition constrains nothing for callers that simply
omit the key, and the finding shows that request. The search is semantic: a `"Null": {"<key>": "false"}`
guard in the same statement, or a `Deny` that refuses requests without the key, makes the condition safe and
the rule quiet.

The message also says when the key cannot carry several values (Access Analyzer's security warning
"ForAllValues with single valued key"; a key is single-valued when the global-key table or the IAM database
types it as a non-array), and when it is never present at all: a `saml:` name that is not among the SAML keys
AWS documents, such as the recipe's `SAML:department`, is absent from every request, so *every* caller passes.

Severity: error when the key is single-valued or never present; warning when it is a multivalued key that
describes the caller (SAML attributes, web-identity claims such as `amr`, `aws:PrincipalOrgPaths`) or one the
tables do not know.

Multivalued keys that describe what the request *does* -- `aws:TagKeys`, `sts:TransitiveTagKeys`,
`aws:CalledVia`, service keys typed `ArrayOf...` such as `kms:GrantOperations` -- are not reported: there an
absent key means the request passes no tags or asks for no operations, which an allowlist of values permits
by design (AWS's own managed policies use `ForAllValues:StringEquals aws:TagKeys [...]` this way).

A `ForAllValues` qualifier on a single-valued key that is not exploitable (guarded, or in a `Deny`) is a note.

Not reported:
- `ForAnyValue`: it is false when the key is absent, so it never grants more than intended (on a single-valued
  key it behaves like the plain operator).
- `ForAllValues` in a `Deny`: being true for an absent key makes the Deny apply to requests without the key --
  it denies more, never less. The dangerous direction is the Allow.

For identity and resource policies, the request kind is the statement's first action (a wildcard stands for
any action it matches) by any principal the policy admits.

## Why is this bad
AWS: `ForAllValues` "also returns true if there are no keys in the request, or if the key values resolve to
a null data set". The author of `"ForAllValues:StringLike": {"SAML:department": ["Engineering", "Security"]}`
meant "only these departments"; what IAM evaluates is "no department outside these" -- and a request without
the attribute has none outside them. AWS: "Do not use set operators with single-valued condition keys."

## Example
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111111111111:saml-provider/CorporateIdP"},
 "Action": "sts:AssumeRoleWithSAML",
 "Condition": {
   "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"},
   "ForAllValues:StringLike": {"SAML:department": ["Engineering", "Security", "DevOps"]}}}
```

## Use instead
Require a value: `ForAnyValue:` (false when the key is absent), or keep `ForAllValues:` and add a
`"Null": {"<key>": "false"}` guard. For a single-valued key, drop the qualifier. A custom SAML attribute is no
condition key at all: send it as a session tag and test `aws:RequestTag/...`:
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111111111111:saml-provider/CorporateIdP"},
 "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
 "Condition": {
   "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"},
   "StringLike": {"aws:RequestTag/department": ["Engineering", "Security", "DevOps"]}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-security-warning-forallvalues-with-single-valued-key
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import role_account_of, undecided_finding, witness_finding
from xacct_lint.evaluate.concrete import CallerType, action_matches
from xacct_lint.evaluate.search import (
    MULTIVALUED_KEYS,
    KeyPin,
    RequestKind,
    Unknown,
    Witness,
    describe_caller,
    find_request,
    statement_kinds,
)
from xacct_lint.model.inventory import Policy, PolicyKind
from xacct_lint.parse.policy import ConditionEntry, Statement

if TYPE_CHECKING:
    from xacct_lint.iamdb import IamDatabase

META = RuleMeta(
    id="XA207", name="vacuous-forallvalues", severity=Severity.ERROR, tags=("condition", "semantic")
)

_PROBE_ACTION = "xacctprobe:ProbeAction"  # an action no NotAction list names


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per ForAllValues condition that passes requests without its key."""
    for policy in ctx.model.policies:
        account = role_account_of(policy)
        for statement in policy.document.statements:
            if statement.effect not in ("Allow", "Deny"):
                continue
            for entry in statement.conditions:
                if entry.operator.qualifier == "ForAllValues" and entry.operator.base is not None:
                    yield from _entry_findings(ctx, policy, statement, entry, account)


def _entry_findings(
    ctx: RuleContext, policy: Policy, statement: Statement, entry: ConditionEntry, account: str | None
) -> Iterator[Finding]:
    single = _single_valued(ctx, entry.key)
    if not single and _request_content_key(ctx, entry.key):
        # "No values" of a key that lists what the request *does* (tag keys passed, KMS grant operations)
        # means the request does none of it; an allowlist of such values permits that by design, and AWS's
        # own managed policies rely on it (161 such uses in the managed-policy corpus). Only keys that say
        # who the caller *is* make absence dangerous.
        return
    if statement.is_allow:
        result = _vacuous_request(ctx, policy, statement, entry, account)
        if isinstance(result, Witness):
            yield _vacuous_finding(policy, statement, entry, result, single)
            return
        if isinstance(result, Unknown):
            question = f"{entry.operator.raw} on {entry.key} passes requests without {entry.key}"
            yield undecided_finding(META.id, policy, entry.key_pointer, question, result)
            return
    if single:
        # Not exploitable here (guarded, or a Deny, which only denies more), but still the misuse Access
        # Analyzer warns about: on a one-value key the qualifier adds nothing but the vacuous case.
        yield Finding(
            META.id,
            f"{entry.operator.raw} on {entry.key}, a single-valued key: the qualifier only adds the case "
            f"where the key is absent (then it is true); use {_plain(entry)} without a qualifier (Access "
            'Analyzer: "ForAllValues with single valued key")',
            policy.at(entry.key_pointer),
            severity=Severity.NOTE,
        )


def _vacuous_request(
    ctx: RuleContext, policy: Policy, statement: Statement, entry: ConditionEntry, account: str | None
) -> Witness | Unknown | None:
    """Return a request of the statement's kinds without the key (or with no values) that the policy
    allows, or Unknown when the search could not decide."""
    pins = {
        entry.key: KeyPin(lambda value: value is None or value == (), description="absent (or no values)"),
    }
    unknown: Unknown | None = None
    for kind in _kinds(policy, statement, account):
        result = find_request(policy.document, kind, pins, budget=ctx.search_budget, only_statement=statement)
        if isinstance(result, Witness):
            return result
        if isinstance(result, Unknown):
            unknown = unknown or result
    return unknown


def _kinds(policy: Policy, statement: Statement, account: str | None) -> list[RequestKind]:
    """Return the request kinds a statement serves: from its principals and actions in a trust policy, else
    one request for a representative action by any principal the policy admits."""
    if policy.kind is PolicyKind.TRUST:
        return statement_kinds(statement, account)
    action = _representative_action(statement)
    if action is None:
        return []
    return [RequestKind(f"{action} request", action, frozenset(CallerType))]


def _representative_action(statement: Statement) -> str | None:
    """Return an action the statement covers: its first Action value (wildcards filled), or a probe action
    outside its NotAction list."""
    if statement.action is not None:
        for value in statement.action.values:
            text = value.text if ":" in value.text else f"xacctprobe:{value.text}"
            candidate = text.replace("*", "Probe").replace("?", "x")
            if action_matches(statement, candidate):
                return candidate
        return None
    if statement.not_action is not None and action_matches(statement, _PROBE_ACTION):
        return _PROBE_ACTION
    return None


def _single_valued(ctx: RuleContext, key: str) -> bool:
    """Return True when AWS documents the key as holding at most one value (unknown keys are not)."""
    from xacct_lint.condition_keys import lookup_global_key, lookup_oidc_key

    folded = key.casefold()
    if folded in MULTIVALUED_KEYS:
        return False
    info = lookup_global_key(key) or lookup_oidc_key(key)
    if info is not None:
        return not info.multivalued
    key_type = _database_type(ctx, key)
    return key_type is not None and not key_type.startswith("ArrayOf")


_CALLER_DESCRIBING_KEYS = frozenset({"aws:principalorgpaths", "aws:principalservicenameslist"})


def _request_content_key(ctx: RuleContext, key: str) -> bool:
    """Return True for a documented multivalued key that describes the request's content rather than the
    caller: everything multivalued except SAML attributes, web-identity claims and the principal's org paths
    and service names. Keys no table knows are not request-content keys (they stay reported)."""
    from xacct_lint.condition_keys import is_oidc_provider_key, lookup_global_key

    folded = key.casefold()
    if folded.startswith("saml:") or is_oidc_provider_key(key) or folded in _CALLER_DESCRIBING_KEYS:
        return False
    if folded in MULTIVALUED_KEYS:
        return True
    info = lookup_global_key(key)
    if info is not None:
        return info.multivalued
    key_type = _database_type(ctx, key)
    return key_type is not None and key_type.startswith("ArrayOf")


def _database_type(ctx: RuleContext, key: str) -> str | None:
    from xacct_lint.iamdb import IamDatabaseUnavailable

    try:
        db: IamDatabase = ctx.iamdb()
    except IamDatabaseUnavailable:
        return None
    return db.condition_key_type(key)


def _never_present_saml_key(key: str) -> bool:
    """Return True for a ``saml:`` key AWS does not document: such an attribute never reaches the request
    context (iam-facts §8.1)."""
    from xacct_lint.condition_keys import lookup_global_key

    return key.casefold().startswith("saml:") and lookup_global_key(key) is None


def _plain(entry: ConditionEntry) -> str:
    base = entry.operator.base or entry.operator.raw
    return f"{base}IfExists" if entry.operator.if_exists else base


def _vacuous_finding(
    policy: Policy, statement: Statement, entry: ConditionEntry, witness: Witness, single: bool
) -> Finding:
    key = entry.key
    message = (
        f"{entry.operator.raw} on {key} is true when the request carries no {key} (ForAllValues "
        '"also returns true if there are no keys in the request"), so this condition constrains nothing '
        f"for callers that omit it: {describe_caller(witness.request.caller)} passes {statement.pointer} "
        f"without {key}"
    )
    severity: Severity | None = None
    if _never_present_saml_key(key):
        attribute = key.partition(":")[2].removesuffix("[]")
        message += (
            f". Worse, {key} is not a SAML condition key AWS documents: a custom SAML attribute never "
            f"reaches the request context, so {key} is absent from every AssumeRoleWithSAML request and "
            f"every user of the identity provider passes. ForAnyValue:{_plain(entry)} (false when the key "
            f'is absent) or a "Null": {{"{key}": "false"}} guard would close the hole but, with a key that '
            "never arrives, lock everyone out: send the attribute as a session tag instead (SAML attribute "
            f"https://aws.amazon.com/SAML/Attributes/PrincipalTag:{attribute}, with sts:TagSession "
            f"allowed) and test aws:RequestTag/{attribute}"
        )
    elif single:
        message += (
            f". {key} is single-valued (Access Analyzer security warning "
            '"ForAllValues with single valued key"): '
            f"use {_plain(entry)} without a qualifier, which is false when the key is absent"
        )
    else:
        message += (
            f". If requests without {key} must be refused, use ForAnyValue:{_plain(entry)} (false when the "
            f'key is absent) or add "Null": {{"{key}": "false"}} to this statement'
        )
        severity = Severity.WARNING
    finding = witness_finding(META.id, message, policy, witness, entry.key_pointer, severity=severity)
    if not witness.request.action.casefold().startswith("sts:"):
        # Witness.reproduce only knows STS calls; for other actions it would print an assume-role command.
        finding = dataclasses.replace(finding, reproduce=None)
    return finding
