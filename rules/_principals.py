"""Shared pieces of the principal rules (XA101-XA106): probe callers, organisation and source-key pins.

Not a rule (the leading underscore keeps the registry from loading it as one). Everything here describes a
*scenario* for the witness search -- "a caller from an account the policy names nowhere", "a request that a
service makes for a resource in a fresh account" -- as :class:`KeyPin` constraints, so each rule asks the
search one precise question and stays silent only on ``NoneExists``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from xacct_lint.evaluate.concrete import Caller, CallerType
from xacct_lint.evaluate.operators import glob_match
from xacct_lint.evaluate.search import (
    FRESH_ACCOUNT,
    PROBE_ROLE,
    PROBE_ROLE_ID,
    PROBE_SESSION,
    PROBE_USER,
    PROBE_USER_ID,
    ContextValue,
    KeyPin,
)
from xacct_lint.model.config import Config
from xacct_lint.parse.policy import ConditionEntry, PolicyDocument, Statement

# Operators that *admit* the values they list (an Allow with them trusts those values). Negated operators list
# what is excluded instead.
POSITIVE_BASES = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})


def has_wildcard(text: str) -> bool:
    """Return whether a policy value contains an IAM wildcard (``*`` or ``?``)."""
    return "*" in text or "?" in text


def mentioned_keys(document: PolicyDocument) -> frozenset[str]:
    """Return the case-folded condition keys any statement of the document tests."""
    return frozenset(e.key_lower for s in document.statements for e in s.conditions)


def only_mentioned(pins: Mapping[str, KeyPin], document: PolicyDocument) -> dict[str, KeyPin]:
    """Keep the pins on keys the document tests: a pin on a key no condition reads changes no decision and
    would only add ``<absent>`` lines to the witness."""
    keys = mentioned_keys(document)
    return {k: v for k, v in pins.items() if k.casefold() in keys}


def entries_with(document: PolicyDocument, key: str) -> list[ConditionEntry]:
    """Return every condition entry of the document that tests ``key`` (case-insensitive)."""
    folded = key.casefold()
    return [e for s in document.statements for e in s.conditions if e.key_lower == folded]


def probe_callers(account: str) -> list[Caller]:
    """Return an IAM user and a role session of ``account`` that no policy names (the search's probes)."""
    return [
        Caller(CallerType.USER, f"arn:aws:iam::{account}:user/{PROBE_USER}", account),
        Caller(
            CallerType.ROLE_SESSION,
            f"arn:aws:iam::{account}:role/{PROBE_ROLE}",
            account,
            f"arn:aws:sts::{account}:assumed-role/{PROBE_ROLE}/{PROBE_SESSION}",
        ),
    ]


def probe_userid_pin() -> KeyPin:
    """Pin ``aws:userid`` to the probes' own unique IDs.

    Unique IDs (``AIDA...``/``AROA...``) are global: a principal the policy does not name cannot carry the
    unique ID the policy names (iam-facts §3, §7.4). The session-name part stays free: the caller chooses it.
    """

    def own_id(value: ContextValue) -> bool:
        if value is None:
            return True
        return len(value) == 1 and value[0].partition(":")[0] in (PROBE_ROLE_ID, PROBE_USER_ID)

    return KeyPin(own_id, description="the caller's own unique ID")


def named_org_ids(document: PolicyDocument, config: Config, id_key: str, paths_key: str) -> frozenset[str]:
    """Return the organisation IDs (case-folded) that the configuration or the policy names literally.

    A pattern names the literal text before its first wildcard only when that text is a whole segment
    (``o-abc/*`` names ``o-abc``; ``o-abc*`` names nothing: it admits ``o-abcdef`` too).
    """
    orgs = {o.casefold() for o in config.organization_ids}
    for entry in entries_with(document, id_key):
        orgs.update(v.text.casefold() for v in entry.values if not has_wildcard(v.text) and v.text)
    for entry in entries_with(document, paths_key):
        for value in entry.values:
            head = value.text.split("/", 1)[0]
            if head and not has_wildcard(head):
                orgs.add(head.casefold())
    return frozenset(orgs)


def fresh_org_pin(named: frozenset[str]) -> KeyPin:
    """Pin an organisation-ID key absent (no organisation) or to an organisation nobody named."""

    def fresh(value: ContextValue) -> bool:
        return value is None or (len(value) == 1 and value[0].casefold() not in named)

    return KeyPin(fresh, description="absent, or an organisation the policy does not name")


def fresh_org_paths_pin(named: frozenset[str]) -> KeyPin:
    """Pin an organisation-path key absent or to paths under organisations nobody named."""

    def fresh(value: ContextValue) -> bool:
        return value is None or all(p.split("/", 1)[0].casefold() not in named for p in value)

    return KeyPin(fresh, description="absent, or paths in an organisation the policy does not name")


def direct_call_pins() -> dict[str, KeyPin]:
    """Pins for "an IAM principal makes the call itself": the service-source keys are absent (they are set
    only when a service calls on a resource owner's behalf, iam-facts §7.5), ``aws:userid`` is the probe's."""
    absent = KeyPin(lambda value: value is None, description="absent (a direct call, not a service's)")
    return {
        "aws:SourceAccount": absent,
        "aws:SourceArn": absent,
        "aws:SourceOrgID": absent,
        "aws:SourceOrgPaths": absent,
        "aws:SourceOwner": absent,
        "aws:userid": probe_userid_pin(),
    }


def outside_caller_pins(document: PolicyDocument, config: Config) -> dict[str, KeyPin]:
    """Pins for "an IAM principal of an account the policy names nowhere calls directly": the direct-call
    pins, and its organisation, if any, is not one the policy or configuration names (iam-facts §7.6:
    PrincipalOrgID "is included in the request context only if the principal is a member of an
    organization")."""
    named = named_org_ids(document, config, "aws:PrincipalOrgID", "aws:PrincipalOrgPaths")
    pins = {
        "aws:PrincipalOrgID": fresh_org_pin(named),
        "aws:PrincipalOrgPaths": fresh_org_paths_pin(named),
        **direct_call_pins(),
    }
    return only_mentioned(pins, document)


def arn_account_field(arn: str) -> str | None:
    """Return the account field (fifth colon-separated field) of an ARN-shaped string, or None."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" else None


def fresh_arn_instances(patterns: Iterable[str], account: str = FRESH_ACCOUNT) -> tuple[str, ...]:
    """Return, for each ARN pattern whose account field admits ``account``, an instance in that account.

    The search only explores values derived from the policy's constants; these instances give it a source ARN
    in a fresh account to try against ``ArnLike arn:aws:lambda:*:*:function:*`` and the like.
    """
    out: list[str] = []
    for pattern in patterns:
        parts = pattern.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            continue
        if not glob_match(parts[4], account):
            continue
        parts[4] = account
        out.append(":".join(parts).replace("*", "xq").replace("?", "x"))
    return tuple(dict.fromkeys(out))


def statements_allowing(document: PolicyDocument) -> list[Statement]:
    """Return the Allow statements that have a ``Principal`` element."""
    return [s for s in document.statements if s.is_allow and s.principal is not None]
