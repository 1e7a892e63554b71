"""Text for PDF pages that have none: scans and photographed clippings, read by OCR.

When: automatically, for each page with no text layer (no words, or only unmapped glyphs);
a page that has a text layer is never OCRed, since its text is exact and OCR could only
add errors. Automatic rather than opt-in because a news archive's scans are ordinary
articles that a user expects to find, and the cost falls only on the pages that need it.
``ASSISTANT_OCR=off`` turns it off (such pages are then reported, as before).

How: each page is rendered at ``OCR_DPI`` (pypdfium2, already there for pdfplumber) and
read by the engine, whose *word boxes* go through the same reading order, paragraphs,
hyphen joining and running-head removal as a PDF's own words (``pdf_layout``), and then
through the same cleaning as every document. Pages are read in parallel, up to one per
core (Tesseract runs each page as a process of its own).

Engines (one ``OcrEngine`` protocol, a registry), measured by ``tools/bench_ocr.py`` on
scans the tests make (text rendered in 1-3 columns, then blurred, noised, tilted and
saved as JPEG; character accuracy = 1 - edit distance / length against the source text,
eval/reports/ocr.json):

- ``tesseract``: Tesseract 5 (LSTM) from Debian's ``tesseract-ocr``, run as a program per
  page; the default (see the README's "Scanned pages" for the figures and why);
- ``rapidocr``: PP-OCRv4 detection and recognition on ONNX Runtime, from the
  ``rapidocr-onnxruntime`` wheel, which carries its models; used when installed and chosen
  with ``ASSISTANT_OCR=rapidocr``.

Nothing is downloaded at run time: Tesseract's English model comes with the Debian
package, RapidOCR's inside its wheel.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from assistant.ingest.loaders.pdf_layout import Word
from assistant.registry import Registry

#: Environment variable: ``auto`` (default: the default engine on pages with no text
#: layer), ``off``, or an engine's name.
ENV_OCR = "ASSISTANT_OCR"
#: Pages are rendered at this resolution for OCR. Tesseract's documentation asks for at
#: least 300 dpi; on the bench's scans 300 dpi read as well as 400 at half the time.
OCR_DPI = 300
#: The engine used unless ``ASSISTANT_OCR`` names another: chosen by ``tools/bench_ocr.py``.
DEFAULT_ENGINE = "tesseract"
#: Words Tesseract reads with less confidence than this (0-100) are noise from specks
#: and rules (its own convention: -1 for non-words; real words on the bench scans >= 30).
MIN_WORD_CONFIDENCE = 10
#: Seconds one page may take before it is given up (a 300 dpi news page takes 2-10 s).
PAGE_TIMEOUT_S = 120


class OcrUnavailable(Exception):
    """The engine cannot run here; the message says how to install it."""


class OcrEngine(Protocol):
    name: str

    def missing(self) -> str:
        """Why the engine cannot run here, with the fix; "" when it can."""
        ...

    def version(self) -> str:
        ...

    def words(self, image: Any) -> list[Word]:
        """Word boxes of a page image (a PIL image), in pixels."""
        ...


ENGINES: Registry[OcrEngine] = Registry("OCR engine")


@ENGINES.register("tesseract")
class Tesseract:
    """The ``tesseract`` program (Debian's ``tesseract-ocr``), run once per page as a process
    of its own (what pytesseract does too, without control over its threads and time)."""

    name = "tesseract"

    def missing(self) -> str:
        if shutil.which("tesseract") is None:
            return ("Tesseract is not installed; install it: `apt-get install tesseract-ocr` "
                    "(Debian/Ubuntu; `make ocr` does it)")
        return ""

    def version(self) -> str:
        out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, timeout=30)
        first = (out.stdout or out.stderr).splitlines()
        return first[0].strip() if first else "tesseract"

    def words(self, image: Any) -> list[Word]:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        # --psm 3: automatic page segmentation (finds the columns). One thread per process:
        # pages run in parallel, and OpenMP threads would compete for the same cores.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        res = subprocess.run(["tesseract", "stdin", "stdout", "-l", "eng", "--psm", "3", "tsv"],
                             input=buf.getvalue(), capture_output=True, env=env, timeout=PAGE_TIMEOUT_S)
        if res.returncode != 0:
            raise OcrUnavailable(f"tesseract failed (exit {res.returncode}): "
                                 + res.stderr.decode("utf-8", "replace").strip()[:200])
        rows = [r.split("\t") for r in res.stdout.decode("utf-8", "replace").splitlines()[1:]]
        rows = [r for r in rows if len(r) >= 11]
        # A word's size is its line's height: word boxes vary with ascenders ("a" vs "Hy"),
        # and the layout tells headlines from body text by size.
        # Its top and bottom are its line's too, as a PDF's words span their font's height: the
        # layout reads white space between lines, which glyph boxes would overstate.
        lines = {tuple(r[2:5]): (float(r[7]), float(r[9])) for r in rows if r[0] == "4"}
        out = []
        for r in rows:
            if r[0] != "5" or len(r) < 12 or not r[11].strip():
                continue
            x, y, w, h, conf = (float(c) for c in r[6:11])
            top, height = lines.get(tuple(r[2:5]), (y, h))
            if conf >= MIN_WORD_CONFIDENCE:
                out.append(Word(r[11].strip(), x, x + w, top, top + height, height))
        return out


@ENGINES.register("rapidocr")
class RapidOcr:
    name = "rapidocr"
    _engine: Any = None

    def missing(self) -> str:
        try:
            import rapidocr_onnxruntime  # noqa: F401
        except ImportError:
            return "RapidOCR is not installed; install it: `pip install rapidocr-onnxruntime`"
        return ""

    def version(self) -> str:
        from importlib.metadata import version

        return f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"

    def words(self, image: Any) -> list[Word]:
        if RapidOcr._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            RapidOcr._engine = RapidOCR()
        result, _ = RapidOcr._engine(np.asarray(image.convert("RGB")))
        out: list[Word] = []
        for box, text, _score in result or []:
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            out.extend(_split_line(text, min(xs), max(xs), min(ys), max(ys)))
        return out


def _split_line(text: str, x0: float, x1: float, top: float, bottom: float) -> list[Word]:
    """A text line's box cut into word boxes in proportion to their characters (RapidOCR
    boxes whole lines; the layout reads words)."""
    words = text.split()
    if not words:
        return []
    per_char = (x1 - x0) / max(1, len(text))
    out, pos = [], 0
    for w in words:
        start = text.index(w, pos)
        pos = start + len(w)
        out.append(Word(w, x0 + start * per_char, x0 + pos * per_char, top, bottom, bottom - top))
    return out


def engine_name() -> str:
    """The engine ``ASSISTANT_OCR`` asks for ("" when OCR is off)."""
    value = os.environ.get(ENV_OCR, "").strip().lower() or "auto"
    if value in ("off", "0", "no", "none"):
        return ""
    return DEFAULT_ENGINE if value in ("auto", "on", "1", "yes") else value


def get_engine(name: str | None = None) -> OcrEngine:
    """The engine by name (default: ``engine_name()``); ``OcrUnavailable`` with the fix when
    it is unknown or cannot run here."""
    name = engine_name() if name is None else name
    engine = ENGINES.get(name)
    if engine is None:
        raise OcrUnavailable(f"unknown OCR engine {name!r} in {ENV_OCR}; use one of: off, auto, "
                             + ", ".join(sorted(ENGINES)))
    why = engine.missing()
    if why:
        raise OcrUnavailable(why)
    return engine


@dataclass
class OcrPage:
    """One page read by OCR: its word boxes in PDF points (as pdfplumber gives them)."""

    index: int
    words: list[Word]


def render_page(data: bytes, index: int, dpi: int = OCR_DPI) -> Any:
    """Page ``index`` of a PDF as a greyscale PIL image at ``dpi``."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[index]
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        image = bitmap.to_pil()
        page.close()
        return image
    finally:
        pdf.close()


