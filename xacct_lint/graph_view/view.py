"""One sorted, renderer-neutral reading of the assume-role graph, and which findings concern which element.

The graph is :func:`xacct_lint.graph.build_graph`'s ``networkx.MultiDiGraph``:

- graph attribute ``accounts``: {account id: configured name or None};
- nodes are ARNs where one exists (role, user, SAML or OIDC provider, ``arn:aws:iam::N:root`` = "any principal of
  account N"), the service principal's name otherwise, with ``kind``, ``account``, ``label``, ``in_data``,
  ``tier``, ``max_session_duration``, ``admin`` and ``source`` ({"path", "pointer"} or None);
- an edge A -> B (A may call ``sts:AssumeRole*`` on B) has ``api``, ``status``, ``conditions``, ``trust``,
  ``identity`` and ``description``.

Renderers never walk the networkx graph themselves: they read a :class:`GraphView`, whose order is fixed here
(accounts by id, nodes by kind and name, edges by source, target and key), so every view is deterministic.
Attributes the engine leaves out read as "not known" rather than failing, so a view never crashes on a graph
from a newer engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

    from xacct_lint.engine.runner import Result
    from xacct_lint.model.inventory import Location, Model

SEVERITY_RANK = {"error": 3, "warning": 2, "note": 1}
KIND_ORDER = ("account", "saml-provider", "oidc-provider", "user", "role", "service")
KIND_TITLE = {
    "role": "role",
    "user": "IAM user",
    "saml-provider": "SAML provider",
    "oidc-provider": "OIDC provider",
    "account": "any principal of the account",
    "service": "AWS service",
}
API_SHORT = {
    "AssumeRole": "AssumeRole",
    "AssumeRoleWithSAML": "SAML",
    "AssumeRoleWithWebIdentity": "WebIdentity",
}
STATUS_TEXT = {
    "allowed": "both sides allow it",
    "unknown": "one side is not in the data",
    "one-sided": "only one side allows it",
    "blocked": "no request can meet the conditions",
}
LABEL_WIDTH = 30
# The SAML audience of AWS sign-in: global, regional, or regional with /acs/IdP-ID (iam-facts §8.3).
AWS_SIGN_IN = re.compile(r"^https://([a-z0-9-]+\.)?signin\.aws\.amazon\.com/saml(/acs/[^/]+)?$")
SERVICES_GROUP = "services"
OTHER_GROUP = "other"

EdgeId = tuple[str, str, str]


@dataclass(frozen=True)
class Place:
    """Where a statement is: display path, JSON pointer, and line and column when known."""

    path: str
    pointer: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        return f"{where} {self.pointer}".rstrip()


@dataclass(frozen=True)
class FindingRef:
    """A finding as the graph views show it, and the graph elements it concerns."""

    ref: str  # "f1", "f2", ... in report order: stable within one rendering
    rule_id: str
    rule_name: str
    severity: str
    message: str
    place: Place
    nodes: tuple[str, ...] = ()
    edges: tuple[EdgeId, ...] = ()  # the hops whose statements hold the finding
    flow: tuple[EdgeId, ...] = ()  # a chain finding's hops, in order


@dataclass(frozen=True)
class NodeView:
    """A node with the attributes every view shows."""

    id: str
    kind: str
    label: str
    account: str | None
    in_data: bool
    tier: int | None
    max_session_duration: int | None
    admin: bool
    source: Place | None
    findings: tuple[str, ...]  # FindingRef.ref values

    @property
    def subtitle(self) -> str:
        """Return the second line of a node's box: what it is, and what matters about it."""
        parts = [KIND_TITLE.get(self.kind, self.kind)]
        if self.max_session_duration is not None:
            parts.append(f"max {duration_text(self.max_session_duration)}")
        if self.admin:
            parts.append("admin")
        if not self.in_data:
            parts.append("not in the data")
        return " · ".join(parts)


@dataclass(frozen=True)
class EdgeView:
    """An assume-role hop."""

    source: str
    target: str
    key: str
    api: str
    status: str
    conditions: Mapping[str, Any]
    trust: Place | None
    identity: Place | None
    description: str
    reason: str  # why the status is not "allowed" ('' when it is)
    findings: tuple[str, ...]
    tags_offered: bool = False  # the caller is set up to pass session tags on this hop
    offered_keys: tuple[str, ...] = ()  # ... and marks these keys transitive

    @property
    def id(self) -> EdgeId:
        """Return the (source, target, key) triple that names this edge in the MultiDiGraph."""
        return (self.source, self.target, self.key)


