"""Reading date expressions: ISO values for what a text or a question writes.

Pure string functions (no spaCy), used at ingest by the date mentions and at
question time to read "this week", "last year" and the like. The rules follow
TIMEX3 news tagging (HeidelTime "news" mode; Strötgen & Gertz 2010): values use
ISO 8601 with reduced precision (``2021-06``, ``2021``, ``--10-28`` for a day
without a year, ``199`` for a decade, ``2025-W45`` for a week,
``P1Y/2025-11-15`` for "the past year"), plus ``2021-spring`` for seasons and
``2024-Q1`` for quarters. Relative expressions are resolved against a reference
date only when its year is known; a year is never invented.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, NamedTuple

from assistant.text.dates import MONTHS, QUARTER_WORDS, SEASON_NAME, SEASONS, WEEKDAYS
from assistant.text.folding import fold

#: Parts of a period as written -> the part stored in ``extra["part"]``.
_PARTS = {
    "early": "early", "earlier": "early", "mid": "mid", "middle": "mid", "late": "late",
    "later": "late", "start": "start", "beginning": "start", "end": "end",
    "first half": "first half", "second half": "second half",
}
#: Counts written before a time unit ("two weeks ago", "the past few years"); the vague ones
#: ("a few", "several") take a fixed value and the date is marked ``approx``.
COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
               "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
               "a few": 3, "few": 3, "several": 3, "a couple of": 2, "a couple": 2, "couple of": 2}
#: ISO 8601 duration designators of the time units (a decade is written as ten years).
_UNIT_CODE = {"day": "D", "week": "W", "month": "M", "year": "Y", "decade": "Y"}

#: Regular-expression pieces of the normaliser (lower-case input): month, day, year, weekday,
#: relative word, count (``_CNT_NC`` is the same count without a capturing group).
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
            n = int(cnt.group(1)) if cnt.group(1).isdigit() else COUNT_WORDS.get(cnt.group(1), 1)
        unit = m.group(3)
        n = n * 10 if unit == "decade" else n
        return f"P{n}{_UNIT_CODE[unit]}/{_iso(y, mo, d)}"
    e = re.sub(r"^the ", "", e).replace("this past ", "last ")
    full = mo is not None and d is not None and _valid(y, mo, d)
    at = _Anchor(y, mo, _dt.date(y, mo, d) if full else None, future)  # type: ignore[arg-type]
    for read in _ANCHORED:
        got = read(e, at)
        if got is not None:
            return got
    return ""


class _Anchor(NamedTuple):
    """The reference a relative expression is read against: its year, its month and its
    day (None: not that precise), and whether the article speaks of the future."""

    y: int
    mo: int | None
    today: _dt.date | None
    future: bool | None


def _same_day(e: str, at: _Anchor) -> str | None:
    """"today", "tonight", "this morning", "yesterday", "the day before yesterday"."""
    if e not in ("today", "tonight", "this morning", "this afternoon", "this evening", "yesterday",
                 "tomorrow", "the day before yesterday", "day before yesterday"):
        return None
    if at.today is None:
        return ""
    shift = {"yesterday": -1, "tomorrow": 1}.get(e, 0)
    if "before yesterday" in e:
        shift = -2
    return (at.today + _dt.timedelta(days=shift)).isoformat()


def _unit(e: str, at: _Anchor) -> str | None:
    """"last year", "this month", "next week", "this past weekend", "the coming decade"."""
    m = re.fullmatch(_REL + r" (week|weekend|month|year|decade|century)", e)
    if not m:
        return None
    rel, unit = m.groups()
    k = {"last": -1, "previous": -1, "past": -1, "next": 1, "coming": 1}.get(rel, 0)
    if unit == "year":
        return str(at.y + k)
    if unit == "decade":
        return f"{(at.y // 10 + k):03d}"
    if unit == "century":
        return f"{(at.y // 100 + k):02d}"
    if unit == "month":
        return "" if at.mo is None else _iso(*_shift_months(at.y, at.mo, k))
    today = at.today
    if today is None:
        return ""
    day = today + _dt.timedelta(weeks=k)
    if unit == "weekend" and rel in ("this", "past") and today.weekday() < 5 and k <= 0:
        day = today - _dt.timedelta(days=today.weekday() + 2)  # the weekend just gone
    iy, iw, _ = day.isocalendar()
    return f"{iy}-W{iw:02d}"


def _ago(e: str, at: _Anchor) -> str | None:
    """"three years ago", "a few weeks ago", "two days ago"."""
    m = re.fullmatch(_CNT + r" (day|week|month|year|decade)s? ago", e)
    if not m:
        return None
    n = int(m.group(1)) if m.group(1).isdigit() else COUNT_WORDS[m.group(1)]
    unit = m.group(2)
    if unit in ("year", "decade"):
        return str(at.y - n * (10 if unit == "decade" else 1))
    if unit == "month":
        return "" if at.mo is None else _iso(*_shift_months(at.y, at.mo, -n))
    if at.today is None:
        return ""
    day = at.today - _dt.timedelta(days=n * (7 if unit == "week" else 1))
    if unit == "week":
        iy, iw, _ = day.isocalendar()
        return f"{iy}-W{iw:02d}"
    return day.isoformat()


def _weekday(e: str, at: _Anchor) -> str | None:
    """"Monday" (the latest on or before the reference, or the next one when the article
    speaks of the future), "last Friday", "next Tuesday evening"."""
    m = re.fullmatch(r"(?:(last|next|this|coming|past) )?" + _WD + r"(?: (?:morning|afternoon|evening|night))?", e)
    if not m:
        return None
    if at.today is None:
        return ""
    rel, wd = m.group(1), WEEKDAYS[m.group(2)]
    ahead = (wd - at.today.weekday()) % 7
    behind = (at.today.weekday() - wd) % 7
    if rel in ("next", "coming") or (at.future and rel != "last"):
        delta = ahead or 7 if rel in ("next", "coming") else ahead
    elif rel == "last":
        delta = -(behind or 7)
    else:
        delta = -behind
    return (at.today + _dt.timedelta(days=delta)).isoformat()


def _season(e: str, at: _Anchor) -> str | None:
    """"last summer" (the latest summer begun before the reference season), "this fall"."""
    m = re.fullmatch(r"(?:(last|next|this|coming|past) )(spring|summer|autumn|fall|winter)", e)
    if not m:
        return None
    rel, season = m.groups()
    name = SEASON_NAME.get(season, season)
    start = SEASONS[season]
    if rel == "this":
        return f"{at.y}-{name}"
    if at.mo is None:
        return ""
    current_start = max((s for s in (3, 6, 9, 12) if s <= at.mo), default=0)
    if rel in ("last", "past"):
        return f"{at.y if start < current_start else at.y - 1}-{name}"
    return f"{at.y if start > at.mo else at.y + 1}-{name}"


#: ``resolve_relative``'s readers of anchored expressions, in the order they are tried.
_ANCHORED = (_same_day, _unit, _ago, _weekday, _season)


#: Day assumed for a month written without one ("in May") when measuring its distance from the
#: reference date: the middle of the month. Origin of the choice not recorded.
_MID_MONTH_DAY = 15
#: Longest span, in years, that "Y1-Y2" / "Y1/Y2" is read as a year range ("2013-14"); a wider
#: pair is not a date. Origin of the value not recorded.
_MAX_YEAR_SPAN = 20


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
    ref_day = _dt.date(y, rm, rd or _MID_MONTH_DAY)
    best, best_gap = y, None
    for cand in (y - 1, y, y + 1):
        day = d or _MID_MONTH_DAY
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


_Read = tuple[str, dict[str, Any]]


class _Expr(NamedTuple):
    """A date expression being read: folded, lower case, without "the" and a weekday."""

    s: str
    ref: str
    future: bool | None
    had_the: bool


def normalize_date(text: str, ref: str = "", future: bool | None = None) -> _Read:
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
    e = _Expr(s, ref, future, had_the)
    for read in _READERS:
        got = read(e, extra)
        if got is not None:
            return got
    return "", {}


def _quarter(e: _Expr, extra: dict[str, Any]) -> _Read | None:
    """"Q1 2024", "the first quarter", "the final quarter of last year"."""
    m = re.fullmatch(r"(?:(first|second|third|fourth|final|last) quarter|q([1-4]))(?: of)?(?: " + _Y
                     + r"| (this|last|next) year)?", e.s)
    if not m:
        return None
    q = int(m.group(2)) if m.group(2) else QUARTER_WORDS[m.group(1)]
    if m.group(3):
        return f"{m.group(3)}-Q{q}", extra
    if m.group(4):
        yv = resolve_relative(f"{m.group(4)} year", e.ref)
        return _relative(f"{yv}-Q{q}" if yv else "", e.ref, extra)
    yr = _ref_parts(e.ref)[0]
    extra["quarter"] = q
    return _relative(f"{yr}-Q{q}" if yr else "", e.ref, extra)


def _numeric(e: _Expr, extra: dict[str, Any]) -> _Read | None:
    """"2025-10-28", and "10/28/2025" or "28.10.2025" (month first when both could be)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", e.s)
    if m and _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))):
        return e.s, extra
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", e.s)
    if not m:
        return None
    a, b, yv = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if a > 12 and _valid(yv, b, a):
        return _iso(yv, b, a), extra
    if _valid(yv, a, b):
        if b <= 12 and a != b:
            extra["ambiguous_order"] = True  # read month-first, the US convention
        return _iso(yv, a, b), extra
    return "", {}


