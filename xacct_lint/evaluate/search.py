"""Witness search: is there a request of a given kind that a policy allows? If so, which one?

Why a finite search is exact (shared/design/evaluator.md): a condition can only tell values apart by comparing
them with the constants written in the policy. For each key the relevant statements mention we enumerate a
handful of representatives that cover every region of the key's value space those constants carve out:

- strings: absent, each constant, an instance of each wildcard pattern (``*`` empty and non-empty), case
  variants under ``IgnoreCase``, and a fresh string equal to no constant and matching no pattern;
- numbers and dates: absent, each constant, one value on each side of it and one between neighbours;
- booleans: absent, "true", "false";
- IP addresses: absent, the first address of each CIDR, the addresses just before and just after it (every gap
  between CIDRs starts at one of those), and a fresh address outside all of them, IPv4 and IPv6 apart;
- multivalued keys (set qualifiers, or keys AWS documents as multivalued): absent, the empty set, each single
  representative, and each constant paired with a fresh value.

What the caller may put into the request depends on who it is and which API it calls (:class:`RequestKind`,
iam-facts §2, §3, §5, §8): keys the API never carries are pinned absent, keys bound to the principal
(``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:userid``...) take the principal's value, everything else
is free. Rules add :class:`KeyPin` constraints ("``sts:ExternalId`` absent"). Every witness is re-evaluated by
the concrete evaluator before it is returned; a disagreement raises :class:`WitnessDisagreementError` (a bug).
The search stops at a budget and answers :class:`Unknown` instead of guessing.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from xacct_lint.evaluate.concrete import (
    AWS_IDENTITIES,
    VARIABLE,
    Caller,
    CallerType,
    Decision,
    Effect,
    Request,
    action_matches,
    caller_in_statement,
    entry_holds,
    evaluate,
    has_principal_element,
    resource_matches,
    substitute,
    variable_keys,
)
from xacct_lint.evaluate.operators import glob_match, parse_date, parse_network, parse_number
from xacct_lint.parse.policy import ConditionEntry, PolicyDocument, Statement

ContextValue = tuple[str, ...] | None  # None: the key is absent from the request

FRESH_ACCOUNT = "999999999999"
PROBE_ROLE = "xacct-probe-role"
PROBE_USER = "xacct-probe-user"
PROBE_ROLE_ID = "AROAXACCTPROBE0ROLE"
PROBE_USER_ID = "AIDAXACCTPROBE0USER"
PROBE_SESSION = "xacct-probe"
_FRESH_STRINGS = ("ZZfresh0value", "q9-fresh-value", "~fresh~")
_FRESH_V4 = ("192.0.2.200", "198.51.100.200", "203.0.113.200", "8.8.4.4", "100.64.0.1", "10.255.255.1")
_FRESH_V6 = ("2001:db8:ffff::1", "2001:4860::8888", "fd00::1")

# Keys documented as multivalued (iam-facts §6.3); others become multivalued when a set qualifier uses them.
MULTIVALUED_KEYS = frozenset(
    {"aws:tagkeys", "sts:transitivetagkeys", "aws:principalorgpaths", "aws:calledvia", "aws:sourceorgpaths",
     "aws:resourceorgpaths", "aws:principalservicenameslist", "cognito-identity.amazonaws.com:amr"}
)  # fmt: skip
_SAML_PREFIX = "saml:"
_SAML_SESSION_KEYS = frozenset({"saml:sub", "saml:sub_type", "saml:namequalifier"})  # iam-facts §8.2
_WEB_SESSION_CLAIMS = frozenset({"amr", "aud", "id", "sub"})  # iam-facts §11
_ASSUME_ROLE_ACTIONS = frozenset(
    {"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity", "sts:tagsession"}
)
_PRINCIPAL_TYPE = {
    CallerType.USER: "User",
    CallerType.ROLE_SESSION: "AssumedRole",
    CallerType.ROOT: "Account",
    CallerType.FEDERATED_USER: "FederatedUser",
}


class WitnessDisagreementError(AssertionError):
    """The search produced a request that the concrete evaluator does not allow: a bug in one of them."""


@dataclass(frozen=True)
class KeyPin:
    """A rule's constraint on one condition key.

    ``predicate`` receives the key's value (None when absent) and says whether the rule's question admits it;
    ``constants`` are extra values (e.g. an allowlist's CIDRs) to derive representatives from, compared with
    ``operator`` semantics.
    """

    predicate: Callable[[ContextValue], bool]
    constants: tuple[str, ...] = ()
    operator: str = "StringEquals"
    description: str = ""
    shown: bool = (
        True  # False: a background assumption, listed in the witness only when the policy tests the key
    )


def absent() -> KeyPin:
    """Pin a key absent from the request."""
    return KeyPin(lambda value: value is None, description="absent")


def present_not_in(constants: Iterable[str]) -> KeyPin:
    """Pin a key present with a value equal to none of the given constants."""
    excluded = frozenset(constants)
    return KeyPin(
        lambda value: value is not None and len(value) == 1 and value[0] not in excluded,
        description="a value the policy does not name",
    )


@dataclass(frozen=True)
class RequestKind:
    """Who calls, through which API: fixes the action and what the caller can and cannot put in the request."""

    name: str
    action: str
    caller_types: frozenset[CallerType]
    caller_filter: Callable[[Caller], bool] = field(default=lambda caller: True)
    resource: str | None = None
    description: str = ""

    def admits(self, caller: Caller) -> bool:
        """Return whether a caller is of this kind."""
        return caller.type in self.caller_types and self.caller_filter(caller)


def assume_role_kind(
    role_account: str | None,
    *,
    foreign_only: bool = True,
    accounts: Iterable[str] | None = None,
    name: str = "",
) -> RequestKind:
    """``sts:AssumeRole`` from an IAM user or role session of another account (or of ``accounts``)."""
    allowed = frozenset(accounts) if accounts is not None else None

    def admit(caller: Caller) -> bool:
        if foreign_only and role_account is not None and caller.account == role_account:
            return False
        return allowed is None or caller.account in allowed

    return RequestKind(
        name or ("cross-account AssumeRole" if foreign_only else "AssumeRole"),
        "sts:AssumeRole",
        frozenset({CallerType.USER, CallerType.ROLE_SESSION}),
        admit,
    )


def saml_kind(provider: str | None = None) -> RequestKind:
    """``sts:AssumeRoleWithSAML`` through one SAML provider (or any)."""
    return RequestKind(
        "AssumeRoleWithSAML",
        "sts:AssumeRoleWithSAML",
        frozenset({CallerType.SAML}),
        (lambda caller: provider is None or caller.arn == provider),
    )


def web_identity_kind(provider: str | None = None) -> RequestKind:
    """``sts:AssumeRoleWithWebIdentity`` through one OIDC provider (or any)."""
    return RequestKind(
        "AssumeRoleWithWebIdentity",
        "sts:AssumeRoleWithWebIdentity",
        frozenset({CallerType.WEB_IDENTITY}),
        (lambda caller: provider is None or caller.arn == provider),
    )


def service_kind(service: str | None = None) -> RequestKind:
    """``sts:AssumeRole`` by an AWS service principal."""
    return RequestKind(
        "service AssumeRole",
        "sts:AssumeRole",
        frozenset({CallerType.SERVICE}),
        (lambda caller: service is None or caller.arn.casefold() == service.casefold()),
    )


def tag_session_kind(base: RequestKind) -> RequestKind:
    """``sts:TagSession`` by the callers of ``base``: the permission that every AssumeRole* call passing
    session tags needs beside its own action (iam-facts §4.1)."""
    return RequestKind(
        f"{base.name} with session tags",
        "sts:TagSession",
        base.caller_types,
        base.caller_filter,
        base.resource,
        base.description,
    )


# --- results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Witness:
    """A concrete request the policy allows, with the statement that allows it."""

    request: Request
    kind: RequestKind
    statement: Statement
    key_names: Mapping[str, str]  # case-folded key -> spelling used in the policy
    shown_keys: tuple[str, ...]  # case-folded keys the witness talks about (mentioned or pinned)
    precision_note: str | None = None

    def context_items(self) -> list[tuple[str, ContextValue]]:
        """Return (key as spelled in the policy, value or None for absent), sorted by key."""
        items = []
        for key in self.shown_keys:
            items.append((self.key_names.get(key, key), self.request.context.get(key)))
        return sorted(items, key=lambda item: item[0].casefold())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able description (used in SARIF properties and JSON output)."""
        caller = self.request.caller
        out: dict[str, Any] = {
            "kind": self.kind.name,
            "action": self.request.action,
            "principal": {"type": caller.type.value, "arn": caller.arn, "account": caller.account},
            "context": {
                key: (None if value is None else (list(value) if len(value) != 1 else value[0]))
                for key, value in self.context_items()
            },
            "allowed_by": self.statement.pointer,
        }
        if self.request.resource is not None:
            out["resource"] = self.request.resource
        return out

    def describe(self) -> list[str]:
        """Return human lines: who calls, then each key's value or ``<absent>``."""
        lines = [f"caller: {describe_caller(self.request.caller)} calls {self.request.action}"]
        if self.request.resource is not None:
            lines[0] += f" on {self.request.resource}"
        for key, value in self.context_items():
            if value is None:
                shown = "<absent>"
            elif len(value) == 1:
                shown = value[0]
            else:
                shown = "[" + ", ".join(value) + "]"
            lines.append(f"{key} = {shown}")
        lines.append(f"allowed by {self.statement.pointer}")
        return lines

    def reproduce(self, role_arn: str | None) -> str:
        """Return a one-line AWS CLI command that makes this request."""
        arn = role_arn or "<this-role-arn>"
        ctx = self.request.context
        action = self.request.action.casefold()
        if action == "sts:tagsession":  # always authorised beside the AssumeRole* call that passes the tags
            action = _TAGGED_CALL.get(self.request.caller.type, "sts:assumerole")
        if action == "sts:assumerolewithsaml":
            parts = [
                f"aws sts assume-role-with-saml --role-arn {arn} --principal-arn {self.request.caller.arn}"
            ]
            attrs = [
                f"{self.key_names.get(k, k)}={_show(v)}"
                for k, v in sorted(ctx.items())
                if k.startswith("saml:")
            ]
            # Session tags arrive as PrincipalTag attributes (iam-facts §4.1).
            attrs.extend(f"PrincipalTag:{key}=x" for key in ctx.get("aws:tagkeys") or ())
            parts.append("--saml-assertion <assertion" + (f" with {', '.join(attrs)}" if attrs else "") + ">")
            return " ".join(parts)
        if action == "sts:assumerolewithwebidentity":
            claims = [
                f"{self.key_names.get(k, k)}={_show(v)}"
                for k, v in sorted(ctx.items())
                if ":" in k and not k.startswith(("aws:", "sts:"))
            ]
            return (
                f"aws sts assume-role-with-web-identity --role-arn {arn} --role-session-name {PROBE_SESSION} "
                f"--web-identity-token <token{' with ' + ', '.join(claims) if claims else ''}>"
            )
        if action != "sts:assumerole":
            shown = ", ".join(f"{self.key_names.get(k, k)}={_show(v)}" for k, v in sorted(ctx.items()))
            return (
                f"# {describe_caller(self.request.caller)} calls {self.request.action}"
                + (f" on {self.request.resource}" if self.request.resource else "")
                + (f" with {shown}" if shown else "")
            )
        parts = [f"aws sts assume-role --role-arn {arn} --role-session-name {PROBE_SESSION}"]
        external = ctx.get("sts:externalid")
        parts.append(f"--external-id {external[0]}" if external else "(no --external-id)")
        mfa = ctx.get("aws:multifactorauthpresent")
        if mfa == ("true",):
            parts.append("--serial-number <mfa-device-arn> --token-code <code>")
        tags = [
            (k.split("/", 1)[1], v[0])
            for k, v in sorted(ctx.items())
            if k.startswith("aws:requesttag/") and v
        ]
        named = {k.casefold() for k, _ in tags}
        tags.extend((k, "x") for k in ctx.get("aws:tagkeys") or () if k.casefold() not in named)
        if tags:
            parts.append("--tags " + " ".join(f"Key={k},Value={v}" for k, v in tags))
        transitive = ctx.get("sts:transitivetagkeys")
        if transitive:
            parts.append("--transitive-tag-keys " + " ".join(transitive))
        who = self.request.caller
        prefix = f"# as {describe_caller(who)}"
        if mfa is None and who.type is CallerType.USER:
            prefix += " with long-term access keys"
        source_ip = ctx.get("aws:sourceip")
        if source_ip:
            prefix += f", from {source_ip[0]}"
        return " ".join(parts) + "   " + prefix


_TAGGED_CALL = {
    CallerType.SAML: "sts:assumerolewithsaml",
    CallerType.WEB_IDENTITY: "sts:assumerolewithwebidentity",
}


def describe_caller(caller: Caller) -> str:
    """Return a human description; the search's synthetic probe principals read as 'any principal of N'."""
    if caller.account == FRESH_ACCOUNT and caller.arn.endswith((PROBE_USER, PROBE_ROLE)):
        kind = "IAM user" if caller.type is CallerType.USER else "role session"
        return f"any {kind} of an AWS account the policy does not name (e.g. {FRESH_ACCOUNT})"
    if caller.arn.endswith(f"user/{PROBE_USER}"):
        return f"any IAM user of account {caller.account}"
    if caller.arn.endswith(f"role/{PROBE_ROLE}"):
        return f"any role session of account {caller.account}"
    return caller.describe()


def _show(value: ContextValue) -> str:
    if value is None:
        return "<absent>"
    return value[0] if len(value) == 1 else "[" + ",".join(value) + "]"


@dataclass(frozen=True)
class NoneExists:
    """No request of the kind satisfies the question: proved by exhaustive search over representatives."""

    explored: int


@dataclass(frozen=True)
class Unknown:
    """The search could not decide (budget exhausted, or an input it cannot model)."""

    reason: str
    explored: int


SearchResult = Witness | NoneExists | Unknown


# --- principals -------------------------------------------------------------------------------------------------


def _account_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    if len(parts) >= 6 and parts[4].isdigit() and len(parts[4]) == 12:
        return parts[4]
    return None


def _callers_for_arn(arn: str) -> list[Caller]:
    account = _account_of_arn(arn)
    if account is None:
        return []
    resource = arn.split(":", 5)[5]
    if resource == "root":
        return [
            Caller(CallerType.USER, f"arn:aws:iam::{account}:user/{PROBE_USER}", account),
            Caller(CallerType.ROLE_SESSION, f"arn:aws:iam::{account}:role/{PROBE_ROLE}", account,
                   f"arn:aws:sts::{account}:assumed-role/{PROBE_ROLE}/{PROBE_SESSION}"),
        ]  # fmt: skip
    if resource.startswith("role/"):
        name = resource.rsplit("/", 1)[-1]
        session = f"arn:aws:sts::{account}:assumed-role/{name}/{PROBE_SESSION}"
        return [Caller(CallerType.ROLE_SESSION, arn, account, session)]
    if resource.startswith("user/"):
        return [Caller(CallerType.USER, arn, account)]
    if resource.startswith("assumed-role/"):
        _, role_name, _session = [*resource.split("/", 2), "", ""][:3]
        return [Caller(CallerType.ROLE_SESSION, f"arn:aws:iam::{account}:role/{role_name}", account, arn)]
    if resource.startswith("federated-user/"):
        return [Caller(CallerType.FEDERATED_USER, arn, account)]
    if resource.startswith("saml-provider/"):
        return [Caller(CallerType.SAML, arn, account)]
    if resource.startswith("oidc-provider/"):
        return [Caller(CallerType.WEB_IDENTITY, arn, account)]
    return []


def candidate_callers(policy: PolicyDocument) -> list[Caller]:
    """Return representative callers: each principal named, a fresh principal in each named account and in a
    fresh account, and principals named by ``aws:PrincipalArn``/``aws:PrincipalAccount`` constants."""
    callers: list[Caller] = []
    accounts: set[str] = {FRESH_ACCOUNT}
    for statement in policy.statements:
        for block in (statement.principal, statement.not_principal):
            if block is None:
                continue
            for entry in block.entries:
                value = entry.normalized
                if entry.kind == "AWS" and value != "*":
                    found = _callers_for_arn(value)
                    callers.extend(found)
                    accounts.update(c.account for c in found if c.account)
                elif entry.kind == "Service":
                    callers.append(Caller(CallerType.SERVICE, value, None))
                elif entry.kind == "Federated":
                    if value.startswith("arn:"):
                        callers.extend(_callers_for_arn(value))
                    else:
                        callers.append(Caller(CallerType.WEB_IDENTITY, value, None))
        for condition in statement.conditions:
            if condition.key_lower == "aws:principalaccount":
                accounts.update(v.text for v in condition.values if v.text.isdigit() and len(v.text) == 12)
            elif condition.key_lower == "aws:principalarn":
                for arn_value in condition.values:
                    parts = arn_value.text.split(":", 5)
                    if len(parts) == 6 and ("*" in parts[4] or "?" in parts[4]):
                        # A wildcard account (arn:aws:iam::*:role/deploy) admits that principal in an account
                        # the policy names nowhere: instantiate it there.
                        if not glob_match(parts[4], FRESH_ACCOUNT):
                            continue
                        parts[4] = FRESH_ACCOUNT
                    instance = ":".join(parts).replace("*", "xq").replace("?", "x")
                    callers.extend(_callers_for_arn(instance))
                    account = _account_of_arn(instance)
                    if account:
                        accounts.add(account)
    for account in sorted(accounts):
        callers.extend(_callers_for_arn(f"arn:aws:iam::{account}:root"))
    unique: dict[tuple[str, str, str | None], Caller] = {}
    for caller in callers:
        unique.setdefault((caller.type.value, caller.arn, caller.session_arn), caller)
    return list(unique.values())


# --- representatives --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    """A representative equal to a policy value that contains policy variables, resolved per assignment."""

    text: str


DomainItem = ContextValue | _Template


_WILDCARD_OPERATORS = frozenset(
    {"StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"}
)


def _fill(pattern: str, filler: str) -> str:
    return pattern.replace("*", filler).replace("?", "x")


def _string_reps(values: set[tuple[str, str]]) -> list[str]:
    reps: list[str] = []
    patterns: list[tuple[str, bool]] = []
    constants: set[str] = set()
    for base, text in sorted(values):
        if base in _WILDCARD_OPERATORS and ("*" in text or "?" in text):
            patterns.append((text, base.startswith("Arn")))
            reps.extend((_fill(text, ""), _fill(text, "xq"), _fill(text, "AB12")))
            continue
        reps.append(text)
        constants.add(text.casefold())
        if "IgnoreCase" in base:
            reps.extend((text.upper(), text.lower(), text.swapcase()))
    for fresh in _FRESH_STRINGS:
        if fresh.casefold() not in constants and not any(glob_match(p, fresh) for p, _ in patterns):
            reps.append(fresh)
            break
    return reps


def _number_reps(texts: Iterable[str]) -> list[str]:
    numbers = sorted({n for n in (parse_number(t) for t in texts) if n is not None})
    if not numbers:
        return ["0"]
    reps: set[Decimal] = set()
    for index, number in enumerate(numbers):
        reps.update((number, number - 1, number + 1))
        if index + 1 < len(numbers):
            reps.add((number + numbers[index + 1]) / 2)
    return [format(n.normalize(), "f") for n in sorted(reps)]


def _date_reps(texts: Iterable[str]) -> list[str]:
    dates = sorted({d for d in (parse_date(t) for t in texts) if d is not None})
    if not dates:
        return ["2026-01-01T00:00:00+00:00"]
    reps: set[datetime] = set()
    second = timedelta(seconds=1)
    for index, moment in enumerate(dates):
        reps.update((moment, moment - second, moment + second))
        if index + 1 < len(dates):
            reps.add(moment + (dates[index + 1] - moment) / 2)
    return [d.astimezone(UTC).isoformat() for d in sorted(reps)]


def _ip_reps(texts: Iterable[str]) -> list[str]:
    networks = [n for n in (parse_network(t) for t in texts) if n is not None]
    reps: set[str] = set()
    for network in networks:
        first = int(network.network_address)
        last = int(network.broadcast_address)
        top = (1 << network.max_prefixlen) - 1
        factory = ipaddress.IPv4Address if network.version == 4 else ipaddress.IPv6Address
        reps.add(str(factory(first)))
        if first > 0:
            reps.add(str(factory(first - 1)))
        if last < top:
            reps.add(str(factory(last + 1)))
    for candidates in (_FRESH_V4, _FRESH_V6):
        for fresh in candidates:
            address = ipaddress.ip_address(fresh)
            if not any(address in n for n in networks if n.version == address.version):
                reps.add(fresh)
                break
    return sorted(reps, key=lambda a: (ipaddress.ip_address(a).version, int(ipaddress.ip_address(a))))


def _scalar_reps(uses: list[tuple[str, str]]) -> list[str]:
    """Return representative scalar values for a key from its (operator base, policy value) uses."""
    strings: set[tuple[str, str]] = set()
    numbers: list[str] = []
    dates: list[str] = []
    ips: list[str] = []
    reps: list[str] = []
    boolean = False
    for base, text in uses:
        if base.startswith("Numeric"):
            numbers.append(text)
        elif base.startswith("Date"):
            dates.append(text)
        elif base in ("IpAddress", "NotIpAddress"):
            ips.append(text)
        elif base == "Bool":
            boolean = True
        elif base != "Null":
            strings.add((base, text))
    if boolean:
        reps.extend(("true", "false"))
    if numbers:
        reps.extend(_number_reps(numbers))
    if dates:
        reps.extend(_date_reps(dates))
    if ips:
        reps.extend(_ip_reps(ips))
    if strings or not reps:
        reps.extend(_string_reps(strings))
    return list(dict.fromkeys(reps))


def _is_multivalued(key: str, entries: Sequence[ConditionEntry]) -> bool:
    """Return whether a key can carry several values: documented as multivalued, or used with a set qualifier
    (then the empty set and multi-element sets must be explored too)."""
    if key in MULTIVALUED_KEYS or any(e.operator.qualifier for e in entries):
        return True
    from xacct_lint.condition_keys import lookup_global_key, lookup_oidc_key

    info = lookup_global_key(key) or lookup_oidc_key(key)
    return info is not None and info.multivalued


def _domain_for(
    key: str, entries: Sequence[ConditionEntry], pin: KeyPin | None, variables: bool
) -> list[DomainItem]:
    uses: list[tuple[str, str]] = []
    templates: list[_Template] = []
    for entry in entries:
        base = entry.operator.base
        if base is None:
            continue
        for value in entry.values:
            if variables and base != "Null" and VARIABLE.search(value.text):
                templates.append(_Template(value.text))
                uses.append(
                    (base, substitute(value.text, {}) or value.text.replace("${", "").replace("}", ""))
                )
            else:
                uses.append((base, value.text))
    if pin is not None:
        uses.extend((pin.operator, c) for c in pin.constants)
    scalars = _scalar_reps(uses)
    domain: list[DomainItem] = [None]
    if _is_multivalued(key, entries):
        # A set matters only through which representative classes it contains. Each condition entry on the
        # key (an Allow's ForAnyValue to satisfy, a Deny's ForAllValues to escape) needs at most one member of
        # its own, so sets of up to one member per entry cover every outcome; this is what keeps "no such
        # request" exact when two entries test the same key (e.g. ForAnyValue [Team] and ForAnyValue [Env]).
        domain.append(())
        largest = min(len(scalars), max(2, len(entries)))
        for size in range(1, largest + 1):
            domain.extend(itertools.combinations(scalars, size))
    else:
        domain.extend((s,) for s in scalars)
    domain.extend(templates)
    return domain


# --- what the caller controls -----------------------------------------------------------------------------------


def _userid_values(caller: Caller, uses: Sequence[str]) -> list[ContextValue]:
    """Return the aws:userid values a caller can have (iam-facts §3): the unique-id part is the principal's,
    the session-name part (role sessions) is chosen by whoever created the session, from ``[\\w+=,.@-]``."""
    if caller.type is CallerType.USER:
        ids = {PROBE_USER_ID} | {u for u in uses if u.startswith("AIDA") and ":" not in u}
        return [(i,) for i in sorted(ids)]
    if caller.type is CallerType.ROOT:
        return [(caller.account or FRESH_ACCOUNT,)]
    if caller.type is CallerType.FEDERATED_USER:
        return [(f"{caller.account}:{caller.arn.rsplit('/', 1)[-1]}",)]
    if caller.type is CallerType.ROLE_SESSION:
        role_ids = {PROBE_ROLE_ID}
        names = {PROBE_SESSION}
        for use in uses:
            for filled in (_fill(use, ""), _fill(use, "xq"), _fill(use, "AROAAB12")):
                head, sep, tail = filled.partition(":")
                if sep and head.startswith("AROA") and head[4:].isalnum():
                    role_ids.add(head)
                if sep:
                    names.add(tail)
        valid_names = sorted(
            n for n in names if 2 <= len(n) <= 64 and all(c.isalnum() or c in "_+=,.@-" for c in n)
        )
        return [(f"{rid}:{name}",) for rid in sorted(role_ids) for name in valid_names]
    return [None]


def _bound_value(key: str, caller: Caller) -> list[ContextValue] | None:
    """Return the only values a principal-bound key can take for this caller, or None when the key is free."""
    if ":" not in key:
        # Every IAM condition key has a "prefix:" (aws:, sts:, saml:, <provider>:): a name without one, such as
        # an unrendered ${PROD_EXTERNAL_ID} read as a policy variable, is never in a request context.
        return [None]
    aws_identity = caller.type in AWS_IDENTITIES
    if key == "aws:principalarn":
        return [(caller.arn,)] if aws_identity else [None]
    if key == "aws:principalaccount":
        return [(caller.account,)] if caller.account and aws_identity else [None]
    if key == "aws:principaltype":
        return [(_PRINCIPAL_TYPE[caller.type],)] if caller.type in _PRINCIPAL_TYPE else [None]
    if key == "aws:username":
        return [(caller.arn.rsplit("/", 1)[-1],)] if caller.type is CallerType.USER else [None]
    if key == "aws:principalisawsservice":
        return [("true",)] if caller.type is CallerType.SERVICE else [("false",)]
    if key == "aws:principalservicename":
        return [(caller.arn,)] if caller.type is CallerType.SERVICE else [None]
    if key == "sts:externalid":
        # Only the AssumeRole API has an ExternalId parameter (iam-facts §5). Some services pass one when they
        # assume a role for you (Amazon Cognito's SMS role: "your Amazon Cognito user pool includes it in the
        # request to assume your IAM role", Cognito API SmsConfigurationType.ExternalId).
        return None if aws_identity or caller.type is CallerType.SERVICE else [None]
    if key.startswith(_SAML_PREFIX):
        if caller.type is CallerType.SAML:
            # Only the documented saml: keys exist: a custom attribute never reaches the context (§8.1).
            from xacct_lint.condition_keys import lookup_global_key

            return None if lookup_global_key(key) is not None else [None]
        if caller.type is CallerType.ROLE_SESSION and key in _SAML_SESSION_KEYS:
            return None  # a session from AssumeRoleWithSAML keeps these in later requests (iam-facts §8.2)
        return [None]
    if key == "aws:multifactorauthpresent":
        if caller.type is CallerType.USER:
            return [None, ("false",), ("true",)]  # long-term keys: absent (iam-facts §2.1)
        if caller.type in (CallerType.SAML, CallerType.WEB_IDENTITY):
            return [None, ("false",)]  # never true; absent-or-false is UNCONFIRMED (iam-facts §2.3)
        if caller.type is CallerType.ROLE_SESSION:
            return [("false",), ("true",)]
        return None
    if key in ("aws:principalorgid", "aws:principalorgpaths") and caller.type is CallerType.SERVICE:
        return [None]  # present only when the principal is a member of an organisation (iam-facts §7.6)
    if (
        caller.type is CallerType.WEB_IDENTITY
        and _looks_like_provider_key(key)
        and key.rpartition(":")[0] != _provider_of(caller)
    ):
        return [None]  # a token from one provider carries none of another provider's claims
    if key == "aws:multifactorauthage" and caller.type in (CallerType.SAML, CallerType.WEB_IDENTITY):
        return [None]
    if ":" in key and not key.startswith(("aws:", "sts:")) and caller.type is not CallerType.WEB_IDENTITY:
        # A web-identity provider key (<provider>:sub and friends) exists only in AssumeRoleWithWebIdentity --
        # except amr, aud, id and sub, which a web-identity role session keeps in later requests (§11).
        if caller.type is CallerType.ROLE_SESSION and key.rpartition(":")[2] in _WEB_SESSION_CLAIMS:
            return None
        if _looks_like_provider_key(key):
            return [None]
    return None


def _provider_of(caller: Caller) -> str:
    """Return the case-folded provider prefix of a web-identity caller's claim keys (host and path)."""
    arn = caller.arn
    marker = ":oidc-provider/"
    return (arn.split(marker, 1)[1] if marker in arn else arn).casefold()


def _required_claim(key: str) -> bool:
    """Return True for ``<provider>:sub`` / ``<provider>:aud`` keys, which every ID token carries."""
    return _looks_like_provider_key(key) and key.rpartition(":")[2] in ("sub", "aud")


def _looks_like_provider_key(key: str) -> bool:
    provider, _, claim = key.rpartition(":")
    return ("." in provider) and claim in {
        "aud",
        "sub",
        "amr",
        "azp",
        "oaud",
        "id",
        "email",
        "user_id",
        "app_id",
    }


def _consistent(ctx: Mapping[str, ContextValue]) -> bool:
    """Return False for contexts no real request has (keys that come and go together)."""
    if "aws:multifactorauthage" in ctx and "aws:multifactorauthpresent" in ctx:
        age = ctx["aws:multifactorauthage"]
        mfa = ctx["aws:multifactorauthpresent"]
        if (age is not None) != (mfa == ("true",)):
            return False
    tag_keys = ctx.get("aws:tagkeys", ())
    if tag_keys != () and "aws:tagkeys" in ctx:
        folded = {k.casefold() for k in (tag_keys or ())}
        for key, value in ctx.items():
            if key.startswith("aws:requesttag/") and value is not None and key.split("/", 1)[1] not in folded:
                return False
            if key.startswith("aws:requesttag/") and value is None and key.split("/", 1)[1] in folded:
                return False
    transitive = ctx.get("sts:transitivetagkeys")
    if transitive and "aws:tagkeys" in ctx:
        tagged = {k.casefold() for k in (ctx.get("aws:tagkeys") or ())}
        if not {k.casefold() for k in transitive} <= tagged:
            return False
    return True


# --- the search -------------------------------------------------------------------------------------------------


@dataclass
class _Budget:
    limit: int
    used: int = 0

    def spend(self) -> bool:
        # ``used`` never passes ``limit``: "exhausted after N steps" then says exactly what was explored.
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


def _ordered_keys(keys: Iterable[str], entries_by_key: Mapping[str, list[ConditionEntry]]) -> list[str]:
    """Order keys so that keys used inside policy variables come before the keys compared with them."""
    keys = sorted(set(keys))
    deps: dict[str, set[str]] = {k: set() for k in keys}
    for key in keys:
        for entry in entries_by_key.get(key, ()):
            for value in entry.values:
                deps[key].update(d for d in variable_keys(value.text) if d in deps and d != key)
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(keys):
        progress = False
        for key in keys:
            if key not in placed and deps[key] <= placed:
                ordered.append(key)
                placed.add(key)
                progress = True
        if not progress:  # a variable cycle: keep the rest in name order
            ordered.extend(k for k in keys if k not in placed)
            break
    return ordered


def find_request(
    policy: PolicyDocument,
    kind: RequestKind,
    pins: Mapping[str, KeyPin] | None = None,
    *,
    budget: int = 100_000,
    only_statement: Statement | None = None,
    include_denies: bool = True,
    callers: Sequence[Caller] | None = None,
) -> SearchResult:
    """Search for a request of ``kind`` that satisfies ``pins`` and that the policy allows.

    ``only_statement`` restricts the Allow side to one statement (with ``include_denies=False`` this asks
    whether that statement can ever match a request of the kind).
    """
    spelled = tuple(pins or ())  # the rule's spelling of its pinned keys, for the witness
    pins = {k.casefold(): v for k, v in (pins or {}).items()}
    principal_element = has_principal_element(policy)
    variables = policy.variables_enabled
    counter = _Budget(budget)
    denies = [s for s in policy.statements if s.effect == "Deny"] if include_denies else []
    allows = [s for s in policy.statements if s.effect == "Allow"]
    # Without denies the question is whether the Allow side matches on its own: a witness is confirmed against
    # the document without its Deny statements (an applicable Deny is then no disagreement).
    confirm_against = (
        policy
        if include_denies
        else replace(policy, statements=tuple(s for s in policy.statements if s.effect != "Deny"))
    )
    if only_statement is not None:
        allows = [only_statement]
    if kind.resource is not None:
        allows = [s for s in allows if _resource_possible(s, kind.resource, variables)]
        denies = [s for s in denies if _resource_possible(s, kind.resource, variables)]
    key_names: dict[str, str] = {}
    for statement in policy.statements:
        for entry in statement.conditions:
            key_names.setdefault(entry.key_lower, entry.key)
    for key in spelled:
        key_names.setdefault(key.casefold(), key)
    unknown_reason: str | None = None
    for caller in callers if callers is not None else candidate_callers(policy):
        if not kind.admits(caller):
            continue
        for allow in allows:
            if not (
                caller_in_statement(allow, caller, principal_element) and action_matches(allow, kind.action)
            ):
                continue
            relevant_denies = [
                d for d in denies
                if caller_in_statement(d, caller, principal_element) and action_matches(d, kind.action)
            ]  # fmt: skip
            result = _search_statement(
                confirm_against, kind, caller, allow, relevant_denies, pins, variables, counter, key_names
            )
            if isinstance(result, Witness):
                return result
            if isinstance(result, Unknown):
                unknown_reason = unknown_reason or result.reason
                if counter.exhausted:
                    return Unknown(result.reason, counter.used)
    if unknown_reason is not None:
        return Unknown(unknown_reason, counter.used)
    return NoneExists(counter.used)


def _resource_possible(statement: Statement, resource: str, variables: bool) -> bool:
    """Return whether a statement's Resource/NotResource can cover ``resource`` for some request context.

    Patterns with policy variables depend on the context: they are kept and decided per request at the leaf.
    """
    patterns = statement.resource if statement.resource is not None else statement.not_resource
    if variables and patterns is not None and any(VARIABLE.search(v.text) for v in patterns.values):
        return True
    return resource_matches(statement, resource, False, {})


def _with_request_tag_keys(
    tag_keys: tuple[str, ...], context: Mapping[str, ContextValue], key_names: Mapping[str, str]
) -> tuple[str, ...]:
    """Return an ``aws:TagKeys`` value extended by the keys of the ``aws:RequestTag/<key>`` values chosen.

    A request's TagKeys lists every tag it passes (iam-facts §4.4); without this the representative sets (at
    most two elements) could never hold three required tags plus another one.
    """
    out = list(tag_keys)
    folded = {k.casefold() for k in tag_keys}
    for key, value in context.items():
        if key.startswith("aws:requesttag/") and value is not None:
            name = key_names.get(key, key).split("/", 1)[1]
            if name.casefold() not in folded:
                out.append(name)
                folded.add(name.casefold())
    return tuple(out)


def _search_statement(
    policy: PolicyDocument,
    kind: RequestKind,
    caller: Caller,
    allow: Statement,
    denies: Sequence[Statement],
    pins: Mapping[str, KeyPin],
    variables: bool,
    counter: _Budget,
    key_names: Mapping[str, str],
) -> Witness | NoneExists | Unknown:
    entries_by_key: dict[str, list[ConditionEntry]] = {}
    for statement in (allow, *denies):
        for entry in statement.conditions:
            entries_by_key.setdefault(entry.key_lower, []).append(entry)
            if variables:
                for value in entry.values:
                    for dep in variable_keys(value.text):
                        entries_by_key.setdefault(dep, [])
    for key in pins:
        entries_by_key.setdefault(key, [])
    keys = _ordered_keys(entries_by_key, entries_by_key)
    domains: dict[str, list[DomainItem]] = {}
    for key in keys:
        bound = _bound_value(key, caller)
        if key == "sts:durationseconds" and kind.action.casefold() in _ASSUME_ROLE_ACTIONS:
            bound = [None]  # "The key is not present for AWS STS assume-role operations" (iam-facts §1.2)
        if key == "aws:userid" and caller.type in AWS_IDENTITIES:
            uses = [v.text for e in entries_by_key[key] for v in e.values]
            bound = _userid_values(caller, uses)
        entries = entries_by_key[key]
        if key == "sts:transitivetagkeys":
            # Transitive keys must be among the passed tag keys (_consistent): they need TagKeys' constants too.
            entries = [*entries, *entries_by_key.get("aws:tagkeys", ())]
        domain: list[DomainItem] = (
            list(bound) if bound is not None else _domain_for(key, entries, pins.get(key), variables)
        )
        if caller.type is CallerType.WEB_IDENTITY and _required_claim(key):
            # An OIDC ID token always carries iss, sub and aud (OpenID Connect Core 1.0 §2, "REQUIRED"), so
            # STS always has <provider>:sub and <provider>:aud for AssumeRoleWithWebIdentity.
            domain = [d for d in domain if d is not None and d != ()]
        pin = pins.get(key)
        if pin is not None and key != "aws:tagkeys":  # TagKeys grows while assigning: pinned then
            domain = [d for d in domain if isinstance(d, _Template) or pin.predicate(d)]
        if not domain:
            return NoneExists(counter.used)
        domains[key] = domain
    allow_checks: dict[str, list[ConditionEntry]] = {}
    for entry in allow.conditions:
        allow_checks.setdefault(entry.key_lower, []).append(entry)
    context: dict[str, ContextValue] = {}
    unresolved_seen = False

    def leaf() -> Witness | None:
        nonlocal unresolved_seen
        if not _consistent(context):
            return None
        concrete = {k: v for k, v in context.items() if v is not None}
        if not resource_matches(allow, kind.resource, variables, concrete):
            return None
        for entry in allow.conditions:  # entries with policy variables were not checked while assigning
            holds, unresolved = entry_holds(entry, concrete, variables)
            unresolved_seen = unresolved_seen or unresolved
            if not holds:
                return None
        for deny in denies:
            holds = resource_matches(deny, kind.resource, variables, concrete)
            for entry in deny.conditions if holds else ():
                ok, unresolved = entry_holds(entry, concrete, variables)
                unresolved_seen = unresolved_seen or unresolved
                if not ok:
                    holds = False
                    break
            if holds:
                return None
        request = Request(caller, kind.action, kind.resource, concrete)
        decision = evaluate(policy, request)
        if decision.effect is not Effect.ALLOW:
            raise WitnessDisagreementError(
                f"search found {concrete} for {caller} allowed by {allow.pointer}, evaluator says {decision.effect}"
            )
        _check_decision(decision, allow)
        note = "a policy variable could not be resolved" if decision.unresolved_variables else None
        mentioned = {e.key_lower for st in policy.statements for e in st.conditions}
        shown = tuple(k for k in keys if k in mentioned or (k in pins and pins[k].shown))
        return Witness(request, kind, allow, dict(key_names), shown, note)

    def assign(index: int) -> Witness | Unknown | None:
        nonlocal unresolved_seen
        if not counter.spend():
            return Unknown(f"search budget of {counter.limit} combinations exhausted", counter.used)
        if index == len(keys):
            return leaf()
        key = keys[index]
        for item in domains[key]:
            if isinstance(item, _Template):
                concrete = {k: v for k, v in context.items() if v is not None}
                resolved = substitute(item.text, concrete)
                if resolved is None:
                    continue
                value: ContextValue = (resolved,)
                pin = pins.get(key)
                if pin is not None and not pin.predicate(value):
                    continue
            elif key == "aws:tagkeys":
                value = None if item is None else _with_request_tag_keys(item, context, key_names)
                pin = pins.get(key)
                if pin is not None and not pin.predicate(value):
                    continue
            else:
                value = item
            context[key] = value
            checks = allow_checks.get(key, ())
            ok = True
            if checks:
                concrete = {k: v for k, v in context.items() if v is not None}
                for entry in checks:
                    holds, unresolved = entry_holds(entry, concrete, variables)
                    unresolved_seen = unresolved_seen or unresolved
                    if not holds:
                        ok = False
                        break
            if ok:
                found = assign(index + 1)
                if found is not None:
                    return found
            del context[key]
        return None

    # Conditions with keys whose checks depend on later keys (policy variables) are re-checked at the leaf
    # by the concrete evaluator, so pruning on partial contexts stays sound: a variable that refers to a key
    # not yet assigned resolves to "unresolved", and we only prune when the entry has no variables.
    for key, entries in list(allow_checks.items()):
        if any(variable_keys(v.text) for e in entries for v in e.values) and variables:
            del allow_checks[key]
    outcome = assign(0)
    if isinstance(outcome, Witness | Unknown):
        return outcome
    if unresolved_seen:
        return Unknown("a policy variable could not be resolved", counter.used)
    return NoneExists(counter.used)


def _check_decision(decision: Decision, allow: Statement) -> None:
    if allow not in decision.deciding:
        raise WitnessDisagreementError(f"statement {allow.pointer} did not take part in the decision")


def statement_kinds(statement: Statement, role_account: str | None) -> list[RequestKind]:
    """Return the request kinds a trust statement can serve, from its principals and actions."""
    kinds: list[RequestKind] = []
    block = statement.principal
    entries = block.entries if block is not None else ()
    if any(e.kind in ("AWS", "*") for e in entries) and action_matches(statement, "sts:AssumeRole"):
        kinds.append(assume_role_kind(role_account, foreign_only=False))
    if any(e.kind == "Service" for e in entries) and action_matches(statement, "sts:AssumeRole"):
        kinds.append(service_kind())
    if any(e.kind in ("Federated", "*") for e in entries):
        if action_matches(statement, "sts:AssumeRoleWithSAML"):
            kinds.append(saml_kind())
        if action_matches(statement, "sts:AssumeRoleWithWebIdentity"):
            kinds.append(web_identity_kind())
    return kinds


def product_size(domains: Iterable[Sequence[object]]) -> int:
    """Return the number of combinations of several domains (for budget estimates in tests and rules)."""
    size = 1
    for domain in domains:
        size *= max(1, len(domain))
    return size


__all__ = [
    "KeyPin", "NoneExists", "RequestKind", "SearchResult", "Unknown", "Witness", "WitnessDisagreementError",
    "absent", "assume_role_kind", "candidate_callers", "describe_caller", "find_request", "present_not_in",
    "saml_kind", "service_kind", "statement_kinds", "tag_session_kind", "web_identity_kind",
]  # fmt: skip
