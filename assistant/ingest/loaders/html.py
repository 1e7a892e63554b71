"""HTML articles and saved web pages (.html/.htm).

A page saved from a browser brings its furniture: a menu of section links, share bars,
"Read also" teasers, sidebars, cookie banners. The body of a full page is chosen by
trafilatura (Barbaresi 2021: tag structure, text and link density, with jusText and
readability as fallbacks), measured on three saved pages with nav and teaser furniture
(tests/ingest/test_loaders_web.py): walking every element and then ``clean_text`` left 11-15
furniture lines a page (the menu first, so it was taken for the headline and hid the
dateline); trafilatura's body then ``clean_text`` leaves none and keeps every article line. trafilatura's
own metadata (and with it htmldate's extensive date search, which invents dates from
URLs and copyright lines) is never used: title, date, author and publisher come from the
project's rules over the whole page (``<h1>``, meta tags, ``<time>``).

Fragments (JSONL text fields, pages trafilatura finds no body in) go through the stdlib
parser below, which keeps block structure as line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser

from assistant.ingest.loaders.base import Batch, Found, LoadFailure, Source, register, single_document
from assistant.ingest.loaders.decoding import decode_file
from assistant.ingest.loaders.limits import markup_too_large
from assistant.ingest.metadata import parse_date
from assistant.models import Document

#: Link text markers in the parser's output (Unicode private use: never in real text).
_LINK_OPEN, _LINK_CLOSE = "\ue000", "\ue001"
#: A line this much link text (by characters) that does not end like a sentence is navigation.
#: jusText classes a paragraph above 0.2 as boilerplate; this is used only where no body was
#: found, so it is stricter about what it drops: more than half of the line must be links.
_MAX_LINK_DENSITY = 0.5
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
#: Subtrees trafilatura would otherwise read as text (it skips scripts and styles itself).
_PRUNE_XPATH = ["//template", "//noscript", "//svg", "//math", "//form", "//button", "//select"]

_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "nav", "footer", "aside", "form", "iframe", "button", "select", "object", "canvas", "math"})
_PARA_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol", "dl", "table", "figure",
    "section", "article", "header", "main", "hr", "address", "details", "summary", "fieldset",
})
_LINE_TAGS = frozenset({"br", "div", "li", "tr", "dt", "dd", "figcaption", "caption", "center", "option", "tbody", "thead"})
_CELL_TAGS = frozenset({"td", "th"})
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "source", "area", "base", "col", "embed", "param", "track"})


class _HTMLText(HTMLParser):
    """Plain text of an HTML page with block structure kept as line breaks.

    Method: a streaming pass over the tag events (stdlib ``html.parser``);
    block-level elements become line or paragraph breaks, whitespace inside text
    collapses as a browser renders it, and non-content subtrees are skipped.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []
        self.pre = 0
        self.in_title = False
        self.in_h1 = False
        self.title = ""
        self.h1 = ""
        self.meta: dict[str, str] = {}
        self.time = ""
        self.links = 0  # depth of <a href> elements open

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content") and key not in self.meta:
                self.meta[key] = a["content"].strip()
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.meta.setdefault("canonical", a["href"])
            return
        if tag == "title":
            self.in_title = True
            return
        if self.skip:
            if tag in _SKIP_TAGS and tag not in _VOID_TAGS:
                self.skip.append(tag)
            return
        if tag in _SKIP_TAGS:
            self.skip.append(tag)
            return
        if tag == "time" and not self.time:
            self.time = a.get("datetime", "")
        if tag == "a" and a.get("href"):
            self.links += 1
            self.parts.append(_LINK_OPEN)
        if tag == "h1" and not self.h1:
            self.in_h1 = True
        if tag == "pre":
            self.pre += 1
        self._block(tag)
        if tag == "li":
            self.parts.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            elif tag in self.skip:
                # Unbalanced markup: close back to the matching element.
                while self.skip and self.skip.pop() != tag:
                    pass
            return
        if tag == "h1":
            self.in_h1 = False
        if tag == "a" and self.links:
            self.links -= 1
            self.parts.append(_LINK_CLOSE)
        if tag == "pre" and self.pre:
            self.pre -= 1
        self._block(tag)

    def _block(self, tag: str) -> None:
        if tag == "br":
            self.parts.append("\n")  # each <br> is a break of its own: two make a blank line
        elif tag in _PARA_TAGS:
            self._break(2)
        elif tag in _LINE_TAGS:
            self._break(1)
        elif tag in _CELL_TAGS:
            self.parts.append(" ")

    def _break(self, n: int) -> None:
        """End the output with at least ``n`` newlines (adjacent blocks share their breaks)."""
        tail = "".join(self.parts[-4:]).rstrip(" \t")
        have = len(tail) - len(tail.rstrip("\n"))
        if have < n:
            self.parts.append("\n" * (n - have))

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
            return
        if self.skip:
            return
        if not self.pre:
            data = re.sub(r"[ \t\r\n\f\v]+", " ", data)
        if self.in_h1:
            self.h1 += data
        self.parts.append(data)

    def text(self, drop_link_lines: bool = False) -> str:
        """The page text; with ``drop_link_lines``, lines that are mostly link text and do
        not end like a sentence (menus, breadcrumbs, teaser headlines) are left out."""
        raw = "".join(self.parts).replace("\u00a0", " ")
        lines = []
        for ln in raw.split("\n"):
            if drop_link_lines and _link_line(ln):
                continue
            plain = ln.replace(_LINK_OPEN, "").replace(_LINK_CLOSE, "")
            lines.append(re.sub(r"[ \t]{2,}", " ", plain).strip())
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _link_line(line: str) -> bool:
    """Method: link density (Kohlschütter et al. 2010; jusText): the share of a line's
    characters that are link text. A line of section links, a breadcrumb or a linked teaser
    headline is nearly all link; a sentence with a linked phrase is not."""
    total = linked = 0
    inside = False
    for ch in line:
        if ch == _LINK_OPEN:
            inside = True
        elif ch == _LINK_CLOSE:
            inside = False
        elif not ch.isspace():
            total += 1
            linked += inside
    stripped = line.replace(_LINK_OPEN, "").replace(_LINK_CLOSE, "").strip()
    return total > 0 and linked / total >= _MAX_LINK_DENSITY and not _SENTENCE_END.search(stripped)