@dataclass(frozen=True)
class Group:
    """The nodes of one account (or of no account: AWS services, unknown), drawn as one cluster."""

    key: str  # the account id, SERVICES_GROUP or OTHER_GROUP
    title: str
    account: str | None
    tier: int | None
    in_data: bool  # some node of the group comes from the inputs
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class GraphView:
    """The whole graph, sorted, with findings attached."""

    groups: tuple[Group, ...]
    nodes: Mapping[str, NodeView]  # in drawing order
    edges: tuple[EdgeView, ...]
    findings: tuple[FindingRef, ...]

    def finding(self, ref: str) -> FindingRef:
        """Return a finding by its ref."""
        return self._by_ref[ref]

    @cached_property
    def _by_ref(self) -> dict[str, FindingRef]:
        return {found.ref: found for found in self.findings}

    def worst(self, refs: Iterable[str]) -> str | None:
        """Return the highest severity among some findings, or None."""
        severities = [self._by_ref[ref].severity for ref in refs]
        return max(severities, key=lambda s: SEVERITY_RANK.get(s, 0)) if severities else None

    def rule_ids(self, refs: Iterable[str]) -> tuple[str, ...]:
        """Return the sorted distinct rule ids of some findings."""
        return tuple(sorted({self._by_ref[ref].rule_id for ref in refs}))


# --- reading the graph ---------------------------------------------------------------------------------------


def node_name(node_id: str) -> str:
    """Return a node's short name: the last ARN path segment (``CorporateIdP``, ``MyRole``) or the id itself."""
    if node_id.startswith("arn:"):
        resource = node_id.split(":", 5)[-1]
        return resource.rsplit("/", 1)[-1]
    return node_id


def _place(raw: object) -> Place | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("path"), str):
        return None
    line, column = raw.get("line"), raw.get("column")
    return Place(
        raw["path"],
        str(raw.get("pointer") or ""),
        line if isinstance(line, int) else None,
        column if isinstance(column, int) else None,
    )


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _string_list(value: object) -> list[str]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [v for v in value if isinstance(v, str)]
    return []


@dataclass(frozen=True)
class Owner:
    """A place in the inputs that belongs to a node (its trust or permission document, its definition):
    findings inside it concern the node."""

    node: str
    path: str
    pointer: str
    line: int | None = None  # for places without a JSON tree (TOML, scripts): findings on this line

    def covers(self, path: str, pointer: str, line: int | None) -> bool:
        """Return whether a finding at ``path``, ``pointer`` (and ``line``) lies inside this place."""
        if path != self.path:
            return False
        if self.line is not None:
            return line == self.line and pointer == self.pointer
        return self.pointer == "" or pointer == self.pointer or pointer.startswith(self.pointer + "/")


def owners_from_model(model: Model) -> tuple[Owner, ...]:
    """Return the places of the model that belong to a role or user: its policies, definition and
    MaxSessionDuration setting."""
    from xacct_lint.engine.runner import place_of

    def owner(node: str, location: Location | None) -> Owner | None:
        if location is None:
            return None
        if location.root is not None:
            return Owner(node, location.source.display_path, location.logical_path)
        region = place_of(location).region
        if region is None:  # a place with neither tree nor span would cover the whole (shared) file
            return None
        return Owner(node, location.source.display_path, location.logical_path, region.start.line)

    found: list[Owner | None] = []
    for policy in model.policies:
        if policy.role_arn is not None:
            found.append(Owner(policy.role_arn, policy.source.display_path, policy.prefix))
    for role in model.roles:
        found += [owner(role.arn, role.location), owner(role.arn, role.max_session_location)]
    for identity in model.identities:
        found.append(owner(identity.arn, identity.location))
        found += [Owner(identity.arn, p.source.display_path, p.prefix) for p in identity.policies]
    return tuple(sorted({o for o in found if o is not None}, key=lambda o: (o.path, o.pointer, o.node)))


def _same(place: Place | None, path: str, pointer: str) -> bool:
    return place is not None and place.path == path and place.pointer == pointer


