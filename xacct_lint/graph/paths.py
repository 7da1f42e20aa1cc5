"""Paths through the assume-role graph, and what a session carries from one hop into the next.

Functions over a graph built by :func:`xacct_lint.graph.build_graph` (or by hand, with the same attributes).
A :class:`Path` is a start node and its :class:`Step` s; each step is one hop with the session before and
after it, composed by :func:`compose` from the facts in shared/reference/iam-facts.md:

- **Role chaining caps the session at one hour** (§1.1): a hop whose caller is a role session is chaining, its
  session lasts at most 3600 s, and "if you ... provide a DurationSeconds parameter value greater than one
  hour, the operation fails". A hop from "any principal of account N" *may* be chaining (``chained`` None).
- **MFA does not survive AssumeRole** (§2.2, §2.4): the credentials AssumeRole returns carry no MFA context,
  so a chained hop that requires MFA passes only if the caller supplies MFA again on that call -- whether a
  role session can do so is UNCONFIRMED (the fact sheet has no AWS statement for chaining).
- **SAML and web-identity sessions never carry MFA** (§2.3), and neither does anything chained from them.
- **Transitive session tags flow to every later hop** (§4.2), and a hop that receives tags (passed by the
  caller, or inherited as transitive) needs ``sts:TagSession`` in its trust policy (§4.1; for inherited tags
  PARTLY UNCONFIRMED, §4.3).
- **SAML keys other than** ``saml:sub``, ``saml:sub_type`` and ``saml:namequalifier`` **are gone after the
  first hop** (§8.2).

Statuses a search may walk: :data:`TRAVERSABLE` (``allowed`` and ``unknown`` -- what AWS may allow) for
questions about what *can* happen; :data:`INTENDED` adds ``blocked`` for questions about what the authors
*meant* to happen (a blocked edge's conditions are those of its statement with the blocking parts set aside).

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("idp", kind="saml-provider"); g.add_node("hub", kind="role"); g.add_node("dev", kind="role")
>>> g.add_edge("idp", "hub", key="s0", api="AssumeRoleWithSAML", status="allowed",
...            conditions={"mfa": "not-required", "tag_session": False, "max_duration": 7200})
's0'
>>> g.add_edge("hub", "dev", key="s0", api="AssumeRole", status="allowed", tags_offered=True,
...            offered_transitive_keys=["Project"],
...            conditions={"mfa": "required", "tag_session": False, "max_duration": 7200})
's0'
>>> [path.nodes for path in paths(g, "idp", "dev", max_depth=3)]
[('idp', 'hub', 'dev')]
>>> first, second = paths(g, "idp", "dev", max_depth=3)[0].steps
>>> first.chained, first.duration_cap, second.chained, second.duration_cap
(False, 7200, True, 3600)
>>> second.mfa, second.tags, second.tag_session_missing
('never', ('caller',), True)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

TRAVERSABLE = frozenset({"allowed", "unknown"})
INTENDED = frozenset({"allowed", "unknown", "blocked"})
CHAINED_SESSION_LIMIT = 3600  # iam-facts §1.1
SAML_SESSION_KEYS = ("saml:namequalifier", "saml:sub", "saml:sub_type")  # iam-facts §8.2
_STATUS_RANK = {"allowed": 0, "unknown": 1, "blocked": 2, "one-sided": 3}
_ENTRY_KINDS = frozenset({"user", "saml-provider", "oidc-provider", "account", "service"})


@dataclass(frozen=True)
class Hop:
    """One edge of the graph: ``source`` may call ``sts:AssumeRole*`` on ``target``; ``data`` its attributes."""

    source: str
    target: str
    key: str
    data: Mapping[str, Any]

    @property
    def api(self) -> str:
        """Return the STS API of the hop."""
        return str(self.data.get("api", "AssumeRole"))

    @property
    def status(self) -> str:
        """Return the hop's status (allowed, unknown, one-sided, blocked)."""
        return str(self.data.get("status", "allowed"))

    @property
    def conditions(self) -> Mapping[str, Any]:
        """Return the hop's conditions (empty when the graph has none)."""
        conditions = self.data.get("conditions")
        return conditions if isinstance(conditions, Mapping) else {}


