"""Search tokens: folded (case, diacritics), stop words dropped, stemmed with the
Snowball English stemmer, numbers normalised so ``40,549`` matches ``40549``.
The same tokens feed BM25 at ingest and the question's words at query time.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.text.folding import fold
from assistant.text.lexicon import STOPWORDS

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


#: Texts whose tokens are remembered. Answering one question tokenizes the same passages and
#: sentences several times (retrieval's best sentence, the evidence, the selection features):
#: 27% of `ask` time at 100k chunks before this cache (profiled over 60 realtimeqa questions).
TOKEN_CACHE_TEXTS = 8192


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """The search tokens of ``text`` (a new list each call)."""
    return list(_tokenize(text, keep_stopwords))


@lru_cache(maxsize=TOKEN_CACHE_TEXTS)
def _tokenize(text: str, keep_stopwords: bool) -> tuple[str, ...]:
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
    return tuple(w if w[0].isdigit() else s for w, s in zip(words, stem(words), strict=False))
