"""Scanned PDFs read by OCR (issue #27): pages the tests make — an article laid out in one
or two columns, rendered to a picture, blurred, noised, tilted and saved as JPEG in a PDF
with no text layer — come back as the article's text, scored by character accuracy against
the text as written; they are cleaned like any document, their citations point into the
OCRed text, and the reply says the source was read by OCR."""

from __future__ import annotations

import os

import pytest
from documents import creation, scan_source_text, write_pdf, write_scanned_pdf

from assistant.ingest.cleaning import clean_document
from assistant.ingest.loaders import LoadFailure, iter_sources
from assistant.ingest.loaders.pdf import pdf_text_ocr
from assistant.ingest.loaders.pdf_ocr import char_accuracy, edit_distance, render_page, skew_angle
from assistant.models import Document

#: conftest's ``tesseract`` fixture: a failure under ``make test`` when it is missing, a skip elsewhere.
needs_tesseract = pytest.mark.usefixtures("tesseract")

HEADLINE = "Harbour board reports record ferry season"
PARAGRAPHS = [
    "PORTVILLE, March 3, 2025 (Coastal Wire) - The harbour board said on Monday that 48,215 ferry passengers "
    "crossed the bay in 2024, the most since the service began in 1987.",
    "\"It was our busiest year,\" said board chair Mira Testova, who credited the new evening sailings and a "
    "fare cut of 12 percent introduced in April.",
    "The board expects 51,000 passengers this year and plans to order a second vessel by the autumn, at a cost "
    "of about 9.4 million euros, once the city council approves the loan.",
    "Fishermen's groups asked the board to keep the old quay open for small boats during the works; the board "
    "said a decision would come in June.",
]
#: Least character accuracy a test-made scan must be read with (the bench measured 0.99 for
#: Tesseract on such pages; eval/reports/ocr.json): a floor that catches a broken path
#: (columns read across, a lost page), not a tuned target.
MIN_ACCURACY = 0.95


def _load(path):
    items = list(iter_sources([path]))
    return [x for x in items if isinstance(x, Document)], [x for x in items if isinstance(x, LoadFailure)]


def test_edit_distance_and_character_accuracy():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3 and edit_distance("same", "same") == 0
    assert edit_distance("Łukašenka", "Lukasenka") == 2
    assert char_accuracy("the  ferry\nseason", "the ferry season") == 1.0
    assert char_accuracy("the fer season", "the ferry season") == pytest.approx(1 - 2 / 16)
    assert char_accuracy("x" * 100, "ab") == 0.0


def test_a_tilted_scan_is_measured_and_straightened(tmp_path):
    pdf = write_scanned_pdf(tmp_path / "tilted.pdf", PARAGRAPHS, headline=HEADLINE, degrade="photocopy", seed=1)
    angle = skew_angle(render_page(pdf.read_bytes(), 0, 150))
    assert 0.8 <= abs(angle) <= 1.6  # the photocopy is tilted by 1.2 degrees


@needs_tesseract
@pytest.mark.parametrize(("columns", "degrade"), [(1, "office"), (2, "office"), (2, "photocopy")])
def test_test_made_scans_are_read_in_reading_order(tmp_path, columns, degrade):
    pdf = write_scanned_pdf(tmp_path / "scan.pdf", PARAGRAPHS, headline=HEADLINE, columns=columns, degrade=degrade)
    (doc,), fails = _load(pdf)
    assert fails == []
    accuracy = char_accuracy(doc.text, scan_source_text(PARAGRAPHS, HEADLINE))
    print(f"\nOCR character accuracy, {columns} column(s), {degrade} scan: {accuracy:.4f}")
    assert accuracy >= MIN_ACCURACY
    assert doc.meta_origin["text"].startswith("ocr:tesseract") and doc.meta_origin["text"].endswith("page 1 of 1")
    cleaned = clean_document(doc)  # the same cleaning and metadata rules as any document
    assert cleaned.title == HEADLINE and cleaned.meta_origin["title"] == "text:headline"
    assert (cleaned.date, cleaned.publisher) == ("2025-03-03", "Coastal Wire")
    assert cleaned.meta_origin["text"] == doc.meta_origin["text"]