def _month_day(e: _Expr, extra: dict[str, Any]) -> _Read | None:
    """"October 28", "28 October 2025", "October 28 of last year"."""
    m = re.fullmatch(_M + " " + _D + r"(?:,? (?:of )?" + _Y + r"|,? (?:of )?(this|last|next) year)?", e.s) or \
        re.fullmatch(_D + r" (?:of )?" + _M + r"(?:,? " + _Y + r"|,? (?:of )?(this|last|next) year)?", e.s)
    if not m:
        return None
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
        yr = resolve_relative(f"{g[3]} year", e.ref)
        if yr:
            return _relative(_iso(int(yr), mo, d), e.ref, extra)
        extra.update(relative=True, as_written=True)
        return _iso(None, mo, d), extra
    yv2 = _closest_year(mo, d, e.ref, e.future)
    if yv2 is not None and _valid(yv2, mo, d):
        extra.update(resolved=_iso(yv2, mo, d), resolved_from=e.ref)
    return _iso(None, mo, d), extra


def _month(e: _Expr, extra: dict[str, Any]) -> _Read | None:
    """"June 2021", "June of this year", "last June", "June"."""
    m = re.fullmatch(_M + r",? (?:of )?" + _Y, e.s)
    if m:
        return _iso(int(m.group(2)), MONTHS[m.group(1)]), extra
    m = re.fullmatch(_M + r",? (?:of )?(this|last|next) year", e.s)
    if m:
        yr = resolve_relative(f"{m.group(2)} year", e.ref)
        mo = MONTHS[m.group(1)]
        if yr:
            return _relative(_iso(int(yr), mo), e.ref, extra)
        extra.update(relative=True, as_written=True)
        return _iso(None, mo), extra
    m = re.fullmatch(r"(last|next|this|coming) " + _M, e.s)
    if m:
        y, rm, _ = _ref_parts(e.ref)
        mo = MONTHS[m.group(2)]
        if y is None or rm is None:
            return _relative("", e.ref, extra)
        if m.group(1) == "last":
            yv = y if mo < rm else y - 1
        elif m.group(1) in ("next", "coming"):
            yv = y if mo > rm else y + 1
        else:
            yv = y
        return _relative(_iso(yv, mo), e.ref, extra)
    m = re.fullmatch(_M, e.s)
    if not m:
        return None
    mo = MONTHS[m.group(1)]
    y, rm, _ = _ref_parts(e.ref)
    if y is not None:
        extra.update(resolved=_iso(_closest_year(mo, None, e.ref, e.future), mo), resolved_from=e.ref)
    return _iso(None, mo), extra


