"""Typed DATE / FIGURE / ORDINAL mentions (assistant.nlp.mentions).

Sentences are hand-written news-like text (not taken from the seed articles). The
first group tests the pure normalisers; the ``slow`` group runs the real spaCy
model through ``assistant.nlp.parse`` and checks spans, values, units, qualifiers
and frames.
"""

from __future__ import annotations

from functools import cache

import pytest

from assistant.models import Mention
from assistant.nlp.mentions import extract_mentions, figures_equal
from assistant.text.dates import date_sort_key
from assistant.text.datetimes import normalize_date, resolve_relative
from assistant.text.numbers import ordinal_value, parse_number

# --- pure functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("40,549", 40549), ("1,234,567", 1234567), ("20.5", 20.5), ("3bn", 3e9), ("$5m", 5e6),
    ("sixty-three", 63), ("two hundred and fifty thousand", 250000), ("a dozen", 12),
    ("two-thirds", 2 / 3), ("hundreds", 100), ("1.5 million", 1.5e6), ("40 549", 40549),
])
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


def test_parse_number_thousands_dot_only_when_told() -> None:
    assert parse_number("10.970") == pytest.approx(10.97)
    assert parse_number("10.970", thousands_dot=True) == 10970
    assert parse_number("1.234.567") == 1234567  # several dots are always thousands
    assert parse_number("banana") is None


@pytest.mark.parametrize(("text", "ref", "value"), [
    ("October 28", "", "--10-28"),
    ("Oct. 13, 2023", "", "2023-10-13"),
    ("June 2021", "2025-11-15", "2021-06"),
    ("spring 2021", "", "2021-spring"),
    ("the start of 2025", "", "2025"),
    ("2013-14", "", "2013/2014"),
    ("the 1990s", "", "199"),
    ("Q3 2024", "", "2024-Q3"),
])
def test_normalize_explicit_dates(text: str, ref: str, value: str) -> None:
    assert normalize_date(text, ref)[0] == value


def test_month_day_without_year_never_gets_one_in_value() -> None:
    value, extra = normalize_date("October 28", "2025-11-15")
    assert value == "--10-28"
    assert extra["resolved"] == "2025-10-28"  # the likely full date only as an annotation


def test_month_day_resolution_follows_direction() -> None:
    assert normalize_date("May 3", "2025-11-15", future=True)[1]["resolved"] == "2026-05-03"
    assert normalize_date("May 3", "2025-11-15", future=False)[1]["resolved"] == "2025-05-03"
    assert normalize_date("May", "2025-11-15", future=False)[1]["resolved"] == "2025-05"


@pytest.mark.parametrize(("text", "ref", "value"), [
    ("last year", "2025-11-15", "2024"),
    ("a few months ago", "2025-11-15", "2025-08"),
    ("two years ago", "2025-11-15", "2023"),
    ("yesterday", "2025-11-15", "2025-11-14"),
    ("last July", "2025-11-15", "2025-07"),
    ("next March", "2025-11-15", "2026-03"),
    ("the past year", "2025-11-15", "P1Y/2025-11-15"),
    ("last summer", "2025-11-15", "2025-summer"),
])
def test_relative_dates_resolved_with_article_year(text: str, ref: str, value: str) -> None:
    v, extra = normalize_date(text, ref)
    assert v == value
    assert extra["relative"] is True


@pytest.mark.parametrize("text", ["last year", "a few months ago", "this summer", "last July"])
def test_relative_dates_kept_as_written_without_year(text: str) -> None:
    v, extra = normalize_date(text, "")
    assert v == ""
    assert extra["as_written"] is True
    assert resolve_relative(text, "--10-28") == ""  # a day without a year anchors nothing


def test_earlier_this_year_is_not_early_in_the_year() -> None:
    v, extra = normalize_date("earlier this year", "2025-11-15")
    assert v == "2025" and "part" not in extra
    assert normalize_date("early 2024")[1]["part"] == "early"


def test_ordinal_value_and_sort_key() -> None:
    assert ordinal_value("seventh") == 7
    assert ordinal_value("21st") == 21
    assert ordinal_value("twenty-first") == 21
    assert ordinal_value("seven") is None
    assert date_sort_key("2021-spring") < date_sort_key("2021-06") < date_sort_key("2021-Q3")


def test_figures_equal_compares_values_and_units() -> None:
    a = Mention("FIGURE", 0, 6, "10,970", "10970", "attempt")
    b = Mention("FIGURE", 0, 6, "10.970", "10970", "attempt")
    c = Mention("FIGURE", 0, 6, "10,970", "10970", "percent")
    assert figures_equal(a, b) and not figures_equal(a, c)


# --- extraction with the real model -----------------------------------------------------------


