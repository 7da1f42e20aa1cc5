"""The ``[limits]`` a loader's result must keep, enforced once for every format.

A policy with more statements than ``max-statements`` is not analysed: it leaves the model (and the roles and
identities that held it) and becomes a ``too-many-statements`` problem at its ``Statement`` element, which
XA001 reports and SARIF lists as a file that was not (completely) analysed. Cutting such a policy short
instead would be worse than not reading it: a dropped ``Deny`` turns into findings, a dropped ``Allow`` into
silence. No policy IAM stores comes near the default (the largest AWS managed policy has 162 statements).
"""

from __future__ import annotations

from dataclasses import replace

from xacct_lint.load.base import FileLoad
from xacct_lint.model.inventory import LoadProblem, Location, Policy
from xacct_lint.parse.source import Span

TOO_MANY_STATEMENTS = "too-many-statements"


def enforce_statement_limit(result: FileLoad, max_statements: int) -> FileLoad:
    """Return ``result`` without its policies of more than ``max_statements`` statements, each replaced by a
    ``too-many-statements`` problem."""
    over = [p for p in result.policies if len(p.document.statements) > max_statements]
    if not over:
        return result
    dropped = {id(p) for p in over}

    def kept(policies: list[Policy]) -> list[Policy]:
        return [p for p in policies if id(p) not in dropped]

    for role in result.roles:
        if role.trust_policy is not None and id(role.trust_policy) in dropped:
            role.trust_policy = None
        role.permission_policies[:] = kept(role.permission_policies)
    for identity in result.identities:
        identity.policies[:] = kept(identity.policies)
    problems = [_problem(p, max_statements) for p in over]
    return replace(
        result,
        policies=tuple(kept(list(result.policies))),
        problems=(*result.problems, *problems),
    )


def _problem(policy: Policy, max_statements: int) -> LoadProblem:
    member = policy.document.root.get_member("Statement")
    span = Span(member.key_span.start, member.value.span.end) if member is not None else policy.document.span
    # No tree in the location: nothing of this policy was checked, so reporters list it as not analysed.
    location = Location(policy.source, None, "/Statement", policy.prefix, span=span)
    count = len(policy.document.statements)
    message = (
        f"the policy at {policy.prefix or '/'} has {count} statements, more than the limit of {max_statements} "
        "([limits] max-statements, --max-statements); it was not analysed"
    )
    return LoadProblem(TOO_MANY_STATEMENTS, message, location)
