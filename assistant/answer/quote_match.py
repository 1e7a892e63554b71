"""Find the quote a question cites ("Who said 'we will not back down'?") in the quote
index: folded word sequences, ellipses, a last word cut short, a quote split by its
attribution."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from assistant.models import QuoteRecord
from assistant.text.folding import fold
from assistant.text.names import speakers_match

_MATCH_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=65536)
def _match_tokens(text: str) -> tuple[str, ...]:
    return tuple(_MATCH_TOKEN.findall(fold(text)))


def _find(seq: tuple[str, ...], sub: Sequence[str], loose_last: bool) -> int:
    """Index of ``sub`` in ``seq`` (the last word may be cut short), or -1."""
    n, k = len(seq), len(sub)
    if k == 0 or k > n:
        return -1
    first = sub[0]
    for i in range(n - k + 1):
        if seq[i] != first:
            continue
        if all(seq[i + j] == sub[j] for j in range(1, k - 1)) and (
            k == 1 or seq[i + k - 1] == sub[-1] or (loose_last and seq[i + k - 1].startswith(sub[-1]))
        ):
            return i
    return -1


def _overlap_prefix(seq: tuple[str, ...], sub: Sequence[str]) -> tuple[int, int]:
    """Longest prefix of ``sub`` that ends ``seq``: (start in seq, length)."""
    n = len(seq)
    for length in range(min(len(sub), n), 0, -1):
        if seq[n - length:] == tuple(sub[:length]):
            return n - length, length
    return -1, 0


def match_quote(fragment: str, records: Sequence[QuoteRecord]) -> list[tuple[QuoteRecord, float]]:
    """Records whose quote contains ``fragment``, best first, with a score in 0..1.

    Matching is on folded word sequences (so curly/straight quotes, dashes and
    case do not matter); an ellipsis splits the fragment into parts that must
    appear in order; the fragment's last word may be cut short; a fragment that
    runs past the end of a quote may continue into the same speaker's next quote
    (a quote split by its attribution). Best first: exact containment starting at
    the quote's start, then the tightest quote, then the record's confidence.
    """
    frag = fragment.strip().strip("\"'“”‘’«»").strip()
    parts = [p for p in re.split(r"\.\.\.+|…|\[\.\.\.\]", fold(frag)) if _match_tokens(p)]
    if not parts:
        return []
    parts_tok = [list(_match_tokens(p)) for p in parts]
    by_doc: dict[str, list[QuoteRecord]] = {}
    for r in records:
        by_doc.setdefault(r.doc_id, []).append(r)
    for lst in by_doc.values():
        lst.sort(key=lambda r: (r.start, r.end))
    results: list[tuple[QuoteRecord, float, tuple]] = []
    for lst in by_doc.values():
        for idx, rec in enumerate(lst):
            score = _score_record(parts_tok, lst, idx)
            if score <= 0:
                continue
            score *= 0.8 + 0.2 * max(0.0, min(1.0, rec.confidence))
            tight = len(_match_tokens(rec.quote))
            results.append((rec, round(min(1.0, score), 4), (-score, tight, rec.kind != "direct")))
    results.sort(key=lambda x: x[2])
    return [(r, s) for r, s, _ in results]


def _score_record(parts: list[list[str]], lst: list[QuoteRecord], idx: int) -> float:
    rec = lst[idx]
    seq = _match_tokens(rec.quote)
    if not seq:
        return 0.0
    first = parts[0]
    variants = [first]
    if len(first) > 1 and first[0] == "that":
        variants.append(first[1:])  # reported clause with or without "that"
    for var in variants:
        pos = _find(seq, var, loose_last=len(parts) == 1)
        if pos >= 0:
            rest_ok = _rest_in_order(seq, pos + len(var), parts[1:], lst, idx)
            base = 1.0 if pos == 0 else 0.9
            if var is not first:
                base -= 0.05
            return base if rest_ok else base * 0.6
        # The fragment runs past this quote into the next quote of the same speaker.
        start, length = _overlap_prefix(seq, var)
        if length >= 3 or (length and start == 0):
            remainder = var[length:]
            j = last = idx + 1
            end = rec.end
            # Records between the parts (a title in the attribution, a reported clause)
            # are stepped over: up to four records after the last matched part.
            while remainder and j < len(lst) and j <= last + 4:
                nxt = lst[j]
                if nxt.start < end or not speakers_match(nxt.speaker, rec.speaker):
                    j += 1
                    continue
                nseq = _match_tokens(nxt.quote)
                k = min(len(nseq), len(remainder))
                if (k and nseq[:k] == tuple(remainder[:k])) or (
                    k and nseq[: k - 1] == tuple(remainder[: k - 1]) and nseq[k - 1].startswith(remainder[k - 1])
                ):
                    remainder = remainder[k:]
                    if remainder:
                        end = nxt.end
                        j += 1
                        last = j
                        continue
                    base = 0.95 if start == 0 else 0.85
                    if var is not first:
                        base -= 0.05
                    return base
                j += 1
    # Partial: a long common run (different wording at the edges).
    run = _longest_run(seq, first)
    if len(first) >= 6 and run >= 0.7 * len(first):
        return 0.5 * run / len(first)
    return 0.0


def _rest_in_order(seq: tuple[str, ...], pos: int, parts: list[list[str]], lst: list[QuoteRecord], idx: int) -> bool:
    for p in parts:
        found = _find(seq[pos:], p, loose_last=True)
        if found < 0:
            return False
        pos += found + len(p)
    return True


def _longest_run(seq: tuple[str, ...], sub: Sequence[str]) -> int:
    best = 0
    n, k = len(seq), len(sub)
    for i in range(n):
        for j in range(k):
            length = 0
            while i + length < n and j + length < k and seq[i + length] == sub[j + length]:
                length += 1
            best = max(best, length)
    return best
