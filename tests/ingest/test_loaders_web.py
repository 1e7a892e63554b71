"""Saved web pages: the article body without the site's furniture (menus, share bars, teaser
blocks, sidebars, footers), the page's own metadata, and no invented dates. The pages are
written by the test (``documents.saved_page``): furniture in plain ``div``s and links, not
in ``<nav>``/``<aside>``, as many sites and saved pages have it."""

from __future__ import annotations

import pytest
from documents import saved_page

from assistant.ingest.cleaning import clean_document, clean_text
from assistant.ingest.loaders import LoadFailure, html_to_text, iter_sources
from assistant.models import Document

PAGES = [
    ("Parliament approves regional budget",
     ["The regional parliament approved a budget of 4.2 billion euros on Tuesday after a twelve-hour debate.",
      "Opposition members said the government had underestimated inflation, and that the hospital "
      "programme would be delayed again.",
      "“We will not sign a blank cheque,” said Ihar Barysau, the opposition leader."],
     {"dateline": "October 28, Pozirk.", "meta_tags": False,
      "teasers": ["Minsk court jails three activists", "Prices for bread rise again in November",
                  "Border queue grows to 900 trucks"]}),
    ("Ferry service resumes after storm",
     ["The ferry between the islands resumed on Monday, three days after the storm damaged the pier.",
      "The operator said 1,200 passengers had been rebooked."],
     {"teasers": ["Storm damage estimated at 3 million", "Schools reopen on the islands"],
      "date_meta": "2025-02-03T08:00:00Z", "author_meta": "Tom Reed", "site": "Island Herald"}),
    ("Court jails three activists",
     ["A court in the capital sentenced three activists to four years in prison on Friday.",
      "Their lawyers said they would appeal.",
      "The verdict was condemned by human rights groups, which called the trial political."],
     {"teasers": ["Opposition leader speaks out", "Election date set for spring", "Protest planned for Sunday",
                  "Minister resigns over scandal"], "nav": ["News", "World", "Business", "Tech"]}),
]


def _article_lines(headline, paragraphs, kw) -> set[str]:
    paras = list(paragraphs)
    if kw.get("dateline"):
        paras[0] = f"{kw['dateline']} {paras[0]}"
    return {headline, *paras}


def _furniture(text: str, article: set[str]) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip() and ln.strip() not in article]


def _load_page(tmp_path, i: int) -> Document:
    headline, paras, kw = PAGES[i]
    path = tmp_path / f"page{i}.html"
    path.write_text(saved_page(headline, paras, **kw), encoding="utf-8")
    (doc,), fails = [x for x in iter_sources(path) if isinstance(x, Document)], \
        [x for x in iter_sources(path) if isinstance(x, LoadFailure)]
    assert fails == []
    return doc


def test_saved_pages_lose_all_their_furniture(tmp_path):
    """Measured on the three pages: walking every element (the loader before trafilatura, kept
    as ``html_to_text`` for fragments) and cleaning leaves 11-15 furniture lines a page (the
    menu, "Search Log in", breadcrumb, teaser headlines twice, "Subscribe"...); the page loader
    leaves none, and keeps every article line."""
    for i, (headline, paras, kw) in enumerate(PAGES):
        article = _article_lines(headline, paras, kw)
        html = saved_page(headline, paras, **kw)
        walked = _furniture(clean_text(html_to_text(html)[0]).text, article)
        assert len(walked) >= 8, walked
        doc = clean_document(_load_page(tmp_path, i))
        assert _furniture(doc.text, article) == []
        assert all(line in doc.text.split("\n") for line in article)


