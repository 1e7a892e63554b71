"""``bench --synthetic-vectors``: the query path at 100k-1M chunks without a day of
ingest: a real base index copied, filled with renamed copies of its documents
(``synthetic.py``, ``fill.py``), then measured as ``bench`` measures an ingested index."""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.bench.fill import (
    bulk_threshold,
    bulk_writes,
    end_bulk_writes,
    fill,
    keyword_rebuild,
    shrink,
)
from assistant.evaluation.bench.measure import du, rss_mb
from assistant.evaluation.bench.synthetic import Base, calibrate_noise, read_base


def copy_base(src: Path, dst: Path) -> None:
    """A private copy of an index (the source is never opened, so never written to)."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


def _questions_from_titles(base: Base, n: int) -> list[dict[str, Any]]:
    """Without planted facts (a base index given): each question is a document's title, and
    its answer is that document (the original, not a copy)."""
    rng = random.Random(4)
    docs = [d for d in base.docs if d.record.get("title")]
    return [{"question": d.record["title"], "doc_id": d.doc_id, "key": ""}
            for d in rng.sample(docs, min(n, len(docs)))]


@dataclass
class _Run:
    """What every size of one run shares: the base index and its questions, the noise
    its copies get, and the base's own open-and-answer figures."""

    embedder: Any
    work: Path
    pool: list[str]
    quick: bool
    log: Callable[[str], None]
    base_dir: Path
    base: Base
    questions: list[dict[str, Any]]
    noise: Any
    calib: dict[str, Any]
    env: dict[str, str]
    pair: tuple[str, str]
    base_proc: dict[str, Any]


