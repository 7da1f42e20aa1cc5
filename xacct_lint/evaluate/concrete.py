"""Concrete evaluation: one policy, one fully specified request -> Allow, explicit Deny or implicit deny.

This layer is the specification the search relies on. It is small and literal on purpose:
- a statement applies when its Principal/NotPrincipal, Action/NotAction, Resource/NotResource and every
  condition match (condition operators and keys AND, values OR -- iam-facts §6.2);
- an explicit Deny wins over any Allow; no matching statement is an implicit deny (§7.1);
- an account root ARN in Principal admits every principal of that account, not only the root user (§7.2);
- policy variables are substituted only in version 2012-10-17 documents (§13); an unresolvable variable makes
  that condition value match nothing, which is recorded so callers can lower their precision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from xacct_lint.evaluate.operators import condition_holds, glob_match
from xacct_lint.parse.placeholders import PlaceholderPattern
from xacct_lint.parse.policy import ConditionEntry, PolicyDocument, PrincipalBlock, PrincipalEntry, Statement

VARIABLE = PlaceholderPattern(r"\$\{([^}]*)\}", [("${", "}")])
_SPECIAL_VARIABLES = {"*": "*", "?": "?", "$": "$"}


class CallerType(StrEnum):
    """Who is making the request."""

    USER = "user"  # an IAM user (long-term keys or a GetSessionToken session)
    ROLE_SESSION = "role-session"  # an assumed-role session (including chained sessions)
    ROOT = "root"  # an account's root user
    FEDERATED_USER = "federated-user"  # GetFederationToken session
    SAML = "saml"  # AssumeRoleWithSAML through a SAML provider
    WEB_IDENTITY = "web-identity"  # AssumeRoleWithWebIdentity through an OIDC provider
    SERVICE = "service"  # an AWS service principal
    ANONYMOUS = "anonymous"


AWS_IDENTITIES = frozenset(
    {CallerType.USER, CallerType.ROLE_SESSION, CallerType.ROOT, CallerType.FEDERATED_USER}
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal of a request.

    ``arn`` is the user ARN, the *role* ARN for a role session (what ``aws:PrincipalArn`` reports, iam-facts
    §7.6), the provider ARN (or host) for SAML and web-identity callers, the service name for a service.
    """

    type: CallerType
    arn: str
    account: str | None
    session_arn: str | None = None

    def describe(self) -> str:
        """Return a short human description."""
        if self.type is CallerType.ROLE_SESSION:
            return f"a session of role {self.arn}"
        if self.type is CallerType.USER:
            return f"IAM user {self.arn}"
        if self.type is CallerType.SAML:
            return f"a SAML session from provider {self.arn}"
        if self.type is CallerType.WEB_IDENTITY:
            return f"a web-identity session from provider {self.arn}"
        if self.type is CallerType.SERVICE:
            return f"service {self.arn}"
        return f"{self.type.value} {self.arn}"


