"""Fuzz targets: one function per component, taking bytes, raising when the component misbehaves.

Shared by ``tests/test_fuzz.py`` (bounded hypothesis runs in CI) and ``benchmarks/fuzz_campaign.py`` (long
atheris or hypothesis campaigns), so both fuzz exactly the same thing. A target fails -- raises -- when:

- a component raises anything but its documented error (``JsonSyntaxError`` from the parser,
  ``TextDecodeError`` from decoding; loaders, the evaluator, rules and reporters must not raise at all);
- a position points outside the text it claims to point into;
- the parser disagrees with ``json.loads`` on a document both should accept;
- a rule crashes (an XA000 result), or the search returns a witness the concrete evaluator does not allow.

Loader targets are made from :data:`xacct_lint.load.LOADERS` at the time they are asked for, so a format
registered there is fuzzed without touching this file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Rule
from xacct_lint.engine.runner import INTERNAL_ERROR, Result, run_rules, to_results
from xacct_lint.evaluate.concrete import Caller, CallerType, Effect, Request, evaluate
from xacct_lint.evaluate.search import (
    NoneExists,
    RequestKind,
    Unknown,
    Witness,
    assume_role_kind,
    find_request,
    saml_kind,
    service_kind,
    web_identity_kind,
)
from xacct_lint.load import LOADERS
from xacct_lint.load.base import ContextLoader, FileLoad, LoadContext
from xacct_lint.load.text import TextDecodeError, decode_bytes
from xacct_lint.model.config import AccountConfig, Config
from xacct_lint.model.inventory import Location, Model
from xacct_lint.parse.json_tree import JNode, JsonSyntaxError, parse_json
from xacct_lint.parse.policy import BASE_OPERATORS, build_policy
from xacct_lint.parse.source import SourceFile, Span

REPO_ROOT = Path(__file__).resolve().parents[1]
# Small: a fuzz input must not spend seconds in one search. The budget is what bounds it (resource bounds).
SEARCH_BUDGET = 300
ROLE_ACCOUNT = "222222222222"
CONFIG = Config(
    accounts=(
        AccountConfig(
            "prod", ROLE_ACCOUNT, frozenset({"external-id", "mfa", "source-ip"}), 3600, ("10.0.0.0/8",)
        ),
        AccountConfig("security", "111111111111", frozenset(), None, (), 3),
    ),
    organization_ids=("o-a1b2c3d4e5",),
)


class FuzzBugError(AssertionError):
    """A target found a bug that is not an exception of its own: a wrong position, a disagreement, an XA000."""


Target = Callable[[bytes], None]


# --- helpers ----------------------------------------------------------------------------------------------------


def _text(data: bytes) -> str | None:
    """Return the bytes as the loaders would see them (decoded text), or None when they are not text."""
    try:
        return decode_bytes(data).text
    except TextDecodeError:
        return None


def _check_span(span: Span | None, text: str, what: str) -> None:
    if span is not None and not (0 <= span.start <= span.end <= len(text) + 1):
        raise FuzzBugError(f"{what}: span {span} outside a text of {len(text)} characters")


def _check_location(location: Location, source: SourceFile, what: str) -> None:
    if location.source is not source:
        return  # a location in another file (a Terraform module): that file's own load checks it
    _check_span(location.span, source.text, what)
    if location.root is not None:
        _check_span(location.root.span, source.text, f"{what} (its tree)")


def _check_load(result: FileLoad, source: SourceFile) -> None:
    if not isinstance(result, FileLoad):
        raise FuzzBugError(f"the loader returned {type(result).__name__}, not a FileLoad")
    for problem in result.problems:
        _check_location(problem.location, source, f"problem {problem.code}")
    for policy in result.policies:
        if policy.source is source:
            _check_span(policy.document.span, source.text, "policy document")


def load_source(suffix: str, source: SourceFile) -> FileLoad:
    """Return what the loader registered for ``suffix`` makes of one decoded file (as ``load_paths`` calls it)."""
    loader = LOADERS[suffix]
    if isinstance(loader, ContextLoader):
        return loader.load(source, LoadContext(None, CONFIG, {}, {}))
    return loader(source)


@cache
def builtin_rules() -> tuple[Rule, ...]:
    """Return the rules of the built-in pack (loaded once per process)."""
    from xacct_lint.engine.registry import builtin_pack

    return builtin_pack().rules


@cache
def parliament_rules() -> tuple[Rule, ...]:
    """Return the built-in rules and those of the optional parliament pack (loaded once per process)."""
    from xacct_lint.parliament_pack import parliament_pack

    return builtin_rules() + parliament_pack().rules


def check_unread_is_reported(model: Model, results: Sequence[Result]) -> None:
    """Raise :class:`FuzzBugError` when a file a loader could not read has no finding ("never clean")."""
    reported = {r.place.path for r in results}
    for problem in model.problems:
        path = problem.location.source.display_path
        if problem.location.root is None and path not in reported:
            raise FuzzBugError(f"{path} was not read ({problem.code}: {problem.message}) and no rule says so")


@cache
def document_rules() -> tuple[Rule, ...]:
    """Return the built-in rules about documents (XA0xx): they report what the loaders could not read."""
    return tuple(r for r in builtin_rules() if "document" in r.meta.tags)


def lint_model(model: Model, rules: tuple[Rule, ...]) -> None:
    """Run rules on a model and render every report; raise :class:`FuzzBugError` on an XA000 result."""
    from xacct_lint.report import build_report
    from xacct_lint.report.json_report import render_json
    from xacct_lint.report.sarif import render_sarif
    from xacct_lint.report.text import render_text

    findings = run_rules(rules, RuleContext(model=model, config=CONFIG, search_budget=SEARCH_BUDGET))
    results, _ = to_results(findings, {})
    crashes = [r.message for r in results if r.rule.id == INTERNAL_ERROR.id]
    if crashes:
        raise FuzzBugError("; ".join(crashes))
    check_unread_is_reported(model, results)
    report = build_report(model, rules, results)
    render_text(report, color=True)
    json.loads(render_json(report))
    json.loads(render_sarif(report))


# --- targets ----------------------------------------------------------------------------------------------------


def target_decode(data: bytes) -> None:
    """Text decoding: any bytes give text or a TextDecodeError whose position lies inside its text."""
    try:
        decoded = decode_bytes(data)
    except TextDecodeError as exc:
        if not (0 <= exc.offset <= len(exc.text)) or exc.line < 1 or exc.column < 1:
            raise FuzzBugError(f"decode error at offset {exc.offset} of {len(exc.text)} characters") from None
        return
    if "\x00" in decoded.text:
        raise FuzzBugError("decoded text holds a NUL character")


def _python_equal(left: object, right: object) -> bool:
    # Iterative structural equality where NaN cannot occur (the parser refuses it) but -0.0 == 0 may.
    stack = [(left, right)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, dict) and isinstance(b, dict):
            if list(a) != list(b):
                return False
            stack.extend((a[k], b[k]) for k in a)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return False
            stack.extend(zip(a, b, strict=True))
        elif isinstance(a, bool) or isinstance(b, bool):
            if a is not b:
                return False
        elif isinstance(a, int | float) and isinstance(b, int | float):
            if not (a == b or (math.isinf(a) and math.isinf(b) and (a > 0) == (b > 0))):
                return False
        elif a != b:
            return False
    return True


def _refuse(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def target_parse_json(data: bytes) -> None:
    """The JSON parser: a tree with in-bounds spans or a JsonSyntaxError in bounds, agreeing with json.loads."""
    text = data.decode("utf-8", errors="replace")
    try:
        expected: object = json.loads(text, parse_constant=_refuse)
    except (ValueError, RecursionError):
        expected = _REJECTED
    try:
        parsed = parse_json(text)
    except JsonSyntaxError as exc:
        if not (0 <= exc.offset <= len(text)):
            raise FuzzBugError(f"syntax error at offset {exc.offset} of {len(text)} characters") from None
        if expected is not _REJECTED and "nesting deeper" not in exc.message:
            raise FuzzBugError(f"json.loads accepts what the parser rejects: {exc.message}") from None
        return
    for node in parsed.root.walk():
        _check_span(node.span, text, f"{node.kind} node")
        for member in node.members:
            _check_span(member.key_span, text, f"key {member.key!r}")
    if expected is not _REJECTED and not _python_equal(parsed.root.to_python(), expected):
        raise FuzzBugError("the parser and json.loads read different values")
    if expected is _REJECTED and not _huge_integer(parsed.root):
        raise FuzzBugError("the parser accepts what json.loads rejects")


_REJECTED = object()


def _huge_integer(root: JNode) -> bool:
    # json.loads refuses integers of more than 4,300 digits (ValueError); the parser keeps them as a float.
    return any(n.kind == "number" and isinstance(n.value, float) and math.isinf(n.value) for n in root.walk())


def loader_target(suffix: str) -> Target:
    """Return the target of the loader registered for ``suffix``: it must return, never raise."""

    def target(data: bytes) -> None:
        text = _text(data)
        if text is None:
            return  # load_paths turns undecodable bytes into XA001 before any loader sees them
        source = SourceFile(f"fuzz{suffix}", text)
        result = load_source(suffix, source)
        _check_load(result, source)
        model = _model(source, result)
        findings = run_rules(
            document_rules(), RuleContext(model=model, config=CONFIG, search_budget=SEARCH_BUDGET)
        )
        results, _ = to_results(findings, {})
        crashes = [r.message for r in results if r.rule.id == INTERNAL_ERROR.id]
        if crashes:
            raise FuzzBugError("; ".join(crashes))
        check_unread_is_reported(model, results)

    target.__name__ = f"target_loader{suffix.replace('.', '_')}"
    return target


_KINDS: tuple[Callable[[], RequestKind], ...] = (
    lambda: assume_role_kind(ROLE_ACCOUNT),
    lambda: assume_role_kind(None, foreign_only=False),
    saml_kind,
    web_identity_kind,
    service_kind,
)
_PROBE_CALLERS = (
    Caller(CallerType.ROLE_SESSION, "arn:aws:iam::111111111111:role/Ops", "111111111111"),
    Caller(CallerType.USER, "arn:aws:iam::444455556666:user/ci", "444455556666"),
    Caller(CallerType.ROOT, "arn:aws:iam::999999999999:root", "999999999999"),
    Caller(CallerType.SAML, "arn:aws:iam::111111111111:saml-provider/IdP", "111111111111"),
    Caller(CallerType.SERVICE, "ec2.amazonaws.com", None),
)


def target_evaluate(data: bytes) -> None:
    """The evaluator and the witness search on any JSON value read as a policy: answers, never raises, and
    every witness is a request the concrete evaluator allows."""
    text = _text(data)
    if text is None:
        return
    try:
        root = parse_json(text).root
    except JsonSyntaxError:
        return
    document = build_policy(root)
    context: dict[str, tuple[str, ...]] = {}
    for statement in document.statements:
        for entry in statement.conditions:
            context.setdefault(entry.key_lower, tuple(v.text for v in entry.values[:2]))
    for caller in _PROBE_CALLERS:
        for action in ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "s3:GetObject"):
            for ctx in ({}, context):
                evaluate(document, Request(caller, action, "*", ctx))
    for make_kind in _KINDS:
        result = find_request(document, make_kind(), budget=SEARCH_BUDGET)
        if isinstance(result, Witness):
            if evaluate(document, result.request).effect is not Effect.ALLOW:
                raise FuzzBugError(f"witness {result.request} is not allowed by the evaluator")
            result.describe()
            result.reproduce("arn:aws:iam::222222222222:role/Target")
        elif isinstance(result, Unknown):
            if result.explored > SEARCH_BUDGET:
                raise FuzzBugError(f"the search explored {result.explored} of a budget of {SEARCH_BUDGET}")
        elif not isinstance(result, NoneExists):
            raise FuzzBugError(f"find_request returned {type(result).__name__}")


def _pipeline(data: bytes, rules: Callable[[], tuple[Rule, ...]]) -> None:
    text = _text(data)
    if text is None:
        return
    source = SourceFile("fuzz.json", text)
    result = load_source(".json", source)
    _check_load(result, source)
    lint_model(_model(source, result), rules())


def _model(source: SourceFile, result: FileLoad) -> Model:
    """Return the model of one loaded file, as ``load_paths`` builds it (problems of other files aside)."""
    return Model(
        sources=[source],
        policies=list(result.policies),
        roles=list(result.roles),
        identities=list(result.identities),
        problems=[p for p in result.problems if p.location.source is source],
        assume_role_calls=list(result.assume_role_calls),
    )


def target_pipeline(data: bytes) -> None:
    """A ``.json`` file through the loader, every built-in rule and all three reporters: no XA000, no raise."""
    _pipeline(data, builtin_rules)


def target_pipeline_parliament(data: bytes) -> None:
    """As :func:`target_pipeline` with the parliament pack (slow: parliament runs once per policy)."""
    _pipeline(data, parliament_rules)


def targets() -> dict[str, Target]:
    """Return every target by name: the fixed ones, and one per loader registered right now."""
    found: dict[str, Target] = {
        "decode": target_decode,
        "parse-json": target_parse_json,
        "evaluate": target_evaluate,
        "pipeline": target_pipeline,
        "pipeline-parliament": target_pipeline_parliament,
    }
    for suffix in sorted(LOADERS):
        found[f"loader{suffix}"] = loader_target(suffix)
    # The pipeline again, on the exhaustive product of TEMPLATES' elements and EVERY_TYPE (every_type_inputs).
    found["every-type"] = target_pipeline
    return found


def every_type_inputs() -> Iterator[bytes]:
    """Yield every template with each element (the root too) replaced by each value of :data:`EVERY_TYPE`."""
    for _name, document in sorted(TEMPLATES.items()):
        for variant in every_type_variants(document):
            yield dump(variant).encode("utf-8")


# --- hypothesis strategies (the campaign's hypothesis engine uses them too) -------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

ACCOUNTS = ("111111111111", "222222222222", "444455556666", "*")
CONDITION_KEYS = (
    "sts:ExternalId", "aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge", "aws:SourceIp", "aws:PrincipalArn",
    "aws:PrincipalOrgID", "aws:PrincipalTag/team", "aws:RequestTag/Project", "aws:TagKeys", "sts:TransitiveTagKeys",
    "SAML:aud", "SAML:sub", "token.actions.githubusercontent.com:sub", "aws:userid", "aws:SourceAccount",
    "aws:SourceArn", "aws:CurrentTime", "aws:RequestedRegion", "aws:SourceVpc", "sts:RoleSessionName",
)  # fmt: skip
QUALIFIERS = ("", "ForAllValues:", "ForAnyValue:")
grammar_strings = st.one_of(
    st.sampled_from(
        [
            "*", "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:TagSession",
            "sts:*", "s3:GetObject", "iam:PassRole", "arn:aws:iam::111111111111:root", "222222222222",
            "arn:aws:iam::444455556666:role/Ops", "arn:aws:iam::111111111111:saml-provider/IdP",
            "token.actions.githubusercontent.com", "ec2.amazonaws.com", "10.0.0.0/8", "203.0.113.7", "::/0",
            "true", "false", "3600", "2020-01-01T00:00:00Z", "${aws:username}", "${aws:PrincipalTag/team}",
            "arn:aws:iam::*:role/*", "o-a1b2c3d4e5", "repo:org/*:ref:refs/heads/main", "Allow", "Deny",
        ]
    ),
    st.text(alphabet="*?${}:/-aZ09", max_size=12),
)  # fmt: skip
grammar_values = st.one_of(grammar_strings, st.lists(grammar_strings, min_size=1, max_size=3))


def anything(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly what the grammar allows at a place, sometimes any JSON value at all (wrong types everywhere)."""
    return st.one_of(valid, valid, valid, json_values)


