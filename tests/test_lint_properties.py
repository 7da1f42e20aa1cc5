"""Properties of the whole pipeline (load -> rules -> results) on generated trust policies.

- Findings do not depend on statement order, object key order, or scalar-versus-list encoding.
- A compliant trust policy (ExternalId, MFA, source IP as its account requires) lints clean of the condition
  rules, and removing any one required condition is always caught by the rule that guards it.
- Every witness a finding carries is a request the concrete evaluator allows.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.runner import Result, run_rules, to_results
from xacct_lint.evaluate.concrete import Caller, CallerType, Effect, Request, evaluate
from xacct_lint.load import load_paths
from xacct_lint.model.config import load_config

ROLE_ACCOUNT = "222222222222"
CALLER_ACCOUNTS = ["111111111111", "444455556666", "777788889999"]
ALLOWLIST = ["203.0.113.0/24", "198.51.100.0/24"]
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CONFIG = f"""
[accounts.security]
id = "111111111111"
require = []

[accounts.prod]
id = "{ROLE_ACCOUNT}"
require = ["external-id", "mfa", "source-ip"]
source-ip-allowlist = {json.dumps(ALLOWLIST)}

[[roles]]
name = "CrossAccount-Generated"
account = "prod"
trust-policy = "trust.json"
"""

RULES = builtin_pack().rules


def lint(directory: Path, document: Any, *, text: str | None = None) -> list[Result]:
    """Write the document as the prod role's trust policy and lint it with every built-in rule."""
    (directory / "xacct-lint.toml").write_text(CONFIG, encoding="utf-8")
    path = directory / "trust.json"
    path.write_text(text if text is not None else json.dumps(document, indent=2), encoding="utf-8")
    config = load_config(directory / "xacct-lint.toml")
    model = load_paths([path], config, root=directory)
    results, _ = to_results(run_rules(RULES, RuleContext(model, config)), {})
    return results


# --- generators -------------------------------------------------------------------------------------------------

# Random-looking, as a third party's generator makes them: a low-entropy value is XA202's business.
external_ids = st.integers(0, 2**64).map(lambda n: hashlib.sha256(str(n).encode()).hexdigest()[:24])


@st.composite
def compliant_statement(draw: st.DrawFn, sid: str) -> dict[str, Any]:
    account = draw(st.sampled_from(CALLER_ACCOUNTS))
    principal = draw(
        st.sampled_from([f"arn:aws:iam::{account}:root", account, f"arn:aws:iam::{account}:role/Ops"])
    )
    actions = draw(st.sampled_from([["sts:AssumeRole"], ["sts:AssumeRole", "sts:TagSession"]]))
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": actions,
        "Condition": {
            "StringEquals": {"sts:ExternalId": draw(external_ids)},
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "IpAddress": {
                "aws:SourceIp": draw(st.lists(st.sampled_from(ALLOWLIST), min_size=1, unique=True))
            },
        },
    }


@st.composite
def compliant_policy(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 3))
    return {
        "Version": "2012-10-17",
        "Statement": [draw(compliant_statement(f"Trust{i}")) for i in range(count)],
    }


