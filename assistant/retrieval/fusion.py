"""Rank fusion of the dense and lexical result lists (pure functions).

Two methods are provided and measured (see README "Retrieval"):

- ``rrf``: reciprocal rank fusion (Cormack, Clarke & Buettcher, SIGIR 2009),
  ``sum_i w_i / (k + rank_i)``.
- ``convex``: a convex combination of per-query normalised scores (Bruch, Gai &
  Ingber, "An Analysis of Fusion Functions for Hybrid Retrieval", TOIS 2023),
  ``alpha * dense' + (1 - alpha) * bm25'``. Dense cosine is mapped from its
  useful range to [0, 1] with fixed bounds; BM25 is divided by the query's top
  score, since its scale depends on the query.

The default is ``convex`` with ``alpha = 0.6`` (``retrieve.DEFAULT_ALPHA``).
Measured with ``tools/retrieval_eval.py --sweep`` (gold document's first passage
rank; R@1 / R@3 / MRR):

==================  ===================  ===================
fusion              seeds (n=113)        realtimeqa (n=2081)
==================  ===================  ===================
dense only          .619 / .814 / .731   .652 / .824 / .751
BM25 only           .938 / .982 / .963   .553 / .724 / .651
RRF k=60            .752 / .956 / .856   .633 / .804 / .735
RRF k=1             .761 / .982 / .870   .649 / .825 / .751
convex a=0.5        .947 / .982 / .966   .656 / .808 / .745
convex a=0.6        .947 / .991 / .969   .663 / .817 / .754
convex a=0.8        .885 / .982 / .933   .672 / .839 / .768
min-max convex 0.5  .920 / .991 / .954   .660 / .827 / .758
==================  ===================  ===================

RRF only sees ranks, so it cannot tell a decisive BM25 hit (a quoted phrase, a
rare name) from a marginal one and lost ~20 points of R@1 on seeds. The convex
combination keeps that margin; 0.6 is the best setting on seeds and beats 0.5 on
realtimeqa on every metric. Known weakness: BM25 is divided by the query's top
score, so a query whose words barely match anything still gives its best BM25
chunk a full 1.0 and can push a good dense-only hit out of the top 10 (seen on
realtimeqa); a per-query choice or a BM25 confidence bound is the next step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def rrf(rankings: Mapping[str, Sequence[str]], k: float = 60.0,
        weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Reciprocal rank fusion of named rankings (ids best first)."""
    out: dict[str, float] = {}
    for name, ids in rankings.items():
        w = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, i in enumerate(ids, start=1):
            out[i] = out.get(i, 0.0) + w / (k + rank)
    return out


def normalise_dense(cos: float, lo: float = 0.1, hi: float = 0.8) -> float:
    """Cosine similarity of MiniLM sentence embeddings mapped to [0, 1].

    Fixed bounds (not per-query min-max) keep an absolute meaning: a weak best
    hit stays weak, which abstention relies on.
    """
    return min(1.0, max(0.0, (cos - lo) / (hi - lo)))


def normalise_max(scores: Mapping[str, float]) -> dict[str, float]:
    """Divide by the best score (BM25's scale varies from query to query)."""
    top = max(scores.values(), default=0.0)
    if top <= 0:
        return {i: 0.0 for i in scores}
    return {i: s / top for i, s in scores.items()}


def convex(dense: Mapping[str, float], lexical: Mapping[str, float], alpha: float = 0.5) -> dict[str, float]:
    """``alpha * dense + (1 - alpha) * lexical`` over normalised scores; missing = 0."""
    d = {i: normalise_dense(s) for i, s in dense.items()}
    b = normalise_max(lexical)
    return {i: alpha * d.get(i, 0.0) + (1 - alpha) * b.get(i, 0.0) for i in set(d) | set(b)}
