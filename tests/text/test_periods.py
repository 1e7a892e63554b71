"""The period a question asks about, read against the date it is asked."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.errors import ConfigError
from assistant.text.periods import Period, as_iso_date, asked_period, covered


@pytest.mark.parametrize(("question", "label", "start", "end"), [
    ("What did the minister say this week?", "this week", "2024-06-10", "2024-06-13"),
    ("Who won yesterday?", "yesterday", "2024-06-12", "2024-06-12"),
    ("How many died last month?", "last month", "2024-05-01", "2024-05-31"),
    ("What happened in the past two weeks?", "the past two weeks", "2024-05-31", "2024-06-13"),
    ("Who resigned recently?", "recently", "2024-05-15", "2024-06-13"),
    ("What changed this year?", "this year", "2024-01-01", "2024-06-13"),
])
def test_relative_periods_are_read_against_the_asked_date(question, label, start, end):
    assert asked_period(question, "2024-06-13") == Period(label, start, end)


def test_a_question_without_a_relative_period_has_none():
    assert asked_period("Which team won the cup in 2019?", "2024-06-13") is None


def test_covered_counts_partial_dates_that_overlap():
    week = Period("this week", "2024-06-10", "2024-06-13")
    assert covered(week, ["2023-01-02", "2024-06", "2025-01-01"])  # the month overlaps the week
    assert covered(week, ["2024-06-11"])
    assert not covered(week, ["2024-06-09", "2024-06-14", "2025"])


def test_asked_on_defaults_to_today_and_refuses_non_dates():
    assert as_iso_date(None) == dt.date.today().isoformat()
    assert as_iso_date(dt.date(2024, 1, 2)) == "2024-01-02"
    assert as_iso_date("2024-01-02") == "2024-01-02"
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        as_iso_date("last Tuesday")
