"""A SAML trust accepts assertions that were not addressed to the AWS sign-in endpoint.

## What it does
For every SAML provider (``"Federated": "arn:aws:iam::...:saml-provider/..."``) of an ``Allow`` trust
statement, searches for a concrete ``sts:AssumeRoleWithSAML`` request through that provider whose ``SAML:aud``
is **absent or not an AWS sign-in endpoint** and that the statement allows (no ``Deny`` blocking it). AWS
sign-in endpoints are the ``https`` URLs on ``signin.aws.amazon.com`` or one of its regional sub-domains
(the global ``https://signin.aws.amazon.com/saml``, regional ``https://<region>.signin.aws.amazon.com/saml``
and the ``/saml/acs/<IdP-ID>`` form used with SAML encryption), and the GovCloud and China equivalents
(``signin.amazonaws-us-gov.com``, ``signin.amazonaws.cn``).

It fires when the statement has no ``SAML:aud`` condition, when the condition passes for an absent key
(``StringEqualsIfExists``, ``StringNotEquals``) or when a pattern admits other hosts
(``StringLike "https://signin.aws.amazon.com*"`` admits ``https://signin.aws.amazon.com.example.net/``). The
finding points at the ``SAML:aud`` condition when there is one, else at the statement's ``Condition`` block or
the statement. It is silent when ``SAML:aud`` is pinned to sign-in endpoints, in any case spelling of the key.

## Why is this bad
``SAML:aud`` carries the assertion's ``Recipient`` -- the service provider the IdP issued it for (iam-facts
§8.1). Pinning it to the AWS sign-in endpoint is what makes the role accept only assertions your IdP meant
for AWS; without it, an assertion your IdP issued for another service provider, and which an attacker
captured there, can be replayed to STS. The console-created SAML trust policy always includes it
(``"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}``, iam-facts §8.3). If your IdP posts
to a regional endpoint, list that URL too (values of one key are OR'ed).

## Example
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"},
 "Action": "sts:AssumeRoleWithSAML"}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"},
 "Action": "sts:AssumeRoleWithSAML",
 "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import culprit_pointer, entries_for, undecided_finding, witness_finding
from xacct_lint.evaluate.search import ContextValue, KeyPin, NoneExists, Unknown, find_request, saml_kind

from ._principals import statements_allowing

META = RuleMeta(id="XA105", name="unchecked-saml-audience", severity=Severity.WARNING, tags=("trust", "saml"))

# Sign-in hosts of the AWS partitions (iam-facts §8.3; GovCloud as seen in an exported AWSReservedSSO role).
_SIGNIN_HOSTS = ("signin.aws.amazon.com", "signin.amazonaws-us-gov.com", "signin.amazonaws.cn")


def is_signin_endpoint(url: str) -> bool:
    """Return whether a URL is an https URL on an AWS sign-in host (or a regional sub-domain of one)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").casefold()
        port = parts.port
    except ValueError:
        return False
    if parts.scheme.casefold() != "https" or port not in (None, 443) or parts.username or parts.password:
        return False
    return any(host == h or host.endswith("." + h) for h in _SIGNIN_HOSTS)


def _not_signin(value: ContextValue) -> bool:
    return value is None or not any(is_signin_endpoint(v) for v in value)


_AUDIENCE_PIN = KeyPin(_not_signin, description="absent, or not an AWS sign-in endpoint")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per SAML provider whose assertions are accepted without an AWS sign-in audience."""
    for policy in ctx.model.trust_policies():
        for statement in statements_allowing(policy.document):
            assert statement.principal is not None
            for entry in statement.principal.entries:
                if entry.kind != "Federated" or ":saml-provider/" not in entry.normalized:
                    continue
                provider = entry.normalized
                result = find_request(
                    policy.document,
                    saml_kind(provider),
                    {"saml:aud": _AUDIENCE_PIN},
                    budget=ctx.search_budget,
                    only_statement=statement,
                )
                if isinstance(result, NoneExists):
                    continue
                pointer = culprit_pointer(statement, "saml:aud")
                if isinstance(result, Unknown):
                    question = f"provider {provider} can assert an audience other than AWS sign-in"
                    yield undecided_finding(META.id, policy, pointer, question, result)
                    continue
                audience = result.request.context.get("saml:aud")
                if audience is None:
                    shown = "no SAML:aud"
                else:
                    shown = (
                        "SAML:aud " + ", ".join(f'"{a}"' for a in audience) + " (not an AWS sign-in endpoint)"
                    )
                tested = entries_for(statement, "saml:aud")
                if tested:
                    operators = ", ".join(sorted({e.operator.canonical for e in tested}))
                    why = f"its {operators} condition on {tested[0].key} admits it"
                else:
                    why = "it has no SAML:aud condition"
                message = (
                    f"a SAML assertion from {provider} with {shown} is accepted: {statement.pointer} allows "
                    f"AssumeRoleWithSAML because {why}; pin SAML:aud to https://signin.aws.amazon.com/saml "
                    "(and any regional sign-in URL your IdP posts to). AWS documents this condition as the "
                    "audience check; whether STS also rejects other recipients on its own is UNCONFIRMED"
                )
                yield witness_finding(META.id, message, policy, result, pointer)
