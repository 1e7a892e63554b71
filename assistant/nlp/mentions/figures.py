"""Typed mentions (dates, figures, named entities) with the words they are bound to.

Computed once per document at ingest, so that answering a "when"/"how many"
question is a lookup: pick the mention whose ``frame`` best matches the
question's words, instead of "the first number in the sentence".

Methods, in the order the module applies them:

* **Dates** are found by a rule grammar in the style of TIMEX2/TIMEX3 taggers
  (HeidelTime, SUTime; Strötgen & Gertz 2010, Chang & Manning 2012): explicit
  dates, months, years, seasons, parts of periods and relative expressions.
  Values use ISO 8601 with reduced precision (``2021-06``, ``2021``, ``--10-28``
  for a day without a year, ``199`` for a decade, ``2025-W45`` for a week,
  ``P1Y/2025-11-15`` for "the past year"), plus ``2021-spring`` for seasons and
  ``2024-Q1`` for quarters. Relative expressions are resolved against the
  document date only when its year is known (HeidelTime's "news" mode); a year is
  never invented. Durations ("two years in prison") are not dates; they are figures.
* **Figures** are number phrases (digits, number words, vague magnitudes such as
  "hundreds of") with currency, magnitude and percent/measure units, an optional
  qualifier ("at least") and the counted noun (from the dependency parse).
* **Entities** are spaCy's named entities, trimmed of a leading article and a
  possessive ending.
* **Frames** follow the predicate-argument view of semantic role labelling
  (PropBank; Palmer et al. 2005) approximated on the dependency tree: a figure is
  bound to its counted noun and the noun's modifiers, then to the governing
  verb, the verb's subject, objects and prepositional objects. Coordinated
  elliptical remnants ("5,200 via Latvia", gapping such as "A reported 10 attempts
  and B, 14") inherit the verb and noun of their antecedent but not the
  argument they replace (the "parallelism" account of ellipsis; Hobbs & Kehler
  1997). Frame words are folded lemmas without function words, listed from the
  most to the least tightly bound.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from assistant.models import Mention
from assistant.text.dates import MONTHS
from assistant.text.folding import fold
from assistant.text.lexicon import FRAME_STOPWORDS

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

ENTITY_KINDS = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
)
#: Entities whose text never holds a date or a figure of the story ("USA Today", "Boeing 737").
_NAME_KINDS = frozenset({"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "FAC", "LAW", "GPE", "LOC", "NORP"})

# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_SCALES = {
    "hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "mln": 1e6, "mn": 1e6, "bn": 1e9, "bln": 1e9, "tn": 1e12, "trn": 1e12,
}
#: Abbreviated magnitudes that only mean a magnitude right after a digit ("$5m", "3bn", "40k").
_SUFFIX_SCALES = {"k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "b": 1e9, "bn": 1e9, "bln": 1e9,
                  "tn": 1e12, "trn": 1e12}
#: Plural magnitudes stand for an unknown multiple: "hundreds of migrants" is at least 100.
_VAGUE = {"dozens": 12, "tens": 10, "hundreds": 100, "thousands": 1e3, "millions": 1e6,
          "billions": 1e9}
_FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
              "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "eighth": 8, "eighths": 8, "tenth": 10,
              "tenths": 10}
_WORD_NUMBERS = {**_UNITS, **_TENS, "hundred": 100, "thousand": 1e3, "million": 1e6,
                 "billion": 1e9, "trillion": 1e12, "dozen": 12}

_DIGITS_RE = re.compile(r"\d(?:[\d,.\u00a0\u202f']*\d)?")


def _digits_value(s: str, thousands_dot: bool | None = None) -> float | None:
    """Value of a digit string under English conventions, with the usual fallbacks.

    Rules: comma groups of exactly three digits are thousands ("40,549"); with
    both separators the last one is the decimal mark ("1.234,5" / "1,234.5");
    several dots separate thousands ("1.234.567"); one dot is a decimal point
    ("20.5", "1.415") unless ``thousands_dot`` says the context counts discrete
    things (see ``_thousands_dot_context``); a single comma before one or two
    digits is a decimal comma ("3,5").
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
        return None if v is None else v * _SUFFIX_SCALES[m.group(2)]
    if _DIGITS_RE.fullmatch(t.replace(" ", "")) and not re.search(r"[a-z]", t):
        return _digits_value(t, thousands_dot)
    words = [w for w in re.split(r"[\s\-]+", t) if w]
    if words and words[-1] in _FRACTIONS:
        # "two-thirds", "a third", "half": a numerator word (default one) over the denominator.
        num = parse_number(" ".join(words[:-1])) if words[:-1] not in ([], ["a"], ["an"]) else 1.0
        return None if num is None else num / _FRACTIONS[words[-1]]
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
        if w in _VAGUE:
            current = (current or 1) * _VAGUE[w]
            seen = True
            continue
        dv = _digits_value(w, thousands_dot) if w[0].isdigit() else None
        if dv is not None:
            current = (current or 0) + dv
        elif w in _UNITS or w in _TENS:
            current = (current or 0) + _WORD_NUMBERS[w]
        elif w in ("hundred", "dozen"):
            current = (current or 1) * _WORD_NUMBERS[w]
        elif w in _SCALES:
            total += (current if current is not None else 1) * _SCALES[w]
            current = None
        else:
            return None
        seen = True
    if not seen:
        return None
    return total + (current or 0)


def format_number(v: float) -> str:
    """Canonical string for a value: integers without ".0", else up to 10 significant digits."""
    if math.isfinite(v) and abs(v - round(v)) < 1e-9 * max(1.0, abs(v)):
        return str(round(v))
    return f"{v:.10g}"


# ---------------------------------------------------------------------------
# Dates: normalisation
# ---------------------------------------------------------------------------

_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
             "saturday": 5, "sunday": 6}
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_SEASON_NAME = {"fall": "autumn"}
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "final": 4, "last": 4}
_PARTS = {
    "early": "early", "earlier": "early", "mid": "mid", "middle": "mid", "late": "late",
    "later": "late", "start": "start", "beginning": "start", "end": "end",
    "first half": "first half", "second half": "second half",
}
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                "a few": 3, "few": 3, "several": 3, "a couple of": 2, "a couple": 2, "couple of": 2}
_UNIT_CODE = {"day": "D", "week": "W", "month": "M", "year": "Y", "decade": "Y"}