operators = st.builds(
    lambda q, op, ie: f"{q}{op}{'IfExists' if ie else ''}",
    st.sampled_from(QUALIFIERS),
    st.sampled_from(BASE_OPERATORS),
    st.booleans(),
) | st.text(max_size=10)
conditions = st.dictionaries(
    operators,
    anything(
        st.dictionaries(
            st.sampled_from(CONDITION_KEYS) | st.text(max_size=10),
            anything(grammar_values | st.integers() | st.booleans()),
            max_size=3,
        )
    ),
    max_size=3,
)
principals = anything(
    st.just("*")
    | st.dictionaries(
        st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "aws"]),
        anything(st.sampled_from(ACCOUNTS) | grammar_values),
        max_size=3,
    )
)
statement_elements = {
    "Sid": anything(st.text(alphabet="ab1 -", max_size=6)),
    "Effect": anything(st.sampled_from(["Allow", "Deny", "allow"])),
    "Principal": principals,
    "NotPrincipal": principals,
    "Action": anything(grammar_values),
    "NotAction": anything(grammar_values),
    "Resource": anything(grammar_values),
    "NotResource": anything(grammar_values),
    "Condition": anything(conditions),
}


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(statement_elements)), max_size=7, unique=True))
    return {name: draw(statement_elements[name]) for name in names}


