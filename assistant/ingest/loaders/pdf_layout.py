"""Reading order and paragraphs of PDF pages, from the position of every word.

A PDF holds glyphs at coordinates, not lines or paragraphs, and the order of its content
stream need not be the reading order (some typesetting systems write a page row by row
across its columns). Method:

1. **Regions** by recursive XY-cut (Nagy & Seth 1984): a region of words is split at every
   vertical gutter (a strip at least ``GUTTER_EM`` wide that no word crosses), read left to
   right; failing that, at its widest horizontal gap wider than the page's normal line gap,
   read top to bottom; a region with neither is a text block. A headline across the page
   is cut off first (the gap under it), then the columns below it separate at their gutters.
2. **Lines** inside a block: words on the same baseline, left to right.
3. **Paragraphs**: a block breaks where the font size changes, a line is indented, or the
   line before it stops short after a sentence end; a paragraph cut by the bottom of a
   column or a page continues in the next block when it ends mid-sentence.
4. **Joining**: lines of a paragraph join with a space; a word hyphenated at a line end is
   joined without its hyphen (soft hyphens always), unless the same document writes the
   hyphenated form elsewhere ("well-known") or the next line starts with a capital or digit.
5. **Running heads and page numbers**: a one-line block in the top or bottom margin that
   is only a page number, or that repeats (digits aside) on two or more pages, is dropped.

Out of reach (see tests/ingest/test_loaders_pdf.py): text in images (no OCR), rotated or
vertical text, columns separated by less than ``GUTTER_EM`` of white space, several articles
on one page (one file is one document), articles continued on a later page after others,
and tables (cells come out as lines).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

#: A vertical strip of white space this many ems wide (median font size) separates columns.
#: Word spaces are about 0.25 em and justified text rarely stretches them past 0.6 em, and
#: never in the same place on every line; newspaper gutters are 1-2 ems (12-18 pt at 9-10 pt).
GUTTER_EM = 1.0
#: Extra white space (in ems) over the page's usual gap between lines that separates blocks:
#: a blank line is about 1 em, a paragraph's "space after" 0.5-0.8 em.
BLOCK_GAP_EM = 0.5
#: A first line this many ems right of its block's left edge starts a paragraph (1 em is the
#: usual first-line indent).
INDENT_EM = 0.8
#: A line ending a sentence this many ems short of its block's right edge ends a paragraph.
SHORT_LINE_EM = 2.0
#: Font sizes differing by more than this share are a heading and its text.
SIZE_CHANGE = 0.15
#: Share of the page height at the top and bottom where running heads and folios live.
MARGIN_SHARE = 0.09

_TERMINAL = re.compile(r"[.!?…:;\"”’)\]]$")
_FOLIO = re.compile(r"^(?:page\s*)?[-–—(]?\s*\d{1,4}\s*[-–—)]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_WORD = re.compile(r"[^\W\d_]+(?:[-‐][^\W\d_]+)*", re.UNICODE)


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass
class Line:
    words: list[Word]

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def size(self) -> float:
        return statistics.median(w.size for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in sorted(self.words, key=lambda w: w.x0))


@dataclass
class Paragraph:
    lines: list[Line]
    page: int
    top: float = 0.0
    bottom: float = 0.0
    drop: bool = field(default=False)

    @property
    def size(self) -> float:
        return statistics.median(ln.size for ln in self.lines)


def _gaps(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """White space between the union of 1-D ``spans``: ``(start, end)`` of every gap."""
    out: list[tuple[float, float]] = []
    ordered = sorted(spans)
    reach = ordered[0][1]
    for a, b in ordered[1:]:
        if a > reach:
            out.append((reach, a))
        reach = max(reach, b)
    return out


def _split(words: list[Word], em: float, line_gap: float) -> list[list[Word]] | None:
    """One XY-cut step: the parts of a region in reading order, or ``None`` for a text block."""
    if len(words) <= 1:
        return None
    # Gutters are where no word with a letter or digit stands: a stray mark in the gutter
    # (a speck an OCR engine read as a dash) does not join the columns. Each word then goes
    # to the column its middle falls in.
    solid = [w for w in words if any(ch.isalnum() for ch in w.text)] or words
    gutters = [g for g in _gaps([(w.x0, w.x1) for w in solid]) if g[1] - g[0] >= GUTTER_EM * em]
    if gutters:
        edges = [g[0] for g in gutters] + [float("inf")]
        parts, start = [], float("-inf")
        for cut in edges:
            parts.append([w for w in words if start <= (w.x0 + w.x1) / 2 < cut])
            start = cut
        return parts
    gaps = [g for g in _gaps([(w.top, w.bottom) for w in words]) if g[1] - g[0] > line_gap + BLOCK_GAP_EM * em]
    if gaps:
        # A headline across the page is cut off first: the lowest gap with nothing but larger
        # type above it. Else only the widest gap, and the columns beneath are then cut at
        # their gutters before any gap inside them (paragraph breaks that happen to line up
        # across the columns can be as wide as the gap under a headline, as on OCRed pages,
        # whose word boxes are tight to the glyphs).
        head = [g for g in gaps if all(w.size > (1 + SIZE_CHANGE) * em for w in words if w.bottom <= g[0])]
        a, _b = max(head) if head else max(gaps, key=lambda g: g[1] - g[0])
        return [[w for w in words if w.bottom <= a], [w for w in words if w.bottom > a]]
    return None


def xy_cut(words: list[Word], em: float, line_gap: float) -> list[list[Word]]:
    """Text blocks of ``words`` in reading order (see the module docstring, step 1); a work
    stack instead of recursion, so a page of hundreds of blocks cannot exhaust the stack."""
    out: list[list[Word]] = []
    stack = [words]
    while stack:
        region = stack.pop()
        parts = _split(region, em, line_gap)
        if parts is None:
            if region:
                out.append(region)
        else:
            stack.extend(reversed([p for p in parts if p]))
    return out


def lines_of(words: list[Word]) -> list[Line]:
    """Words grouped by baseline (within half the smaller font size), top to bottom."""
    lines: list[Line] = []
    for w in sorted(words, key=lambda w: (w.bottom, w.x0)):
        if lines and abs(lines[-1].words[-1].bottom - w.bottom) <= 0.5 * min(w.size, lines[-1].words[-1].size):
            lines[-1].words.append(w)
        else:
            lines.append(Line([w]))
    return lines


def line_gap(words: list[Word]) -> float:
    """The page's usual white space between one line and the next (median, points)."""
    bottoms = sorted({round(w.bottom, 1) for w in words})
    tops = {round(w.bottom, 1): w.top for w in words}
    gaps = [tops[b] - a for a, b in itertools.pairwise(bottoms) if tops[b] - a > -1]
    gaps = [max(0.0, g) for g in gaps]
    return statistics.median(gaps) if gaps else 0.0


