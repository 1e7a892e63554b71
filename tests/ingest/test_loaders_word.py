"""Word (.docx) loading: paragraphs and tables in order, tracked changes, core properties as
metadata (tool defaults skipped), and damaged files reported per file. The documents are
written by the test with python-docx."""

from __future__ import annotations

import io
import zipfile

from documents import write_docx

from assistant.ingest.cleaning import clean_document
from assistant.ingest.loaders import LoadFailure, iter_sources
from assistant.models import Document

HEADLINE = "Lakeside hospital to add 240 beds"
PARAGRAPHS = [
    "March 3, Valley Courier. Lakeside hospital will add 240 beds by 2027, the regional health board said on Monday.",
    "The expansion costs 85 million euros and includes a new maternity ward.",
    "“We have waited a decade for this,” said Dr. Mira Olsen, the hospital's director.",
]


def _load(*paths):
    items = list(iter_sources(list(paths)))
    return [x for x in items if isinstance(x, Document)], [x for x in items if isinstance(x, LoadFailure)]


def test_paragraphs_tables_and_core_properties(tmp_path):
    import datetime as dt

    core = {"title": "Hospital expansion approved", "author": "Ana Ruiz",
            "created": dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.timezone.utc)}
    path = write_docx(tmp_path / "wire.docx", PARAGRAPHS, headline=HEADLINE, core=core,
                      table=[["Ward", "Beds"], ["Maternity", "60"]])
    (raw,), fails = _load(path)
    assert fails == [] and raw.fmt == "docx"
    assert raw.text == "\n\n".join([HEADLINE, *PARAGRAPHS, "Ward Beds", "Maternity 60"])
    doc = clean_document(raw)
    assert (doc.title, doc.author, doc.date) == ("Hospital expansion approved", "Ana Ruiz", "2025-03-03")
    assert doc.meta_origin["title"] == "docx:title"
    assert doc.meta_origin["author"] == "docx:author"
    # The dateline dates the article (issue #27: a file's own date is a fallback); the file,
    # made that same day, gives the year the dateline leaves out.
    assert doc.meta_origin["date"] == "text:dateline (year from the file date)"
    assert (doc.publisher, doc.meta_origin["publisher"]) == ("Valley Courier", "text:dateline")


def test_tool_defaults_are_not_metadata(tmp_path):
    """python-docx's template says author "python-docx", created 2013-12-23: neither is about the
    article, so the Title-styled headline and the dateline give title and date."""
    path = write_docx(tmp_path / "draft.docx", PARAGRAPHS, headline=HEADLINE)
    (raw,), _ = _load(path)
    doc = clean_document(raw)
    assert (doc.title, doc.meta_origin["title"]) == (HEADLINE, "docx:title style")
    assert doc.author == "" and "author" not in doc.meta_origin
    assert (doc.date, doc.meta_origin["date"]) == ("--03-03", "text:dateline")


def test_logins_are_not_authors(tmp_path):
    path = write_docx(tmp_path / "a.docx", PARAGRAPHS, core={"author": "jsmith01"})
    (raw,), _ = _load(path)
    assert raw.author == ""


def test_tracked_changes_read_as_the_current_version(tmp_path):
    """A draft with tracked changes: inserted text is read, deleted text is not."""
    import docx
    from docx.oxml import parse_xml

    d = docx.Document()
    p = d.add_paragraph("The board approved ")
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    p._p.append(parse_xml(f'<w:del {w} w:id="1" w:author="Ed"><w:r><w:delText>180</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {w} w:id="2" w:author="Ed"><w:r><w:t>240</w:t></w:r></w:ins>'))
    p.add_run(" beds on Monday.")
    path = tmp_path / "tracked.docx"
    d.save(str(path))
    (doc,), _ = _load(path)
    assert doc.text == "The board approved 240 beds on Monday."


def test_damaged_and_wrong_word_files_fail_one_by_one(tmp_path):
    good = write_docx(tmp_path / "b_good.docx", PARAGRAPHS, headline=HEADLINE)
    data = good.read_bytes()
    (tmp_path / "a_truncated.docx").write_bytes(data[: len(data) // 2])
    (tmp_path / "c_not_zip.docx").write_bytes(b"This is plain text with a .docx name.")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "a zip, but no Word document inside")
    (tmp_path / "d_other_zip.docx").write_bytes(buf.getvalue())
    (tmp_path / "e_old.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (tmp_path / "f_note.txt").write_text("Still loaded.\n")
    docs, fails = _load(tmp_path)
    assert [d.doc_id for d in docs] == ["b_good.docx", "f_note.txt"]
    reasons = {f.source.rsplit("/", 1)[1]: f.reason for f in fails}
    assert set(reasons) == {"a_truncated.docx", "c_not_zip.docx", "d_other_zip.docx", "e_old.docx"}
    for name in ("a_truncated.docx", "c_not_zip.docx", "d_other_zip.docx"):
        assert "not a readable Word .docx file" in reasons[name]
        assert "save it again as .docx" in reasons[name]
    assert "old binary .doc" in reasons["e_old.docx"] and "save it as .docx" in reasons["e_old.docx"]


def test_the_fix_for_a_damaged_docx_works(tmp_path):
    """"Save it again as .docx": the same text saved as a .docx loads."""
    path = tmp_path / "story.docx"
    path.write_bytes(b"PK\x03\x04 broken")
    _, (fail,) = _load(path)
    assert "save it again as .docx" in fail.reason
    write_docx(path, PARAGRAPHS, headline=HEADLINE)
    (doc,), fails = _load(path)
    assert fails == [] and doc.text.startswith(HEADLINE)
