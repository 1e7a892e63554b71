"""Small article files the tests write themselves: PDF (reportlab), Word (python-docx),
RSS/Atom feeds (plain text) and saved web pages with navigation and teaser furniture.

Nothing here is downloaded. The PDF builder lays text out the way e-paper editions do —
a headline across the page, then narrow columns with words hyphenated at line ends — and
returns the paragraphs as written, so a test can check what extraction gives back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGE_W, PAGE_H = 595.0, 842.0  # A4 in points
MARGIN = 50.0
BODY_FONT, BODY_SIZE, LEADING = "Times-Roman", 10.0, 12.5
HEAD_FONT, HEAD_SIZE = "Times-Bold", 20.0


@dataclass
class Line:
    text: str
    column: int
    row: int


def _wrap(paragraph: str, width: float, hyphenate: bool, hyphen: str = "-", compounds: bool = False) -> list[str]:
    """Break ``paragraph`` into lines no wider than ``width``; a word that does not fit is
    split with a hyphen (at least three letters each side), as justified columns do."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def w(s: str) -> float:
        return stringWidth(s, BODY_FONT, BODY_SIZE)

    lines: list[str] = []
    cur = ""
    for word in paragraph.split():
        cand = f"{cur} {word}" if cur else word
        if w(cand) <= width:
            cur = cand
            continue
        if compounds and "-" in word.strip("-"):
            # A compound breaks at its own hyphen, as typesetters break "twelve-" / "hour".
            head_word, tail = word.split("-", 1)
            head = f"{cur} {head_word}-" if cur else f"{head_word}-"
            if w(head) <= width:
                lines.append(head)
                cur = tail
                continue
        if hyphenate and word.isalpha() and len(word) >= 7:
            for cut in range(len(word) - 3, 2, -1):
                head = f"{cur} {word[:cut]}{hyphen}" if cur else f"{word[:cut]}{hyphen}"
                if w(head) <= width:
                    lines.append(head)
                    cur = word[cut:]
                    break
            else:
                lines.append(cur)
                cur = word
            continue
        if cur:
            lines.append(cur)
        cur = word
    if cur:
        lines.append(cur)
    return lines