def paragraphs_of(block: list[Line], page: int, em: float) -> list[Paragraph]:
    """Split one block's lines into paragraphs (module docstring, step 3)."""
    if not block:
        return []
    left = min(ln.x0 for ln in block)
    right = max(ln.x1 for ln in block)
    out = [Paragraph([block[0]], page)]
    for prev, ln in itertools.pairwise(block):
        new = (
            abs(ln.size - prev.size) > SIZE_CHANGE * max(ln.size, prev.size)
            or (ln.x0 - left >= INDENT_EM * em and len(block) > 2)
            or (bool(_TERMINAL.search(prev.text)) and right - prev.x1 >= SHORT_LINE_EM * em)
        )
        if new:
            out.append(Paragraph([ln], page))
        else:
            out[-1].lines.append(ln)
    for p in out:
        p.top = min(w.top for ln in p.lines for w in ln.words)
        p.bottom = max(w.bottom for ln in p.lines for w in ln.words)
    return out


def page_paragraphs(words: list[Word], page: int) -> list[Paragraph]:
    """One page's paragraphs in reading order."""
    if not words:
        return []
    em = statistics.median(w.size for w in words)
    gap = line_gap(words)
    out: list[Paragraph] = []
    for block in xy_cut(words, em, gap):
        out += paragraphs_of(lines_of(block), page, em)
    return out


