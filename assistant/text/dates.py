"""Calendar words and how dates are shown: one table each of month names, weekdays,
seasons and quarter words for every stage (metadata, mentions, answers), and the
reader's form of a stored date. Reading date expressions is ``assistant.text.datetimes``."""

from __future__ import annotations

import calendar

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