@dataclass(frozen=True)
class Session:
    """What a caller's credentials carry into its next hop.

    ``origin``: ``"iam-user"``, ``"account"`` (any principal of an account: an IAM user or a role session),
    ``"federated"`` (a SAML or web-identity user before STS), ``"service"`` or ``"role-session"``.
    ``chained``: whether an AssumeRole made with these credentials is role chaining (None: it may be).
    ``mfa``: whether its next request can carry ``aws:MultiFactorAuthPresent = true``: ``"possible"``,
    ``"lost"`` (an AssumeRole session: only if MFA is supplied again, UNCONFIRMED) or ``"never"``.
    ``transitive_tag_keys``: session tag keys inherited as transitive (known keys only; unknown keys are never
    assumed). ``saml_keys``: the SAML keys still in its requests (None: not from SAML). ``max_duration``: the
    longest the session can last (None before the first hop).
    """

    principal: str
    origin: str
    chained: bool | None
    mfa: str
    transitive_tag_keys: tuple[str, ...] = ()
    saml_keys: tuple[str, ...] | None = None
    max_duration: int | None = None


@dataclass(frozen=True)
class Step:
    """One hop with the sessions around it and what composition says about it.

    ``mfa``: ``"not-required"``, ``"satisfied"`` (the caller can present MFA), ``"lost"`` (required, but the
    caller is an AssumeRole session; only a re-supplied MFA could pass, UNCONFIRMED), ``"never"`` (required,
    but the caller's session comes from SAML or web identity) or ``"unsatisfiable"`` (no request passes).
    ``tags``: where session tags on this hop come from -- ``"caller"`` (it passes tags) and/or
    ``"transitive"`` (inherited); ``tag_session_missing``: tags arrive but the trust does not allow
    ``sts:TagSession``, so the call fails.
    """

    hop: Hop
    before: Session
    after: Session
    chained: bool | None
    duration_cap: int
    mfa: str
    tags: tuple[str, ...]
    tag_session_missing: bool


@dataclass(frozen=True)
class Path:
    """A chain of hops from ``source``, with the composed session state of every step."""

    source: str
    steps: tuple[Step, ...]

    @property
    def hops(self) -> tuple[Hop, ...]:
        """Return the hops in order."""
        return tuple(step.hop for step in self.steps)

    @property
    def nodes(self) -> tuple[str, ...]:
        """Return the nodes visited, the source first."""
        return (self.source, *(step.hop.target for step in self.steps))

    @property
    def target(self) -> str:
        """Return the last node."""
        return self.nodes[-1]

    @property
    def status(self) -> str:
        """Return the weakest status of its hops (allowed < unknown < blocked < one-sided)."""
        if not self.steps:
            return "allowed"
        return max((step.hop.status for step in self.steps), key=lambda s: _STATUS_RANK.get(s, 9))

    def __len__(self) -> int:
        return len(self.steps)


def start_session(graph: nx.MultiDiGraph, node: str) -> Session:
    """Return the session a path starting at ``node`` begins with, from the node's kind."""
    kind = graph.nodes[node].get("kind", "role") if node in graph else "role"
    if kind == "user":
        return Session(node, "iam-user", False, "possible")
    if kind == "account":
        return Session(node, "account", None, "possible")
    if kind in ("saml-provider", "oidc-provider"):
        return Session(node, "federated", False, "never")
    if kind == "service":
        return Session(node, "service", False, "never")
    return Session(node, "role-session", True, "lost")


