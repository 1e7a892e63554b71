"""Rule-based sentence segmentation with exact character offsets.

Fast and deterministic (no model), so chunking can run ahead of spaCy and the
embedder never waits. The rules follow the Punkt/pySBD tradition (Kiss & Strunk
2006; Sadvilkar & Neumann 2020): a terminator (. ! ? …) plus closing quotes or
brackets, then space, then something that can open a sentence, unless the word
before the period is a known abbreviation or an initial.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "cmdr", "adm", "maj", "st", "jr", "sr", "inc", "ltd", "co", "corp", "bros", "vs", "etc", "e.g", "i.e", "no", "nos", "vol", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "u.s", "u.k", "u.n", "u.s.a", "e.u", "a.m", "p.m", "d.c", "approx", "est", "dept", "univ", "assn", "rev", "hon", "pres", "atty", "supt", "messrs", "mme", "mlle", "cf", "al"]
)

#: Plural titles ("Sens. Ann Lee and Bo Park").
PLURAL_TITLES = frozenset(["sens", "reps", "govs", "gens", "drs", "profs", "messrs", "mmes", "cols", "lts", "sgts"])
#: US state abbreviations in the AP style news uses after a city ("ORLANDO, Fla. (Reuters)",
#: "in Boston, Mass., on Monday"); an abbreviation only after "City, ", since several are
#: also words ("Wash.", "Miss.", "Mass.").
STATE_ABBREVIATIONS = frozenset(
    ["ala", "ariz", "ark", "calif", "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan", "kans", "ky", "la",
     "md", "mass", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "n.h", "n.j", "n.m", "n.y", "n.c", "n.d",
     "okla", "ore", "pa", "r.i", "s.c", "s.d", "tenn", "tex", "vt", "va", "wash", "w.va", "wis", "wyo"])
_CITY_COMMA = re.compile(r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*,\s+$")
_INITIALS = re.compile(r"(?:[A-Z]\.)+[A-Z]")

_TERMINATOR = re.compile(r"(?:[.!?]+|…)[\"'”’»)\]]*(?=\s)")
_OPENER = re.compile(r"\s+[\"'“‘«(\[]*[A-Z0-9\u00C0-\u024F\u0400-\u04FF]")
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?]*$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Is the period at ``text[dot]`` part of an abbreviation or an initial?"""
    m = _WORD_BEFORE.search(text, max(0, dot - 20), dot + 1)
    if not m:
        return False
    word = m.group(1).rstrip(".").lower()
    if word in ("no", "nos"):  # "No. 5" but not "He said no."
        return bool(re.match(r"\s*\d", text[dot + 1: dot + 4]))
    if word in ABBREVIATIONS or word in PLURAL_TITLES:
        return True
    if word in STATE_ABBREVIATIONS and text[m.start(1)].isupper() and _CITY_COMMA.search(text, 0, m.start(1)):
        return True
    # Initials: "J. Smith", "George W. Bush", "George H.W. Bush".
    return (len(word) == 1 and text[m.start(1)].isupper()) or bool(_INITIALS.fullmatch(m.group(1).rstrip(".")))


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Split on line breaks, re-joining soft-wrapped lines (next line starts lower-case
    and the previous one does not end a sentence)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in re.finditer(r"\n", text):
        line_end = m.start()
        nxt = text[m.end(): m.end() + 1]
        prev = text[pos:line_end].rstrip()
        if prev and nxt.islower() and not re.search(r"[.!?:;\"”’)]$", prev) and "\n" not in text[m.end(): m.end() + 1]:
            continue  # soft wrap: the sentence goes on
        spans.append((pos, line_end))
        pos = m.end()
    spans.append((pos, len(text)))
    return spans


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` covering the non-blank text, in order.

    Every span is stripped of surrounding whitespace; ``text[start:end]`` is the sentence.
    """
    out: list[tuple[int, int]] = []
    for p_start, p_end in _paragraph_spans(text):
        start = p_start
        for m in _TERMINATOR.finditer(text, p_start, p_end):
            end = m.end()
            opener = _OPENER.match(text, end, p_end)
            if not opener:
                continue
            last_dot = m.start() if text[m.start()] == "." and m.group(0)[:1] == "." else -1
            if last_dot >= 0 and len(m.group(0).rstrip("\"'”’»)]")) == 1 and _is_abbreviation(text, last_dot):
                continue
            _append(text, start, end, out)
            start = end
        _append(text, start, p_end, out)
    return out


def _append(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))
