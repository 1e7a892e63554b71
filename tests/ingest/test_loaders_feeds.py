"""RSS/Atom feed files: each item an article with its title, date, author and link, the
feed's title as publisher; broken XML reported per file; nothing ever fetched. The feeds
are written by the test as text."""

from __future__ import annotations

import pytest
from documents import atom, rss

from assistant.ingest.cleaning import clean_document
from assistant.ingest.loaders import LoadFailure, iter_sources
from assistant.models import Document

ITEMS = [
    {"title": "Oakford library extends opening hours", "link": "https://oakford.example/library-hours",
     "guid": "https://oakford.example/library-hours", "pubDate": "Tue, 28 Oct 2025 09:30:00 +0200",
     "author": "Lena Fischer",
     "description": "<p>The Oakford city library will stay open until 22:00 on weekdays from November, "
                    "the council said on Tuesday.</p><p>The change costs 90,000 euros a year.</p>"},
    {"title": "Night buses return to Oakford", "link": "https://oakford.example/night-buses",
     "guid": "oakford-2025-1031", "pubDate": "Fri, 31 Oct 2025 18:00:00 +0000",
     "description": "<p>Night buses will run on four routes in Oakford from December, the transport "
                    "company announced.</p>"},
]


def _load(*paths):
    items = list(iter_sources(list(paths)))
    return [x for x in items if isinstance(x, Document)], [x for x in items if isinstance(x, LoadFailure)]


def test_rss_items_are_articles_with_their_metadata(tmp_path):
    path = tmp_path / "oakford.rss"
    path.write_text(rss("Oakford Gazette", ITEMS), encoding="utf-8")
    docs, fails = _load(path)
    assert fails == []
    assert [d.doc_id for d in docs] == ["https://oakford.example/library-hours", "oakford-2025-1031"]
    first = clean_document(docs[0])
    assert first.text == ("The Oakford city library will stay open until 22:00 on weekdays from November, the "
                          "council said on Tuesday.\n\nThe change costs 90,000 euros a year.")
    assert (first.title, first.date, first.author, first.publisher, first.url) == (
        "Oakford library extends opening hours", "2025-10-28", "Lena Fischer", "Oakford Gazette",
        "https://oakford.example/library-hours")
    assert first.meta_origin == {"title": "feed:item title", "date": "feed:item published",
                                 "author": "feed:item author", "publisher": "feed:channel title",
                                 "url": "feed:item link"}
    assert docs[0].fmt == "feed" and docs[0].source == str(path)
    # The date is the one the item states (its own day), not shifted to UTC.
    assert clean_document(docs[1]).date == "2025-10-31"


def test_atom_entries_with_full_content(tmp_path):
    entries = [{"title": "Dam inspection finds cracks", "id": "urn:uuid:7d1c", "link": "https://r.example/dam",
                "published": "2025-06-02T07:00:00+02:00", "author": "Piet de Vries",
                "content": "<p>Inspectors found 14 cracks in the Riverside dam, the water authority said.</p>"}]
    path = tmp_path / "river.atom"
    path.write_text(atom("Riverside Post", entries), encoding="utf-8")
    (doc,), fails = _load(path)
    assert fails == [] and doc.doc_id == "urn:uuid:7d1c"
    assert doc.text == "Inspectors found 14 cracks in the Riverside dam, the water authority said."
    assert (doc.title, doc.date, doc.author, doc.publisher) == (
        "Dam inspection finds cracks", "2025-06-02", "Piet de Vries", "Riverside Post")


def test_a_feed_saved_twice_gives_each_item_once(tmp_path):
    (tmp_path / "a_monday.xml").write_text(rss("Oakford Gazette", ITEMS[:1]), encoding="utf-8")
    (tmp_path / "b_friday.xml").write_text(rss("Oakford Gazette", ITEMS[::-1]), encoding="utf-8")
    docs, fails = _load(tmp_path)
    assert fails == []
    assert sorted(d.doc_id for d in docs) == ["https://oakford.example/library-hours", "oakford-2025-1031"]