def step(before: Session, hop: Hop) -> Step:
    """Return the step of taking ``hop`` with the ``before`` session (the facts are in the module docstring)."""
    conditions = hop.conditions
    federated = hop.api != "AssumeRole"
    chained: bool | None = False if federated else before.chained
    max_duration = int(conditions.get("max_duration") or CHAINED_SESSION_LIMIT)
    cap = min(max_duration, CHAINED_SESSION_LIMIT) if chained else max_duration
    required = conditions.get("mfa", "not-required")
    if required == "required":
        mfa = {"possible": "satisfied", "lost": "lost"}.get(before.mfa, "never")
    else:
        mfa = "unsatisfiable" if required == "unsatisfiable" else "not-required"
    tags: list[str] = []
    if hop.data.get("tags_offered"):
        tags.append("caller")
    if before.transitive_tag_keys:
        tags.append("transitive")
    offered = hop.data.get("offered_transitive_keys") if hop.data.get("tags_offered") else ()
    transitive = tuple(dict.fromkeys((*before.transitive_tag_keys, *(offered or ()))))
    saml_keys = SAML_SESSION_KEYS if hop.api == "AssumeRoleWithSAML" else before.saml_keys
    after = Session(
        principal=hop.target,
        origin="role-session",
        chained=True,
        mfa="never" if federated or before.mfa == "never" else "lost",
        transitive_tag_keys=transitive,
        saml_keys=saml_keys,
        max_duration=cap,
    )
    missing = bool(tags) and not conditions.get("tag_session", False)
    return Step(hop, before, after, chained, cap, mfa, tuple(tags), missing)


def compose(graph: nx.MultiDiGraph, source: str, hops: Iterable[Hop]) -> Path:
    """Return the path taking ``hops`` in order from ``source``, with its sessions composed."""
    session = start_session(graph, source)
    steps: list[Step] = []
    for hop in hops:
        current = step(session, hop)
        steps.append(current)
        session = current.after
    return Path(source, tuple(steps))


def hop(graph: nx.MultiDiGraph, source: str, target: str, key: str) -> Hop:
    """Return one edge of the graph as a :class:`Hop`."""
    return Hop(source, target, key, graph.edges[source, target, key])


def _edges_from(
    graph: nx.MultiDiGraph, node: str, statuses: Collection[str]
) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Yield (target, key, data) of a node's out-edges with an accepted status, best edge per target first."""
    found = [
        (target, key, data)
        for _source, target, key, data in graph.out_edges(node, keys=True, data=True)
        if data.get("status", "allowed") in statuses
    ]
    found.sort(key=lambda e: (e[0], _STATUS_RANK.get(str(e[2].get("status")), 9), e[1]))
    yield from found


def paths(
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    *,
    max_depth: int,
    statuses: Collection[str] = TRAVERSABLE,
) -> list[Path]:
    """Return every simple path from ``source`` to ``target`` of at most ``max_depth`` hops, over edges whose
    status is in ``statuses``; shortest first, then by node ids and edge keys.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for u, v, status in [("a", "b", "allowed"), ("b", "c", "blocked"), ("a", "c", "unknown")]:
    ...     _ = g.add_edge(u, v, key="k", status=status, api="AssumeRole", conditions={})
    >>> [p.nodes for p in paths(g, "a", "c", max_depth=2)]
    [('a', 'c')]
    >>> [p.nodes for p in paths(g, "a", "c", max_depth=2, statuses=INTENDED)]
    [('a', 'c'), ('a', 'b', 'c')]
    """
    import networkx as nx

    if source not in graph or target not in graph or source == target:
        return []
    view = nx.subgraph_view(graph, filter_edge=lambda u, v, k: graph.edges[u, v, k].get("status") in statuses)
    found = [
        compose(graph, source, (hop(graph, u, v, k) for u, v, k in edges))
        for edges in nx.all_simple_edge_paths(view, source, target, cutoff=max_depth)
    ]
    return sorted(found, key=lambda p: (len(p), p.nodes, tuple(h.key for h in p.hops)))


