"""PDF articles (.pdf): e-paper pages, agency bulletins, reports.

Library: pdfplumber (over pdfminer.six), chosen over pypdf by measurement
(``tools/measure_pdf_extraction.py``: generated pages with a headline over two or three
columns of hyphenated text; the share of the article's sentences that come out whole,
after the same hyphen and line joining for every method):

| page | pypdf | pypdf layout | pdfplumber text | pdfminer boxes | pdfplumber words + XY-cut |
|---|---|---|---|---|---|
| 2 columns, stream in reading order | 1.00 | 0.25 | 0.25 | 0.88 | 1.00 |
| 2 columns, stream row by row | 0.25 | 0.25 | 0.25 | 0.88 | 1.00 |
| 3 columns, stream row by row | 0.12 | 0.12 | 0.12 | 0.62 | 1.00 |

pypdf follows the content stream, so it is right only where the stream happens to be in
reading order; its layout mode, like pdfplumber's ``extract_text``, prints the columns side
by side on each line. What reading order needs is every word with its box and font size:
pdfplumber gives exactly that (pypdf's text visitor gives where each string starts but not
its width, which would have to be rebuilt from every font's width tables to find gutters), and the XY-cut in ``pdf_layout`` gets every
sentence on all three pages. pypdf is faster (3 ms a page against 20-40 ms), which does not
matter next to spaCy and embedding. pdfminer's own layout analysis (LAParams) was not taken:
it ordered one column's block after the next column's (0.88, 0.62).

Metadata: the document information dictionary's Title, Author and CreationDate, unless a
value is a placeholder that authoring tools write ("untitled", "anonymous", "Microsoft
Word - draft.docx"); the text rules fill what is missing.

Pages are read one at a time within the caps of ``limits`` (``pdf_guard``: decoded bytes
per page and per document, glyphs and drawings per page, text per document): a file that
inflates past them fails with the cap and the fix, in a moment and in bounded memory.
"""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.ingest.loaders import pdf_guard
from assistant.ingest.loaders.base import (
    Batch,
    Deferred,
    DeferredFailure,
    Found,
    LoadFailure,
    Source,
    abs_source,
    converted_document,
    deferred_now,
    document,
    register,
    sha256,
    too_many_chars,
)
from assistant.ingest.loaders.limits import ReadLimits, TooLarge
from assistant.ingest.loaders.pdf_layout import Word, drop_running_heads, page_paragraphs, render
from assistant.ingest.loaders.placeholders import plausible_author, plausible_title
from assistant.models import Document

#: Unmapped glyphs come out as "(cid:123)": a page made of them has no usable text layer.
_CID = re.compile(r"\(cid:\d+\)")
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")

NO_TEXT = ("no text layer (the pages are images, e.g. a scan) and OCR found no text on them; if they "
           "hold text, scan them again at 300 dpi or more and ingest the new file")
#: Where the text of OCRed pages came from, in ``Document.meta_origin`` (``"ocr:tesseract ..."``).
OCR_ORIGIN_KEY = "text"


class PdfError(Exception):
    """The PDF cannot be read; the message says why and how to fix it."""


pdf_guard.install()


def _decoded(value: Any) -> str:
    """A document information string (pdfplumber decodes most; raw bytes are UTF-16 with a
    byte-order mark or PDFDocEncoding, read here as Latin-1)."""
    if isinstance(value, bytes):
        if value[:2] in (b"\xfe\xff", b"\xff\xfe"):
            return value.decode("utf-16", errors="replace")
        return value.decode("latin-1")
    return value if isinstance(value, str) else ""


def pdf_date(value: str) -> str:
    """ISO date of a PDF date string ``D:YYYYMMDDHHmmSS+HH'mm'`` (as precise as it is)."""
    m = _PDF_DATE.match(value.strip())
    if not m or not 1900 <= int(m.group(1)) <= 2200:
        return ""
    y, mo, d = m.group(1), m.group(2), m.group(3)
    if mo and not 1 <= int(mo) <= 12:
        return ""
    return "-".join(x for x in (y, mo, d and mo and d) if x)


