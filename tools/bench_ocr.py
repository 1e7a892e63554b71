"""Measure OCR engines on scanned news pages made here: character accuracy and speed.

    .venv/bin/python tools/bench_ocr.py [--json eval/reports/ocr.json] [--engines tesseract,rapidocr]

Pages: each seed article's first paragraphs (news text with figures, quotes and names in
Latin-script Belarusian spellings), laid out by tests/documents.py as a headline over 1, 2
or 3 columns with words hyphenated at line ends, rendered to a picture and spoiled three
ways (``SCAN_DEGRADATIONS``: a clean 200 dpi scan; an office scan, blurred, noised, tilted
0.4 degrees, JPEG 70; a 150 dpi photocopy, tilted 1.2 degrees, JPEG 45), saved as PDFs
with no text layer. Each engine reads every page through the loader's OCR path
(``pdf_ocr.ocr_pages``: render at 300 dpi, straighten, word boxes, ``pdf_layout`` reading
order). Character accuracy is 1 - edit distance / length against the text as written
(whitespace runs as one space); "tesseract, own order" is Tesseract's plain text output of
the same straightened page, to show what the layout step adds. Speed is wall seconds per
page with one page at a time (the loader runs pages in parallel, one per core).

RapidOCR is measured when ``rapidocr-onnxruntime`` is installed (`pip install
rapidocr-onnxruntime`; not a dependency of the product).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from documents import SCAN_DEGRADATIONS, scan_source_text, write_scanned_pdf  # noqa: E402

from assistant.ingest.loaders import pdf_layout  # noqa: E402
from assistant.ingest.loaders.pdf_ocr import (  # noqa: E402
    ENGINES,
    OCR_DPI,
    char_accuracy,
    ocr_pages,
    render_page,
    straighten,
)


def articles(n_paragraphs: int = 4) -> list[tuple[str, list[str]]]:
    """(headline, paragraphs) from the seed articles: the first line is the headline."""
    out = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        head, body = lines[0], [ln for ln in lines[1:] if len(ln) > 60][:n_paragraphs]
        if len(head) > 60:  # a long first sentence is not a headline to set in 20 pt type
            head, body = "", lines[:n_paragraphs]
        out.append((head, body))
    return out


def read(engine, data: bytes) -> str:
    (page,) = ocr_pages(data, [0], engine, workers=1)
    return pdf_layout.render([pdf_layout.page_paragraphs(page.words, 0)])


def tesseract_own_order(data: bytes) -> str:
    import io

    buf = io.BytesIO()
    straighten(render_page(data, 0, OCR_DPI)).save(buf, format="PNG")
    res = subprocess.run(["tesseract", "stdin", "stdout", "-l", "eng", "--psm", "3"], input=buf.getvalue(),
                         capture_output=True, check=True, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"})
    # The same hyphen joining as the layout's, so the comparison is of reading order only.
    return re.sub(r"-\n(?=[a-z])", "", res.stdout.decode("utf-8", "replace"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--engines", default=",".join(sorted(ENGINES)))
    ap.add_argument("--columns", default="1,2,3")
    args = ap.parse_args()
    methods = {}
    for name in args.engines.split(","):
        engine = ENGINES[name]
        why = engine.missing()
        if why:
            print(f"skipping {name}: {why}", file=sys.stderr)
            continue
        methods[f"{name}"] = (engine.version(), lambda data, e=engine: read(e, data))
        if name == "tesseract":
            methods["tesseract, own order"] = (engine.version(), tesseract_own_order)
    cols = [int(c) for c in args.columns.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for a, (head, paras) in enumerate(articles()):
            for c in cols:
                for deg in SCAN_DEGRADATIONS:
                    pdf = write_scanned_pdf(Path(tmp) / f"a{a}-{c}-{deg}.pdf", paras, headline=head, columns=c,
                                            degrade=deg, seed=a)
                    data, truth = pdf.read_bytes(), scan_source_text(paras, head)
                    for m, (_, run) in methods.items():
                        t0 = time.perf_counter()
                        text = run(data)
                        secs = time.perf_counter() - t0
                        rows.append({"method": m, "article": a, "columns": c, "scan": deg,
                                     "accuracy": round(char_accuracy(text, truth), 4), "seconds": round(secs, 2)})
                        print(f"{m:22s} article {a} {c} col {deg:9s} acc {rows[-1]['accuracy']:.4f} {secs:5.1f} s",
                              file=sys.stderr, flush=True)
    table = {}
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        entry = {"version": methods[m][0], "pages": len(mine),
                 "accuracy_mean": round(statistics.mean(r["accuracy"] for r in mine), 4),
                 "seconds_per_page_median": round(statistics.median(r["seconds"] for r in mine), 2)}
        for deg in SCAN_DEGRADATIONS:
            entry[f"accuracy_{deg}"] = round(statistics.mean(r["accuracy"] for r in mine if r["scan"] == deg), 4)
        for c in cols:
            entry[f"accuracy_{c}col"] = round(statistics.mean(r["accuracy"] for r in mine if r["columns"] == c), 4)
        table[m] = entry
    print(f"\n| method | pages | accuracy | clean | office | photocopy | {' | '.join(f'{c} col' for c in cols)} "
          "| s/page (median) |")
    print("|---|---|---|---|---|---|" + "---|" * len(cols) + "---|")
    for m, e in table.items():
        print(f"| {m} ({e['version']}) | {e['pages']} | {e['accuracy_mean']:.4f} | {e['accuracy_clean']:.4f} | "
              f"{e['accuracy_office']:.4f} | {e['accuracy_photocopy']:.4f} | "
              + " | ".join(f"{e[f'accuracy_{c}col']:.4f}" for c in cols) + f" | {e['seconds_per_page_median']} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"machine": platform.machine(), "dpi": OCR_DPI, "summary": table,
                                               "pages": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
