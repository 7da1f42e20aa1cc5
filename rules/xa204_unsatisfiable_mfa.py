"""An MFA condition on a SAML or web-identity trust statement: the statement can never match.

## What it does
Looks at every ``Allow`` statement of a trust policy whose only principals are ``Federated`` (SAML providers
or OIDC/web-identity providers) and that tests ``aws:MultiFactorAuthPresent`` or ``aws:MultiFactorAuthAge``.
For each request kind the statement serves (``sts:AssumeRoleWithSAML``, ``sts:AssumeRoleWithWebIdentity``) it
asks the witness search two questions about the statement alone, Deny statements left aside:

1. can any request of that kind match the statement? -- and
2. could one match if the MFA conditions were removed?

When the answer is "no" and then "yes", the MFA condition alone makes the statement dead: the role cannot be
assumed through it. The finding points at the MFA condition entry (the first of them when several each make
the statement unsatisfiable on their own, the others are listed as related places).

A statement that stays usable only if STS *omits* the MFA key for these sessions -- rather than sending it as
``false`` -- (for instance ``BoolIfExists`` ``true``) gets a note instead: AWS does not say which of the two
it does (UNCONFIRMED, iam-facts §2.3).

No options. Severity error: the statement can never work, and the MFA it seems to enforce is enforced nowhere.
Always on, whatever the configuration requires.

## Why is this bad
STS never sets MFA for federated sessions. AWS's comparison of the STS APIs lists "MFA support: No" for
``AssumeRoleWithSAML`` and ``AssumeRoleWithWebIdentity``: "the user is authenticated by an external provider
and AWS cannot determine whether that provider required MFA". A ``"Bool": {"aws:MultiFactorAuthPresent":
"true"}`` on such a statement is never true, so nobody can sign in through it -- and whoever wrote it
believes MFA is enforced. Enforce MFA at the identity provider instead.

## Example
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/CorporateIdP"},
 "Action": "sts:AssumeRoleWithSAML",
 "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"},
               "Bool": {"aws:MultiFactorAuthPresent": "true"}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/CorporateIdP"},
 "Action": "sts:AssumeRoleWithSAML",
 "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}
```
and require MFA in the identity provider's sign-in policy.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, RuleMeta, Severity
from xacct_lint.engine.semantic import role_account_of, undecided_finding
from xacct_lint.evaluate.search import (
    KeyPin,
    NoneExists,
    RequestKind,
    SearchResult,
    Unknown,
    Witness,
    find_request,
    statement_kinds,
)
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import ConditionEntry, PolicyDocument, Statement

META = RuleMeta(
    id="XA204", name="unsatisfiable-mfa", severity=Severity.ERROR, tags=("trust", "condition", "mfa")
)

PRESENT = "aws:MultiFactorAuthPresent"
_MFA_KEYS = ("aws:multifactorauthpresent", "aws:multifactorauthage")
_FEDERATED_ACTIONS = {"sts:AssumeRoleWithSAML": "SAML", "sts:AssumeRoleWithWebIdentity": "web-identity"}
_MFA_ABSENT = KeyPin(lambda value: value is None, description="absent")
_MFA_FALSE = KeyPin(lambda value: value is not None and value == ("false",), description="false")
_UNCONFIRMED = (
    "Whether STS omits aws:MultiFactorAuthPresent for these sessions or sends it as false is UNCONFIRMED "
    "(iam-facts §2.3)"
)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per federated-only statement that its MFA condition makes impossible to match."""
    for policy in ctx.model.trust_policies():
        account = role_account_of(policy)
        for statement in policy.document.statements:
            if not statement.is_allow or not _federated_only(statement):
                continue
            mfa = [e for e in statement.conditions if e.key_lower in _MFA_KEYS]
            kinds = [k for k in statement_kinds(statement, account) if k.action in _FEDERATED_ACTIONS]
            if not mfa or not kinds:
                continue
            yield from _check_statement(ctx, policy, statement, mfa, kinds)


def _federated_only(statement: Statement) -> bool:
    block = statement.principal
    return block is not None and bool(block.entries) and all(e.kind == "Federated" for e in block.entries)