_M = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_D = r"(3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_Y = r"([12]\d\d\d)"
_WD = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_REL = r"(this|last|next|coming|previous|past)"
_CNT = r"(\d+|a few|a couple of|a couple|couple of|several|few|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_CNT_NC = "(?:" + _CNT[1:]


def _ref_parts(ref: str) -> tuple[int | None, int | None, int | None]:
    """Year, month, day of an ISO reference date ("2025-10-28", "2025-10", "2025", "--10-28")."""
    ref = (ref or "").strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", ref)
    if m:
        return int(m.group(1)), int(m.group(2)) if m.group(2) else None, int(m.group(3)) if m.group(3) else None
    m = re.fullmatch(r"--(\d{2})(?:-(\d{2}))?", ref)
    if m:
        return None, int(m.group(1)), int(m.group(2)) if m.group(2) else None
    return None, None, None


def _iso(y: int | None, m: int | None = None, d: int | None = None) -> str:
    if y is None:
        if m is None:
            return ""
        return f"--{m:02d}" + (f"-{d:02d}" if d else "")
    out = f"{y:04d}"
    if m:
        out += f"-{m:02d}"
        if d:
            out += f"-{d:02d}"
    return out


def _valid(y: int, m: int, d: int) -> bool:
    try:
        _dt.date(y, m, d)
    except ValueError:
        return False
    return True


def _shift_months(y: int, m: int, k: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + k
    return idx // 12, idx % 12 + 1


def resolve_relative(expr: str, ref: str, future: bool | None = None) -> str:
    """ISO value of a relative date expression seen in an article dated ``ref``, or "".

    Implements the anchoring rules of TIMEX3 news tagging (HeidelTime "news"
    domain): "last/this/next year|month|week", "yesterday/today/tomorrow",
    "N units ago", weekdays (most recent such day on or before the article date,
    or the next one when ``future`` is true or the expression says
    "next"/"coming"), seasons ("last summer" = the latest summer already begun
    before the reference season), and "the past N units" (an ISO duration/end
    interval such as ``P1Y/2025-11-15``). Returns "" whenever the reference
    lacks the precision the expression needs (no year: never guessed).
    """
    e = re.sub(r"\s+", " ", fold(expr).strip().lower())
    y, mo, d = _ref_parts(ref)
    if y is None:
        return ""
    # "the past year", "the last two weeks", "past month": a period ending at the reference date.
    m = re.fullmatch(r"(the )?(past|last) (?:" + _CNT_NC + r" )?(day|week|month|year|decade)s?", e)
    if m and (m.group(1) or m.group(2) == "past" or not re.fullmatch(r"last (?:week|month|year|decade)", e)):
        cnt = re.search(r"(?:past|last) (" + _CNT_NC + r") ", e)
        n = 1
        if cnt:
            n = int(cnt.group(1)) if cnt.group(1).isdigit() else _COUNT_WORDS.get(cnt.group(1), 1)
        unit = m.group(3)
        n = n * 10 if unit == "decade" else n
        return f"P{n}{_UNIT_CODE[unit]}/{_iso(y, mo, d)}"
    e = re.sub(r"^the ", "", e).replace("this past ", "last ")
    full = mo is not None and d is not None and _valid(y, mo, d)
    today = _dt.date(y, mo, d) if full else None  # type: ignore[arg-type]

    if e in ("today", "tonight", "this morning", "this afternoon", "this evening", "yesterday",
             "tomorrow", "the day before yesterday", "day before yesterday"):
        if today is None:
            return ""
        shift = {"yesterday": -1, "tomorrow": 1}.get(e, 0)
        if "before yesterday" in e:
            shift = -2
        return (today + _dt.timedelta(days=shift)).isoformat()

    m = re.fullmatch(_REL + r" (week|weekend|month|year|decade|century)", e)
    if m:
        rel, unit = m.groups()
        k = {"last": -1, "previous": -1, "past": -1, "next": 1, "coming": 1}.get(rel, 0)
        if unit == "year":
            return str(y + k)
        if unit == "decade":
            return f"{(y // 10 + k):03d}"
        if unit == "century":
            return f"{(y // 100 + k):02d}"
        if unit == "month":
            if mo is None:
                return ""
            return _iso(*_shift_months(y, mo, k))
        if today is None:
            return ""
        day = today + _dt.timedelta(weeks=k)
        if unit == "weekend" and rel in ("this", "past") and today.weekday() < 5 and k <= 0:
            day = today - _dt.timedelta(days=today.weekday() + 2)  # the weekend just gone
        iy, iw, _ = day.isocalendar()
        return f"{iy}-W{iw:02d}"

    m = re.fullmatch(_CNT + r" (day|week|month|year|decade)s? ago", e)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _COUNT_WORDS[m.group(1)]
        unit = m.group(2)
        if unit in ("year", "decade"):
            return str(y - n * (10 if unit == "decade" else 1))
        if unit == "month":
            if mo is None:
                return ""
            return _iso(*_shift_months(y, mo, -n))
        if today is None:
            return ""
        day = today - _dt.timedelta(days=n * (7 if unit == "week" else 1))
        if unit == "week":
            iy, iw, _ = day.isocalendar()
            return f"{iy}-W{iw:02d}"
        return day.isoformat()

    m = re.fullmatch(r"(?:(last|next|this|coming|past) )?" + _WD + r"(?: (?:morning|afternoon|evening|night))?", e)
    if m:
        if today is None:
            return ""
        rel, wd = m.group(1), _WEEKDAYS[m.group(2)]
        ahead = (wd - today.weekday()) % 7
        behind = (today.weekday() - wd) % 7
        if rel in ("next", "coming") or (future and rel != "last"):
            delta = ahead or 7 if rel in ("next", "coming") else ahead
        elif rel == "last":
            delta = -(behind or 7)
        else:
            delta = -behind
        return (today + _dt.timedelta(days=delta)).isoformat()

    m = re.fullmatch(r"(?:(last|next|this|coming|past) )(spring|summer|autumn|fall|winter)", e)
    if m:
        rel, season = m.groups()
        name = _SEASON_NAME.get(season, season)
        start = _SEASONS[season]
        if rel in ("this", "coming") and rel == "this":
            return f"{y}-{name}"
        if mo is None:
            return "" if rel != "this" else f"{y}-{name}"
        current_start = max((s for s in (3, 6, 9, 12) if s <= mo), default=0)
        if rel in ("last", "past"):
            return f"{y if start < current_start else y - 1}-{name}"
        return f"{y if start > mo else y + 1}-{name}"
    return ""


def _closest_year(mo: int, d: int | None, ref: str, future: bool | None = None) -> int | None:
    """Year that puts month/day closest to the reference date (news convention).

    With a known tense the date is taken on the matching side of the reference:
    ``future=True`` the first such day on or after it, ``False`` the last one on or
    before it ("was held in May" in a November article is the May just gone).
    """
    y, rm, rd = _ref_parts(ref)
    if y is None:
        return None
    if rm is None:
        return y
    ref_day = _dt.date(y, rm, rd or 15)
    best, best_gap = y, None
    for cand in (y - 1, y, y + 1):
        day = d or 15
        if not _valid(cand, mo, day):
            continue
        diff = (_dt.date(cand, mo, day) - ref_day).days
        if d is None and (rd is None or mo == rm):
            diff = 0 if cand == y and mo == rm else diff  # the reference month itself
        if (future is True and diff < 0) or (future is False and diff > 0):
            continue
        if best_gap is None or abs(diff) < best_gap:
            best, best_gap = cand, abs(diff)
    return best


def normalize_date(text: str, ref: str = "", future: bool | None = None) -> tuple[str, dict[str, Any]]:
    """ISO value and annotations for a date expression, following TIMEX3 conventions.

    Returns ``(value, extra)``. Explicit dates keep the precision written
    ("June 2021" -> "2021-06", "October 28" -> "--10-28"; when ``ref`` has a year
    the likely full date is added as ``extra["resolved"]``, never as the value).
    Seasons -> "2021-spring", quarters -> "2024-Q1", decades -> "199", year spans
    -> "2013/2014", parts ("early 2024", "the start of 2025") keep the value of the
    period with ``extra["part"]``. Relative expressions are resolved with
    ``resolve_relative`` when the reference year is known (``extra["relative"]``
    and ``extra["resolved_from"]``), else value "" with ``extra["as_written"]``.
    Unknown expressions give ("", {}).
    """
    s = fold(text).strip().lower()
    s = re.sub(r"\s+", " ", s).strip(" ,.")
    extra: dict[str, Any] = {}
    had_the = s.startswith("the ")
    s = re.sub(r"^the ", "", s)
    m = re.match(_WD + r",? (?=\S)", s)
    if m and not re.fullmatch(_WD + r"(?: (?:morning|afternoon|evening|night))?", s):
        extra["weekday"] = m.group(1)
        s = s[m.end():]

    # Parts of a period: "early 2024", "the start of 2025", "mid-October", "later this year".
    m = re.match(r"(early|earlier|mid|middle|late|later|start|beginning|end|first half|second half)(?:-| of | )(?:the )?", s)
    if m and m.end() < len(s):
        inner, inner_extra = normalize_date(s[m.end():], ref, future)
        if inner or inner_extra:
            if m.group(1) not in ("earlier", "later"):  # "earlier this year": before now, not early in it
                inner_extra["part"] = _PARTS[m.group(1)]
            return inner, inner_extra
    m = re.fullmatch(r"(?:(first|second|third|fourth|final|last) quarter|q([1-4]))(?: of)?(?: " + _Y + r"| (this|last|next) year)?", s)
    if m:
        q = int(m.group(2)) if m.group(2) else _QUARTER_WORDS[m.group(1)]
        if m.group(3):
            return f"{m.group(3)}-Q{q}", extra
        if m.group(4):
            yv = resolve_relative(f"{m.group(4)} year", ref)
            return _relative(f"{yv}-Q{q}" if yv else "", ref, extra)
        yr = _ref_parts(ref)[0]
        extra["quarter"] = q
        return _relative(f"{yr}-Q{q}" if yr else "", ref, extra)

    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
    if m and _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))):
        return s, extra
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", s)
    if m:
        a, b, yv = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if a > 12 and _valid(yv, b, a):
            return _iso(yv, b, a), extra
        if _valid(yv, a, b):
            if b <= 12 and a != b:
                extra["ambiguous_order"] = True  # read month-first, the US convention
            return _iso(yv, a, b), extra
        return "", {}

    m = re.fullmatch(_M + " " + _D + r"(?:,? (?:of )?" + _Y + r"|,? (?:of )?(this|last|next) year)?", s) or \
        re.fullmatch(_D + r" (?:of )?" + _M + r"(?:,? " + _Y + r"|,? (?:of )?(this|last|next) year)?", s)
    if m:
        g = m.groups()
        if g[0].isdigit():
            d, mo = int(g[0]), MONTHS[g[1]]
        else:
            mo, d = MONTHS[g[0]], int(g[1])
        if g[2]:
            yv = int(g[2])
            return (_iso(yv, mo, d), extra) if _valid(yv, mo, d) else ("", {})
        if not _valid(2000, mo, d):  # 2000 is a leap year, so Feb 29 passes
            return "", {}
        if g[3]:
            yr = resolve_relative(f"{g[3]} year", ref)
            if yr:
                return _relative(_iso(int(yr), mo, d), ref, extra)
            extra.update(relative=True, as_written=True)
            return _iso(None, mo, d), extra
        yv2 = _closest_year(mo, d, ref, future)
        if yv2 is not None and _valid(yv2, mo, d):
            extra.update(resolved=_iso(yv2, mo, d), resolved_from=ref)
        return _iso(None, mo, d), extra
    m = re.fullmatch(_M + r",? (?:of )?" + _Y, s)
    if m:
        return _iso(int(m.group(2)), MONTHS[m.group(1)]), extra
    m = re.fullmatch(_M + r",? (?:of )?(this|last|next) year", s)
    if m:
        yr = resolve_relative(f"{m.group(2)} year", ref)
        mo = MONTHS[m.group(1)]
        if yr:
            return _relative(_iso(int(yr), mo), ref, extra)
        extra.update(relative=True, as_written=True)
        return _iso(None, mo), extra
    m = re.fullmatch(r"(last|next|this|coming) " + _M, s)
    if m:
        y, rm, _ = _ref_parts(ref)
        mo = MONTHS[m.group(2)]
        if y is None or rm is None:
            return _relative("", ref, extra)
        if m.group(1) == "last":
            yv = y if mo < rm else y - 1
        elif m.group(1) in ("next", "coming"):
            yv = y if mo > rm else y + 1
        else:
            yv = y
        return _relative(_iso(yv, mo), ref, extra)
    m = re.fullmatch(_M, s)
    if m:
        mo = MONTHS[m.group(1)]
        y, rm, _ = _ref_parts(ref)
        if y is not None:
            extra.update(resolved=_iso(_closest_year(mo, None, ref, future), mo), resolved_from=ref)
        return _iso(None, mo), extra
    m = re.fullmatch(_Y, s)
    if m:
        return s, extra
    m = re.fullmatch(_Y + r"\s*[-–/]\s*(\d{2}|\d{4})", s)
    if m:
        y1 = int(m.group(1))
        y2s = m.group(2)
        y2 = int(y2s) if len(y2s) == 4 else (y1 // 100) * 100 + int(y2s)
        if y1 < y2 <= y1 + 20:
            return f"{y1}/{y2}", extra
        return "", {}
    m = re.fullmatch(r"(?:(early|mid|late)[- ]?)?(1[6-9]\d|20\d)0'?s", s) or re.fullmatch(r"(?:(early|mid|late)[- ]?)?'(\d)0s", s)
    if m:
        if m.group(1):
            extra["part"] = _PARTS[m.group(1)]
        dec = m.group(2)
        if len(dec) == 1:  # '90s: the century is not written
            extra["as_written"] = True
            return "", extra
        return dec, extra
    m = re.fullmatch(r"(spring|summer|autumn|fall|winter),? (?:of )?" + _Y, s)
    if m:
        return f"{m.group(2)}-{_SEASON_NAME.get(m.group(1), m.group(1))}", extra
    if re.fullmatch(r"(?:this|last|next|coming|past) (?:spring|summer|autumn|fall|winter)", s):
        return _relative(resolve_relative(s, ref), ref, extra)
    if re.fullmatch(r"(?:today|tonight|yesterday|tomorrow|(?:the )?day before yesterday|this (?:morning|afternoon|evening))", s):
        return _relative(resolve_relative(s, ref), ref, extra)
    period = re.fullmatch(r"(?:past|last) (?:" + _CNT_NC + r" )?(?:day|week|month|year|decade)s?", s)
    if period and (had_the or s.startswith("past ") or not re.fullmatch(r"last (?:week|month|year|decade)", s)):
        extra["period"] = True
        if re.search(r"few|several|couple", s):
            extra["approx"] = True
        return _relative(resolve_relative("the " + s, ref), ref, extra)
    if re.fullmatch(_REL + r" (?:week|weekend|month|year|decade|century)", s) or re.fullmatch(
            r"this past (?:week|weekend|month|year)", s):
        return _relative(resolve_relative(s, ref), ref, extra)
    if re.fullmatch(_CNT + r" (?:day|week|month|year|decade)s? ago", s):
        if not re.match(r"\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a |an ", s):
            extra["approx"] = True
        return _relative(resolve_relative(s, ref), ref, extra)
    m = re.fullmatch(r"(?:(last|next|this|coming) )?" + _WD + r"(?: (morning|afternoon|evening|night))?", s)
    if m:
        extra["weekday"] = m.group(2)
        if future and m.group(1) != "last":
            extra["future"] = True
        return _relative(resolve_relative(s, ref, future=future), ref, extra)
    return "", {}


def _relative(value: str, ref: str, extra: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    extra["relative"] = True
    if value:
        extra["resolved_from"] = ref
    else:
        extra["as_written"] = True
    return value, extra


def date_sort_key(value: str) -> tuple[int, int, int]:
    """Chronological sort key ``(year, month, day)`` for any value ``normalize_date`` emits.

    Reduced-precision values sort at the start of their period (ISO 8601
    truncation): "2021" -> (2021, 0, 0), "2021-spring" -> (2021, 3, 0),
    "2024-Q2" -> (2024, 4, 0), "2025-W45" -> the Monday of that week, "199" ->
    (1990, 0, 0), spans "2013/2014" and "P1Y/2025-11-15" -> their known end
    point for durations and their start for spans. Values without a year sort
    first, with year 0. Unparseable values give (0, 0, 0).
    """
    v = (value or "").strip()
    if "/" in v:
        a, b = v.split("/", 1)
        v = b if a.startswith("P") else a
    m = re.fullmatch(r"(\d{4})-W(\d{2})", v)
    if m:
        try:
            day = _dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            return (int(m.group(1)), 0, 0)
        return (day.year, day.month, day.day)
    m = re.fullmatch(r"(\d{4})-Q([1-4])", v)
    if m:
        return (int(m.group(1)), 3 * int(m.group(2)) - 2, 0)
    m = re.fullmatch(r"(\d{4})-([a-z]+)", v)
    if m:
        return (int(m.group(1)), _SEASONS.get(m.group(2), 0), 0)
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", v)
    if m:
        return (int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))
    m = re.fullmatch(r"--(\d{2})(?:-(\d{2}))?", v)
    if m:
        return (0, int(m.group(1)), int(m.group(2) or 0))
    if re.fullmatch(r"\d{3}", v):
        return (int(v) * 10, 0, 0)
    if re.fullmatch(r"\d{2}", v):
        return (int(v) * 100, 0, 0)
    return (0, 0, 0)


# ---------------------------------------------------------------------------
# Dates: finding them in text
# ---------------------------------------------------------------------------

_FMON = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
         r"|Jan\.|Jan|Feb\.|Feb|Mar\.|Apr\.|Apr|Jun\.|Jul\.|Aug\.|Aug|Sept\.|Sept|Sep\.|Oct\.|Oct|Nov\.|Nov|Dec\.|Dec)(?![A-Za-z])")
_FDAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d:])"
_FYEAR = r"(?<![\d.,$€£])(?:1[6-9]\d\d|20\d\d)(?![\d%]|[.,]\d|\s*(?:%|percent|per cent))"
#: Years far from now ("in 1538", "until 2245") count only after a temporal preposition.
_FFARYEAR = r"(?<![\d.,$€£])(?:1[0-5]\d\d|2[1-9]\d\d)(?![\d%]|[.,]\d)"
_FAR_YEAR_CONTEXT = re.compile(r"(?i)\b(?:in|since|until|till|by|before|after|from|year|of)\s+$")
_FWD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?![A-Za-z])"
_FSEASON = r"(?i:spring|summer|autumn|fall|winter)"
_FRELYEAR = r"(?i:this|last|next) year"
_FCNT = r"(?i:\d+|a few|a couple of|several|few|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"

_DATE_CORE = "|".join([
    # Monday, Oct. 13, 2023 / October 28 / July 20 next year
    rf"(?:{_FWD},?\s)?{_FMON}\s{_FDAY}(?:,?\s(?:of\s)?{_FYEAR}|,?\s(?:of\s)?{_FRELYEAR})?",
    rf"(?:{_FWD},?\s)?(?:the\s)?{_FDAY}\s(?:of\s)?{_FMON}(?:,?\s{_FYEAR}|\s{_FRELYEAR})?",
    rf"{_FMON},?\s(?:of\s)?(?:{_FYEAR}|{_FRELYEAR})",
    r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])",
    r"(?<![\d/.])\d{1,2}[/.]\d{1,2}[/.]\d{4}(?![\d/])",
    rf"(?i:the\s)?{_FSEASON},?\s(?:of\s)?{_FYEAR}",
    rf"(?i:this|last|next|coming|this past)\s{_FSEASON}",
    rf"{_FYEAR}\s?[-–/]\s?(?:\d{{4}}|\d{{2}})(?![\d%])",
    r"(?i:the\s)?(?:(?i:early|mid|late)[- ]?)?(?:1[6-9]|20)\d0'?s\b",
    r"(?i:the\s)?(?:(?i:early|mid|late)[- ]?)?'\d0s\b",
    rf"(?:Q[1-4]\s{_FYEAR}|(?i:the\s)?(?i:first|second|third|fourth|final)\s(?i:quarter)(?:\s(?i:of)\s(?:{_FYEAR}|{_FRELYEAR}))?)",
    r"(?i:(?:this|last|next|coming|previous)\s(?:week|weekend|month|year|decade)|this\spast\s(?:week|weekend)|the\sweekend)\b",
    r"(?i:the\s)?(?i:past|last)\s(?:(?i:\d+|few|several|couple\sof|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s)?(?i:days|weeks|months|years|decades|day|week|month|year|decade)\b",
    r"\b(?i:yesterday|today|tonight|tomorrow)\b",
    rf"\b{_FCNT}\s(?i:days?|weeks?|months?|years?|decades?)\s(?i:ago)\b",
    rf"(?:(?i:last|next|this|coming)\s)?{_FWD}(?:\s(?i:morning|afternoon|evening|night))?",
    rf"(?i:last|next|this|coming)\s{_FMON}",
    _FMON,
    _FYEAR,
    _FFARYEAR,
])
_DATE_PART = r"(?i:the\s(?:start|beginning|end|middle|first\shalf|second\shalf)\sof\s(?:the\s)?|(?:early|mid|late|earlier|later)[- ](?:in\s)?)"
_DATE_RE = re.compile(rf"(?:{_DATE_PART})?(?:{_DATE_CORE})")
_PART_PREFIX = re.compile(rf"^{_DATE_PART}")
_FYEARSPAN = rf"{_FYEAR}\s?[-–/]\s?(?:\d{{4}}|\d{{2}})"
_DATE_QUALIFIER = re.compile(
    r"(?i)\b(no later than|not later than|no earlier than|not earlier than|as early as|as late as|as of|"
    r"prior to|since|by|until|till|before|after|in|on|from|during|through|throughout|between|starting|"
    r"beginning|around|at|within|over|of)\s+$"
)
_MONTH_CONTEXT = re.compile(r"(?i)\b(?:in|since|by|until|till|before|after|on|from|during|through|of|"
                            r"early|late|mid|last|next|this|and|or|between|to|throughout|until|"
                            r"starting|beginning|end|start|month|,)\s*$")
_TEMPORAL_BEFORE = re.compile(r"(?i)\b(?:in|since|by|until|till|before|after|on|from|during|through|of|"
                              r"early|late|mid|last|next|this|between)\s+$")
_TENSE_FUTURE = frozenset({"will", "shall", "'ll", "wo"})


# ---------------------------------------------------------------------------
# Figures: vocabulary
# ---------------------------------------------------------------------------

_CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP",
                   "gbp": "GBP", "¥": "JPY", "jpy": "JPY", "₹": "INR", "₽": "RUB", "₴": "UAH",
                   "c$": "CAD", "ca$": "CAD", "cad": "CAD", "a$": "AUD", "au$": "AUD", "aud": "AUD",
                   "hk$": "HKD", "nz$": "NZD", "s$": "SGD", "chf": "CHF", "cny": "CNY", "rub": "RUB",
                   "pln": "PLN", "uah": "UAH", "byn": "BYN", "zł": "PLN", "r$": "BRL"}
_CURRENCY_WORDS = {"dollar": "USD", "euro": "EUR", "pound sterling": "GBP", "sterling": "GBP",
                   "yen": "JPY", "yuan": "CNY", "renminbi": "CNY", "rouble": "RUB", "ruble": "RUB",
                   "rupee": "INR", "hryvnia": "UAH", "hryvnias": "UAH", "zloty": "PLN", "zlotys": "PLN",
                   "franc": "CHF", "krona": "SEK", "kronor": "SEK", "krone": "NOK", "lira": "TRY",
                   "real": "BRL", "peso": "MXN", "rand": "ZAR", "won": "KRW", "shekel": "ILS"}
_MEASURES = {
    "km": "km", "kilometre": "km", "kilometer": "km", "kms": "km", "m": "m", "metre": "m", "meter": "m",
    "cm": "cm", "mm": "mm", "mile": "mile", "mi": "mile", "foot": "ft", "feet": "ft", "ft": "ft",
    "inch": "inch", "yard": "yard", "kg": "kg", "kilogram": "kg", "kilogramme": "kg", "gram": "g", "g": "g",
    "tonne": "tonne", "ton": "ton", "t": "tonne", "lb": "lb", "lbs": "lb", "pound": "lb", "ounce": "oz",
    "oz": "oz", "litre": "l", "liter": "l", "l": "l", "gallon": "gallon", "barrel": "barrel",
    "hectare": "ha", "ha": "ha", "acre": "acre", "sq": "sq", "degree": "degree", "°c": "°C", "°f": "°F",
    "mph": "mph", "km/h": "km/h", "kph": "km/h", "mw": "MW", "gw": "GW", "kw": "kW", "kwh": "kWh",
    "min": "minute", "mins": "minute", "twh": "TWh", "gwh": "GWh", "mwh": "MWh", "bcm": "bcm", "mb": "MB", "gb": "GB", "tb": "TB",
}
_PERCENT_WORDS = ("percent", "per cent", "pct", "%", "percentage point", "percentage points")
_QUALIFIERS = (
    "no fewer than", "no more than", "not more than", "not less than", "more than", "less than",
    "fewer than", "greater than", "at least", "at most", "up to", "as many as", "as much as",
    "as few as", "as little as", "close to", "upwards of", "in excess of", "just over", "just under",
    "well over", "nearly", "almost", "about", "around", "approximately", "roughly", "some",
    "over", "under", "below", "above", "an estimated", "estimated", "only", "just", "exactly",
    "a total of", "between", "an additional", "another", "a further", "from", "to",
)
_APPROX = frozenset({"nearly", "almost", "about", "around", "approximately", "roughly", "some",
                     "close to", "an estimated", "estimated", "upwards of"})
