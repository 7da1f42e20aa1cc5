"""A role trusts a principal tag that a less trusted hop upstream may set (session tag injection).

## What it does
Finds every condition that tests `aws:PrincipalTag/<K>` (or a `${aws:PrincipalTag/<K>}` variable):

- in a role's **permission** policies -- the tag is read from the role's own sessions;
- in a role's **trust** policy -- the tag is read from the caller's session (the role session that calls).

A session's principal tags are its session tags, the transitive tags it inherited, and the role's own tags,
with session tags winning over role tags (iam-facts §4.4). So whoever may pass session tag `K` into that
session -- a hop whose trust allows `sts:TagSession` with key `K` -- or pass it as a transitive tag anywhere
upstream (it then persists through every later hop, §4.2) chooses the value the condition trusts. The rule
reports the dependency when such a hop's caller is **less trusted** than the role: its account has a lower
`tier`, or it lies outside every configured account (another organisation, any AWS principal, a service).
The path shows the hop that sets the tag and the chain that carries it to the session under test. Hops AWS
may allow only (`allowed`, `unknown` -- the latter reported with precision unknown).

## Why is this bad
Attribute-based access control trusts tags because it assumes whoever set them was entitled to. A trust or
permission policy that says "project = payments may read the payments bucket" is void if a development role
can assume a hub with `--tags Key=project,Value=payments --transitive-tag-keys project`: the tag travels with
every chained session and overrides the role's own tag of the same key.

## Example
A production role's permission policy:
```json
{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
 "Condition": {"StringEquals": {"aws:PrincipalTag/project": "payments"}}}
```
while its trust lets a development-account role call with `sts:TagSession` and any tag keys.

## Use instead
Limit who may set the key where it enters -- `"ForAllValues:StringEquals": {"aws:TagKeys": [...]}` without it,
and `sts:TransitiveTagKeys` likewise -- or test an attribute a less trusted hop cannot choose (`aws:PrincipalArn`,
`aws:PrincipalAccount`, a role tag set by administrators).

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_role-chaining
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag
- https://docs.aws.amazon.com/IAM/latest/UserGuide/introduction_attribute-based-access-control.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import TRAVERSABLE, Hop, Path, compose, shortest_path
from xacct_lint.model.inventory import Location, Policy, Role
from xacct_lint.parse.policy import Statement

from ._graph import (
    caveats,
    flow,
    graph,
    label,
    nothing_to_walk,
    path_into,
    precision,
    roles_by_arn,
    tier_text,
    undecided,
    undecided_finding,
)

if TYPE_CHECKING:
    import networkx as nx

META = RuleMeta(
    id="XA306",
    name="session-tag-injection",
    severity=Severity.WARNING,
    tags=("session-tags", "abac", "graph"),
)

_VARIABLE = re.compile(r"\$\{aws:principaltag/([^},\s]+)", re.IGNORECASE)
_PREFIX = "aws:principaltag/"


@dataclass(frozen=True)
class _Dependency:
    """A condition that trusts principal tag ``key``, and the sessions it reads it from."""

    role: str
    key: str
    location: Location
    where: str  # "permissions" or "trust"
    statement: Statement | None  # the trust statement, for trust dependencies


def _tags_in(statement: Statement) -> list[tuple[str, str]]:
    """Return (tag key, pointer) for every principal-tag test of a statement."""
    found: list[tuple[str, str]] = []
    for entry in statement.conditions:
        if entry.key_lower.startswith(_PREFIX):
            found.append((entry.key.split("/", 1)[1], entry.key_pointer))
        for value in entry.values:
            found.extend((m.group(1), value.pointer) for m in _VARIABLE.finditer(value.text))
    if statement.resource is not None:
        for value in statement.resource.values:
            found.extend((m.group(1), value.pointer) for m in _VARIABLE.finditer(value.text))
    return found


def _dependencies(role: Role) -> list[_Dependency]:
    out: list[_Dependency] = []
    policies: list[tuple[str, Policy]] = [("permissions", p) for p in role.permission_policies]
    if role.trust_policy is not None:
        policies.append(("trust", role.trust_policy))
    for where, policy in policies:
        for statement in policy.document.statements:
            for key, pointer in _tags_in(statement):
                trusted = statement if where == "trust" else None
                out.append(_Dependency(role.arn, key, policy.at(pointer), where, trusted))
    return out


def _less_trusted(g: nx.MultiDiGraph, caller: str, role: str) -> bool:
    """Return whether a caller is less trusted than a role: a lower tier, or outside every configured account."""
    mine, theirs = g.nodes[role], g.nodes[caller]
    if mine.get("tier") is not None and theirs.get("tier") is not None:
        return bool(theirs["tier"] < mine["tier"])
    account = theirs.get("account")
    if account is not None and account == mine.get("account"):
        return False
    return account is None or g.graph.get("accounts", {}).get(account) is None


def _admits(keys: Sequence[str] | None, key: str) -> bool:
    return keys is None or key.casefold() in {k.casefold() for k in keys}


def _tested_sessions(g: nx.MultiDiGraph, dep: _Dependency) -> dict[str, Hop | None]:
    """Return the nodes whose sessions the dependency reads, each with its hop into the role (trust only)."""
    if dep.where == "permissions":
        return {dep.role: None}
    tested: dict[str, Hop | None] = {}
    for source, _target, key, data in g.in_edges(dep.role, keys=True, data=True):
        trust = data.get("trust") or {}
        pointer = str(trust.get("pointer", ""))
        if (
            dep.statement is not None
            and pointer.endswith(dep.statement.pointer)
            and data.get("status") in TRAVERSABLE
        ):
            tested.setdefault(source, Hop(source, dep.role, key, data))
    return tested


def _injection(ctx: RuleContext, g: nx.MultiDiGraph, dep: _Dependency) -> tuple[Hop, Path] | None:
    """Return the first less trusted hop that can set the tag, and the path from it into the tested session."""
    tested = _tested_sessions(g, dep)
    if not tested:
        return None
    edges = sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2]))
    for source, target, key, data in edges:
        conditions = data.get("conditions", {})
        if data.get("status") not in TRAVERSABLE or not conditions.get("tag_session"):
            continue
        if not _admits(conditions.get("allowed_tag_keys"), dep.key) or not _less_trusted(g, source, dep.role):
            continue
        setter = Hop(source, target, key, data)
        for session, last in sorted(tested.items()):
            carried: list[Hop] = []
            if target != session:
                if not _admits(conditions.get("allowed_transitive_keys"), dep.key):
                    continue
                onward = shortest_path(g, target, session, statuses=TRAVERSABLE)
                if onward is None:
                    continue
                carried = list(onward.hops)
            start = path_into(ctx, setter, TRAVERSABLE)
            hops = [*start.hops, *carried, *([last] if last is not None else [])]
            return setter, compose(g, start.source, hops)
    return None


def _undecided_setter(g: nx.MultiDiGraph, dep: _Dependency) -> Hop | None:
    """Return a hop into a tested session from a less trusted caller whose tagging the search could not
    decide (so the rule says it could not decide, rather than nothing)."""
    tested = _tested_sessions(g, dep)
    for source, target, key, data in sorted(g.in_edges(list(tested), keys=True, data=True)):
        hop = Hop(source, target, key, data)
        if {"tag_session", "allowed_tag_keys"} & undecided(hop) and _less_trusted(g, source, dep.role):
            return hop
    return None


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per principal-tag dependency that a less trusted hop can satisfy at will."""
    if nothing_to_walk(ctx):
        return
    g = graph(ctx)
    for arn, role in sorted(roles_by_arn(ctx.model).items()):
        if arn not in g:
            continue
        for dep in _dependencies(role):
            found = _injection(ctx, g, dep)
            if found is None:
                doubt = _undecided_setter(g, dep)
                if doubt is not None:
                    question = (
                        f"{label(g, doubt.source)} may set session tag {dep.key} when it assumes "
                        f"{label(g, doubt.target)} (this condition trusts aws:PrincipalTag/{dep.key})"
                    )
                    yield undecided_finding(META.id, dep.location, question)
                continue
            setter, path = found
            keys = setter.conditions.get("allowed_tag_keys")
            admitted = "any key" if keys is None else f"keys {', '.join(keys)}"
            transitive = setter.target != path.hops[-1].target and (
                dep.where == "permissions" or setter.target != path.hops[-1].source
            )
            message = (
                f"the {dep.where} policy of {label(g, dep.role)} trusts aws:PrincipalTag/{dep.key}, and "
                f"{label(g, setter.source)} ({tier_text(g, setter.source)}) -- less trusted than "
                f"{label(g, dep.role)} ({tier_text(g, dep.role)}) -- may set session tag {dep.key} when it "
                f"assumes {label(g, setter.target)} (its trust allows sts:TagSession with {admitted})"
                + (
                    ", as a transitive tag that every later hop carries (iam-facts §4.2)"
                    if transitive
                    else ""
                )
                + ": session tags override role tags in aws:PrincipalTag (iam-facts §4.4), so the caller chooses "
                "the value this condition trusts; restrict aws:TagKeys / sts:TransitiveTagKeys where the tag "
                "enters, or test an attribute it cannot choose"
            ) + caveats(g, path.hops)
            yield Finding(
                META.id,
                message,
                dep.location,
                precision=precision(path),
                flow=flow(ctx, g, path),
                properties={"fingerprint_key": dep.key},
            )