def _metadata(info: dict[str, Any]) -> Found:
    found = Found()
    title = _decoded(info.get("Title"))
    if plausible_title(title):
        found.add("title", title, "pdf:Title")
    author = _decoded(info.get("Author"))
    if plausible_author(author):
        found.add("author", author, "pdf:Author")
    found.add("date", pdf_date(_decoded(info.get("CreationDate"))), "pdf:CreationDate")
    return found


def _open_error(exc: Exception) -> PdfError:
    big = pdf_guard.too_large(exc)
    if big is not None:
        return PdfError(str(big))
    if isinstance(exc, MemoryError) or isinstance(exc.__cause__, MemoryError):
        return PdfError("reading it ran out of memory; split it into smaller files (e.g. "
                        "`qpdf IN.pdf --split-pages=50 OUT.pdf`) and ingest those")
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    name = type(inner).__name__
    if name == "PDFPasswordIncorrect":
        return PdfError("the PDF is encrypted with a password; save a copy without the password (e.g. "
                        "`qpdf --decrypt --password=PASSWORD IN.pdf OUT.pdf`) and ingest that")
    if "Encryption" in name:
        return PdfError(f"the PDF uses an encryption this reader does not support ({inner}); save a decrypted copy "
                        "(e.g. `qpdf --decrypt IN.pdf OUT.pdf`) and ingest that")
    return PdfError(f"not a readable PDF ({name}: {inner}); the file is damaged or not a PDF: "
                    "export it again from the program that made it")


def pdf_text(data: bytes, limits: ReadLimits | None = None) -> tuple[str, Found]:
    """Text (paragraphs in reading order, lines joined) and metadata of a PDF file's bytes.

    Raises ``PdfError`` for encrypted, damaged and text-less PDFs, and for PDFs that
    inflate past ``limits``.
    """
    text, found, _ = pdf_text_ocr(data, limits)
    return text, found


class NeedsOcr(Exception):
    """Raised by ``pdf_text_ocr(..., ocr=False)``: pages have no text layer and OCR is on."""


def pdf_text_ocr(data: bytes, limits: ReadLimits | None = None, *, ocr: bool = True,
                 ocr_threads: int | None = None) -> tuple[str, Found, str]:
    """``pdf_text``, and where the text of pages without a text layer came from ("" when
    no page was OCRed; else e.g. ``"ocr:tesseract 5.3.0, pages 1-2 of 2"``). Those pages are
    read by OCR (``pdf_ocr``), their words laid out like any page's; with ``ocr=False``
    they raise ``NeedsOcr`` instead (unless OCR is off), before any is read. Pages are OCRed
    in parallel on up to ``ocr_threads`` cores (None: every core)."""
    import pdfplumber

    from assistant.ingest.loaders.pdf_ocr import engine_name

    limits = limits or ReadLimits.from_env()
    with pdf_guard.budget(limits):
        try:
            pdf = pdfplumber.open(io.BytesIO(data))
        except Exception as exc:
            raise _open_error(exc) from exc
        try:
            pages = []
            heights = []
            chars = 0
            for n, page in enumerate(pdf_guard.pages(pdf)):
                raw = page.extract_words(extra_attrs=["size"], keep_blank_chars=False, use_text_flow=False)
                words = [Word(_CID.sub("", w["text"]), w["x0"], w["x1"], w["top"], w["bottom"], float(w["size"]))
                         for w in raw if w.get("upright", True)]
                pages.append(page_paragraphs([w for w in words if w.text.strip()], n))
                heights.append(float(page.height))
                page.close()  # frees the page's parsed objects: long reports stay in bounded memory
                chars += sum(len(w.text) + 1 for w in words)
                if chars > limits.document_chars:
                    raise PdfError(f"its text runs past {limits.document_chars:,} characters by page {n + 1}, the "
                                   f"limit for one document; {limits.fix(chars)}")
            info = dict(pdf.metadata or {})
        except PdfError:
            raise
        except Exception as exc:
            raise _open_error(exc) from exc
        finally:
            pdf.close()
    blank = [n for n, paras in enumerate(pages) if not paras]
    if blank and not ocr and engine_name():
        raise NeedsOcr(f"{len(blank)} of {len(pages)} pages have no text layer")
    note, why_not = _ocr_into(data, pages, blank, ocr_threads) if blank else ("", "")
    drop_running_heads(pages, heights)
    text = render(pages)
    if not text.strip():
        raise PdfError(f"no text layer (the pages are images, e.g. a scan), and they could not be read by OCR: "
                       f"{why_not}" if why_not else NO_TEXT)
    return text, _metadata(info), note