_QUALIFIER_RE = re.compile(r"(?i)\b(" + "|".join(re.escape(q) for q in _QUALIFIERS) + r")\s+$")
#: Nouns that turn a following number into a label ("Article 5", "No. 10"), not a quantity.
_LABEL_NOUNS = frozenset(
    ["no", "no.", "nos.", "number", "#", "article", "section", "chapter", "clause", "paragraph", "page", "pages", "resolution", "room", "route", "highway", "interstate", "flight", "title", "amendment", "rule", "level", "phase", "category", "grade", "class", "type", "model", "version", "row", "line", "gate", "platform", "lot", "unit", "block", "building", "floor", "suite", "box", "exit", "bill", "item", "part", "stage", "round", "game", "week", "day", "episode", "season", "volume", "vol.", "issue", "channel", "bus", "train", "tier", "step", "act", "proposition", "prop", "squad", "district", "ward", "precinct", "station", "terminal", "track", "pier", "dock", "zone", "sector", "region", "area", "code", "decree", "order", "protocol", "directive", "regulation", "law", "group", "figure", "table", "appendix", "annex", "point", "case", "file"]
)
_TIME_WORDS = frozenset({"a.m.", "p.m.", "am", "pm", "a.m", "p.m", "gmt", "utc", "cet", "est", "edt",
                         "pst", "pdt", "bst", "msk", "o'clock", "hrs", "h"})
#: Determiners and the like that make "one" a pronoun ("one of", "no one").
_ONE_PRONOUN_BEFORE = frozenset({"no", "the", "this", "that", "any", "every", "each", "someone", "which"})

# ---------------------------------------------------------------------------
# Frames: function words to drop
# ---------------------------------------------------------------------------



def _lemma(tok: Token) -> str:
    """Folded lemma (proper nouns keep their written form, folded)."""
    if tok.pos_ == "PROPN":
        return fold(tok.text)
    return fold(tok.lemma_ or tok.text)


def _content(lem: str) -> bool:
    return bool(lem) and lem not in FRAME_STOPWORDS and any(c.isalnum() for c in lem)


# ---------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------


#: First words of every alternative of the date grammar (``_DATE_RE``), lower case, no final dot.
_DATE_START_WORDS = frozenset(
    [*MONTHS, *_WEEKDAYS, *_SEASONS, *_QUARTER_WORDS, *_COUNT_WORDS, "the", "early", "earlier", "mid",
     "middle", "late", "later", "this", "last", "next", "coming", "previous", "past", "yesterday",
     "today", "tonight", "tomorrow", "q1", "q2", "q3", "q4", "few", "couple"])


#: Telephone numbers: North American "(202) 555-0187" / "202-555-0187", international "+44 20 7946
#: 0958", and a seven-digit local "555-0143" (checked against its context by ``_Ctx``).
_PHONE_RE = re.compile(
    r"(?<![\w.,/$€£-])(?:"
    r"(?:\+\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[.-]\d{4}"
    r"|\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}"
    r"|(?P<local>\d{3}-\d{4})"
    r")(?![\w-]|[.,]\d)")
_PHONE_CUE = re.compile(r"(?i)\b(?:call|calling|dial|phone|telephone|tel|fax|hotline|helpline|text|sms|contact|number|line)\b")
_INNER_START = re.compile(r"(?<=[^\w'‘’])(?=[\w'‘’])|(?<=[a-z])(?=[A-Z])")


def _may_start_date(low: str) -> bool:
    """Can a token with this lower-case text begin a date expression?"""
    return bool(low) and (low[0].isdigit() or low[0] in "'‘’" or low.rstrip(".") in _DATE_START_WORDS
                          or low.startswith(("mid", "early", "late")))


class _Ctx:
    """Per-document state shared by the extraction passes."""

    def __init__(self, text: str, doc: Doc, doc_date: str):
        self.text = text
        self.doc = doc
        self.doc_date = doc_date
        self.n = len(doc)
        # Token index of each character, for span -> token mapping without Span objects.
        self.char_tok: list[int] = [-1] * (len(text) + 1)
        for t in doc:
            for c in range(t.idx, t.idx + len(t.text)):
                self.char_tok[c] = t.i
        self.ent_of: list[str] = [""] * self.n
        for e in doc.ents:
            for i in range(e.start, e.end):
                self.ent_of[i] = e.label_
        self.sent_of: list[int] = [0] * self.n
        self.sents: list[tuple[int, int]] = []
        for k, s in enumerate(doc.sents):
            self.sents.append((s.start, s.end))
            for i in range(s.start, s.end):
                self.sent_of[i] = k
        self.date_tok: dict[int, Mention] = {}
        self.fig_tok: dict[int, int] = {}  # token -> figure number
        # Tokens of telephone numbers and similar codes: digits that neither count nor date.
        self.code_tok: set[int] = set()
        for m in _PHONE_RE.finditer(text):
            if m.group("local") and not (re.match(r"0", m.group("local")[4:]) or _PHONE_CUE.search(
                    text[max(0, m.start() - 40): m.start()])):
                continue  # "500-1000" is a range unless the context says it is a number to call
            self.code_tok.update(self.tokens_in(m.start(), m.end()))
        # Character offsets where a date expression can begin: the date grammar is tried only
        # there (a few percent of tokens) instead of at every character of the text.
        self.date_starts: list[int] = []
        for t in doc:
            low = t.lower_
            if _may_start_date(low):
                self.date_starts.append(t.idx)
            if len(low) > 3 and not t.is_digit and not (t.is_alpha and (t.is_lower or t.is_title or t.is_upper)):
                # Inside a token: "post-2020", "x=2016-02-15", a dateline glued by scraping ("WordsFeb 20").
                self.date_starts.extend(t.idx + m.start() for m in _INNER_START.finditer(t.text)
                                        if _may_start_date(t.text[m.start():].lower().split("-")[0]))

    def tokens_in(self, start: int, end: int) -> list[int]:
        out: list[int] = []
        for c in range(start, end):
            i = self.char_tok[c]
            if i >= 0 and (not out or out[-1] != i):
                out.append(i)
        return out


def _root(doc: Doc, idxs: list[int]) -> Token:
    """The token of a span whose head lies outside it (the first such)."""
    sset = set(idxs)
    for i in idxs:
        t = doc[i]
        if t.head.i not in sset or t.head.i == t.i:
            return t
    return doc[idxs[0]]


# --- frames -----------------------------------------------------------------

_MOD_DEPS = frozenset({"compound", "amod", "nmod", "poss", "flat", "nummod_x"})
_SUBJ = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl_x"})
_OBJ = frozenset({"dobj", "attr", "oprd", "dative", "acomp", "obj", "iobj"})


def _phrase(tok: Token, excl: set[int], depth: int = 1) -> list[Token]:
    """A noun phrase's content tokens: the head, its modifiers and (one level of) prepositional objects."""
    if tok.i in excl:
        return []
    out = [tok]
    for c in tok.children:
        if c.i in excl:
            continue
        if c.dep_ in _MOD_DEPS:
            out.extend(_phrase(c, excl, 0))
        elif c.dep_ == "prep" and depth > 0:
            for p in c.children:
                if p.dep_ in ("pobj", "pcomp") and p.i not in excl:
                    out.extend(_phrase(p, excl, depth - 1))
    return out


def _prep_roles(tok: Token, excl: set[int], prefix: str) -> list[tuple[str, list[Token]]]:
    roles: list[tuple[str, list[Token]]] = []
    for c in tok.children:
        if c.i in excl:
            continue
        if c.dep_ in _MOD_DEPS:
            roles.append((f"{prefix}mod", _phrase(c, excl, 0)))
        elif c.dep_ in ("prep", "agent"):
            for p in c.children:
                if p.dep_ in ("pobj", "pcomp") and p.i not in excl:
                    roles.append((f"{prefix}prep:{c.lower_}", _phrase(p, excl, 1)))
    return roles


def _governor(tok: Token) -> tuple[Token | None, list[Token]]:
    """Climb from ``tok`` to its governing verb; also return the nouns passed on the way."""
    chain: list[Token] = []
    t = tok
    for _ in range(8):
        if t.head.i == t.i:
            return (t if t.pos_ in ("VERB", "AUX") and t.i != tok.i else None), chain
        t = t.head
        if t.pos_ in ("VERB", "AUX"):
            return t, chain
        if (t.pos_ in ("NOUN", "PROPN", "ADJ") and t.dep_ != "ROOT") or t.pos_ in ("NOUN", "PROPN"):
            chain.append(t)
    return None, chain


def _verb_roles(v: Token, excl: set[int]) -> list[tuple[str, list[Token]]]:
    """Arguments of a verb, then of the clause it depends on (controller, reporting verb)."""
    roles: list[tuple[str, list[Token]]] = [("verb", [v])]
    has_subj = False
    for c in v.children:
        if c.i in excl:
            continue
        d = c.dep_
        if d in _SUBJ:
            roles.append(("subj", _phrase(c, excl)))
            has_subj = True
        elif d in _OBJ:
            roles.append(("obj", _phrase(c, excl)))
        elif d in ("prep", "agent"):
            name = "by" if d == "agent" else c.lower_
            for p in c.children:
                if p.dep_ in ("pobj", "pcomp") and p.i not in excl:
                    roles.append((f"prep:{name}", _phrase(p, excl)))
        elif d == "npadvmod":
            roles.append(("tmod", _phrase(c, excl, 0)))
        elif d == "prt":
            roles.append(("prt", [c]))
        elif d in ("xcomp", "ccomp") and c.pos_ in ("VERB", "AUX"):
            roles.append(("comp", [c]))
            for cc in c.children:
                if cc.dep_ in _OBJ and cc.i not in excl:
                    roles.append(("comp_obj", _phrase(cc, excl, 0)))
    h = v.head
    if v.dep_ in ("xcomp", "conj", "advcl", "ccomp", "pcomp") and h.i != v.i:
        if h.pos_ in ("VERB", "AUX"):
            if not has_subj:
                for c in h.children:
                    if c.dep_ in _SUBJ and c.i not in excl:
                        roles.append(("subj", _phrase(c, excl)))
            roles.append(("pverb", [h]))
            if has_subj:
                for c in h.children:
                    if c.dep_ in _SUBJ and c.i not in excl:
                        roles.append(("psubj", _phrase(c, excl, 0)))
        elif h.pos_ == "ADP":
            g, _ = _governor(h)
            if g is not None:
                roles.append(("pverb", [g]))
    elif v.dep_ in ("relcl", "acl") and h.i != v.i:
        roles.append(("head", _phrase(h, excl, 0)))
    return roles


