"""An aws:SourceIp value admits the whole internet, a huge block, or a range no request ever comes from.

## What it does
Checks every value of every `IpAddress` / `NotIpAddress` condition on `aws:SourceIp` (with or without
`...IfExists` and set qualifiers), in trust, identity and resource policies, and reports the value when it is:

- **everything**: `0.0.0.0/0` or `::/0`;
- **too wide**: a prefix shorter than `/16` for IPv4 or `/32` for IPv6 (options below);
- **never a source address**: a private or reserved range -- RFC 1918 (`10/8`, `172.16/12`, `192.168/16`),
  shared CGNAT space (`100.64/10`), loopback, link-local, "this network" (`0/8`), benchmarking (`198.18/15`),
  multicast and the reserved `240/4`, IPv6 unique-local (`fc00::/7`), link-local, loopback, multicast, the
  discard prefix -- or a documentation range (`192.0.2/24`, `198.51.100/24`, `203.0.113/24`,
  `2001:db8::/32`), which only ever appears in examples;
- **not an IP range at all**: a value that is not an address or a CIDR block (the netmask form
  `10.0.0.0/255.0.0.0` counts as invalid: AWS asks for "standard CIDR format").

"Everything" and "too wide" are reported where the value widens access: in an `Allow` with `IpAddress` (the
value admits callers) and in a `Deny` with `NotIpAddress` (the value exempts callers from the Deny). In the
other two polarities a wide value narrows access, which is not this rule's concern. Private, documentation and
invalid values are reported in every polarity, because they match no request at all.

Options (`[rules.XA206]` in the configuration):

- `max-prefix-v4` (default `16`): the shortest IPv4 prefix length accepted; `/15` and wider are reported. A
  `/16` (65,536 addresses) is already more than any one organisation's egress NAT; wider blocks are ISP or
  cloud-provider ranges shared with strangers. Set `0` to report only `0.0.0.0/0`.
- `max-prefix-v6` (default `32`): the same for IPv6; a `/32` is a whole ISP allocation, a site gets a `/48`.

## Why is this bad
An IP condition in a trust policy is meant to say "only from our network". `0.0.0.0/0` says "from anywhere",
and a `/8` or a cloud provider's block admits everyone else on that provider too. A private or documentation
range never matches, because `aws:SourceIp` holds the caller's *public* address -- AWS: "The `aws:SourceIp`
condition key can only be used for public IP address ranges." Calls from inside a VPC through a VPC endpoint
carry no `aws:SourceIp` at all ("This key is included in the request context, except when the requester uses
a VPC endpoint to make the request"); they carry `aws:VpcSourceIp`. So an allowlist of `10.0.0.0/8` admits
nobody, and a Deny that exempts `10.0.0.0/8` exempts nobody. A value that is not a CIDR block matches no
address; Access Analyzer reports it as an error ("Type mismatch IP range"). Whether IAM itself refuses to
store such a policy is UNCONFIRMED, and the finding says so.

## Example
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"IpAddress": {"aws:SourceIp": ["0.0.0.0/0", "10.0.0.0/8"]}}}
```

## Use instead
List your organisation's public egress ranges; for callers inside your VPCs, test `aws:SourceVpc` or
`aws:SourceVpce` (and `aws:VpcSourceIp` for private addresses):
```json
{"Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
 "Action": "sts:AssumeRole",
 "Condition": {"IpAddress": {"aws:SourceIp": ["34.223.12.0/24", "2600:1f14:a00::/40"]}}}
```
(with your own public egress ranges in place of these).

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-vpcsourceip
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
- https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml
- https://www.iana.org/assignments/iana-ipv6-special-registry/iana-ipv6-special-registry.xhtml
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.model.config import ConfigError
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import ConditionEntry, Statement, Value

META = RuleMeta(id="XA206", name="broad-source-ip", severity=Severity.WARNING, tags=("condition", "network"))

DEFAULT_MAX_PREFIX_V4 = 16
DEFAULT_MAX_PREFIX_V6 = 32

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# "a.b.c.d" or "a.b.c.d/len", IPv6 with an optional "/len": the standard CIDR notation AWS asks for. Python's
# ipaddress also accepts "/255.0.0.0" netmasks and hostmasks, which are not CIDR notation.
_CIDR_SUFFIX = re.compile(r"^[^/]+(/\d{1,3})?$")


@dataclass(frozen=True, slots=True)
class _Special:
    """A range no request's aws:SourceIp ever falls in."""

    network: IpNetwork
    name: str
    reference: str
    documentation: bool = False