policies = st.fixed_dictionaries(
    {
        "Version": anything(st.sampled_from(["2012-10-17", "2008-10-17"])),
        "Statement": anything(st.lists(anything(statements()), max_size=4) | statements()),
    }
)


@st.composite
def wrapped_policies(draw: st.DrawFn) -> Any:
    """A policy on its own, or inside an AWS CLI export shape (get-role, authorization details)."""
    document = draw(policies)
    shape = draw(st.sampled_from(["plain", "get-role", "authz", "authz-string"]))
    if shape == "plain":
        return document
    role = {
        "RoleName": draw(anything(st.just("r"))),
        "Arn": draw(anything(st.just("arn:aws:iam::222222222222:role/r"))),
        "AssumeRolePolicyDocument": document,
        "MaxSessionDuration": draw(anything(st.just(3600))),
    }
    if shape == "get-role":
        return {"Role": role}
    if shape == "authz-string":
        from urllib.parse import quote

        role["AssumeRolePolicyDocument"] = quote(json.dumps(document))
    return {"RoleDetailList": [role], "Policies": draw(anything(st.just([])))}


def as_bytes(document: Any) -> bytes:
    return dump(document).encode("utf-8")


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few byte-level edits: deletions, insertions, duplicated slices, replaced bytes."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 4))):
        edit = draw(st.sampled_from(["delete", "insert", "duplicate", "replace"]))
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 64)))
        if edit == "delete":
            del data[start:end]
        elif edit == "insert":
            data[start:start] = draw(
                st.binary(max_size=8) | st.sampled_from([b'"', b"{", b"[", b"\\u", b"%"])
            )
        elif edit == "duplicate":
            data[start:start] = data[start:end]
        else:
            data[start:end] = draw(st.binary(max_size=end - start))
    return bytes(data)


