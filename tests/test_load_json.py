"""The JSON loader on plain policy documents: kinds, positions, parse errors, duplicate keys, encodings."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from xacct_lint.engine.runner import place_of
from xacct_lint.load import load_paths
from xacct_lint.load.json_file import decode_json_string, url_decode
from xacct_lint.model.config import Config
from xacct_lint.model.inventory import Location, Model, PolicyKind
from xacct_lint.parse.source import Position, Span

TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Prod",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
      "Action": "sts:AssumeRole",
      "Condition": {
        "StringEquals": {
          "sts:ExternalId": "k3v9q2m7x4p8w1z6"
        }
      }
    }
  ]
}
"""


def load_one(tmp_path: Path, name: str, content: str | bytes) -> Model:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return load_paths([tmp_path], Config(), root=tmp_path)


def start(location: Location) -> tuple[int, int]:
    region = place_of(location).region
    assert region is not None
    return region.start.line, region.start.column


def test_plain_trust_policy_positions(tmp_path: Path) -> None:
    model = load_one(tmp_path, "trust.json", TRUST)
    assert model.problems == []
    (policy,) = model.policies
    assert (policy.kind, policy.kind_inferred, policy.prefix) == (PolicyKind.TRUST, True, "")
    assert policy.source.display_path == "trust.json"
    assert [s.display_path for s in model.sources] == ["trust.json"]
    statement = policy.document.statements[0]
    assert statement.pointer == "/Statement/0"
    assert start(policy.at(statement.pointer)) == (4, 5)
    (condition,) = statement.conditions
    assert condition.key_pointer == "/Statement/0/Condition/StringEquals/sts:ExternalId"
    assert start(policy.at(condition.key_pointer)) == (11, 11)
    assert place_of(policy.at(condition.key_pointer)).logical_path == condition.key_pointer


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ('{"Effect": "Allow", "Principal": {"Federated": "x"}, "Action": "sts:AssumeRoleWithSAML"}', "trust"),
        ('{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:TagSession"]}', "trust"),
        ('{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:SetSourceIdentity"}', "trust"),
        ('{"Effect": "Allow", "NotPrincipal": {"AWS": "*"}, "Action": "sts:Assume*"}', "trust"),
        ('{"Effect": "Allow", "Principal": "*", "Action": "*"}', "trust"),
        ('{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}', "resource"),
        (
            '{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "b"}',
            "resource",
        ),
        ('{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}', "identity"),
    ],
)
def test_kind_inference(tmp_path: Path, statement: str, kind: str) -> None:
    model = load_one(tmp_path, "p.json", f'{{"Version": "2012-10-17", "Statement": [{statement}]}}')
    (policy,) = model.policies
    assert policy.kind.value == kind
    assert policy.kind_inferred is True


def test_non_policy_json_is_skipped_silently(tmp_path: Path) -> None:
    model = load_one(tmp_path, "package.json", '{"name": "x", "name": "y", "scripts": {}}')
    assert (model.policies, model.problems, model.sources) == ([], [], [])


def test_invalid_json_is_a_problem_at_the_exact_offset(tmp_path: Path) -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",, }\n  ]\n}\n'
    model = load_one(tmp_path, "broken.json", text)
    assert model.policies == []
    (problem,) = model.problems
    assert problem.code == "invalid-json"
    assert problem.location.root is None
    offset = text.index(",,") + 1
    assert problem.location.span == Span(offset, offset + 1)
    assert start(problem.location) == (4, 24)
    assert problem.message.startswith("invalid JSON: ")
    assert [s.display_path for s in model.sources] == ["broken.json"]


def test_empty_file_is_invalid_json(tmp_path: Path) -> None:
    (problem,) = load_one(tmp_path, "empty.json", "").problems
    assert (problem.code, problem.location.span) == ("invalid-json", Span(0, 1))


def test_nesting_limit_is_invalid_json_not_a_crash(tmp_path: Path) -> None:
    (problem,) = load_one(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000).problems
    assert problem.code == "invalid-json"
    assert "nesting" in problem.message
    assert start(problem.location) == (1, 257)