def _frame_words(ctx: _Ctx, roles: list[tuple[str, list[Token]]], own: set[int]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for _role, toks in roles:
        for t in toks:
            if t.i in own or t.i in ctx.fig_tok:
                continue
            words: list[str] = []
            dm = ctx.date_tok.get(t.i)
            if dm is not None and re.match(r"\d{4}", dm.value):
                words.append(dm.value[:4])  # "last year" binds as the year it means
            if t.like_num and dm is None:
                continue
            words.append(_lemma(t))
            for w in words:
                if _content(w) and w not in seen:
                    seen.add(w)
                    out.append(w)
    return out


# --- dates --------------------------------------------------------------------


def _tense(v: Token | None) -> str:
    """"future", "past", "present" or "" for the clause headed by ``v``.

    Future: a future auxiliary or an infinitive of intent ("plans to meet"). Past: a
    past tense or a perfect ("was held", "has sent"). Present: simple present, which in
    news often schedules an event ("is crowned on Saturday") but may also describe a
    state ("is up from 37 percent in January").
    """
    if v is None:
        return ""
    auxes = [c for c in v.children if c.dep_ in ("aux", "auxpass")]
    if any(c.lower_ in _TENSE_FUTURE for c in auxes):
        return "future"
    if any(c.lemma_ == "have" or c.tag_ == "VBD" for c in auxes) or (v.tag_ == "VBD" and not auxes):
        return "past"
    if v.tag_ == "VB" and any(c.lower_ == "to" for c in v.children):
        return "future"
    if v.tag_ in ("VBZ", "VBP") or (v.tag_ in ("VBN", "VBG") and any(c.tag_ in ("VBZ", "VBP") for c in auxes)):
        return "present"
    return ""


def _direction(ctx: _Ctx, toks: list[int], gov: Token | None, span_text: str) -> bool | None:
    """Which side of the article date a date written without its year lies on, if known.

    A weekday follows the clause's tense, present included (TimeML news practice:
    "meets on Monday" is the coming Monday). A month or day takes the tense of its verb
    only when it is that verb's time adjunct ("was held in May"); attached to a noun
    ("the June 7 primary") or as an object ("set March 25 as the date") it says nothing
    about the verb's time, and the closest year is used.
    """
    tense = _tense(gov)
    r = _root(ctx.doc, toks)
    if (r.dep_ == "pobj" and r.head.lower_ == "for" and tense != "past") or (
            r.head.lower_ == "for" and r.head.head.tag_ == "VBN" and r.head.head.dep_ in ("acl", "amod")):
        return True  # "a rally slated for Wednesday", "talks planned for March 3"
    if re.search(_FWD, span_text):
        return True if tense in ("future", "present") else (False if tense == "past" else None)
    if gov is None or tense in ("present", ""):
        return None
    adjunct = (r.dep_ in ("npadvmod", "advmod", "tmod", "obl") and r.head.i == gov.i) or (
        r.dep_ == "pobj" and r.head.dep_ == "prep" and r.head.head.i == gov.i)
    if not adjunct:
        return None
    return tense == "future"


def _keep_date(ctx: _Ctx, s: int, e: int) -> tuple[int, bool]:
    """Filter a grammar match by its context; returns the (possibly widened) start and a verdict."""
    text = ctx.text
    span_text = text[s:e]
    toks = ctx.tokens_in(s, e)
    if not toks:
        return s, False
    # Inside a name: "USA Today", "Sunday Times", "April Ryan".
    labels = {ctx.ent_of[i] for i in toks}
    if labels and labels <= _NAME_KINDS and "" not in labels:
        return s, False
    low = span_text.lower()
    before = text[max(0, s - 30): s]
    core = _PART_PREFIX.sub("", span_text)
    if re.fullmatch(_FMON, core) and core == span_text:
        # A bare month name only after a temporal word or in a list ("in May", "May and June"),
        # and not before a capitalised word ("June Carter").
        if not _MONTH_CONTEXT.search(before):
            return s, False
        if re.match(r"\s+[A-Z][a-z]", text[e:e + 3]) and not re.match(r"\s+(?:and|or)\b", text[e:]):
            return s, False
        if ctx.doc[toks[0]].pos_ in ("VERB", "AUX"):
            return s, False  # "may", "march"
        if core.lower() == "march" and re.match(r"\s+(?:on|for|against|to)\s", text[e:e + 10]) and \
                not _TEMPORAL_BEFORE.search(before):
            return s, False  # "a March on Washington", "March for Our Lives"
    # "the past year" / "the last two weeks" are periods ending at the article date (kept, with
    # the article); after "the", "next month" / "coming year" are durations; "last year" is a date.
    the_before = re.search(r"(?i)\bthe\s+$", before)
    if re.match(r"(?i)(?:past|last)\s", low):
        if the_before:
            s -= len(the_before.group(0))
        elif low.startswith("past") or re.match(rf"(?i)last\s{_FCNT}\s", low):
            return s, False  # "past years", "last two years" without an article
    elif re.match(r"(?i)(?:this|next|coming|previous)\s", low) and the_before:
        return s, False
    if re.fullmatch(_FFARYEAR, core) and not _FAR_YEAR_CONTEXT.search(before):
        return s, False
    if (re.fullmatch(_FYEAR, core) or re.fullmatch(_FFARYEAR, core) or re.fullmatch(_FYEARSPAN, core)) \
            and not _year_ok(ctx, toks):
        return s, False
    return s, True


def _extract_dates(ctx: _Ctx) -> list[Mention]:
    text, doc = ctx.text, ctx.doc
    out: list[Mention] = []
    covered = 0
    for pos in ctx.date_starts:
        if pos < covered:
            continue  # inside the previous match: matches do not overlap (as with finditer)
        match = _DATE_RE.match(text, pos)
        if match is None:
            continue
        covered = match.end()
        s, ok = _keep_date(ctx, *match.span())
        if not ok:
            continue
        e = match.end()
        span_text = text[s:e]
        toks = ctx.tokens_in(s, e)
        gov, _chain = _governor(_root(doc, toks))
        value, extra = normalize_date(span_text, ctx.doc_date, future=_direction(ctx, toks, gov, span_text))
        if not value and not extra:
            continue
        before = text[max(0, s - 30): s]
        qual = ""
        qm = _DATE_QUALIFIER.search(before)
        if qm:
            q = qm.group(1).lower()
            if q != "of" and (q != "over" or extra.get("period")):
                qual = q
                extra["qualifier_start"] = max(0, s - 30) + qm.start(1)
        if _is_dateline(text, s, e):
            extra["dateline"] = True
        m = Mention(kind="DATE", start=s, end=e, text=span_text, value=value, qualifier=qual, extra=extra)
        out.append(m)
        for i in toks:
            ctx.date_tok[i] = m
    return out


def _year_ok(ctx: _Ctx, toks: list[int]) -> bool:
    """A bare 4-digit number is a year unless it counts something ("2000 soldiers", "$2024")."""
    t = ctx.doc[toks[0]]
    nxt = ctx.doc[t.i + 1] if t.i + 1 < ctx.n else None
    prev = ctx.doc[t.i - 1] if t.i > 0 else None
    determined = prev is not None and (prev.tag_ in ("DT", "PRP$", "POS") or prev.lower_ in ("'s", "’s"))
    if t.dep_ == "nummod" and t.head.i > t.i and t.head.tag_ in ("NNS", "NNPS") and not determined:
        return False  # "2000 soldiers" counts; "the 2019 reforms", "its 2023 targets" are dated
    if nxt is not None and (nxt.lower_ in _SCALES or fold(nxt.lower_) in _MEASURES or nxt.lower_ in _PERCENT_WORDS):
        return False
    if prev is not None and (prev.lower_ in _CURRENCY_SIGNS or prev.lower_ in ("no.", "#", "number")):
        return False
    if prev is not None and prev.lower_ in _LABEL_NOUNS and prev.lower_ not in ("season", "class", "week", "day"):
        return False
    labels = {ctx.ent_of[i] for i in toks}
    return not (labels & {"ORG", "PRODUCT", "FAC", "WORK_OF_ART", "PERSON", "MONEY", "QUANTITY", "PERCENT"}) or "" in labels


def _is_dateline(text: str, s: int, e: int) -> bool:
    """Does the date open a paragraph as a dateline ("October 28, Outlet." / "MINSK, May 3 -")?"""
    line_start = text.rfind("\n", 0, s) + 1
    head = text[line_start:s]
    tail = text[e: e + 60]
    if head.strip() == "":
        return bool(re.match(r",?\s*(?:\d{4},?\s*)?(?:[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*){0,4}\s*)?[.:—–-]\s", tail))
    return bool(re.fullmatch(r"[A-Z][A-Z .'-]{1,40},\s*", head)) and bool(re.match(r"\s*(?:,\s*\d{4})?\s*[—–:-]", tail))


def _date_frames(ctx: _Ctx, dates: list[Mention]) -> None:
    doc = ctx.doc
    for m in dates:
        toks = ctx.tokens_in(m.start, m.end)
        own = set(toks)
        root = _root(doc, toks)
        if m.extra.get("dateline"):
            k = ctx.sent_of[root.i]
            roles: list[tuple[str, list[Token]]] = []
            # The dateline's sentence, or the next one when the dateline is a sentence of its own.
            for j in (k, k + 1):
                if j >= len(ctx.sents):
                    break
                sroot = next((doc[i] for i in range(*ctx.sents[j]) if doc[i].dep_ == "ROOT" and doc[i].i not in own), None)
                if sroot is not None and sroot.pos_ in ("VERB", "AUX"):
                    roles = _verb_roles(sroot, own)
                    break
            m.frame = _frame_words(ctx, roles, own)
            continue
        gov, chain = _governor(root)
        roles = []
        if root.dep_ in ("compound", "nummod", "amod", "nmod", "poss") and root.head.pos_ in ("NOUN", "PROPN"):
            roles.append(("head", _phrase(root.head, own, 0)))
        roles.extend(("chain", _phrase(c, own, 0)) for c in chain[:2])
        if gov is not None:
            roles.extend(_verb_roles(gov, own))
        m.frame = _frame_words(ctx, roles, own)


# --- figures ------------------------------------------------------------------


_NUMTOK_RE = re.compile(r"\d(?:[\d,.\u00a0\u202f]*\d)?")
_NUMSUFFIX_RE = re.compile(r"(\d(?:[\d,.]*\d)?)(k|m|mn|mln|bn|bln|b|tn|trn)", re.I)


def _num_kind(t: Token) -> str:
    """'d' digits, 'w' number word, 's' scale word, 'v' vague plural, 'x' digits+magnitude,
    'f' fraction word, '' none."""
    low = t.lower_
    if _NUMTOK_RE.fullmatch(t.text):
        return "d"
    if _NUMSUFFIX_RE.fullmatch(t.text):
        return "x"
    if low in _UNITS or low in _TENS:
        return "w"
    if low in _SCALES or low == "dozen":
        return "s"
    if low in _VAGUE:
        return "v"
    if low in _FRACTIONS:
        return "f"
    return ""


class _Fig:
    """A figure under construction (token indices into the Doc)."""

    __slots__ = ("antecedent", "end", "extra", "gap_subj", "hi_text", "idx", "noun", "num_text",
                 "owned_preps", "qualifier", "qualifier_start", "roles", "root", "scale", "start",
                 "tokens", "unit", "value")

    def __init__(self, tokens: list[int]) -> None:
        self.tokens = tokens
        self.root: Token | None = None
        self.noun: Token | None = None
        self.unit = ""
        self.value = ""
        self.qualifier = ""
        self.qualifier_start = -1
        self.extra: dict[str, Any] = {}
        self.antecedent: _Fig | None = None
        self.gap_subj: list[int] = []
        self.roles: list[tuple[str, list[Token]]] = []
        self.owned_preps: list[Token] = []
        self.start = self.end = self.idx = 0
        self.num_text = self.hi_text = ""
        self.scale = 1.0


def _group_numbers(ctx: _Ctx) -> list[list[int]]:
    """Runs of tokens forming one written number ("1.5 million", "two hundred and fifty",
    "a dozen", "tens of thousands", "two-thirds")."""
    doc, n = ctx.doc, ctx.n
    groups: list[list[int]] = []
    i = 0
    while i < n:
        t = doc[i]
        k = _num_kind(t)
        if k == "f" and not (t.lower_ == "half" and i + 1 < n and doc[i + 1].lower_ in ("of", "the")):
            k = ""  # "third" alone is an ordinal; "half of" is a fraction
        if i in ctx.date_tok or not k:
            nk = _num_kind(doc[i + 1]) if i + 1 < n else ""
            if t.lower_ in ("a", "an") and i + 1 not in ctx.date_tok and (
                    nk == "s" or (nk == "f" and i + 2 < n and doc[i + 2].lower_ == "of")):
                k = "a"
            else:
                i += 1
                continue
        if k == "f":
            groups.append([i])
            i += 1
            continue
        g = [i]
        j = i + 1
        prev_kind = k
        while j < n and j not in ctx.date_tok:
            u = doc[j]
            uk = _num_kind(u)
            nxt = doc[j + 1] if j + 1 < n else None
            if (uk == "s" and prev_kind in ("d", "w", "s", "a", "v")) or (uk == "w" and prev_kind in ("w", "s") and not (prev_kind == "w" and doc[j - 1].lower_ in _UNITS)):
                pass
            elif u.text in ("-", "‐") and prev_kind == "w" and nxt is not None and (
                    (nxt.lower_ in _UNITS and doc[j - 1].lower_ in _TENS) or _num_kind(nxt) == "f"):
                pass  # "twenty-five", "two-thirds"
            elif u.lower_ == "and" and doc[j - 1].lower_ == "hundred" and nxt is not None and _num_kind(nxt) == "w":
                pass
            elif uk == "f" and prev_kind in ("w", "a") and (
                    u.lower_.endswith("s") or prev_kind == "a" or (nxt is not None and nxt.lower_ == "of")):
                g.append(j)
                j += 1
                break  # a fraction closes the number
            elif u.lower_ == "of" and prev_kind == "v" and nxt is not None and nxt.lower_ in _VAGUE:
                pass  # "tens of thousands"
            elif not (uk == "v" and prev_kind == "v" and doc[j - 1].lower_ == "of"):
                break
            g.append(j)
            prev_kind = uk or prev_kind
            j += 1
        groups.append(g)
        i = j
    return groups


def _thousands_dot_context(fig: _Fig) -> bool:
    """Is "N.ddd" a thousands separator here?

    Rule: the integer part has 1-3 digits and exactly three digits follow the
    dot (checked by the caller), no currency, percent or measure unit is attached,
    and the number counts discrete things: its noun is a plural count noun, or it
    is an elliptical remnant of such a count. Copy edited by writers used to the
    continental style writes "10.970 attempts" for 10,970; a count of discrete
    things cannot have three decimals, while "1.415 km" or "$3.125" can.
    """
    if fig.extra.get("currency") or fig.unit in ("percent", "percentage point", "fraction") or \
            fig.extra.get("measure") or fig.scale != 1.0:
        return False
    n = fig.noun
    if n is not None:
        return n.tag_ in ("NNS", "NNPS") and fold(n.lemma_) not in _MEASURES
    a = fig.antecedent
    return a is not None and a.noun is not None and a.noun.tag_ in ("NNS", "NNPS") and not a.extra.get("currency")


def _not_a_quantity(ctx: _Ctx, g: list[int], kinds: list[str]) -> bool:
    """Number phrases that name or time something rather than count it."""
    doc = ctx.doc
    first, last = doc[g[0]], doc[g[-1]]
    labels = {ctx.ent_of[i] for i in g}
    nxt = doc[last.i + 1] if last.i + 1 < ctx.n else None
    score = nxt is not None and nxt.text in ("-", "–") and not last.whitespace_ and last.i + 2 < ctx.n \
        and re.fullmatch(r"\d{1,2}", last.text) is not None and re.fullmatch(r"\d{1,2}", doc[last.i + 2].text) is not None
    if labels & ENTITY_KINDS and "" not in labels and not score:
        return True  # inside a name: "Boeing 737", "Group of Seven" (a score "Burnley 3-1" is no name)
    if len(g) == 1 and first.lower_ == "one":
        before = doc[first.i - 1].lower_ if first.i > 0 else ""
        if before in _ONE_PRONOUN_BEFORE or first.dep_ != "nummod":
            return True  # "one of the few", "no one"
    if len(g) == 1 and kinds[0] == "s" and first.lower_ != "dozen":
        return True  # a bare "million" without a count
    prev = doc[first.i - 1] if first.i > 0 else None
    nxt = doc[last.i + 1] if last.i + 1 < ctx.n else None
    if len(g) == 1 and first.lower_ == "one" and prev is not None and prev.lower_ == "at" and \
            nxt is not None and nxt.lower_ in ("time", "point", "stage"):
        return True  # "at one time": an idiom for "once"
    if first.lower_ == "zero" and nxt is not None and nxt.text in ("-", "‐"):
        return True  # "zero-emission", "zero-sum": a compound adjective
    # "the Gang of Eight", "Group of Seven": a capitalised number word closing a name.
    if "d" not in kinds and first.text[:1].isupper() and prev is not None and prev.lower_ == "of" and \
            prev.i > 0 and doc[prev.i - 1].text[:1].isupper() and not doc[prev.i - 1].is_sent_start:
        return True
    modifies_next = last.dep_ == "nummod" and last.head.i > last.i
    # After a label noun it names something: "Article 5", "No. 1", "season two".
    if prev is not None and (prev.lower_ in _LABEL_NOUNS or prev.text == "#" or (
            prev.text == "." and prev.i > 0 and doc[prev.i - 1].lower_ == "no")) and (
            not (prev.i > 0 and doc[prev.i - 1].lower_ in ("a", "an", "per"))
            and not (modifies_next and "d" not in kinds)):
        return True
    # A capitalised number word inside a name or title: "the Dirty Dozen", "“Ten Years to …”".
    if "d" not in kinds and first.text[:1].isupper() and not first.is_sent_start and prev is not None and (
            (prev.text[:1].isupper() and prev.pos_ in ("PROPN", "ADJ", "NOUN"))
            or (prev.text in ("“", '"', "‘") and nxt is not None and nxt.text[:1].isupper())):
        return True
    # Right after a name it is part of the name ("Apollo 11", "ChatGPT 4"), unless the name is a
    # place heading a list remnant ("…, Latvia 5,000").
    if "d" in kinds and prev is not None and prev.pos_ == "PROPN" and prev.whitespace_ and \
            prev.ent_type_ not in ("GPE", "NORP", "LOC") and not modifies_next and not (
            nxt is not None and nxt.text in ("-", "–") and last.i + 2 < ctx.n and doc[last.i + 2].like_num):
        return True  # ("Clemson 45-40" is a score, not a name)
    # Clock times: "10:30", "3 p.m.".
    if nxt is not None and (nxt.lower_ in _TIME_WORDS or (
            nxt.text == ":" and nxt.i + 1 < ctx.n and doc[nxt.i + 1].like_num)):
        return True
    return first.tag_ == "JJ" and first.lower_ not in _VAGUE


def _attach_prefix(ctx: _Ctx, f: _Fig) -> None:
    """A currency sign before the number: "$35", "US$5", "€3bn"."""
    doc = ctx.doc
    j = f.tokens[0] - 1
    if j < 0:
        return
    sign = fold(doc[j].lower_)
    if sign not in _CURRENCY_SIGNS or not (doc[j].whitespace_ == "" or len(sign) > 1):
        return
    f.extra["currency"] = _CURRENCY_SIGNS[sign]
    f.tokens.insert(0, j)
    if j > 0 and doc[j - 1].whitespace_ == "":
        joined = fold(doc[j - 1].text + doc[j].text).lower()
        if joined in _CURRENCY_SIGNS:
            f.extra["currency"] = _CURRENCY_SIGNS[joined]
            f.tokens.insert(0, j - 1)


def _attach_suffix(ctx: _Ctx, f: _Fig) -> int:
    """Magnitude, percent, currency word or measure unit after the number; returns the next index."""
    doc = ctx.doc
    k = f.tokens[-1] + 1
    while k < ctx.n:
        u = doc[k]
        low = fold(u.lower_)
        nxt = doc[k + 1].lower_ if k + 1 < ctx.n else ""
        if low in ("%", "percent", "pct") or (low == "per" and nxt == "cent"):
            f.unit = "percent"
            f.tokens.extend(range(k, k + (2 if low == "per" else 1)))
            return f.tokens[-1] + 1
        if low == "percentage" and nxt in ("point", "points"):
            f.unit = "percentage point"
            f.tokens.extend((k, k + 1))
            return k + 2
        bare = low.rstrip(".")
        if (bare in _SUFFIX_SCALES and bare not in ("m", "b", "k")) or (
                bare in ("m", "b", "k") and f.extra.get("currency")):
            f.scale = _SUFFIX_SCALES[bare]
            f.tokens.append(k)
            k += 1
            continue
        lem = fold(u.lemma_.lower())
        cur = _CURRENCY_WORDS.get(lem) or _CURRENCY_WORDS.get(low)
        if cur and not f.extra.get("currency"):
            f.extra["currency"] = cur
            f.tokens.append(k)
            return k + 1
        unit = _MEASURES.get(low) or _MEASURES.get(lem)
        if unit and not f.extra.get("currency") and u.pos_ in ("NOUN", "PROPN", "X", "SYM"):
            if k > 0 and doc[k - 1].lower_ in ("square", "sq"):
                unit = "sq " + unit
            f.unit = unit
            f.extra["measure"] = True
            f.tokens.append(k)
            return k + 1
        if low in ("square", "sq") and nxt and (_MEASURES.get(nxt) or _MEASURES.get(fold(doc[k + 1].lemma_.lower()))):
            f.tokens.append(k)
            k += 1
            continue
        return k
    return k


def _build_figure(ctx: _Ctx, g: list[int], kinds: list[str]) -> _Fig:
    doc, text = ctx.doc, ctx.text
    first, last = doc[g[0]], doc[g[-1]]
    f = _Fig(list(g))
    f.num_text = text[first.idx: last.idx + len(last.text)]
    _attach_prefix(ctx, f)
    k = _attach_suffix(ctx, f)
    if f.extra.get("currency"):
        f.unit = f.extra["currency"]
    elif "f" in kinds and not f.unit:
        f.unit = "fraction"
    elif not f.unit and g[0] > 0 and doc[g[0] - 1].lower_ == "magnitude":
        f.unit = "magnitude"  # "a magnitude 5.9 earthquake": the scale is named before the number
    start = doc[f.tokens[0]].idx
    rep = -1
    qm = _QUALIFIER_RE.search(text[max(0, start - 25): start])
    q = qm.group(1).lower() if qm else ""
    # Range: "10-15", "10 to 15", "between 300 and 400" (the upper end is read with the same
    # scale and unit, which may be written after it only: "10 to 15 percent", "1.5 to 2 million").
    sep = doc[k].lower_ if k < ctx.n else ""
    if k + 1 < ctx.n and k + 1 not in ctx.date_tok and (
            (sep in ("-", "–") and kinds[-1] == "d" and _num_kind(doc[k + 1]) == "d" and not doc[k].whitespace_)
            or (sep == "to" and kinds[-1] in "dw" and _num_kind(doc[k + 1]) in ("d", "w"))
            or (sep == "and" and q == "between" and _num_kind(doc[k + 1]) in ("d", "w"))):
        f.tokens.extend((k, k + 1))
        j = k + 2
        while j < ctx.n and _num_kind(doc[j]) == "s" and doc[j].lower_ != "dozen":
            f.tokens.append(j)  # "1.5 to 2 million": the magnitude after the upper end
            j += 1
        f.hi_text = text[doc[k + 1].idx: doc[j - 1].idx + len(doc[j - 1].text)]
        if j < ctx.n and f.unit and ((f.unit == "percent" and doc[j].lower_ in ("%", "percent", "pct"))
                                     or _MEASURES.get(fold(doc[j].lower_)) == f.unit):
            rep = j  # "4% to 41%": the unit repeated after the upper end (in the span only)
        if not f.unit and f.scale == 1.0 and not f.extra.get("currency"):
            _attach_suffix(ctx, f)
    f.tokens.sort()
    f.start = start
    f.end = doc[f.tokens[-1]].idx + len(doc[f.tokens[-1]].text.rstrip(".") if doc[f.tokens[-1]].lower_ in ("m.", "b.", "k.") else doc[f.tokens[-1]].text)
    if rep >= 0:
        f.end = doc[rep].idx + len(doc[rep].text)
    if qm and (q not in ("from", "to", "between") or f.hi_text):
        f.qualifier = q
        f.qualifier_start = max(0, start - 25) + qm.start(1)
        if q in _APPROX:
            f.extra["approx"] = True
    if any(doc[i].lower_ in _VAGUE for i in g):
        f.extra.update(approx=True, vague=True)
    f.root = _root(doc, [i for i in f.tokens if doc[i].text not in ("-", "–", "to")])
    return f


def _extract_figures(ctx: _Ctx) -> list[_Fig]:
    figs: list[_Fig] = []
    taken: set[int] = set()
    for g in _group_numbers(ctx):
        if taken.intersection(g) or ctx.code_tok.intersection(g):
            continue  # the upper end of a range already read; a telephone number
        kinds = [_num_kind(ctx.doc[i]) for i in g]
        if _not_a_quantity(ctx, g, kinds):
            continue
        f = _build_figure(ctx, g, kinds)
        f.idx = len(figs)
        figs.append(f)
        taken.update(f.tokens)
        for i in f.tokens:
            ctx.fig_tok[i] = f.idx
    return figs


def _counted_noun(ctx: _Ctx, f: _Fig) -> Token | None:
    """The noun a figure counts, from the dependency parse."""
    r = f.root
    assert r is not None
    toks = set(f.tokens)
    h = r.head
    if r.dep_ in ("nummod", "quantmod", "compound", "amod", "nmod", "advmod", "npadvmod") and \
            h.pos_ in ("NOUN", "PROPN") and h.i > r.i and h.i not in toks and h.i not in ctx.date_tok:
        return h
    if not f.unit and h.lower_ in _COUNT_FILLERS and h.i == max(toks) + 1 and h.head.pos_ in ("NOUN", "PROPN") \
            and h.head.i > h.i and h.head.i not in ctx.date_tok:
        f.extra["more"] = h.lower_  # "nine million more workers": the workers are counted
        return h.head
    for c in r.children:
        if c.dep_ == "prep" and c.lower_ == "of":
            for p in c.children:
                if (p.dep_ == "pobj" and p.pos_ in ("NOUN", "PROPN")
                        and p.i not in ctx.fig_tok and not f.unit):
                    return p
    if r.pos_ == "NOUN" and r.lower_ in _VAGUE:
        return None
    return None


#: Words between a number and its noun that do not change what is counted ("9 million more workers").
_COUNT_FILLERS = frozenset({"more", "fewer", "less", "additional", "extra", "other", "further", "new"})
#: Prepositions after which a bare number restates the quantity just given ("up from 9,870").
_COMPARE_PREPS = frozenset({"from", "than", "with", "to"})


def _is_age(ctx: _Ctx, f: _Fig) -> bool:
    """"The suspect, 34, was …" / "Jane Doe, 61,": a bare whole number set off by commas
    right after a person or a singular noun is that person's age (news style)."""
    doc = ctx.doc
    r = f.root
    assert r is not None
    if len(f.tokens) != 1 or f.unit or r.dep_ != "appos" or not re.fullmatch(r"\d{1,3}", r.text):
        return False
    i, j = f.tokens[0] - 1, f.tokens[0] + 1
    if i < 1 or j >= ctx.n or doc[i].text != "," or doc[j].text not in (",", ".", ";", ")"):
        return False
    h = r.head
    return 0 < int(r.text) <= 120 and (h.ent_type_ == "PERSON" or (h.pos_ in ("NOUN", "PROPN") and h.tag_ in ("NN", "NNP")))


def _analyse_figures(ctx: _Ctx, figs: list[_Fig]) -> None:
    doc = ctx.doc
    noun_owner: dict[int, _Fig] = {}  # counted noun -> first figure counting it
    in_sent: dict[int, list[_Fig]] = {}  # sentence -> its figures analysed so far
    for f in figs:
        r = f.root
        assert r is not None
        sent_figs = in_sent.setdefault(ctx.sent_of[f.tokens[0]], [])
        f.noun = _counted_noun(ctx, f)
        if f.noun is None and _is_age(ctx, f):
            f.unit = "year"
            f.extra["age"] = True
        # Elliptical remnant: "…, 5,200 via Latvia" (appos/conj of another figure or of its noun).
        elif f.noun is None and r.dep_ in ("appos", "conj", "npadvmod", "dep") and r.head.i != r.i:
            h = r.head
            hops = 0
            while h.i in ctx.fig_tok and hops < 6:
                a = figs[ctx.fig_tok[h.i]]
                if a.noun is not None or a.antecedent is not None:
                    f.antecedent = a
                    break
                h = h.head
                hops += 1
            if f.antecedent is None and h.pos_ in ("NOUN", "PROPN"):
                owner = noun_owner.get(h.i)
                if owner is not None:
                    f.antecedent = owner
                elif h.i not in ctx.fig_tok and r.dep_ == "appos" and h.pos_ == "NOUN":
                    f.noun = h  # "the attempts – 28,164 –": the number restates its noun
            if f.antecedent is None and f.noun is None and not f.unit and sent_figs and sent_figs[-1].unit and (
                    sent_figs[-1].noun is not None or sent_figs[-1].antecedent is not None):
                # "2,310 attempts in A, 10.970 in B": hung on the place name by the parser,
                # the remnant still repeats the preceding count of the same sentence.
                f.antecedent = sent_figs[-1]
        # Comparison remnant: "12,431 people crossed, up from 9,870": the quantity just given.
        elif f.noun is None and not f.unit and r.dep_ == "pobj" and r.head.lower_ in _COMPARE_PREPS and sent_figs:
            a = sent_figs[-1]
            if a.unit:
                f.antecedent = a
        # Gapping: "X reported 10 attempts and Y, 14" / "…, Y 14": a name right before the number.
        gap = _gapped_subject(ctx, f)
        if gap:
            prev = [g for g in sent_figs if g.tokens[-1] < gap[0]]
            if prev:
                f.gap_subj = gap
                if f.antecedent is None or f.antecedent.idx < prev[-1].idx:
                    f.antecedent = prev[-1]
        a = f.antecedent
        # Unit: explicit unit, else the counted noun, else the antecedent's.
        if not f.unit:
            if f.noun is not None:
                f.unit = _unit_of(f.noun)
            elif a is not None and a.unit:
                f.unit = a.unit
                f.extra["unit_inherited"] = True
                if a.extra.get("currency"):
                    f.extra["currency"] = a.extra["currency"]
        if f.unit in ("other", "more") and f.noun is not None:
            prev = [g for g in sent_figs if g.noun is not None and g.unit not in ("other", "more", "")]
            if prev:
                f.unit = prev[-1].unit
                f.extra["unit_inherited"] = True
        # Age: "22 years old", "a 22-year-old".
        if f.unit == "year" and f.noun is not None:
            after = doc[f.noun.i + 1: f.noun.i + 3]
            if any(t.lower_ == "old" for t in after):
                f.extra["age"] = True
        # "per year", "a gallon".
        for c in r.children:
            if c.dep_ == "prep" and c.lower_ == "per":
                p = next((p for p in c.children if p.dep_ == "pobj"), None)
                if p is not None:
                    f.extra["per"] = _lemma(p)
        _figure_value(f)
        if f.noun is not None:
            noun_owner.setdefault(f.noun.i, f)
        sent_figs.append(f)


def _figure_value(f: _Fig) -> None:
    """Numeric value (and range) of a figure, applying the thousands-dot rule."""
    dotted = bool(re.fullmatch(r"\d{1,3}\.\d{3}", f.num_text))
    tdot = dotted and _thousands_dot_context(f)
    if tdot:
        f.extra["thousands_dot"] = True
    elif dotted:
        f.extra["ambiguous_dot"] = True
    v = parse_number(f.num_text, thousands_dot=tdot)
    if v is None:
        return
    v *= f.scale
    hv = parse_number(f.hi_text, thousands_dot=tdot) if f.hi_text else None
    if hv is None:
        f.value = format_number(v)
        return
    hv *= f.scale
    hi_words = f.hi_text.split()
    if len(hi_words) > 1 and not any(w.lower() in _SCALES for w in f.num_text.split()):
        base = parse_number(hi_words[0], thousands_dot=tdot)
        if base:
            v *= hv / (base * f.scale)  # the magnitude written once, after the upper end
    f.value = f"{format_number(v)}-{format_number(hv)}"
    if hv > v:
        f.extra.update(low=v, high=hv, range=True)
    else:
        f.extra["pair"] = True  # a score or a vote: "5-4"


def _unit_of(noun: Token) -> str:
    lem = fold(noun.lemma_.lower() if noun.pos_ != "PROPN" else noun.text.lower())
    if lem in _MEASURES:
        return _MEASURES[lem]
    if lem in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[lem]
    return lem


def _gapped_subject(ctx: _Ctx, f: _Fig) -> list[int]:
    """Tokens of "Y" in "…, and Y, 14" / "…, Y 14": a name between a coordinator and the number."""
    doc = ctx.doc
    i = f.tokens[0] - 1
    if f.qualifier:
        return []
    if i >= 0 and doc[i].text == ",":
        i -= 1
    end = i
    while i >= 0 and (doc[i].pos_ == "PROPN" or (ctx.ent_of[i] and ctx.ent_of[i] in ENTITY_KINDS)):
        i -= 1
    if end - i < 1 or end - i > 5:
        return []
    if i < 0 or not (doc[i].lower_ in ("and", "while", "whereas", "but", ",", ";") or doc[i].text in (",", ";")):
        return []
    return list(range(i + 1, end + 1))


def _adjacent_preps(ctx: _Ctx, f: _Fig) -> list[Token]:
    """The prepositional phrase written right after a figure (or after its noun) belongs to it.

    In lists ("28,668 via A, 5,200 via B and 914 via C") the parser often hangs the
    last phrase on the first noun; linear adjacency is the more reliable cue there.
    """
    doc = ctx.doc
    last = max(f.tokens)
    if f.noun is not None and f.noun.i == last + 1:
        last = f.noun.i
    k = last + 1
    if (k < ctx.n and doc[k].pos_ == "ADP" and doc[k].dep_ in ("prep", "agent")
            and doc[k].lower_ not in ("of", "than")
            and any(c.dep_ == "pobj" for c in doc[k].children)):
        return [doc[k]]
    return []


def _figure_frames(ctx: _Ctx, figs: list[_Fig]) -> None:
    fig_toks = set(ctx.fig_tok)
    for f in figs:
        f.owned_preps = _adjacent_preps(ctx, f)
    for f in figs:
        r = f.root
        assert r is not None
        own = set(f.tokens)
        others_preps = {p.i for g in figs if g is not f for p in g.owned_preps}
        excl = fig_toks | own | set(f.gap_subj) | others_preps
        roles: list[tuple[str, list[Token]]] = []
        if f.gap_subj:
            roles.append(("subj", [ctx.doc[i] for i in f.gap_subj]))
        anchor = f.noun if f.noun is not None else r
        if f.noun is not None:
            roles.append(("noun", [f.noun]))
        for p in f.owned_preps:
            if p.head.i not in (anchor.i, r.i):
                for o in p.children:
                    if o.dep_ == "pobj" and o.i not in excl:
                        roles.append((f"nprep:{p.lower_}", _phrase(o, excl, 1)))
        roles.extend(_prep_roles(anchor, excl, "n"))
        if anchor is not r:
            roles.extend(_prep_roles(r, excl, "n"))
        # Clauses on the noun ("63 others injured in clashes", "rings that were broken up").
        for c in anchor.children:
            if c.dep_ in ("acl", "relcl") and c.i not in excl:
                roles.extend(("nverb" if role == "verb" else f"n{role}", toks)
                             for role, toks in _verb_roles(c, excl | {anchor.i}) if role not in ("head",))
        if f.antecedent is not None:
            a = f.antecedent
            mine = {role for role, _ in roles}
            # The remnant replaces the antecedent's argument of the same preposition ("in B" for "in A").
            mine_preps = {role.split(":", 1)[1] for role in mine if ":" in role}
            roles.extend((role, toks) for role, toks in a.roles if role not in mine and role != "noun"
                         and not (":" in role and role.split(":", 1)[1] in mine_preps))
            if a.noun is not None and f.noun is None:
                roles.insert(0, ("noun", [a.noun]))
        else:
            gov, chain = _governor(anchor)
            roles.extend(("chain", _phrase(c, excl, 0)) for c in chain[:2])
            if gov is not None:
                roles.extend(_verb_roles(gov, excl))
        f.roles = roles
        words = _frame_words(ctx, roles, own)
        if f.extra.get("age"):
            words += [w for w in ("age", "old") if w not in words]  # what an age answers
        f.extra["_frame"] = words


# --- entities ---------------------------------------------------------------


def _clean_entity(text: str, start: int) -> tuple[int, int]:
    """Offsets of the entity without a leading article or a possessive ending."""
    s, e = 0, len(text)
    m = re.match(r"(?i)the\s+", text)
    if m and m.end() < e:
        s = m.end()
    m = re.search(r"(?:['’]s|['’])$", text[s:e])
    if m and e - len(m.group(0)) > s:
        e -= len(m.group(0))
    while e > s and text[e - 1] in " \t\n.,;:\"“”'‘’)-–—":
        e -= 1
    while s < e and text[s] in " \t\n\"“”'‘’(":
        s += 1
    return start + s, start + e


def _extract_entities(ctx: _Ctx) -> list[Mention]:
    doc = ctx.doc
    out: list[Mention] = []
    for ent in doc.ents:
        if ent.label_ not in ENTITY_KINDS:
            continue
        s, e = _clean_entity(ent.text, ent.start_char)
        if e <= s:
            continue
        toks = list(range(ent.start, ent.end))
        own = set(toks)
        root = ent.root
        roles: list[tuple[str, list[Token]]] = []
        if root.dep_ in ("compound", "poss", "amod", "nmod") and root.head.i not in own:
            roles.append(("head", _phrase(root.head, own, 0)))
        elif root.dep_ == "pobj" and root.head.head.i != root.head.i and root.head.head.pos_ in ("NOUN", "PROPN"):
            roles.append(("head", _phrase(root.head.head, own, 0)))
        gov, chain = _governor(root)
        roles.extend(("chain", _phrase(c, own, 0)) for c in chain[:1])
        if gov is not None:
            roles.extend(_verb_roles(gov, own))
        label = ent.label_
        value = " ".join(ctx.text[s:e].split())
        out.append(Mention(kind=label, start=s, end=e, text=ctx.text[s:e], value=value,
                           frame=_frame_words(ctx, roles, own)))
    return out


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


def _extract_ordinals(ctx: _Ctx) -> list[Mention]:
    """Ordinals that rank a noun ("his seventh term", "the 11th win"), kind ``ORDINAL``.

    Kept apart from figures: "third" in "the third quarter" or "finished third" counts
    nothing. Adverbs ("first proposed") and ordinals inside dates are skipped.
    """
    doc = ctx.doc
    out: list[Mention] = []
    for ent in doc.ents:
        if ent.label_ != "ORDINAL" or any(i in ctx.date_tok for i in range(ent.start, ent.end)):
            continue
        root = ent.root
        if root.pos_ not in ("ADJ", "NUM", "NOUN"):
            continue
        s, e = _clean_entity(ent.text, ent.start_char)
        v = ordinal_value(ctx.text[s:e])
        if v is None:
            continue
        own = set(range(ent.start, ent.end))
        roles: list[tuple[str, list[Token]]] = []
        if root.dep_ in ("amod", "nummod", "compound") and root.head.i not in own:
            roles.append(("head", _phrase(root.head, own, 1)))
        gov, chain = _governor(root)
        roles.extend(("chain", _phrase(c, own, 0)) for c in chain[:1])
        if gov is not None:
            roles.extend(_verb_roles(gov, own))
        out.append(Mention(kind="ORDINAL", start=s, end=e, text=ctx.text[s:e], value=str(v),
                           unit=_unit_of(root.head) if root.head.i not in own and root.head.pos_ == "NOUN" else "",
                           frame=_frame_words(ctx, roles, own)))
    return out


# --- public -----------------------------------------------------------------


def extract_mentions(text: str, doc: Doc, doc_date: str = "") -> list[Mention]:
    """All DATE, FIGURE and named-entity mentions of ``text`` with their frames, in text order.

    ``doc`` is ``assistant.nlp.parse(text)`` (same character offsets). ``doc_date``
    is the article's ISO date as far as known; it anchors relative dates only
    when it has a year. For every mention ``text[m.start:m.end] == m.text``.
    Figure spans hold the number with its currency sign, magnitude and
    percent/measure unit ("$35 billion", "20.5 percent"); the qualifier and the
    counted noun are outside the span (``extra["qualifier_start"]`` gives the
    offset where the qualifier begins).
    """
    if doc.text != text:
        raise ValueError("doc must be parse(text): offsets would not map back")
    ctx = _Ctx(text, doc, doc_date)
    dates = _extract_dates(ctx)
    figs = _extract_figures(ctx)
    _analyse_figures(ctx, figs)
    _figure_frames(ctx, figs)
    _date_frames(ctx, dates)
    out: list[Mention] = list(dates)
    for f in figs:
        if not f.value:
            continue
        extra = {k: v for k, v in f.extra.items() if not k.startswith("_")}
        if f.qualifier_start >= 0:
            extra["qualifier_start"] = f.qualifier_start
        out.append(Mention(kind="FIGURE", start=f.start, end=f.end, text=text[f.start:f.end],
                           value=f.value, unit=f.unit, qualifier=f.qualifier,
                           frame=f.extra.get("_frame", []), extra=extra))
    out.extend(_extract_entities(ctx))
    out.extend(_extract_ordinals(ctx))
    out.sort(key=lambda m: (m.start, m.end))
    return out


def figures_equal(a: Mention, b: Mention) -> bool:
    """Do two figure mentions state the same quantity (equal value, compatible unit)?

    Units are compatible when equal or when one is unstated (a remnant or a bare
    number); values compare numerically, ranges as written.
    """
    if a.kind != "FIGURE" or b.kind != "FIGURE":
        return False
    if a.unit and b.unit and a.unit != b.unit:
        return False
    if a.value == b.value:
        return True
    try:
        va, vb = float(a.value), float(b.value)
    except ValueError:
        return False
    return math.isclose(va, vb, rel_tol=1e-9, abs_tol=1e-12)


def mention_dicts(mentions: Iterable[Mention]) -> list[dict[str, Any]]:
    """Plain dicts for storage (JSON) of a document's mentions."""
    return [
        {"kind": m.kind, "start": m.start, "end": m.end, "text": m.text, "value": m.value,
         "unit": m.unit, "qualifier": m.qualifier, "frame": list(m.frame), "extra": dict(m.extra)}
        for m in mentions
    ]
