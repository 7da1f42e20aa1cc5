"""A path of the assume-role graph breaks an invariant the configuration states for the organisation.

## What it does
Checks every `[[graph.invariants]]` entry of the configuration against the assume-role graph, over the hops
AWS may allow (`allowed`; `unknown` where one side is not in the data -- such a violation is possible, not
certain, and reported with precision unknown):

- `kind = "only-from"`: only principals selected by `from-accounts` / `from-tiers` / `from` may reach a role
  selected by `to` / `to-accounts` / `to-tiers`;
- `kind = "no-path"`: no principal of the `from` side reaches any role of the `to` side;
- `kind = "must-pass-through"`: every path from a `from` principal into a `to` role (default: any role)
  passes through a node matching `through`.

One finding per invariant and protected role reached, at the trust statement of the path's last hop, with the
shortest offending path as its flow. Patterns are ARNs with IAM wildcards (`*`, `?`); accounts are names from
`[accounts]` or 12-digit IDs.

## Why is this bad
Invariants are the organisation's own rules -- "only the security account may assume `CrossAccount-*`", "no
path from dev into prod", "every federated session enters through the hub" -- and a single trust statement in
one account can break them for every account downstream. Reviewing each policy alone never shows it; the
graph does.

## Example
```toml
[[graph.invariants]]
name = "dev-never-prod"
kind = "no-path"
from-accounts = ["dev"]
to-accounts = ["prod"]
```
with a production role that trusts `arn:aws:iam::333333333333:role/ci-deploy`.

## Use instead
Remove the trust (or the permission) that opens the path, or -- if the path is intended -- change the
invariant in `xacct-lint.toml`, where the change is reviewed like code.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
- https://docs.aws.amazon.com/whitepapers/latest/organizing-your-aws-environment/organizing-your-aws-environment.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import check_invariant

from ._graph import caveats, flow, graph, hop_location, label, nothing_to_walk, path_text, precision

META = RuleMeta(
    id="XA408", name="invariant-violated", severity=Severity.ERROR, tags=("policy-as-code", "graph")
)

_WHAT = {
    "only-from": "only the principals it names may reach this role",
    "no-path": "no path may lead from its principals to this role",
    "must-pass-through": "every path into this role must pass through {through}",
}


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per violation of a configured graph invariant."""
    if nothing_to_walk(ctx):
        return
    invariants = ctx.config.graph.invariants
    if not invariants:
        return
    g = graph(ctx)
    for invariant in invariants:
        for violation in check_invariant(g, invariant):
            path = violation.path
            location = hop_location(ctx, path.hops[-1])
            if location is None:
                continue
            rule = _WHAT[invariant.kind].format(through=" or ".join(invariant.through))
            message = (
                f'invariant "{invariant.name}" ({invariant.kind}: {rule}) is violated: {label(g, path.source)} '
                f"reaches {label(g, violation.target)} ({path_text(g, path)})"
                + (
                    ""
                    if violation.certain
                    else " -- possibly: the path needs a hop whose other side is not in the data"
                )
            ) + caveats(g, path.hops)
            yield Finding(
                META.id,
                message,
                location,
                precision=precision(path),
                flow=flow(ctx, g, path),
                properties={"fingerprint_key": f"{invariant.name}|{violation.target}"},
            )
