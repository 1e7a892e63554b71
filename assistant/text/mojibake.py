"""Repair mojibake: text that was UTF-8, decoded once (or twice) as Windows-1252 or
Latin-1 before it reached us ("SarukhÃ¡n" for "Sarukhán", "â€œ" for "“").

News archives and scraped feeds carry it often: a name cut at "Ã" is no name an analyst can
cite or search for. The repair is ftfy's (Speer 2019, "ftfy", Zenodo), limited to the
encoding: it re-encodes a run only when the result decodes as UTF-8 and is more plausible
text, so correct text, curly quotes and other scripts ("Łukašenka", "Лукашенко") stand as
they are. Text saved decomposed (NFD) after the wrong decode ("A" and a tilde for "Ã", as
some archives store it) is composed first.

It runs line by line, and only on lines with a telltale sign: a clean text costs one regex
scan, and ftfy only ever sees one signed line at a time, not the whole article.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

#: Signs of UTF-8 read as Windows-1252/Latin-1: a lead byte's character ("Ã", "Â", "â", "Ä",
#: "Å", "Ð", "Ñ", ...) before a continuation byte's (U+0080-U+00BF, or cp1252's
#: punctuation there: "€", "œ", "™", "š", ...).
_SIGN = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                   "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


#: A combining mark: text saved decomposed (NFD) writes "Ã" as "A" and a tilde, which
#: ``_SIGN`` only sees once composed.
_COMBINING = re.compile("[\u0300-\u036f]")


def _signed(line: str) -> bool:
    if _SIGN.search(line):
        return True
    return bool(_COMBINING.search(line)) and bool(_SIGN.search(unicodedata.normalize("NFC", line)))


@cache
def _config() -> Any:
    """ftfy's repairs of the encoding alone: no HTML unescaping, quote uncurling, ligature
    or width folding, line-break or control-character changes (what the text says stays as
    it says it); lines it changes are composed (NFC)."""
    from ftfy import TextFixerConfig

    return TextFixerConfig(unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False,
                           fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
                           remove_control_chars=False, explain=False)


def repair_mojibake(text: str) -> tuple[str, int]:
    """``text`` with its mis-decoded runs repaired, and how many lines changed."""
    if not _SIGN.search(text) and not _COMBINING.search(text):
        return text, 0
    from ftfy import fix_text

    lines = text.split("\n")
    changed = 0
    for i, line in enumerate(lines):
        if _signed(line):
            fixed = fix_text(line, _config())
            if fixed != line:
                lines[i] = fixed
                changed += 1
    return "\n".join(lines), changed