def test_the_menu_no_longer_breaks_title_and_dateline(tmp_path):
    """With the nav bar as line 1, the text rules took the menu for the headline and missed
    the dateline; with the body alone they read both (and the page's ``<h1>`` wins the title)."""
    headline, paras, kw = PAGES[0]
    html = saved_page(headline, paras, **kw)
    assert clean_text(html_to_text(html)[0]).text.split("\n")[0] != headline  # the old first line
    doc = clean_document(_load_page(tmp_path, 0))
    assert doc.text.split("\n")[0] == headline
    assert (doc.title, doc.meta_origin["title"]) == (headline, "html:h1")
    assert (doc.date, doc.meta_origin["date"]) == ("--10-28", "text:dateline")
    assert (doc.publisher, doc.meta_origin["publisher"]) == ("Pozirk", "text:dateline")


def test_page_metadata_and_where_it_came_from(tmp_path):
    doc = clean_document(_load_page(tmp_path, 1))
    assert (doc.title, doc.date, doc.author, doc.publisher) == (
        "Ferry service resumes after storm", "2025-02-03", "Tom Reed", "Island Herald")
    assert doc.meta_origin == {"title": "html:h1", "date": "html:article:published_time",
                               "author": "html:author", "publisher": "html:og:site_name"}


def test_no_date_is_invented(tmp_path, monkeypatch):
    """htmldate's extensive search would take a date from the URL or the copyright line; it is
    never run (trafilatura's metadata is off: a call would raise here), and a page that states
    no date has none."""
    import htmldate
    import trafilatura.metadata

    def refuse(*a, **k):
        raise AssertionError("htmldate must not run")

    monkeypatch.setattr(trafilatura.metadata, "find_date", refuse)
    monkeypatch.setattr(htmldate, "find_date", refuse)
    headline, paras, kw = PAGES[2]
    html = saved_page(headline, paras, **kw).replace(
        "</head>", '<link rel="canonical" href="https://example.org/2024/05/17/court-jails"></head>')
    path = tmp_path / "undated.html"
    path.write_text(html, encoding="utf-8")
    (raw,) = list(iter_sources(path))
    doc = clean_document(raw)
    assert doc.date == "" and "date" not in doc.meta_origin
    # The body came from trafilatura (a failed call falls back to walking the page, which keeps
    # the teaser labels): the refusals above were really on its path.
    assert _furniture(doc.text, _article_lines(headline, paras, kw)) == []
    assert doc.url == "https://example.org/2024/05/17/court-jails"


def test_saved_page_asset_folders_are_skipped(tmp_path):
    """"Save page" puts frames, scripts and images in ``Name_files/``; a frame saved as .html
    there (an ad, a comment widget) is not an article."""
    headline, paras, kw = PAGES[1]
    (tmp_path / "Ferry.html").write_text(saved_page(headline, paras, **kw), encoding="utf-8")
    assets = tmp_path / "Ferry_files"
    assets.mkdir()
    (assets / "ad-frame.html").write_text("<html><body><p>Buy now! Best prices on ferry tickets.</p></body></html>")
    (assets / "app.js").write_text("var x = 1;")
    other = tmp_path / "notes_files"  # no notes.html beside it: an ordinary folder
    other.mkdir()
    (other / "n.txt").write_text("A note in a folder.\n")
    docs = [x for x in iter_sources(tmp_path) if isinstance(x, Document)]
    assert [d.doc_id for d in docs] == ["Ferry.html", "n.txt"]


@pytest.mark.parametrize("i", range(len(PAGES)))
def test_without_a_body_found_link_density_still_drops_menus_and_teasers(tmp_path, monkeypatch, i):
    """When trafilatura finds no body (it gives up on some short pages), the page is walked and
    lines that are mostly link text without a sentence end are dropped: the menu, breadcrumb
    and teaser headlines go; only the two unlinked labels over the teaser lists stay."""
    from assistant.ingest.loaders import html as html_loader

    monkeypatch.setattr(html_loader, "page_body", lambda html: "")
    headline, paras, kw = PAGES[i]
    doc = clean_document(_load_page(tmp_path, i))
    assert _furniture(doc.text, _article_lines(headline, paras, kw)) == ["Read also", "Popular"]
