"""Quotation-marked spans of an article: where direct quotes are, and which of them
form one quote over several paragraphs.

Pure text: no parse needed. Newspaper convention: a quote running over several
paragraphs re-opens each paragraph and closes only at its end, so an unclosed quote
ends with its paragraph and chains to a quote opening the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN_MARKS = "“„«"
_CLOSE_MARKS = "”»"
_TERMINATORS = ".!?…"
#: A paragraph ending in a speech verb and a colon ("In a post, Wallnau wrote:"): the next
#: paragraph, if it has no quotation marks of its own, is what was said, a block quote
#: whose marks were the page's markup (an HTML <blockquote>) and went with the cleaning.
#: In the polnear corpus 7 of the 14 paragraphs after such a lead have no marks.
_BLOCK_LEAD = re.compile(r"\b(?:said|says|wrote|writes|added|adds|tweeted|tweets|posted|stated|declared|"
                         r"explained|continued|noted|argued)\b[^.!?:\n]{0,40}:\s*$", re.I)


@dataclass
class QSpan:
    """A quotation-marked span; offsets index the article text."""

    qopen: int  # index of the opening mark
    qclose: int  # index of the closing mark, or the paragraph end when unclosed
    start: int  # content start (trimmed)
    end: int  # content end (trimmed)
    closed: bool
    para: int
    chain: int = -1  # multi-paragraph quote id
    standalone: bool = False  # opens a sentence (not embedded in running text)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def find_quote_spans(text: str) -> list[tuple[int, int]]:
    """Content spans ``(start, end)`` of quotation-marked text, in order.

    Curly, guillemet and straight double quotes; an unclosed quote ends with its
    paragraph (multi-paragraph quotes re-open each paragraph).
    """
    return [(q.start, q.end) for q in quote_spans(text)]


def quote_spans(text: str) -> list[QSpan]:
    """Every quotation-marked span of ``text`` with its paragraph, chain and stand-alone flag."""
    spans: list[QSpan] = []
    pos = 0
    para = -1
    lead = False  # the paragraph before ends "X wrote:"
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        para += 1
        if lead and (block := _block(line_start, line, para)) is not None:
            spans.append(block)
        lead = bool(_BLOCK_LEAD.search(line))
        opened = -1
        for i, ch in enumerate(line):
            at = line_start + i
            prev = line[i - 1] if i else " "
            nxt = line[i + 1] if i + 1 < len(line) else " "
            if ch in _OPEN_MARKS:
                if opened >= 0:
                    spans.append(_make(text, opened, at, True, para))
                opened = at
            elif ch in _CLOSE_MARKS:
                if opened >= 0:
                    spans.append(_make(text, opened, at, True, para))
                    opened = -1
                elif (prev.isspace() or prev in "([—–-:;/") and not nxt.isspace():
                    opened = at  # a close mark used as an opener (plain typesetting)
            elif ch == '"':
                if opened >= 0:
                    spans.append(_make(text, opened, at, True, para))
                    opened = -1
                elif not nxt.isspace() and (prev.isspace() or prev in "([{—–-:;,/"):
                    opened = at
        if opened >= 0:
            spans.append(_make(text, opened, line_start + len(line.rstrip()), False, para))
    spans = [s for s in spans if s.end > s.start]
    _link_chains(text, spans)
    return spans


def _block(line_start: int, line: str, para: int) -> QSpan | None:
    """A paragraph quoted as a block, without marks: from its first character to the end
    of its last sentence before any quotation mark of its own (a quote inside the block
    is a span of its own); ``qopen``/``qclose`` are content, not marks. None when the
    paragraph opens with a mark (an ordinary quote)."""
    lo = len(line) - len(line.lstrip())
    marks = [i for i, ch in enumerate(line) if ch in _OPEN_MARKS or ch in _CLOSE_MARKS or ch == '"']
    hi = len(line.rstrip())
    if marks:
        hi = max((i + 1 for i in range(lo, marks[0]) if line[i] in _TERMINATORS), default=lo)
    if hi <= lo:
        return None
    return QSpan(line_start + lo, line_start + hi - 1, line_start + lo, line_start + hi, True, para, standalone=True)


def _make(text: str, qopen: int, qclose: int, closed: bool, para: int) -> QSpan:
    start, end = _trim(text, qopen + 1, qclose)
    q = QSpan(qopen, qclose, start, end, closed, para)
    i = qopen - 1
    while i >= 0 and text[i].isspace() and text[i] != "\n":
        i -= 1
    # Stand-alone: the quote opens its paragraph or follows a sentence end or a colon.
    q.standalone = i < 0 or text[i] == "\n" or text[i] in _TERMINATORS or text[i] in ":\"”"
    return q


def paragraph_starts(text: str) -> list[int]:
    """Start offsets of the non-blank lines of ``text``."""
    return [m.start() for m in re.finditer(r"(?m)^(?=[ \t\u00a0]*\S)", text)]


def _link_chains(text: str, spans: list[QSpan]) -> None:
    """Unclosed quote + next paragraph opening with a quote = one quote over paragraphs."""
    chain = 0
    for i, q in enumerate(spans):
        if q.chain < 0:
            q.chain = chain
            chain += 1
        if q.closed or i + 1 >= len(spans):
            continue
        nxt = spans[i + 1]
        if nxt.para > q.para and not text[q.qclose: nxt.qopen].strip():
            nxt.chain = q.chain
