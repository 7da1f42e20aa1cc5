"""The ``--from/--to`` report: each path, and per hop what the caller must present to take it.

Plain text, one path after another, shortest first. Each hop names its API and status (and why it is not
allowed), the trust and identity statements that make it (file:line:column and JSON pointer), what the caller
must present -- ExternalId, MFA, source IP, session tags, duration -- and the findings that concern it. What a
hop demands depends on the session that arrives (the engine composes it, :mod:`xacct_lint.graph.paths`):
MFA that an earlier hop lost, transitive tags an earlier hop set, the one-hour cap of role chaining. Without
``--from/--to`` the report lists every hop of the graph on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from xacct_lint.graph_view.view import (
    STATUS_TEXT,
    EdgeView,
    GraphView,
    NodeView,
    duration_text,
    hop_requirements,
)

if TYPE_CHECKING:
    from xacct_lint.graph import Path, Step

CHAIN_LIMIT = 3600  # iam-facts §1.1: role chaining limits the session to one hour

MFA_IN_CHAIN = {
    "satisfied": "required: the calling session must have signed in with MFA (or pass --serial-number and "
    "--token-code on this call)",
    "lost": "required, but the caller is a role session, which carries no MFA: only MFA supplied again on this "
    "call could pass (UNCONFIRMED for chained sessions, iam-facts §2.4)",
    "never": "required, but the caller's session comes from SAML or web identity, which never carries MFA "
    "(iam-facts §2.3): this hop fails",
}


def _node_line(node: NodeView, view: GraphView) -> str:
    group = next((g for g in view.groups if node.id in g.nodes), None)
    where = f", {group.title}" if group is not None and group.account else ""
    return f"{node.id} ({node.subtitle}{where})"


def step_requirements(edge: EdgeView, step: Step) -> tuple[tuple[str, str], ...]:
    """Return what the caller must present for a hop taken with the session a path brings to it."""
    out = dict(hop_requirements(edge))
    if step.mfa in MFA_IN_CHAIN:
        out["MFA"] = MFA_IN_CHAIN[step.mfa]
    if step.tags:
        before = step.before.transitive_tag_keys
        sources = []
        if "caller" in step.tags:
            marked = f" (marking {', '.join(edge.offered_keys)} transitive)" if edge.offered_keys else ""
            sources.append(f"the caller passes session tags{marked}")
        if "transitive" in step.tags:
            sources.append(
                f"transitive tags arrive from earlier hops ({', '.join(before) or 'keys not known'})"
            )
        text = "; ".join(sources)
        if step.tag_session_missing:
            text += (
                " -- but the trust does not allow sts:TagSession, so the call fails (iam-facts §4.1; for "
                "inherited tags §4.3, PARTLY UNCONFIRMED)"
            )
        out["session tags"] = text
    role_max = edge.conditions.get("max_duration")
    if step.chained and isinstance(role_max, int) and step.duration_cap < role_max:
        out["duration"] = (
            f"at most {step.duration_cap} s: role chaining caps the session at one hour although the role "
            f"allows {duration_text(role_max)}, and asking for more fails (iam-facts §1.1)"
        )
    elif step.chained is None and isinstance(role_max, int) and role_max > CHAIN_LIMIT:
        out["duration"] = (
            f"at most {role_max} s ({duration_text(role_max)}); at most {CHAIN_LIMIT} s if the caller is a role "
            "session (role chaining, iam-facts §1.1)"
        )
    return tuple(out.items())


def _hop_lines(
    view: GraphView, edge: EdgeView, number: int | None, requirements: Sequence[tuple[str, str]]
) -> list[str]:
    source, target = view.nodes[edge.source], view.nodes[edge.target]
    head = f"hop {number}: " if number is not None else ""
    status = (
        STATUS_TEXT.get(edge.status, edge.status) if edge.status == "allowed" else edge.reason or edge.status
    )
    lines = [
        f"  {head}{source.label} -> {target.label}",
        f"    sts:{edge.api}, {edge.status}: {status}",
    ]
    if edge.trust is not None:
        lines.append(f"    trust:     {edge.trust}")
    if edge.identity is not None:
        lines.append(f"    identity:  {edge.identity}")
    lines.append("    caller must present:")
    width = max(len(what) for what, _need in requirements)
    lines.extend(f"      {what.ljust(width)}  {need}" for what, need in requirements)
    for ref in edge.findings:
        found = view.finding(ref)
        lines.append(f"    finding:   {found.rule_id} {found.rule_name} [{found.severity}] at {found.place}")
    return lines


def render_paths(
    view: GraphView, paths: Sequence[Path], *, source: str | None, target: str | None, max_depth: int
) -> str:
    """Return the report of the paths from ``source`` to ``target`` (either may be None: any node)."""
    edges = {edge.id: edge for edge in view.edges}
    out = [f"paths of at most {max_depth} hops"]
    out.append(f"  from: {_node_line(view.nodes[source], view) if source else 'any node'}")
    out.append(f"  to:   {_node_line(view.nodes[target], view) if target else 'any node'}")
    if not paths:
        out += ["", f"no path within {max_depth} hops"]
        return "\n".join(out) + "\n"
    for index, path in enumerate(paths, 1):
        names = " -> ".join(view.nodes[n].label for n in path.nodes)
        notes = [f"{len(path)} hop{'s' * (len(path) != 1)}"]
        broken = [n for n, step in enumerate(path.steps, 1) if step.hop.status != "allowed"]
        if broken:
            notes.append(", ".join(f"hop {n} {path.steps[n - 1].hop.status}" for n in broken))
        out += ["", f"path {index} of {len(paths)} ({'; '.join(notes)}): {names}"]
        for number, step in enumerate(path.steps, 1):
            edge = edges[(step.hop.source, step.hop.target, step.hop.key)]
            out.extend(_hop_lines(view, edge, number, step_requirements(edge, step)))
    out += ["", f"{len(paths)} path{'s' * (len(paths) != 1)}"]
    return "\n".join(out) + "\n"


def render_hops(view: GraphView) -> str:
    """Return every hop of the graph with what its caller must present (the text view without ``--from/--to``)."""
    out = [f"{len(view.edges)} hop{'s' * (len(view.edges) != 1)} in the graph"]
    for edge in view.edges:
        out.append("")
        out.extend(_hop_lines(view, edge, None, hop_requirements(edge)))
    return "\n".join(out) + "\n"
