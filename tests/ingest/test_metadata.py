"""Title, dateline date, publisher and author read from article text."""

from __future__ import annotations

import pytest

from assistant.ingest.cleaning import clean_text
from assistant.ingest.metadata import (
    bio_match,
    byline_names,
    extract_metadata,
    is_caption,
    parse_date,
    parse_dateline,
)


def meta(raw: str) -> dict[str, str]:
    return extract_metadata(raw, clean_text(raw).text)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2022-06-16", "2022-06-16"),
        ("2022-06-16T10:00:00Z", "2022-06-16"),
        ("June 16, 2022", "2022-06-16"),
        ("Thursday, June 16, 2022", "2022-06-16"),
        ("Jun. 16 2022", "2022-06-16"),
        ("16 June 2022", "2022-06-16"),
        ("Sept. 3, 2021", "2021-09-03"),
        ("June 2022", "2022-06"),
        ("2022", "2022"),
        ("20220616", "2022-06-16"),
        ("16/06/2022", "2022-06-16"),
        ("June 16", "--06-16"),
        ("October 28", "--10-28"),
        ("February 29", "--02-29"),
        ("06/07/2022", ""),  # US or European order: refuse to guess
        ("February 30, 2022", ""),
        ("2022-13-01", ""),
        ("next Tuesday", ""),
        ("", ""),
    ],
)
def test_parse_date(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("para", "expected"),
    [
        ("October 28, Tidewatch. The council voted.", ("--10-28", "Tidewatch")),
        ("March 3, 2024, Tidewatch. The council voted.", ("2024-03-03", "Tidewatch")),
        ("Feb 20, 2025, Lisbon: The senate backed a bill.", ("2025-02-20", "")),
        ("February 17, Lisbon: On Sunday the minister spoke.", ("--02-17", "")),
        ("WASHINGTON (Reuters) - The agency said.", ("", "Reuters")),
        ("NEW YORK, Dec. 22 (UPI) — A statement said.", ("--12-22", "UPI")),
        ("LONDON, March 3, 2024 (Wirewatch) - A statement said.", ("2024-03-03", "Wirewatch")),
        ("Dec 29 (Wirewatch) - A candidate said.", ("--12-29", "Wirewatch")),
        ("Velmora (AFP) – Crowds gathered.", ("", "AFP")),
        ("MINSK – A covert program began.", ("", "")),
        ("DES MOINES, Iowa — One editorial is worth it.", ("", "")),
        ("Oct. 13, 2023 — The summit opened.", ("2023-10-13", "")),
        ("Trump - who spoke later - agreed.", ("", "")),
        ("The council voted on October 28.", ("", "")),
    ],
)
def test_parse_dateline(para, expected):
    assert parse_dateline(para) == expected


def test_dateline_date_without_year_is_partial_and_publisher_found():
    raw = (
        "Council approves flood barrier after long delays\n\n"
        "October 28, Tidewatch. The council voted 9-2 to fund a 4.2-kilometre flood barrier along the docks.\n"
        "The barrier will cost 312 million euros, of which the regional fund covers 40 percent.\n"
    )
    m = meta(raw)
    assert m == {"title": "Council approves flood barrier after long delays", "publisher": "Tidewatch",
                 "date": "--10-28", "author": ""}


def test_body_first_article_has_no_title_and_no_invented_date():
    raw = (
        "The city's library will extend its opening hours to 10 p.m. on weekdays from next month, the board said "
        "on Monday, after a survey found that 64 percent of respondents wanted evening access.\n"
        "Board chair Lena Ortiz said the change would start on March 3 with a six-month trial.\n"
    )
    assert meta(raw) == {"title": "", "publisher": "", "date": "", "author": ""}


def test_single_paragraph_snippet_has_no_title():
    assert meta("March Madness is upon us")["title"] == ""
    assert meta("Officials said the ferry carries 300 passengers.")["title"] == ""


