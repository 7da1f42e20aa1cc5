"""Decode the bytes of an input file into text, or say exactly where the bytes stop being text.

Accepted: UTF-8 with or without a byte-order mark, and UTF-16 with a byte-order mark (PowerShell's
``Out-File`` writes that). Everything else -- invalid UTF-8, a NUL character, UTF-32, unpaired UTF-16
surrogates -- is a :class:`TextDecodeError` carrying the line and column of the first bad byte, so the loaders
can turn it into an ``invalid-encoding`` problem that points somewhere instead of a crash or a silently
mangled policy.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_LE_BOM = codecs.BOM_UTF16_LE
_UTF16_BE_BOM = codecs.BOM_UTF16_BE
_UTF32_LE_BOM = codecs.BOM_UTF32_LE
_UTF32_BE_BOM = codecs.BOM_UTF32_BE


@dataclass(frozen=True, slots=True)
class DecodedText:
    """The text of a file (without its byte-order mark) and the encoding it was read as."""

    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16-le" or "utf-16-be"


class TextDecodeError(ValueError):
    """The bytes are not acceptable text.

    ``offset`` is a character offset into :attr:`text`, a best-effort decoding (bad bytes replaced by U+FFFD,
    which keeps every earlier character at its place), so that a location can be shown with the usual
    line/column machinery; ``line`` and ``column`` are 1-based and already computed from it.
    """

    def __init__(self, message: str, *, text: str, offset: int, byte_offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.offset = offset
        self.byte_offset = byte_offset
        prefix = text[:offset]
        self.line = prefix.count("\n") + 1
        self.column = offset - (prefix.rfind("\n") + 1) + 1


def decode_bytes(data: bytes) -> DecodedText:
    """Return the decoded text of a file's bytes; raise :class:`TextDecodeError` naming the first bad byte."""
    # UTF-32 BOMs start with the UTF-16 ones, so they must be checked first.
    if data.startswith((_UTF32_LE_BOM, _UTF32_BE_BOM)):
        raise TextDecodeError(
            "UTF-32 text is not supported; save the file as UTF-8",
            text=data.decode("latin-1"),
            offset=0,
            byte_offset=0,
        )
    if data.startswith(_UTF8_BOM):
        return _decode_checked(data, len(_UTF8_BOM), "utf-8", "utf-8-sig")
    if data.startswith(_UTF16_LE_BOM):
        return _decode_checked(data, len(_UTF16_LE_BOM), "utf-16-le", "utf-16-le")
    if data.startswith(_UTF16_BE_BOM):
        return _decode_checked(data, len(_UTF16_BE_BOM), "utf-16-be", "utf-16-be")
    return _decode_checked(data, 0, "utf-8", "utf-8")


def _decode_checked(data: bytes, skip: int, codec: str, label: str) -> DecodedText:
    body = data[skip:]
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        # Everything before exc.start decoded cleanly, so its length is the character offset of the bad byte.
        offset = len(body[: exc.start].decode(codec))
        shown = body[exc.start : exc.start + 1].hex()
        what = "invalid UTF-8" if codec == "utf-8" else f"invalid {codec.upper()}"
        raise TextDecodeError(
            f"{what}: byte 0x{shown} at byte offset {exc.start + skip} cannot be decoded ({exc.reason})",
            text=body.decode(codec, errors="replace"),
            offset=offset,
            byte_offset=exc.start + skip,
        ) from None
    nul = text.find("\x00")
    if nul != -1:
        hint = " (is this UTF-16 without a byte-order mark?)" if codec == "utf-8" and skip == 0 else ""
        byte_offset = skip + len(text[:nul].encode(codec))
        raise TextDecodeError(
            f"NUL character at byte offset {byte_offset}: not a text file{hint}",
            text=text,
            offset=nul,
            byte_offset=byte_offset,
        )
    return DecodedText(text, label)