def _page_metadata(p: _HTMLText) -> Found:
    """Title, date, author, publisher and url stated by the page, each with its source.

    Titles prefer the first ``<h1>``, then ``og:title``, then ``<title>`` minus a
    trailing " | Site" part; the date comes from ``article:published_time`` or
    the first ``<time datetime>`` outside skipped regions.
    """
    meta = p.meta
    found = Found()
    found.add("title", unescape(" ".join(p.h1.split())), "html:h1")
    found.add("title", unescape(meta.get("og:title", "")), "html:og:title")
    found.add("title", unescape(meta.get("twitter:title", "")), "html:twitter:title")
    if p.title.strip():
        title = " ".join(p.title.split())
        # "Headline | Site Name": drop a short site suffix.
        m = re.match(r"^(.{12,}?)\s+[|–—·-]\s+([^|–—·]{2,40})$", title)
        if m and len(m.group(2).split()) <= 4:
            title = m.group(1)
        found.add("title", unescape(title), "html:title")
    for key in ("article:published_time", "datepublished", "date", "pubdate", "publish-date", "dc.date"):
        if meta.get(key):
            found.add("date", parse_date(meta[key]), f"html:{key}")
    if p.time:
        found.add("date", parse_date(p.time), "html:time")
    for key in ("author", "article:author"):
        author = meta.get(key, "")
        if not re.match(r"https?://", author):
            found.add("author", author, f"html:{key}")
    found.add("publisher", meta.get("og:site_name", ""), "html:og:site_name")
    found.add("url", meta.get("og:url", ""), "html:og:url")
    found.add("url", meta.get("canonical", ""), "html:canonical")
    return found


def _parse(html: str) -> _HTMLText:
    p = _HTMLText()
    p.feed(html)
    p.close()
    return p


def html_to_text(html: str) -> tuple[str, dict[str, str]]:
    """Plain text of an HTML fragment or page (every element outside skipped regions) and
    its metadata (title, date, author, publisher, url; ``""`` where the page states none)."""
    p = _parse(html)
    found = _page_metadata(p)
    info = {k: found.get(k) for k in ("title", "date", "author", "publisher", "url")}
    return p.text(), info


def page_body(html: str) -> str:
    """The article text of a full page: trafilatura's choice of body elements, rendered by
    the parser above (block structure as line breaks); ``""`` when it finds no body."""
    import trafilatura

    try:
        body = trafilatura.extract(
            html, output_format="html", with_metadata=False, include_comments=False, include_tables=True,
            include_images=False, include_links=False, prune_xpath=_PRUNE_XPATH,
        )
    except Exception:  # a page trafilatura cannot parse still has the parser's text
        return ""
    return _parse(body).text() if body else ""


_TAG_HINT = re.compile(r"<\s*/?\s*[A-Za-z][\w-]*(?:\s[^<>]*)?/?\s*>|<!--")
_ENTITY_HINT = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")


def strip_inline_html(text: str) -> str:
    """Remove inline markup from a text field (JSONL), keeping plain text as is.

    Text without tags is only entity-decoded (when it has entities), so a plain
    field keeps its exact characters and spacing.
    """
    if _TAG_HINT.search(text):
        return html_to_text(text)[0]
    if _ENTITY_HINT.search(text):
        return unescape(text)
    return text


@register(".html", ".htm")
class HtmlLoader:
    fmt = "html"

    def load(self, src: Source, batch: Batch) -> Iterator[Document | LoadFailure]:
        if len(src.data) > src.limits.markup_bytes:  # lxml's tree of a page is ~5-10x its bytes
            yield LoadFailure(src.label, markup_too_large("page", len(src.data), src.limits))
            return
        html = decode_file(src.data, src.label)
        if isinstance(html, LoadFailure):
            yield html
            return
        p = _parse(html)
        text = page_body(html) or p.text(drop_link_lines=True)
        yield from single_document(src, batch, self.fmt, text, _page_metadata(p))