def _inside(place: Place | None, path: str, pointer: str) -> bool:
    """Return whether a finding at ``path`` + ``pointer`` lies inside the statement ``place``."""
    if place is None or place.path != path:
        return False
    return place.pointer == "" or pointer == place.pointer or pointer.startswith(place.pointer + "/")


def _flow_edges(flow: Sequence[Any], edges: Sequence[EdgeView]) -> list[EdgeId]:
    """Return the edges a chain finding's flow walks: per step, the edges whose trust (or, for a permission-only
    hop, identity) statement is the step's, kept to those that join up with the steps before and after."""
    candidates: list[list[EdgeView]] = []
    for trust, identity, _text in flow:
        matching = [
            e
            for e in edges
            if (
                _same(e.trust, trust.path, trust.logical_path)
                or _same(e.identity, trust.path, trust.logical_path)
            )
            and (identity is None or _same(e.identity, identity.path, identity.logical_path))
        ]
        candidates.append(matching)
    for index in range(1, len(candidates)):  # a statement naming several callers gives several edges
        sources = {e.target for e in candidates[index - 1]}
        joined = [e for e in candidates[index] if e.source in sources]
        candidates[index] = joined or candidates[index]
    for index in range(len(candidates) - 2, -1, -1):
        targets = {e.source for e in candidates[index + 1]}
        joined = [e for e in candidates[index] if e.target in targets]
        candidates[index] = joined or candidates[index]
    return [e.id for step in candidates for e in step]


def findings_from_results(
    results: Iterable[Result], graph: nx.MultiDiGraph, owners: Sequence[Owner] = ()
) -> tuple[FindingRef, ...]:
    """Return the findings of a run with the nodes and edges each concerns.

    A finding concerns an edge when it lies inside the trust or identity statement that makes the hop, and a
    node when it lies inside a place the node owns (``owners``: its policies and definition, see
    :func:`owners_from_model`; and the node's own ``source``). A chain finding's flow -- the hops of its path --
    is kept apart (``flow``): the views colour where a finding is, and show its path when asked.
    """
    view_edges = [_edge_view(u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True)]
    edges_by_path: dict[str, list[EdgeView]] = {}
    for edge in view_edges:
        for place in {edge.trust, edge.identity}:
            if place is not None:
                edges_by_path.setdefault(place.path, []).append(edge)
    owners_by_path: dict[str, list[Owner]] = {}
    for candidate in owners:
        if candidate.node in graph:
            owners_by_path.setdefault(candidate.path, []).append(candidate)
    for node, attrs in graph.nodes(data=True):
        source = _place(attrs.get("source"))
        if source is not None:
            line = source.line if source.pointer == "" else None
            owners_by_path.setdefault(source.path, []).append(
                Owner(str(node), source.path, source.pointer, line)
            )

    refs: list[FindingRef] = []
    for index, result in enumerate(results, 1):
        path, pointer = result.place.path, result.place.logical_path
        region = result.place.region
        line = region.start.line if region else None
        flow = _flow_edges(getattr(result, "flow", ()), view_edges)
        edges = {
            e.id
            for e in edges_by_path.get(path, ())
            if _inside(e.trust, path, pointer) or _inside(e.identity, path, pointer)
        }
        nodes = {o.node for o in owners_by_path.get(path, ()) if o.covers(path, pointer, line)}
        refs.append(
            FindingRef(
                ref=f"f{index}",
                rule_id=result.rule.id,
                rule_name=result.rule.name,
                severity=result.severity.value,
                message=result.message,
                place=Place(path, pointer, line, region.start.column if region else None),
                nodes=tuple(sorted(nodes)),
                edges=tuple(sorted(edges)),
                flow=tuple(dict.fromkeys(flow)),
            )
        )
    return tuple(refs)


def _edge_view(
    u: object, v: object, k: object, attrs: Mapping[str, Any], findings: tuple[str, ...] = ()
) -> EdgeView:
    conditions = attrs.get("conditions")
    return EdgeView(
        source=str(u),
        target=str(v),
        key=str(k),
        api=str(attrs.get("api") or "AssumeRole"),
        status=str(attrs.get("status") or "unknown"),
        conditions=conditions if isinstance(conditions, Mapping) else {},
        trust=_place(attrs.get("trust")),
        identity=_place(attrs.get("identity")),
        description=str(attrs.get("description") or ""),
        reason=str(attrs.get("status_reason") or ""),
        findings=findings,
        tags_offered=bool(attrs.get("tags_offered", False)),
        offered_keys=tuple(_string_list(attrs.get("offered_transitive_keys"))),
    )


