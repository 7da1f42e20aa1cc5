"""Session tags reach a role whose trust policy does not allow sts:TagSession: the assumption fails.

## What it does
Walks the assume-role graph and, for every hop into a role, asks whether session tags arrive with the call:

- **the caller passes tags**: its identity policy allows `sts:TagSession` on the role -- a permission whose
  only use is passing session tags (iam-facts §4.1) -- or, for SAML and web identity, the IdP's assertion or
  token carries them;
- **tags are inherited**: an earlier hop on some path into the caller marked tags transitive, and transitive
  tags "persist during role chaining" (iam-facts §4.2). The keys come from the caller's identity policy
  (`sts:TransitiveTagKeys` conditions) or, when it does not restrict them, from the configuration's
  `[session-tags] allowed-transitive-keys` -- what the organisation's callers are documented to pass.

When tags arrive and the role's trust policy does not allow `sts:TagSession` for that caller, the rule reports
the hop at the trust statement's `Action`. For inherited tags AWS has no explicit sentence and practitioners
report the failure consistently (iam-facts §4.3): the finding says PARTLY UNCONFIRMED. A hop that is blocked
today (a dead trust statement, XA208) is judged as its author intended it, and the finding says so.

## Why is this bad
AWS: "For roles without this permission in the trust policy, the `AssumeRole` operation fails" (iam-facts
§4.1). A hub that tags its sessions for attribute-based access control cannot enter a spoke whose trust
policy grants only `sts:AssumeRole`: every such call ends in `AccessDenied` naming `sts:TagSession`.

## Example
The hub role's permission allows `sts:TagSession` (its callers pass `--tags ... --transitive-tag-keys ...`),
but the spoke trusts it for `sts:AssumeRole` only:
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:role/MasterCrossAccountRole"},
 "Action": ["sts:AssumeRole", "sts:TagSession"],
 "Condition": {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"},
               "ForAllValues:StringEquals": {"aws:TagKeys": ["Department", "Project", "Environment"]}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_role-chaining
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.graph import INTENDED, Hop, PathTree

from ._graph import (
    caveats,
    flow,
    graph,
    hop_location,
    label,
    nothing_to_walk,
    path_into,
    places,
    precision,
    undecided,
    undecided_finding,
)

META = RuleMeta(
    id="XA304", name="missing-tag-session", severity=Severity.ERROR, tags=("trust", "session-tags", "graph")
)


def _inherited(hops: list[Hop]) -> dict[str, dict[str, Hop]]:
    """Return, per node, the transitive tag keys its sessions may inherit and the hop that introduced each
    (a fixpoint over the graph: transitive tags flow to every later hop, iam-facts §4.2)."""
    keys: dict[str, dict[str, Hop]] = {}
    by_source: dict[str, list[Hop]] = {}
    for hop in hops:
        by_source.setdefault(hop.source, []).append(hop)
    queue: deque[Hop] = deque(h for h in hops if h.data.get("tags_offered"))
    while queue:
        hop = queue.popleft()
        incoming = dict(keys.get(hop.source, {}))
        if hop.data.get("tags_offered"):
            for key in hop.data.get("offered_transitive_keys") or ():
                incoming.setdefault(key, hop)
        target = keys.setdefault(hop.target, {})
        added = False
        for key, origin in incoming.items():
            if key not in target:
                target[key] = origin
                added = True
        if added:
            queue.extend(by_source.get(hop.target, ()))
    return keys


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per hop whose caller brings session tags the trust policy does not accept."""
    if nothing_to_walk(ctx):
        return
    g = graph(ctx)
    hops = sorted(
        (Hop(u, v, k, d) for u, v, k, d in g.edges(keys=True, data=True) if d.get("status") in INTENDED),
        key=lambda h: (h.target, h.source, h.key),
    )
    inherited = _inherited(hops)
    # Where the search could not decide whether a caller passes (transitive) tags, what lies downstream may
    # inherit them: those hops get a note instead of silence.
    doubtful = {h.target for h in hops if {"tags_offered", "offered_transitive_keys"} & undecided(h)}
    maybe = doubtful | set(PathTree(g, doubtful, statuses=INTENDED).reached()) if doubtful else set()
    index = places(ctx)
    for hop in hops:
        if hop.conditions.get("tag_session"):
            continue
        passes = bool(hop.data.get("tags_offered"))
        upstream = inherited.get(hop.source, {})
        unsure = undecided(hop)
        question = ""
        if "tag_session" in unsure and (passes or upstream or "tags_offered" in unsure):
            question = (
                f"this trust statement allows sts:TagSession for {label(g, hop.source)}, which may pass tags"
            )
        elif "tags_offered" in unsure and not upstream:
            question = f"{label(g, hop.source)} passes session tags to {label(g, hop.target)}"
        elif not passes and not upstream and hop.source in maybe:
            question = (
                f"session tags inherited from upstream reach {label(g, hop.source)} -> {label(g, hop.target)}"
            )
        if question:
            location = hop_location(ctx, hop)
            if location is not None:
                yield undecided_finding(META.id, location, question)
            continue
        if not passes and not upstream:
            continue
        reasons: list[str] = []
        if passes:
            identity = hop.data.get("identity")
            where = f" ({identity['path']} {identity['pointer']})" if identity else ""
            transitive = hop.data.get("offered_transitive_keys") or []
            marks = f", marking {', '.join(transitive)} transitive" if transitive else ""
            reasons.append(
                f"{label(g, hop.source)} passes session tags{marks}: its identity policy allows sts:TagSession on "
                f"this role{where}"
                if identity
                else f"{label(g, hop.source)} passes session tags (its trust allows sts:TagSession)"
            )
        if upstream:
            origins = sorted({f"{label(g, o.source)} -> {label(g, o.target)}" for o in upstream.values()})
            reasons.append(
                f"its sessions may inherit transitive tags {', '.join(sorted(upstream, key=str.casefold))} "
                f"(set on {', '.join(origins)}; inherited tags need sts:TagSession too -- PARTLY UNCONFIRMED, "
                "iam-facts §4.3)"
            )
        found = index.statement(hop.data.get("trust"))
        suffix = "/Action" if found is not None and found[1].action is not None else ""
        location = hop_location(ctx, hop, suffix)
        if location is None:
            continue
        path = path_into(ctx, hop, INTENDED)
        message = (
            f"{'; '.join(reasons)} -- but this trust statement does not allow sts:TagSession for "
            f'{label(g, hop.source)}, so the {hop.api} call fails: "For roles without this permission in the '
            'trust policy, the AssumeRole operation fails" (iam-facts §4.1); add sts:TagSession to its Action '
            "and limit the keys with aws:TagKeys"
        )
        message += caveats(g, path.hops)
        yield Finding(
            META.id,
            message,
            location,
            precision=precision(path),
            flow=flow(ctx, g, path),
            properties={"fingerprint_key": hop.source},
        )
