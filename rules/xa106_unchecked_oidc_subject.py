"""A web-identity trust accepts tokens for subjects (or applications) you do not own.

## What it does
For every web-identity provider of an ``Allow`` trust statement (``"Federated"`` with an
``arn:aws:iam::...:oidc-provider/<host>`` or one of the built-in providers), searches for a concrete
``sts:AssumeRoleWithWebIdentity`` request whose identifying claim belongs to **someone else**, and that the
statement allows (no ``Deny`` blocking it):

- **GitHub Actions** (``token.actions.githubusercontent.com``): the subject of a repository whose owner is
  not an organisation the policy names -- ``repo:attacker-org/attacker-repo:...``, or an owner that merely
  *starts* like yours (``repo:myorg*`` admits ``repo:myorgxq/...``, an organisation anyone can create).
  ``repo:myorg/*`` is fine; no ``sub`` condition, ``*``, ``repo:*`` and ``repo:myorg*`` are not (iam-facts
  §11). Subjects in a customised format (not starting with ``repo:``) count as foreign.
- **Other OIDC providers** (EKS, GitLab, Terraform Cloud...): a subject the policy never names (no ``sub``
  condition, ``StringLike "*"`` and negated operators fire; a pattern such as ``system:serviceaccount:ci:*``
  is taken as deliberate).
- **Built-in providers**, which have no IAM provider and hence no client-ID list: the application claim --
  ``cognito-identity.amazonaws.com:aud`` (the identity pool), ``accounts.google.com:aud``,
  ``graph.facebook.com:app_id``, ``www.amazon.com:app_id`` -- a value the policy never names.

These findings are errors. ``sub`` and ``aud`` are REQUIRED claims of every OpenID Connect ID token, and the
search treats them as always present, so ``StringLikeIfExists`` on them opens nothing; for a claim a token may
lack (``app_id``) a condition that passes when it is missing (``...IfExists``, negated operators) is reported
as a *warning* whose message says the provider's behaviour is UNCONFIRMED. In addition, for GitHub and other
IAM OIDC providers, a statement that accepts any ``<host>:aud`` value gets a *warning*: STS also checks the
token's audience against the provider's client-ID list, so this is defence in depth, but GitHub's issuer is
shared by all of github.com and the audience is the only claim that says the token was minted for AWS.

The finding points at the claim's condition when the statement tests it, else at its ``Condition`` block or
the statement. Only ``<host>:sub``/``aud``/``app_id`` are modelled: a restriction through other claims (for
example GitHub's ``repository_owner``) is not recognised.

## Why is this bad
GitHub's OIDC issuer is shared by every repository on github.com: AWS warns that without a ``sub`` condition
"GitHub Actions from organizations or repositories outside of your control are able to assume roles associated
with the GitHub IAM IdP", and recommends ``repo:GitHubOrg/*`` "as a minimum" (iam-facts §11). A
``StringLike`` prefix without the ``/`` lets in anyone who registers an organisation with a longer name. For
Cognito and the other built-in providers the audience is the identity pool or application: without it,
identities from any pool or app, in any account, get credentials for your role.

## Example
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
 "Action": "sts:AssumeRoleWithWebIdentity",
 "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
               "StringLike": {"token.actions.githubusercontent.com:sub": "repo:myorg*"}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
 "Action": "sts:AssumeRoleWithWebIdentity",
 "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
               "StringLike": {"token.actions.githubusercontent.com:sub": "repo:myorg/deploy:*"}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
- https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import culprit_pointer, entries_for, undecided_finding, witness_finding
from xacct_lint.evaluate.search import (
    ContextValue,
    KeyPin,
    NoneExists,
    Unknown,
    Witness,
    find_request,
    web_identity_kind,
)
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import PolicyDocument, PrincipalEntry, Statement

from ._principals import entries_with, statements_allowing

META = RuleMeta(id="XA106", name="unchecked-oidc-subject", severity=Severity.ERROR, tags=("trust", "oidc"))

GITHUB_HOST = "token.actions.githubusercontent.com"
ATTACKER_SUBJECT = "repo:attacker-org/attacker-repo:ref:refs/heads/main"
PROBE_VALUE = "xacct-probe-value"

# Providers STS knows without an IAM OIDC provider (iam-facts §13): no client-ID list, so the application
# claim in the trust policy is the only thing that ties tokens to your application.
BUILTIN_APP_CLAIMS = {
    "cognito-identity.amazonaws.com": "aud",
    "accounts.google.com": "aud",
    "graph.facebook.com": "app_id",
    "www.amazon.com": "app_id",
}
_WILDCARD = re.compile(r"[*?]")


@dataclass(frozen=True)
class _Claim:
    """One claim to check for one provider: the question and how to word the answer."""

    claim: str
    foreign: Callable[[str], bool]  # is a present claim value one of someone else's?
    constants: tuple[str, ...]  # foreign values to try besides those derived from the policy
    severity: Severity | None  # None: the rule's default
    who: Callable[[ContextValue], str]  # describes the foreign caller the witness stands for

    def pins(self, key: str) -> list[dict[str, KeyPin]]:
        """Return the questions to ask in turn: a token whose claim is someone else's value, then a token
        without the claim. The second can only succeed for claims a token may lack (the search treats the
        ``sub`` and ``aud`` that OpenID Connect makes REQUIRED as always present); it shows that an
        ``...IfExists`` or negated condition would let such a token in."""
        foreign = self.foreign
        present = KeyPin(
            lambda value: value is not None and len(value) == 1 and foreign(value[0]),
            self.constants,
            description="a value of someone else",
        )
        missing = KeyPin(lambda value: value is None, description="absent")
        return [{key: present}, {key: missing}]


def provider_host(entry: PrincipalEntry) -> str | None:
    """Return the host of a web-identity Federated principal (provider ARN or built-in host), else None."""
    value = entry.normalized
    if value.startswith("arn:"):
        _, marker, host = value.partition(":oidc-provider/")
        return host or None if marker else None
    return value if "." in value and "/" not in value else None


def github_owner(subject: str) -> str | None:
    """Return the repository owner of a default-format GitHub subject (``repo:OWNER/REPO:...``), else None."""
    if not subject.startswith("repo:"):
        return None
    return re.split(r"[/:]", subject[len("repo:") :], maxsplit=1)[0]


def _github_subject_claim(document: PolicyDocument, key: str) -> _Claim:
    # The organisations the policy names: the literal text of each owner up to its first wildcard, so that
    # "repo:myorg/*" and "repo:myorg*" both name "myorg" and "repo:myorgxq/..." is foreign to both.
    owners: set[str] = set()
    for entry in entries_with(document, key):
        for value in entry.values:
            owner = github_owner(value.text)
            literal = _WILDCARD.split(owner, maxsplit=1)[0] if owner is not None else ""
            if literal:
                owners.add(literal.casefold())

    def foreign(subject: str) -> bool:
        owner = github_owner(subject)
        if owner is None:
            return subject != ""
        return owner != "" and owner.casefold() not in owners

    def who(value: ContextValue) -> str:
        owner = github_owner(value[0]) if value else None
        where = f"repository owner {owner!r}" if owner else "a custom subject format"
        return f"a GitHub Actions workflow of {where}, outside the organisations this policy names"

    return _Claim("sub", foreign, (ATTACKER_SUBJECT,), None, who)


def _probe_claim(claim: str, severity: Severity | None, who: str) -> _Claim:
    return _Claim(claim, lambda value: value == PROBE_VALUE, (PROBE_VALUE,), severity, lambda _value: who)


def _claims(document: PolicyDocument, host: str) -> list[_Claim]:
    """Return the claims to check for one provider host (sources in the module docstring)."""
    folded = host.casefold()
    if folded in BUILTIN_APP_CLAIMS:
        claim = BUILTIN_APP_CLAIMS[folded]
        return [_probe_claim(claim, None, f"a token {host} issued to any application or identity pool")]
    audience = _probe_claim("aud", Severity.WARNING, f"a token from {host} minted for any audience")
    if folded == GITHUB_HOST:
        return [_github_subject_claim(document, f"{host}:sub"), audience]
    return [_probe_claim("sub", None, f"a token from {host} for any subject"), audience]


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield findings for web-identity trusts that accept tokens of subjects or applications not yours."""
    for policy in ctx.model.trust_policies():
        for statement in statements_allowing(policy.document):
            assert statement.principal is not None
            for entry in statement.principal.entries:
                host = provider_host(entry) if entry.kind == "Federated" else None
                if host is None:
                    continue
                for claim in _claims(policy.document, host):
                    yield from _check_claim(ctx, policy, statement, entry, host, claim)


