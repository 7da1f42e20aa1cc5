"""No principal in the data can reach a role: every way in is blocked by conditions that cannot be met.

## What it does
Starts at every principal of the assume-role graph that can begin a chain -- IAM users, SAML and OIDC
providers, accounts named by a trust ("any principal of account N"), AWS services -- and follows every hop AWS
may allow (status `allowed` or `unknown`: a hop whose other side is not in the data is never assumed to be
missing). A role defined in the data (with a trust policy) that no such walk reaches is reported:

- its trust policy names callers, but every hop from them is **blocked** (no request satisfies the statement:
  XA208 explains each one) or **one-sided** (the caller's own permissions do not allow it: XA405);
- or its only callers are roles that nothing reaches either;
- or its trust policy admits no caller at all.

The finding points at the first blocked (else one-sided) trust statement, or at the trust policy, and lists
the other statements as related places.

## Why is this bad
A role nobody can assume is either dead configuration (delete it: unused roles are attack surface and audit
noise) or a broken federation: the people it was built for get `AccessDenied`, and the cause sits in another
file -- the trust statement's conditions, or the caller's missing permission.

## Example
The recipe's production role trusts only the hub role, through a statement no request can satisfy:
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringLike": {"aws:userid": "*:111111111111:*"}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111"}}}
```
or delete the role if nothing should use it.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_roles.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import STATUSES, TRAVERSABLE, PathTree, entry_nodes, in_hops

from ._graph import (
    ARROW,
    entry_tree,
    graph,
    hop_location,
    label,
    nothing_to_walk,
    roles_by_arn,
    undecided,
    undecided_finding,
)

META = RuleMeta(id="XA404", name="unreachable-role", severity=Severity.WARNING, tags=("role", "graph"))

_DOUBT = frozenset({"trust", "identity"})
_ORDER = {"blocked": 0, "one-sided": 1, "allowed": 2, "unknown": 2}


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per role of the data that no principal can reach."""
    if nothing_to_walk(ctx):
        return
    import networkx as nx

    g = graph(ctx)
    reached = entry_tree(ctx, TRAVERSABLE)
    # The same walk without the hops the search could not decide: a role only they reach may be unreachable.
    decided = nx.subgraph_view(
        g, filter_edge=lambda u, v, k: not (_DOUBT & set(g.edges[u, v, k].get("undecided") or ()))
    )
    surely = PathTree(decided, entry_nodes(decided), statuses=TRAVERSABLE)
    roles = roles_by_arn(ctx.model)
    for node, data in sorted(g.nodes(data=True)):
        role = roles.get(node)
        if data.get("kind") != "role" or role is None or role.trust_policy is None or node in surely:
            continue
        if node in reached:
            doubtful = [h for h in in_hops(g, node, TRAVERSABLE) if _DOUBT & undecided(h)]
            location = hop_location(ctx, doubtful[0]) if doubtful else None
            if location is not None:
                yield undecided_finding(
                    META.id, location, f"any principal in the data can reach role {label(g, node)}"
                )
            continue
        hops = sorted(in_hops(g, node, STATUSES), key=lambda h: (_ORDER.get(h.status, 3), h.source, h.key))
        if not hops:
            yield Finding(
                META.id,
                f"no principal can assume role {label(g, node)}: its trust policy admits no caller (no Allow "
                "statement names a principal that may call sts:AssumeRole*)",
                role.trust_policy.at(""),
            )
            continue
        parts = []
        for hop in hops:
            name = f"{label(g, hop.source)} {ARROW} {label(g, hop.target)}"
            if hop.status == "blocked":
                parts.append(f"{name} is blocked: {hop.data.get('status_reason', '')} (XA208)")
            elif hop.status == "one-sided":
                parts.append(f"{name} is one-sided: {hop.data.get('status_reason', '')} (XA405)")
            else:
                parts.append(f"{name} needs {label(g, hop.source)}, which no principal reaches either")
        locations = [(hop_location(ctx, hop), hop) for hop in hops]
        placed = [(loc, hop) for loc, hop in locations if loc is not None]
        if not placed:
            continue
        first, _hop = placed[0]
        related = tuple(
            (loc, f"also a way in: {label(g, hop.source)}") for loc, hop in placed[1:] if loc != first
        )
        yield Finding(
            META.id,
            f"no principal in the data can reach role {label(g, node)}, so every way in is closed: "
            + "; ".join(dict.fromkeys(parts))
            + " -- dead configuration, or a broken federation",
            first,
            related=tuple(dict.fromkeys(related)),
        )