def _check_statement(
    ctx: RuleContext,
    policy: Policy,
    statement: Statement,
    mfa: Sequence[ConditionEntry],
    kinds: Sequence[RequestKind],
) -> Iterator[Finding]:
    document = policy.document
    dead_kinds: list[tuple[RequestKind, Witness]] = []
    for kind in kinds:
        result = _alone(ctx, document, statement, kind)
        if isinstance(result, Unknown):
            yield undecided_finding(
                META.id, policy, statement.pointer, f"{statement.pointer} can ever match", result
            )
            return
        if isinstance(result, Witness):
            # Usable through this kind -- unless only because the MFA key is absent rather than false.
            yield from _depends_on_unconfirmed(ctx, policy, statement, mfa, kind)
            return
        stripped = _without(document, statement, mfa)
        without = _alone(ctx, stripped[0], stripped[1], kind)
        if isinstance(without, Unknown):
            question = f"{statement.pointer} could match without its MFA condition"
            yield undecided_finding(META.id, policy, statement.pointer, question, without)
            return
        if isinstance(without, Witness):
            dead_kinds.append((kind, without))
    if not dead_kinds:
        return  # dead for another reason than MFA: not this rule's finding
    culprits = _culprits(ctx, document, statement, mfa, dead_kinds[0][0])
    first = culprits[0]
    sessions = " and ".join(f"{_FEDERATED_ACTIONS[k.action]} sessions" for k, _ in dead_kinds)
    apis = " and ".join(k.action.removeprefix("sts:") for k, _ in dead_kinds)
    tests = ", ".join(f"{e.operator.canonical} on {e.key}" for e in culprits)
    message = (
        f"{statement.pointer} can never match: {sessions} never carry MFA "
        f"(AWS: 'MFA support: No' for {apis}), "
        f"so its condition ({tests}) is never met and the role cannot be assumed through this statement; "
        "enforce MFA at the IdP"
    )
    if any(e.key_lower == PRESENT.casefold() for e in culprits):
        message += f". {_UNCONFIRMED}, but irrelevant here: neither satisfies this condition"
    else:  # only aws:MultiFactorAuthAge: present only after MFA (iam-facts §2.5)
        message += ". aws:MultiFactorAuthAge is present only in requests authenticated with MFA"
    related = tuple((policy.at(e.key_pointer), "also requires MFA") for e in culprits[1:])
    example = dead_kinds[0][1]
    yield Finding(
        META.id,
        message,
        policy.at(first.key_pointer),
        related=related,
        properties={"matches_without_mfa": example.to_dict() | {"description": example.describe()}},
    )


def _alone(
    ctx: RuleContext, document: PolicyDocument, statement: Statement, kind: RequestKind
) -> SearchResult:
    """Return whether a request of the kind can match the statement on its own (Deny statements aside)."""
    return find_request(
        document, kind, None, budget=ctx.search_budget, only_statement=statement, include_denies=False
    )


def _without(
    document: PolicyDocument,
    statement: Statement,
    drop: Sequence[ConditionEntry],
    keep: Sequence[ConditionEntry] = (),
) -> tuple[PolicyDocument, Statement]:
    """Return the document with the statement's ``drop`` entries (but ``keep``) removed, and the statement."""
    conditions = tuple(e for e in statement.conditions if e not in drop or e in keep)
    changed = replace(statement, conditions=conditions)
    statements = tuple(changed if s is statement else s for s in document.statements)
    return replace(document, statements=statements), changed


def _culprits(
    ctx: RuleContext,
    document: PolicyDocument,
    statement: Statement,
    mfa: Sequence[ConditionEntry],
    kind: RequestKind,
) -> list[ConditionEntry]:
    """Return the MFA entries that each make the statement unsatisfiable on their own (all when none does)."""
    culprits = []
    for entry in mfa:
        reduced, changed = _without(document, statement, mfa, keep=(entry,))
        if isinstance(_alone(ctx, reduced, changed, kind), NoneExists):
            culprits.append(entry)
    return culprits or list(mfa)


def _depends_on_unconfirmed(
    ctx: RuleContext, policy: Policy, statement: Statement, mfa: Sequence[ConditionEntry], kind: RequestKind
) -> Iterator[Finding]:
    """Yield a note when the statement matches with the MFA key absent but not with it false (or reverse)."""
    if not any(e.key_lower == PRESENT.casefold() for e in mfa):
        return
    document = policy.document
    outcomes = {}
    for name, pin in (("absent", _MFA_ABSENT), ("false", _MFA_FALSE)):
        outcomes[name] = find_request(
            document,
            kind,
            {PRESENT: pin},
            budget=ctx.search_budget,
            only_statement=statement,
            include_denies=False,
        )
    undecided = next((r for r in outcomes.values() if isinstance(r, Unknown)), None)
    if undecided is not None:
        # The statement is usable, but whether it stays usable when STS sends the key the other way is open:
        # "could not analyse" is a note, never silence.
        question = (
            f"{statement.pointer} matches {_FEDERATED_ACTIONS[kind.action]} sessions both with "
            "aws:MultiFactorAuthPresent absent and with it false"
        )
        yield undecided_finding(META.id, policy, statement.pointer, question, undecided)
        return
    works = [name for name, r in outcomes.items() if isinstance(r, Witness)]
    if len(works) != 1:
        return
    entry = next(e for e in mfa if e.key_lower == PRESENT.casefold())
    other = "false" if works[0] == "absent" else "absent"
    session = _FEDERATED_ACTIONS[kind.action]
    message = (
        f"{statement.pointer} matches {session} sessions only if aws:MultiFactorAuthPresent is {works[0]} in "
        f"them; if STS sends it {other} instead, its {entry.operator.canonical} condition on {entry.key} "
        f"never holds and the role cannot be assumed through this statement. {_UNCONFIRMED}. {session} "
        "sessions never carry MFA, so this condition enforces nothing either way: remove it and enforce MFA "
        "at the IdP"
    )
    yield Finding(
        META.id, message, policy.at(entry.key_pointer), precision=Precision.UNKNOWN, severity=Severity.NOTE
    )
