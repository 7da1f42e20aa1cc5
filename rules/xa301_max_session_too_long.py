"""A role's MaxSessionDuration is longer than its account (or its role mapping) allows.

## What it does
Compares each role's `MaxSessionDuration` -- read from an AWS CLI export (`aws iam get-role`, `list-roles`,
`get-account-authorization-details`) or from a `[[roles]]` mapping of the configuration -- with the limits the
configuration sets:

- `max-session-duration` of the role's account (`[accounts.<name>]`), and
- `max-session-duration` of the `[[roles]]` mapping with the role's name in that account, when the role itself
  comes from an export (a mapping's own value is the role's value, so it is only compared with its account).

The finding names the role's value and the strictest limit it exceeds, and points at the value: the
`MaxSessionDuration` member of the export, or the `max-session-duration` line of the configuration.

Not reported here:
- roles without `MaxSessionDuration`: IAM applies the default of 3600 s, the lowest value it accepts;
- values outside 3600..43200, which IAM rejects: XA302 (`invalid-max-session`) reports those;
- a limit below 3600 s is read as 3600 s, since no role can be set lower (iam-facts §1.2); the message then
  says to shorten sessions with `DurationSeconds` on the callers' side.

For roles managed by IAM Identity Center (path `/aws-reserved/sso.amazonaws.com/`), the message says to change
the permission set's session duration, because the role itself cannot be edited.

The rule has no options; the limits are the configuration's `max-session-duration` values.

## Why is this bad
Role credentials stay valid until they expire, even after the person who obtained them has left or the access
was revoked (revoking needs an explicit deny on older sessions). The longer the maximum session, the longer a
leaked or stolen credential works. AWS: callers can request any `DurationSeconds` up to the role's setting, so
the setting -- not what callers usually request -- is the real exposure.

## Example
`aws iam get-role` export of a role in account `prod`, whose configuration says `max-session-duration = 3600`:
```json
{"Role": {"RoleName": "CrossAccount-ProductionAccess",
          "Arn": "arn:aws:iam::222222222222:role/CrossAccount-ProductionAccess",
          "MaxSessionDuration": 43200,
          "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}}
```

## Use instead
```console
aws iam update-role --role-name CrossAccount-ProductionAccess --max-session-duration 3600
```
or raise the account's `max-session-duration` in `xacct-lint.toml` if the longer sessions are intended.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html
- https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateRole.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.model.config import Config, RoleMapping
from xacct_lint.model.inventory import Role

META = RuleMeta(id="XA301", name="max-session-too-long", severity=Severity.WARNING, tags=("role", "session"))

# IAM accepts MaxSessionDuration from 3600 to 43200 seconds (iam-facts §1.2, CreateRole/UpdateRole).
LOWEST = 3600
HIGHEST = 43200
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"


def _hours(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.2f} h"


def _mapping_for(config: Config, role: Role) -> RoleMapping | None:
    """Return the ``[[roles]]`` mapping naming this role in its account (role names are unique
    case-insensitively within an account, iam-facts §13)."""
    for mapping in config.roles:
        account = config.account_by_name(mapping.account)
        if (
            account is not None
            and account.id == role.account_id
            and mapping.name.casefold() == role.name.casefold()
        ):
            return mapping
    return None


def _limits(config: Config, role: Role) -> list[tuple[int, str]]:
    """Return the configured limits for a role, each with a phrase naming where it is set."""
    limits: list[tuple[int, str]] = []
    account = config.account_by_id(role.account_id)
    if account is not None and account.max_session_duration is not None:
        limits.append(
            (
                account.max_session_duration,
                f"the max-session-duration of account {account.name} ({account.id})",
            )
        )
    mapping = _mapping_for(config, role)
    if mapping is not None and mapping.max_session_duration is not None:
        limits.append((mapping.max_session_duration, f"the max-session-duration of [[roles]] {mapping.name}"))
    return limits


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per role whose MaxSessionDuration exceeds a configured limit."""
    for role in ctx.model.roles:
        value = role.max_session_duration
        if value is None or not LOWEST <= value <= HIGHEST:
            continue
        # A limit below the lowest settable value is met by the lowest value: only longer settings exceed it.
        exceeded = sorted(
            (limit, origin) for limit, origin in _limits(ctx.config, role) if value > max(limit, LOWEST)
        )
        if not exceeded:
            continue
        location = role.max_session_location or role.location
        if location is None:
            continue
        limit, origin = exceeded[0]
        message = (
            f"role {role.name}: MaxSessionDuration {value} s ({_hours(value)}) exceeds {origin}, "
            f"{limit} s ({_hours(limit)})"
        )
        message += "".join(f"; it also exceeds {o}, {lim} s" for lim, o in exceeded[1:])
        if limit < LOWEST:
            message += (
                f"; {LOWEST} s is the lowest MaxSessionDuration IAM accepts, so set {LOWEST} and have "
                "callers request a shorter DurationSeconds"
            )
        if role.path.startswith(SSO_PATH):
            message += (
                "; IAM Identity Center manages this role: shorten the permission set's session duration"
            )
        yield Finding(META.id, message, location)