def _node_sort_key(node: NodeView) -> tuple[int, str, str]:
    kind = KIND_ORDER.index(node.kind) if node.kind in KIND_ORDER else len(KIND_ORDER)
    return (kind, node.label.casefold(), node.id)


def read_graph(graph: nx.MultiDiGraph, findings: Sequence[FindingRef] = ()) -> GraphView:
    """Return the sorted reading of a graph, with the given findings attached to their nodes and edges."""
    node_findings: dict[str, list[str]] = {}
    edge_findings: dict[EdgeId, list[str]] = {}
    for found in findings:
        for node_id in found.nodes:
            node_findings.setdefault(node_id, []).append(found.ref)
        for edge in found.edges:
            edge_findings.setdefault(edge, []).append(found.ref)

    nodes: list[NodeView] = []
    for node_id, attrs in graph.nodes(data=True):
        account = attrs.get("account")
        label = attrs.get("label")
        nodes.append(
            NodeView(
                id=str(node_id),
                kind=str(attrs.get("kind") or "role"),
                label=str(label) if label else node_name(str(node_id)),
                account=str(account) if account else None,
                in_data=bool(attrs.get("in_data", True)),
                tier=_int_or_none(attrs.get("tier")),
                max_session_duration=_int_or_none(attrs.get("max_session_duration")),
                admin=bool(attrs.get("admin", False)),
                source=_place(attrs.get("source")),
                findings=tuple(node_findings.get(str(node_id), ())),
            )
        )
    nodes.sort(key=_node_sort_key)

    accounts: Mapping[str, Any] = graph.graph.get("accounts") or {}
    members: dict[str, list[NodeView]] = {}
    for node in nodes:
        key = node.account or (SERVICES_GROUP if node.kind == "service" else OTHER_GROUP)
        members.setdefault(key, []).append(node)

    def group_order(key: str) -> tuple[int, str]:
        return (0 if key not in (SERVICES_GROUP, OTHER_GROUP) else 1, key)

    groups: list[Group] = []
    for key in sorted(members, key=group_order):
        group_nodes = members[key]
        tiers = [n.tier for n in group_nodes if n.tier is not None]
        in_data = any(n.in_data for n in group_nodes)
        if key == SERVICES_GROUP:
            title = "AWS services"
        elif key == OTHER_GROUP:
            title = "outside any account"
        else:
            name = accounts.get(key)
            title = f"{name} · {key}" if name else f"account {key}"
            if tiers:
                title += f" · tier {tiers[0]}"
            if not in_data:
                title += " · not in the data"
        account = key if key not in (SERVICES_GROUP, OTHER_GROUP) else None
        tier = tiers[0] if tiers else None
        groups.append(Group(key, title, account, tier, in_data, tuple(n.id for n in group_nodes)))

    ordered = {n.id: n for group in groups for n in members[group.key]}
    edges = [
        _edge_view(u, v, k, attrs, tuple(edge_findings.get((str(u), str(v), str(k)), ())))
        for u, v, k, attrs in graph.edges(keys=True, data=True)
    ]
    edges.sort(key=lambda e: (e.source, e.target, e.key))
    return GraphView(tuple(groups), ordered, tuple(edges), tuple(findings))


# --- what a hop demands ------------------------------------------------------------------------------------