@cache
def _mentions(text: str, date: str = "") -> tuple[Mention, ...]:
    from assistant.nlp.model import parse

    ms = extract_mentions(text, parse(text), date)
    for m in ms:
        assert text[m.start:m.end] == m.text, m  # the offset contract, for every mention
    return tuple(ms)


def _one(text: str, kind: str, span: str, date: str = "") -> Mention:
    found = [m for m in _mentions(text, date) if m.kind == kind and m.text == span]
    assert len(found) == 1, [(m.kind, m.text) for m in _mentions(text, date)]
    m = found[0]
    assert text.index(span) == m.start  # spans map to the first occurrence in these sentences
    return m


def _texts(text: str, kind: str, date: str = "") -> list[str]:
    return [m.text for m in _mentions(text, date) if m.kind == kind]




@pytest.mark.slow
def test_count_with_qualifier_and_counted_noun() -> None:
    t = "Border guards said at least 40,549 people tried to cross the river this year."
    m = _one(t, "FIGURE", "40,549")
    assert (m.value, m.unit, m.qualifier) == ("40549", "people", "at least")
    assert t[m.extra["qualifier_start"]:m.start].strip() == "at least"
    assert m.frame[0] == "people" and "cross" in m.frame


@pytest.mark.slow
def test_percent_money_and_magnitude() -> None:
    t = "The carrier lost $3.2 billion in the quarter, or 20.5 percent of its revenue."
    money = _one(t, "FIGURE", "$3.2 billion")
    assert (money.value, money.unit, money.extra["currency"]) == ("3200000000", "USD", "USD")
    pct = _one(t, "FIGURE", "20.5 percent")
    assert (pct.value, pct.unit) == ("20.5", "percent")
    assert "revenue" in pct.frame


@pytest.mark.slow
def test_more_than_and_frame_of_the_verb() -> None:
    t = "Police detained more than 170 suspects after the raids, the ministry said."
    m = _one(t, "FIGURE", "170")
    assert (m.qualifier, m.unit) == ("more than", "suspect")
    assert "detain" in m.frame


@pytest.mark.slow
def test_thousands_dot_in_a_count_list() -> None:
    t = "Officials recorded 2,310 attempts in Estonia, 10.970 in Finland and 1,415 in Norway."
    dotted = _one(t, "FIGURE", "10.970")
    assert dotted.value == "10970" and dotted.extra.get("thousands_dot")
    assert dotted.unit == "attempt"
    assert "finland" in dotted.frame and "estonia" not in dotted.frame
    assert _one(t, "FIGURE", "1,415").value == "1415"


@pytest.mark.slow
def test_dot_stays_decimal_with_a_measure_and_counts_after_comparison() -> None:
    t = "The flood covered 1.415 km of road and cut power to 12,431 homes, up from 9.870 a year earlier."
    km = _one(t, "FIGURE", "1.415 km")
    assert (km.value, km.unit) == ("1.415", "km")
    prior = _one(t, "FIGURE", "9.870")
    assert prior.value == "9870" and prior.unit == "home"


@pytest.mark.slow
def test_fractions_dozens_and_vague_magnitudes() -> None:
    t = "Two-thirds of the delegates backed the motion, a dozen abstained and hundreds of observers watched."
    assert _one(t, "FIGURE", "Two-thirds").unit == "fraction"
    assert _one(t, "FIGURE", "a dozen").value == "12"
    h = _one(t, "FIGURE", "hundreds")
    assert h.unit == "observer" and h.extra.get("vague")


@pytest.mark.slow
def test_ranges() -> None:
    t = "Between 300 and 400 workers walked out, and prices rose 10 to 15 percent in a week."
    r = _one(t, "FIGURE", "300 and 400")
    assert (r.value, r.qualifier, r.unit) == ("300-400", "between", "worker")
    p = _one(t, "FIGURE", "10 to 15 percent")
    assert (p.value, p.unit, p.extra["low"], p.extra["high"]) == ("10-15", "percent", 10.0, 15.0)
    t2 = "Organisers expect 1.5 to 2 million visitors."
    assert _one(t2, "FIGURE", "1.5 to 2 million").value == "1500000-2000000"
    t3 = "Its share grew from 4% to 41% after a magnitude 6.1 quake."
    assert _one(t3, "FIGURE", "4% to 41%").value == "4-41"
    assert _one(t3, "FIGURE", "6.1").unit == "magnitude"


@pytest.mark.slow
def test_elliptical_list_inherits_the_counted_noun() -> None:
    t = "Spain reported 3,120 arrivals, Italy 8,400 and Greece 950."
    for span, value, place in (("8,400", "8400", "italy"), ("950", "950", "greece")):
        m = _one(t, "FIGURE", span)
        assert (m.value, m.unit) == (value, "arrival")
        assert place in m.frame


