"""A role's MaxSessionDuration is longer than one hour, but role chaining caps its sessions at one hour.

## What it does
Looks at every role whose `MaxSessionDuration` is above 3600 seconds and at the hops into it in the
assume-role graph (the hops AWS may allow, and blocked hops as their authors intended them):

- when **every** caller is a role session, every way in is role chaining: a chained session lasts at most one
  hour, so the extra time can never be used (warning);
- when some callers are role sessions and others are not, the chained callers get at most one hour, and an
  `AssumeRole` that asks them for more fails (note).

Callers that are "any principal of account N" may or may not be role sessions, so they count as possibly not
chained: the rule then stays quiet unless a role session calls too. The finding points at the role's
`MaxSessionDuration` (in the export or the `[[roles]]` mapping) and its path shows a chain into the role. When
the chained hop is blocked today (a dead trust statement, XA208), the finding judges the hop its author
intended and says so.

## Why is this bad
AWS: "Role chaining limits your AWS CLI or AWS API role session to a maximum of one hour", and "if you assume
a role using role chaining and provide a `DurationSeconds` parameter value greater than one hour, the
operation fails" -- with "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by
role chaining" (iam-facts §1.1). A role set to 7200 s that only a hub role can reach promises two-hour
sessions nobody gets; scripts that request the role's maximum break with that error.

## Example
A development role with `MaxSessionDuration` 7200, trusted only by the security account's hub role:
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"sts:ExternalId": "r8t2n5j7c1h4d9f3"}}}
```

## Use instead
Set `MaxSessionDuration` to 3600 (`aws iam update-role --max-session-duration 3600`) and request
`--duration-seconds 3600` or less on chained hops; a caller that needs longer sessions must assume the role
directly with its own credentials (IAM user, SAML), not from another role's session.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html
- https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
- https://repost.aws/knowledge-center/iam-role-chaining-limit
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import CHAINED_SESSION_LIMIT, INTENDED, in_hops

from ._graph import (
    caveats,
    flow,
    graph,
    hop_location,
    label,
    nothing_to_walk,
    path_into,
    precision,
    roles_by_arn,
)

META = RuleMeta(
    id="XA303", name="chained-session-duration", severity=Severity.WARNING, tags=("role", "session", "graph")
)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per role whose MaxSessionDuration above one hour chaining makes unusable."""
    if nothing_to_walk(ctx):
        return
    g = graph(ctx)
    roles = roles_by_arn(ctx.model)
    for node, data in sorted(g.nodes(data=True)):
        value = data.get("max_session_duration")
        if data.get("kind") != "role" or value is None or value <= CHAINED_SESSION_LIMIT:
            continue
        hops = in_hops(g, node, INTENDED)
        chained = [h for h in hops if g.nodes[h.source].get("kind") == "role"]
        if not chained:
            continue
        role = roles.get(node)
        first = chained[0]
        location = None
        if role is not None:
            location = role.max_session_location or role.location
        location = location or hop_location(ctx, first)
        if location is None:
            continue
        path = path_into(ctx, first, INTENDED)
        callers = ", ".join(dict.fromkeys(label(g, h.source) for h in chained))
        limit = (
            f'"Role chaining limits your AWS CLI or AWS API role session to a maximum of one hour", and a '
            f'DurationSeconds above {CHAINED_SESSION_LIMIT} fails with "The requested DurationSeconds exceeds the '
            '1 hour session limit for roles assumed by role chaining" (iam-facts §1.1)'
        )
        if len(chained) == len(hops):
            message = (
                f"role {label(g, node)}: MaxSessionDuration {value} s, but every way in is role chaining "
                f"(from {callers}): {limit}, so {value - CHAINED_SESSION_LIMIT} s of it can never be used; set "
                f"{CHAINED_SESSION_LIMIT}"
            )
            severity = None
        else:
            others = ", ".join(dict.fromkeys(label(g, h.source) for h in hops if h not in chained))
            message = (
                f"role {label(g, node)}: MaxSessionDuration {value} s, but sessions chained from {callers} last "
                f"at most {CHAINED_SESSION_LIMIT} s: {limit}; only {others} can use the longer sessions"
            )
            severity = Severity.NOTE
        message += caveats(g, path.hops)
        yield Finding(
            META.id,
            message,
            location,
            severity=severity,
            precision=precision(path),
            flow=flow(ctx, g, path),
        )
