"""Query figures: retrieve / ask latency against their floor, and HNSW recall against
exact search over the same vectors."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.evaluation.bench.measure import clear_query_cache, percentile, recall_at, timed


def all_vectors(store: Any) -> tuple[list[str], np.ndarray]:
    """Every chunk id and its L2-normalised vector, read back from Chroma."""
    ids: list[str] = []
    vecs: list[np.ndarray] = []
    offset, page = 0, 5000
    while True:
        res = store.chunks.get(include=["embeddings"], limit=page, offset=offset)
        ids.extend(res["ids"])
        if len(res["ids"]):
            vecs.append(np.asarray(res["embeddings"], dtype=np.float32))
        if len(res["ids"]) < page:
            break
        offset += page
    m = np.concatenate(vecs) if vecs else np.zeros((0, 384), np.float32)
    m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return ids, m


def recall_within(exact_kth_sim: float, approx_sims: Sequence[float], k: int, eps: float = 1e-3) -> float:
    """Share of the k approximate results at least as close as the exact k-th neighbour
    (less ``eps``): ANN-Benchmarks' distance-threshold recall (Aumüller et al. 2020),
    which does not punish a different pick among equally near neighbours. Corpora
    recombined from a few thousand sentences have many such ties."""
    return sum(1 for s in approx_sims[:k] if s >= exact_kth_sim - eps) / k if k else 1.0


def hnsw_recall(store: Any, queries: np.ndarray, k: int = 10,
                vectors: tuple[list[str], np.ndarray] | None = None) -> dict[str, float]:
    """Mean recall@k of Chroma's HNSW against exact cosine search (by ids, and by
    distance threshold), and both latencies. ``vectors`` (ids, normalised rows) saves
    reading them back from Chroma when the caller wrote them."""
    ids, m = vectors if vectors is not None else all_vectors(store)
    recalls, within, t_exact, t_ann = [], [], [], []
    for q in queries:
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        t0 = time.perf_counter()
        sims = m @ q
        top = np.argpartition(-sims, min(k, len(sims) - 1))[:k]
        top = top[np.argsort(-sims[top])]
        t1 = time.perf_counter()
        res = store.chunks.query(query_embeddings=[q.tolist()], n_results=min(k, len(ids)), include=["distances"])
        t2 = time.perf_counter()
        recalls.append(recall_at([ids[i] for i in top], res["ids"][0], k))
        within.append(recall_within(float(sims[top[-1]]), [1.0 - d for d in res["distances"][0]], min(k, len(ids))))
        t_exact.append((t1 - t0) * 1000)
        t_ann.append((t2 - t1) * 1000)
    return {"hnsw_recall_at_10": round(float(np.mean(within)), 4) if within else None,
            "hnsw_recall_ids_at_10": round(float(np.mean(recalls)), 4) if recalls else None,
            "hnsw_recall_min": round(float(np.min(within)), 4) if within else None,
            "exact_search_p50_ms": round(percentile(t_exact, 50), 3),
            "hnsw_search_p50_ms": round(percentile(t_ann, 50), 3)}


def query_bench(asst: Any, questions: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    """Latency of retrieve / ask and of their parts (learned selection among them), plus
    recall@5 of the planted questions."""
    import assistant.answer.answerer as answerer

    t: dict[str, list[float]] = {k: [] for k in ("floor", "embed", "chroma", "bm25", "fusion", "retrieve", "ask",
                                                 "selection")}
    hits = 0
    # Learned selection's share of ``ask``: its entry point timed in place for this bench.
    select = answerer.select

    def timed_select(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return select(*args, **kwargs)
        finally:
            t["selection"].append((time.perf_counter() - t0) * 1000)

    answerer.select = timed_select  # type: ignore[assignment]
    try:
        hits = _query_rounds(asst, questions, repeats, t)
    finally:
        answerer.select = select  # type: ignore[assignment]
    out: dict[str, Any] = {"recall_at_5": round(hits / len(questions), 4) if questions else None,
                           "n_questions": len(questions), "query_repeats": repeats}
    names = {"floor": "query_floor", "retrieve": "query", "ask": "ask", "embed": "query_embed",
             "chroma": "chroma_query", "bm25": "bm25", "fusion": "fusion", "selection": "selection"}
    for k, name in names.items():
        out[f"{name}_p50_ms"] = round(percentile(t[k], 50), 3)
        out[f"{name}_p95_ms"] = round(percentile(t[k], 95), 3)
    return out


def _query_rounds(asst: Any, questions: list[dict[str, Any]], repeats: int, t: dict[str, list[float]]) -> int:
    from assistant.retrieval.fusion import convex

    emb = asst.embedder
    store, local, retr = asst.store, asst.local, asst.retriever
    hits = 0
    for rep in range(repeats):
        for q in questions:
            text = q["question"]
            # Floor: one query embedding + one raw Chroma top-10 query.
            clear_query_cache(emb)
            d_emb, vec = timed(lambda text=text: emb.embed_query(text))
            d_chr, raw = timed(lambda vec=vec: store.chunks.query(
                query_embeddings=[np.asarray(vec, np.float32).tolist()], n_results=10,
                include=["metadatas", "distances"]))
            t["embed"].append(d_emb * 1000)
            t["chroma"].append(d_chr * 1000)
            t["floor"].append((d_emb + d_chr) * 1000)
            dense = {cid: 1.0 - float(d) for cid, d in zip(raw["ids"][0], raw["distances"][0], strict=False)}
            toks = retr.query_tokens(text)
            d_bm, lex = timed(lambda toks=toks: local.keyword_search(toks, retr.candidates))
            t["bm25"].append(d_bm * 1000)
            lexical = dict(lex)
            d_fu, _ = timed(lambda dense=dense, lexical=lexical: convex(dense, lexical, retr.alpha))
            t["fusion"].append(d_fu * 1000)
            clear_query_cache(emb)
            d_ret, passages = timed(lambda text=text: retr.retrieve(text, k=5))
            t["retrieve"].append(d_ret * 1000)
            if rep == 0:
                hits += any(p.doc_id == q["doc_id"] and q["key"] in p.text for p in passages)
            clear_query_cache(emb)
            d_ask, _ = timed(lambda text=text: asst.ask(text))
            t["ask"].append(d_ask * 1000)
    return hits