def _special(cidr: str, name: str, reference: str, *, documentation: bool = False) -> _Special:
    return _Special(ipaddress.ip_network(cidr), name, reference, documentation)


# IANA special-purpose registries, limited to blocks that are not globally reachable as a source on the
# internet (192.0.0.0/24 is left out: some of its /32s are globally reachable anycast).
_SPECIAL_RANGES: tuple[_Special, ...] = (
    _special("0.0.0.0/8", '"this network"', "RFC 1122"),
    _special("10.0.0.0/8", "private address space", "RFC 1918"),
    _special("100.64.0.0/10", "shared address space for carrier-grade NAT", "RFC 6598"),
    _special("127.0.0.0/8", "loopback", "RFC 1122"),
    _special("169.254.0.0/16", "link-local", "RFC 3927"),
    _special("172.16.0.0/12", "private address space", "RFC 1918"),
    _special("192.0.2.0/24", "documentation range TEST-NET-1", "RFC 5737", documentation=True),
    _special("192.168.0.0/16", "private address space", "RFC 1918"),
    _special("198.18.0.0/15", "benchmarking range", "RFC 2544"),
    _special("198.51.100.0/24", "documentation range TEST-NET-2", "RFC 5737", documentation=True),
    _special("203.0.113.0/24", "documentation range TEST-NET-3", "RFC 5737", documentation=True),
    _special("224.0.0.0/4", "multicast", "RFC 5771"),
    _special("240.0.0.0/4", "reserved space (and the limited broadcast address)", "RFC 1112"),
    _special("::/128", "the unspecified address", "RFC 4291"),
    _special("::1/128", "loopback", "RFC 4291"),
    _special("100::/64", "the discard-only prefix", "RFC 6666"),
    _special("2001:db8::/32", "documentation range", "RFC 3849", documentation=True),
    _special("fc00::/7", "unique local addresses", "RFC 4193"),
    _special("fe80::/10", "link-local", "RFC 4291"),
    _special("ff00::/8", "multicast", "RFC 4291"),
)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per aws:SourceIp value that is everything, too wide, never a source, or invalid."""
    limits = {4: _prefix_option(ctx, "max-prefix-v4", DEFAULT_MAX_PREFIX_V4, 32),
              6: _prefix_option(ctx, "max-prefix-v6", DEFAULT_MAX_PREFIX_V6, 128)}  # fmt: skip
    for policy in ctx.model.policies:
        for statement in policy.document.statements:
            for entry in statement.conditions:
                if entry.key_lower != "aws:sourceip" or entry.operator.base not in (
                    "IpAddress",
                    "NotIpAddress",
                ):
                    continue
                for value in entry.values:
                    finding = _value_finding(policy, statement, entry, value, limits)
                    if finding is not None:
                        yield finding


def _prefix_option(ctx: RuleContext, name: str, default: int, top: int) -> int:
    """Return a prefix-length option; a value that is not an integer in range is a configuration error."""
    value = ctx.option(META.id, name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise ConfigError(f"[rules.{META.id}] {name} must be an integer from 0 to {top}, not {value!r}")
    return value


def _widens(statement: Statement, entry: ConditionEntry) -> bool:
    """Return True when a value in this entry admits callers (Allow + IpAddress) or exempts them from a Deny
    (Deny + NotIpAddress)."""
    return statement.is_allow != entry.operator.negated


def _value_finding(
    policy: Policy, statement: Statement, entry: ConditionEntry, value: Value, limits: dict[int, int]
) -> Finding | None:
    text = value.text.strip()
    if "${" in text:
        return None  # a policy variable: its value is only known per request
    where = policy.at(value.pointer)
    network = _parse_cidr(text)
    if network is None:
        return Finding(
            META.id,
            f'"{value.text}" in {entry.operator.raw} on {entry.key} is not an IP address or a CIDR block: '
            'Access Analyzer reports it as an error ("Type mismatch IP range ... Specify the IP range in '
            'standard CIDR format"); whether IAM refuses to store the policy is UNCONFIRMED; when evaluated '
            f"it matches no address, so {_dead_value_effect(statement, entry)}",
            where,
            severity=Severity.ERROR,
        )
    special = _special_range(network)
    if special is not None:
        return Finding(META.id, _special_message(value.text, special, statement, entry), where)
    if not _widens(statement, entry):
        return None
    if network.prefixlen == 0:
        family = "IPv4" if network.version == 4 else "IPv6"
        return Finding(META.id, _everything_message(value.text, family, statement, entry), where)
    limit = limits[network.version]
    if network.prefixlen < limit:
        option = "max-prefix-v4" if network.version == 4 else "max-prefix-v6"
        role = (
            "admits every caller from it"
            if statement.is_allow
            else "exempts every caller in it from this Deny"
        )
        return Finding(
            META.id,
            f"{value.text} is a /{network.prefixlen} block of {_address_count(network)} addresses, wider "
            f"than the /{limit} this rule accepts for IPv{network.version} (option {option}); this "
            f"{entry.key} value {role}. A block that wide is an ISP or cloud-provider range shared with "
            "strangers, not your egress: list your own public ranges",
            where,
        )
    return None


def _parse_cidr(text: str) -> IpNetwork | None:
    """Return the network of an address or CIDR block in standard notation (host bits allowed), else None."""
    if not _CIDR_SUFFIX.match(text):
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _special_range(network: IpNetwork) -> _Special | None:
    """Return the special-purpose range that wholly contains a network, if any."""
    for special in _SPECIAL_RANGES:
        if _within(network, special.network):
            return special
    return None


def _within(inner: IpNetwork, outer: IpNetwork) -> bool:
    """Return True when ``inner`` lies wholly in ``outer`` (networks of different families never do)."""
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False


def _dead_value_effect(statement: Statement, entry: ConditionEntry) -> str:
    """Return what a value that matches no request does in its statement."""
    if statement.is_allow:
        return "it admits nobody" if not entry.operator.negated else "excluding it excludes nobody"
    return (
        "it exempts nobody from this Deny" if entry.operator.negated else "this Deny never applies through it"
    )


def _special_message(text: str, special: _Special, statement: Statement, entry: ConditionEntry) -> str:
    effect = _dead_value_effect(statement, entry)
    if special.documentation:
        return (
            f"{text} is a {special.name} ({special.reference}): an example value no real request comes "
            f"from, so {effect}; replace it with your organisation's public egress range"
        )
    if _parse_cidr(text.strip()) == special.network:
        what = f"{text} is {special.name} ({special.reference})"
    else:
        what = f"{text} lies in {special.name} ({special.network}, {special.reference})"
    return (
        f"{what}, which no request's {entry.key} ever holds: the key is the caller's public address -- "
        'AWS: "can only be used for public IP address ranges" -- and calls through a VPC endpoint carry '
        f"no aws:SourceIp at all; so {effect}. For callers inside your network test aws:VpcSourceIp with "
        "aws:SourceVpc or aws:SourceVpce instead"
    )


def _everything_message(text: str, family: str, statement: Statement, entry: ConditionEntry) -> str:
    if statement.is_allow:
        consequence = (
            f"this {entry.key} condition admits callers from any {family} address: it restricts nothing "
            "(it only turns away requests without aws:SourceIp, such as calls through a VPC endpoint)"
        )
    else:
        consequence = (
            f"this Deny exempts callers from every {family} address and only ever applies to requests "
            "without aws:SourceIp or from the other address family"
        )
    return (
        f"{text} matches every {family} address, so {consequence}; list your organisation's egress ranges "
        "instead"
    )


def _address_count(network: IpNetwork) -> str:
    bits = network.max_prefixlen - network.prefixlen
    return f"{1 << bits:,}" if bits <= 32 else f"2^{bits}"
