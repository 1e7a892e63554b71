"""Reading a PDF within bounds: decoded bytes per page and per document, glyphs and
drawings per page (``limits``), so a small file that inflates to gigabytes fails in a
moment instead of exhausting memory.

pdfminer inflates each stream whole (``zlib.decompress``) when something first reads it,
and makes a layout object for every glyph and drawing of a page. Here:

- ``budget`` is a context in which pdfminer's stream decoding (its module's ``zlib`` and
  ``lzwdecode``) inflates in pieces and raises ``PdfTooLarge`` past the page's or the
  document's cap, counting what the stream would have inflated to (up to
  ``COUNT_PAST_CAP`` times the cap) so the fix can name a setting that is enough. Outside
  the context, pdfminer decodes as it always does;
- ``pages`` yields pdfplumber pages one at a time, whose layout device stops the page at
  ``page_objects`` glyphs and drawings.

A stream that is damaged (bad deflate data) decodes to what came out before the damage,
as pdfminer's own recovery does, but in linear time (pdfminer's retries byte by byte).
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import re
import zlib
from collections.abc import Iterator
from typing import Any

from assistant.ingest.loaders.limits import (
    COUNT_PAST_CAP,
    INFLATED_BYTES_PER_CHAR,
    PAGE_BYTES_PER_CHAR,
    PAGE_OBJECTS_PER_CHAR,
    ReadLimits,
    megabytes,
)

#: Input bytes inflated at a time.
_PIECE = 1 << 16


class PdfTooLarge(Exception):
    """The PDF inflates past a cap; the message names it and the fix."""


class _Budget:
    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.total = 0
        self.page = 0
        self.page_no = 0  # 0: outside any page (the document's own streams)
        self.objects = 0

    def new_page(self, n: int) -> None:
        """Count for page ``n`` from now on (0: between pages)."""
        self.page_no, self.page, self.objects = n, 0, 0

    def room(self) -> tuple[int, bool]:
        """(bytes that may still be decoded, whether the page's cap is the nearer one)."""
        doc = self.limits.inflated_bytes - self.total
        if self.page_no and self.limits.page_bytes - self.page < doc:
            return max(0, self.limits.page_bytes - self.page), True
        return max(0, doc), False

    def spend(self, n: int) -> None:
        self.total += n
        self.page += n

    def too_large(self, page_cap: bool) -> PdfTooLarge:
        lim = self.limits
        if page_cap:
            more = "+" if self.page >= COUNT_PAST_CAP * lim.page_bytes else ""
            return PdfTooLarge(f"page {self.page_no} inflates past {megabytes(lim.page_bytes)} (its streams decode "
                               f"to {megabytes(self.page)}{more}), the cap on one page; "
                               f"{lim.fix(self.page / PAGE_BYTES_PER_CHAR)}")
        more = "+" if self.total >= COUNT_PAST_CAP * lim.inflated_bytes else ""
        return PdfTooLarge(f"its streams inflate past {megabytes(lim.inflated_bytes)} (to {megabytes(self.total)}"
                           f"{more}), the cap on one document; {lim.fix(self.total / INFLATED_BYTES_PER_CHAR)}")

    def count_object(self) -> None:
        self.objects += 1
        if self.objects > self.limits.page_objects:
            raise _TooManyObjects

    def too_many_objects(self, estimate: int) -> PdfTooLarge:
        lim = self.limits
        return PdfTooLarge(f"page {self.page_no} draws more than {lim.page_objects:,} glyphs and shapes (up to "
                           f"{estimate:,} by its content), the cap on one page; "
                           f"{lim.fix(estimate / PAGE_OBJECTS_PER_CHAR)}")


class _TooManyObjects(Exception):
    """A page past ``page_objects``, stopped where the device counted it."""


#: A page's text strings and the operators that paint paths or images: at most one glyph
#: per byte of a string, one object per painting operator.
_STRING = re.compile(rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>")
_PAINT = re.compile(rb"(?<![A-Za-z*])(?:S|s|f\*?|F|B\*?|b\*?|Do|BI)(?![A-Za-z*])")


def estimate_objects(page_obj: Any) -> int:
    """An upper bound on the glyphs and shapes of a page, from its decoded content streams
    (already decoded and cached by pdfminer when the page was read)."""
    from pdfminer.pdftypes import resolve1

    n = 0
    for ref in page_obj.contents or []:
        stream = resolve1(ref)
        data = getattr(stream, "data", None)
        if data is None:
            continue
        n += sum(len(m) - 2 for m in _STRING.findall(data)) + len(_PAINT.findall(data))
    return n


_current: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("pdf_budget", default=None)


@contextlib.contextmanager
def budget(limits: ReadLimits) -> Iterator[_Budget]:
    """Decode PDF streams within ``limits`` inside the block (this thread only)."""
    b = _Budget(limits)
    token = _current.set(b)
    try:
        yield b
    finally:
        _current.reset(token)


def _inflate(data: bytes) -> bytes:
    """``zlib.decompress`` for pdfminer, bounded by the current budget."""
    b = _current.get()
    if b is None:
        return zlib.decompress(data)
    d = zlib.decompressobj()
    out: list[bytes] = []
    room, page_cap = b.room()
    produced = 0
    try:
        for i in range(0, len(data), _PIECE):
            piece = d.decompress(data[i: i + _PIECE], room - produced + 1)
            while True:
                produced += len(piece)
                if produced > room:
                    # Past the cap: keep inflating, without keeping anything, to learn the size.
                    b.spend(produced + _count_rest(d, data, i, max(room, 1 << 20) * COUNT_PAST_CAP))
                    raise b.too_large(page_cap)
                out.append(piece)
                if not d.unconsumed_tail:
                    break
                piece = d.decompress(d.unconsumed_tail, room - produced + 1)
        out.append(d.flush())
    except zlib.error:
        # Damaged data: keep what inflates before the damage (a bad checksum comes last),
        # found by inflating again in small steps; nothing at all is pdfminer's to report.
        out, produced = _salvage(data, room)
        if not out:
            raise
    b.spend(produced)
    return b"".join(out)


def _salvage(data: bytes, room: int, step: int = 64) -> tuple[list[bytes], int]:
    d = zlib.decompressobj()
    out: list[bytes] = []
    produced = 0
    # The body in small steps, the 4-byte checksum alone: a step that fails loses its output.
    cuts = [*range(0, max(0, len(data) - 4), step), max(0, len(data) - 4), len(data)]
    try:
        for i, j in itertools.pairwise(cuts):
            piece = d.decompress(data[i:j], room - produced + 1)
            produced += len(piece)
            if produced > room or d.unconsumed_tail:
                break
            out.append(piece)
    except zlib.error:
        pass
    return out, sum(map(len, out))


def _count_rest(d: Any, data: bytes, i: int, upto: int) -> int:
    """Bytes ``d`` still inflates to, from the rest of ``data`` (after piece ``i``), up to ``upto``."""
    n = 0
    tail = d.unconsumed_tail
    try:
        while n < upto:
            if tail:
                n += len(d.decompress(tail, _PIECE * 16))
                tail = d.unconsumed_tail
                continue
            i += _PIECE
            if i >= len(data):
                break
            n += len(d.decompress(data[i: i + _PIECE], _PIECE * 16))
            tail = d.unconsumed_tail
    except zlib.error:
        pass
    return n


class _DamagedStream:
    """pdfminer's byte-by-byte recovery of damaged deflate data, refused inside a budget
    (``_inflate`` already kept what came out before the damage)."""

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        raise zlib.error("damaged deflate data")


class _BoundedZlib:
    """What pdfminer's stream decoder sees as ``zlib``."""

    error = zlib.error
    decompress = staticmethod(_inflate)

    @staticmethod
    def decompressobj(*args: Any, **kwargs: Any) -> Any:
        if _current.get() is not None:
            return _DamagedStream()
        return zlib.decompressobj(*args, **kwargs)


def _bounded_lzw(original: Any) -> Any:
    def lzwdecode(data: bytes) -> bytes:
        b = _current.get()
        if b is None:
            return original(data)
        import io

        from pdfminer.lzw import LZWDecoder

        out: list[bytes] = []
        produced = 0
        room, page_cap = b.room()
        for piece in LZWDecoder(io.BytesIO(data)).run():
            produced += len(piece)
            if produced > room:
                b.spend(produced)
                raise b.too_large(page_cap)
            out.append(piece)
        b.spend(produced)
        return b"".join(out)

    return lzwdecode


def install() -> None:
    """Point pdfminer's stream decoder at the bounded versions (once; they behave as the
    originals outside ``budget``)."""
    from pdfminer import pdftypes

    if not isinstance(pdftypes.zlib, _BoundedZlib):
        pdftypes.zlib = _BoundedZlib()  # type: ignore[assignment]
        pdftypes.lzwdecode = _bounded_lzw(pdftypes.lzwdecode)


def pages(pdf: Any) -> Iterator[Any]:
    """The pages of an open ``pdfplumber.PDF``, made one at a time (``pdf.pages`` makes them
    all first), each stopping its layout at the budget's ``page_objects``."""
    from pdfminer.pdfinterp import PDFPageInterpreter
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page, PDFPageAggregatorWithMarkedContent
    from pdfplumber.utils.exceptions import PdfminerException

    b = _current.get()

    class Counting(PDFPageAggregatorWithMarkedContent):
        def render_char(self, *args: Any, **kwargs: Any) -> float:  # type: ignore[override]
            if b is not None:
                b.count_object()
            return super().render_char(*args, **kwargs)

        def paint_path(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
            if b is not None:
                b.count_object()
            super().paint_path(*args, **kwargs)

        def render_image(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
            if b is not None:
                b.count_object()
            super().render_image(*args, **kwargs)

    class BoundedPage(Page):
        @property
        def layout(self) -> Any:  # as pdfplumber's, with the counting device
            if hasattr(self, "_layout"):
                return self._layout
            device = Counting(self.pdf.rsrcmgr, pageno=self.page_number, laparams=self.pdf.laparams)
            interpreter = PDFPageInterpreter(self.pdf.rsrcmgr, device)
            try:
                interpreter.process_page(self.page_obj)
            except _TooManyObjects:
                assert b is not None
                raise b.too_many_objects(max(b.objects, estimate_objects(self.page_obj))) from None
            except Exception as e:
                raise PdfminerException(e) from e
            self._layout = device.get_result()
            return self._layout

    doctop = 0.0
    tree = PDFPage.create_pages(pdf.doc)
    for n in range(1, 1 << 62):
        if b is not None:
            b.new_page(0)  # the page tree's own streams count for the document only
        try:
            page_obj = next(tree)
        except StopIteration:
            return
        if b is not None:
            b.new_page(n)
        page = BoundedPage(pdf, page_obj, page_number=n, initial_doctop=doctop)
        doctop += page.height
        yield page


def too_large(exc: BaseException) -> PdfTooLarge | None:
    """The ``PdfTooLarge`` behind ``exc`` (pdfplumber wraps what pdfminer raises), if any."""
    e: BaseException | None = exc
    for _ in range(10):
        if e is None:
            return None
        if isinstance(e, PdfTooLarge):
            return e
        inner = e.args[0] if e.args and isinstance(e.args[0], BaseException) else None
        e = inner or e.__cause__ or e.__context__
    return None
