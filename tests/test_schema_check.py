"""The generated validator (fastjsonschema) may skip jsonschema only where jsonschema finds nothing.

``schema_check.accepts(schema, document)`` lets XA002 and the config loader skip jsonschema for a valid
document. That is safe exactly when "accepted" implies "jsonschema reports no error" -- checked here on every
policy of the fixtures and corpora, on generated documents around the policy grammar, and on the configuration
files of the repository. The other direction (fast rejects, jsonschema accepts) only costs time, and is allowed.
The cache of the generated code is also exercised: written once, reused, rebuilt when damaged.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xacct_lint import schema_check
from xacct_lint.parse.policy import BASE_OPERATORS

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
POLICY_SCHEMA = "schemas/policy.schema.json"
CONFIG_SCHEMA = "schemas/config.schema.json"


def _jsonschema(resource: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "xacct_lint" / resource).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


POLICY = _jsonschema(POLICY_SCHEMA)
CONFIG = _jsonschema(CONFIG_SCHEMA)


def assert_sound(resource: str, validator: jsonschema.Draft202012Validator, document: Any) -> bool:
    """Assert that an accepted document has no jsonschema error; return whether it was accepted."""
    accepted = schema_check.accepts(resource, document)
    if accepted:
        errors = [e.message for e in validator.iter_errors(document)]
        assert not errors, (
            f"fast validator accepted a document jsonschema rejects: {errors[:3]} in {document!r}"
        )
    return accepted


def _documents() -> Iterator[tuple[Path, Any]]:
    files = sorted((ROOT / "fixtures").rglob("*.json"))
    if (SHARED / "corpora").is_dir():
        files += sorted((SHARED / "corpora").rglob("*.json"))
    for path in files:
        try:
            yield path, json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            continue


def test_the_fast_validator_is_available() -> None:
    # fastjsonschema is a dependency: without it every document would quietly take the slow road.
    assert schema_check.compiled_validator(POLICY_SCHEMA) is not None
    assert schema_check.compiled_validator(CONFIG_SCHEMA) is not None


def test_fixture_and_corpus_policies_agree() -> None:
    accepted = rejected = 0
    for path, document in _documents():
        ok = schema_check.accepts(POLICY_SCHEMA, document)
        valid = POLICY.is_valid(document)
        assert valid or not ok, f"fast validator accepted {path}, which jsonschema rejects"
        # The one known disagreement is the safe kind: fast rejects, jsonschema accepts.
        assert ok or not valid or _only_pattern_end_differs(document), path
        accepted += ok
        rejected += not valid
    assert accepted and rejected


def _only_pattern_end_differs(document: Any) -> bool:
    # fastjsonschema reads "$" as end-of-string; jsonschema (re.search) also matches before a final newline.
    return "\n" in json.dumps(document)


def test_repository_configurations_agree() -> None:
    configs = [p for p in ROOT.rglob("xacct-lint.toml") if ".ci-venv" not in p.parts]
    assert configs
    for path in configs:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert_sound(CONFIG_SCHEMA, CONFIG, data)


# -- generated policies: mostly valid, with every kind of mistake the grammar knows -----------------------------

NAMES = st.sampled_from(
    ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
     "effect", "Actions", "Version", "Id", "Statement"]
)  # fmt: skip
OPERATORS = st.one_of(
    st.sampled_from(BASE_OPERATORS),
    st.sampled_from([f"{op}IfExists" for op in BASE_OPERATORS]),
    st.sampled_from([f"ForAllValues:{op}" for op in BASE_OPERATORS[:6]]),
    st.sampled_from(
        ["ForAnyValue:StringLike", "NullIfExists", "StringEqual", "stringequals", "Foo:Bool", ""]
    ),
)
SCALAR = st.one_of(
    st.sampled_from(["*", "sts:AssumeRole", "arn:aws:iam::111122223333:root", "Allow", "Deny", "", "a\n"]),
    st.booleans(),
    st.integers(-3, 3),
    st.none(),
)
STRINGS = st.one_of(SCALAR, st.lists(SCALAR, max_size=3))
PRINCIPAL = st.one_of(
    st.sampled_from(["*", "AWS", ""]),
    st.dictionaries(
        st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "aws", "User"]), STRINGS, max_size=3
    ),
    STRINGS,
)
CONDITION = st.one_of(
    st.dictionaries(
        OPERATORS,
        st.one_of(
            st.dictionaries(st.sampled_from(["sts:ExternalId", "aws:SourceIp", "x"]), STRINGS, max_size=2),
            SCALAR,
        ),
        max_size=3,
    ),
    SCALAR,
)
VALUE_OF = {
    "Sid": st.one_of(st.sampled_from(["Ok1", "has space", "", "dash-ed", "new\n"]), SCALAR),
    "Effect": st.one_of(st.sampled_from(["Allow", "Deny", "allow"]), SCALAR),
    "Principal": PRINCIPAL,
    "NotPrincipal": PRINCIPAL,
    "Condition": CONDITION,
}


VALID_STRINGS = st.one_of(
    st.sampled_from(["*", "sts:AssumeRole", "s3:Get*", "arn:aws:iam::111122223333:root"]),
    st.lists(
        st.sampled_from(["sts:AssumeRole", "sts:TagSession", "arn:aws:s3:::b/*"]), min_size=1, max_size=3
    ),
)
VALID_PRINCIPAL = st.one_of(
    st.just("*"),
    st.dictionaries(
        st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser"]), VALID_STRINGS, min_size=1
    ),
)
VALID_CONDITION = st.dictionaries(
    st.sampled_from(
        ["StringEquals", "StringLikeIfExists", "ForAnyValue:StringLike", "Bool", "Null", "IpAddress"]
    ),
    st.dictionaries(
        st.sampled_from(["sts:ExternalId", "aws:SourceIp", "aws:MultiFactorAuthPresent"]),
        st.one_of(VALID_STRINGS, st.booleans(), st.integers(0, 9), st.lists(st.booleans(), max_size=2)),
        min_size=1,
        max_size=2,
    ),
    max_size=2,
)


@st.composite
def statements(draw: st.DrawFn) -> Any:
    """Return a valid statement, or (one time in three) one with a single generated mistake."""
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    statement[draw(st.sampled_from(["Action", "NotAction"]))] = draw(VALID_STRINGS)
    if draw(st.booleans()):
        statement[draw(st.sampled_from(["Principal", "NotPrincipal"]))] = draw(VALID_PRINCIPAL)
    if draw(st.booleans()):
        statement[draw(st.sampled_from(["Resource", "NotResource"]))] = draw(VALID_STRINGS)
    if draw(st.booleans()):
        statement["Condition"] = draw(VALID_CONDITION)
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(["AllowCi", "S1", ""]))
    mistake = draw(st.integers(0, 8))
    if mistake == 0:
        name = draw(NAMES)
        statement[name] = draw(VALUE_OF.get(name, STRINGS))
    elif mistake == 1:
        del statement[draw(st.sampled_from(sorted(statement)))]
    elif mistake == 2:
        return draw(SCALAR)
    return statement


@st.composite
def policies(draw: st.DrawFn) -> Any:
    """Return a policy that is valid more often than not, with the kinds of mistakes people make."""
    policy: dict[str, Any] = {"Statement": draw(st.one_of(statements(), st.lists(statements(), max_size=3)))}
    if draw(st.booleans()):
        policy["Version"] = draw(st.sampled_from(["2012-10-17", "2008-10-17"]))
    mistake = draw(st.integers(0, 12))
    if mistake == 0:
        policy["Version"] = draw(st.sampled_from(["2012-10-18", 1, None]))
    elif mistake == 1:
        policy["Id"] = draw(SCALAR)
    elif mistake == 2:
        policy[draw(NAMES)] = draw(SCALAR)
    elif mistake == 3:
        del policy["Statement"]
    elif mistake == 4:
        return draw(STRINGS)
    return policy


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_generated_policies_agree(document: Any) -> None:
    assert_sound(POLICY_SCHEMA, POLICY, document)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["default-require", "accounts", "roles", "lint", "rules", "session-tags", "x"]),
        st.one_of(
            st.lists(st.sampled_from(["external-id", "mfa", "source-ip", "bogus", 3]), max_size=3),
            st.dictionaries(
                st.sampled_from(["prod", "id", "require", "tier"]), st.one_of(SCALAR, st.lists(SCALAR))
            ),
            SCALAR,
        ),
        max_size=4,
    )
)
def test_generated_configurations_agree(data: Any) -> None:
    assert_sound(CONFIG_SCHEMA, CONFIG, data)


# -- the cache of generated code -------------------------------------------------------------------------------


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XACCT_LINT_CACHE_DIR", str(tmp_path))
    schema_check.compiled_validator.cache_clear()
    yield tmp_path
    schema_check.compiled_validator.cache_clear()


def test_generated_code_is_cached_and_reused(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert schema_check.compiled_validator(POLICY_SCHEMA) is not None
    [cached] = fresh_cache.glob("schema-*.marshal")
    schema_check.compiled_validator.cache_clear()

    def no_generation(*_args: Any) -> None:
        raise AssertionError("the cached code should have been used")

    monkeypatch.setattr(schema_check, "_generate", no_generation)
    validate = schema_check.compiled_validator(POLICY_SCHEMA)
    assert validate is not None
    assert schema_check.accepts(POLICY_SCHEMA, {"Statement": {"Effect": "Allow", "Action": "*"}})
    assert cached.is_file()


def test_a_damaged_cache_is_rebuilt(fresh_cache: Path) -> None:
    assert schema_check.compiled_validator(POLICY_SCHEMA) is not None
    [cached] = fresh_cache.glob("schema-*.marshal")
    cached.write_bytes(b"\x00garbage")
    schema_check.compiled_validator.cache_clear()
    assert schema_check.accepts(POLICY_SCHEMA, {"Statement": {"Effect": "Allow", "Action": "*"}})
    assert not schema_check.accepts(POLICY_SCHEMA, {"Statement": []})
    assert cached.read_bytes() != b"\x00garbage"


def test_an_unwritable_cache_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("XACCT_LINT_CACHE_DIR", str(blocker / "cache"))
    schema_check.compiled_validator.cache_clear()
    try:
        assert schema_check.accepts(POLICY_SCHEMA, {"Statement": {"Effect": "Allow", "Action": "*"}})
    finally:
        schema_check.compiled_validator.cache_clear()


def test_without_fastjsonschema_nothing_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_fastjsonschema(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "fastjsonschema":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_fastjsonschema)
    schema_check.compiled_validator.cache_clear()
    try:
        assert not schema_check.accepts(POLICY_SCHEMA, {"Statement": {"Effect": "Allow", "Action": "*"}})
    finally:
        schema_check.compiled_validator.cache_clear()
