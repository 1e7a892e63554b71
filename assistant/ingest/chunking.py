"""Sentence-bounded chunks under a token budget, with exact offsets.

Tokens are counted with tiktoken's cl100k_base, which llama-index-core ships
(so nothing is downloaded). Chunks never split a sentence unless the sentence
alone exceeds the budget; consecutive chunks share whole trailing sentences
worth at most ``overlap`` tokens, so a fact near a boundary is seen whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache

from assistant.models import Chunk
from assistant.text.sentences import split_sentences

Tokenizer = Callable[[str], list]


@lru_cache(maxsize=1)
def get_tokenizer() -> Tokenizer:
    """cl100k_base from llama-index-core's bundled cache (no network)."""
    from llama_index.core.utils import get_tokenizer as lli_tokenizer

    return lli_tokenizer()


def count_tokens(text: str, tokenizer: Tokenizer | None = None) -> int:
    return len((tokenizer or get_tokenizer())(text))


def chunk_id(doc_id: str, text: str, start: int) -> str:
    """Content-derived id: the same text at the same place always gets the same id."""
    h = hashlib.sha256(f"{doc_id}\x00{start}\x00{text}".encode()).hexdigest()
    return h[:24]


def _split_long(text: str, start: int, end: int, budget: int, tok: Tokenizer) -> list[tuple[int, int, int]]:
    """Cut one over-long sentence at word boundaries into pieces of <= budget tokens."""
    pieces: list[tuple[int, int, int]] = []
    s = start
    while s < end:
        lo, hi = s + 1, end
        # Binary search for the longest prefix that fits, then back off to a space.
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if len(tok(text[s:mid])) <= budget:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        if cut < end:
            space = text.rfind(" ", s + 1, cut)
            if space > s:
                cut = space
        piece_end = cut
        while piece_end > s and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((s, piece_end, len(tok(text[s:piece_end]))))
        s = cut
        while s < end and text[s].isspace():
            s += 1
    return pieces


def chunk_text(
    doc_id: str,
    text: str,
    *,
    budget: int = 200,
    overlap: int = 30,
    sentences: Sequence[tuple[int, int]] | None = None,
    tokenizer: Tokenizer | None = None,
) -> list[Chunk]:
    """Chunks of ``text``; ``text[c.start:c.end] == c.text`` for every chunk."""
    tok = tokenizer or get_tokenizer()
    spans = list(sentences) if sentences is not None else split_sentences(text)
    units: list[tuple[int, int, int]] = []
    for s, e in spans:
        n = len(tok(text[s:e]))
        units.extend(_split_long(text, s, e, budget, tok) if n > budget else [(s, e, n)])

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= budget):
            total += units[j][2]
            j += 1
        start, end = units[i][0], units[j - 1][1]
        body = text[start:end]
        chunks.append(Chunk(chunk_id(doc_id, body, start), doc_id, len(chunks), start, end, body, len(tok(body))))
        if j >= len(units):
            break
        # Step back over trailing sentences that fit in the overlap, but always advance.
        k, back = j, 0
        while k - 1 > i and back + units[k - 1][2] <= overlap:
            back += units[k - 1][2]
            k -= 1
        i = k
    return chunks