def write_pdf(path: Path, paragraphs: list[str], *, headline: str = "", columns: int = 1,
              order: str = "columns", hyphenate: bool = True, metadata: dict[str, Any] | None = None,
              running_head: str = "", pages: int = 1, encrypt: str = "", text_mode: int = 0,
              image_only: bool = False, hyphen: str = "-", break_compounds: bool = False) -> Path:
    """Write an article as a PDF.

    ``order="rows"`` writes the content stream row by row across the columns (left line 1,
    right line 1, left line 2...), so the stream order is not the reading order: only
    geometry recovers the columns. ``pages`` spreads the body over that many pages, each
    with ``running_head`` and a page number. ``text_mode=3`` draws invisible text (what OCR
    tools lay over a scan); ``image_only`` draws a picture and no text at all (a scan
    without a text layer). ``metadata`` keys: title, author, subject, creation_date
    (a ``datetime``).
    """
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1)
    if image_only:
        for k in range(40):
            c.setFillGray(0.2 + 0.015 * k)
            c.rect(MARGIN + 10 * k, PAGE_H - 200 - 5 * k, 300, 8, fill=1, stroke=0)
        c.showPage()
        c.save()
        return _finish_pdf(path, metadata or {}, encrypt)
    gutter = 18.0
    col_w = (PAGE_W - 2 * MARGIN - gutter * (columns - 1)) / columns
    # Every paragraph wrapped to the column width, then poured into columns and pages.
    body: list[str | None] = []  # None marks a paragraph break (a blank line's height)
    for i, para in enumerate(paragraphs):
        if i:
            body.append(None)
        body.extend(_wrap(para, col_w, hyphenate, hyphen, break_compounds))
    top = PAGE_H - MARGIN - (40 if headline else 0) - (20 if running_head else 0)
    # Columns are balanced: each holds an equal share of the lines (as far as the page allows).
    rows_per_col = min(int((top - MARGIN - 30) // LEADING), max(1, -(-len(body) // (columns * pages))))
    pos = 0
    for page in range(pages):
        if running_head:
            c.setFont(BODY_FONT, 8)
            c.drawString(MARGIN, PAGE_H - MARGIN + 10, running_head)
            c.drawRightString(PAGE_W - MARGIN, MARGIN - 25, str(page + 1))
        if headline and page == 0:
            c.setFont(HEAD_FONT, HEAD_SIZE)
            c.drawString(MARGIN, PAGE_H - MARGIN - 20 - (20 if running_head else 0), headline)
        placed: list[tuple[int, int, str]] = []  # (column, row, text)
        for col in range(columns):
            take = body[pos: pos + rows_per_col] if page < pages - 1 or col < columns - 1 else body[pos:]
            pos += len(take)
            for row, ln in enumerate(take):
                if ln is not None:
                    placed.append((col, row, ln))
        if order == "rows":
            placed.sort(key=lambda t: (t[1], t[0]))
        text = c.beginText()
        text.setTextRenderMode(text_mode)
        c.setFont(BODY_FONT, BODY_SIZE)
        for col, row, ln in placed:
            text.setTextOrigin(MARGIN + col * (col_w + gutter), top - row * LEADING)
            text.setFont(BODY_FONT, BODY_SIZE)
            text.textOut(ln)
        c.drawText(text)
        c.showPage()
    c.save()
    return _finish_pdf(path, metadata or {}, encrypt)


def _finish_pdf(path: Path, meta: dict[str, Any], encrypt: str) -> Path:
    """Replace reportlab's document info with exactly ``meta`` (reportlab writes
    "untitled"/"anonymous" and a fixed date), and encrypt with the user password ``encrypt``."""
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(str(path)))
    info: dict[str, str] = {"/Producer": "tests"}
    for key, name in (("title", "/Title"), ("author", "/Author"), ("subject", "/Subject")):
        if meta.get(key):
            info[name] = meta[key]
    if meta.get("creation_date"):
        info["/CreationDate"] = meta["creation_date"].strftime("D:%Y%m%d%H%M%S+00'00'")
    w._info = None  # drop the cloned info dictionary, then write ours
    w.add_metadata(info)
    if encrypt:
        w.encrypt(user_password=encrypt, owner_password=encrypt + "-owner", algorithm="AES-128")
    with open(path, "wb") as fh:
        w.write(fh)
    return path


def write_docx(path: Path, paragraphs: list[str], *, headline: str = "", core: dict[str, Any] | None = None,
               table: list[list[str]] | None = None) -> Path:
    """A Word document: an optional Title-styled headline, body paragraphs, an optional
    table, and core properties (title, author, created, ...)."""
    import docx

    d = docx.Document()
    for key, value in (core or {}).items():
        setattr(d.core_properties, key, value)
    if headline:
        d.add_heading(headline, level=0)
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for k, cell in enumerate(row):
                t.cell(r, k).text = cell
    d.save(str(path))
    return path


def rss(title: str, items: list[dict[str, str]]) -> str:
    """An RSS 2.0 feed: ``items`` have title, link, guid, pubDate, author, description (HTML)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
           f"<title>{title}</title><link>https://example.org/</link><description>News</description>"]
    for it in items:
        out.append("<item>")
        for tag in ("title", "link", "guid", "pubDate"):
            if it.get(tag):
                out.append(f"<{tag}>{it[tag]}</{tag}>")
        if it.get("author"):
            out.append(f"<dc:creator>{it['author']}</dc:creator>")
        if it.get("description"):
            out.append(f"<description><![CDATA[{it['description']}]]></description>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out)


def atom(title: str, entries: list[dict[str, str]]) -> str:
    """An Atom feed: ``entries`` have title, link, id, published, author, content (HTML)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
           f"<title>{title}</title><id>urn:example:feed</id><updated>2025-01-01T00:00:00Z</updated>"]
    for e in entries:
        out.append("<entry>")
        out.append(f"<title>{e['title']}</title><id>{e.get('id', e.get('link', ''))}</id>")
        if e.get("link"):
            out.append(f'<link href="{e["link"]}"/>')
        if e.get("published"):
            out.append(f"<published>{e['published']}</published><updated>{e['published']}</updated>")
        if e.get("author"):
            out.append(f"<author><name>{e['author']}</name></author>")
        if e.get("content"):
            out.append(f'<content type="html"><![CDATA[{e["content"]}]]></content>')
        out.append("</entry>")
    out.append("</feed>")
    return "\n".join(out)


# -- saved web pages: an article inside a site's furniture ------------------------------------------

NAV = ["Pozirk", "Politics", "Economy", "Society", "Culture", "Sport", "Opinion"]