class PathTree:
    """Shortest paths from a set of sources to every node they reach, found once and composed on demand.

    A breadth-first search from all sources at once, in sorted order, preferring allowed edges over unknown
    and blocked ones between the same two nodes, so the answer is deterministic. A source is reached too when
    some source leads to it by at least one hop. ``within`` confines the search to a set of nodes.
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        sources: Iterable[str],
        *,
        statuses: Collection[str] = TRAVERSABLE,
        avoid: Collection[str] = (),
        within: Collection[str] | None = None,
    ) -> None:
        self.graph = graph
        self.parents: dict[str, tuple[str, str, str]] = {}
        starts = sorted(s for s in set(sources) if s in graph and s not in avoid)
        self.origins = frozenset(starts)
        worst: dict[str, int] = dict.fromkeys(starts, 0)  # the weakest status rank on the path found so far
        level = starts
        expanded: set[str] = set(starts)
        while level:
            # One level at a time: of the equally short ways to a node, keep the one with the best weakest
            # status (an allowed path over one through an unknown or blocked hop), then the smallest caller/key.
            best: dict[str, tuple[int, str, str]] = {}
            for node in level:
                for target, key, data in _edges_from(graph, node, statuses):
                    if (
                        target in avoid
                        or target in self.parents
                        or (within is not None and target not in within)
                    ):
                        continue
                    rank = max(worst.get(node, 0), _STATUS_RANK.get(str(data.get("status", "allowed")), 9))
                    candidate = (rank, node, key)
                    if target not in best or candidate < best[target]:
                        best[target] = candidate
            level = []
            for target in sorted(best):
                rank, node, key = best[target]
                self.parents[target] = (node, target, key)
                if target not in expanded:
                    expanded.add(target)
                    worst[target] = rank
                    level.append(target)

    def __contains__(self, node: object) -> bool:
        return node in self.parents

    def reached(self) -> list[str]:
        """Return the nodes reached, sorted."""
        return sorted(self.parents)

    def edges(self, node: str) -> list[tuple[str, str, str]]:
        """Return the (source, target, key) edges of the path to a reached node, in order."""
        chain = [self.parents[node]]
        while chain[-1][0] not in self.origins:  # walk back to the source the search came from
            chain.append(self.parents[chain[-1][0]])
        chain.reverse()
        return chain

    def path(self, node: str) -> Path | None:
        """Return the composed path to a node, or None when it is not reached."""
        if node not in self.parents:
            return None
        chain = self.edges(node)
        return compose(self.graph, chain[0][0], (hop(self.graph, u, v, k) for u, v, k in chain))


def shortest_paths(
    graph: nx.MultiDiGraph,
    sources: Iterable[str],
    *,
    statuses: Collection[str] = TRAVERSABLE,
    avoid: Collection[str] = (),
) -> dict[str, Path]:
    """Return, for every node reachable from ``sources`` (not through ``avoid``), one shortest path to it
    (see :class:`PathTree` for the order of preference).

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for u, v in [("idp", "hub"), ("hub", "prod"), ("hub", "dev"), ("dev", "prod")]:
    ...     _ = g.add_edge(u, v, key="k", status="allowed", api="AssumeRole", conditions={})
    >>> {node: path.nodes for node, path in sorted(shortest_paths(g, ["idp"]).items())}
    {'dev': ('idp', 'hub', 'dev'), 'hub': ('idp', 'hub'), 'prod': ('idp', 'hub', 'prod')}
    >>> sorted(shortest_paths(g, ["idp"], avoid={"hub"}))
    []
    """
    tree = PathTree(graph, sources, statuses=statuses, avoid=avoid)
    return {node: path for node in tree.reached() if (path := tree.path(node)) is not None}


def _towards(
    graph: nx.MultiDiGraph, target: str, statuses: Collection[str]
) -> tuple[dict[str, int], dict[str, tuple[str, str, str]]]:
    """Return the hop count to ``target`` of every node that reaches it, and each node's best next edge on a
    shortest way there (a breadth-first search backwards; allowed edges preferred, then the smallest ids)."""
    distance: dict[str, int] = {}
    following: dict[str, tuple[str, str, str]] = {}
    level = [target]
    depth = 0
    while level:
        depth += 1
        best: dict[str, tuple[int, str, str]] = {}
        for node in level:
            for source, _node, key, data in graph.in_edges(node, keys=True, data=True):
                if data.get("status", "allowed") not in statuses or source in distance:
                    continue
                candidate = (_STATUS_RANK.get(str(data.get("status", "allowed")), 9), node, key)
                if source not in best or candidate < best[source]:
                    best[source] = candidate
        level = sorted(best)
        for source in level:
            _rank, node, key = best[source]
            distance[source] = depth
            following[source] = (source, node, key)
    return distance, following


def distances_to(
    graph: nx.MultiDiGraph, target: str, *, statuses: Collection[str] = TRAVERSABLE
) -> dict[str, int]:
    """Return the number of hops from every node that reaches ``target`` (a breadth-first search backwards).

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> for u, v in [("idp", "hub"), ("hub", "admin"), ("dev", "admin")]:
    ...     _ = g.add_edge(u, v, key="k", status="allowed")
    >>> sorted(distances_to(g, "admin").items())
    [('dev', 1), ('hub', 1), ('idp', 2)]
    """
    return _towards(graph, target, statuses)[0]


def shortest_path(
    graph: nx.MultiDiGraph, source: str, target: str, *, statuses: Collection[str] = TRAVERSABLE
) -> Path | None:
    """Return one shortest path from ``source`` to another node ``target`` (best statuses first), or None.

    The search runs backwards from ``target``, so asking for the way into one role costs what reaches that
    role, not what the source reaches (a hub may reach every role of the organisation).
    """
    distance, following = _towards(graph, target, statuses)
    if source not in distance or source == target:
        return None
    hops: list[Hop] = []
    node = source
    while node != target:
        _u, nxt, key = following[node]
        hops.append(hop(graph, node, nxt, key))
        node = nxt
    return compose(graph, source, hops)


def reachable(
    graph: nx.MultiDiGraph, sources: Iterable[str], *, statuses: Collection[str] = TRAVERSABLE
) -> set[str]:
    """Return the nodes reachable from ``sources`` by at least one hop over edges with an accepted status."""
    return set(PathTree(graph, sources, statuses=statuses).reached())


def entry_nodes(graph: nx.MultiDiGraph) -> list[str]:
    """Return the nodes that start chains: users, providers, accounts, services -- and roles the data does not
    define, since whoever reaches them is unknown (never assumed to be nobody)."""
    return sorted(
        n
        for n, d in graph.nodes(data=True)
        if d.get("kind") in _ENTRY_KINDS or (d.get("kind") == "role" and d.get("in_data") is False)
    )


def in_hops(graph: nx.MultiDiGraph, node: str, statuses: Collection[str] = INTENDED) -> list[Hop]:
    """Return the hops into a node with an accepted status, sorted by caller and key."""
    found = [
        Hop(source, node, key, data)
        for source, _target, key, data in graph.in_edges(node, keys=True, data=True)
        if data.get("status", "allowed") in statuses
    ]
    return sorted(found, key=lambda h: (h.source, h.key))


def path_to(
    graph: nx.MultiDiGraph,
    node: str,
    last: Hop,
    *,
    statuses: Collection[str] = INTENDED,
    tree: PathTree | None = None,
) -> Path:
    """Return a shortest path from an entry node that ends with ``last`` (a hop into ``node``); when no entry
    node reaches the hop's caller, the path starts at the caller. ``tree`` is a :class:`PathTree` from the
    entry nodes to reuse (rules asking many such questions build it once)."""
    caller = last.source
    if tree is None:
        tree = PathTree(graph, entry_nodes(graph), statuses=statuses)
    prefix = tree.edges(caller) if caller in tree else []
    if any(v == node for _u, v, _k in prefix):  # the shortest way in passes the target itself: go around it
        around = PathTree(graph, entry_nodes(graph), statuses=statuses, avoid={node})
        prefix = around.edges(caller) if caller in around else []
    start = prefix[0][0] if prefix else caller
    return compose(graph, start, [*(hop(graph, u, v, k) for u, v, k in prefix), last])


def match_nodes(graph: nx.MultiDiGraph, text: str) -> list[str]:
    """Return the nodes a user's text names: the exact id; else ids matching it as an IAM wildcard pattern;
    else ids or labels ending with it (``saml-provider/CorporateIdP``) or containing it; sorted.

    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("arn:aws:iam::1:saml-provider/IdP", label="IdP"); g.add_node("arn:aws:iam::1:role/Hub", label="Hub")
    >>> match_nodes(g, "saml-provider/IdP"), match_nodes(g, "Hub")
    (['arn:aws:iam::1:saml-provider/IdP'], ['arn:aws:iam::1:role/Hub'])
    """
    from xacct_lint.evaluate.operators import glob_match

    if text in graph:
        return [text]
    nodes = sorted(graph.nodes)
    if "*" in text or "?" in text:
        return [n for n in nodes if glob_match(text, n)]
    labels = {n: str(graph.nodes[n].get("label", "")) for n in nodes}
    ending = [n for n in nodes if n.endswith(text) or labels[n] == text]
    if ending:
        return ending
    return [n for n in nodes if text in n or text in labels[n]]