@pytest.mark.parametrize(
    ("first", "is_title"),
    [
        ("Tax overhaul remains a distant goal.", True),  # archives that append a period to headlines
        ("Harbor Council Approves Flood Barrier After Decade Of Delays.", True),
        ("Delegate update: the latest count in the race.", True),
        ("The council approved the barrier on Tuesday, officials said.", False),
        ("Ferry operators warn of higher fares as fuel costs climb", True),
        # 15 words with articles: still a headline (no attribution, no day).
        ("For outgoing port chief, the flood barrier was a top goal - and a triumph.", True),
        ("The port chief said on Monday that the barrier was a top goal and a triumph.", False),
        ("The regional council met on the docks for four hours before voting on the plan late at night.", False),
    ],
)
def test_title_shapes(first, is_title):
    raw = f"{first}\n\nThe regional council met for four hours before voting 9-2 in favour of the plan on the docks.\n"
    assert (meta(raw)["title"] == first) is is_title


def test_caption_and_related_post_dates_are_not_the_article_date():
    raw = (
        "Drought forces rationing in three provinces\n\n"
        "A farmer inspects dry soil near Velmora on Aug. 2, 2021. (Petra Lind / Agency via Stock Images)\n\n"
        "The agriculture ministry ordered water rationing in three northern provinces after the driest spring.\n\n"
        "Households will be limited to 120 litres a day, and irrigation of golf courses is banned for now.\n\n"
        "Related Posts\n\n"
        "  • February 20, 2025\n"
        "Port workers vote to accept new contract\n"
    )
    m = meta(raw)
    assert m["date"] == ""
    assert m["title"] == "Drought forces rationing in three provinces"


def test_standalone_date_line_under_the_headline():
    raw = (
        "Bridge reopens after repairs\n"
        "Published: May 17, 2024 at 08:30 GMT\n\n"
        "The Elm Street bridge reopened to traffic on Friday after eight months of repairs costing 2.1 million.\n"
    )
    assert meta(raw)["date"] == "2024-05-17"


def test_author_and_publisher_from_bio_box():
    raw = (
        "Drought forces rationing, ministry says\n\n"
        "The agriculture ministry ordered water rationing in three northern provinces on Friday after a dry spring.\n\n"
        "Reservoir levels stood at 23 percent of capacity last week, down from 58 percent a year earlier.\n\n"
        "Avatar\nMara Kellen\n\nCorrespondent\n\n"
        "Mara Kellen is a correspondent at The Northern Ledger, covering climate and regional politics.\n"
    )
    m = meta(raw)
    assert (m["author"], m["publisher"]) == ("Mara Kellen", "The Northern Ledger")


def test_byline_and_name_role_lines():
    body = "The union is demanding a 9 percent raise; the operator has offered 5 percent over two years.\n"
    assert meta(f"Rail strike halts freight\n\nBy Jane Doe and John Roe\n\n{body}")["author"] == "Jane Doe, John Roe"
    assert meta(f"Rail strike halts freight\n\nJane Doe\nStaff Writer\n\n{body}")["author"] == "Jane Doe"
    assert meta(f"Rail strike halts freight\n\n{body}\n(Reporting by Jane Doe; Editing by John Roe)\n")["author"] == "Jane Doe"


def test_reporter_mentioned_in_the_body_is_not_the_author():
    raw = (
        "Press freedom groups condemn arrest\n\n"
        "Jane Doe is a reporter at The Harbor Times who was detained on Monday while covering a protest.\n\n"
        "Her editor said the newspaper had not been told why she was held, and called for her release.\n"
    )
    m = meta(raw)
    assert (m["author"], m["publisher"]) == ("", "")


def test_helpers():
    assert bio_match("Jane Doe is a senior reporter for The Harbor Times, based in Lisbon.") == ("Jane Doe", "The Harbor Times")
    assert bio_match("John Roe is a lecturer in political science at Example University.") == ("", "")
    assert byline_names("By Election Day, the candidate had a lead.") == ""
    assert byline_names("BYLINE: Amber Stone.") == "Amber Stone"
    assert is_caption("A farmer near Velmora. (Petra Lind / Agency via Stock Images)")
    assert not is_caption("The minister (who spoke first) agreed.")
