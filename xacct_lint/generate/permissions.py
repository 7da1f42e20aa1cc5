"""A target role's permission policy, written by policy-sentry from CRUD access levels.

policy-sentry (https://github.com/salesforce/policy_sentry) expands "read / write / list / tagging /
permissions-management on these ARNs" into the actions of the Service Authorization Reference that act on the
resource type each ARN matches -- the least-privilege identity policy, with no hand-kept action lists here. Its
database loads on first use, so it is imported inside the function (``xacct-lint check`` never pays for it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xacct_lint.generate.plan import GenerateError

_EMPTY_LEVELS = ("read", "write", "list", "tagging", "permissions-management")


def _template(name: str, levels: Sequence[tuple[str, Sequence[str]]]) -> dict[str, Any]:
    template: dict[str, Any] = {"mode": "crud", "name": name, **{level: [] for level in _EMPTY_LEVELS}}
    for level, arns in levels:
        template[level] = list(arns)
    return template


def crud_policy(role: str, access: Sequence[tuple[str, Sequence[str]]]) -> dict[str, Any]:
    """Return the policy granting ``access`` (level -> ARNs); raise GenerateError for an ARN that policy-sentry
    matches to no resource type at that level (it would be dropped silently)."""
    from policy_sentry.command.write_policy import write_policy_with_template

    for level, arns in access:
        policy = write_policy_with_template(_template(role, [(level, arns)]))
        covered = {arn for statement in policy.get("Statement", ()) for arn in _resources(statement)}
        missing = [arn for arn in arns if arn not in covered]
        if missing:
            raise GenerateError(
                f"role {role}: policy-sentry has no {level} actions for {', '.join(missing)} (an ARN of a resource "
                "type it does not know, or a level with no actions for that type)"
            )
    policy = write_policy_with_template(_template(role, access))
    result: dict[str, Any] = {"Version": policy["Version"], "Statement": policy["Statement"]}
    return result


def _resources(statement: dict[str, Any]) -> list[str]:
    resource = statement.get("Resource", [])
    return [resource] if isinstance(resource, str) else list(resource)
