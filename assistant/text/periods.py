"""The period a question asks about ("this week", "last month", "recently"), read
against the date it is asked on. Pure: no corpus, no model."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from assistant.text.datetimes import resolve_relative

#: "Recently", "lately", "in recent days": the last this-many days up to the asked date.
#: A rule of thumb for news ("recent" news is weeks old, not months).
RECENT_DAYS = 30

_RELATIVE = re.compile(
    r"\b(?:(?:the )?(?:past|last) (?:few |two |three |\d+ )?(?:days?|weeks?|months?|years?)"
    r"|(?:this|last|previous|past) (?:week|weekend|month|year)"
    r"|today|tonight|yesterday|this (?:morning|afternoon|evening))\b", re.I)
_RECENT = re.compile(r"\b(?:recently|lately|in recent (?:days|weeks)|so far this)\b", re.I)


@dataclass(frozen=True)
class Period:
    """A span of days a question is about, both ends inclusive (ISO dates)."""

    label: str  # as the question says it: "this week"
    start: str
    end: str

    def contains(self, date: str) -> bool:
        """``date`` (ISO, full or partial) lies in the period; a partial date (a month, a
        year) counts when it overlaps it."""
        lo, hi = _span(date)
        return bool(lo) and lo <= self.end and hi >= self.start


def _span(value: str) -> tuple[str, str]:
    """First and last day of an ISO value: a day, a month, a year, an ISO week, or a
    duration ending at a date (``P7D/2024-06-16``). ("", "") when unreadable."""
    m = re.fullmatch(r"P(\d+)([DWMY])/(\d{4}-\d{2}-\d{2})", value)
    if m:
        n, unit, end = int(m.group(1)), m.group(2), dt.date.fromisoformat(m.group(3))
        days = {"D": 1, "W": 7, "M": 30, "Y": 365}[unit] * n
        return (end - dt.timedelta(days=days - 1)).isoformat(), end.isoformat()
    m = re.fullmatch(r"(\d{4})-W(\d{2})", value)
    if m:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return monday.isoformat(), (monday + dt.timedelta(days=6)).isoformat()
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    if not m:
        return "", ""
    y = int(m.group(1))
    if m.group(3):
        return value, value
    if m.group(2):
        mo = int(m.group(2))
        return f"{y:04d}-{mo:02d}-01", f"{y:04d}-{mo:02d}-{calendar.monthrange(y, mo)[1]:02d}"
    return f"{y:04d}-01-01", f"{y:04d}-12-31"


def asked_period(question: str, asked_on: str) -> Period | None:
    """The period ``question`` asks about, read against ``asked_on`` (ISO date), or None
    when it names none. The first relative expression wins."""
    m = _RELATIVE.search(question)
    if m:
        label = m.group(0).lower()
        lo, hi = _span(resolve_relative(label, asked_on))
        if lo:
            # A week or month still running ends on the asked date, not after it.
            return Period(label, lo, min(hi, asked_on))
    m = _RECENT.search(question)
    if m:
        end = dt.date.fromisoformat(asked_on)
        return Period(m.group(0).lower(), (end - dt.timedelta(days=RECENT_DAYS - 1)).isoformat(), asked_on)
    return None


def as_iso_date(value: str | dt.date | None) -> str:
    """The asked-on date as ISO ``YYYY-MM-DD``: today for None, a date as it is, a string
    checked. Raises ``ConfigError`` for anything else."""
    from assistant.errors import ConfigError

    if value is None:
        return dt.date.today().isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise ConfigError(f"cannot read the asked-on date {value!r}", fix="give it as YYYY-MM-DD") from None


def covered(period: Period, dates: list[str]) -> bool:
    """Whether any of ``dates`` (sorted ISO dates, full or partial) falls in ``period``."""
    import bisect

    i = bisect.bisect_left(dates, period.start[:4])
    for d in dates[i:]:
        if d[:10] > period.end:
            break
        if period.contains(d):
            return True
    return False
