"""Written numbers: reading them ("40,549", "3bn", "two hundred and fifty thousand",
"two-thirds", "twenty-first") and writing a value back canonically.

Pure string functions with no spaCy, shared by ingest (figure and ordinal
mentions) and question time. The number-word tables are public so the figure
extractor can tell which tokens belong to one written number.
"""

from __future__ import annotations

import math
import re

from assistant.text.folding import fold

#: Number words below twenty: the "units" of the accumulate-and-scale reading.


UNIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
SCALE_WORDS = {
    "hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "mln": 1e6, "mn": 1e6, "bn": 1e9, "bln": 1e9, "tn": 1e12, "trn": 1e12,
}
#: Abbreviated magnitudes that only mean a magnitude right after a digit ("$5m", "3bn", "40k").
SUFFIX_SCALES = {"k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "b": 1e9, "bn": 1e9, "bln": 1e9,
                 "tn": 1e12, "trn": 1e12}
#: Plural magnitudes stand for an unknown multiple: "hundreds of migrants" is at least 100.
VAGUE_MAGNITUDES = {"dozens": 12, "tens": 10, "hundreds": 100, "thousands": 1e3, "millions": 1e6,
                    "billions": 1e9}
#: Fraction words and their denominators ("two-thirds", "a quarter", "half").
FRACTION_WORDS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
                  "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "eighth": 8, "eighths": 8, "tenth": 10,
                  "tenths": 10}
_WORD_NUMBERS = {**UNIT_WORDS, **TENS_WORDS, "hundred": 100, "thousand": 1e3, "million": 1e6,
                 "billion": 1e9, "trillion": 1e12, "dozen": 12}

_DIGITS_RE = re.compile(r"\d(?:[\d,.\u00a0\u202f']*\d)?")


def _digits_value(s: str, thousands_dot: bool | None = None) -> float | None:
    """Value of a digit string under English conventions, with the usual fallbacks.

    Rules: comma groups of exactly three digits are thousands ("40,549"); with
    both separators the last one is the decimal mark ("1.234,5" / "1,234.5");
    several dots separate thousands ("1.234.567"); one dot is a decimal point
    ("20.5", "1.415") unless ``thousands_dot`` says the context counts discrete
    things (decided by the figure extractor, ``assistant.nlp.mentions.figures``);
    a single comma before one or two digits is a decimal comma ("3,5").
    """
    s = s.replace("\u00a0", " ").replace("\u202f", " ").replace("'", " ")
    if not re.fullmatch(r"\d[\d,. ]*", s) or not s[-1].isdigit():
        return None
    if " " in s:
        parts = s.split(" ")
        if len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]):
            s = "".join(parts)
        else:
            return None
    has_c, has_d = "," in s, "." in s
    if has_c and has_d:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        other = "." if dec == "," else ","
        s = s.replace(other, "").replace(dec, ".")
    elif has_c:
        groups = s.split(",")
        if len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
            s = "".join(groups)
        elif len(groups) == 2 and len(groups[1]) in (1, 2):
            s = groups[0] + "." + groups[1]
        else:
            return None
    elif has_d:
        groups = s.split(".")
        if len(groups) > 2:
            if len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
                s = "".join(groups)
            else:
                return None
        elif thousands_dot and len(groups[0]) <= 3 and len(groups[1]) == 3:
            s = "".join(groups)
    try:
        return float(s)
    except ValueError:  # pragma: no cover - guarded by the regex
        return None


def parse_number(text: str, thousands_dot: bool | None = None) -> float | None:
    """Numeric value of a written number, or ``None``.

    Accepts digits in either thousands style ("40,549", "40 549", "1.234.567"),
    decimals ("20.5"), currency signs and percent signs (ignored), abbreviated
    magnitudes ("3bn", "$5m", "40k"), number words ("sixty-three", "two hundred
    and fifty thousand", "a dozen") and mixes ("1.5 million"). Word numbers are
    read with the standard accumulate-and-scale algorithm (as in text2num):
    units and tens add, "hundred" multiplies the running group, larger scales
    close the group. A single dot is a decimal point; pass ``thousands_dot=True``
    where the caller has established that "10.970" counts discrete things.
    Plural magnitudes ("hundreds") give their lower bound (100).
    """
    t = fold(text).strip().lower()
    t = re.sub(r"^(?:us|usd|eur|gbp|[a-z]{0,2})?[$€£¥₹₽₴]", "", t)
    t = re.sub(r"\s*(?:%|percent|per cent)$", "", t).strip()
    if not t:
        return None
    m = re.fullmatch(r"(\d[\d,.\u00a0\u202f' ]*?)\s*(k|m|mn|mln|b|bn|bln|tn|trn)", t)
    if m:
        v = _digits_value(m.group(1), thousands_dot)
        return None if v is None else v * SUFFIX_SCALES[m.group(2)]
    if _DIGITS_RE.fullmatch(t.replace(" ", "")) and not re.search(r"[a-z]", t):
        return _digits_value(t, thousands_dot)
    words = [w for w in re.split(r"[\s\-]+", t) if w]
    if words and words[-1] in FRACTION_WORDS:
        # "two-thirds", "a third", "half": a numerator word (default one) over the denominator.
        num = parse_number(" ".join(words[:-1])) if words[:-1] not in ([], ["a"], ["an"]) else 1.0
        return None if num is None else num / FRACTION_WORDS[words[-1]]
    total = 0.0
    current: float | None = None
    seen = False
    for i, w in enumerate(words):
        if w in ("and", "of"):
            continue
        if w in ("a", "an"):
            if i + 1 < len(words) and words[i + 1] in _WORD_NUMBERS:
                current = (current or 0) + 1
                continue
            return None
        if w in VAGUE_MAGNITUDES:
            current = (current or 1) * VAGUE_MAGNITUDES[w]
            seen = True
            continue
        dv = _digits_value(w, thousands_dot) if w[0].isdigit() else None
        if dv is not None:
            current = (current or 0) + dv
        elif w in UNIT_WORDS or w in TENS_WORDS:
            current = (current or 0) + _WORD_NUMBERS[w]
        elif w in ("hundred", "dozen"):
            current = (current or 1) * _WORD_NUMBERS[w]
        elif w in SCALE_WORDS:
            total += (current if current is not None else 1) * SCALE_WORDS[w]
            current = None
        else:
            return None
        seen = True
    if not seen:
        return None
    return total + (current or 0)


#: Relative distance from the nearest integer below which a value is written as that integer:
#: absorbs float noise from scaling ("1.5 million" = 1.5 * 1e6). Origin of the exact value not recorded.
_INTEGER_TOLERANCE = 1e-9


def format_number(v: float) -> str:
    """Canonical string for a value: integers without ".0", else up to 10 significant digits."""
    if math.isfinite(v) and abs(v - round(v)) < _INTEGER_TOLERANCE * max(1.0, abs(v)):
        return str(round(v))
    return f"{v:.10g}"


#: Ordinal words -> their number; "twenty-first" is read as twenty plus "first".
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90, "hundredth": 100, "thousandth": 1000,
}


def ordinal_value(text: str) -> int | None:
    """Number of an ordinal as written: "seventh" -> 7, "21st" -> 21, "twenty-first" -> 21."""
    t = fold(text).strip().lower()
    m = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", t)
    if m:
        return int(m.group(1))
    words = [w for w in re.split(r"[\s-]+", t) if w]
    if not words or words[-1] not in _ORDINAL_WORDS:
        return None
    head = parse_number(" ".join(words[:-1])) if len(words) > 1 else 0.0
    return None if head is None else int(head) + _ORDINAL_WORDS[words[-1]]
