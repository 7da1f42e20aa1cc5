"""In an account that requires a source-IP restriction, the role can be assumed from outside the allowlist.

## What it does
For roles in accounts whose configuration lists ``require = ["source-ip"]``, searches each ``Allow``
statement for a concrete ``sts:AssumeRole`` request from an IAM user or role session, of any account, that the
policy allows although it comes from an address **outside** the account's ``source-ip-allowlist``. The witness
names the address. Being a search, it catches a missing condition, an ``IpAddress`` range wider than the
allowlist, a ``NotIpAddress`` written in an ``Allow``, a ``Deny`` whose ``NotIpAddress`` exempts too much, and
a second statement without the condition; it stays quiet for ``IpAddress`` within the allowlist and for a
``Deny`` with ``NotIpAddress`` on the allowlist.

When addresses are restricted, it asks a second question: can the role be assumed with **no**
``aws:SourceIp`` at all? A request that reaches STS through a VPC interface endpoint carries no
``aws:SourceIp`` ("This key is included in the request context, except when the requester uses a VPC endpoint
to make the request", iam-facts §9). ``IpAddressIfExists`` in the ``Allow`` is true then, and a ``Deny``
whose operator is false on an absent key does not apply; ``IpAddress`` in the ``Allow`` and ``NotIpAddress``
(with or without ``...IfExists``) in a ``Deny`` keep such callers out. The witness is a caller in a VPC
endpoint that the policy does not name (``aws:SourceVpce``/``aws:SourceVpc`` tests naming your endpoints are
honoured). This is a separate finding with severity warning: anyone holding credentials the trust admits can
create an STS endpoint in a VPC of their own, so the route is real -- but it is sometimes deliberate, with
the VPC side governed by endpoint policies or SCPs this linter does not see. It is only asked when the
address question finds nothing, since a statement open to every address is open to this route too.

An account that requires ``source-ip`` but lists no ``source-ip-allowlist`` (or one of accounts the
configuration does not name, through ``default-require``) admits no address at all: every request with an
address is reported, and the message says the allowlist is empty so that the configuration can be fixed.
Allowlist entries that are not addresses or CIDR blocks are ignored and named in the message.

No options. Severity error for an address outside the allowlist (the account's configured requirement is
broken); warning for the VPC endpoint route.

## Why is this bad
A source-IP condition limits who can use a leaked key or session to the networks you control. A trust
policy that lets the role be assumed from any other address -- or that only looks at the address when there
is one -- does not give that protection, and the account's own configuration says it must.

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"IpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
```
and, for callers inside your VPCs, a separate statement that tests ``aws:SourceVpce`` for your endpoints.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcevpce
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_sts_vpce.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import (
    culprit_pointer,
    entries_for,
    role_account_of,
    undecided_finding,
    witness_finding,
)
from xacct_lint.evaluate.operators import IpNetwork, parse_address, parse_network
from xacct_lint.evaluate.search import (
    ContextValue,
    KeyPin,
    NoneExists,
    Unknown,
    Witness,
    absent,
    assume_role_kind,
    describe_caller,
    find_request,
    present_not_in,
)
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import ConditionEntry, PolicyDocument, Statement

META = RuleMeta(
    id="XA205", name="missing-source-ip", severity=Severity.ERROR, tags=("trust", "condition", "network")
)

SOURCE_IP = "aws:SourceIp"
# Keys present only on requests through a VPC endpoint (iam-facts §9): a request with aws:SourceIp has none of
# them, and one through an endpoint has them instead of aws:SourceIp.
_VPC_KEYS = ("aws:SourceVpce", "aws:SourceVpc", "aws:VpcSourceIp")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per Allow statement that admits AssumeRole from outside the allowlist (or without an
    address, through a VPC endpoint), where the account requires a source-IP restriction."""
    for policy in ctx.model.trust_policies():
        account = role_account_of(policy)
        if not ctx.config.requires(account, "source-ip"):
            continue
        configured = ctx.config.account_by_id(account)
        raw = configured.source_ip_allowlist if configured is not None else ()
        networks = [n for n in (parse_network(c) for c in raw) if n is not None]
        ignored = [c for c in raw if parse_network(c) is None]
        yield from _check_policy(ctx, policy, account, raw, networks, ignored)


