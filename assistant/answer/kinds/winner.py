"""Which side of "X or Y?" one sentence supports, when the sides have no figures to compare
("who finished ahead in Nevada, Rubio or Cruz?", "which premiered first, The Sopranos or The
Wire?", "do Russians admire Putin more as a protector or as a provider?").

Pure functions of the question, its two sides and one sentence. The sentence decides by, in
order: the years it gives each side (a question of time order: the earlier wins), a cue before
one side that makes it the lesser or the later ("... ahead of *Cruz*", "more ... than for the role
of *provider*", "followed by a trip by *McConnell*") or the greater or the earlier ("behind
*X*", "preceded by a visit from *X*"), and else the side it names first (news writes the
winner first: "66 percent ... of Trump, compared with 48 percent ... of Clinton").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.lexicon import STOPWORDS

#: Words before a side within which a cue counts ("just 2.5 ahead of Senator Ted *Cruz*": four).
#: Measured on natural-train's binary "X or Y" questions (the 7 whose cited sentence names both
#: sides): windows of 2-3 words pick 4 right, 4-8 pick 5; the middle of the plateau is kept.
CUE_WINDOW = 5
#: A year counts for a side within this many words of its mention. Measured as above: 4-10 all
#: pick 5 right; from 8 the years decide the one time-order case whose years are in appositions
#: ("''The Sopranos,'' a show that had its premiere in 1999": eight words) instead of the order.
YEAR_WINDOW = 8

#: A side right after one of these is the lesser (or the later) one.
_LOSER_CUES = re.compile(
    r"\b(?:than|ahead of|over|compared (?:with|to)|beat|beating|beats|defeated|defeating|outpaced|edged(?: out)?|"
    r"followed by|before|trailed by|leading)\b", re.I)
#: A side right after one of these is the greater (or the earlier) one.
_WINNER_CUES = re.compile(r"\b(?:behind|trailing|trails|trailed|preceded by|after|lost to|losing to|lagging)\b", re.I)
#: The question asks for the lesser side (the sentence's cues then point the other way).
_LESS = re.compile(r"\b(?:less|fewer|smaller|lower|shorter|least|smallest|lowest|fewest|worse|weaker|"
                   r"behind|trails?)\b", re.I)
#: The question asks which came first: years decide, the earlier wins.
_FIRST = re.compile(r"\b(?:first|earlier|earliest|sooner|before)\b", re.I)
#: The question asks which came last: years decide, the later wins.
_LAST = re.compile(r"\b(?:last|later|latest|most recent(?:ly)?)\b", re.I)
#: The sentence compares (its first-named side is then the one it puts first).
_COMPARING = re.compile(r"\b(?:than|compared|ahead|behind|versus|vs|while|whereas|more|most|less|fewer|higher|lower|"
                        r"larger|bigger|better|worse|led|leads?|leading|won|wins?|beat|first|before|after|preceded|followed|later|earlier)\b", re.I)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_WORD = re.compile(r"[\w’'.-]+")


@dataclass(frozen=True)
class Pick:
    """The side a sentence supports, where it names it, and what decided."""

    side: str
    start: int
    end: int
    #: "years", "cue" or "order".
    by: str


def side_words(side: str, other: str) -> list[str]:
    """The words that find ``side`` in a sentence: its own content words, not those the
    other side shares ("chinese steel" vs "chinese truck tires": "steel")."""
    theirs = {w.lower() for w in _WORD.findall(other)}
    return [w for w in _WORD.findall(side) if w.lower() not in STOPWORDS and w.lower() not in theirs
            and not w.isdigit() and len(w.strip(".-’'")) > 1]


def mention(side: str, other: str, text: str) -> tuple[int, int] | None:
    """Where ``text`` first names ``side`` (any of its own words, whole, any case)."""
    hits = [m for w in side_words(side, other)
            for m in [re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.I)] if m]
    if not hits:
        return None
    first = min(hits, key=lambda m: m.start())
    return first.start(), first.end()


def _words_before(text: str, at: int, n: int) -> str:
    return " ".join(text[:at].split()[-n:])


def _year_near(text: str, span: tuple[int, int], other: tuple[int, int]) -> int | None:
    """The year said of a side: the nearest after its mention and before the other side's,
    else the nearest before it and after the other side's; within ``YEAR_WINDOW`` words."""
    after = (span[1], other[0] if other[0] >= span[1] else len(text))
    before = (other[1] if other[1] <= span[0] else 0, span[0])
    for (a, b), nearest_first in ((after, True), (before, False)):
        years = [(len(text[a: m.start()].split()) if nearest_first else len(text[m.end(): b].split()), int(m.group(1)))
                 for m in _YEAR.finditer(text, a, b)]
        near = [y for y in years if y[0] <= YEAR_WINDOW]
        if near:
            return min(near)[1]
    return None


def pick(question: str, left: str, right: str, text: str) -> Pick | None:
    """The side ``text`` supports as the answer to ``question``; None unless it names
    both sides."""
    spans = {left: mention(left, right, text), right: mention(right, left, text)}
    if spans[left] is None or spans[right] is None:
        # A sentence about one side only does not say which side wins.
        return None
    (la, lb), (ra, rb) = spans[left], spans[right]  # type: ignore[misc]
    first_side = left if la <= ra else right
    other_side = right if first_side == left else left

    def out(side: str, by: str) -> Pick:
        a, b = spans[side]  # type: ignore[misc]
        return Pick(text[a:b], a, b, by)

    order = _FIRST.search(question) or _LAST.search(question)
    if order:
        ly, ry = _year_near(text, (la, lb), (ra, rb)), _year_near(text, (ra, rb), (la, lb))
        if ly and ry and ly != ry:
            earlier = left if ly < ry else right
            later = right if earlier == left else left
            return out(earlier if _FIRST.search(question) else later, "years")
    want_less = bool(_LESS.search(question)) or bool(_LAST.search(question) and not _FIRST.search(question))
    for side in (first_side, other_side):
        before = _words_before(text, spans[side][0], CUE_WINDOW)  # type: ignore[index]
        loser, winner = _LOSER_CUES.search(before), _WINNER_CUES.search(before)
        if bool(loser) == bool(winner):
            continue
        lesser = side if loser else (other_side if side == first_side else first_side)
        greater = right if lesser == left else left
        return out(lesser if want_less else greater, "cue")
    if not _COMPARING.search(text):
        # Naming both is not comparing them ("a super PAC backing Bush has been hitting Rubio").
        return None
    return out(first_side, "order")
