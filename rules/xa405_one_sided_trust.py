"""One side of a cross-account hop is missing: a trust without the caller's permission, or the reverse.

## What it does
Cross-account `sts:AssumeRole` needs two allows: the role's trust policy must admit the caller, and the
caller's own identity policy must allow the call (iam-facts §7.1). The assume-role graph evaluates both sides
of every hop (and, where a trust names a whole account, of every user and role of that account's export).
This rule reports the hops where only one side holds (status `one-sided`):

- **trust without permission**: the trust admits the caller, but the caller's identity policies in the data do
  not allow `sts:AssumeRole` on the role -- or both allow some request but no single request satisfies both
  (for example different `sts:ExternalId` values);
- **permission without trust**: the caller's identity policy allows `sts:AssumeRole` on a role of the data (a
  role ARN, or a pattern confined to one account) whose trust policy does not admit it.

A note: either side may be intended to be granted later, and the hop simply does not work today. Hops whose
other side is not in the data are `unknown`, not one-sided, and are not reported.

## Why is this bad
A one-sided grant is dead configuration that still reads like access: a trust that nobody can use invites
someone to "fix" it with a broader permission, and a permission to assume a role that does not trust you hides
a typo in an ARN or a trust that was narrowed without telling the callers. Both end in `AccessDenied` for the
people the grant was written for.

## Example
The production role trusts the deploy role of the tools account, but the deploy role's policy only lets it
assume roles of the staging account:
```json
{"Effect": "Allow",
 "Action": "sts:AssumeRole",
 "Resource": "arn:aws:iam::444455556666:role/*"}
```

## Use instead
Grant the caller exactly what the trust admits:
```json
{"Effect": "Allow",
 "Action": "sts:AssumeRole",
 "Resource": "arn:aws:iam::222222222222:role/CrossAccount-ProductionAccess"}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import Hop

from ._graph import ARROW, graph, label, nothing_to_walk, places, undecided, undecided_finding

META = RuleMeta(id="XA405", name="one-sided-trust", severity=Severity.NOTE, tags=("trust", "graph"))


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a note per one-sided hop of the assume-role graph."""
    if nothing_to_walk(ctx):
        return
    g = graph(ctx)
    index = places(ctx)
    for source, target, key, data in sorted(g.edges(keys=True, data=True), key=lambda e: (e[1], e[0], e[2])):
        hop = Hop(source, target, key, data)
        if "identity" in undecided(hop):
            location = index.location(data.get("trust"))
            if location is not None:
                question = (
                    f"the identity policies of {label(g, source)} allow sts:AssumeRole on {label(g, target)}"
                )
                yield undecided_finding(META.id, location, question)
            continue
        if data.get("status") != "one-sided":
            continue
        name = f"{label(g, source)} {ARROW} {label(g, target)}"
        reason = str(data.get("status_reason", ""))
        identity = index.location(data.get("identity"))
        trust = index.location(data.get("trust"))
        if key.startswith("identity:"):
            if identity is None:
                continue
            found = index.statement(data.get("identity"))
            if found is not None and found[1].resource is not None:
                identity = found[0].at(found[1].resource.pointer)
            related = ((trust, f"the trust policy of {label(g, target)}"),) if trust is not None else ()
            yield Finding(
                META.id,
                f"permission without trust: this statement lets {label(g, source)} call sts:AssumeRole on "
                f"{label(g, target)}, but {reason}; the hop {name} cannot work until the trust admits it "
                "(or remove the permission)",
                identity,
                related=related,
                properties={"fingerprint_key": target},
            )
            continue
        if trust is None:
            continue
        related = (
            ((identity, f"the identity statement of {label(g, source)}"),) if identity is not None else ()
        )
        yield Finding(
            META.id,
            f"trust without permission: this statement admits {label(g, source)} ({hop.api}), but {reason}; the "
            f"hop {name} needs both sides (iam-facts §7.1)",
            trust,
            related=related,
            properties={"fingerprint_key": source},
        )
