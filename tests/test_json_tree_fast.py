"""The fast path of ``parse_json`` (json.loads + one regex pass) builds exactly the tree of the strict parser.

Same kinds, values (with their Python types), spans, member order, key spans and duplicate keys -- and for
input the fast path does not take (invalid JSON, NaN, too deep), the same error at the same offset, because the
strict parser decides. Checked on every JSON file of the fixtures and of ../shared/corpora, and on generated
documents written with random white space, escapes and repeated keys.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xacct_lint.load.json_file import decode_json_string
from xacct_lint.parse import json_tree
from xacct_lint.parse.json_tree import JNode, JsonSyntaxError, ParsedJson, parse_json
from xacct_lint.parse.source import Span

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def strict(text: str, offset_map: list[int] | None = None, max_depth: int = 256) -> ParsedJson:
    parser = json_tree._Parser(text, offset_map, max_depth)
    root = parser.parse()
    return ParsedJson(root, tuple(parser.duplicates))


def shape(node: JNode) -> object:
    """Return everything a JNode holds, as comparable plain data (value types included: 1, 1.0 and True)."""
    return (
        node.kind,
        (node.span.start, node.span.end),
        (type(node.value).__name__, node.value),
        [(m.key, (m.key_span.start, m.key_span.end), shape(m.value)) for m in node.members],
        [shape(item) for item in node.items],
    )


def assert_same_parse(text: str, offset_map: list[int] | None = None, max_depth: int = 256) -> None:
    try:
        expected = strict(text, offset_map, max_depth)
    except JsonSyntaxError as exc:
        with pytest.raises(JsonSyntaxError) as raised:
            parse_json(text, offset_map=offset_map, max_depth=max_depth)
        assert (raised.value.message, raised.value.offset) == (exc.message, exc.offset)
        return
    actual = parse_json(text, offset_map=offset_map, max_depth=max_depth)
    assert shape(actual.root) == shape(expected.root)
    assert actual.duplicates == expected.duplicates


def test_the_fast_path_is_taken_for_valid_json() -> None:
    # Guards the point of the exercise: a valid document must not silently fall back to the slow parser.
    assert json_tree._parse_valid('{"a": [1, "x", true, null, {"b": 2.5}]}', None, 256) is not None


def _json_files() -> list[Path]:
    files = sorted((ROOT / "fixtures").rglob("*.json"))
    if (SHARED / "corpora").is_dir():
        files += sorted((SHARED / "corpora").rglob("*.json"))
    return files


def test_every_fixture_and_corpus_file_parses_identically() -> None:
    files = _json_files()
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        assert_same_parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "{",
        '{"a": 1,}',
        '{"a" 1}',
        "[1, 2",
        '{"a": NaN}',
        "[Infinity]",
        "-Infinity",
        '"\\x"',
        '"tab\there"',
        "01",
        "1.",
        "[1] x",
        "\ufeff{}",
        '{"a": 1} ',
        '  {"k": "\\u00e9\\ud83d\\ude00", "k": "\\"quoted\\""}  ',
        "[[[[[[[[[[1]]]]]]]]]]",
        "tru",
        "nul",
        "[true, false, null, -0, -0.0, 1e400, 1E-2, 12345678901234567890]",
    ],
)
def test_edge_cases_parse_or_fail_identically(text: str) -> None:
    assert_same_parse(text)


@pytest.mark.parametrize("depth", [1, 5, 10])
def test_the_depth_limit_is_the_strict_parsers(depth: int) -> None:
    for nesting in (depth - 1, depth, depth + 1):
        text = "[" * nesting + "0" + "]" * nesting
        nested_objects = '{"a": ' * nesting + "0" + "}" * nesting
        assert_same_parse(text, max_depth=depth)
        assert_same_parse(nested_objects, max_depth=depth)


def test_very_deep_documents_are_errors_not_crashes() -> None:
    text = "[" * 100_000 + "]" * 100_000
    assert_same_parse(text)


# -- generated documents -------------------------------------------------------------------------------------

KEYS = st.sampled_from(
    ["Statement", "Effect", "Action", "a", "a", "é", 'q"uote', "back\\slash", "sl/ash", ""]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)


def _values() -> st.SearchStrategy[object]:
    # Objects are lists of pairs so that repeated keys survive into the text.
    return st.recursive(
        SCALARS,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(st.tuples(KEYS, children), max_size=4).map(lambda pairs: ("object", pairs)),
        ),
        max_leaves=25,
    )


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    """Return a JSON text of a generated value, with random white space and string escapes."""

    def space() -> str:
        return draw(st.sampled_from(["", " ", "\n", "\t", "\r\n  ", "   "]))

    def string(value: str) -> str:
        return json.dumps(value, ensure_ascii=draw(st.booleans()))

    def write(value: object) -> str:
        if isinstance(value, tuple):
            members = [f"{space()}{string(k)}{space()}:{space()}{write(v)}{space()}" for k, v in value[1]]
            return "{" + ",".join(members) + space() + "}"
        if isinstance(value, list):
            return "[" + ",".join(f"{space()}{write(v)}{space()}" for v in value) + space() + "]"
        if isinstance(value, str):
            return string(value)
        return json.dumps(value)

    return space() + write(draw(_values())) + space()


@SETTINGS
@given(json_texts())
def test_generated_documents_parse_identically(text: str) -> None:
    assert_same_parse(text)


@SETTINGS
@given(json_texts(), st.data())
def test_damaged_documents_fail_identically(text: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    insert = data.draw(st.sampled_from(["", ",", "}", "]", '"', ":", "x", "\\", "NaN", "\x01", "{"]))
    cut = data.draw(st.integers(min_value=0, max_value=2))
    assert_same_parse(text[:position] + insert + text[position + cut :])


@SETTINGS
@given(json_texts())
def test_embedded_documents_map_spans_identically(text: str) -> None:
    # An export stores a policy as a JSON string; its spans go through the offset map into the outer file.
    outer = json.dumps({"Document": text})
    literal = parse_json(outer).root.get("Document")
    assert literal is not None
    inner, offsets = decode_json_string(outer, literal.span)
    assert inner == text
    assert_same_parse(inner, offsets)


def test_spans_are_span_objects() -> None:
    parsed = parse_json('{"a": [1]}')
    assert parsed.root.span == Span(0, 10)
    assert parsed.root.members[0].key_span == Span(1, 4)
