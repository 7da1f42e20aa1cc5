"""Decoding input bytes: UTF-8 (with/without BOM), UTF-16 with BOM, and exact positions of bad bytes."""

from __future__ import annotations

import codecs

import pytest

from xacct_lint.load.text import TextDecodeError, decode_bytes

TEXT = '{\n  "Sid": "caf\u00e9 \U0001f600",\n  "Effect": "Allow"\n}\n'


def test_plain_utf8() -> None:
    decoded = decode_bytes(TEXT.encode("utf-8"))
    assert decoded.text == TEXT
    assert decoded.encoding == "utf-8"


def test_utf8_bom_is_dropped_so_columns_do_not_shift() -> None:
    decoded = decode_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    assert decoded.text == TEXT
    assert decoded.encoding == "utf-8-sig"


@pytest.mark.parametrize(
    ("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_utf16_with_bom(bom: bytes, codec: str) -> None:
    decoded = decode_bytes(bom + TEXT.encode(codec))
    assert decoded.text == TEXT
    assert decoded.encoding == codec


def test_invalid_utf8_reports_line_and_column_of_the_bad_byte() -> None:
    data = b'{\n  "Sid": "ab\xffcd"\n}\n'
    with pytest.raises(TextDecodeError) as info:
        decode_bytes(data)
    error = info.value
    assert (error.line, error.column) == (2, 13)
    assert error.byte_offset == 14
    assert error.text[error.offset] == "\ufffd"
    assert "0xff" in error.message
    assert "invalid UTF-8" in error.message


def test_invalid_utf8_after_multibyte_characters_counts_characters_not_bytes() -> None:
    data = '{"a": "\u00e9\u00e9'.encode() + b"\xc3(" + b'"}'
    with pytest.raises(TextDecodeError) as info:
        decode_bytes(data)
    assert (info.value.line, info.value.column) == (1, 10)
    assert info.value.byte_offset == 11


def test_nul_character_is_rejected_with_its_position() -> None:
    with pytest.raises(TextDecodeError) as info:
        decode_bytes(b'{\n "a":\x00 1}')
    assert (info.value.line, info.value.column) == (2, 6)
    assert "NUL" in info.value.message
    assert "UTF-16 without a byte-order mark" in info.value.message


def test_utf16_without_bom_is_reported_as_nul() -> None:
    with pytest.raises(TextDecodeError) as info:
        decode_bytes('{"a": 1}'.encode("utf-16-le"))
    assert (info.value.line, info.value.column) == (1, 2)


def test_utf16_lone_surrogate_is_invalid() -> None:
    data = codecs.BOM_UTF16_LE + "ab".encode("utf-16-le") + b"\x00\xd8" + "c".encode("utf-16-le")
    with pytest.raises(TextDecodeError) as info:
        decode_bytes(data)
    assert "UTF-16-LE" in info.value.message
    assert (info.value.line, info.value.column) == (1, 3)


def test_utf32_is_refused_not_misread_as_utf16() -> None:
    with pytest.raises(TextDecodeError) as info:
        decode_bytes(codecs.BOM_UTF32_LE + "{}".encode("utf-32-le"))
    assert "UTF-32" in info.value.message
    assert (info.value.line, info.value.column) == (1, 1)
