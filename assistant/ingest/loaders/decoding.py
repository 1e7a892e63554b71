"""Bytes of a text file -> text.

Encoding detection follows the WHATWG "sniff a BOM, else try UTF-8" order, then
falls back to Windows-1252 / Latin-1 for the bytes UTF-8 rejects when the bytes still look like
text (few control characters), so legacy files load with a correct decode
instead of being rejected or filled with U+FFFD.
"""

from __future__ import annotations

import codecs
import unicodedata

from assistant.ingest.loaders.base import LoadFailure
from assistant.text.mojibake import repair_mojibake

#: Share of NUL bytes above which a file without a UTF-16 layout is binary.
_NUL_BINARY_SHARE = 0.10
#: Share of control characters (after decoding) above which content is not text.
_CONTROL_SHARE = 0.05


class DecodeError(Exception):
    """The bytes are not text; the message says why."""


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(
        1
        for c in text
        if c == "\ufffd" or (unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v")
    )
    return bad / len(text)


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejected as Windows-1252 (Latin-1 for its five holes)."""
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start:err.end]
    try:
        return bad.decode("cp1252"), err.end
    except UnicodeDecodeError:
        return bad.decode("latin-1"), err.end


codecs.register_error("assistant-cp1252-fallback", _cp1252_fallback)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a BOM shows NULs in every other byte."""
    if len(data) < 4:
        return None
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    half = len(data) / 2
    for zeros, codec in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if zeros >= 0.4 * half and zeros >= 3 * max(1, min(even, odd)):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if _control_share(text) < _CONTROL_SHARE:
                return text
    return None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and the encoding used, for the raw bytes of a text file.

    Order: BOM (UTF-32/UTF-16/UTF-8), UTF-16 without BOM (NUL layout), strict
    UTF-8, then UTF-8 with every rejected byte read as Windows-1252/Latin-1
    (handles legacy files and files that mix encodings). Stray NULs are removed. Raises ``DecodeError`` when the
    bytes are binary or decode to control-character soup.
    """
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as e:
                raise DecodeError(f"it starts with a {codec.upper()} byte-order mark but is not valid {codec.upper()} ({e.reason})") from e
            return text.replace("\x00", ""), codec
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    nul = data.count(0)
    if nul:
        text16 = _utf16_without_bom(data)
        if text16 is not None:
            return text16, "utf-16"
        if nul / len(data) > _NUL_BINARY_SHARE:
            raise DecodeError(f"it looks binary ({nul / len(data):.0%} of its bytes are NUL)")
        data = data.replace(b"\x00", b"")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Valid UTF-8 sequences stay UTF-8; only the rejected bytes are read as cp1252,
        # so files that mix encodings line by line (or within a line) decode correctly.
        text = data.decode("utf-8", errors="assistant-cp1252-fallback")
        encoding = "utf-8+cp1252"
    share = _control_share(text)
    if share > _CONTROL_SHARE:
        raise DecodeError(f"it does not decode to text ({share:.0%} control characters): it looks binary")
    return text, encoding


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_file(data: bytes, label: str) -> str | LoadFailure:
    """The text of a text file with ``\\n`` line ends, or a failure saying why there is none."""
    if not data.strip():
        return LoadFailure(label, "file is empty (or only whitespace); remove it or add the article text")
    try:
        text, _encoding = decode_bytes(data)
    except DecodeError as e:
        return LoadFailure(label, f"not a text file: {e}; remove it or convert it to UTF-8 text")
    # Text that was UTF-8 read as Windows-1252 before it was saved ("SarukhÃ¡n") is repaired.
    text = repair_mojibake(normalise_newlines(text))[0]
    if not text.strip():
        return LoadFailure(label, "file is empty (or only whitespace); remove it or add the article text")
    return text
