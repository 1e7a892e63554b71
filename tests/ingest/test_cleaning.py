"""Furniture removal: what goes, what must stay verbatim, and the per-line record."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

from assistant.config import project_root
from assistant.ingest.cleaning import (
    clean_document,
    clean_text,
    content_hash,
    format_cleaning_report,
    line_rule,
)
from assistant.models import Document

SENTENCE = re.compile(r"[.!?…][\"'”’)]*$")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def prose_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if len(ln.strip()) >= 60 and SENTENCE.search(ln.strip())]


def assert_verbatim_subsequence(raw: str, cleaned: str) -> None:
    """Cleaning only deletes whole lines: the kept lines appear in order, unchanged."""
    raw_lines = [ln.rstrip() for ln in raw.split("\n")]
    pos = 0
    for ln in cleaned.split("\n"):
        if not ln:
            continue
        pos = raw_lines.index(ln, pos) + 1


def test_paywall_teaser_list_and_its_headline_go_article_stays():
    raw = fixture("paywall_teasers.txt")
    res = clean_text(raw)
    assert "available only" not in res.text
    assert not any(ln.startswith("- ") for ln in res.text.split("\n"))
    assert "Ferry operators warn" not in res.text
    # Every article line survives verbatim, including the quote.
    for ln in raw.split("\n")[:7]:
        assert ln.rstrip() in res.text
    assert res.text.endswith("Construction is scheduled to start in autumn 2026 and to take three years.")
    rules = {r.line: r.rule for r in res.removed}
    assert rules[8] == "teaser_headline"
    assert all(rules[i] == "teaser_list" for i in range(9, 15))
    assert_verbatim_subsequence(raw, res.text)


def test_bio_box_chrome_duplicate_headline_and_trailing_teaser():
    raw = fixture("bio_box.txt")
    res = clean_text(raw)
    lines = res.text.split("\n")
    assert lines[0] == "Drought forces rationing in three northern provinces, ministry says"
    assert res.text.count("Drought forces rationing in three northern provinces") == 1
    for junk in ("Live Feed", "min read", "Avatar", "Correspondent", "Mara Kellen", "Read more", "Show More",
                 "energy regulator", "river deal"):
        assert junk not in res.text, junk
    # The caption carries facts and stays.
    assert "A farmer inspects dry soil near Velmora on Aug. 2, 2021. (Petra Lind / Agency via Stock Images)" in lines
    assert lines[-1] == "Farmers' unions said the measures came too late and demanded compensation for lost harvests."
    by_rule = {r.rule for r in res.removed}
    assert {"chrome", "duplicate_headline", "author_bio", "after_end_marker", "tail_orphan"} <= by_rule
    assert_verbatim_subsequence(raw, res.text)


def test_related_posts_comment_form_and_theme_widgets():
    raw = fixture("comments_form.txt")
    res = clean_text(raw)
    for junk in ("Share this article", "Keep reading", "Dana", "Related Articles", "Jordan", "February 11, 2024",
                 "Port workers", "Leave a Reply", "email address", "Primary Color", "Layout Mode", "protected"):
        assert junk not in res.text, junk
    assert prose_lines(res.text) == prose_lines(raw)[: len(prose_lines(res.text))]
    assert res.text.endswith("The operator said passenger services would run at about half their usual frequency.")
    assert "\n\n\n" not in res.text


def test_body_first_article_is_untouched():
    raw = fixture("body_first.txt")
    res = clean_text(raw)
    assert res.removed == []
    assert res.text == raw.rstrip("\n")


def test_removed_lines_carry_rule_and_line_number():
    raw = "Headline here\n\nShare this article\n\n" + "A body sentence that is long enough to be article prose, really.\n" * 3
    res = clean_text(raw)
    assert [(r.line, r.rule, r.text) for r in res.removed] == [(3, "chrome", "Share this article")]
    assert res.text.split("\n")[:2] == ["Headline here", ""]


def test_whitespace_normalisation_only():
    raw = "Title line   \n\n\n\n\nBody line one with “quotes”  and  double spaces.   \r\nBody line two.\n\n\n"
    res = clean_text(raw)
    assert res.text == "Title line\n\nBody line one with “quotes”  and  double spaces.\nBody line two."


@pytest.mark.parametrize(
    "line",
    [
        "Share prices fell 3 percent on Monday after the announcement.",
        "Copyright infringement lawsuits rose 20 percent in 2023, the report found.",
        "Follow the money, the prosecutor told jurors on Tuesday.",
        "The report is available only to members of the committee, a spokesman said, and will not be published.",
        "Comments from the minister came after a week of silence on the issue and protests outside parliament.",
        "Photos showed mourners crouched over blanket-covered bodies near the station.",
        "Read more carefully, the judge told the lawyers, and you will find the clause on page 12.",
        "Related: the court also ruled on the second appeal.",
        "Sign up figures rose by 12 percent in the first quarter, the company said.",
        "(c) the minister may extend the deadline by six months",
        "- (c) any vessel over 40 metres",
    ],
)
def test_article_sentences_are_never_line_furniture(line):
    assert line_rule(line) == ""


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("3 min read", "chrome"),
        ("Read more »", "chrome"),
        ("Show More", "chrome"),
        ("Spread the word", "chrome"),
        ("Facebook Twitter WhatsApp Email", "chrome"),
        ("Follow Jane Doe on Twitter @janedoe.", "chrome"),
        ("Subscribe to our daily newsletter for updates", "chrome"),
        ("Tags: harbour, flood, council", "chrome"),
        ("© 2024 Example Media Group", "chrome"),
        ("(c) 2024 Example Media Group. All rights reserved.", "chrome"),
        ("Copyright 2024 Example Media Group", "chrome"),
        ("Dark Mode", "chrome"),
        ("Subscribe to read the full story.", "paywall"),
        ("This content is for subscribers only", "paywall"),
        ("Photo: Jane Doe/Example Agency", "photo_credit"),
        ("(Photo / Example Agency via Stock Images)", "photo_credit"),
        ("Jane Doe/Example Agency.", "photo_credit"),
        ("https://example.org/story/123", "url_line"),
        ("Related: Council approves flood barrier", "inline_teaser"),
        ("Home > World > Europe", "breadcrumb"),
    ],
)
def test_furniture_lines(line, rule):
    assert line_rule(line) == rule


def test_plain_bullet_lists_in_articles_stay():
    raw = (
        "Election results\n\n"
        "The commission published the final count on Sunday evening after a long night of recounts.\n"
        "The candidates received:\n"
        "- Anna Berg\n- Tomas Reyl\n- Ilse Varga\n"
        "- Speed limit: 40 km/h\n"
        "Turnout was 61 percent, the highest since the electoral reform of the last decade.\n"
    )
    res = clean_text(raw)
    assert res.removed == []


def test_end_marker_near_the_top_does_not_swallow_the_article():
    body = "".join(f"Paragraph {i} of the article states a fact that matters for the story at hand.\n\n" for i in range(6))
    raw = "Headline\n\nComments\n\n" + body
    res = clean_text(raw)
    assert prose_lines(res.text) == prose_lines(raw)


def test_mid_article_end_marker_with_more_article_after_does_not_cut():
    first = "The first half of the article explains the plan in some detail, with figures.\n\n"
    second = "".join(f"Second-half paragraph {i} continues the article with further facts and quotes.\n\n" for i in range(5))
    raw = "Headline\n\n" + first * 3 + "Recommended\n\n" + second
    res = clean_text(raw)
    assert prose_lines(res.text) == prose_lines(raw)


def test_clean_document_metadata_precedence_and_hashes():
    raw = Document(doc_id="d1", text=fixture("paywall_teasers.txt"), source="x.txt", raw_hash="abc")
    doc = clean_document(raw)
    assert (doc.title, doc.publisher, doc.date) == (
        "Harbor council approves flood barrier after decade of delays", "Tidewatch", "--03-03")
    assert doc.raw_hash == "abc" and doc.source == "x.txt" and doc.removed
    assert doc.meta_origin == {"title": "text:headline", "publisher": "text:dateline", "date": "text:dateline"}
    assert doc.content_hash == content_hash(doc.text, doc.title, doc.publisher, doc.date, doc.author, doc.url,
                                            doc.meta_origin)
    given = Document(doc_id="d1", text=raw.text, title="Loader title", date="2024-03-03", publisher="Loader Pub",
                     fmt="pdf", meta_origin={"title": "pdf:Title", "date": "pdf:CreationDate"})
    doc2 = clean_document(given)
    assert (doc2.title, doc2.date, doc2.publisher) == ("Loader title", "2024-03-03", "Loader Pub")
    # Each field says where it came from: the format's metadata (named by the loader, or the
    # format when the loader named none), else the text rule that found it.
    assert doc2.meta_origin == {"title": "pdf:Title", "date": "text:dateline (year from the file date)",
                                "publisher": "pdf"}
    assert doc2.fmt == "pdf"
    assert doc2.text == doc.text and doc2.content_hash != doc.content_hash
    # The same values from elsewhere are a different record: the hash changes with the origins.
    moved = clean_document(Document(doc_id="d1", text=raw.text, title=doc.title, date=doc.date,
                                     publisher=doc.publisher, fmt="pdf"))
    assert (moved.title, moved.date, moved.publisher) == (doc.title, doc.date, doc.publisher)
    assert moved.content_hash != doc.content_hash


def test_format_cleaning_report():
    doc = clean_document(Document(doc_id="bio_box.txt", text=fixture("bio_box.txt"), source="docs/bio_box.txt"))
    report = format_cleaning_report(doc)
    assert report.startswith("bio_box.txt  (docs/bio_box.txt)")
    assert "author: Mara Kellen" in report and "publisher: The Northern Ledger" in report
    assert re.search(r"line +5 +chrome +4 min read", report)
    assert f"removed {len(doc.removed)} lines" in report
    clean = clean_document(Document(doc_id="b", text=fixture("body_first.txt")))
    assert "nothing removed" in format_cleaning_report(clean)


# --- the project's seed articles: generic furniture must not survive -------------------

SEEDS = sorted((project_root() / "seeds").glob("*.txt"))
FURNITURE = re.compile(
    r"available only to|^related (posts|articles)$|^read more$|^show more$|^news feed$|^\d+ min read$|^avatar$"
    r"|leave a reply|email address will not be published|required fields|content is protected|^primary color$"
    r"|^secondary color$|^layout mode$|^spread the words?$|^keep reading|^- ",
    re.I,
)


@pytest.mark.skipif(not SEEDS, reason="no seeds/ directory in this checkout")
@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seed_furniture_is_gone_and_prose_is_kept(path):
    raw = path.read_text(encoding="utf-8")
    res = clean_text(raw)
    for ln in res.text.split("\n"):
        assert not FURNITURE.search(ln.strip()), ln
    assert_verbatim_subsequence(raw, res.text)
    # Prose is only ever dropped by position (after the article's end), never by a line rule.
    for r in res.removed:
        if r.text.strip() in prose_lines(raw):
            assert r.rule in ("after_end_marker", "author_bio"), r
