"""Measure PDF text extraction on multi-column news pages: which library keeps sentences whole
and in reading order.

    PYTHONPATH=. python tools/measure_pdf_extraction.py

Pages are generated (tests/documents.py, reportlab): a headline across the page over two or
three justified columns with words hyphenated at line ends. "rows" pages write the content
stream row by row across the columns, as some typesetting systems do, so the stream order
is not the reading order. For each method the table gives the share of the article's
sentences found whole (after the same hyphen/line joining for all methods), whether those
appear in reading order, and the time per page.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from documents import write_pdf  # noqa: E402

PARAGRAPHS = [
    "October 28, Pozirk. The regional parliament approved a budget of 4.2 billion euros on Tuesday "
    "after a twelve-hour debate over hospital spending and transport subsidies.",
    "Opposition members said the government had underestimated inflation and that the hospital "
    "programme would be delayed again. They voted against the plan.",
    "The finance minister, Alena Kavaliova, told deputies that revenue from the new customs "
    "terminal would cover the shortfall within two years.",
    "Transport unions welcomed the subsidies but warned that fares would still rise in January. "
    "Rail operators expect passenger numbers to recover by the summer.",
    "The budget now goes to the regional governor, who has fourteen days to sign it into law.",
]
PAGES = [
    ("2 columns, stream in reading order", {"columns": 2, "order": "columns"}),
    ("2 columns, stream row by row", {"columns": 2, "order": "rows"}),
    ("3 columns, stream row by row", {"columns": 3, "order": "rows"}),
]


def sentences(paragraphs: list[str]) -> list[str]:
    return [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", p)]


def normalise(text: str) -> str:
    """The same joining for every method: a hyphen at a line end joins the word, lines join."""
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    return " ".join(text.split())


def score(text: str, gold: list[str]) -> tuple[float, bool]:
    flat = normalise(text)
    pos = [flat.find(s) for s in gold]
    found = [p for p in pos if p >= 0]
    return len(found) / len(gold), found == sorted(found)


def pypdf_plain(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)


def pypdf_layout(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text(extraction_mode="layout") or "" for p in PdfReader(str(path)).pages)


def pdfplumber_plain(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        return "\n".join(p.extract_text() or "" for p in pdf.pages)


def pdfminer_boxes(path: Path) -> str:
    """pdfminer.six layout analysis (text boxes ordered by ``boxes_flow``), as pdfplumber ships it."""
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    return extract_text(str(path), laparams=LAParams())


def project_loader(path: Path) -> str:
    """This project's PDF loader: pdfplumber words, gutters found from the words, lines joined."""
    from assistant.ingest.loaders.pdf import pdf_text

    return pdf_text(path.read_bytes())[0]


METHODS = [("pypdf extract_text", pypdf_plain), ("pypdf layout mode", pypdf_layout),
           ("pdfplumber extract_text", pdfplumber_plain), ("pdfminer LAParams boxes", pdfminer_boxes),
           ("project loader (pdfplumber + gutters)", project_loader)]


def main() -> None:
    gold = sentences(PARAGRAPHS)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'page':<36} {'method':<40} {'whole':>6} {'order':>6} {'ms/page':>8}")
        for name, kw in PAGES:
            path = write_pdf(Path(tmp) / "page.pdf", PARAGRAPHS, headline="Parliament approves regional budget",
                             **kw)
            for label, fn in METHODS:
                fn(path)  # warm imports
                t0 = time.perf_counter()
                text = fn(path)
                ms = (time.perf_counter() - t0) * 1000
                whole, ordered = score(text, gold)
                print(f"{name:<36} {label:<40} {whole:>6.2f} {'yes' if ordered else 'no':>6} {ms:>8.1f}")


if __name__ == "__main__":
    main()
