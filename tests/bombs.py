"""Decompression bombs, made in a few lines (issue 25): small files that inflate to
hundreds of megabytes when read. Importable without pytest (the CLI tests run them in
subprocesses)."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

#: What the issue's PDF inflated to (395 MB from 1.3 MB) and its .docx (600 MB from 1.4 MB).
PDF_INFLATED = 395_000_000
DOCX_INFLATED = 600_000_000


def _deflated(unit: bytes, total: int) -> bytes:
    """``unit`` repeated to ``total`` bytes, deflated, without holding it whole."""
    c = zlib.compressobj(9)
    block = unit * max(1, (1 << 20) // len(unit))
    out, n = [], 0
    while n < total:
        out.append(c.compress(block))
        n += len(block)
    out.append(c.flush())
    return b"".join(out)


def pdf_bomb(path: Path, inflated: int = PDF_INFLATED) -> Path:
    """A one-page PDF whose content stream inflates to ``inflated`` bytes of text drawing."""
    stream = _deflated(b"BT /F1 12 Tf 72 700 Td (AAAAAAAAAAAAAAAA) Tj ET\n", inflated)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path


_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  b'<Default Extension="xml" ContentType="application/xml"/>'
                  b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                  b'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         b'officeDocument" Target="word/document.xml"/></Relationships>')


def docx_bomb(path: Path, inflated: int = DOCX_INFLATED) -> Path:
    """A .docx whose word/document.xml inflates to ``inflated`` bytes of paragraphs."""
    para = b"<w:p><w:r><w:t>All work and no play makes a dull news article.</w:t></w:r></w:p>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w='
                    b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            block = para * ((1 << 20) // len(para))
            n = 0
            while n < inflated:
                f.write(block)
                n += len(block)
            f.write(b"</w:body></w:document>")
    return path