@needs_tesseract
def test_only_pages_without_a_text_layer_are_ocred(tmp_path):
    from pypdf import PdfReader, PdfWriter

    text_page = write_pdf(tmp_path / "text.pdf", PARAGRAPHS[:2], headline=HEADLINE)
    scan_page = write_scanned_pdf(tmp_path / "scan.pdf", PARAGRAPHS[2:], degrade="office")
    w = PdfWriter()
    for part in (text_page, scan_page):
        for page in PdfReader(str(part)).pages:
            w.add_page(page)
    both = tmp_path / "both.pdf"
    with open(both, "wb") as fh:
        w.write(fh)
    text, _, note = pdf_text_ocr(both.read_bytes())
    assert note.startswith("ocr:tesseract") and note.endswith("page 2 of 2")
    assert text.startswith(scan_source_text(PARAGRAPHS[:2], HEADLINE))  # the text layer, exactly
    assert char_accuracy(text, scan_source_text(PARAGRAPHS, HEADLINE)) >= MIN_ACCURACY


def test_ocr_off_or_missing_is_a_reason_with_its_fix(tmp_path, monkeypatch):
    pdf = write_scanned_pdf(tmp_path / "scan.pdf", PARAGRAPHS[:1], degrade="clean")
    monkeypatch.setenv("ASSISTANT_OCR", "off")
    _, (fail,) = _load(pdf)
    assert "OCR is off (ASSISTANT_OCR=off); unset ASSISTANT_OCR" in fail.reason
    monkeypatch.setenv("ASSISTANT_OCR", "auto")
    import assistant.ingest.loaders.pdf_ocr as ocr

    monkeypatch.setattr(ocr.shutil, "which", lambda name, *a, **k: None)
    _, (fail,) = _load(pdf)
    assert "Tesseract is not installed; install it: `apt-get install tesseract-ocr`" in fail.reason
    monkeypatch.setenv("ASSISTANT_OCR", "nosuch")
    _, (fail,) = _load(pdf)
    assert "unknown OCR engine 'nosuch'" in fail.reason


@needs_tesseract
@pytest.mark.slow  # spaCy annotates the OCRed article
def test_a_scanned_article_is_answered_with_citations_into_its_ocred_text(tmp_path, hashing_embedder):
    from assistant.api import Assistant
    from assistant.interfaces.render import answer_to_text

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_scanned_pdf(corpus / "ferry-scan.pdf", PARAGRAPHS, headline=HEADLINE, columns=2, degrade="office",
                      metadata={"creation_date": creation(2026, 1, 9)})  # scanned months later
    asst = Assistant.open(index_dir=tmp_path / "index", embedder=hashing_embedder, create=True)
    report = asst.ingest([corpus])
    assert report.count("added") == 1, report.summary()
    doc = asst.document("ferry-scan.pdf")
    assert doc.date == "2025-03-03"  # the dateline, not the day of the scan
    ans = asst.ask("How many ferry passengers crossed the bay in 2024?")
    assert not ans.abstained and "48,215" in ans.answer
    c = ans.citations[0]
    assert c.doc_id == "ferry-scan.pdf" and doc.text[c.start:c.end] == c.quote and "48,215" in c.quote

    def scanned(doc_id: str) -> str:
        return asst.local.records()[doc_id]["meta_origin"].get("text", "")

    assert "note: Source [1] was read by OCR from a scanned page" in answer_to_text(ans, scanned=scanned)
    rows = {d["doc_id"]: d for d in asst.stats()["docs"]}
    assert rows["ferry-scan.pdf"]["meta_origin"]["text"].startswith("ocr:tesseract")
    asst.close()


def test_a_missing_tesseract_fails_under_make_test_and_skips_elsewhere():
    from conftest import ENV_REQUIRE_OCR, ROOT, require_tesseract

    assert require_tesseract(which=lambda n: "/usr/bin/tesseract", env={ENV_REQUIRE_OCR: "1"}) == "/usr/bin/tesseract"
    with pytest.raises(pytest.fail.Exception, match="make ocr"):
        require_tesseract(which=lambda n: None, env={ENV_REQUIRE_OCR: "1"})
    with pytest.raises(pytest.skip.Exception, match="make ocr"):
        require_tesseract(which=lambda n: None, env={ENV_REQUIRE_OCR: "0"})
    test_recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert f"{ENV_REQUIRE_OCR}=1" in test_recipe and "pytest" in test_recipe


# -- OCR in the ingest workers -----------------------------------------------------------------------
def _deferred_load(path):
    from assistant.ingest.loaders.base import deferring

    with deferring():
        return list(iter_sources([path]))


