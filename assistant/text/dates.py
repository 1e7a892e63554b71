"""Calendar words and stored dates: one table each of month names, weekdays, seasons
and quarter words for every stage (metadata, mentions, answers), the reader's form of a
stored date, and the order of stored date values (``date_sort_key``). Reading date
expressions is ``assistant.text.datetimes``."""

from __future__ import annotations

import calendar
import datetime as _dt
import re

#: Month names and their usual abbreviations (lower case) -> month number.
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}
#: Weekday names -> ``datetime.date.weekday()`` numbers (Monday is 0).
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
            "saturday": 5, "sunday": 6}
#: Seasons -> the month they start in (northern-hemisphere meteorological seasons).
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
#: The one name a season is stored under when it has two ("fall" is stored as "autumn").
SEASON_NAME = {"fall": "autumn"}
#: Quarter words -> quarter number ("the final quarter" is the fourth).
QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "final": 4, "last": 4}


def show_date(date: str) -> str:
    """An ISO date as stored (``2025-10-28``, ``2025-10``, ``--10-28``) for a reader.

    A day without a year stays without one: we say so rather than guess it.
    """
    if not date:
        return ""
    if date.startswith("--"):
        try:
            m, d = int(date[2:4]), int(date[5:7])
            return f"{calendar.month_name[m]} {d}, year not stated"
        except (ValueError, IndexError):
            return date
    return date


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
        return (int(m.group(1)), SEASONS.get(m.group(2), 0), 0)
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