@pytest.mark.slow
def test_age_in_apposition_and_count_behind_more() -> None:
    t = "The driver, 34, was charged. Nearly nine million more households will qualify."
    age = _one(t, "FIGURE", "34")
    assert age.unit == "year" and age.extra.get("age") and "driver" in age.frame
    more = _one(t, "FIGURE", "nine million")
    assert (more.value, more.unit, more.qualifier) == ("9000000", "household", "nearly")


@pytest.mark.slow
def test_not_quantities() -> None:
    t = ("Under Article 5 of the pact, allies respond together. She was one of the few senators "
         "to object. For details call 555-0143 or (202) 555-0187. The team finished third.")
    assert _texts(t, "FIGURE") == []
    t2 = "At one point the Club of Nine backed zero-waste rules."
    assert _texts(t2, "FIGURE") == []


@pytest.mark.slow
def test_weekday_follows_tense_and_schedule() -> None:
    t = "Ministers met on Monday and cancelled a summit slated for Thursday."  # article: Wed 2025-11-12
    assert _one(t, "DATE", "Monday", "2025-11-12").value == "2025-11-10"
    assert _one(t, "DATE", "Thursday", "2025-11-12").value == "2025-11-13"


@pytest.mark.slow
def test_years_are_dates_not_figures() -> None:
    t = "The 2019 reforms cut spending, its 2023 budget grew, and the agency logged 2,024 complaints."
    assert _texts(t, "FIGURE") == ["2,024"]
    assert _one(t, "DATE", "2019").value == "2019"
    assert _one(t, "DATE", "2023").value == "2023"


@pytest.mark.slow
def test_score_is_a_pair_not_a_name_number() -> None:
    t = "Leeds beat Burnley 3-1 at home."
    m = _one(t, "FIGURE", "3-1")
    assert m.extra.get("pair") and "range" not in m.extra


@pytest.mark.slow
def test_explicit_dates_and_qualifiers() -> None:
    t = "The court ruled on Oct. 13, 2023, and the law took effect in June 2021, before spring 2022."
    assert _one(t, "DATE", "Oct. 13, 2023").value == "2023-10-13"
    june = _one(t, "DATE", "June 2021")
    assert (june.value, june.qualifier) == ("2021-06", "in")
    assert "effect" in june.frame or "take" in june.frame
    spring = _one(t, "DATE", "spring 2022")
    assert (spring.value, spring.qualifier) == ("2022-spring", "before")


@pytest.mark.slow
def test_relative_dates_against_article_date() -> None:
    t = "The council approved the plan last year and revised it a few months ago."
    assert _one(t, "DATE", "last year", "2025-11-15").value == "2024"
    assert _one(t, "DATE", "a few months ago", "2025-11-15").value == "2025-08"
    undated = _one(t, "DATE", "last year", "")
    assert undated.value == "" and undated.extra["as_written"]
    day_only = _one(t, "DATE", "last year", "--11-15")  # a day without a year anchors nothing
    assert day_only.value == ""


@pytest.mark.slow
def test_month_without_year_uses_tense_only_as_annotation() -> None:
    t = "The first hearing was held in May, and the ruling will come on March 3."
    may = _one(t, "DATE", "May", "2025-11-15")
    assert may.value == "--05" and may.extra["resolved"] == "2025-05"
    march = _one(t, "DATE", "March 3", "2025-11-15")
    assert march.value == "--03-03" and march.extra["resolved"] == "2026-03-03"
    t2 = "The agency first proposed the change last July."
    assert _one(t2, "DATE", "last July", "2025-11-15").value == "2025-07"


@pytest.mark.slow
def test_datelines() -> None:
    t = "October 28, Daily Ledger. The minister opened the summit in the capital.\nHe spoke for an hour."
    m = _one(t, "DATE", "October 28")
    assert m.extra.get("dateline") and m.value == "--10-28"
    assert "open" in m.frame
    t2 = "KYIV, May 3 — Officials confirmed the talks had resumed."
    assert _one(t2, "DATE", "May 3").extra.get("dateline")


@pytest.mark.slow
def test_names_and_verbs_are_not_dates() -> None:
    t = "April Ryan said the deal may fail, and thousands joined a March on the capital."
    assert _texts(t, "DATE") == []


@pytest.mark.slow
def test_ordinals_are_separate_from_figures() -> None:
    t = "The president is seeking a sixth term after 25 years in office."
    o = _one(t, "ORDINAL", "sixth")
    assert (o.value, o.unit) == ("6", "term")
    assert _texts(t, "FIGURE") == ["25"]


@pytest.mark.slow
def test_glued_dateline_and_offsets_inside_tokens() -> None:
    t = "Related storiesMarch 4, Berlin: Ministers met.\nPost-2020 rules changed little."
    assert _one(t, "DATE", "March 4").value == "--03-04"
    assert _one(t, "DATE", "2020").value == "2020"
