"""A Region condition covers STS calls, which report us-east-1 when they go to the global endpoint.

## What it does
Finds `aws:RequestedRegion` conditions in statements whose actions include STS actions (`sts:AssumeRole`,
`sts:AssumeRoleWithSAML`, `sts:AssumeRoleWithWebIdentity`, `sts:TagSession`, `sts:GetCallerIdentity`, ...:
every action of the `sts` service in the IAM database, matched through `Action` wildcards and `NotAction`),
in trust, identity and resource policies. It then asks what the condition does to a request to the global
endpoint `sts.amazonaws.com`, whose `aws:RequestedRegion` is always `us-east-1`:

- the condition **blocks** such requests -- an `Allow` whose condition fails for `us-east-1`, or a `Deny`
  whose condition holds for it: reported as a warning;
- the condition **lets them all through** (`us-east-1` is allowed, by name or by pattern): reported as a note,
  because for global-endpoint calls the condition is meaningless -- it neither confines them to a Region nor
  tells where they were served; only calls to regional endpoints are judged by their Region.

Statements that exempt STS (`NotAction` naming `sts:*`, or actions of other services only) are quiet. `Null`
tests and values with policy variables are skipped.

## Why is this bad
AWS: "Requests made to the `sts.amazonaws.com` endpoints will have a value of `us-east-1` for the
`aws:RequestedRegion` condition key, regardless of which Region served the request." Since 2025 the global
endpoint is served in the caller's own Region, but the condition key still says `us-east-1`. A Region
allowlist without `us-east-1` therefore breaks `AssumeRole` for every SDK or CLI still using the global
endpoint; with `us-east-1` allowed, the condition says nothing about where STS calls are made. Only regional
endpoints (`sts.<region>.amazonaws.com`) report their own Region.

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}
```

## Use instead
Keep Region restrictions out of trust policies, and exempt STS in Region-restricting guardrails:
```json
{"Effect": "Deny",
 "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"],
 "Resource": "*",
 "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}
```
or make every caller use a regional STS endpoint (`AWS_STS_REGIONAL_ENDPOINTS=regional`,
`sts_regional_endpoints = regional`) and say so next to the condition.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requestedregion
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_enable-regions.html
- https://aws.amazon.com/blogs/security/announcing-upcoming-changes-to-the-aws-security-token-services-global-endpoint/
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.evaluate.concrete import VARIABLE, action_matches, entry_holds
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import ConditionEntry, Statement

META = RuleMeta(
    id="XA209", name="requested-region-on-sts", severity=Severity.WARNING, tags=("condition", "sts")
)

GLOBAL_ENDPOINT_REGION = "us-east-1"  # iam-facts §10

# Used only when the IAM database cannot be loaded: the STS actions that matter for role federation.
_FALLBACK_STS_ACTIONS = (
    "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoot",
    "sts:DecodeAuthorizationMessage", "sts:GetAccessKeyInfo", "sts:GetCallerIdentity",
    "sts:GetFederationToken", "sts:GetServiceBearerToken", "sts:GetSessionToken", "sts:SetSourceIdentity",
    "sts:TagSession",
)  # fmt: skip
_SHOWN_ACTIONS = 3


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per aws:RequestedRegion condition that blocks or cannot confine STS calls."""
    work = [
        (policy, statement, entry)
        for policy in ctx.model.policies
        for statement in policy.document.statements
        if statement.effect in ("Allow", "Deny")
        for entry in statement.conditions
        if entry.key_lower == "aws:requestedregion" and entry.operator.base not in (None, "Null")
    ]
    if not work:
        return  # no Region conditions: do not pay for loading the IAM database
    sts_actions = _sts_actions(ctx)
    for policy, statement, entry in work:
        covered = [action for action in sts_actions if action_matches(statement, action)]
        if not covered:
            continue
        finding = _finding(policy, statement, entry, covered, len(covered) == len(sts_actions))
        if finding is not None:
            yield finding


def _sts_actions(ctx: RuleContext) -> tuple[str, ...]:
    """Return every STS action from the IAM database (a built-in list when it is unavailable)."""
    from xacct_lint.iamdb import IamDatabaseUnavailable

    try:
        found = ctx.iamdb().match_actions("sts:*")
    except IamDatabaseUnavailable:
        return _FALLBACK_STS_ACTIONS
    return found or _FALLBACK_STS_ACTIONS


def _finding(
    policy: Policy, statement: Statement, entry: ConditionEntry, covered: Sequence[str], every: bool
) -> Finding | None:
    if any(VARIABLE.search(v.text) for v in entry.values):
        return None  # the allowed Regions are only known per request
    holds, _unresolved = entry_holds(entry, {"aws:requestedregion": (GLOBAL_ENDPOINT_REGION,)}, False)
    blocked = holds if statement.is_deny else not holds
    actions = "every STS action (sts:*)" if every else _action_list(covered)
    values = ", ".join(v.text for v in entry.values)
    fact = (
        f"Requests to the global STS endpoint sts.amazonaws.com always carry aws:RequestedRegion = "
        f"{GLOBAL_ENDPOINT_REGION}, whichever Region serves them"
    )
    if blocked:
        effect = "this Allow does not grant" if statement.is_allow else "this Deny refuses"
        return Finding(
            META.id,
            f"this statement covers {actions}. {fact}; its {entry.operator.raw} {entry.key} [{values}] "
            f"{'fails' if statement.is_allow else 'holds'} for {GLOBAL_ENDPOINT_REGION}, so {effect} them "
            "through the global endpoint (calls from any SDK or CLI still using it fail). Exempt STS from "
            "the Region condition (sts:* in the NotAction of a Region-restricting Deny) or make callers use "
            "regional STS endpoints (sts.<region>.amazonaws.com, AWS_STS_REGIONAL_ENDPOINTS=regional)",
            policy.at(entry.key_pointer),
        )
    return Finding(
        META.id,
        f"this statement covers {actions}. {fact}; its {entry.operator.raw} {entry.key} [{values}] lets "
        "every global-endpoint request through, wherever it is served (since 2025, in the caller's own "
        "Region), so it does not confine those STS calls to the Regions it names -- only regional endpoints "
        "report their own Region. Exempt STS from the Region condition (sts:* in the NotAction of a "
        "Region-restricting Deny) rather than relying on it for STS",
        policy.at(entry.key_pointer),
        severity=Severity.NOTE,
    )


def _action_list(actions: Sequence[str]) -> str:
    """Return "a", "a and b", "a, b and c" or "a, b, c and N more STS actions"."""
    if len(actions) > _SHOWN_ACTIONS:
        return f"{', '.join(actions[:_SHOWN_ACTIONS])} and {len(actions) - _SHOWN_ACTIONS} more STS actions"
    if len(actions) == 1:
        return actions[0]
    return f"{', '.join(actions[:-1])} and {actions[-1]}"
