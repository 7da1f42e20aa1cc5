"""Condition operators with IAM's semantics, value by value.

Sources (IAM User Guide, reference_policies_elements_condition_operators and
reference_policies_multi-value-conditions; summarised in iam-facts.md §6):
- positive operators on an absent key are false, negated operators true, ``...IfExists`` true (§6.1);
- several values of one key are OR'ed; for negated operators the request value must match none (§6.2);
- ``ForAllValues`` is vacuously true on an absent or empty key, ``ForAnyValue`` false (§6.3);
- String/Arn comparisons are case-sensitive unless ``IgnoreCase`` (§6.4); ``Bool`` accepts "true"/"false" (§6.5).
"""

from __future__ import annotations

import base64
import ipaddress
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

POSITIVE_FORM = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def glob_translate(pattern: str) -> str:
    """Return the regex text of an IAM wildcard pattern (``*`` any run, ``?`` one character), to ``fullmatch``.

    Linear, not exponential: ``".*"`` per star backtracks through every split of the value among the stars (an
    action ``"s" + "*" * 55 + "4:GetObject"`` ran for minutes). Each chunk between stars has a fixed length, so
    its leftmost occurrence is always a right choice: ``(?>.*?chunk)`` takes it and never gives it back (what
    ``fnmatch.translate`` does); only the last chunk is anchored at the end.
    """
    chunks = ["".join("." if ch == "?" else re.escape(ch) for ch in part) for part in pattern.split("*")]
    if len(chunks) == 1:
        return chunks[0]
    middle = "".join(f"(?>.*?{chunk})" for chunk in chunks[1:-1] if chunk)
    return f"{chunks[0]}{middle}.*{chunks[-1]}"


@lru_cache(maxsize=4096)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Return a compiled regex for an IAM wildcard pattern (``*`` any run, ``?`` one character); use
    ``fullmatch``."""
    return re.compile(glob_translate(pattern), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Return True when ``value`` matches an IAM wildcard pattern as a whole."""
    if "*" not in pattern and "?" not in pattern:
        return pattern.casefold() == value.casefold() if ignore_case else pattern == value
    return glob_regex(pattern, ignore_case).fullmatch(value) is not None


def parse_number(text: str) -> Decimal | None:
    """Return a numeric condition value, or None when it is not a number."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


def parse_date(text: str) -> datetime | None:
    """Return an IAM date value: ISO 8601 (W3C profile) or epoch seconds; None when invalid."""
    value = text.strip()
    if _EPOCH.match(value):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@lru_cache(maxsize=4096)
def parse_network(text: str) -> IpNetwork | None:
    """Return the network of an address or CIDR condition value (host bits allowed), or None when invalid."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return a request's IP address, or None when it is not one."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _arn_match(pattern: str, value: str) -> bool:
    # Each of the six colon-separated ARN parts is matched separately; wildcards do not cross colons except in
    # the last part (the resource), which may itself contain colons.
    p_parts = pattern.split(":", 5)
    v_parts = value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return False
    return all(glob_match(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


def positive_match(base: str, request_value: str, policy_value: str) -> bool:
    """Return whether one request value matches one policy value under a positive (non-negated) operator."""
    if base == "StringEquals":
        return request_value == policy_value
    if base == "StringEqualsIgnoreCase":
        return request_value.casefold() == policy_value.casefold()
    if base == "StringLike":
        return glob_match(policy_value, request_value)
    if base in ("ArnEquals", "ArnLike"):
        return _arn_match(policy_value, request_value)
    if base.startswith("Numeric"):
        left, right = parse_number(request_value), parse_number(policy_value)
        if left is None or right is None:
            return False
        return _compare(base[len("Numeric") :], left, right)
    if base.startswith("Date"):
        left_d, right_d = parse_date(request_value), parse_date(policy_value)
        if left_d is None or right_d is None:
            return False
        return _compare(base[len("Date") :], left_d, right_d)
    if base == "Bool":
        req, pol = request_value.strip().casefold(), policy_value.strip().casefold()
        return pol in ("true", "false") and req == pol
    if base == "BinaryEquals":
        left_b, right_b = _b64(request_value), _b64(policy_value)
        return left_b is not None and left_b == right_b
    if base == "IpAddress":
        address = parse_address(request_value)
        network = parse_network(policy_value)
        return address is not None and network is not None and address in network
    raise ValueError(f"not a value operator: {base}")


def _compare(relation: str, left: Any, right: Any) -> bool:
    # Both sides are Decimals or both are datetimes: the caller parsed them with the same function.
    if relation == "Equals":
        return bool(left == right)
    if relation == "LessThan":
        return bool(left < right)
    if relation == "LessThanEquals":
        return bool(left <= right)
    if relation == "GreaterThan":
        return bool(left > right)
    if relation == "GreaterThanEquals":
        return bool(left >= right)
    raise ValueError(f"unknown relation {relation}")


def condition_holds(
    base: str,
    qualifier: str | None,
    if_exists: bool,
    policy_values: tuple[str, ...],
    request_values: tuple[str, ...] | None,
) -> bool:
    """Return whether one condition (operator, key, values) holds for the request's value(s) of the key.

    ``request_values`` is None when the key is absent from the request context, a tuple otherwise (an empty
    tuple is a multivalued key with no values -- the "null data set" of the User Guide).
    """
    present = bool(request_values)
    if base == "Null":
        if qualifier == "ForAllValues" and not present:
            return True  # iam-facts §6.3: Access Analyzer warns that this combination is always true
        outcomes = []
        for value in policy_values:
            folded = value.strip().casefold()
            if folded == "true":
                outcomes.append(not present)
            elif folded == "false":
                outcomes.append(present)
        return any(outcomes)
    negated = base in POSITIVE_FORM
    positive = POSITIVE_FORM.get(base, base)
    if not present:
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        if if_exists:
            return True
        return negated
    assert request_values is not None

    def value_matches(request_value: str) -> bool:
        hit = any(positive_match(positive, request_value, p) for p in policy_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(value_matches(v) for v in request_values)
    if qualifier == "ForAnyValue":
        return any(value_matches(v) for v in request_values)
    # Without a set qualifier a multivalued request key is compared value by value: a positive operator
    # needs one matching value, a negated operator needs every value to match none of the policy's.
    if negated:
        return all(value_matches(v) for v in request_values)
    return any(value_matches(v) for v in request_values)
