"""``assistant bench``: speed and quality at several corpus sizes, each against its floor.

A synthetic corpus of the requested size (in chunks) is built by recombining
real sentences from ``seeds/`` (and any ``--corpus``), with *planted* facts whose
questions have one known answer passage, so retrieval quality (recall@5) is
measured at every size and speed is never bought with silent quality loss.

Every figure is reported with the floor the hardware allows, measured in the
same run (the machine may be shared, so absolute timings are noisy; the ratios
are what to compare):

- ingest chunks/s end to end vs the work floor: cores / (embedding core-seconds per chunk +
  annotation core-seconds per chunk), each stage measured alone (and vs the embedder alone);
- ``retrieve`` and ``ask`` latency vs one query embedding + one raw Chroma query;
- HNSW recall@10 vs exact (numpy) search over the same vectors;
- cold start (process start to first answer) vs importing the heavy libraries.

``--synthetic-vectors`` measures the query path at sizes no one would ingest for a
benchmark (100k, 1M chunks): see ``scale``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.bench.coldstart import cold_start, help_time
from assistant.evaluation.bench.corpus import build_corpus, sentence_pool
from assistant.evaluation.bench.incremental import ADD_DOCS
from assistant.evaluation.bench.ingest import (
    BusyEmbedder,
    compare_precisions,
    embed_rates,
    prepare_rate,
    spacy_component_shares,
    work_floor,
)
from assistant.evaluation.bench.measure import du, ratio, rss_mb
from assistant.evaluation.bench.query import hnsw_recall, query_bench
from assistant.evaluation.bench.report import format_table

QUICK_SIZES = (300,)
DEFAULT_SIZES = "1000,10000,100000"
#: Chunks of the real base index that ``--synthetic-vectors`` copies (about 2 minutes of
#: ingest; more real chunks make the copies less alike).
BASE_CHUNKS = 2000


# -- one size --------------------------------------------------------------------------------------
def bench_size(n_chunks: int, pool: list[str], embedder: Any, work: Path, *, quick: bool,
               log: Callable[[str], None]) -> dict[str, Any]:
    from assistant.api import Assistant
    from assistant.config import Settings
    from assistant.index.embedding import default_threads
    from assistant.ingest.pipeline import embed_inputs  # noqa: F401  (documents what the floor embeds)

    settings = Settings(index_dir=work / f"index-{n_chunks}")
    n_q = 30 if quick else min(100, max(30, n_chunks // 100))
    log(f"[{n_chunks}] building corpus")
    corpus, questions = build_corpus(pool, n_chunks, n_q, work / f"corpus-{n_chunks}.jsonl",
                                     chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap_tokens)
    out: dict[str, Any] = {"target_chunks": n_chunks}

    log(f"[{n_chunks}] annotation alone (clean, chunk, spaCy, extract; one process)")
    nlp_texts: list[str] = []
    out.update(prepare_rate(corpus, 10 if quick else 80, settings.chunk_tokens, settings.chunk_overlap_tokens,
                            texts_out=nlp_texts))
    out["spacy_component_share"] = spacy_component_shares(nlp_texts[:10] if quick else nlp_texts[:40])

    log(f"[{n_chunks}] ingest")
    busy = BusyEmbedder(embedder)
    asst = Assistant.open(settings=settings, embedder=busy, create=True)
    report = asst.ingest([corpus])
    out["ingest_embedder_busy_share"] = round(busy.busy_s / report.seconds, 3) if report.seconds else None
    out["chunks"] = report.total_chunks
    out["docs"] = report.total_docs
    out["ingest_s"] = round(report.seconds, 2)
    out["ingest_chunks_per_s"] = round(report.total_chunks / report.seconds, 2)

    log(f"[{n_chunks}] embedder alone")
    rows = asst.store.chunks.get(include=["documents", "metadatas"], limit=300 if quick else 1024)
    texts = [f"{m.get('title')}\n{d}" if m.get("title") else d
             for d, m in zip(rows["documents"], rows["metadatas"], strict=False)]
    cores = default_threads()
    rates = embed_rates(embedder, texts, sorted({1, cores}))
    out["embed_only_chunks_per_s"] = rates.get(cores)
    out["embed_only_1thread_chunks_per_s"] = rates.get(1)
    out["ingest_floor_chunks_per_s"] = rates.get(cores)
    out["ingest_ratio"] = ratio(out["ingest_chunks_per_s"], out["ingest_floor_chunks_per_s"])
    out["cores"] = cores
    out.update(work_floor(cores, rates, out["annotate_only_chunks_per_s"]))
    out["ingest_work_ratio"] = ratio(out["ingest_chunks_per_s"], out["ingest_work_floor_chunks_per_s"])
    out["ingest_work_ratio_strict"] = ratio(out["ingest_chunks_per_s"], out["ingest_work_floor_strict_chunks_per_s"])

    log(f"[{n_chunks}] re-ingest (unchanged)")
    re_report = asst.ingest([corpus])
    out["reingest_s"] = round(re_report.seconds, 3)
    out["reingest_share"] = ratio(re_report.seconds, report.seconds)

    log(f"[{n_chunks}] queries")
    asst.retriever.retrieve(questions[0]["question"], k=5)  # warm: BM25, caches, first-call costs
    asst.ask(questions[0]["question"])
    out.update(query_bench(asst, questions, 1 if quick else 3))
    out["query_ratio"] = ratio(out["query_p50_ms"], out["query_floor_p50_ms"])

    log(f"[{n_chunks}] HNSW recall vs exact search")
    qvecs = np.stack([embedder.embed_query(q["question"]) for q in questions])
    sample = random.Random(1).sample(pool, min(len(pool), 70 if quick else 200))
    qvecs = np.concatenate([qvecs, embedder.embed_documents(sample)])
    out.update(hnsw_recall(asst.store, qvecs))
    asst.close()

    log(f"[{n_chunks}] cold start")
    # A new process as a user starts it: the settings asked for, not what they resolved to.
    precision, backend = getattr(embedder, "requested", ("auto", "auto"))
    out.update(cold_start(settings.index_dir, questions[0]["question"], precision, 1 if quick else 3, backend))
    out["cold_start_ratio"] = ratio(out["cold_start_s"], out["import_floor_s"])
    out["peak_rss_mb"] = rss_mb()
    out["disk_mb_per_1k_chunks"] = round(du(settings.index_dir) / 1e6 / max(out["chunks"], 1) * 1000, 2)
    return out




def main_bench(args: argparse.Namespace) -> int:
    """Entry point of ``assistant bench`` (see the module docstring)."""
    from assistant.config import default_seeds_dir
    from assistant.index.embedding import MiniLMEmbedder, cpu_flags

    t_start = time.perf_counter()
    quick = bool(getattr(args, "quick", False))
    spec = getattr(args, "sizes", None) or (",".join(map(str, QUICK_SIZES)) if quick else DEFAULT_SIZES)
    sizes = [int(s) for s in str(spec).split(",") if s.strip()]

    def log(msg: str) -> None:
        print(f"bench {time.perf_counter() - t_start:6.1f}s {msg}", file=sys.stderr, flush=True)

    sources = [str(default_seeds_dir()), *(getattr(args, "corpus", None) or [])]
    pool = sentence_pool(sources)
    if len(pool) < 20:
        from assistant.errors import ConfigError

        raise ConfigError(f"only {len(pool)} usable sentences in {sources}", fix="pass --corpus with more articles")
    precision = getattr(args, "precision", None) or os.environ.get("ASSISTANT_EMBED_PRECISION", "auto")
    log("loading the embedder")
    embedder = MiniLMEmbedder(precision=precision)
    embedder.batch_engine()  # load (and check) both engines before anything is timed
    results: dict[str, Any] = {
        "version": 1, "quick": quick, "precision": embedder.precision, "backend": embedder.backend,
        "query_backend": embedder.query_backend,
        "backend_note": embedder.backend_note, "threads": embedder.threads,
        "cpu_count": os.cpu_count(), "load_avg_start": list(os.getloadavg()), "sentence_pool": len(pool),
        "cpu_flags": sorted(cpu_flags() & {"avx2", "avx512f", "avx512_bf16", "amx_bf16"}),
        "help_s": help_time(1 if quick else 3), "sizes": {},
    }
    work = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    try:
        if getattr(args, "compare_precision", False):
            log("comparing embedding precisions")
            results["precisions"] = compare_precisions(pool, 16 if quick else 128, rounds=1 if quick else 2)
        if getattr(args, "synthetic_vectors", False):
            from assistant.evaluation.bench.scale import bench_scale

            base_index = getattr(args, "base_index", None)
            add_corpus = getattr(args, "add_corpus", None)
            out = getattr(args, "json_out", None)

            def done(size: str, figures: dict[str, Any]) -> None:  # partial results survive a stop
                results["sizes"][size] = figures
                if out:
                    Path(out).parent.mkdir(parents=True, exist_ok=True)
                    Path(out).write_text(json.dumps(results, indent=2))

            results["sizes"].update(bench_scale(
                sizes, pool, embedder, work, base_chunks=int(getattr(args, "base_chunks", None) or BASE_CHUNKS),
                base_index=Path(base_index) if base_index else None, quick=quick, log=log,
                add_corpus=Path(add_corpus) if add_corpus else None,
                add_docs=int(getattr(args, "add_docs", None) or (0 if quick else ADD_DOCS)), done=done))
        else:
            for n in sizes:
                results["sizes"][str(n)] = bench_size(n, pool, embedder, work, quick=quick, log=log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load_avg_end"] = list(os.getloadavg())
    results["total_s"] = round(time.perf_counter() - t_start, 1)
    print(format_table(results))
    for p, r in results.get("precisions", {}).items():
        print(f"embedding {p:10} {r['chunks_per_s']:8.1f} chunks/s (x{r['speedup']} torch fp32)  query {r['query_ms']:.1f} ms"
              f"  cosine to fp32 min {r['cos_min']:.5f}")
    print(f"\nembedding {results['backend']} {results['precision']}, threads {results['threads']}, "
          f"`assistant --help` {results['help_s']} s, total {results['total_s']} s "
          f"(load average {results['load_avg_start'][0]:.1f} -> {results['load_avg_end'][0]:.1f}; "
          "timings are noisy on a shared machine, compare the ratios)")
    out = getattr(args, "json_out", None)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(results, indent=2))
    return 0
