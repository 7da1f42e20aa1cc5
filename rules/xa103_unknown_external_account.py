"""A policy trusts an AWS account that your configuration does not name.

## What it does
Collects every account a trust or resource policy trusts:

- accounts in ``Principal`` of an ``Allow`` (root ARNs, bare account IDs, user, role and session ARNs);
- constants of ``aws:PrincipalAccount``, ``aws:SourceAccount`` and ``aws:SourceOwner``, and the account field
  of ``aws:PrincipalArn`` / ``aws:SourceArn`` constants, in positive operators (``StringEquals``,
  ``StringLike``, ``ArnEquals``, ``ArnLike``, with or without ``IfExists``) of an ``Allow``;
- the same keys under *negated* operators (``StringNotEquals``, ``ArnNotLike``...) of a ``Deny``: "deny
  everyone except account N" trusts N.

Values with a wildcard in the account field trust no particular account and are left to XA101. Not foreign,
never reported: the role's own account, the accounts the configuration names (``[accounts.<name>] id``), and
AWS-owned service accounts (entries of type ``aws`` in the known-accounts registry, such as the ELB or
CloudTrail log-delivery accounts). ``aws`` in ARNs of AWS managed policies is not an account ID at all.

What is reported, decided to keep the rule useful without configuration:

- an account that belongs to a **known vendor** (the bundled copy of the community registry
  fwdcloudsec/known_aws_accounts, Apache-2.0) is always reported at *note* level with the vendor's name, so
  third-party access shows up in every run;
- any **other** account is reported (at the rule's severity, *warning*) only when the configuration names at
  least one account: without configuration every account is "unknown" and the finding would be noise.

Each account is reported once per policy, at its first occurrence; further occurrences are related locations.
The registry is loaded only when a policy trusts an account the configuration does not explain.

## Why is this bad
A trust relationship with an account nobody recognises is the first thing an incident responder looks for: a
forgotten vendor integration, a typo in an account ID that happens to belong to someone else, or a backdoor.
Listing every legitimate account in the configuration turns "is this account ours?" from tribal knowledge into
a reviewed file, and naming known vendors makes third-party access visible.

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::464622532012:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"sts:ExternalId": "b7e1c0d2-example"}}}
```
(464622532012 is a Datadog integration account) with an ``xacct-lint.toml`` that names only your own accounts.

## Use instead
Name every account you trust in the configuration, including vendors:
```toml
[accounts.datadog]
id = "464622532012"
require = ["external-id"]
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import role_account_of
from xacct_lint.model.inventory import Policy, PolicyKind, arn_account

from ._principals import POSITIVE_BASES, arn_account_field, has_wildcard

META = RuleMeta(
    id="XA103",
    name="unknown-external-account",
    severity=Severity.WARNING,
    tags=("trust", "principal", "config"),
)

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner"})
_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
_NEGATED_BASES = frozenset(
    {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}
)
_REGISTRY = "data/known_aws_accounts.json"


@dataclass(frozen=True)
class KnownAccount:
    """An entry of the known-accounts registry."""

    name: str
    aws_owned: bool


@functools.cache
def known_accounts() -> Mapping[str, KnownAccount]:
    """Return the bundled known-accounts registry by account ID (loaded once, on first use)."""
    text = resources.files("xacct_lint").joinpath(_REGISTRY).read_text(encoding="utf-8")
    registry: dict[str, KnownAccount] = {}
    for vendor in json.loads(text).get("vendors", ()):
        entry = KnownAccount(str(vendor.get("name", "?")), vendor.get("type") == "aws")
        for account in vendor.get("accounts", ()):
            registry.setdefault(str(account), entry)
    return registry


@dataclass(frozen=True)
class _Trusted:
    account: str
    pointer: str
    via: str


def _account_in(key: str, text: str) -> str | None:
    """Return the account a condition value names for a key, or None (wildcards name no account)."""
    if key in _ACCOUNT_KEYS:
        return text if _ACCOUNT_ID.match(text) else None
    field = arn_account_field(text)
    if field is None or has_wildcard(field) or not _ACCOUNT_ID.match(field):
        return None
    return field


def trusted_accounts(policy: Policy) -> list[_Trusted]:
    """Return every place the policy trusts a specific account, in document order."""
    found: list[_Trusted] = []
    for statement in policy.document.statements:
        if statement.is_allow and statement.principal is not None:
            for entry in statement.principal.entries:
                if entry.kind != "AWS" or entry.normalized == "*":
                    continue
                account = arn_account(entry.normalized)
                if account is not None:
                    found.append(_Trusted(account, entry.pointer, "Principal"))
        if statement.is_allow:
            wanted = POSITIVE_BASES
        elif statement.is_deny:
            wanted = _NEGATED_BASES
        else:
            continue
        for condition in statement.conditions:
            if condition.key_lower not in _ACCOUNT_KEYS | _ARN_KEYS or condition.operator.base not in wanted:
                continue
            for value in condition.values:
                account = _account_in(condition.key_lower, value.text)
                if account is None:
                    continue
                via = f"{condition.operator.canonical} {condition.key}"
                if statement.is_deny:
                    via = f"the exception of a Deny's {via}"
                found.append(_Trusted(account, value.pointer, via))
    return found


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per policy and trusted account that is neither configured, nor own, nor AWS-owned."""
    configured = ctx.config.known_account_ids()
    for policy in ctx.model.policies:
        if policy.kind not in (PolicyKind.TRUST, PolicyKind.RESOURCE):
            continue
        own = role_account_of(policy)
        by_account: dict[str, list[_Trusted]] = {}
        for trusted in trusted_accounts(policy):
            if trusted.account != own and trusted.account not in configured:
                by_account.setdefault(trusted.account, []).append(trusted)
        for account, places in by_account.items():
            finding = _finding(policy, account, places, bool(configured))
            if finding is not None:
                yield finding


def _finding(policy: Policy, account: str, places: list[_Trusted], has_config: bool) -> Finding | None:
    known = known_accounts().get(account)
    if known is not None and known.aws_owned:
        return None
    first, *others = places
    related = tuple(
        (policy.at(p.pointer), f"account {account} is trusted here too ({p.via})") for p in others
    )
    if known is not None:
        advice = (
            "; your configuration does not name it: add it under [accounts] once the integration is confirmed"
            if has_config
            else "; confirm the integration is still wanted, and name it under [accounts] in xacct-lint.toml"
        )
        message = (
            f"{first.via} trusts account {account}, which belongs to the vendor {known.name} "
            f"(per the fwdcloudsec/known_aws_accounts registry){advice}"
        )
        return Finding(META.id, message, policy.at(first.pointer), related=related, severity=Severity.NOTE)
    if not has_config:
        return None
    message = (
        f"{first.via} trusts account {account}, which your configuration does not name and which is not a "
        "known vendor account: confirm who owns it, then add it under [accounts.<name>] or remove the trust"
    )
    return Finding(META.id, message, policy.at(first.pointer), related=related)