@dataclass(frozen=True, slots=True)
class Request:
    """A concrete request. ``context`` maps case-folded condition keys to their values; a missing key is absent."""

    caller: Caller
    action: str
    resource: str | None = None
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class Effect(StrEnum):
    """The outcome of evaluating a policy."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


@dataclass(frozen=True, slots=True)
class Decision:
    """The effect and the statements that decided it (the matching Denies, else the matching Allows)."""

    effect: Effect
    deciding: tuple[Statement, ...]
    unresolved_variables: bool = False


# --- principals -------------------------------------------------------------------------------------------------

_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
_ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")


def entry_matches(entry: PrincipalEntry, caller: Caller) -> bool:
    """Return whether one Principal entry names (or, for roots and ``*``, admits) the caller."""
    value = entry.normalized
    if entry.kind == "*":
        return True
    if entry.kind == "AWS":
        if caller.type not in AWS_IDENTITIES:
            return False
        if value == "*":
            return True
        root = _ROOT.match(value)
        if root is not None:
            return caller.account == root.group(1)
        if caller.type is CallerType.ROLE_SESSION and caller.session_arn == value:
            return True
        return caller.arn == value
    if entry.kind == "Service":
        return caller.type is CallerType.SERVICE and caller.arn.casefold() == value.casefold()
    if entry.kind == "Federated":
        if caller.type not in (CallerType.SAML, CallerType.WEB_IDENTITY):
            return False
        return caller.arn == value or caller.arn.casefold() == value.casefold()
    return False


def principal_matches(block: PrincipalBlock, caller: Caller) -> bool:
    """Return whether any entry of a Principal element matches the caller (entries are OR'ed)."""
    return any(entry_matches(entry, caller) for entry in block.entries)


# --- variables --------------------------------------------------------------------------------------------------


def substitute(text: str, context: Mapping[str, tuple[str, ...]]) -> str | None:
    """Return ``text`` with policy variables replaced from the context, or None when one cannot be resolved.

    ``${key, 'default'}`` falls back to its default when the key is absent; ``${*}``, ``${?}``, ``${$}`` are the
    literal characters.
    """
    if "${" not in text:
        return text
    unresolved = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unresolved
        inner = match.group(1)
        if inner in _SPECIAL_VARIABLES:
            return _SPECIAL_VARIABLES[inner]
        key, _, default = inner.partition(",")
        values = context.get(key.strip().casefold())
        if values is not None and len(values) == 1:
            return values[0]
        default = default.strip()
        if values is None and len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        unresolved = True
        return ""

    result = VARIABLE.sub(replace, text)
    return None if unresolved else result


def variable_keys(text: str) -> tuple[str, ...]:
    """Return the case-folded condition keys a value's policy variables refer to."""
    keys = []
    for match in VARIABLE.finditer(text):
        inner = match.group(1)
        if inner in _SPECIAL_VARIABLES:
            continue
        keys.append(inner.partition(",")[0].strip().casefold())
    return tuple(keys)


# --- statements -------------------------------------------------------------------------------------------------


def action_matches(statement: Statement, action: str) -> bool:
    """Return whether the statement's Action/NotAction covers an action (case-insensitive wildcards)."""
    if statement.action is not None:
        return any(glob_match(v.text, action, ignore_case=True) for v in statement.action.values)
    if statement.not_action is not None:
        return not any(glob_match(v.text, action, ignore_case=True) for v in statement.not_action.values)
    return False


def resource_matches(
    statement: Statement, resource: str | None, variables: bool, ctx: Mapping[str, tuple[str, ...]]
) -> bool:
    """Return whether Resource/NotResource covers the resource (no resource given: not restricted)."""
    if resource is None:
        return True

    def hits(values: tuple[str, ...]) -> bool:
        for pattern in values:
            resolved = substitute(pattern, ctx) if variables else pattern
            if resolved is not None and glob_match(resolved, resource):
                return True
        return False

    if statement.resource is not None:
        return hits(tuple(v.text for v in statement.resource.values))
    if statement.not_resource is not None:
        return not hits(tuple(v.text for v in statement.not_resource.values))
    return True


def caller_in_statement(statement: Statement, caller: Caller, has_principal_element: bool) -> bool:
    """Return whether the statement's Principal/NotPrincipal admits the caller.

    Identity policies have no Principal element: the caller is whoever the policy is attached to.
    """
    if statement.principal is not None:
        return principal_matches(statement.principal, caller)
    if statement.not_principal is not None:
        return not principal_matches(statement.not_principal, caller)
    return not has_principal_element


def entry_holds(
    entry: ConditionEntry, context: Mapping[str, tuple[str, ...]], variables: bool
) -> tuple[bool, bool]:
    """Return (holds, had_unresolved_variable) for one condition entry against a request context."""
    if entry.operator.base is None:
        return False, False  # an unknown operator never matches (IAM rejects such policies)
    if entry.operator.base != "Null" and not context.get(entry.key_lower):
        # A positive operator on an absent (or empty) key is false whatever its values are (iam-facts §6.1,
        # §6.3), and so is a value whose variable cannot be resolved: the variable changes nothing then.
        holds = condition_holds(
            entry.operator.base, entry.operator.qualifier, entry.operator.if_exists, (),
            context.get(entry.key_lower),
        )  # fmt: skip
        if not holds:
            return False, False
    values: list[str] = []
    unresolved = False
    for value in entry.values:
        if variables and entry.operator.base != "Null":
            resolved = substitute(value.text, context)
            if resolved is None:
                # Only a variable naming a real-looking key ("prefix:name") makes the outcome depend on
                # whether that key is in the request. "${PROD_EXTERNAL_ID}" names no condition key at all:
                # IAM can never resolve it, so the value matches nothing -- a certainty, not a doubt.
                unresolved = unresolved or any(":" in key for key in variable_keys(value.text))
                continue
            values.append(resolved)
        else:
            values.append(value.text)
    if unresolved and not values:
        return False, True
    holds = condition_holds(
        entry.operator.base, entry.operator.qualifier, entry.operator.if_exists, tuple(values),
        context.get(entry.key_lower),
    )  # fmt: skip
    return holds, unresolved


def conditions_hold(
    statement: Statement, context: Mapping[str, tuple[str, ...]], variables: bool
) -> tuple[bool, bool]:
    """Return (all conditions hold, an unresolved variable was met)."""
    unresolved_any = False
    for entry in statement.conditions:
        holds, unresolved = entry_holds(entry, context, variables)
        unresolved_any = unresolved_any or unresolved
        if not holds:
            return False, unresolved_any
    return True, unresolved_any


def statement_applies(
    statement: Statement, request: Request, *, has_principal_element: bool, variables: bool
) -> tuple[bool, bool]:
    """Return (the statement applies to the request, an unresolved variable was met)."""
    if not caller_in_statement(statement, request.caller, has_principal_element):
        return False, False
    if not action_matches(statement, request.action):
        return False, False
    if not resource_matches(statement, request.resource, variables, request.context):
        return False, False
    return conditions_hold(statement, request.context, variables)


def has_principal_element(policy: PolicyDocument) -> bool:
    """Return True for resource and trust policies (any statement has Principal or NotPrincipal)."""
    return any(s.principal is not None or s.not_principal is not None for s in policy.statements)


def evaluate(policy: PolicyDocument, request: Request) -> Decision:
    """Evaluate one policy for one request."""
    principal_element = has_principal_element(policy)
    variables = policy.variables_enabled
    allows: list[Statement] = []
    denies: list[Statement] = []
    unresolved_any = False
    for statement in policy.statements:
        if statement.effect not in ("Allow", "Deny"):
            continue
        applies, unresolved = statement_applies(
            statement, request, has_principal_element=principal_element, variables=variables
        )
        unresolved_any = unresolved_any or unresolved
        if applies:
            (denies if statement.effect == "Deny" else allows).append(statement)
    if denies:
        return Decision(Effect.EXPLICIT_DENY, tuple(denies), unresolved_any)
    if allows:
        return Decision(Effect.ALLOW, tuple(allows), unresolved_any)
    return Decision(Effect.IMPLICIT_DENY, (), unresolved_any)