def bench_scale(sizes: list[int], pool: list[str], embedder: Any, work: Path, *, base_chunks: int,
                base_index: Path | None, quick: bool, log: Callable[[str], None],
                add_corpus: Path | None = None, add_docs: int = 0,
                done: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Figures for each size in ``sizes`` filled with synthetic copies (see the module
    docstring); with ``add_docs``, the incremental ingest of that many new documents
    (``incremental.py``). ``done`` is told each size's figures as soon as they exist."""
    from assistant.evaluation.bench.incremental import bench_incremental, new_documents

    run = _prepare(pool, embedder, work, base_chunks, base_index, quick, log, add_corpus, add_docs)
    results: dict[str, Any] = {}
    for n in sizes:
        index_dir = work / f"index-{n}"
        out, vectors = _filled(run, n, index_dir)
        _queries(run, n, index_dir, out, vectors)
        del vectors  # a 1M index's are 1.5 GB
        _processes(run, n, index_dir, out)
        if done:
            done(str(n), out)
        if add_docs:
            docs = new_documents(add_corpus, add_docs, work, pool)
            out.update(bench_incremental(index_dir, docs, embedder, work, log))
            log(f"[{n}] +{out['add_docs']} documents: {out['add_into_index_s']} s, "
                f"{out['add_into_empty_s']} s into an empty index (x{out['add_ratio']}); "
                f"a chat process refreshed in {out['chat_refresh_s']} s, found {out['chat_found_new_hybrid']}")
            if done:
                done(str(n), out)
        log(f"[{n}] full keyword rebuild, for comparison")
        # Without the background vector load (``warm``): it would count in the rebuild's memory.
        asst = _open(index_dir, embedder, warm=False)
        out.update(keyword_rebuild(asst.local))
        asst.close()
        out["peak_rss_mb"] = rss_mb()
        results[str(n)] = out
        if done:
            done(str(n), out)
        shutil.rmtree(index_dir, ignore_errors=True)
    return results


def _open(index_dir: Path, embedder: Any, create: bool = False, warm: bool | None = None) -> Any:
    from assistant.api import Assistant
    from assistant.config import Settings

    return Assistant.open(settings=Settings(index_dir=index_dir), embedder=embedder, create=create, warm=warm)


def _prepare(pool: list[str], embedder: Any, work: Path, base_chunks: int, base_index: Path | None, quick: bool,
             log: Callable[[str], None], add_corpus: Path | None, add_docs: int) -> _Run:
    """The base index (a copy of ``base_index``, or ingested from ``pool`` with planted
    questions), its held-out documents, its copies' noise, and its own process figures."""
    from assistant.evaluation.bench.coldstart import open_and_answer
    from assistant.evaluation.bench.corpus import build_corpus
    from assistant.evaluation.bench.incremental import hold_out

    base_dir = work / "index-base"
    questions: list[dict[str, Any]]
    if base_index is not None:
        log(f"[base] copying {base_index}")
        copy_base(base_index, base_dir)
        questions = []
    else:
        log(f"[base] ingesting a {base_chunks}-chunk corpus")
        corpus, questions = build_corpus(pool, base_chunks, 30 if quick else 100, work / "corpus-base.jsonl")
        asst = _open(base_dir, embedder, create=True)
        asst.ingest([corpus])
        asst.close()
    asst = _open(base_dir, embedder)
    held = hold_out(asst, add_corpus, add_docs) if add_docs else []
    if held:
        log(f"[base] {len(held)} documents held out, to be added as new ones")
    base = read_base(asst)
    asst.close()
    questions = questions or _questions_from_titles(base, 30 if quick else 100)
    log(f"[base] {len(base.docs)} documents, {base.n_chunks} chunks, {len(base.proper)} proper nouns")
    noise = calibrate_noise(base, embedder)
    calib = {"synthetic_copy_cosine": round(noise.cosine, 4), "synthetic_noise_scale": round(noise.scale, 4)}
    log(f"[base] a renamed chunk is at cosine {noise.cosine:.3f} to its original")
    precision, backend = getattr(embedder, "requested", ("auto", "auto"))
    env = {"ASSISTANT_EMBED_PRECISION": precision, "ASSISTANT_EMBED_BACKEND": backend}
    pair = (questions[0]["question"], questions[1 % len(questions)]["question"])
    return _Run(embedder, work, pool, quick, log, base_dir, base, questions, noise, calib, env, pair,
                open_and_answer(base_dir, pair, 1, env))


def _filled(run: _Run, n: int, index_dir: Path) -> tuple[dict[str, Any], tuple[list[str], np.ndarray]]:
    """A copy of the base grown (or shrunk) to about ``n`` chunks at ``index_dir``: the
    fill's figures, and the index's (ids, vectors) for exact search."""
    from assistant.evaluation.bench.query import all_vectors

    base, log = run.base, run.log
    copy_base(run.base_dir, index_dir)
    out: dict[str, Any] = {"target_chunks": n, "synthetic": True, "base_chunks": base.n_chunks,
                           "base_docs": len(base.docs), **run.calib}
    asst = _open(index_dir, run.embedder)
    t0 = time.perf_counter()
    if n < base.n_chunks:
        log(f"[{n}] keeping the first {n} chunks of the base")
        shrink(asst, base, n)
        vectors = all_vectors(asst.store)
    else:
        log(f"[{n}] filling with copies of the base")
        asst, before = bulk_writes(asst, base, n, lambda: _open(index_dir, run.embedder))
        figures, ids, vecs = fill(asst, base, n, run.noise, log)
        vectors = (ids, vecs)
        out.update(figures)
        out["synthetic_sync_threshold"] = bulk_threshold(asst.store) if before is not None else None
        end_bulk_writes(asst, before)
        asst = _open(index_dir, run.embedder)
    out["synthetic_fill_s"] = round(time.perf_counter() - t0, 1)
    out["docs"], out["chunks"] = asst.store.counts()
    asst.close()
    return out, vectors


def _queries(run: _Run, n: int, index_dir: Path, out: dict[str, Any],
             vectors: tuple[list[str], np.ndarray]) -> None:
    """Retrieval and answer latency against their floors, and HNSW recall@10 against
    exact search over the vectors the fill wrote."""
    from assistant.evaluation.bench.measure import ratio
    from assistant.evaluation.bench.query import hnsw_recall, query_bench

    questions, embedder, quick = run.questions, run.embedder, run.quick
    run.log(f"[{n}] queries")
    asst = _open(index_dir, embedder)
    asst.retriever.retrieve(questions[0]["question"], k=5)  # warm: first-call costs
    asst.ask(questions[0]["question"])
    kept = asst.local.records()  # below the base's size, only the questions of the documents kept
    out.update(query_bench(asst, [q for q in questions if q["doc_id"] in kept] or questions, 1 if quick else 3))
    out["query_ratio"] = ratio(out["query_p50_ms"], out["query_floor_p50_ms"])
    run.log(f"[{n}] HNSW recall vs exact search")
    qvecs = np.stack([embedder.embed_query(q["question"]) for q in questions])
    sample = random.Random(1).sample(run.pool, min(len(run.pool), 70 if quick else 200))
    qvecs = np.concatenate([qvecs, embedder.embed_documents(sample)])
    out.update(hnsw_recall(asst.store, qvecs, vectors=vectors))
    asst.close()


def _processes(run: _Run, n: int, index_dir: Path, out: dict[str, Any]) -> None:
    """A new process opens the index and answers (time, RSS over the base's), a cold
    start, and the index's size on disk."""
    from assistant.evaluation.bench.coldstart import cold_start, open_and_answer

    run.log(f"[{n}] a new process opens the index and answers")
    proc = open_and_answer(index_dir, run.pair, 1 if run.quick else 3, run.env)
    out.update(proc)
    if proc and run.base_proc:
        extra = proc["open_answer_rss_mb"] - run.base_proc["open_answer_rss_mb"]
        if out["chunks"] > run.base.n_chunks:  # the marginal cost of the copies
            out["rss_mb_per_1k_chunks"] = round(extra / (out["chunks"] - run.base.n_chunks) * 1000, 3)
        out["base_open_answer_rss_mb"] = run.base_proc["open_answer_rss_mb"]
    run.log(f"[{n}] cold start")
    precision, backend = run.env["ASSISTANT_EMBED_PRECISION"], run.env["ASSISTANT_EMBED_BACKEND"]
    out.update(cold_start(index_dir, run.questions[0]["question"], precision, 1 if run.quick else 3, backend,
                          app=False))
    out["disk_mb_per_1k_chunks"] = round(du(index_dir) / 1e6 / max(out["chunks"], 1) * 1000, 2)
    out["disk_gb"] = round(du(index_dir) / 1e9, 2)
    out["keyword_disk_mb"] = round(sum(du(p) for p in (index_dir / "assistant").glob("keyword-*")) / 1e6, 1)
