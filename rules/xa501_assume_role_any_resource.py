"""An identity policy allows sts:AssumeRole on any role -- of any account, or of a whole account.

## What it does
For every `Allow` statement of an identity (permission) policy whose `Action` covers `sts:AssumeRole` (also
`sts:*`, `sts:Assume*`, `*` and `NotAction` forms), asks the evaluator two questions, each a search over the
request context:

1. **Any account** (error): may a principal with this policy assume a role it has never heard of, in an
   account that is neither its own nor named anywhere -- `arn:aws:iam::888877776666:role/ZZfreshRole0`? This
   catches `"Resource": "*"`, `arn:aws:iam::*:role/*`, `arn:aws:iam::*:*`, `NotResource` lists that exclude a
   few roles, and so on.
2. **A whole account** (warning): for each account the statement *singles out* -- written literally in its
   `Resource`/`NotResource` ARNs or its `aws:ResourceAccount` values, or the principal's own account when an
   `aws:ResourceAccount` value is `${aws:PrincipalAccount}` -- may it assume an *untagged* role of a name the
   policy does not mention in that account? `arn:aws:iam::123456789012:role/*` does, and so do
   `arn:aws:iam::*:role/*` with `"aws:ResourceAccount": "123456789012"` and `*` with
   `"aws:ResourceAccount": "${aws:PrincipalAccount}"`; `arn:aws:iam::123456789012:role/CrossAccount-*` does
   not. An organisation condition (`aws:ResourceOrgID`) singles out no account: it is the perimeter AWS
   recommends, and `*` restricted to your organisation is quiet.

Conditions count, semantically. In the any-account question the target role's account is an outsider's
(`aws:ResourceAccount` = 888877776666) and outside every organisation the policy or the configuration names
(`aws:ResourceOrgID` / `aws:ResourceOrgPaths` absent or foreign), while the target's tags are the
attacker's to choose -- so `aws:ResourceAccount`, `aws:ResourceOrgID` or `aws:ResourceOrgPaths` conditions
make the rule quiet, an `aws:ResourceTag/...` condition does not. In the whole-account question the target
role carries no tags, so an attribute-based `aws:ResourceTag/<key>` condition (ABAC) makes it quiet too.
Conditions on the caller (MFA, source IP, `aws:PrincipalTag`) do not restrict the target and are satisfied
by the witness. A `Deny` in the same policy that excludes the target is taken into account.

**Name-prefix wildcards are not reported.** `arn:aws:iam::222222222222:role/CrossAccount-*` (the recipe's
master role) grants a named family of roles in one account: the trust policies of those roles decide who
enters, and the grant is what the recipe intends. Only a pattern that admits a role name the policy never
mentions counts as a whole-account wildcard.

The witness names the target role ARN, and the reproduce line is the `aws sts assume-role` call against it.
The rule has no options.

## Why is this bad
A role can be assumed when its trust policy admits the caller *and* the caller's identity policy allows
`sts:AssumeRole` on it (iam-facts §7.1). `"Resource": "*"` gives up the identity side entirely: every role in
every account whose trust policy names this principal or its account -- including a role an outsider creates
in their own account to trust it -- is one call away. That is a data-exfiltration path (credentials for a
foreign account inside your network) and makes the permission graph depend only on other accounts' trust
policies. A whole-account wildcard lets the principal into any role that account's trust policies admit for
it, including roles created later.

## Example
```json
{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
```

## Use instead
Name the roles (or a name prefix) the principal needs:
```json
{"Effect": "Allow", "Action": "sts:AssumeRole",
 "Resource": ["arn:aws:iam::222222222222:role/CrossAccount-*"]}
```
or keep the wildcard and restrict the target to your organisation:
```json
{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
 "Condition": {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import undecided_finding, witness_finding
from xacct_lint.evaluate.concrete import Caller, CallerType, action_matches
from xacct_lint.evaluate.operators import glob_match
from xacct_lint.evaluate.search import (
    FRESH_ACCOUNT,
    PROBE_ROLE,
    PROBE_SESSION,
    PROBE_USER,
    ContextValue,
    KeyPin,
    NoneExists,
    RequestKind,
    Unknown,
    Witness,
    candidate_callers,
    find_request,
)
from xacct_lint.model.inventory import Policy, PolicyKind, arn_account
from xacct_lint.parse.policy import ConditionEntry, PolicyDocument, Statement, ValueList

META = RuleMeta(
    id="XA501", name="assume-role-any-resource", severity=Severity.ERROR, tags=("permissions", "identity")
)

ASSUME_ROLE = "sts:AssumeRole"
# A role name no policy mentions: no dash, underscore or digit run that a name-prefix pattern would expect.
FRESH_ROLE = "ZZfreshRole0"
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]*:iam::(\d{12}):")
_ACCOUNT = re.compile(r"^\d{12}$")
# Accounts for the outsider's role: never a caller's account (candidate callers live in FRESH_ACCOUNT), so a
# condition such as aws:ResourceAccount = ${aws:PrincipalAccount} cannot be met by accident.
_OUTSIDER_ACCOUNTS = ("888877776666", "777766665555", "666655554444")
_RESOURCE_TAG = ("aws:resourcetag/", "iam:resourcetag/")


def _role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{FRESH_ROLE}"


def _exactly(value: str) -> KeyPin:
    return KeyPin(lambda v: v == (value,), (value,), description=f"= {value}")


def _org_ids(entries: Iterable[ConditionEntry], configured: Iterable[str]) -> frozenset[str]:
    """Return the organisations the policy or the configuration names literally (our own, by assumption)."""
    ids = set(configured)
    for entry in entries:
        for value in entry.values:
            head = value.text.split("/", 1)[0]
            literal = head and "*" not in head and "?" not in head
            if entry.key_lower in ("aws:resourceorgid", "aws:resourceorgpaths") and literal:
                ids.add(head)
    return frozenset(ids)


def _foreign_org_pins(statements: Iterable[Statement], configured: Iterable[str]) -> dict[str, KeyPin]:
    """Pin the target's organisation keys to "absent or an organisation nobody named": an outsider's account
    cannot join your organisation (iam-facts §7.6 describes the principal-side twins of these keys)."""
    entries = [e for s in statements for e in s.conditions]
    ours = _org_ids(entries, configured)

    def foreign_id(value: ContextValue) -> bool:
        return value is None or all(v not in ours for v in value)

    def foreign_paths(value: ContextValue) -> bool:
        return value is None or all(v.split("/", 1)[0] not in ours for v in value)

    return {
        "aws:ResourceOrgID": KeyPin(foreign_id, description="absent or a foreign organisation"),
        "aws:ResourceOrgPaths": KeyPin(foreign_paths, description="absent or a foreign organisation"),
    }


def _untagged_pins(statements: Iterable[Statement]) -> dict[str, KeyPin]:
    """Pin every resource-tag key the policy tests absent: the probe role of a whole-account question has no
    tags, so tag-based (ABAC) grants do not reach it."""
    pins: dict[str, KeyPin] = {}
    for statement in statements:
        for entry in statement.conditions:
            if entry.key_lower.startswith(_RESOURCE_TAG):
                pins[entry.key] = KeyPin(lambda v: v is None, description="absent (an untagged role)")
    return pins


def _mentioned(pins: dict[str, KeyPin], mentioned: set[str]) -> dict[str, KeyPin]:
    """Keep the pins on keys the policy tests: others change no decision and only clutter the witness."""
    return {k: v for k, v in pins.items() if k.casefold() in mentioned}


def _named_accounts(statement: Statement, own: str | None, foreign: str) -> list[str]:
    """Return the accounts the statement singles out, whose every role it might grant: those written literally
    in its Resource/NotResource ARNs or aws:ResourceAccount values, and the caller's own account when an
    aws:ResourceAccount value is a policy variable (``${aws:PrincipalAccount}``); the own account first.

    An organisation condition singles out no account: it is a perimeter, not an account wildcard.
    """
    found: set[str] = set()
    block = statement.resource if statement.resource is not None else statement.not_resource
    if block is not None:
        found.update(m.group(1) for v in block.values if (m := _ACCOUNT_IN_ARN.match(v.text)))
    own_named = False
    for entry in statement.conditions:
        if entry.key_lower == "aws:resourceaccount":
            found.update(v.text for v in entry.values if _ACCOUNT.match(v.text))
            own_named = own_named or any("${" in v.text for v in entry.values)
    if own and own_named:
        found.add(own)
    found.discard(foreign)
    return sorted(found, key=lambda account: (account != own, account))


def _foreign_account(callers: Iterable[Caller], document: PolicyDocument) -> str:
    """Return an account that no caller belongs to and the policy never writes: the outsider's account."""
    used = {c.account for c in callers}
    texts = [v.text for s in document.statements for e in s.conditions for v in e.values]
    texts += [
        v.text for s in document.statements for b in (s.resource, s.not_resource) if b for v in b.values
    ]
    for account in _OUTSIDER_ACCOUNTS:
        if account not in used and not any(account in t for t in texts):
            return account
    return _OUTSIDER_ACCOUNTS[-1]


