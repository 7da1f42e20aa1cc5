"""What the chain rules share (XA303, XA304, XA306, XA401-XA408): the run's graph, the places its edges point
at, a finding's flow and the sentences every chain finding uses. A helper module, not a rule."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, Severity
from xacct_lint.graph import Hop, Path, PathTree, Step, entry_nodes, graph_for, graph_is_empty, path_to
from xacct_lint.model.inventory import Location, Model, Policy, Role
from xacct_lint.parse.policy import Statement

if TYPE_CHECKING:
    import networkx as nx

_PLACES_KEY = "xacct_lint.rules._graph.places"
_TREES_KEY = "xacct_lint.rules._graph.entry-tree"
ARROW = "->"
FlowStep = tuple[Location, Location | None, str]


def graph(ctx: RuleContext) -> nx.MultiDiGraph:
    """Return the run's assume-role graph (built once for all rules)."""
    return graph_for(ctx)


def nothing_to_walk(ctx: RuleContext) -> bool:
    """Return True when the run's graph has no node (no role or user in the data): a chain rule then has
    nothing to report, and returns before building the graph or importing networkx."""
    return graph_is_empty(ctx.model)


def entry_tree(ctx: RuleContext, statuses: Collection[str]) -> PathTree:
    """Return the shortest paths from every entry node over edges of the given statuses (built once a run)."""
    key = f"{_TREES_KEY}:{','.join(sorted(statuses))}"
    tree = ctx.memo.get(key)
    if not isinstance(tree, PathTree):
        g = graph(ctx)
        tree = PathTree(g, entry_nodes(g), statuses=statuses)
        ctx.memo[key] = tree
    return tree


def path_into(ctx: RuleContext, last: Hop, statuses: Collection[str]) -> Path:
    """Return a shortest path from an entry node that ends with the hop ``last``."""
    return path_to(graph(ctx), last.target, last, statuses=statuses, tree=entry_tree(ctx, statuses))


def label(g: nx.MultiDiGraph, node: str) -> str:
    """Return a node's display name: its label, or 'any principal of account N (name)' for an account."""
    data = g.nodes[node] if node in g else {}
    if data.get("kind") == "account":
        if node == "*":
            return "any AWS principal"
        return "any principal of " + str(data.get("label", node))
    return str(data.get("label") or node)


def tier_text(g: nx.MultiDiGraph, node: str) -> str:
    """Return 'account 222222222222 (prod), tier 3' style text for a node's account."""
    data = g.nodes[node]
    account = data.get("account")
    if account is None:
        return {"service": "an AWS service", "oidc-provider": "an external identity provider"}.get(
            str(data.get("kind")), "any account"
        )
    name = g.graph.get("accounts", {}).get(account)
    text = f"account {account}" + (f" ({name})" if name else "")
    return text + (f", tier {data['tier']}" if data.get("tier") is not None else "")


def path_text(g: nx.MultiDiGraph, path: Path) -> str:
    """Return 'A -> B -> C' with display names."""
    return f" {ARROW} ".join(label(g, n) for n in path.nodes)


def step_line(g: nx.MultiDiGraph, step: Step) -> str:
    """Return the one line a flow shows for a step: who calls whom, how, on which conditions, and what the
    composed session says about it."""
    hop = step.hop
    line = f"{label(g, hop.source)} {ARROW} {label(g, hop.target)} ({hop.api}, {hop.status}): "
    line += str(hop.data.get("description", ""))
    notes: list[str] = []
    if step.chained and step.duration_cap < int(hop.conditions.get("max_duration") or 0):
        notes.append(f"role chaining: at most {step.duration_cap} s")
    if step.mfa in ("lost", "never"):
        notes.append("MFA required but the caller's session carries none")
    if step.tag_session_missing:
        notes.append("session tags arrive but sts:TagSession is not allowed")
    if hop.status == "blocked":
        notes.append("blocked by " + "; ".join(hop.data.get("blocked_by", [])))
    elif hop.status != "allowed" and hop.data.get("status_reason"):
        notes.append(str(hop.data["status_reason"]))
    return line + "".join(f" [{n}]" for n in notes)


