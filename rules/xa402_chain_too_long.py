"""A role can be reached only through a chain of assume-role hops longer than the configured depth.

## What it does
Computes, for every role, the shortest chain of hops from a principal that can start one (an IAM user, a SAML
or OIDC provider, an account named by a trust, an AWS service) over the hops AWS may allow (`allowed`, and
`unknown` where one side is not in the data -- reported with precision unknown). A role whose shortest chain
is longer than `[graph] max-depth` (default 3) is reported at the trust statement of the chain's last hop,
with the whole chain as its path.

## Why is this bad
Every extra hop is another trust policy, another ExternalId, another place where a condition is lost: MFA
does not survive role chaining, SAML attributes other than the subject are gone after the first hop, and every
chained session is capped at one hour (iam-facts §1.1, §2.4, §8.2). Long chains are hard to audit -- CloudTrail
shows each hop as a separate event in a separate account -- and usually grew by accident: a role trusting a
role that trusts a role. Flatten them: let the hub reach the target directly.

## Example
With `max-depth = 2`: SAML provider -> hub role -> tools role -> production role (three hops).

## Use instead
Trust the hub role directly in the production role, or raise `[graph] max-depth` if the longer chain is
intended:
```toml
[graph]
max-depth = 3
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import TRAVERSABLE

from ._graph import (
    caveats,
    entry_tree,
    flow,
    graph,
    hop_location,
    label,
    nothing_to_walk,
    path_text,
    precision,
)

META = RuleMeta(id="XA402", name="chain-too-long", severity=Severity.WARNING, tags=("role", "graph"))


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per role whose shortest chain from any principal exceeds the configured depth."""
    if nothing_to_walk(ctx):
        return
    g = graph(ctx)
    limit = ctx.config.graph.max_depth
    tree = entry_tree(ctx, TRAVERSABLE)
    for node in tree.reached():
        if g.nodes[node].get("kind") != "role" or len(tree.edges(node)) <= limit:
            continue
        path = tree.path(node)
        location = hop_location(ctx, path.hops[-1]) if path is not None else None
        if path is None or location is None:
            continue
        message = (
            f"role {label(g, node)} is reached only through chains of {len(path)} hops or more "
            f"({path_text(g, path)}), longer than [graph] max-depth = {limit}: every hop is chained (one hour at "
            "most, no MFA context, SAML attributes gone, iam-facts §1.1, §2.4, §8.2); trust an earlier role "
            "directly or raise max-depth"
        ) + caveats(g, path.hops)
        yield Finding(META.id, message, location, precision=precision(path), flow=flow(ctx, g, path))