def _callers(policy: Policy) -> list[Caller]:
    """Return principals the policy may be attached to: its role's session when known, else an IAM user and a
    role session of its account, plus the search's usual probes."""
    callers: list[Caller] = []
    if policy.role_arn is not None:
        account = arn_account(policy.role_arn) or FRESH_ACCOUNT
        name = policy.role_arn.rsplit("/", 1)[-1]
        session = f"arn:aws:sts::{account}:assumed-role/{name}/{PROBE_SESSION}"
        callers.append(Caller(CallerType.ROLE_SESSION, policy.role_arn, account, session))
    else:
        account = policy.account_id or FRESH_ACCOUNT
        callers.append(Caller(CallerType.USER, f"arn:aws:iam::{account}:user/{PROBE_USER}", account))
        session = f"arn:aws:sts::{account}:assumed-role/{PROBE_ROLE}/{PROBE_SESSION}"
        role = f"arn:aws:iam::{account}:role/{PROBE_ROLE}"
        callers.append(Caller(CallerType.ROLE_SESSION, role, account, session))
    seen = {(c.type, c.arn) for c in callers}
    callers.extend(c for c in candidate_callers(policy.document) if (c.type, c.arn) not in seen)
    return callers


def _kind(target: str, what: str) -> RequestKind:
    return RequestKind(
        f"AssumeRole on {what}",
        ASSUME_ROLE,
        frozenset({CallerType.USER, CallerType.ROLE_SESSION}),
        resource=target,
    )