def saved_page(headline: str, paragraphs: list[str], *, site: str = "Pozirk", date_meta: str = "",
               author_meta: str = "", teasers: list[str] | None = None, nav: list[str] | None = None,
               meta_tags: bool = True, dateline: str = "") -> str:
    """A page as a browser's "save page" keeps it: a nav bar of section links (plain
    ``div``s and ``a``s, not ``<nav>``), a share bar, the article, a "Read also" teaser
    block of linked headlines, a newsletter box, cookie banner and a footer of links."""
    nav = NAV if nav is None else nav
    teasers = teasers or []
    head = [f"<title>{headline} | {site}</title>"]
    if meta_tags and date_meta:
        head.append(f'<meta property="article:published_time" content="{date_meta}">')
    if meta_tags and author_meta:
        head.append(f'<meta name="author" content="{author_meta}">')
    if meta_tags:
        head.append(f'<meta property="og:site_name" content="{site}">')
    head.append('<link rel="stylesheet" href="page_files/site.css"><script src="page_files/app.js"></script>')
    menu = "".join(f'<a class="menu-item" href="/{s.lower()}/">{s}</a> ' for s in nav)
    body_paras = list(paragraphs)
    if dateline and body_paras:
        body_paras[0] = f"{dateline} {body_paras[0]}"
    article = "".join(f"<p>{p}</p>" for p in body_paras)
    teaser_html = "".join(
        f'<div class="teaser"><a href="/news/{i}/"><span class="cat">Politics</span>{t}</a></div>'
        for i, t in enumerate(teasers))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">{''.join(head)}</head>
<body>
<div class="header"><div class="logo"><a href="/">{site}</a></div>
<div class="menu">{menu}</div>
<div class="search"><a href="/search">Search</a> <a href="/login">Log in</a></div></div>
<div class="page"><div class="content">
<div class="crumbs"><a href="/">Home</a> &gt; <a href="/politics/">Politics</a></div>
<div class="post">
<h1 class="post-title">{headline}</h1>
<div class="share"><a href="https://facebook.com/share">Facebook</a> <a href="https://x.com/share">X</a>
 <a href="https://t.me/share">Telegram</a></div>
<div class="post-body">{article}</div>
</div>
<div class="related"><div class="related-title">Read also</div>{teaser_html}</div>
<div class="newsletter"><p>Sign up for our newsletter</p><a href="/subscribe">Subscribe</a></div>
</div>
<div class="sidebar"><div class="widget-title">Popular</div>
{''.join(f'<div><a href="/p/{i}/">{t}</a></div>' for i, t in enumerate(reversed(teasers)))}</div></div>
<div class="cookies">We use cookies to improve your experience. <a href="/cookies">Accept</a></div>
<div class="footer"><a href="/about">About us</a> | <a href="/contact">Contact us</a> |
 <a href="/privacy">Privacy policy</a><div>© 2025 {site}. All rights reserved.</div></div>
</body></html>"""


def creation(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 9, 30, tzinfo=dt.timezone.utc)


#: How a test-made scan is spoiled, mild to rough: (dpi of the scan, blur radius in pixels,
#: noise standard deviation in grey levels, tilt in degrees, JPEG quality). A 200 dpi office
#: scan; a 150 dpi photocopy of a clipping, tilted and compressed.
SCAN_DEGRADATIONS = {
    "clean": (200, 0.0, 0.0, 0.0, 92),
    "office": (200, 0.6, 8.0, 0.4, 70),
    "photocopy": (150, 0.9, 16.0, 1.2, 45),
}


def write_scanned_pdf(path: Path, paragraphs: list[str], *, headline: str = "", columns: int = 1,
                      degrade: str = "office", seed: int = 7, metadata: dict[str, Any] | None = None,
                      pages: int = 1) -> Path:
    """A scan of an article: the PDF ``write_pdf`` lays out (headline, columns, words
    hyphenated at line ends), rendered to a greyscale picture, spoiled as
    ``SCAN_DEGRADATIONS[degrade]`` says (blur, noise, tilt, JPEG), and saved as a PDF of
    images with no text layer, as a scanner writes it."""
    import io

    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    dpi, blur, noise, tilt, quality = SCAN_DEGRADATIONS[degrade]
    text_pdf = path.with_suffix(".text.pdf")
    write_pdf(text_pdf, paragraphs, headline=headline, columns=columns, hyphenate=True, pages=pages)
    rng = np.random.default_rng(seed)
    images = []
    pdf = pdfium.PdfDocument(str(text_pdf))
    for page in pdf:
        img = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        page.close()
        if blur:
            img = img.filter(ImageFilter.GaussianBlur(blur))
        if tilt:
            img = img.rotate(tilt * (1 if rng.random() < 0.5 else -1), resample=Image.BICUBIC, fillcolor=255)
        if noise:
            arr = np.asarray(img, dtype=np.float32) + rng.normal(0, noise, (img.height, img.width))
            img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=quality)
        images.append(Image.open(io.BytesIO(buf.getvalue())))
    pdf.close()
    text_pdf.unlink()
    images[0].save(path, format="PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    return _finish_pdf(path, metadata or {}, "")


def scan_source_text(paragraphs: list[str], headline: str = "") -> str:
    """What a perfect reading of ``write_scanned_pdf``'s page gives: headline, then paragraphs."""
    return "\n\n".join(([headline] if headline else []) + list(paragraphs))