def test_duplicate_key_is_located_at_the_duplicate(tmp_path: Path) -> None:
    text = TRUST.replace(
        '"StringEquals": {\n          "sts:ExternalId": "k3v9q2m7x4p8w1z6"\n        }',
        '"StringEquals": {\n          "sts:ExternalId": "k3v9q2m7x4p8w1z6"\n        },\n'
        '        "StringEquals": {\n          "aws:SourceAccount": "111111111111"\n        }',
    )
    model = load_one(tmp_path, "dup.json", text)
    (problem,) = model.problems
    assert problem.code == "duplicate-key"
    assert problem.location.logical_path == "/Statement/0/Condition/StringEquals"
    assert start(problem.location) == (13, 9)
    assert "'StringEquals'" in problem.message
    assert "first on line 10" in problem.message
    # The policy is still loaded (json.loads semantics: the last duplicate wins), so rules see what IAM would.
    (policy,) = model.policies
    assert [c.key for c in policy.document.statements[0].conditions] == ["aws:SourceAccount"]


def test_utf8_bom_does_not_shift_positions(tmp_path: Path) -> None:
    model = load_one(tmp_path, "bom.json", codecs.BOM_UTF8 + TRUST.encode())
    (policy,) = model.policies
    key = policy.document.statements[0].conditions[0].key_pointer
    assert start(policy.at(key)) == (11, 11)


def test_utf16_policy_loads_with_the_same_positions(tmp_path: Path) -> None:
    model = load_one(tmp_path, "utf16.json", codecs.BOM_UTF16_LE + TRUST.encode("utf-16-le"))
    (policy,) = model.policies
    assert policy.kind is PolicyKind.TRUST
    key = policy.document.statements[0].conditions[0].key_pointer
    assert start(policy.at(key)) == (11, 11)


def test_invalid_utf8_is_an_encoding_problem_with_a_line(tmp_path: Path) -> None:
    data = TRUST.encode().replace(b'"Prod"', b'"Pr\xe9d"')
    model = load_one(tmp_path, "latin1.json", data)
    assert model.policies == []
    (problem,) = model.problems
    assert problem.code == "invalid-encoding"
    assert start(problem.location) == (5, 17)
    assert problem.location.source.display_path == "latin1.json"


def test_nul_byte_is_an_encoding_problem(tmp_path: Path) -> None:
    (problem,) = load_one(tmp_path, "nul.json", b'{"Statement": []}\n\x00').problems
    assert problem.code == "invalid-encoding"
    assert start(problem.location) == (2, 1)


def test_decode_json_string_maps_every_character_to_its_escape() -> None:
    literal = r'"a\"b\n\u00e9\ud83d\ude00c"'
    text = "xx" + literal
    value, offsets = decode_json_string(text, Span(2, 2 + len(literal)))
    assert value == 'a"b\n\u00e9\U0001f600c'
    assert offsets == [3, 4, 6, 7, 9, 15, 27]


def test_url_decode_matches_unquote_and_maps_multibyte_sequences() -> None:
    from urllib.parse import unquote

    encoded = "%7B%22k%22%3A%22caf%C3%A9+x%25%2%22%7D"
    value, offsets = url_decode(encoded, list(range(100, 100 + len(encoded))))
    assert value == unquote(encoded)
    e_acute = value.index("\u00e9")
    assert offsets[e_acute] == 100 + encoded.index("%C3")
    assert offsets[value.index("+")] == 100 + encoded.index("+")


def test_determinism_same_inputs_same_order(tmp_path: Path) -> None:
    for name in ("b.json", "a.json", "c/d.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(TRUST, encoding="utf-8")
    first = load_paths([tmp_path], Config(), root=tmp_path)
    second = load_paths([tmp_path / "c", tmp_path], Config(), root=tmp_path)
    assert [p.source.display_path for p in first.policies] == ["a.json", "b.json", "c/d.json"]
    assert [p.source.display_path for p in second.policies] == ["a.json", "b.json", "c/d.json"]
    assert [s.display_path for s in first.sources] == ["a.json", "b.json", "c/d.json"]


def test_region_end_of_a_condition_key(tmp_path: Path) -> None:
    (policy,) = load_one(tmp_path, "trust.json", TRUST).policies
    key_span = policy.document.statements[0].conditions[0].key_span
    assert policy.source.region(key_span).end == Position(11, 27)