def _granting_value(statement: Statement, target: str) -> tuple[str, str]:
    """Return (pointer, description) of the Resource value that covers the target, or of the NotResource
    element that fails to exclude it."""
    if statement.resource is not None:
        for value in statement.resource.values:
            if glob_match(value.text, target):
                return value.pointer, f"Resource {value.text!r}"
        return statement.resource.pointer, "its Resource"
    block: ValueList | None = statement.not_resource
    if block is not None:
        listed = ", ".join(repr(v.text) for v in block.values)
        return block.pointer, f"NotResource [{listed}], which does not exclude it"
    return statement.pointer, "no Resource element"


def _conditions_note(statement: Statement) -> str:
    if not statement.conditions:
        return ""
    keys = ", ".join(sorted({e.key for e in statement.conditions}))
    return f"; its conditions ({keys}) do not restrict the target"


def _finding(policy: Policy, statement: Statement, witness: Witness, target: str, scope: str) -> Finding:
    pointer, granted_by = _granting_value(statement, target)
    any_account = scope == "any"
    account = arn_account(target)
    if any_account:
        where = "any role in any account"
    elif account == witness.request.caller.account:
        where = f"every role of the principal's own account ({account})"
    else:
        where = f"every role of account {account}"
    message = (
        f"{statement.pointer} allows {ASSUME_ROLE} on {where} through {granted_by}: "
        f"e.g. {target}, a role the policy never names"
    )
    if any_account:
        message += _conditions_note(statement)
        message += "; restrict the target with aws:ResourceOrgID or aws:ResourceAccount, or name the roles"
    else:
        message += "; name the roles or a role-name prefix instead"
    finding = witness_finding(
        META.id, message, policy, witness, pointer, severity=None if any_account else Severity.WARNING
    )
    # The witness's command targets the probe role, not the role this policy is attached to.
    return replace(finding, reproduce=witness.reproduce(target))


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per identity-policy statement that allows sts:AssumeRole on unnamed roles."""
    for policy in ctx.model.policies:
        if policy.kind is not PolicyKind.IDENTITY:
            continue
        document = policy.document
        statements = [s for s in document.statements if s.is_allow and action_matches(s, ASSUME_ROLE)]
        if not statements:
            continue
        callers = _callers(policy)
        outsider = _foreign_account(callers, document)
        org_pins = _foreign_org_pins(document.statements, ctx.config.organization_ids)
        untagged = _untagged_pins(document.statements)
        mentioned = {e.key_lower for s in document.statements for e in s.conditions}
        for statement in statements:
            target = _role_arn(outsider)
            pins = _mentioned({"aws:ResourceAccount": _exactly(outsider), **org_pins}, mentioned)
            result = find_request(
                document,
                _kind(target, "a role of a fresh account"),
                pins,
                budget=ctx.search_budget,
                only_statement=statement,
                callers=callers,
            )
            if isinstance(result, Witness):
                yield _finding(policy, statement, result, target, "any")
                continue
            if isinstance(result, Unknown):
                yield undecided_finding(
                    META.id,
                    policy,
                    statement.pointer,
                    f"{ASSUME_ROLE} is allowed on roles of any account",
                    result,
                )
                continue
            accounts = _named_accounts(statement, callers[0].account, outsider)
            yield from _whole_account(ctx, policy, statement, callers, accounts, untagged, mentioned)


def _whole_account(
    ctx: RuleContext,
    policy: Policy,
    statement: Statement,
    callers: list[Caller],
    accounts: list[str],
    untagged: dict[str, KeyPin],
    mentioned: set[str],
) -> Iterator[Finding]:
    for account in accounts:
        target = _role_arn(account)
        pins = _mentioned({"aws:ResourceAccount": _exactly(account), **untagged}, mentioned)
        result = find_request(
            policy.document,
            _kind(target, f"an untagged role of account {account}"),
            pins,
            budget=ctx.search_budget,
            only_statement=statement,
            callers=callers,
        )
        if isinstance(result, NoneExists):
            continue
        if isinstance(result, Unknown):
            yield undecided_finding(
                META.id,
                policy,
                statement.pointer,
                f"{ASSUME_ROLE} is allowed on every role of {account}",
                result,
            )
            continue
        yield _finding(policy, statement, result, target, "account")