def drop_running_heads(pages: list[list[Paragraph]], heights: list[float]) -> None:
    """Mark folios and running heads (module docstring, step 5) as dropped."""
    def key(p: Paragraph) -> str:
        return re.sub(r"\d+", "#", " ".join(ln.text for ln in p.lines).casefold())

    def marginal(p: Paragraph, h: float) -> bool:
        return len(p.lines) == 1 and (p.bottom <= MARGIN_SHARE * h or p.top >= (1 - MARGIN_SHARE) * h)

    seen: dict[str, set[int]] = {}
    for paras, h in zip(pages, heights, strict=False):
        for p in paras:
            if marginal(p, h):
                seen.setdefault(key(p), set()).add(p.page)
    for paras, h in zip(pages, heights, strict=False):
        for p in paras:
            if marginal(p, h) and (_FOLIO.match(p.lines[0].text.strip()) or len(seen.get(key(p), ())) >= 2):
                p.drop = True


def _hyphen_forms(paragraphs: list[Paragraph]) -> tuple[set[str], set[str]]:
    """Words the document writes with a hyphen inside a line, and all words it writes."""
    hyphenated: set[str] = set()
    words: set[str] = set()
    for p in paragraphs:
        for ln in p.lines:
            body = ln.text.rstrip("-\u00ad")
            for m in _WORD.finditer(body):
                w = m.group(0).casefold()
                (hyphenated if "-" in w else words).add(w)
    return hyphenated, words


def join_lines(lines: list[str], hyphenated: set[str], words: set[str]) -> str:
    """One paragraph's lines as running text (module docstring, step 4)."""
    out = ""
    for ln in lines:
        ln = ln.strip()
        if not out:
            out = ln
            continue
        if out.endswith("\u00ad"):
            out = out[:-1] + ln
        elif re.search(r"[^\W\d_]-$", out) and ln[:1].isalpha() and ln[:1].islower():
            left = re.search(r"([^\W\d_]+)-$", out).group(1).casefold()  # type: ignore[union-attr]
            right = re.match(r"[^\W\d_]*", ln).group(0).casefold()  # type: ignore[union-attr]
            keep = f"{left}-{right}" in hyphenated and f"{left}{right}" not in words
            out = (out if keep else out[:-1]) + ln
        elif re.search(r"\S[-–—]$", out):
            out += ln  # "anti-" + "European", "2010–" + "2015", "word—" + "word"
        else:
            out += " " + ln
    return out


def _continues(prev: Paragraph, nxt: Paragraph, body_size: float) -> bool:
    """``nxt`` carries on ``prev`` across a column or page break: same body-size type and
    ``prev`` stops mid-sentence (a one-line unpunctuated paragraph is a subheading)."""
    last = prev.lines[-1].text.rstrip()
    first = nxt.lines[0].text.lstrip()
    if not first or abs(prev.size - nxt.size) > SIZE_CHANGE * body_size or abs(prev.size - body_size) > SIZE_CHANGE * body_size:
        return False
    if last.endswith(("-", "\u00ad")):
        return True
    if _TERMINAL.search(last):
        return False
    return first[0].islower() or len(prev.lines) >= 2


def render(pages: list[list[Paragraph]]) -> str:
    """The document's text: paragraphs separated by a blank line, lines joined."""
    paras = [p for paras in pages for p in paras if not p.drop]
    if not paras:
        return ""
    body_size = statistics.median(ln.size for p in paras for ln in p.lines)
    merged: list[list[Paragraph]] = []
    for p in paras:
        if merged and _continues(merged[-1][-1], p, body_size):
            merged[-1].append(p)
        else:
            merged.append([p])
    hyphenated, words = _hyphen_forms(paras)
    texts = [join_lines([ln.text.translate(_LIGATURES) for p in group for ln in p.lines], hyphenated, words)
             for group in merged]
    return "\n\n".join(t for t in texts if t.strip())