def test_one_id_with_two_versions_is_reported(tmp_path):
    changed = dict(ITEMS[0], description="<p>A different text under the same id.</p>")
    (tmp_path / "a.rss").write_text(rss("Oakford Gazette", ITEMS[:1]), encoding="utf-8")
    (tmp_path / "b.rss").write_text(rss("Oakford Gazette", [changed]), encoding="utf-8")
    docs, (fail,) = _load(tmp_path)
    assert [d.text.startswith("The Oakford city library") for d in docs] == [True]
    assert fail.source == f"{tmp_path / 'b.rss'}:item 1"
    assert "already read from" in fail.reason and "a.rss:item 1" in fail.reason


def test_items_without_text_and_files_that_are_not_feeds(tmp_path):
    bare = [{"title": "Headline only", "link": "https://x.example/1", "guid": "x-1"}]
    (tmp_path / "links.rss").write_text(rss("Links", bare), encoding="utf-8")
    (tmp_path / "sitemap.xml").write_text('<?xml version="1.0"?><urlset><url><loc>https://x.example/</loc></url></urlset>')
    docs, fails = _load(tmp_path)
    assert docs == []
    reasons = {f.source.rsplit("/", 1)[1]: f.reason for f in fails}
    assert "no article text in this item" in reasons["links.rss:item 1"]
    assert "not an RSS or Atom feed" in reasons["sitemap.xml"]


def test_broken_xml_is_one_failure_and_the_rest_of_the_batch_loads(tmp_path):
    good = rss("Oakford Gazette", ITEMS)
    (tmp_path / "a_broken.rss").write_text(good.replace("</item>", "</itme>", 1), encoding="utf-8")
    (tmp_path / "b_good.rss").write_text(good.replace("oakford-2025-1031", "other-id")
                                         .replace("library-hours</guid>", "library-hours-2</guid>"), encoding="utf-8")
    (tmp_path / "c_note.txt").write_text("Still loaded.\n")
    docs, fails = _load(tmp_path)
    assert [d.doc_id for d in docs] == ["https://oakford.example/library-hours-2", "other-id", "c_note.txt"]
    (fail,) = fails
    assert fail.source == str(tmp_path / "a_broken.rss")
    assert fail.reason.startswith("broken XML at line ") and "xmllint --noout" in fail.reason
    # The fix: the repaired file loads.
    (tmp_path / "a_broken.rss").write_text(good, encoding="utf-8")
    assert len(_load(tmp_path / "a_broken.rss")[0]) == 2


def test_nothing_is_fetched(tmp_path, monkeypatch):
    """Links, relative URIs and a remote DTD in a feed are never followed: every way feedparser
    or urllib could open a URL raises here, and the feed still loads."""
    import socket
    import urllib.request

    import feedparser.http

    def refuse(*a, **k):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(feedparser.http, "get", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    text = rss("Oakford Gazette", ITEMS).replace(
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss SYSTEM "http://example.invalid/rss.dtd">')
    text = text.replace("<p>The change", '<p><img src="/img/lib.jpg"><a href="/more">The change')
    path = tmp_path / "feed.rss"
    path.write_text(text, encoding="utf-8")
    docs, fails = _load(path)
    assert fails == [] and len(docs) == 2


@pytest.mark.parametrize("declaration", [True, False])
def test_broken_xml_names_the_line_of_the_file(tmp_path, declaration):
    lines = ["<rss version=\"2.0\">", "<channel><title>T</title>", "<item><title>a</item>", "</channel></rss>"]
    if declaration:
        lines.insert(0, '<?xml version="1.0" encoding="utf-8"?>')
    path = tmp_path / "f.rss"
    path.write_text("\n".join(lines), encoding="utf-8")
    _, (fail,) = _load(path)
    assert fail.reason.startswith(f"broken XML at line {4 if declaration else 3}, ")


@pytest.mark.parametrize("suffix", [".rss", ".atom", ".xml"])
def test_feed_suffixes(tmp_path, suffix):
    path = tmp_path / f"f{suffix}"
    path.write_text(rss("Oakford Gazette", ITEMS[:1]), encoding="utf-8")
    (doc,), _ = _load(path)
    assert doc.fmt == "feed"