@dataclass
class Places:
    """Finds the model's locations (and statements) that the graph's place references name."""

    by_path: dict[str, list[Policy]]

    @classmethod
    def of(cls, model: Model) -> Places:
        """Return the index of a model's policies by display path, longest prefix first."""
        by_path: dict[str, list[Policy]] = {}
        for policy in model.policies:
            by_path.setdefault(policy.source.display_path, []).append(policy)
        for policies in by_path.values():
            policies.sort(key=lambda p: len(p.prefix), reverse=True)
        return cls(by_path)

    def policy(self, ref: Mapping[str, Any] | None) -> tuple[Policy, str] | None:
        """Return the policy a reference points into and the pointer relative to it."""
        if not ref:
            return None
        pointer = str(ref.get("pointer", ""))
        for policy in self.by_path.get(str(ref.get("path")), ()):
            if pointer == policy.prefix or pointer.startswith(policy.prefix + "/") or not policy.prefix:
                return policy, pointer[len(policy.prefix) :]
        return None

    def location(self, ref: Mapping[str, Any] | None, suffix: str = "") -> Location | None:
        """Return the location a reference names (optionally a member below it), or None."""
        found = self.policy(ref)
        if found is None:
            return None
        policy, pointer = found
        return policy.at(pointer + suffix)

    def statement(self, ref: Mapping[str, Any] | None) -> tuple[Policy, Statement] | None:
        """Return the policy and statement a trust or identity reference names."""
        found = self.policy(ref)
        if found is None:
            return None
        policy, pointer = found
        for statement in policy.document.statements:
            if statement.pointer == pointer:
                return policy, statement
        return None


def places(ctx: RuleContext) -> Places:
    """Return the run's place index (built once for all rules)."""
    found = ctx.memo.get(_PLACES_KEY)
    if not isinstance(found, Places):
        found = Places.of(ctx.model)
        ctx.memo[_PLACES_KEY] = found
    return found


def hop_location(ctx: RuleContext, hop: Hop, suffix: str = "") -> Location | None:
    """Return where a hop is decided: its trust statement, else (a permission-only hop into a role whose trust
    is not in the data) the caller's identity statement."""
    index = places(ctx)
    return index.location(hop.data.get("trust"), suffix) or index.location(hop.data.get("identity"))


def flow(ctx: RuleContext, g: nx.MultiDiGraph, path: Path) -> tuple[FlowStep, ...]:
    """Return a finding's flow for a path: per step, the trust and identity statements and the step's line."""
    index = places(ctx)
    out: list[FlowStep] = []
    for step in path.steps:
        trust = hop_location(ctx, step.hop)
        if trust is None:
            continue
        identity = index.location(step.hop.data.get("identity"))
        out.append((trust, identity if identity != trust else None, step_line(g, step)))
    return tuple(out)


def precision(path: Path) -> Precision:
    """Return UNKNOWN when the path needs a hop whose status is unknown (one side is not in the data)."""
    return Precision.UNKNOWN if any(h.status == "unknown" for h in path.hops) else Precision.EXACT


def caveats(g: nx.MultiDiGraph, hops: Iterable[Hop]) -> str:
    """Return the sentences a chain finding adds for blocked and unknown hops on its path ('' when none)."""
    parts: list[str] = []
    for hop in hops:
        name = f"{label(g, hop.source)} {ARROW} {label(g, hop.target)}"
        if hop.status == "blocked":
            blocked = "; ".join(hop.data.get("blocked_by", []))
            parts.append(
                f"the hop {name} is blocked today ({blocked}; XA208 reports dead statements), so this judges "
                "the hop its author intended, with that part set aside"
            )
        elif hop.status == "unknown":
            parts.append(
                f"the hop {name} may not exist: {hop.data.get('status_reason', 'one side is not in the data')}"
            )
    return "".join(f"; {p}" for p in dict.fromkeys(parts))


def roles_by_arn(model: Model) -> dict[str, Role]:
    """Return the model's roles by ARN."""
    return {role.arn: role for role in model.roles}


def undecided(hop: Hop) -> frozenset[str]:
    """Return what the search could not decide about a hop (the edge's ``undecided`` names)."""
    return frozenset(hop.data.get("undecided") or ())


def undecided_finding(rule_id: str, location: Location, question: str) -> Finding:
    """Return a note saying a chain rule could not decide a question: "could not analyse" is never "clean"."""
    return Finding(
        rule_id,
        f"could not decide whether {question}: the witness search ran out of its budget; review this by hand",
        location,
        precision=Precision.UNKNOWN,
        severity=Severity.NOTE,
    )
