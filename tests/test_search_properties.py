"""Property tests for the witness search (shared/design/evaluator.md).

The claim under test: on small random trust policies, the representative-based search is exact. Whenever brute
force over a larger random sample of concrete requests finds an allowed request, the search must find one too
(it may never answer NoneExists), and every witness it returns is allowed by the concrete evaluator. A second
property checks the operator implementation against an independent, deliberately naive reading of the
User Guide's operator table.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xacct_lint.evaluate.concrete import Caller, CallerType, Effect, Request, evaluate
from xacct_lint.evaluate.operators import condition_holds
from xacct_lint.evaluate.search import (
    NoneExists,
    Unknown,
    Witness,
    assume_role_kind,
    candidate_callers,
    find_request,
)
from xacct_lint.parse.json_tree import parse_json
from xacct_lint.parse.policy import build_policy

STRING_CONSTANTS = ["a", "ab", "abc", "Abc", "x-1"]
PATTERNS = ["a*", "*c", "a?c", "*", "x-?"]
NUMBERS = ["0", "5", "10", "10.5", "3600"]
CIDRS = ["10.0.0.0/8", "10.1.0.0/16", "203.0.113.0/24", "2001:db8::/32"]
KEYS = {
    "string": ["sts:externalid", "sts:rolesessionname"],
    "number": ["aws:multifactorauthage"],
    "ip": ["aws:sourceip"],
    "bool": ["aws:securetransport"],
    "multi": ["aws:tagkeys"],
}
STRING_OPS = ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase"]
NUMBER_OPS = ["NumericEquals", "NumericLessThan", "NumericGreaterThanEquals", "NumericNotEquals"]
IP_OPS = ["IpAddress", "NotIpAddress"]


@st.composite
def condition_entries(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    family = draw(st.sampled_from(sorted(KEYS)))
    key = draw(st.sampled_from(KEYS[family]))
    suffix = draw(st.sampled_from(["", "", "IfExists"]))
    if family == "string":
        op = draw(st.sampled_from(STRING_OPS))
        pool = PATTERNS if "Like" in op else STRING_CONSTANTS
        values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
        return op + suffix, key, values
    if family == "number":
        return (
            draw(st.sampled_from(NUMBER_OPS)) + suffix,
            key,
            draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=2, unique=True)),
        )
    if family == "ip":
        return (
            draw(st.sampled_from(IP_OPS)) + suffix,
            key,
            draw(st.lists(st.sampled_from(CIDRS), min_size=1, max_size=2, unique=True)),
        )
    if family == "bool":
        return "Bool" + suffix, key, [draw(st.sampled_from(["true", "false"]))]
    qualifier = draw(st.sampled_from(["ForAllValues:", "ForAnyValue:"]))
    op = draw(st.sampled_from(["StringEquals", "StringLike", "StringNotEquals"]))
    return qualifier + op, key, draw(st.lists(st.sampled_from(["Team", "Env", "T*"]), min_size=1, max_size=2))


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    effect = draw(st.sampled_from(["Allow", "Allow", "Deny"]))
    principal = draw(
        st.sampled_from(["arn:aws:iam::111111111111:root", "*", "arn:aws:iam::222222222222:role/R"])
    )
    condition: dict[str, dict[str, list[str]]] = {}
    for op, key, values in draw(st.lists(condition_entries(), min_size=0, max_size=3)):
        condition.setdefault(op, {})[key] = values
    statement: dict[str, Any] = {
        "Effect": effect,
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return statement


def random_value(draw: st.DrawFn, key: str) -> tuple[str, ...] | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    if key in KEYS["string"]:
        return (
            draw(
                st.one_of(
                    st.sampled_from([*STRING_CONSTANTS, "ac", "axc", "ABC", "zzz", "x-9"]),
                    st.text("abcx-", max_size=4),
                )
            ),
        )
    if key in KEYS["number"]:
        return (
            str(
                draw(
                    st.one_of(
                        st.sampled_from(["-1", "4", "10.2", "11", "3599", "99999"]),
                        st.integers(-5, 4000).map(str),
                    )
                )
            ),
        )
    if key in KEYS["ip"]:
        return (
            draw(
                st.sampled_from(
                    [
                        "10.0.0.1",
                        "10.1.2.3",
                        "10.2.0.0",
                        "203.0.113.5",
                        "8.8.8.8",
                        "2001:db8::1",
                        "2001:db9::1",
                    ]
                )
            ),
        )
    if key in KEYS["bool"]:
        return (draw(st.sampled_from(["true", "false"])),)
    return tuple(draw(st.lists(st.sampled_from(["Team", "Env", "Tx", "Other"]), max_size=3, unique=True)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements(), min_size=1, max_size=3), st.data())
def test_search_agrees_with_brute_force(raw_statements: list[dict[str, Any]], data: st.DataObject) -> None:
    document = build_policy(
        parse_json(json.dumps({"Version": "2012-10-17", "Statement": raw_statements})).root
    )
    kind = assume_role_kind(None, foreign_only=False)
    result = find_request(document, kind, budget=200_000)
    assert not isinstance(result, Unknown), result
    if isinstance(result, Witness):
        assert evaluate(document, result.request).effect is Effect.ALLOW
        return
    assert isinstance(result, NoneExists)
    callers = [c for c in candidate_callers(document) if kind.admits(c)]
    all_keys = [k for keys in KEYS.values() for k in keys]
    for _ in range(60):
        caller = data.draw(st.sampled_from(callers))
        context = {}
        for key in all_keys:
            value = random_value(data.draw, key)
            if value is not None:
                context[key] = value
        request = Request(caller, "sts:AssumeRole", None, context)
        assert evaluate(document, request).effect is not Effect.ALLOW, (
            f"search said no request exists, but {request} is allowed"
        )


# --- operators against an independent reading ------------------------------------------------------------------


def oracle(op: str, values: list[str], request: tuple[str, ...] | None) -> bool:
    """A naive transcription of the User Guide operator table, written separately from operators.py."""
    if request is None or len(request) == 0:
        return op.startswith(("StringNot", "NumericNot", "NotIp"))
    value = request[0]
    if op == "StringEquals":
        return value in values
    if op == "StringNotEquals":
        return value not in values
    if op == "StringEqualsIgnoreCase":
        return value.lower() in [v.lower() for v in values]
    if op == "StringLike":
        return any(fnmatch.fnmatchcase(value, v.replace("[", "[[]")) for v in values)
    if op == "StringNotLike":
        return not any(fnmatch.fnmatchcase(value, v.replace("[", "[[]")) for v in values)
    if op.startswith("Numeric"):
        try:
            left = Decimal(value)
        except ArithmeticError:
            return False
        rights = [Decimal(v) for v in values]
        table = {
            "NumericEquals": lambda r: left == r,
            "NumericNotEquals": lambda r: left != r,
            "NumericLessThan": lambda r: left < r,
            "NumericGreaterThanEquals": lambda r: left >= r,
        }
        if op == "NumericNotEquals":
            return all(table[op](r) for r in rights)
        return any(table[op](r) for r in rights)
    if op in ("IpAddress", "NotIpAddress"):
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return op == "NotIpAddress"
        inside = any(address in ipaddress.ip_network(v, strict=False) for v in values)
        return inside if op == "IpAddress" else not inside
    raise AssertionError(op)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([*STRING_OPS, *NUMBER_OPS, *IP_OPS]),
    st.data(),
)
def test_operators_agree_with_independent_reading(op: str, data: st.DataObject) -> None:
    if op.startswith("String"):
        pool = PATTERNS if "Like" in op else STRING_CONSTANTS
        values = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
        request = data.draw(st.one_of(st.none(), st.text("abcAx-", max_size=4).map(lambda s: (s,))))
    elif op.startswith("Numeric"):
        values = data.draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3))
        request = data.draw(st.one_of(st.none(), st.integers(-3, 4000).map(lambda n: (str(n),))))
    else:
        values = data.draw(st.lists(st.sampled_from(CIDRS), min_size=1, max_size=3))
        request = data.draw(
            st.one_of(
                st.none(),
                st.sampled_from(["10.0.0.1", "10.1.0.1", "203.0.113.1", "8.8.8.8", "2001:db8::1"]).map(
                    lambda s: (s,)
                ),
            )
        )
    assert condition_holds(op, None, False, tuple(values), request) == oracle(op, values, request)


def test_witness_caller_is_principal_of_named_account() -> None:
    document = build_policy(
        parse_json(
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"}
                    ],
                }
            )
        ).root
    )
    result = find_request(document, assume_role_kind("111111111111"))
    assert isinstance(result, Witness)
    assert result.request.caller.account == "444455556666"
    assert result.request.caller.type in (CallerType.USER, CallerType.ROLE_SESSION)
    assert isinstance(result.request.caller, Caller)


def test_budget_exhaustion_is_unknown_not_clean() -> None:
    # Twelve keys with six accepted values each, and a Deny that matches every leaf: the search must visit
    # 6**12 combinations to prove "none", far past the budget, so it must answer Unknown -- never NoneExists.
    keys = [f"aws:PrincipalTag/k{i}" for i in range(12)]
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {k: [f"v{j}" for j in range(6)] for k in keys}},
    }
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringLike": {k: "*" for k in keys}},
    }
    document = build_policy(
        parse_json(json.dumps({"Version": "2012-10-17", "Statement": [allow, deny]})).root
    )
    result = find_request(document, assume_role_kind(None), budget=5_000)
    assert isinstance(result, Unknown)
    assert "budget" in result.reason
    assert result.explored <= 5_001