#: Scans are straightened before reading when tilted by up to this many degrees (a page
#: fed askew; beyond it the page was turned on purpose), found in steps of ``SKEW_STEP``.
MAX_SKEW_DEG, SKEW_STEP = 3.0, 0.1
#: Width (pixels) of the thumbnail the tilt is measured on: lines of text still stand apart.
SKEW_THUMB_PX = 600


def skew_angle(image: Any) -> float:
    """The tilt of a page's lines of text in degrees (rotating by it straightens them):
    the angle whose horizontal projection profile has the greatest variance, lines and
    the gaps between them then falling into separate rows (Postl 1986)."""
    from PIL import Image

    thumb = image.convert("L")
    thumb = thumb.resize((SKEW_THUMB_PX, max(1, round(thumb.height * SKEW_THUMB_PX / thumb.width))),
                         Image.BILINEAR)
    ink = Image.fromarray(((np.asarray(thumb) < 160) * 255).astype(np.uint8))
    best, best_score = 0.0, -1.0
    steps = round(MAX_SKEW_DEG / SKEW_STEP)
    for k in range(-steps, steps + 1):
        angle = k * SKEW_STEP
        rows = np.asarray(ink.rotate(angle, resample=Image.NEAREST, fillcolor=0), dtype=np.float32).sum(axis=1)
        score = float(np.var(rows))
        if score > best_score + 1e-6 or (abs(score - best_score) <= 1e-6 and abs(angle) < abs(best)):
            best, best_score = angle, score
    return best


