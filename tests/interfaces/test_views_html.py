"""The chat's timeline and "who said what" views: escaped text, and links that open the
exact sentence in the document viewer."""

from __future__ import annotations

from urllib.parse import unquote

from assistant.answer.views import Event, Said, Speaker
from assistant.interfaces.render import parse_citation_key
from assistant.interfaces.views_html import speakers_html, timeline_html


def _href(html: str) -> str:
    return unquote(html.split('href="', 1)[1].split('"', 1)[0])


def test_timeline_items_link_to_their_sentence_and_escape_text():
    ev = Event(when="March 3", value="2025-03-03", doc_id="a<1>", title="Bridge <b>closed</b>", publisher="City Desk",
               date="2025-03-04", start=10, end=60, sentence="The bridge closed on March 3 & traffic\nstopped.",
               date_start=30, date_end=37, relevance=1.0)
    out = timeline_html("the <bridge>", [ev])
    assert "&lt;bridge&gt;" in out and "<bridge>" not in out
    assert "“The bridge closed on March 3 &amp; traffic stopped.”" in out  # one line, escaped
    assert "City Desk · 2025-03-04" in out
    assert parse_citation_key(_href(out)) == ("a<1>", 10, 60, 30, 37)


def test_speakers_list_each_statement_with_its_source():
    said = Said(speaker="Ana Ruiz", quote="wages will rise", kind="indirect", doc_id="s", title="Strike", publisher="",
                date="", start=0, end=40, sentence="Ruiz said wages will rise by spring.", relevance=1.0)
    out = speakers_html("wages", [Speaker("Ana Ruiz", "PERSON", [said, said])])
    assert out.count('class="view-item"') == 2 and "<b>Ana Ruiz</b>" in out
    assert "(<a " in out and "Strike</a>" in out  # no publisher or date: the title names the source
    assert parse_citation_key(_href(out)) == ("s", 0, 40, -1, -1)


def test_empty_views_say_so():
    assert "No dated events about “x &amp; y”" in timeline_html("x & y", [])
    assert "Nobody is quoted on “x”" in speakers_html("x", [])
