"""Countries by name and demonym, from the countryinfo package's data."""

from __future__ import annotations

import pytest

from assistant.text.countries import country_named, country_of_capital, country_of_demonym, region_named


@pytest.mark.parametrize("demonym, country", [
    ("Iranian", "Iran"), ("Italian", "Italy"), ("South Korean", "South Korea"), ("Saudi Arabian", "Saudi Arabia"),
    ("French", "France"), ("Dutch", "Netherlands"), ("british", "United Kingdom"),
    ("American", "United States"),  # shared with smaller territories: the most populous
    ("Russians", "Russia"), ("Israelis", "Israel"), ("Filipinos", "Philippines"),  # the people, in the plural
])
def test_a_demonym_names_its_country(demonym, country):
    assert country_of_demonym(demonym) == country


def test_names_and_other_spellings_are_countries_and_other_words_are_not():
    assert country_named("Viet Nam") == country_named("Vietnam") == "Vietnam"
    assert country_named("Russian Federation") == "Russia"
    assert country_named("Hanoi") == "" and country_of_demonym("Hanoi") == ""
    assert country_of_capital("Hanoi") == "Vietnam" and country_of_capital("Tbilisi") == "Georgia"
    assert country_of_capital("Singapore") == ""  # a city-state's capital is the country itself
    assert country_named("IR") == ""  # a code is no name a sentence writes
    assert country_of_demonym("Georgia") == ""  # a name, not a demonym


def test_a_region_is_a_country_or_a_state_or_province_news_writes_after_a_place():
    assert region_named("Alabama") == "Alabama" and region_named("British Columbia") == "British Columbia"
    assert region_named("Russia") == "Russia" and region_named("New South Wales") == "New South Wales"
    assert region_named("DC") == region_named("D.C.") == "District of Columbia"
    assert region_named("Paris") == "" and region_named("Birmingham") == ""  # cities are no regions
