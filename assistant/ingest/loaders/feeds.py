"""RSS and Atom feeds saved as files (.rss, .atom, .xml): each item is an article.

feedparser reads the bytes of the local file (it is handed a stream, never a name or a
URL, so nothing is fetched). Each item's full content (``content:encoded``, Atom
``content``), else its description, is the text; its title, published date, author and
link are its metadata, and the feed's own title is the publisher.

Doc ids are the item's id (``guid``) or link, which stay the same when a feed is saved
again with newer items on top. An item seen earlier in the batch with the same content
(the same feed saved twice) is skipped; with different content it is a failure, so two
versions of one article are never indexed under one id.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from assistant.ingest.loaders.base import (
    Batch,
    Found,
    LoadFailure,
    Source,
    document,
    register,
    sha256,
    too_many_chars,
)
from assistant.ingest.loaders.html import html_to_text, strip_inline_html
from assistant.ingest.loaders.limits import markup_too_large
from assistant.ingest.loaders.placeholders import plausible_author
from assistant.ingest.metadata import parse_date
from assistant.models import Document
from assistant.text.mojibake import repair_mojibake


def _body(entry: Any) -> str:
    """The item's longest HTML or text body: full content over the description."""
    candidates = [c.get("value", "") for c in entry.get("content", []) or []]
    candidates.append(entry.get("summary", "") or "")
    best = max(candidates, key=len, default="")
    return repair_mojibake(html_to_text(best)[0])[0] if best.strip() else ""


def _date(entry: Any) -> tuple[str, str]:
    for key in ("published", "updated", "created"):
        raw = entry.get(key) or ""
        iso = parse_date(raw)
        if not iso and entry.get(f"{key}_parsed"):
            t = entry[f"{key}_parsed"]
            iso = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
        if iso:
            return iso, f"feed:item {key}"
    return "", ""


def _declares_xml(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    return head.startswith(b"<?xml") or head.replace(b"\x00", b"").startswith(b"<?xml")


def _broken(parsed: Any, data: bytes) -> str:
    """Why the feed cannot be trusted, or ``""``: XML that is not well formed."""
    exc = parsed.get("bozo_exception")
    if not parsed.get("bozo") or exc is None:
        return ""
    if type(exc).__name__ == "SAXParseException":
        # feedparser puts an XML declaration on a line of its own above a file that has none.
        line = exc.getLineNumber() - (0 if _declares_xml(data) else 1)
        return (f"broken XML at line {line}, column {exc.getColumnNumber()} ({exc.getMessage()}); "
                "repair the file (`xmllint --noout FILE` shows where) or save the feed again")
    return ""


@register(".rss", ".atom", ".xml")
class FeedLoader:
    fmt = "feed"

    def load(self, src: Source, batch: Batch) -> Iterator[Document | LoadFailure]:
        import feedparser

        if not src.data.strip():
            yield LoadFailure(src.label, "file is empty; remove it or save the feed again")
            return
        if len(src.data) > src.limits.markup_bytes:
            yield LoadFailure(src.label, markup_too_large("feed", len(src.data), src.limits))
            return
        parsed = feedparser.parse(io.BytesIO(src.data), sanitize_html=True, resolve_relative_uris=False)
        broken = _broken(parsed, src.data)
        if broken:
            yield LoadFailure(src.label, broken)
            return
        if not parsed.get("version") and not parsed.get("entries"):
            yield LoadFailure(src.label, "not an RSS or Atom feed (no channel or feed element); "
                                         "only feeds are read from .rss, .atom and .xml files")
            return
        channel = parsed.get("feed", {})
        publisher = " ".join((channel.get("title") or "").split())
        for n, entry in enumerate(parsed.get("entries", []), start=1):
            where = f"{src.label}:item {n}"
            text = _body(entry)
            if not text.strip():
                yield LoadFailure(where, "no article text in this item (only a title or link); the feed links to "
                                         "articles instead of carrying them: save the pages and ingest those")
                continue
            if len(text) > src.limits.document_chars:
                yield LoadFailure(where, too_many_chars(len(text), src.limits))
                continue
            found = Found()
            found.add("title", strip_inline_html(entry.get("title", "") or ""), "feed:item title")
            found.add("date", *_date(entry))
            detail = entry.get("author_detail") or {}
            author = detail.get("name") or entry.get("author") or ""
            if plausible_author(author):
                found.add("author", author, "feed:item author")
            found.add("url", entry.get("link", ""), "feed:item link")
            found.add("publisher", publisher, "feed:channel title")
            canonical = json.dumps([publisher, entry.get("id", ""), found.values, text], sort_keys=True,
                                   ensure_ascii=False)
            raw_hash = sha256(canonical.encode("utf-8"))
            doc_id = (entry.get("id") or entry.get("link") or "").strip() or f"{src.path.name}:{n}"
            if doc_id in batch.ids:
                if batch.hashes.get(doc_id) != raw_hash:
                    yield LoadFailure(where, f"item id {doc_id!r} was already read from {batch.where.get(doc_id) or 'another file'} "
                                             "with different content; the first was kept (remove the older copy)")
                continue
            batch.claim(doc_id, raw_hash, where)
            yield document(doc_id, text, src, self.fmt, found, raw_hash)