@st.composite
def mixed_policy(draw: st.DrawFn) -> dict[str, Any]:
    """Compliant statements with random weaknesses: IfExists, missing conditions, wildcards, SAML."""
    policy = draw(compliant_policy())
    for statement in policy["Statement"]:
        condition = statement["Condition"]
        mutation = draw(st.sampled_from(["none", "ifexists", "drop-mfa", "drop-ip", "drop-extid", "star"]))
        if mutation == "ifexists":
            condition["StringEqualsIfExists"] = condition.pop("StringEquals")
        elif mutation == "drop-mfa":
            del condition["Bool"]
        elif mutation == "drop-ip":
            del condition["IpAddress"]
        elif mutation == "drop-extid":
            del condition["StringEquals"]
        elif mutation == "star":
            statement["Principal"] = {"AWS": "*"}
    if draw(st.booleans()):
        policy["Statement"].append(
            {
                "Sid": "Federation",
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::111111111111:saml-provider/Corp"},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            }
        )
    return policy


# --- normalisation ----------------------------------------------------------------------------------------------

_STATEMENT = re.compile(r"^/Statement(?:/(\d+))?")


# Rules that report a fact once per policy (XA103: an unknown account, at its first occurrence, with the others
# as related places) are compared by what they report, not by where the first occurrence happens to be.
_ONCE_PER_POLICY = frozenset({"XA103"})
_POINTERS = re.compile(r"/Statement(/\d+)?[^\s,;:)]*")


def normalized(results: list[Result], document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return findings as (rule, statement Sid, path inside the statement without list indices)."""
    statements = document["Statement"]
    out = []
    for result in results:
        if result.rule.id in _ONCE_PER_POLICY:
            out.append((result.rule.id, "", _POINTERS.sub("<pointer>", result.message)))
            continue
        path = result.place.logical_path
        match = _STATEMENT.match(path)
        sid = ""
        if match:
            index = int(match.group(1)) if match.group(1) is not None else 0
            sid = statements[index]["Sid"] if isinstance(statements, list) else statements["Sid"]
            path = path[match.end() :]
        path = re.sub(r"/\d+(?=/|$)", "", path)
        out.append((result.rule.id, sid, path))
    return sorted(out)


def shuffled_keys(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled_keys(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled_keys(v, rng) for v in value]
    return value


def listified(value: Any, parent: str = "") -> Any:
    """Wrap every scalar that IAM also accepts as a one-element list in a list."""
    if isinstance(value, dict):
        return {k: listified(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [listified(v, "Sid") if not isinstance(v, dict | list) else listified(v) for v in value]
    if parent in ("Version", "Sid", "Effect"):
        return value
    return [value]


# --- properties -------------------------------------------------------------------------------------------------


@SETTINGS
@given(mixed_policy(), st.randoms(use_true_random=False))
def test_findings_ignore_statement_order(tmp_path: Path, policy: dict[str, Any], rng: random.Random) -> None:
    reordered = dict(policy, Statement=rng.sample(policy["Statement"], len(policy["Statement"])))
    assert normalized(lint(tmp_path, policy), policy) == normalized(lint(tmp_path, reordered), reordered)


@SETTINGS
@given(mixed_policy(), st.randoms(use_true_random=False))
def test_findings_ignore_key_order(tmp_path: Path, policy: dict[str, Any], rng: random.Random) -> None:
    shuffled = shuffled_keys(policy, rng)
    assert normalized(lint(tmp_path, policy), policy) == normalized(lint(tmp_path, shuffled), shuffled)


@SETTINGS
@given(mixed_policy())
def test_findings_ignore_scalar_or_list_encoding(tmp_path: Path, policy: dict[str, Any]) -> None:
    as_lists = dict(policy, Statement=[listified(s) for s in policy["Statement"]])
    assert normalized(lint(tmp_path, policy), policy) == normalized(lint(tmp_path, as_lists), as_lists)


@SETTINGS
@given(compliant_policy())
def test_compliant_policy_is_clean_of_condition_rules(tmp_path: Path, policy: dict[str, Any]) -> None:
    condition_findings = [r for r in lint(tmp_path, policy) if r.rule.id.startswith("XA2")]
    # XA206 judges the allowlist itself (documentation ranges): not a property of the trust policy's shape.
    assert [r for r in condition_findings if r.rule.id != "XA206"] == []


GUARDS = {"StringEquals": "XA201", "Bool": "XA203", "IpAddress": "XA205"}


@SETTINGS
@given(compliant_policy(), st.data())
def test_removing_a_required_condition_is_always_caught(
    tmp_path: Path, policy: dict[str, Any], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(policy["Statement"]) - 1))
    operator = data.draw(st.sampled_from(sorted(GUARDS)))
    del policy["Statement"][index]["Condition"][operator]
    fired = {r.rule.id for r in lint(tmp_path, policy)}
    assert GUARDS[operator] in fired


@SETTINGS
@given(mixed_policy())
def test_every_witness_is_allowed_by_the_evaluator(tmp_path: Path, policy: dict[str, Any]) -> None:
    from xacct_lint.parse.json_tree import parse_json
    from xacct_lint.parse.policy import build_policy

    document = build_policy(parse_json(json.dumps(policy)).root)
    for result in lint(tmp_path, policy):
        witness = result.witness
        if not witness or "allowed_by" not in witness:
            continue
        principal = witness["principal"]
        caller_type = CallerType(principal["type"])
        session = None
        if caller_type is CallerType.ROLE_SESSION:
            session = (
                f"arn:aws:sts::{principal['account']}:assumed-role/{principal['arn'].rsplit('/', 1)[-1]}/s"
            )
        caller = Caller(caller_type, principal["arn"], principal["account"], session)
        context = {
            key.casefold(): (tuple(value) if isinstance(value, list) else (value,))
            for key, value in witness["context"].items()
            if value is not None
        }
        request = Request(caller, witness["action"], None, context)
        assert evaluate(document, request).effect is Effect.ALLOW, (result.rule.id, witness)