def _check_policy(
    ctx: RuleContext,
    policy: Policy,
    account: str | None,
    raw: Sequence[str],
    networks: Sequence[IpNetwork],
    ignored: Sequence[str],
) -> Iterator[Finding]:
    document = policy.document
    kind = assume_role_kind(account, foreign_only=False)

    def outside(value: ContextValue) -> bool:
        if value is None or len(value) != 1:
            return False
        address = parse_address(value[0])
        return address is not None and not any(address in n for n in networks if n.version == address.version)

    address_pins = {
        SOURCE_IP: KeyPin(
            outside,
            constants=tuple(str(n) for n in networks),
            operator="IpAddress",
            description="an address outside the allowlist",
        ),
        **{key: absent() for key in _VPC_KEYS},
    }
    vpc_pins = {
        SOURCE_IP: absent(),
        "aws:SourceVpce": present_not_in(_constants(document, "aws:SourceVpce")),
        "aws:SourceVpc": present_not_in(_constants(document, "aws:SourceVpc")),
    }
    allowlist = _describe_allowlist(account, raw, ignored)
    denies = [s for s in document.statements if s.is_deny and entries_for(s, SOURCE_IP)]
    for statement in document.statements:
        if not statement.is_allow:
            continue
        result = find_request(
            document, kind, address_pins, budget=ctx.search_budget, only_statement=statement
        )
        if isinstance(result, Unknown):
            question = f"{statement.pointer} admits AssumeRole from an address outside the allowlist"
            yield undecided_finding(META.id, policy, statement.pointer, question, result)
            continue
        if isinstance(result, Witness):
            address = result.request.context[SOURCE_IP.casefold()][0]
            pointer, why = _why_address(statement, denies, address)
            message = (
                f"{describe_caller(result.request.caller)} can assume this role from {address}, "
                f"outside {allowlist}: "
                f"{statement.pointer} allows it because {why}"
            )
            yield witness_finding(META.id, message, policy, result, pointer)
            continue
        # Addresses are restricted: is the request without any address (through a VPC endpoint) let through?
        route = find_request(document, kind, vpc_pins, budget=ctx.search_budget, only_statement=statement)
        if isinstance(route, NoneExists):
            continue
        if isinstance(route, Unknown):
            question = f"{statement.pointer} admits AssumeRole through a VPC endpoint, without {SOURCE_IP}"
            yield undecided_finding(META.id, policy, statement.pointer, question, route)
            continue
        pointer, why = _why_no_address(statement, denies)
        message = (
            f"{describe_caller(route.request.caller)} can assume this role through a VPC endpoint of its "
            f"own, where the request carries no {SOURCE_IP} (iam-facts §9), bypassing {allowlist}: "
            f"{statement.pointer} allows it because {why}; test aws:SourceVpce for your endpoints instead of "
            "letting an absent address through"
        )
        yield witness_finding(META.id, message, policy, route, pointer, severity=Severity.WARNING)


def _constants(document: PolicyDocument, key: str) -> list[str]:
    return [v.text for s in document.statements for e in entries_for(s, key) for v in e.values]


def _describe_allowlist(account: str | None, raw: Sequence[str], ignored: Sequence[str]) -> str:
    owner = "the account" if account is None else f"account {account}"
    if not raw or len(ignored) == len(raw):
        text = (
            f"the source-ip-allowlist of {owner}, which is empty: the configuration requires source-ip but "
            "lists no address, so every address is outside it (add source-ip-allowlist to the account)"
        )
    else:
        text = f"the source-ip-allowlist of {owner} ({', '.join(c for c in raw if c not in ignored)})"
    if ignored:
        text += f"; ignored allowlist entries that are not addresses or CIDR blocks: {', '.join(ignored)}"
    return text


def _contains(value: str, address: str) -> bool:
    network = parse_network(value)
    parsed = parse_address(address)
    return (
        network is not None and parsed is not None and parsed.version == network.version and parsed in network
    )


def _why_address(statement: Statement, denies: Sequence[Statement], address: str) -> tuple[str, str]:
    """Return the pointer to blame and why a request from ``address`` passes."""
    for entry in entries_for(statement, SOURCE_IP):
        operator = entry.operator
        if operator.base == "IpAddress":
            for value in entry.values:
                if _contains(value.text, address):
                    return value.pointer, f"its {operator.canonical} range {value.text} contains {address}"
        if operator.negated:
            excluded = ", ".join(v.text for v in entry.values)
            return entry.key_pointer, (
                f"its {operator.canonical} condition admits every address outside {excluded} "
                "(a negated operator in an Allow admits instead of restricting)"
            )
        return entry.key_pointer, f"its {operator.canonical} condition on {entry.key} holds for {address}"
    for deny in denies:
        for entry in entries_for(deny, SOURCE_IP):
            if entry.operator.negated:
                for value in entry.values:
                    if _contains(value.text, address):
                        return value.pointer, (
                            f"the Deny at {deny.pointer} exempts {value.text}, which contains {address}"
                        )
            return entry.key_pointer, _deny_misses(deny, entry, address)
    return culprit_pointer(statement, SOURCE_IP), f"it has no {SOURCE_IP} condition and no Deny restricts it"


def _deny_misses(deny: Statement, entry: ConditionEntry, address: str) -> str:
    return (
        f"the Deny at {deny.pointer} ({entry.operator.canonical} on {entry.key}) does not apply to {address}"
    )


def _why_no_address(statement: Statement, denies: Sequence[Statement]) -> tuple[str, str]:
    """Return the pointer to blame and why a request without aws:SourceIp passes."""
    for entry in entries_for(statement, SOURCE_IP):
        operator = entry.operator
        if operator.if_exists:
            return entry.key_pointer, f"its {operator.canonical} condition is true when {entry.key} is absent"
        if operator.negated:
            return entry.key_pointer, (
                f"its {operator.canonical} condition is true when {entry.key} is absent "
                "(a negated operator on an absent key)"
            )
    for deny in denies:
        for entry in entries_for(deny, SOURCE_IP):
            return entry.key_pointer, (
                f"the Deny at {deny.pointer} uses {entry.operator.canonical}, which is false when "
                f"{entry.key} is absent, so the Deny does not apply"
            )
    return culprit_pointer(statement, SOURCE_IP), f"nothing in it requires {SOURCE_IP} to be present"
