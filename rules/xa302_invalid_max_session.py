"""A role's MaxSessionDuration is outside 3600..43200 seconds or is not an integer.

## What it does
Checks each role's `MaxSessionDuration` -- from an AWS CLI export (`aws iam get-role`, `list-roles`,
`get-account-authorization-details`) or from the `max-session-duration` of a `[[roles]]` mapping in the
configuration -- against the range IAM accepts: an integer number of seconds from 3600 (1 hour) to 43200
(12 hours). A value below, above, or of the wrong JSON type (`"7200"`, `7200.5`, `true`) is reported at the
value itself. A role without the member is fine: IAM applies the default of 3600 s.

A value that is not an integer is also invisible to the session-length check (XA301), so the message says so.
The rule has no options.

## Why is this bad
`CreateRole` and `UpdateRole` reject such a value (CloudFormation `AWS::IAM::Role`: "Minimum: 3600, Maximum:
43200"), so a template or a planned configuration holding it cannot be deployed -- and in a hand-edited export
it says something about the role that cannot be true. A value below one hour usually means "short sessions
please": that is done by the caller's `DurationSeconds` (900 s or more), not by the role.

## Example
```json
{"Role": {"RoleName": "Deploy", "Arn": "arn:aws:iam::123456789012:role/Deploy",
          "MaxSessionDuration": 86400,
          "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}}
```

## Use instead
```json
{"Role": {"RoleName": "Deploy", "Arn": "arn:aws:iam::123456789012:role/Deploy",
          "MaxSessionDuration": 43200,
          "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
- https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.model.inventory import Location, Role
from xacct_lint.parse.json_tree import resolve_pointer

META = RuleMeta(id="XA302", name="invalid-max-session", severity=Severity.ERROR, tags=("role", "session"))

# iam-facts §1.2: "Minimum: 3600  Maximum: 43200" (CloudFormation), the range CreateRole/UpdateRole enforce.
LOWEST = 3600
HIGHEST = 43200
MEMBER = "MaxSessionDuration"


def _range_problem(role: Role, value: int) -> str | None:
    if value < LOWEST:
        return (
            f"role {role.name}: MaxSessionDuration {value} is below {LOWEST} s (1 h), the minimum IAM "
            "accepts; CreateRole/UpdateRole reject it -- for shorter sessions callers pass DurationSeconds "
            "(900 s or more)"
        )
    if value > HIGHEST:
        return (
            f"role {role.name}: MaxSessionDuration {value} is above {HIGHEST} s (12 h), the maximum IAM "
            "accepts; CreateRole/UpdateRole reject it"
        )
    return None


def _non_integer(role: Role) -> tuple[Location, str] | None:
    """Return the place and text of an exported MaxSessionDuration that is not an integer, if there is one.

    The loader keeps only integers in ``Role.max_session_duration``; anything else is still in the JSON.
    """
    location = role.location
    if location is None or location.root is None:
        return None
    pointer = f"{location.pointer}/{MEMBER}"
    node, member, exact = resolve_pointer(location.root, pointer)
    if not exact or member is None or node.kind == "null":
        return None
    if node.kind == "number" and isinstance(node.value, int) and not isinstance(node.value, bool):
        return None
    written = " ".join(location.source.text[node.span.start : node.span.end].split())
    if len(written) > 40:  # an object or a long list: enough to recognise it
        written = written[:37] + "..."
    return location.at(pointer), written


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per role whose MaxSessionDuration IAM would reject."""
    for role in ctx.model.roles:
        value = role.max_session_duration
        if value is not None:
            problem = _range_problem(role, value)
            location = role.max_session_location or role.location
            if problem is not None and location is not None:
                yield Finding(META.id, problem, location)
            continue
        found = _non_integer(role)
        if found is not None:
            where, written = found
            yield Finding(
                META.id,
                f"role {role.name}: MaxSessionDuration {written} is not an integer number of seconds "
                f"({LOWEST}..{HIGHEST}) as IAM's API requires; the session-length check (XA301) cannot "
                "read it",
                where,
            )