def inputs(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    generated = st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8"))
    return (mutated(seeds) | generated) if seeds else generated


def strategy_for(name: str) -> st.SearchStrategy[bytes]:
    """Return the inputs to try on a target: generated documents of its format and mutations of its seeds."""
    if name == "decode":
        boms = st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"])
        return st.one_of(
            st.binary(max_size=200),
            st.tuples(boms, st.binary()).map(b"".join),
            st.text(max_size=100).map(lambda t: t.encode("utf-16")),
        )
    documents = wrapped_policies().map(as_bytes)
    if name == "evaluate":
        return documents | policies.map(as_bytes)
    if name == "parse-json":
        return st.one_of(json_values.map(as_bytes), documents, inputs(_seeds("pipeline")))
    return st.one_of(documents, inputs(_seeds(name)))


@cache
def _seeds(name: str) -> list[bytes]:
    return seeds_for(name, limit=120)


# --- seeds ------------------------------------------------------------------------------------------------------


def seed_files(suffixes: tuple[str, ...]) -> list[Path]:
    """Return the repository's example inputs with one of the suffixes (fixtures first), sorted."""
    out: list[Path] = []
    for folder in ("fixtures", "tests/data", "examples"):
        base = REPO_ROOT / folder
        if base.is_dir():
            out.extend(p for p in sorted(base.rglob("*")) if p.is_file() and p.suffix.lower() in suffixes)
    return out


def seeds_for(name: str, limit: int = 200) -> list[bytes]:
    """Return seed inputs for a target: the repository's files of its format (at most ``limit``, small ones)."""
    if name.startswith("loader"):
        suffixes: tuple[str, ...] = (name.removeprefix("loader"),)
    elif name == "decode":
        suffixes = tuple(LOADERS)
    else:
        suffixes = (".json",)
    chosen: list[bytes] = []
    for path in seed_files(suffixes):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if len(data) <= 64_000:
            chosen.append(data)
        if len(chosen) >= limit:
            break
    return chosen


# Documents whose every element the wrong-types tests replace: a rich trust policy, and an authorization-details
# export holding it (so export elements get wrong types too).
POLICY_TEMPLATE = {
    "Version": "2012-10-17",
    "Id": "trust",
    "Statement": [
        {
            "Sid": "Partner",
            "Effect": "Allow",
            "Principal": {
                "AWS": ["arn:aws:iam::444455556666:root", "111111111111"],
                "Service": "ec2.amazonaws.com",
                "Federated": "arn:aws:iam::111111111111:saml-provider/IdP",
            },
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:AssumeRoleWithSAML"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "sts:ExternalId": ["x1y2z3"],
                    "SAML:aud": "https://signin.aws.amazon.com/saml",
                },
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                "ForAllValues:StringLike": {"aws:TagKeys": ["team-*"]},
            },
        },
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": "*"},
            "NotAction": "iam:*",
            "NotResource": ["arn:aws:s3:::b"],
        },
    ],
}
EXPORT_TEMPLATE = {
    "RoleDetailList": [
        {
            "RoleName": "Target",
            "Arn": "arn:aws:iam::222222222222:role/Target",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [POLICY_TEMPLATE["Statement"][0]],
            },
            "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": POLICY_TEMPLATE}],
            "Tags": [{"Key": "team", "Value": "ops"}],
        }
    ],
    "Policies": [],
}
TEMPLATES: dict[str, Any] = {"policy": POLICY_TEMPLATE, "export": EXPORT_TEMPLATE}


