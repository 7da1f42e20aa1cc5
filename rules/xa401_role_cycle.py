"""Roles can assume each other in a cycle: a session can renew itself forever (role juggling).

## What it does
Finds the strongly connected groups of roles in the assume-role graph, following the hops AWS may allow
(status `allowed`, or `unknown` where one side is not in the data -- such a cycle is reported with precision
unknown). A group of two or more roles, or one role that may assume itself, is a cycle. One finding per group,
at the trust statement of the cycle's first hop; its path walks the cycle once.

## Why is this bad
Every hop of the cycle issues fresh credentials. A chained session lasts at most an hour (iam-facts §1.1), but
a holder who hops to the next role before it expires never has to stop: one leaked session becomes permanent
access that survives credential rotation and session revocation of any single role ("revoke older sessions"
only cuts sessions issued before the revocation, and the juggler always holds a newer one). Self-assumption is
never implicit -- a role can only assume itself when its trust names it (iam-facts §7.1).

## Example
```json
{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/B"}, "Action": "sts:AssumeRole"}
```
in the trust policy of role A, and the same naming A in the trust policy of role B.

## Use instead
Make chains one-directional: spokes trust the hub, the hub never trusts a spoke, and no role trusts itself
unless it must (then scope it with an `aws:PrincipalArn` condition and a short `MaxSessionDuration`).

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import TRAVERSABLE, PathTree

from ._graph import caveats, flow, graph, hop_location, label, nothing_to_walk, path_text, precision

META = RuleMeta(id="XA401", name="role-cycle", severity=Severity.WARNING, tags=("role", "graph"))


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per cycle of roles that may assume each other."""
    if nothing_to_walk(ctx):
        return
    import networkx as nx

    g = graph(ctx)
    roles = {n for n, d in g.nodes(data=True) if d.get("kind") == "role"}
    view = nx.subgraph_view(
        g,
        filter_node=lambda n: n in roles,
        filter_edge=lambda u, v, k: g.edges[u, v, k].get("status") in TRAVERSABLE,
    )
    groups = sorted(
        sorted(c)
        for c in nx.strongly_connected_components(view)
        if len(c) > 1 or any(view.has_edge(n, n) for n in c)
    )
    for group in groups:
        start = group[0]
        # The shortest way back to the first role, inside the group: the cycle the finding walks.
        cycle = PathTree(g, [start], statuses=TRAVERSABLE, within=set(group)).path(start)
        if cycle is None:
            continue
        location = hop_location(ctx, cycle.hops[0])
        if location is None:
            continue
        names = ", ".join(label(g, n) for n in group)
        what = (
            f"role {names} may assume itself" if len(group) == 1 else f"roles {names} can assume each other"
        )
        message = (
            f"{what} ({path_text(g, cycle)}): a session can hop around the cycle and renew its credentials "
            "forever (role juggling), outliving the one-hour limit of each chained session (iam-facts §1.1) and "
            "the revocation of any single role's sessions"
        ) + caveats(g, cycle.hops)
        yield Finding(
            META.id,
            message,
            location,
            precision=precision(cycle),
            flow=flow(ctx, g, cycle),
            properties={"fingerprint_key": "|".join(group)},
        )