def duration_text(seconds: int) -> str:
    """Return ``1 h``, ``90 min`` or ``900 s``."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _listing(values: Sequence[str], limit: int) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" +{len(values) - limit}" if len(values) > limit else "")


def edge_label_lines(edge: EdgeView) -> tuple[str, ...]:
    """Return the short label of a hop, at most LABEL_WIDTH characters a line: API, status and longest session,
    then what the caller must present (the full values are in :func:`hop_requirements`)."""
    c = edge.conditions
    head = [API_SHORT.get(edge.api, edge.api)]
    if edge.status != "allowed":
        head.append(edge.status)
    demands: list[str] = []
    max_duration = _int_or_none(c.get("max_duration"))
    if max_duration is not None:
        duration = f"≤ {duration_text(max_duration)}"
        fits = len(" · ".join([*head, duration])) <= LABEL_WIDTH
        (head if fits else demands).append(duration)
    lines = [" · ".join(head)]
    if _string_list(c.get("external_id")):
        demands.append("ExternalId")
    mfa = c.get("mfa")
    if mfa == "required":
        demands.append("MFA")
    elif mfa == "unsatisfiable":
        demands.append("MFA unmeetable")
    if demands:
        lines.append(" · ".join(demands))
    source_ip = _string_list(c.get("source_ip"))
    if source_ip:
        lines.append(f"IP {_listing(source_ip, 1)}")
    saml_aud = _string_list(c.get("saml_aud"))
    if saml_aud:
        sign_in = all(AWS_SIGN_IN.match(a) for a in saml_aud)
        lines.append("aud AWS sign-in" if sign_in else f"aud {_listing(saml_aud, 1)}")
    oidc_sub = _string_list(c.get("oidc_sub"))
    if oidc_sub:
        lines.append(f"sub {_listing(oidc_sub, 1)}")
    if c.get("tag_session") is False:
        lines.append("no TagSession")
    elif c.get("tag_session") is True:
        keys = c.get("allowed_tag_keys")
        lines.append("tags: any" if keys is None else f"tags {_listing(_string_list(keys), 2) or 'none'}")
    # Only values from the inputs can run long (the rest is fixed wording that fits): shorten those.
    return tuple(line if len(line) <= LABEL_WIDTH else line[: LABEL_WIDTH - 1] + "…" for line in lines)


def hop_requirements(edge: EdgeView) -> tuple[tuple[str, str], ...]:
    """Return what the caller must present for one hop, as (what, requirement) pairs in a fixed order.

    MFA: a trust's ``aws:MultiFactorAuthPresent`` is met only by a session that authenticated with MFA; SAML and
    web-identity sessions never carry it, and a session from AssumeRole carries no MFA context into the next call
    (iam-facts §2.2-§2.4; the chaining part is MEDIUM confidence there). Session tags: passing any tag, transitive
    tags from an earlier hop included, needs ``sts:TagSession`` in the trust (iam-facts §4.1 HIGH; §4.3 for
    inherited transitive tags, PARTLY UNCONFIRMED). ExternalId is an AssumeRole parameter only (iam-facts §5).
    """
    c = edge.conditions
    out: list[tuple[str, str]] = []
    if edge.api == "AssumeRoleWithSAML":
        audience = _string_list(c.get("saml_aud"))
        text = "a SAML assertion from this provider"
        out.append(("SAML", text + (f" with audience {' or '.join(audience)}" if audience else "")))
    elif edge.api == "AssumeRoleWithWebIdentity":
        subject = _string_list(c.get("oidc_sub"))
        text = "an OIDC token from this provider"
        out.append(("web identity", text + (f" with subject {' or '.join(subject)}" if subject else "")))
    external_id = _string_list(c.get("external_id"))
    out.append(("ExternalId", " or ".join(external_id) if external_id else "not required"))
    mfa = c.get("mfa")
    if mfa == "required":
        out.append(("MFA", "required: the calling session must have authenticated with MFA"))
    elif mfa == "unsatisfiable":
        out.append(("MFA", "required, but no session that reaches this hop can carry MFA"))
    elif mfa == "not-required":
        out.append(("MFA", "not required"))
    else:
        out.append(("MFA", "not known"))
    source_ip = _string_list(c.get("source_ip"))
    out.append(("source IP", f"from {' or '.join(source_ip)}" if source_ip else "any"))
    if c.get("tag_session") is False and edge.tags_offered:
        marked = f" (marking {', '.join(edge.offered_keys)} transitive)" if edge.offered_keys else ""
        text = f"none, but the caller passes tags{marked}: with no sts:TagSession in the trust the call fails"
        out.append(("session tags", text + " (iam-facts §4.1)"))
    elif c.get("tag_session") is False:
        out.append(
            ("session tags", "none, inherited transitive ones included (no sts:TagSession in the trust)")
        )
    elif c.get("tag_session") is True:
        keys = c.get("allowed_tag_keys")
        if keys is None:
            out.append(("session tags", "may pass any keys"))
        else:
            out.append(("session tags", f"may pass keys {', '.join(_string_list(keys)) or '(none)'}"))
    max_duration = _int_or_none(c.get("max_duration"))
    if max_duration is not None:
        out.append(("duration", f"at most {max_duration} s ({duration_text(max_duration)})"))
    return tuple(out)
