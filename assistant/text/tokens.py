"""Search tokens: folded (case, diacritics), stop words dropped, stemmed with the
Snowball English stemmer, numbers normalised so ``40,549`` matches ``40549``.
The same tokens feed BM25 at ingest and the question's words at query time.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.text.folding import fold

STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "been", "being", "but", "by", "for", "from", "had", "has", "have", "he", "her", "hers", "him", "his", "i", "if", "in", "into", "is", "it", "its", "itself", "me", "my", "of", "on", "or", "our", "ours", "she", "so", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "to", "too", "us", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "whose", "why", "will", "with", "would", "you", "your", "yours", "do", "does", "did", "doing", "not", "no", "nor", "can", "could", "should", "shall", "may", "might", "must", "about", "above", "after", "again", "against", "all", "am", "any", "because", "before", "below", "between", "both", "down", "during", "each", "few", "further", "here", "how", "just", "more", "most", "other", "out", "over", "own", "same", "some", "such", "through", "under", "until", "up", "very", "off", "once", "only", "also", "ever"]
)

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def normalise_number(tok: str) -> str:
    """``40,549`` / ``40.549`` -> ``40549``; ``20.5`` stays (a decimal, not thousands)."""
    if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", tok):
        return re.sub(r"[,.]", "", tok)
    return tok.replace(",", "")


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    words = []
    for m in _WORD.finditer(fold(text)):
        w = m.group(0)
        if w.endswith(("'s", "’s")):
            w = w[:-2]
        w = w.replace("'", "").replace("’", "")
        if not w:
            continue
        if w[0].isdigit():
            words.append(normalise_number(w))
        elif keep_stopwords or (w not in STOPWORDS and len(w) > 1):
            words.append(w)
    stem = _stemmer().stemWords
    return [w if w[0].isdigit() else s for w, s in zip(words, stem(words), strict=False)]
