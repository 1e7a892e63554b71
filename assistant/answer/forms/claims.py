"""How a sentence lines up with a yes/no question's claim, beyond which words it shares:
the densest stretch of the sentence that states the claim (``claim_span``, where a
negation counts), a substitution ("had *already* endorsed *Clinton*"
for "did she endorse Bernie", "was *actually* a small flashlight", "trust *Clinton* more than
the Republicans" for "trust Republicans more than Clinton"), and a question word the
article misspells or inflects otherwise ("favorabilty", "millenials", "execs"), found by
edit distance or a shared prefix (``near_word``).

Pure functions of text; ``forms.features`` turns them into the polarity model's inputs
(weighed by ``make train``) and into the claim gap's tolerance of misspelt words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.text.lexicon import STOPWORDS
from assistant.text.tokens import tokenize

#: Matched words farther apart than this many words start a new stretch of the claim (a
#: clause of news prose; NegEx's window is 5 words, Chapman et al. 2001).
SPAN_GAP = 6
#: Words after a substitution marker read for what replaces the asked thing ("already
#: endorsed Clinton": "endorsed", "Clinton").
SWAP_WINDOW = 2
#: Markers after which a sentence says what is so instead of what was asked (Penn Discourse
#: Treebank's Expansion.Substitution and Comparison.Contrast connectives of correction).
SWAP_MARKERS = ("actually", "instead", "rather", "already", "in fact", "in reality")
_PREFERENCE = re.compile(r"(?:\bwould|\bhad|['’]d)\s+rather$")
#: Words either side of "than" that are read as the two sides of a comparison.
THAN_WINDOW = 3
#: A misspelt question word matches an article word at most this edit distance away (one for
#: words up to ``LONG_WORD`` letters, two beyond: Damerau 1964 found ~80% of misspellings one
#: edit away); shorter words than ``MIN_FUZZY`` are never matched this way.
MIN_FUZZY, LONG_WORD = 5, 8
#: A clipped question word ("execs") matches an article word that starts with it when it keeps
#: at least this many letters.
MIN_PREFIX = 4


def claim_span(words: Sequence[str], match: Sequence[bool], weights: Sequence[float]) -> tuple[int, int]:
    """The stretch of ``words`` (start, end index, end exclusive) whose matched words weigh
    most, matches at most ``SPAN_GAP`` words apart; (0, 0) when nothing matches."""
    best, best_w = (0, 0), 0.0
    i = 0
    hits = [k for k, m in enumerate(match) if m]
    while i < len(hits):
        j = i
        while j + 1 < len(hits) and hits[j + 1] - hits[j] <= SPAN_GAP:
            j += 1
        w = sum(weights[k] for k in hits[i: j + 1])
        if w > best_w:
            best, best_w = (hits[i], hits[j] + 1), w
        i = j + 1
    return best


def swapped(text: str, asked: set[str]) -> bool:
    """After a substitution marker the sentence names something the question does not ask
    about ("had already endorsed Clinton", "was actually a small flashlight")."""
    low = text.lower()
    for marker in SWAP_MARKERS:
        for m in re.finditer(rf"\b{marker}\b", low):
            if _PREFERENCE.search(low[: m.end()]):
                continue  # "would rather X than Y" states a preference, not a correction
            after = tokenize(low[m.end():])[:SWAP_WINDOW]
            if any(t not in asked for t in after):
                return True
    return False


def _sides(text: str) -> tuple[set[str], set[str]] | None:
    low = text.lower()
    m = re.search(r"\bthan\b", low)
    if m is None:
        return None
    return set(tokenize(low[: m.start()])[-THAN_WINDOW:]), set(tokenize(low[m.end():])[:THAN_WINDOW])


def than_swapped(question: str, text: str) -> bool:
    """The sentence compares the question's two sides the other way round ("trust Clinton
    more than the Republicans" for "trust Republicans more than Clinton")."""
    q, s = _sides(question), _sides(text)
    if q is None or s is None:
        return False
    (qa, qb), (sa, sb) = q, s
    return bool((qa & sb) - sa) and bool((qb & sa) - sb)


def _edits(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def near_word(word: str, vocabulary: set[str]) -> str:
    """The word of ``vocabulary`` that ``word`` misspells or clips ("favorabilty" ->
    "favorability", "execs" -> "executives"), or ""."""
    if len(word) < MIN_FUZZY and len(word) < MIN_PREFIX:
        return ""
    limit = 1 if len(word) <= LONG_WORD else 2
    best, best_d = "", limit + 1
    stem = word[:-1] if word.endswith("s") else word
    for v in vocabulary:
        if v[:1] != word[:1]:
            continue
        if len(stem) >= MIN_PREFIX and len(v) > len(stem) and v.startswith(stem) and best_d > limit:
            best = v
        if len(word) >= MIN_FUZZY:
            d = _edits(word, v, limit)
            if d < best_d:
                best, best_d = v, d
    return best


def contraction_stems(text: str) -> set[str]:
    """Search stems of a pronoun's contractions ("she'd" -> "shed", "they'll" -> "theyll"):
    how a question is put, not what it asks about."""
    out = set()
    for w in re.findall(r"[a-z]+['’][a-z]+", text.lower()):
        head = re.split(r"['’]", w)[0]
        if head in STOPWORDS:
            out |= set(tokenize(w, keep_stopwords=True))
    return out