def _check_claim(
    ctx: RuleContext, policy: Policy, statement: Statement, entry: PrincipalEntry, host: str, claim: _Claim
) -> Iterator[Finding]:
    key = f"{host}:{claim.claim}"
    result: Witness | NoneExists | Unknown = NoneExists(0)
    for pins in claim.pins(key):
        result = find_request(
            policy.document,
            web_identity_kind(entry.normalized),
            pins,
            budget=ctx.search_budget,
            only_statement=statement,
        )
        if not isinstance(result, NoneExists):
            break
    if isinstance(result, NoneExists):
        return
    pointer = culprit_pointer(statement, key)
    if isinstance(result, Unknown):
        question = f"{statement.pointer} accepts {key} values you do not own"
        yield undecided_finding(META.id, policy, pointer, question, result)
        return
    value = result.request.context.get(key.casefold())
    tested = entries_for(statement, key)
    operators = ", ".join(sorted({e.operator.canonical for e in tested}))
    if value is None:
        # Only a token without the claim gets through: a latent weakness, not a demonstrated foreign caller.
        message = (
            f"{statement.pointer} accepts a token from {host} without the {claim.claim} claim: its "
            f"{operators} condition on {key} passes when the claim is missing. Whether {host} ever issues "
            "such a token is UNCONFIRMED; use the operator without IfExists (or a positive one)"
        )
        yield witness_finding(META.id, message, policy, result, pointer, severity=Severity.WARNING)
        return
    why = (
        f"its {operators} condition on {tested[0].key} admits it" if tested else f"it has no {key} condition"
    )
    message = (
        f"{claim.who(value)} can assume this role: a token with {key} = {value[0]!r} is accepted by "
        f"{statement.pointer} (AssumeRoleWithWebIdentity) because {why}"
    )
    yield witness_finding(META.id, message, policy, result, pointer, severity=claim.severity)
