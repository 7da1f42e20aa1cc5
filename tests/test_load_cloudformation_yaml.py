"""The YAML tree under the CloudFormation loader: the values a safe loader reads, spans into the text, tags as
one-member mappings, the same result from libyaml and from the pure-Python parser."""

from __future__ import annotations

import string
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from xacct_lint.load.cloudformation import SHORT_TAGS
from xacct_lint.parse.json_tree import JNode
from xacct_lint.parse.yaml_tree import YamlLimitError, YamlSyntaxError, parse_yaml

SCALARS = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + " :-_./*${}#'\"é", max_size=12),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
)
KEYS = st.text(alphabet=string.ascii_letters + string.digits + ":-_/", min_size=1, max_size=10)
DATA = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)),
    max_leaves=25,
)


def scalars(node: JNode) -> list[JNode]:
    return [n for n in node.walk() if n.kind not in ("object", "array")]


@settings(max_examples=150, deadline=None)
@given(data=DATA, flow=st.booleans())
def test_values_and_spans_agree_with_pyyaml(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    parsed = parse_yaml(text)
    assert parsed.root is not None
    assert parsed.root.to_python() == yaml.safe_load(text)
    for node in scalars(parsed.root):
        fragment = text[node.span.start : node.span.end]
        assert yaml.safe_load(fragment) == node.value, (fragment, node.value)
    for node in parsed.root.walk():
        for member in node.members:
            assert yaml.safe_load(text[member.key_span.start : member.key_span.end]) == member.key


def test_short_form_tags_become_long_form_with_the_tag_span() -> None:
    text = (
        "a: !Sub 'arn:${AWS::Partition}:x'\n"
        "b: !GetAtt [Role, Arn]\n"
        "c: &anchor !Ref Param\n"
        "d: [!If [Cond, !Ref A, !Ref AWS::NoValue]]\n"
    )
    parsed = parse_yaml(text, short_tags=SHORT_TAGS)
    assert parsed.root is not None and parsed.issues == ()
    assert parsed.root.to_python() == {
        "a": {"Fn::Sub": "arn:${AWS::Partition}:x"},
        "b": {"Fn::GetAtt": ["Role", "Arn"]},
        "c": {"Ref": "Param"},
        "d": [{"Fn::If": ["Cond", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}],
    }
    sub = parsed.root.get("a")
    assert sub is not None
    (member,) = sub.members
    assert text[member.key_span.start : member.key_span.end] == "!Sub"
    assert text[sub.span.start : sub.span.end] == "!Sub 'arn:${AWS::Partition}:x'"
    assert text[member.value.span.start : member.value.span.end] == "'arn:${AWS::Partition}:x'"
    ref = parsed.root.get("c")
    assert ref is not None
    assert text[ref.members[0].key_span.start : ref.members[0].key_span.end] == "!Ref"


def test_scalars_are_typed_like_yaml_1_1_and_dates_stay_text() -> None:
    text = "a: 3600\nb: yes\nc: ~\nd: 2012-10-17\ne: '3600'\nf: 0x10\ng: 1.5\nh: !!str 12\ni: !!int 12\n"
    parsed = parse_yaml(text)
    assert parsed.root is not None
    assert parsed.root.to_python() == {
        "a": 3600, "b": True, "c": None, "d": "2012-10-17", "e": "3600", "f": 16, "g": 1.5, "h": "12", "i": 12,
    }  # fmt: skip


def test_duplicate_keys_are_recorded_with_their_pointer() -> None:
    text = "Resources:\n  R:\n    Type: a\n    Type: b\n"
    parsed = parse_yaml(text)
    (duplicate,) = parsed.duplicates
    assert duplicate.pointer == "/Resources/R/Type"
    assert text[duplicate.duplicate.start : duplicate.duplicate.end] == "Type"
    assert duplicate.first.start < duplicate.duplicate.start


def test_libyaml_and_python_parsers_give_the_same_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "é: 'ü'\r\nlist:\r\n  - !Ref X   # comment\r\n  - {k: 😀 v}\r\nblock: |\r\n  line one\r\n  line two\r\n"

    def shape(root: JNode | None) -> list[tuple[str, int, int, object]]:
        assert root is not None
        return [(n.kind, n.span.start, n.span.end, n.value) for n in root.walk()]

    with_c = parse_yaml(text, short_tags=SHORT_TAGS)
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    pure = parse_yaml(text, short_tags=SHORT_TAGS)
    assert shape(with_c.root) == shape(pure.root)
    assert with_c.root is not None
    emoji = with_c.root.get("list").items[1].get("k")  # type: ignore[union-attr]
    assert emoji is not None and text[emoji.span.start : emoji.span.end] == "😀 v"


def test_errors_carry_offsets() -> None:
    with pytest.raises(YamlSyntaxError) as syntax:
        parse_yaml("a: [1, 2\nb: c\n")
    assert syntax.value.offset > 0
    with pytest.raises(YamlSyntaxError, match="refers to no anchor"):
        parse_yaml("a: *nowhere\n")
    with pytest.raises(YamlSyntaxError, match="refers to no anchor"):
        parse_yaml("a: &x [1, *x]\n")  # a recursive alias is no tree
    with pytest.raises(YamlLimitError) as limit:
        parse_yaml("a: [[[[1]]]]\n", max_depth=3)
    assert limit.value.offset == 5
    with pytest.raises(YamlLimitError, match="more than 10 nodes"):
        parse_yaml("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n", max_nodes=10)


def test_empty_document() -> None:
    assert parse_yaml("").root is None
    assert parse_yaml("# only a comment\n").root is None
