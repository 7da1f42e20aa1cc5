"""Properties of `xacct-lint generate` over random valid configurations (hypothesis).

- Whatever the accounts, requirements, tag allowlists, attribute conditions, session limits and access levels,
  the generated directory (policies, script, templates) lints with zero findings of the built-in document,
  principal, condition and session rules at any severity. The graph rules are exercised on random
  configurations in test_generate_graph.py (a graph build per example costs seconds).
- Every required condition appears, and removing any one of them from a trust policy is caught by the rule
  that guards it: the ExternalId (XA201), the source-IP allowlist (XA205), the SAML audience (XA105), the
  session-tag key and transitive-key limits (XA305).
- Sessions of chained roles never exceed 3600 s; ExternalIds are valid for STS and distinct.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

from generate_support import describe, lint_dir_rules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xacct_lint.engine.registry import builtin_pack
from xacct_lint.generate import generate
from xacct_lint.generate.plan import EXTERNAL_ID_PATTERN, account_label
from xacct_lint.model.config import load_config

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The graph rules build the assume-role graph (seconds per example): test_generate_graph.py covers them.
RULES = tuple(r for r in builtin_pack().rules if "graph" not in r.meta.tags)

ACCOUNT_NAMES = ["security", "prod", "dev", "stage", "audit", "shared-services"]
# Public unicast ranges (no documentation, private or special-purpose blocks: XA206 reports those).
CIDRS = ["94.130.10.0/24", "94.130.11.0/24", "81.2.69.0/24", "145.40.64.0/20", "2a01:4f8:1c0c::/48"]
TAG_KEYS = ["Department", "Project", "Environment", "CostCenter", "team"]
AUDIENCES = ["https://signin.aws.amazon.com/saml", "https://eu-west-1.signin.aws.amazon.com/saml"]
SAML_KEYS = ["saml:edupersonaffiliation", "saml:cn", "saml:sub"]
ROLE_WORDS = ["ProductionAccess", "DevelopmentAccess", "ReadOnly", "Deploy", "Audit", "Billing"]
S3_OBJECTS, S3_BUCKET = "arn:aws:s3:::shared-data/*", "arn:aws:s3:::shared-data"
TABLE = "arn:aws:dynamodb:us-east-1:222222222222:table/orders"
QUEUE = "arn:aws:sqs:us-east-1:333333333333:jobs"
LOG_GROUP = "arn:aws:logs:us-east-1:222222222222:log-group:app:*"
# Resource ARNs with the access levels policy-sentry writes for them without wildcard-only dependencies
# (a function's, a bucket's or a log group's write level pulls in iam:PassRole on "*", which is
# administrator-equivalent: XA406), and only levels with actions for the ARN's resource type.
ACCESS = {
    "read": [S3_OBJECTS, S3_BUCKET, TABLE, QUEUE, LOG_GROUP],
    "write": [S3_OBJECTS, TABLE, QUEUE],
    "list": [S3_OBJECTS, S3_BUCKET, LOG_GROUP],
    "tagging": [S3_OBJECTS, S3_BUCKET, TABLE, QUEUE, LOG_GROUP],
    "permissions-management": [S3_OBJECTS, S3_BUCKET, TABLE, QUEUE],
}


def toml(value: Any) -> str:
    return json.dumps(value)


@st.composite
def configurations(draw: st.DrawFn) -> str:
    """Return the text of a random valid configuration with a [federation] table."""
    names = draw(st.lists(st.sampled_from(ACCOUNT_NAMES), min_size=2, max_size=4, unique=True))
    ids = draw(
        st.lists(
            st.from_regex(r"[1-9][0-9]{11}", fullmatch=True),
            min_size=len(names),
            max_size=len(names),
            unique=True,
        )
    )
    lines: list[str] = []
    accounts: dict[str, dict[str, Any]] = {}
    tiers = {name: draw(st.integers(1, 3)) for name in names}
    tiers[names[0]] = max(tiers.values())  # the hub reaches every account: it must be the most trusted
    for name, account_id in zip(names, ids, strict=True):
        require = draw(st.sets(st.sampled_from(["external-id", "mfa", "source-ip"])))
        limit = draw(st.none() | st.sampled_from([3600, 7200, 43200]))
        accounts[name] = {"require": require, "limit": limit}
        lines += [
            f"[accounts.{toml(name)}]",
            f"id = {toml(account_id)}",
            f"require = {toml(sorted(require))}",
        ]
        if "source-ip" in require:
            lines.append(
                f"source-ip-allowlist = {toml(draw(st.lists(st.sampled_from(CIDRS), min_size=1, unique=True)))}"
            )
        if limit is not None:
            lines.append(f"max-session-duration = {limit}")
        lines.append(f"tier = {tiers[name]}")
    keys = draw(st.lists(st.sampled_from(TAG_KEYS), max_size=4, unique=True))
    transitive = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    if keys or draw(st.booleans()):
        lines += [
            "[session-tags]",
            f"allowed-keys = {toml(keys)}",
            f"allowed-transitive-keys = {toml(transitive)}",
        ]
    master_account = names[0]
    limit = accounts[master_account]["limit"]
    durations = [d for d in (3600, 7200, 43200) if limit is None or d <= max(limit, 3600)]
    lines += [
        "[federation]",
        f"saml-provider = {{ name = {toml(draw(st.sampled_from(['CorporateIdP', 'Okta', 'entra.id'])))} }}",
        f"saml-audiences = {toml(draw(st.lists(st.sampled_from(AUDIENCES), min_size=1, unique=True)))}",
        "mfa-enforced-by-idp = true",
        "[federation.master-role]",
        f"name = {toml(draw(st.sampled_from(['MasterCrossAccountRole', 'Hub', 'federation.entry'])))}",
        f"account = {toml(master_account)}",
        f"max-session-duration = {draw(st.sampled_from(durations))}",
    ]
    # One condition per key: two on one key must both hold, which the generator refuses (test_generate.py).
    attributes = [f"session-tag = {toml(k)}" for k in keys] + [f"saml-key = {toml(k)}" for k in SAML_KEYS]
    for attribute in draw(st.lists(st.sampled_from(attributes), max_size=2, unique=True)):
        lines += ["[[federation.attribute-conditions]]", attribute]
        values = draw(
            st.lists(
                st.from_regex(r"[A-Za-z][A-Za-z0-9]{1,8}\*?", fullmatch=True),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        match = "like" if any("*" in v for v in values) else draw(st.sampled_from(["equals", "like"]))
        lines += [f"values = {toml(values)}", f"match = {toml(match)}"]
    roles = draw(
        st.lists(
            st.tuples(st.sampled_from(names), st.sampled_from(ROLE_WORDS)),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    for index, (account, word) in enumerate(roles):
        lines += ["[[roles]]", f"name = {toml('CrossAccount-' + word)}", f"account = {toml(account)}"]
        lines.append(f"max-session-duration = {draw(st.sampled_from([3600, 7200, 43200]))}")
        kind = draw(st.sampled_from(["generated", "config", "env"]))
        if kind == "config":
            alphabet = string.ascii_letters + string.digits + "_+=,.@:/-"
            literal = draw(st.text(alphabet, min_size=24, max_size=40).filter(lambda t: len(set(t)) > 12))
            lines.append(f"external-id = {toml(literal + str(index))}")
        elif kind == "env":
            lines.append(f'external-id = "env:XID_{index}"')
        for level, arns in ACCESS.items():
            chosen = draw(st.lists(st.sampled_from(arns), max_size=2, unique=True))
            if chosen:
                lines.append(f"access.{level} = {toml(chosen)}")
    return "\n".join(lines) + "\n"


ENVIRON = {f"XID_{i}": f"Env{i}-Zq8c1RrJt5pMwX2eN7kL4gH0" for i in range(8)}


def generate_config(tmp: Path, text: str, *, from_env: bool = False) -> tuple[Path, Any]:
    config_path = tmp / "config.toml"
    config_path.write_text(text, encoding="utf-8")
    out = tmp / "out"
    generated = generate(
        load_config(config_path), out, environ=ENVIRON, seed=5, external_ids_from_env=from_env
    )
    return out, generated


def fresh_dir(tmp_path_factory: Any) -> Path:
    path: Path = tmp_path_factory.mktemp("gen")
    return path


@SETTINGS
@given(text=configurations(), from_env=st.booleans())
def test_any_valid_configuration_lints_clean(tmp_path_factory: Any, text: str, from_env: bool) -> None:
    out, generated = generate_config(fresh_dir(tmp_path_factory), text, from_env=from_env)
    results = lint_dir_rules(out, RULES, generated)
    assert results == [], "\n".join(describe(results)) + "\n" + text


@SETTINGS
@given(text=configurations())
def test_sessions_and_external_ids(tmp_path_factory: Any, text: str) -> None:
    out, generated = generate_config(fresh_dir(tmp_path_factory), text)
    plan = generated.plan
    assert all(t.max_session_duration == 3600 for t in plan.targets)
    values = [t.external_id.value for t in plan.targets]
    assert len(set(values)) == len(values)
    assert all(EXTERNAL_ID_PATTERN.fullmatch(v) for v in values)
    written = load_config(out / "xacct-lint.toml")
    for role in written.roles:
        is_master = role.name == plan.master.name and role.account == plan.master.account.name
        assert role.max_session_duration == (plan.master.max_session_duration if is_master else 3600)
    # No MFA condition anywhere: SAML and chained sessions never carry it (iam-facts §2.3, §2.4).
    for path in (out / "policies").rglob("*.json"):
        assert "multifactorauth" not in path.read_text(encoding="utf-8").casefold(), path


def required_conditions(out: Path) -> list[tuple[str, int, str, str, str]]:
    """Return (file, statement, operator, key, guarding rule) for every condition a requirement puts into a
    trust policy."""
    found = []
    for path in sorted((out / "policies").rglob("*.trust.json")):
        relative = path.relative_to(out).as_posix()
        document = json.loads(path.read_text(encoding="utf-8"))
        for index, statement in enumerate(document["Statement"]):
            for operator, block in statement.get("Condition", {}).items():
                for key in block:
                    rule = {
                        "sts:externalid": "XA201",
                        "aws:sourceip": "XA205",
                        "saml:aud": "XA105",
                        "aws:tagkeys": "XA305",
                        "sts:transitivetagkeys": "XA305",
                    }.get(key.casefold())
                    if rule is not None:
                        found.append((relative, index, operator, key, rule))
    return found


@SETTINGS
@given(text=configurations(), data=st.data())
def test_removing_any_required_condition_is_caught(
    tmp_path_factory: Any, text: str, data: st.DataObject
) -> None:
    out, generated = generate_config(fresh_dir(tmp_path_factory), text)
    candidates = required_conditions(out)
    candidates = [c for c in candidates if _guarded(generated, c)]
    if not candidates:
        return
    relative, index, operator, key, rule = data.draw(st.sampled_from(candidates))
    path = out / relative
    document = json.loads(path.read_text(encoding="utf-8"))
    condition = document["Statement"][index]["Condition"]
    del condition[operator][key]
    if not condition[operator]:
        del condition[operator]
    if not condition:
        del document["Statement"][index]["Condition"]
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    results = lint_dir_rules(out, RULES, None, paths=[out / "policies"])
    caught = [r for r in results if r.rule.id == rule and r.place.path == relative]
    assert caught, (
        f"removing {operator} {key} from {relative} /Statement/{index}: {describe(results)}\n{text}"
    )


def _guarded(generated: Any, candidate: tuple[str, int, str, str, str]) -> bool:
    """Return whether the configuration makes the removed condition a requirement a rule checks.

    The transitive-key limit is redundant when every allowed key may be transitive. The ExternalId of a role
    whose account is the master's own (a same-account chain) is not a confused-deputy
    guard (XA201 asks about other accounts' principals); an ExternalId in an account that lists no
    external-id requirement is the generator's choice, not a configured requirement.
    """
    relative, _, _, key, rule = candidate
    plan = generated.plan
    if key.casefold() == "sts:transitivetagkeys":
        # A transitive key must be one of the tags passed, which aws:TagKeys already limits: when every allowed
        # key may be transitive, this limit is redundant (kept as defence in depth) and its removal harmless.
        return {k.casefold() for k in plan.transitive_keys} != {k.casefold() for k in plan.tag_keys}
    if rule != "XA201":
        return True
    target = next(
        t for t in plan.targets if relative == f"policies/{account_label(t.account)}/{t.name}.trust.json"
    )
    return "external-id" in target.account.require and target.account.id != plan.master.account.id