def _ocr_into(data: bytes, pages: list[list[Any]], blank: list[int], threads: int | None) -> tuple[str, str]:
    """OCR the ``blank`` pages (no text layer) into ``pages``: (the origin note, "" when OCR
    read nothing; why OCR could not run, with the fix, "" when it ran)."""
    from assistant.ingest.loaders.pdf_ocr import ENV_OCR, OcrUnavailable, engine_name, get_engine, ocr_pages

    if not engine_name():
        return "", f"OCR is off ({ENV_OCR}=off); unset {ENV_OCR} and ingest the file again"
    try:
        engine = get_engine()
        read = ocr_pages(data, blank, engine, workers=threads)
        version = engine.version()
    except (OcrUnavailable, OSError, subprocess.SubprocessError) as exc:
        return "", str(exc) or type(exc).__name__
    for page in read:
        pages[page.index] = page_paragraphs([w for w in page.words if w.text.strip()], page.index)
    done = [p.index + 1 for p in read if pages[p.index]]
    if not done:
        return "", ""
    return f"ocr:{version}, page{'s' if len(done) > 1 else ''} {_ranges(done)} of {len(pages)}", ""


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5"."""
    out: list[str] = []
    for n in numbers:
        if out and n == int(out[-1].split("-")[-1]) + 1:
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


@register(".pdf")
class PdfLoader:
    fmt = "pdf"

    def load(self, src: Source, batch: Batch) -> Iterator[Document | LoadFailure]:
        notes: list[str] = []
        # Under ``deferring`` (an ingest by workers), pages to OCR are left to the worker.
        ocr = not deferred_now()

        def convert(data: bytes, limits: ReadLimits) -> tuple[str, Found]:
            text, found, note = pdf_text_ocr(data, limits, ocr=ocr)
            notes.append(note)
            return text, found

        try:
            items = list(converted_document(src, batch, self.fmt, convert, (PdfError,),
                                            "remove it or export the PDF again"))
        except NeedsOcr:
            yield ScannedPdf(doc_id=batch.file_id(src.path, src.rel), text="", source=abs_source(src.path),
                             fmt=self.fmt, raw_hash=sha256(src.data), data=src.data, label=src.label,
                             limits=src.limits)
            return
        for item in items:
            if isinstance(item, Document) and notes and notes[-1]:
                # Pages read by OCR: the reply and the documents table say so.
                item.meta_origin[OCR_ORIGIN_KEY] = notes[-1]
            yield item


@dataclass
class ScannedPdf(Deferred):
    """A PDF with pages to read by OCR, left to the ingest worker (``Deferred``), read there
    within the same ``limits`` as the loader's."""

    limits: ReadLimits | None = None

    def finish(self, threads: int | None = None) -> Document:
        limits = self.limits or ReadLimits.from_env()
        try:
            text, found, note = pdf_text_ocr(self.data, limits, ocr_threads=threads)
        except (PdfError, TooLarge) as exc:
            raise DeferredFailure(str(exc)) from exc
        if len(text) > limits.document_chars:  # as ``single_document`` checks a loaded text
            raise DeferredFailure(too_many_chars(len(text), limits))
        doc = document(self.doc_id, text, Source(Path(self.source), self.doc_id, self.data, self.label, limits),
                       self.fmt, found, self.raw_hash)
        if note:
            doc.meta_origin[OCR_ORIGIN_KEY] = note
        return doc
