"""The Documents table: search, sort, where each field came from, escaped values, and
action links the page forwards (open, re-ingest, delete)."""

from __future__ import annotations

from urllib.parse import unquote

from assistant.interfaces.documents import (
    confirm_html,
    documents_html,
    filter_rows,
    parse_action,
    rows_from_stats,
    sort_rows,
)

DOCS = [
    {"doc_id": "a.txt", "title": "Bridge <b>closed</b>", "publisher": "City Desk", "date": "2025-03-04",
     "n_chunks": 2, "fmt": "txt", "ingested_at": 10.0, "meta_origin": {"title": "text:headline", "date": "text:dateline"}},
    {"doc_id": "b.pdf", "title": "Łukašenka speaks", "publisher": "", "date": "--10-28", "n_chunks": 3, "fmt": "pdf",
     "ingested_at": 30.0, "meta_origin": {"title": "pdf:Title", "text": "ocr:tesseract 5.3.0, page 1 of 1"}},
    {"doc_id": "c.html", "title": "", "publisher": "Bay Herald", "date": "2024-12", "n_chunks": 1, "fmt": "html",
     "ingested_at": 20.0, "meta_origin": {}},
]


def test_search_matches_every_word_ignoring_case_and_accents():
    rows = rows_from_stats(DOCS)
    assert [r.doc_id for r in filter_rows(rows, "lukasenka")] == ["b.pdf"]
    assert [r.doc_id for r in filter_rows(rows, "city 2025")] == ["a.txt"]
    assert [r.doc_id for r in filter_rows(rows, "October")] == ["b.pdf"]  # the date as shown
    assert len(filter_rows(rows, "")) == 3 and filter_rows(rows, "nothing-like-this") == []


def test_sorts():
    rows = rows_from_stats(DOCS)
    assert [r.doc_id for r in sort_rows(rows, "added")] == ["b.pdf", "c.html", "a.txt"]
    assert [r.doc_id for r in sort_rows(rows, "title")] == ["a.txt", "c.html", "b.pdf"]
    assert [r.doc_id for r in sort_rows(rows, "publisher")] == ["c.html", "a.txt", "b.pdf"]  # none last
    assert [r.doc_id for r in sort_rows(rows, "date")] == ["a.txt", "c.html", "b.pdf"]  # undated year last


def test_table_escapes_values_shows_origins_dates_and_ocr_and_links_actions():
    out = documents_html(sort_rows(rows_from_stats(DOCS), "added"), 3)
    assert "Bridge &lt;b&gt;closed&lt;/b&gt;" in out and "<b>closed</b>" not in out
    assert "title: text (headline); date: text (dateline)" in out and "title: pdf:Title" in out
    assert "October 28, year not stated" in out and "--10-28" not in out
    assert out.count("OCR from a scan") == 1
    hrefs = [unquote(h.split('"', 1)[0]) for h in out.split('href="')[1:]]
    assert {parse_action(h) for h in hrefs} == {(a, d) for a in ("open", "reingest", "delete")
                                                 for d in ("a.txt", "b.pdf", "c.html")}
    assert "3 documents" in out
    filtered = documents_html(filter_rows(rows_from_stats(DOCS), "bay"), 3, "bay")
    assert "1 of 3 documents match “bay”" in filtered


def test_parse_action_refuses_anything_else():
    assert parse_action("#doc=delete:a%20b.txt 1733400000") == ("delete", "a b.txt")
    for bad in ("", "#doc=drop:a.txt 1", "#cite=x 1", "#doc=open: 1", "doc=open"):
        assert parse_action(bad) is None


def test_confirmation_names_what_goes():
    rows = rows_from_stats(DOCS)
    one = confirm_html(rows[:1])
    assert "Bridge &lt;b&gt;closed&lt;/b&gt;" in one and "a.txt" in one
    many = confirm_html(rows + rows, "bay")
    assert "6 documents matching “bay”" in many and "and 3 more" in many