def element_paths(document: Any) -> list[tuple[Any, ...]]:
    """Return the path of every element of a JSON document, the root (``()``) first."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        out.append(path)
        if isinstance(value, Mapping):
            stack.extend((value[k], (*path, k)) for k in reversed(list(value)))
        elif isinstance(value, list):
            stack.extend((value[i], (*path, i)) for i in reversed(range(len(value))))
    return out


# One value of each JSON type, and the strings and numbers that are special somewhere (1e400 overflows).
EVERY_TYPE: tuple[object, ...] = (
    None,
    True,
    0,
    -1.5,
    1e400,
    "",
    "*",
    "${aws:username}",
    [],
    {},
    [None],
    {"": 1},
)


def every_type_variants(document: Any, replacements: tuple[object, ...] = EVERY_TYPE) -> Iterator[Any]:
    """Yield the document with each of its elements (the root too) replaced by each replacement value."""

    for path in element_paths(document):
        for replacement in replacements:
            yield replace_at(document, path, replacement)


def dump(document: Any) -> str:
    """Return a document as JSON text; an infinite float is written ``1e400`` (valid JSON that overflows)."""
    return json.dumps(document, indent=1).replace("Infinity", "1e400")


def replace_at(document: Any, path: tuple[Any, ...], value: object) -> Any:
    """Return a copy of ``document`` with the element at ``path`` replaced by ``value``."""
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    holder = copy
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return copy
