"""Exact phrases in a query: a quoted fragment is looked for as words in that order.

Why: 'Who said "Not going to go into that"?' is made of words every article uses, so
neither BM25 (common terms, low idf) nor the embedding (a generic meaning) ranks the one
article that holds the words in that order; on the polnear validation questions the
article quoted was missing from the passages of 13 of 650 such questions. Search tools
treat a quoted query as a phrase (Lucene's PhraseQuery, a web search's "..."); here the
phrase's own keyword search proposes chunks and the words in order confirm them.

A quoted fragment is often not verbatim: the asker drops the attribution between two
parts ("Of Carson He's flat-out scary" for "Of Carson, Levine ... said, “He's
flat-out scary"), punctuation, or words behind an ellipsis. So a chunk matches by the
longest run of the phrase's words it holds in order, as a share of the phrase.
Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.text.folding import tokens

#: A quoted fragment shorter than this many words is searched as plain words: "freak
#: out" is a common phrase, not a pointer to one article.
MIN_PHRASE_WORDS = 3
#: A chunk holds the phrase when its longest in-order run of the phrase's words covers
#: at least this share of them. Measured on the 853 polnear training questions
#: (``tools/phrase_cover.py``): at 0.5 every quoted chunk is held (0.6: 96.0%), another
#: document's chunk passes for 5.9% of questions, never above the quoted one. With the
#: question's own 80 dense and keyword candidates checked too (``--query-candidates 80``),
#: the best share is a quoted chunk's for all 853 (the 20 proposals alone: 852), and never
#: another document's alone.
MIN_COVER = 0.5

_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|«([^»]+)»")


def words(text: str) -> list[str]:
    """Folded words, with typographic apostrophes plain ("He’s" and "He's" are one word)."""
    return tokens(text.replace("’", "'").replace("‘", "'"))


def quoted_phrases(query: str) -> list[list[str]]:
    """The words of each quoted fragment of ``query`` that is long enough to search as a
    phrase, in the order they stand."""
    out = []
    for m in _QUOTED.finditer(query):
        w = words(next(g for g in m.groups() if g is not None))
        if len(w) >= MIN_PHRASE_WORDS:
            out.append(w)
    return out


def longest_run(phrase: Sequence[str], text: Sequence[str]) -> int:
    """The most consecutive words of ``phrase`` that ``text`` holds consecutively."""
    where: dict[str, list[int]] = {}
    for i, w in enumerate(phrase):
        where.setdefault(w, []).append(i)
    best = 0
    prev: dict[int, int] = {}
    for w in text:
        cur = {i: prev.get(i - 1, 0) + 1 for i in where.get(w, ())}
        if cur:
            best = max(best, max(cur.values()))
        prev = cur
    return best


def cover(phrase: Sequence[str], text: str, at_least: float = MIN_COVER) -> float:
    """The share of ``phrase`` that ``text`` holds as one run of words in order; 0.0
    when it holds too few of the words at all to reach ``at_least`` (found without
    looking for runs: most candidates end there)."""
    if not phrase:
        return 0.0
    have = words(text)
    present = set(have)
    if sum(w in present for w in phrase) < at_least * len(phrase):
        return 0.0
    return longest_run(phrase, have) / len(phrase)
