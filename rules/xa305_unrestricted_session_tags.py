"""A trust policy lets callers pass session tags (sts:TagSession) with keys outside the allowed set.

## What it does
For every `Allow` statement of a trust policy whose `Action` covers `sts:TagSession` (also `sts:*`,
`sts:Tag*`, `*` and `NotAction` forms), searches for a concrete request that passes a session tag whose key
is not allowed, and that the policy allows. Passing tags takes two permissions at once: `sts:TagSession` and
the AssumeRole* action of the call that carries them (iam-facts §4.1), so a witness must pass both -- a
tag-key condition on the AssumeRole statement protects a separate, unconditioned `sts:TagSession` statement.

Two questions, each a search:

- **tag keys**: can the request's `aws:TagKeys` hold a key outside the allowed keys?
- **transitive tag keys**: can `sts:TransitiveTagKeys` hold a key outside the allowed transitive keys? (Only
  asked when `[session-tags] allowed-transitive-keys` is configured; see below.)

Tag keys are case-insensitive (iam-facts §4.1, §4.2), so `project` is allowed when `Project` is; entries of
the allowlists may use IAM wildcards (`team-*`). Because the search is semantic it accepts the safe form
`ForAllValues:StringEquals aws:TagKeys [...]` (every passed key must be listed -- vacuously true when no tags
are passed, which is harmless for this question, iam-facts §4.4, §6.3) and reports the classic mistake
`ForAnyValue:StringEquals aws:TagKeys [...]` (one listed key is enough, any other key rides along), an
`...IfExists` or a negated operator that lets extra keys through, and a second statement that allows tagging
without the condition. A `Deny` that refuses other keys makes the rule quiet. The witness shows the offending
key and the CLI call that passes it.

Callers: AWS principals (`sts:AssumeRole --tags`), SAML sessions (tags from `PrincipalTag:<key>` attributes of
the assertion) and web-identity sessions (the `https://aws.amazon.com/tags` claim). Statements that trust only
an AWS service principal are not checked: the service sets the tags (EKS Pod Identity is the common case), not
a caller.

**Which keys are allowed.** `[session-tags] allowed-keys` in the configuration (which defaults to
`allowed-transitive-keys` when only that is set). With no allowlist configured, a key counts as allowed when
the policy itself names it -- in an `aws:TagKeys` value or as the `<key>` of an `aws:RequestTag/<key>`
condition, in any statement (a bare `*` pattern names nothing). So without configuration the rule reports
`sts:TagSession` granted with no tag-key condition at all, and conditions that still let an unnamed key
through; it stays quiet on a policy that lists its keys with `ForAllValues`. The transitive question needs
`allowed-transitive-keys`: STS only makes passed tags transitive, so without a transitive allowlist the
tag-key question already covers it.

**Options** (`[rules.XA305]`):
- `include-aws-reserved` (bool, default `false`): also check roles on the path
  `/aws-reserved/sso.amazonaws.com/`. IAM Identity Center creates and protects those roles (iam-facts §12);
  their trust policy allows `sts:TagSession` for its attributes-for-access-control feature and cannot be
  edited, so by default they are skipped.

## Why is this bad
Session tags become `aws:PrincipalTag/<key>` in the session (iam-facts §4.4), and attribute-based access
control (ABAC) grants access by comparing them with resource tags. A caller who may choose any tag key can set
the very tag a permission policy trusts (`team`, `project`, `access-level` ...) and grant itself access; a
transitive tag even survives role chaining and overrides the next role's own tags in its trust evaluation
(iam-facts §4.2). AWS: "you must have the following permissions-only action in your policy: `sts:TagSession`"
-- the trust policy is the place to restrict which keys.

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
 "Action": ["sts:AssumeRole", "sts:TagSession"],
 "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["Project", "Department"]}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
 "Action": ["sts:AssumeRole", "sts:TagSession"],
 "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["Project", "Department"],
                                             "sts:TransitiveTagKeys": ["Project"]}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tagkeys
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_transitivetagkeys
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, RuleMeta, Severity
from xacct_lint.engine.semantic import entries_for, role_account_of, undecided_finding, witness_finding
from xacct_lint.evaluate.concrete import Caller, Effect, Request, action_matches, evaluate
from xacct_lint.evaluate.operators import glob_match
from xacct_lint.evaluate.search import (
    ContextValue,
    KeyPin,
    NoneExists,
    RequestKind,
    SearchResult,
    Unknown,
    Witness,
    assume_role_kind,
    describe_caller,
    find_request,
    saml_kind,
    tag_session_kind,
    web_identity_kind,
)
from xacct_lint.model.inventory import Policy, parse_role_arn
from xacct_lint.parse.policy import PolicyDocument, Statement

META = RuleMeta(
    id="XA305", name="unrestricted-session-tags", severity=Severity.WARNING, tags=("trust", "session-tags")
)

TAG_SESSION = "sts:TagSession"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
_REQUEST_TAG = "aws:requesttag/"


@dataclass(frozen=True)
class _Question:
    """One thing a tagging caller must not be able to do: put a key outside ``allowed`` into ``key``."""

    key: str  # the multivalued condition key, as AWS spells it
    what: str  # "session tag key" / "transitive tag key"
    allowed: tuple[str, ...]  # allowed key patterns (IAM wildcards), compared case-insensitively
    configured: bool  # False: ``allowed`` is what the policy itself names

    def offending(self, tag_key: str) -> bool:
        """Return whether a tag key is outside the allowed set (a key has 1-128 characters, §4.5)."""
        return bool(tag_key) and not any(glob_match(a, tag_key, ignore_case=True) for a in self.allowed)

    def pin(self) -> KeyPin:
        """Return the search constraint: the key is present and holds at least one key not allowed."""

        def holds_offending(value: ContextValue) -> bool:
            return value is not None and any(self.offending(k) for k in value)

        return KeyPin(holds_offending, self.allowed, "StringLike", f"holds a {self.what} not allowed")

    def allowed_text(self) -> str:
        """Return how the message names the allowed set."""
        if self.configured:
            listed = ", ".join(self.allowed) if self.allowed else "none"
            setting = "allowed-keys" if self.key == "aws:TagKeys" else "allowed-transitive-keys"
            return f"not in [session-tags] {setting} ({listed})"
        return "named by no condition of this policy (and no [session-tags] allowlist is configured)"


def _implicit_allowlist(document: PolicyDocument) -> tuple[str, ...]:
    """Return the tag keys a policy names itself: aws:TagKeys values and aws:RequestTag/<key> names.

    A value that is only wildcards admits every key, so it names nothing.
    """
    named: list[str] = []
    for statement in document.statements:
        for entry in statement.conditions:
            if entry.key_lower == "aws:tagkeys":
                named.extend(v.text for v in entry.values if v.text.strip("*?"))
            elif entry.key_lower.startswith(_REQUEST_TAG):
                named.append(entry.key.split("/", 1)[1])
    return tuple(dict.fromkeys(named))


def _questions(ctx: RuleContext, document: PolicyDocument) -> list[_Question]:
    allowed = ctx.config.allowed_tag_keys
    questions = [
        _Question("aws:TagKeys", "session tag key", allowed, True)
        if allowed is not None
        else _Question("aws:TagKeys", "session tag key", _implicit_allowlist(document), False)
    ]
    transitive = ctx.config.allowed_transitive_tag_keys
    if transitive is not None:
        questions.append(_Question("sts:TransitiveTagKeys", "transitive tag key", transitive, True))
    return questions


@dataclass(frozen=True)
class _Carrier:
    """A kind of call that can carry session tags, and how it passes tags and transitive keys (iam-facts §4.1,
    §4.2)."""

    kind: RequestKind
    tags: str
    transitive: str

    def how(self, question: _Question) -> str:
        """Return how this call passes what the question is about."""
        return self.tags if question.key == "aws:TagKeys" else self.transitive


def _carriers(account: str | None) -> list[_Carrier]:
    return [
        _Carrier(assume_role_kind(account, foreign_only=False), "with --tags", "with --transitive-tag-keys"),
        _Carrier(
            saml_kind(),
            "as a PrincipalTag:<key> attribute of its SAML assertion",
            "in the TransitiveTagKeys attribute of its SAML assertion",
        ),
        _Carrier(
            web_identity_kind(),
            "in the https://aws.amazon.com/tags claim of its token",
            "in the transitive_tag_keys of its token's tags claim",
        ),
    ]


def _is_aws_reserved(ctx: RuleContext, policy: Policy) -> bool:
    role = ctx.model.role_for(policy)
    if role is not None:
        return role.path.startswith(SSO_PATH)
    parsed = parse_role_arn(policy.role_arn) if policy.role_arn else None
    return parsed is not None and parsed[1].startswith(SSO_PATH)


def _allows(document: PolicyDocument, request: Request, statement: Statement | None = None) -> bool:
    decision = evaluate(document, request)
    return decision.effect is Effect.ALLOW and (statement is None or statement in decision.deciding)


@dataclass(frozen=True)
class _Split:
    """Each action allows such a request, but the two witnesses differ and neither passes both actions."""

    tagging: Witness
    assuming: Witness


def _joint_search(
    document: PolicyDocument, statement: Statement, base: RequestKind, pins: dict[str, KeyPin], budget: int
) -> SearchResult | _Split:
    """Search for one request that ``statement`` allows as sts:TagSession and the policy allows as ``base``'s
    AssumeRole* action, with the same caller and context (both are authorised for a tagged call).

    The search answers for one action at a time, so this asks from the TagSession side, then from the
    AssumeRole* side, then tries the two witnesses' contexts merged; every candidate is confirmed by the
    concrete evaluator for both actions. NoneExists from either side proves that no tagged call exists.
    """
    tagging = tag_session_kind(base)
    first = find_request(document, tagging, pins, budget=budget, only_statement=statement)
    if not isinstance(first, Witness):
        return first
    if _passes_both(document, statement, base, first.request.caller, first.request.context):
        return first
    # The AssumeRole* side may test keys the TagSession statement does not (an ExternalId): ask from there.
    second = find_request(document, base, pins, budget=budget)
    if not isinstance(second, Witness):
        return second
    key_names = {**second.key_names, **first.key_names}
    shown = tuple(sorted({*first.shown_keys, *second.shown_keys}))
    note = first.precision_note or second.precision_note
    candidates = (
        (second.request.caller, second.request.context),
        (first.request.caller, _merged(first.request.context, second.request.context)),
        (second.request.caller, _merged(second.request.context, first.request.context)),
    )
    for caller, context in candidates:
        if _passes_both(document, statement, base, caller, context):
            tagged = Request(caller, TAG_SESSION, None, context)
            return Witness(tagged, tagging, statement, key_names, shown, note)
    return _Split(first, second)


def _is_tag_key(key: str) -> bool:
    return key.startswith(_REQUEST_TAG) or key in ("aws:tagkeys", "sts:transitivetagkeys")


def _merged(
    tags_from: Mapping[str, tuple[str, ...]], rest_from: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """Return a context with every tag key (RequestTag/*, TagKeys, TransitiveTagKeys) of one witness and the
    other keys of the other: the tags stay one consistent set, and they hold the offending key the search
    pinned, because both witnesses do."""
    merged = {k: v for k, v in tags_from.items() if not _is_tag_key(k)}
    merged.update((k, v) for k, v in rest_from.items() if not _is_tag_key(k))
    merged.update((k, v) for k, v in tags_from.items() if _is_tag_key(k))
    return merged


def _passes_both(
    document: PolicyDocument,
    statement: Statement,
    base: RequestKind,
    caller: Caller,
    context: Mapping[str, tuple[str, ...]],
) -> bool:
    """Return whether a caller's request with this context is allowed both as sts:TagSession (by
    ``statement``) and as the AssumeRole* action."""
    tagged = Request(caller, TAG_SESSION, None, context)
    assuming = Request(caller, base.action, None, context)
    return _allows(document, tagged, statement) and _allows(document, assuming)


def _blame(statement: Statement, key: str) -> str:
    """Return the narrowest node to blame: the key's condition, else the Condition block, else the Action
    value that grants sts:TagSession, else the statement."""
    entries = entries_for(statement, key)
    if entries:
        return entries[0].key_pointer
    if statement.condition_pointer is not None:
        return statement.condition_pointer
    if statement.action is not None:
        for value in statement.action.values:
            if glob_match(value.text, TAG_SESSION, ignore_case=True):
                return value.pointer
        return statement.action.pointer
    return statement.pointer


def _why(statement: Statement, key: str) -> str:
    entries = entries_for(statement, key)
    if not entries:
        return f"without a condition on {key}"
    operators = sorted({e.operator.canonical for e in entries})
    hint = ""
    if any(e.operator.qualifier == "ForAnyValue" for e in entries):
        hint = " (ForAnyValue needs only one listed key; ForAllValues requires every key to be listed)"
    return f"and its {', '.join(operators)} condition on {key} does not exclude it{hint}"


def _finding(
    policy: Policy, statement: Statement, question: _Question, carrier: _Carrier, witness: Witness
) -> Finding:
    value = witness.request.context.get(question.key.casefold()) or ()
    offending = next((k for k in value if question.offending(k)), "?")
    written = {v.text.casefold() for s in policy.document.statements for e in s.conditions for v in e.values}
    written.update(a.casefold() for a in question.allowed)
    # The search's stand-in for "a key nobody wrote down": say so, or readers look for 'ZZfresh0value'.
    shown = f"{offending!r}" if offending.casefold() in written else f"{offending!r} (any key not listed)"
    caller = describe_caller(witness.request.caller)
    message = (
        f"{caller} can pass {question.what} {shown} {carrier.how(question)}, "
        f"{question.allowed_text()}: {statement.pointer} allows {TAG_SESSION} "
        f"{_why(statement, question.key)}, and {carrier.kind.action} is allowed with the same request"
    )
    return witness_finding(META.id, message, policy, witness, _blame(statement, question.key))


def _split_finding(policy: Policy, statement: Statement, question: _Question, carrier: _Carrier) -> Finding:
    """Return a note: each action allows an offending tag alone, but no one request was found for both."""
    return Finding(
        META.id,
        f"could not decide whether {carrier.kind.name} can pass a {question.what} "
        f"{question.allowed_text()}: {statement.pointer} allows {TAG_SESSION} with one, and "
        f"{carrier.kind.action} is allowed with one, but the search found no single request that both allow; "
        "review this policy by hand",
        policy.at(_blame(statement, question.key)),
        precision=Precision.UNKNOWN,
        severity=Severity.NOTE,
    )


def _tagging_statements(document: PolicyDocument) -> Sequence[Statement]:
    return [s for s in document.statements if s.is_allow and action_matches(s, TAG_SESSION)]


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield findings for trust statements that let a caller pass a tag key outside the allowed set."""
    include_reserved = bool(ctx.option(META.id, "include-aws-reserved", False))
    for policy in ctx.model.trust_policies():
        if not include_reserved and _is_aws_reserved(ctx, policy):
            continue
        document = policy.document
        statements = _tagging_statements(document)
        if not statements:
            continue
        questions = _questions(ctx, document)
        account = role_account_of(policy)
        for statement in statements:
            for carrier in _carriers(account):
                for question in questions:
                    pins = {question.key: question.pin()}
                    result = _joint_search(document, statement, carrier.kind, pins, ctx.search_budget)
                    if isinstance(result, NoneExists):
                        continue
                    if isinstance(result, _Split):
                        yield _split_finding(policy, statement, question, carrier)
                        continue
                    if isinstance(result, Unknown):
                        yield undecided_finding(
                            META.id,
                            policy,
                            statement.pointer,
                            f"{carrier.kind.name} can pass a {question.what} {question.allowed_text()}",
                            result,
                        )
                        continue
                    yield _finding(policy, statement, question, carrier, result)
