"""A hop requires MFA, but its callers' sessions cannot carry MFA: SAML, web identity and chained sessions.

## What it does
Finds every hop of the assume-role graph whose trust statement requires MFA (no request with
`aws:MultiFactorAuthPresent` absent or false is allowed -- decided by the witness search, so `Bool`,
`BoolIfExists` and `Null` forms are all judged by what they admit) and whose caller is a role. A role's
sessions carry no MFA context:

- a session from `AssumeRole` does not -- AWS: "The temporary credentials returned by `AssumeRole` do not
  include MFA information in the context" (iam-facts §2.2);
- a session from `AssumeRoleWithSAML` or `AssumeRoleWithWebIdentity` never does -- "AWS cannot determine
  whether that provider required MFA" (iam-facts §2.3).

So the hop can pass only if the caller supplies MFA again on that very call (`--serial-number` and
`--token-code`). Whether a role session can do that is UNCONFIRMED (iam-facts §2.4 has no AWS statement for
chaining; an MFA device belongs to an IAM user), and the finding says so. The message names how the calling
role is entered (SAML-federated callers, web identity, other roles, any principal of an account), and the
finding's path shows one chain into the hop. An MFA condition on a SAML or web-identity statement itself is
XA204's. A hop that is blocked today (a dead statement, XA208) is judged as its author intended it.

## Why is this bad
The MFA requirement reads like protection, but for a hub-and-spoke federation it is a wall: users sign in to
the hub through the IdP (no MFA flag, whatever the IdP enforced), and the hub's session cannot present MFA to
the spoke. Either nobody gets in, or someone "fixes" it by removing the condition in a hurry. Enforce MFA where
it can be seen: at the identity provider, or on the first hop from IAM users.

## Example
The production role requires MFA of callers that are sessions of the SAML-federated hub role:
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"},
               "Bool": {"aws:MultiFactorAuthPresent": "true"}}}
```

## Use instead
Require MFA at the identity provider (and say so in the configuration), and trust the hub role without an MFA
condition -- or let IAM users with MFA assume the production role directly:
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import INTENDED, Hop, in_hops

from ._graph import (
    caveats,
    flow,
    graph,
    hop_location,
    label,
    nothing_to_walk,
    path_into,
    places,
    precision,
    undecided,
    undecided_finding,
)

if TYPE_CHECKING:
    import networkx as nx

META = RuleMeta(
    id="XA407", name="mfa-lost-in-chain", severity=Severity.WARNING, tags=("trust", "mfa", "graph")
)

_MFA_KEYS = ("aws:multifactorauthpresent", "aws:multifactorauthage")
_ENTRY_TEXT = {
    "saml-provider": "SAML-federated callers (STS never sets MFA for SAML sessions, iam-facts §2.3)",
    "oidc-provider": "web-identity callers (STS never sets MFA for them, iam-facts §2.3)",
    "role": "sessions of other roles (chained sessions carry no MFA context, iam-facts §2.2)",
    "account": "any principal of an account (its AssumeRole session carries no MFA context, iam-facts §2.2)",
    "user": "IAM users (the AssumeRole session they get carries no MFA context, iam-facts §2.2)",
    "service": "an AWS service",
}


def _entered_by(g: nx.MultiDiGraph, hops: list[Hop]) -> str:
    kinds = {str(g.nodes[h.source].get("kind")) for h in hops}
    return (
        " and by ".join(text for kind, text in _ENTRY_TEXT.items() if kind in kinds)
        or "no caller in the data"
    )


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per MFA-requiring hop whose caller is a role."""
    if nothing_to_walk(ctx):
        return
    g = graph(ctx)
    index = places(ctx)
    for source, target, key, data in sorted(g.edges(keys=True, data=True), key=lambda e: (e[1], e[0], e[2])):
        if data.get("status") not in INTENDED or data.get("conditions", {}).get("mfa") != "required":
            continue
        if g.nodes[source].get("kind") != "role":
            continue
        hop = Hop(source, target, key, data)
        if "mfa" in undecided(hop):
            location = hop_location(ctx, hop)
            if location is not None:
                yield undecided_finding(
                    META.id, location, f"this statement requires MFA of {label(g, source)}"
                )
            continue
        found = index.statement(data.get("trust"))
        pointer = ""
        if found is not None:
            entries = [e for e in found[1].conditions if e.key_lower in _MFA_KEYS]
            if entries:
                pointer = entries[0].key_pointer[len(found[1].pointer) :]
        location = hop_location(ctx, hop, pointer)
        if location is None:
            continue
        path = path_into(ctx, hop, INTENDED)
        caller = label(g, source)
        message = (
            f"this statement requires MFA of {caller}, but {caller}'s sessions carry no MFA: it is entered by "
            f'{_entered_by(g, in_hops(g, source, INTENDED))}, and "The temporary credentials returned by '
            'AssumeRole do not include MFA information in the context" (iam-facts §2.2); the hop can pass only '
            "if MFA is supplied again on this AssumeRole call (--serial-number/--token-code) -- whether a role "
            "session can do that is UNCONFIRMED (iam-facts §2.4); require MFA at the identity provider or on the "
            "first hop instead"
        )
        message += caveats(g, path.hops)
        yield Finding(
            META.id,
            message,
            location,
            precision=precision(path),
            flow=flow(ctx, g, path),
            properties={"fingerprint_key": source},
        )