def straighten(image: Any) -> Any:
    """The page rotated so that its lines of text run level."""
    from PIL import Image

    angle = skew_angle(image)
    if abs(angle) < SKEW_STEP / 2:
        return image
    return image.rotate(angle, resample=Image.BICUBIC, fillcolor=255, expand=False)


def ocr_pages(data: bytes, pages: Sequence[int], engine: OcrEngine, dpi: int = OCR_DPI,
              workers: int | None = None) -> list[OcrPage]:
    """Read ``pages`` of the PDF ``data`` by OCR, in parallel (one page per core; Tesseract
    reads each in a process of its own). Word boxes come back in points, top-left origin."""
    scale = 72 / dpi

    def one(index: int) -> OcrPage:
        image = straighten(render_page(data, index, dpi))
        words = [Word(w.text, w.x0 * scale, w.x1 * scale, w.top * scale, w.bottom * scale, w.size * scale)
                 for w in engine.words(image)]
        return OcrPage(index, words)

    n = max(1, min(len(pages), workers or os.cpu_count() or 1))
    if n == 1 or engine.name != "tesseract":  # RapidOCR runs in this process: one page at a time
        return [one(i) for i in pages]
    with ThreadPoolExecutor(n, thread_name_prefix="ocr") as pool:
        return list(pool.map(one, pages))


# -- measuring -----------------------------------------------------------------------------------------
def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions each 1), one row at a
    time with numpy: a row's insertions are a running minimum."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    bs = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    ramp = np.arange(len(b) + 1, dtype=np.int64)
    prev = ramp.copy()
    for i, ch in enumerate(a, start=1):
        sub = prev[:-1] + (bs != ord(ch))
        row = np.empty_like(prev)
        row[0] = i
        row[1:] = np.minimum(prev[1:] + 1, sub)
        # insertions: row[j] = min over k <= j of row[k] + (j - k)
        row = np.minimum.accumulate(row - ramp) + ramp
        prev = row
    return int(prev[-1])


def char_accuracy(ocr: str, truth: str) -> float:
    """1 - character error rate of ``ocr`` against ``truth``, whitespace runs as one space
    (the layout, not the reading, decides line breaks); 0 when worse than nothing."""
    a, b = " ".join(ocr.split()), " ".join(truth.split())
    if not b:
        return 1.0 if not a else 0.0
    return max(0.0, 1.0 - edit_distance(a, b) / len(b))
