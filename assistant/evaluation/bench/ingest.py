"""Ingest figures: end-to-end rate, and the floors of its stages measured alone."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.bench.measure import clear_query_cache, ratio, timed

#: Embedding modes compared by ``--compare-precision``: (name, precision, backend).
COMPARED_MODES = (("torch-fp32", "fp32", "torch"), ("onnx-fp32", "fp32", "onnx"),
                  ("torch-bf16", "bf16", "torch"), ("torch-int8", "int8", "torch"))


class BusyEmbedder:
    """Forwards to an embedder and adds up the seconds spent embedding documents,
    so the benchmark can tell how much of an ingest the embedder was busy (the
    rest it waited for the producer: parsing, spaCy, or for the store)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.busy_s = 0.0
        self.n_texts = 0

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        dt, out = timed(lambda: self.inner.embed_documents(texts))
        self.busy_s += dt
        self.n_texts += len(texts)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def set_batch_threads(self, threads: int | None) -> None:
        """Forwarded: the ingest sets the embedder's threads before each batch."""
        set_threads = getattr(self.inner, "set_batch_threads", None)
        if set_threads is not None:
            set_threads(threads)

    def clear_cache(self) -> None:
        clear_query_cache(self.inner)




def embed_rates(embedder: Any, texts: list[str], threads: Sequence[int]) -> dict[int, float]:
    """Chunks/s of the embedder alone at each thread count (the most threads on all of
    ``texts``, fewer threads on a share of them: the rate, not the total, is compared).
    An embedder without ``set_batch_threads`` is measured at its own count only."""
    set_threads = getattr(embedder, "set_batch_threads", None)
    top = max(threads)
    out: dict[int, float] = {}
    try:
        for n in sorted(threads, reverse=True):
            if set_threads is None and n != top:
                continue
            if set_threads is not None:
                set_threads(n)
            sample = texts if n == top else texts[: max(16, len(texts) * n // top)]
            embedder.embed_documents(sample[:4])  # the first call of a thread count makes its session
            out[n] = round(embed_floor(embedder, sample), 2)
    finally:
        if set_threads is not None:
            set_threads(None)
    return out


def work_floor(cores: int, embed: dict[int, float], annotate_chunks_per_s: float) -> dict[str, Any]:
    """The most an ingest can do when both CPU-bound stages share ``cores``:
    cores / (embedding core-seconds per chunk + annotation core-seconds per chunk).

    As the issue defines it, embedding core-seconds are those of the embedder on all
    ``cores`` (cores / its rate) and annotation's those of one process on one core. The
    strict floor takes the embedder's most efficient thread count measured instead
    (one thread is often more efficient per core than two)."""
    def floor(embed_core_s: float) -> float | None:
        total = embed_core_s + annotate_core_s
        return round(cores / total, 2) if total else None

    annotate_core_s = 1.0 / annotate_chunks_per_s if annotate_chunks_per_s else 0.0
    rate = embed.get(cores) or 0.0
    embed_core_s = cores / rate if rate else 0.0
    best_core_s = min((n / r for n, r in embed.items() if r), default=0.0)
    return {
        "embed_core_s_per_chunk": round(embed_core_s, 5),
        "embed_core_s_per_chunk_best": round(best_core_s, 5),
        "annotate_core_s_per_chunk": round(annotate_core_s, 5),
        "ingest_work_floor_chunks_per_s": floor(embed_core_s),
        "ingest_work_floor_strict_chunks_per_s": floor(best_core_s),
    }


def spacy_component_shares(texts: Sequence[str], batch_size: int = 256) -> dict[str, float]:
    """Share of spaCy's time each step takes (tokenizer, then every pipe), on ``texts``
    cut as ingest cuts them; what each extractor reads is listed in ``nlp.model``."""
    from assistant.nlp.model import load_nlp, segments

    nlp = load_nlp()
    segs = [s for t in texts for s in segments(t)]
    spent: dict[str, float] = {}
    t0 = time.perf_counter()
    docs = [nlp.make_doc(s) for s in segs]
    spent["tokenizer"] = time.perf_counter() - t0
    for name, proc in nlp.pipeline:
        t0 = time.perf_counter()
        docs = list(proc.pipe(docs, batch_size=batch_size)) if hasattr(proc, "pipe") else [proc(d) for d in docs]
        spent[name] = time.perf_counter() - t0
    total = sum(spent.values()) or 1.0
    return {k: round(v / total, 3) for k, v in spent.items()}


def embed_floor(embedder: Any, texts: list[str], parts: int = 3) -> float:
    """Median chunks/s of the embedder alone over ``parts`` slices of ``texts``."""
    rates = []
    step = max(1, len(texts) // parts)
    for i in range(0, len(texts), step):
        part = texts[i: i + step]
        if len(part) < step // 2:
            break
        dt, _ = timed(lambda p=part: embedder.embed_documents(p))
        rates.append(len(part) / dt)
    return statistics.median(rates) if rates else 0.0


def prepare_rate(jsonl: Path, max_docs: int, chunk_tokens: int, overlap: int,
                 texts_out: list[str] | None = None) -> dict[str, float]:
    """Chunks/s of the ingest producer's stages alone, in one thread, as ingest runs them
    (``ingest.stages``: clean and chunk; spaCy over ``TASK_DOCS`` documents at a time, as a
    worker gets them; the extractors): the annotation-only rate. The texts spaCy read
    are appended to ``texts_out``."""
    from assistant.ingest.chunking import get_tokenizer
    from assistant.ingest.loaders import LoadFailure
    from assistant.ingest.pipeline import TASK_DOCS
    from assistant.ingest.stages import NLP_BATCH, chunk, clean, load
    from assistant.nlp.annotate import annotate, nlp_slice
    from assistant.nlp.model import load_nlp, parse_many

    load_nlp()
    tok = get_tokenizer()
    t_prep = t_parse = t_ann = 0.0
    n_chunks = n_tokens = 0
    raws = []
    for raw in load([jsonl]):
        if len(raws) >= max_docs:
            break
        if not isinstance(raw, LoadFailure):
            raws.append(raw)
    for i in range(0, len(raws), TASK_DOCS):
        t0 = time.perf_counter()
        cut = [chunk(clean(r), chunk_tokens, overlap, tok) for r in raws[i: i + TASK_DOCS]]
        t1 = time.perf_counter()
        nlp_texts = [nlp_slice(c.doc.text) for c in cut]
        sdocs = parse_many(nlp_texts, batch_size=NLP_BATCH)
        t2 = time.perf_counter()
        for c, sdoc in zip(cut, sdocs, strict=True):
            annotate(c.doc.doc_id, c.doc.text, c.doc.date, sdoc, c.sentences)
        t3 = time.perf_counter()
        t_prep, t_parse, t_ann = t_prep + t1 - t0, t_parse + t2 - t1, t_ann + t3 - t2
        n_chunks += sum(len(c.chunks) for c in cut)
        n_tokens += sum(len(d) for d in sdocs)
        if texts_out is not None:
            texts_out.extend(nlp_texts)
    total = t_prep + t_parse + t_ann
    return {
        "annotate_only_chunks_per_s": round(n_chunks / total, 2) if total else 0.0,
        "prepare_chunks_per_s": round(n_chunks / total, 1) if total else 0.0,
        "spacy_tokens_per_s": round(n_tokens / t_parse, 0) if t_parse else 0.0,
        "prepare_share_spacy": round(t_parse / total, 3) if total else 0.0,
        "prepare_share_extract": round(t_ann / total, 3) if total else 0.0,
        "prepare_share_clean_chunk": round(t_prep / total, 3) if total else 0.0,
    }


def compare_precisions(pool: Sequence[str], n_texts: int, rounds: int = 2) -> dict[str, Any]:
    """chunks/s, single-query ms and cosine to fp32 of each embedding mode, on the same texts.

    Rounds are interleaved (fp32, bf16, int8, fp32, ...) so a load change on a shared
    machine hits every mode alike; the best round of each mode is kept.
    """
    from assistant.errors import ConfigError
    from assistant.index.embedding import load_engine

    rng = random.Random(3)
    # Chunk-sized inputs: about 8 pool sentences (~200 tokens) each.
    texts = [" ".join(rng.sample(list(pool), min(8, len(pool)))) for _ in range(n_texts)]
    queries = [" ".join(rng.choice(pool).split()[:12]) for _ in range(24)]
    engines = {}
    for name, precision, backend in COMPARED_MODES:
        try:
            engines[name] = load_engine(backend, precision)
        except ConfigError:  # ONNX Runtime missing or refused: nothing to compare
            continue
    ref = engines["torch-fp32"].encode(texts[:32], 32)
    out: dict[str, Any] = {p: {"chunks_per_s": 0.0, "query_ms": float("inf")} for p in engines}
    for _ in range(rounds):
        for p, m in engines.items():
            dt, _ = timed(lambda m=m: m.encode(texts, 32))
            out[p]["chunks_per_s"] = round(max(out[p]["chunks_per_s"], len(texts) / dt), 2)
            dq, _ = timed(lambda m=m: [m.encode([q], 1) for q in queries])
            out[p]["query_ms"] = round(min(out[p]["query_ms"], dq / len(queries) * 1000), 2)
    for p, m in engines.items():
        cos = (m.encode(texts[:32], 32) * ref).sum(axis=1)
        out[p].update(cos_min=round(float(cos.min()), 6), cos_mean=round(float(cos.mean()), 6),
                      speedup=ratio(out[p]["chunks_per_s"], out["torch-fp32"]["chunks_per_s"]))
    return out