def _years(e: _Expr, extra: dict[str, Any]) -> _Read | None:
    """"2024", "2013-14", "the 1990s", "the late '90s", "spring 2021"."""
    s = e.s
    if re.fullmatch(_Y, s):
        return s, extra
    m = re.fullmatch(_Y + r"\s*[-–/]\s*(\d{2}|\d{4})", s)
    if m:
        y1 = int(m.group(1))
        y2s = m.group(2)
        y2 = int(y2s) if len(y2s) == 4 else (y1 // 100) * 100 + int(y2s)
        if y1 < y2 <= y1 + _MAX_YEAR_SPAN:
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
        return f"{m.group(2)}-{SEASON_NAME.get(m.group(1), m.group(1))}", extra
    return None


def _relative_words(e: _Expr, extra: dict[str, Any]) -> _Read | None:
    """"last summer", "yesterday", "the past two weeks", "next month", "three years ago",
    "on Monday": resolved against ``ref`` when its year is known."""
    s, ref = e.s, e.ref
    if re.fullmatch(r"(?:this|last|next|coming|past) (?:spring|summer|autumn|fall|winter)", s):
        return _relative(resolve_relative(s, ref), ref, extra)
    if re.fullmatch(r"(?:today|tonight|yesterday|tomorrow|(?:the )?day before yesterday|this (?:morning|afternoon|evening))", s):
        return _relative(resolve_relative(s, ref), ref, extra)
    period = re.fullmatch(r"(?:past|last) (?:" + _CNT_NC + r" )?(?:day|week|month|year|decade)s?", s)
    if period and (e.had_the or s.startswith("past ") or not re.fullmatch(r"last (?:week|month|year|decade)", s)):
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
    if not m:
        return None
    extra["weekday"] = m.group(2)
    if e.future and m.group(1) != "last":
        extra["future"] = True
    return _relative(resolve_relative(s, ref, future=e.future), ref, extra)


#: ``normalize_date``'s readers, in the order they are tried; the first that knows the
#: expression's form gives its value ("" and no annotations: of that form, but invalid).
_READERS = (_quarter, _numeric, _month_day, _month, _years, _relative_words)


def _relative(value: str, ref: str, extra: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    extra["relative"] = True
    if value:
        extra["resolved_from"] = ref
    else:
        extra["as_written"] = True
    return value, extra


def date_named(text: str) -> str:
    """``text`` when it is a date expression as a whole ("October 28", "spring 2021",
    "the past year", "Monday", "2000"), else "". A month written in lower case ("may",
    "march") is the verb more often than the month, and is none."""
    value, extra = normalize_date(text)
    if not (value or extra):
        return ""
    return "" if text.islower() and value.startswith("--") and " " not in text.strip() else text
