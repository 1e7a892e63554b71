"""Word documents (.docx): drafts and wire copy.

Text: the body's paragraphs and tables in document order (content controls included,
page headers and footers left out as furniture), one paragraph per block. Tracked
insertions are read and tracked deletions are not, so a draft reads as its current
version. Text boxes, footnotes and comments are out of reach.

Metadata: the core properties' title, author and created date, unless a value is a tool
default (``placeholders``); a paragraph in the Title style gives the title otherwise.
The old binary .doc format is not read: save it as .docx.

Before python-docx reads the package (it inflates every part into memory and parses the
XML whole), ``check_package`` reads the zip's directory and counts the XML's elements in
a stream: a part that inflates past its cap, or far more than any text compresses, fails
the file (``limits``). ``zipfile`` never inflates a part past the size its directory
declares, so the declared sizes bound what python-docx can read.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from assistant.ingest.loaders.base import Batch, Found, LoadFailure, Source, converted_document, register
from assistant.ingest.loaders.limits import (
    COUNT_PAST_CAP,
    INFLATED_BYTES_FLOOR,
    INFLATED_BYTES_PER_CHAR,
    MAX_ZIP_RATIO,
    PART_BYTES_PER_CHAR,
    RATIO_MIN_BYTES,
    XML_ELEMENTS_PER_CHAR,
    ReadLimits,
    TooLarge,
    megabytes,
)
from assistant.ingest.loaders.placeholders import TOOL_DATES, plausible_author, plausible_title
from assistant.models import Document

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: An OLE2 compound file: the old binary .doc, or a password-protected .docx (Office
#: stores encrypted OOXML inside one).
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TITLE_STYLES = ("title", "heading 1")


def _paragraph_text(p: Any) -> str:
    """Text of a ``w:p`` element: runs anywhere below it (hyperlinks, fields, insertions),
    tabs and breaks as whitespace; deleted text is in ``w:delText`` and never read."""
    out: list[str] = []
    for el in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if el.tag == f"{_W}t":
            out.append(el.text or "")
        elif el.tag == f"{_W}tab":
            out.append("\t")
        else:
            out.append("\n")
    return re.sub(r"[ \t]+", " ", "".join(out)).strip()


def _style(p: Any, styles: dict[str, str]) -> str:
    ps = p.find(f"{_W}pPr/{_W}pStyle")
    sid = ps.get(f"{_W}val") if ps is not None else ""
    return styles.get(sid, sid or "").casefold()


def _blocks(container: Any, styles: dict[str, str]) -> Iterator[tuple[str, str]]:
    """``(style, text)`` for each paragraph and table row, in document order."""
    for child in container:
        if child.tag == f"{_W}p":
            yield _style(child, styles), _paragraph_text(child)
        elif child.tag == f"{_W}tbl":
            for row in child.iter(f"{_W}tr"):
                cells = [" ".join(_paragraph_text(p) for p in tc.iter(f"{_W}p")) for tc in row.iter(f"{_W}tc")]
                yield "table", " ".join(c for c in cells if c)
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content, styles)


def check_package(data: bytes, limits: ReadLimits) -> None:
    """Raise ``TooLarge`` if the package inflates past ``limits``: a part's declared size or
    ratio, all parts together, or the XML's elements (counted while inflating, in pieces).
    A package that is not a zip is left to python-docx to report."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    # Every cap is checked before any failure is raised, so the fix names a setting that
    # lets the whole package through.
    total, worst, bomb, needed = 0, None, None, 0.0
    for info in infos:
        size = info.file_size
        if size > RATIO_MIN_BYTES and size > MAX_ZIP_RATIO * max(1, info.compress_size):
            bomb = info
        if size > limits.part_bytes and (worst is None or size > worst.file_size):
            worst = info
        needed = max(needed, size / PART_BYTES_PER_CHAR)
        total += size
    needed = max(needed, total / INFLATED_BYTES_PER_CHAR)
    elements = None
    if total <= COUNT_PAST_CAP * max(limits.inflated_bytes, INFLATED_BYTES_FLOOR):  # seconds of inflating at most
        elements = _elements(z, infos)
        if elements is None:
            return  # damaged: python-docx says so
        needed = max(needed, elements / XML_ELEMENTS_PER_CHAR)
    if worst is not None:
        raise TooLarge(f"its part {worst.filename} inflates to {megabytes(worst.file_size)} (from "
                       f"{megabytes(worst.compress_size)} in the file), past the {megabytes(limits.part_bytes)} "
                       f"cap on one part; {limits.fix(needed)}")
    if total > limits.inflated_bytes:
        raise TooLarge(f"its parts inflate to {megabytes(total)} together, past the "
                       f"{megabytes(limits.inflated_bytes)} cap; {limits.fix(needed)}")
    if bomb is not None:  # under the caps, but no text compresses like that
        raise TooLarge(f"its part {bomb.filename} inflates {bomb.file_size / max(1, bomb.compress_size):,.0f} times "
                       f"(to {megabytes(bomb.file_size)}), more than any text compresses ({MAX_ZIP_RATIO}x at most): "
                       "a decompression bomb, or a damaged file; save the document again from Word or LibreOffice")
    if elements is not None and elements > limits.xml_elements:
        raise TooLarge(f"its XML holds {elements:,} elements, past the cap of {limits.xml_elements:,}; "
                       f"{limits.fix(needed)}")


def _elements(z: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> int | None:
    """XML elements in the package's XML parts, counted while inflating them in pieces
    (None: a part is damaged)."""
    elements = 0
    for info in infos:
        if not info.filename.endswith((".xml", ".rels")):
            continue
        try:
            with z.open(info) as part:
                while piece := part.read(1 << 20):
                    elements += piece.count(b"<") - piece.count(b"</") - piece.count(b"<?") - piece.count(b"<!")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return None
    return elements


def docx_text(data: bytes, limits: ReadLimits | None = None) -> tuple[str, Found]:
    """Text and metadata of a .docx file's bytes; raises ``ValueError`` with the fix, or
    ``TooLarge`` for a package that inflates past ``limits``."""
    import docx

    if data.startswith(_OLE_MAGIC):
        raise ValueError("not a .docx package: an old binary .doc or a password-protected document; "
                         "open it in Word or LibreOffice and save it as .docx without a password")
    check_package(data, limits or ReadLimits.from_env())
    try:
        d = docx.Document(io.BytesIO(data))
        styles = {s.style_id: (s.name or "") for s in d.styles}
        blocks = list(_blocks(d.element.body, styles))
        core = d.core_properties
    except Exception as exc:
        raise ValueError(f"not a readable Word .docx file ({type(exc).__name__}: {exc}); "
                         "open it in Word or LibreOffice and save it again as .docx") from exc
    found = Found()
    if plausible_title(core.title or ""):
        found.add("title", core.title, "docx:title")
    for style, text in blocks:
        if style in _TITLE_STYLES and text:
            found.add("title", text, f"docx:{style} style")
            break
    if plausible_author(core.author or ""):
        found.add("author", core.author, "docx:author")
    created = core.created
    if created is not None and created.strftime("%Y-%m-%dT%H:%M:%S") not in TOOL_DATES:
        found.add("date", created.date().isoformat(), "docx:created")
    text = "\n\n".join(t for _, t in blocks if t)
    return text, found


@register(".docx")
class DocxLoader:
    fmt = "docx"

    def load(self, src: Source, batch: Batch) -> Iterator[Document | LoadFailure]:
        return converted_document(src, batch, self.fmt, docx_text, (ValueError,),
                                  "remove it or save the document again")
