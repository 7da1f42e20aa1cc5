"""A principal of a lower-tier account (dev) can reach a role in a higher-tier account (prod).

## What it does
Reads each account's `tier` from the configuration (higher is more trusted: dev = 1, prod = 3) and walks the
assume-role graph from every node of each tier over the hops AWS may allow (`allowed`, and `unknown` where one
side is not in the data -- reported with precision unknown). Where a path from tier *t* enters a node of a
higher tier, the hop that crosses is reported, once, at its trust statement, with the path from the lower
tier as the finding's flow. Nodes whose account has no tier are passed through but never judged.

## Why is this bad
Tiers exist so that a compromise stays where it happens: a developer's credentials, a CI runner in the
development account, a vulnerable test workload. A path from dev into prod -- directly, or through a shared
hub role that dev may assume -- makes the production account exactly as safe as the development account.
Trust across tiers must point downwards only.

## Example
```toml
[accounts.dev]
id = "333333333333"
tier = 1
[accounts.prod]
id = "222222222222"
tier = 3
```
and the production role trusting `arn:aws:iam::333333333333:role/ci-deploy`.

## Use instead
Let production trust only principals of its own or a more trusted tier (the security account's hub role), and
deploy to production from a pipeline that lives in a production-tier account.

## References
- https://docs.aws.amazon.com/whitepapers/latest/organizing-your-aws-environment/organizing-your-aws-environment.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import TRAVERSABLE, PathTree, compose
from xacct_lint.graph.paths import hop

from ._graph import (
    caveats,
    flow,
    graph,
    hop_location,
    label,
    nothing_to_walk,
    path_text,
    precision,
    tier_text,
)

if TYPE_CHECKING:
    import networkx as nx

META = RuleMeta(
    id="XA403", name="lower-tier-reaches-higher", severity=Severity.ERROR, tags=("account", "tier", "graph")
)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per hop that lets a lower tier into a higher one."""
    if nothing_to_walk(ctx):
        return
    g = graph(ctx)
    tiers = sorted({d["tier"] for _n, d in g.nodes(data=True) if d.get("tier") is not None})
    reported: set[tuple[str, str, str]] = set()
    for tier in tiers:
        tree = PathTree(g, [n for n, d in g.nodes(data=True) if d.get("tier") == tier], statuses=TRAVERSABLE)
        for node in tree.reached():
            crossing = _crossing(g, tree.edges(node), tier)
            if crossing is None or crossing[-1] in reported:
                continue
            reported.add(crossing[-1])
            path = compose(g, crossing[0][0], [hop(g, u, v, k) for u, v, k in crossing])
            last = path.hops[-1]
            location = hop_location(ctx, last)
            if location is None:
                continue
            message = (
                f"{label(g, path.source)} ({tier_text(g, path.source)}) reaches {label(g, last.target)} "
                f"({tier_text(g, last.target)}): {path_text(g, path)}; a lower tier must not reach a higher "
                "one -- whoever controls the lower account controls this role"
            ) + caveats(g, path.hops)
            yield Finding(
                META.id,
                message,
                location,
                precision=precision(path),
                flow=flow(ctx, g, path),
                properties={"fingerprint_key": last.source},
            )


def _crossing(
    g: nx.MultiDiGraph, edges: list[tuple[str, str, str]], tier: int
) -> list[tuple[str, str, str]] | None:
    """Return the edges of a path up to the first hop into a node of a higher tier than ``tier``."""
    for index, (_source, target, _key) in enumerate(edges):
        higher = g.nodes[target].get("tier")
        if higher is not None and higher > tier:
            return edges[: index + 1]
    return None