def test_under_deferral_a_scan_waits_for_the_worker_and_a_text_pdf_does_not(tmp_path, monkeypatch):
    from assistant.ingest.loaders import pdf_ocr
    from assistant.ingest.loaders.base import Deferred

    def no_ocr(*a, **k):
        raise AssertionError("OCR ran in the loading process")

    monkeypatch.setattr(pdf_ocr, "ocr_pages", no_ocr)
    scan = write_scanned_pdf(tmp_path / "scan.pdf", PARAGRAPHS[:1], degrade="clean")
    (item,) = _deferred_load(scan)
    assert isinstance(item, Deferred) and item.text == "" and item.data == scan.read_bytes()
    assert (item.doc_id, item.fmt, item.source) == ("scan.pdf", "pdf", str(scan.resolve()))
    assert item.raw_hash and item.label == str(scan)
    (text_doc,), fails = _load(write_pdf(tmp_path / "text.pdf", PARAGRAPHS[:1], headline=HEADLINE))
    (deferred_text_doc,) = _deferred_load(tmp_path / "text.pdf")
    assert not fails and not isinstance(deferred_text_doc, Deferred) and deferred_text_doc == text_doc
    # OCR off: nothing is deferred, the scan is reported by the loader as before.
    monkeypatch.setenv("ASSISTANT_OCR", "off")
    (fail,) = _deferred_load(scan)
    assert isinstance(fail, LoadFailure) and "OCR is off" in fail.reason


def test_a_deferred_scan_that_cannot_be_read_fails_with_the_loaders_reason(tmp_path, monkeypatch):
    from assistant.ingest.loaders.base import DeferredFailure
    from assistant.ingest.stages import finish_reading

    monkeypatch.setenv("ASSISTANT_OCR", "nosuch")
    scan = write_scanned_pdf(tmp_path / "scan.pdf", PARAGRAPHS[:1], degrade="clean")
    _, (fail,) = _load(scan)
    (item,) = _deferred_load(scan)
    with pytest.raises(DeferredFailure) as err:
        finish_reading(item)
    assert str(err.value) == fail.reason and "unknown OCR engine 'nosuch'" in fail.reason


@needs_tesseract
def test_a_deferred_scan_finishes_as_the_loader_reads_it(tmp_path):
    from assistant.ingest.stages import finish_reading

    scan = write_scanned_pdf(tmp_path / "scan.pdf", PARAGRAPHS[:2], headline=HEADLINE, degrade="clean",
                             metadata={"creation_date": creation(2026, 1, 9)})
    (direct,), _ = _load(scan)
    (item,) = _deferred_load(scan)
    done = finish_reading(item)
    assert type(done) is Document and done == direct
    assert done.meta_origin["text"].startswith("ocr:tesseract")


def _tesseract_recorder(tmp_path, real: str):
    """A ``tesseract`` first on PATH that logs the process that ran it (its parent) and
    that process's parent, then runs the real one."""
    bin_dir, log = tmp_path / "bin", tmp_path / "tesseract-callers.txt"
    bin_dir.mkdir()
    shim = bin_dir / "tesseract"
    shim.write_text(f'#!/bin/sh\necho "$PPID $(awk \'{{print $4}}\' /proc/$PPID/stat)" >> "{log}"\n'
                    f'exec "{real}" "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return bin_dir, log


@needs_tesseract
@pytest.mark.slow  # worker processes load spaCy
@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="the recorder reads /proc (Linux)")
@pytest.mark.parametrize("executor", ["processes", "inline"])
def test_scanned_pages_are_ocred_in_the_ingest_workers(tmp_path, monkeypatch, hashing_embedder, tesseract, executor):
    """With ``--workers``, the process that runs Tesseract is a worker (a child of this
    ingesting process), never the ingesting process itself; the inline executor, whose
    "worker" is this process, shows that the recorder tells them apart."""
    from assistant.api import Assistant

    bin_dir, log = _tesseract_recorder(tmp_path, tesseract)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_scanned_pdf(corpus / "ferry-scan.pdf", PARAGRAPHS[:2], headline=HEADLINE, degrade="clean")
    (corpus / "note.txt").write_text(HEADLINE + "\n\n" + PARAGRAPHS[2] + "\n", encoding="utf-8")
    asst = Assistant.open(index_dir=tmp_path / "index", embedder=hashing_embedder, create=True)
    try:
        report = asst.ingest([corpus], executor=executor, workers=1)
        assert report.count("added") == 2 and not report.failures, report.summary()
        assert asst.document("ferry-scan.pdf").meta_origin["text"].startswith("ocr:tesseract")
    finally:
        asst.close()
    callers = {tuple(int(x) for x in line.split()) for line in log.read_text(encoding="utf-8").splitlines()}
    assert callers, "Tesseract never ran"
    here = os.getpid()
    if executor == "processes":
        assert report.where == "1 local worker process"
        assert all(pid != here and parent == here for pid, parent in callers), (here, callers)
    else:
        assert {pid for pid, _ in callers} == {here}
