"""``bench --synthetic-vectors``: the query path at 100k-1M chunks without a day of ingest.

A real base index is ingested (the recombined corpus with planted questions) or copied
(``--base-index``, never written to). Chroma, the annotation cache and BM25 are then
filled directly with perturbed copies of its documents, the way ingest would write them:

- **text**: every proper noun (a word the base writes capitalised and never in lower
  case) is replaced by a made-up word of the same length, a different one in every
  copy. Offsets, sentences and annotations stay valid, common words keep their
  statistics, and the vocabulary grows with the copies as an archive's names do.
- **annotations**: the same replacement, applied to every string they hold.
- **vectors**: the original chunk's vector plus noise, normalised. The embedder is run
  on the renamed text of a sample of chunks first: the noise is a Gaussian combination
  of those real shifts (renamed vector - original vector), scaled so a copy lies as
  far (mean cosine) from its original as a renamed chunk does (``synthetic_copy_cosine``).
  Isotropic noise of that size would scatter copies off the region of the space that
  real text occupies.

Copies are written copy by copy (every document of copy 1, then of copy 2, ...),
chunks before their document record as ingest does, then BM25 and the alias table
are rebuilt once, as at the end of an ingest.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.bench.measure import du, peak_rss_mb, reset_peak_rss, rss_mb, timed, vm_rss_mb

_WORD = re.compile(r"[^\W\d_]+")
_CONSONANTS = "bcdfghklmnprstvz"
_VOWELS = "aeiou"
#: Chunks of the base whose renamed text is embedded to measure how far a copy lies
#: from its original (more costs seconds of embedding and moves the mean little).
CALIBRATION_CHUNKS = 96
#: Chroma records per write call: under its maximum batch (about 5,400 with the embedded
#: SQLite), large enough that the call overhead is small.
WRITE_BATCH = 4000


@dataclass
class BaseDoc:
    doc_id: str
    record: dict[str, Any]
    text: str
    annotations: dict[str, Any]
    #: (chunk_id, index, start, end)
    chunks: list[tuple[str, int, int, int]]
    chunk_meta: list[dict[str, Any]]


@dataclass
class Base:
    docs: list[BaseDoc]
    vectors: np.ndarray  # one row per chunk, in docs' chunk order
    proper: frozenset[str] = field(default_factory=frozenset)

    @property
    def n_chunks(self) -> int:
        return len(self.vectors)


def proper_nouns(texts: list[str]) -> frozenset[str]:
    """Words (folded to lower case) written capitalised and never in lower case."""
    upper, lower = set(), set()
    for t in texts:
        for w in _WORD.findall(t):
            if len(w) < 3:
                continue
            if w[0].isupper() and not w.isupper():
                upper.add(w.lower())
            elif w.islower():
                lower.add(w)
    return frozenset(upper - lower)


class Renamer:
    """Replaces the proper nouns of a text by made-up words of the same length (and the
    same case pattern), the same word for the same name within one copy."""

    def __init__(self, proper: frozenset[str], copy: int) -> None:
        self.proper = proper
        self.copy = copy
        self._made: dict[str, str] = {}

    def _word(self, low: str) -> str:
        made = self._made.get(low)
        if made is None:
            rng = random.Random(zlib.crc32(f"{self.copy}\x00{low}".encode()))
            made = "".join(rng.choice(_CONSONANTS if i % 2 == 0 else _VOWELS) for i in range(len(low)))
            self._made[low] = made
        return made

    def _sub(self, m: re.Match[str]) -> str:
        w = m.group(0)
        low = w.lower()
        if low not in self.proper:
            return w
        made = self._word(low)
        if w.isupper():
            return made.upper()
        return made.capitalize() if w[0].isupper() else made

    def __call__(self, s: str) -> str:
        return _WORD.sub(self._sub, s)

    def deep(self, obj: Any) -> Any:
        """``obj`` with every string in it renamed (dict keys are field names: kept)."""
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, list):
            return [self.deep(v) for v in obj]
        if isinstance(obj, dict):
            return {k: self.deep(v) for k, v in obj.items()}
        return obj


def read_base(asst: Any) -> Base:
    """Documents, annotations, chunks and vectors of an open index."""
    records = asst.local.records()
    ids = sorted(records)
    docs: list[BaseDoc] = []
    vecs: list[np.ndarray] = []
    for i in range(0, len(ids), 200):
        part = ids[i: i + 200]
        got = asst.store.chunks.get(where={"doc_id": {"$in": part}}, include=["embeddings", "metadatas"])
        by_doc: dict[str, list[tuple[dict[str, Any], str, np.ndarray]]] = {}
        for cid, meta, vec in zip(got["ids"], got["metadatas"], got["embeddings"], strict=False):
            by_doc.setdefault(meta["doc_id"], []).append((meta, cid, np.asarray(vec, np.float32)))
        for did in part:
            doc = asst.local.doc(did)
            rows = sorted(by_doc.get(did, []), key=lambda r: int(r[0]["index"]))
            if doc is None or not rows:
                continue
            docs.append(BaseDoc(did, dict(records[did]), doc.text, doc.annotations,
                                [(cid, int(m["index"]), int(m["start"]), int(m["end"])) for m, cid, _ in rows],
                                [m for m, _, _ in rows]))
            vecs.extend(v for _, _, v in rows)
    m = np.stack(vecs).astype(np.float32)
    m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return Base(docs, m, proper_nouns([d.text for d in docs]))


@dataclass
class Noise:
    """Perturbations shaped like real renaming shifts: Gaussian combinations of the
    measured shifts ``renamed vector - original vector``, scaled so a perturbed copy
    lies, on average, at the measured cosine from its original."""

    shifts: np.ndarray  # (m, dim): measured shifts
    scale: float
    cosine: float

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        g = rng.standard_normal((n, len(self.shifts)), dtype=np.float32)
        return (g @ self.shifts) * np.float32(self.scale / math.sqrt(len(self.shifts)))

    def apply(self, vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = vectors + self.draw(rng, len(vectors))
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


def calibrate_noise(base: Base, embedder: Any, seed: int = 5) -> Noise:
    """Embed the renamed text of a sample of base chunks: the shifts from their original
    vectors give the noise's directions, their mean cosine its size."""
    rng = random.Random(seed)
    rows: list[tuple[int, str, str]] = []
    pos = 0
    for d in base.docs:
        for _, _, s, e in d.chunks:
            rows.append((pos, d.record.get("title", ""), d.text[s:e]))
            pos += 1
    sample = rng.sample(rows, min(CALIBRATION_CHUNKS, len(rows)))
    ren = Renamer(base.proper, 1)
    got = embedder.embed_documents([f"{ren(t)}\n{ren(x)}" if t else ren(x) for _, t, x in sample])
    orig = base.vectors[[p for p, _, _ in sample]]
    cosine = float(np.mean((got * orig).sum(axis=1)))
    noise = Noise((got - orig).astype(np.float32), 1.0, cosine)
    if cosine > 0.9999:  # nothing to rename: copies are the originals
        noise.scale = 0.0
        return noise
    # Bisection on the scale, with one fixed draw (several per chunk): the mean cosine of
    # perturbed copies falls as the scale grows.
    reps = max(1, 1024 // len(orig))
    unit = Noise(noise.shifts, 1.0, cosine).draw(np.random.default_rng(seed), len(orig) * reps)
    tiled = np.tile(orig, (reps, 1))
    lo, hi = 0.0, 8.0
    for _ in range(30):
        mid = (lo + hi) / 2
        moved = tiled + mid * unit
        got_cos = float(np.mean((moved * tiled).sum(axis=1) / np.linalg.norm(moved, axis=1)))
        lo, hi = (mid, hi) if got_cos > cosine else (lo, mid)
    noise.scale = (lo + hi) / 2
    return noise


def fill(asst: Any, base: Base, target: int, noise: Noise, log: Callable[[str], None],
         seed: int = 11) -> tuple[dict[str, Any], list[str], np.ndarray]:
    """Write copies of ``base`` into the open index until it holds about ``target``
    chunks; returns (figures, every chunk id, their vectors) for exact search."""
    from assistant.index.store import DocRecord

    store, local = asst.store, asst.local
    copies = max(1, math.ceil(target / base.n_chunks))
    ids = [cid for d in base.docs for cid, *_ in d.chunks]
    all_vecs = np.empty((base.n_chunks * copies, base.vectors.shape[1]), np.float32)
    all_vecs[: base.n_chunks] = base.vectors
    t_chroma = t_local = 0.0
    rng = np.random.default_rng(seed)
    for c in range(1, copies):
        ren = Renamer(base.proper, c)
        noisy = noise.apply(base.vectors, rng)
        all_vecs[c * base.n_chunks: (c + 1) * base.n_chunks] = noisy
        chunk_rows: list[tuple[str, list[float], str, dict[str, Any]]] = []
        doc_rows: list[tuple[str, str, dict[str, Any]]] = []
        local_rows: list[tuple[DocRecord, str, dict[str, Any], list[tuple[str, int, int, int]]]] = []
        pos = 0
        for d in base.docs:
            did = f"{d.doc_id}~{c}"
            text = ren(d.text)
            ann = ren.deep(d.annotations)
            title = ren(str(d.record.get("title", "")))
            chash = f"{zlib.crc32(text.encode()):08x}{c:06d}"
            rows = []
            for (cid, idx, s, e), meta in zip(d.chunks, d.chunk_meta, strict=True):
                new_id = f"{cid}~{c}"
                rows.append((new_id, idx, s, e))
                chunk_rows.append((new_id, noisy[pos], text[s:e], {**meta, "doc_id": did, "title": title,
                                                                    "doc_hash": chash}))
                ids.append(new_id)
                pos += 1
            rec = {**d.record, "doc_id": did, "title": title, "content_hash": chash, "raw_hash": chash,
                   "source": f"synthetic:{did}"}
            rec.pop("meta_origin", None)
            meta = {k: v for k, v in rec.items() if k != "doc_id" and v is not None}
            doc_rows.append((did, json.dumps({"text": text, "annotations": ann}, ensure_ascii=False), meta))
            local_rows.append((DocRecord.from_meta(did, rec), text, ann, rows))
        t0 = time.perf_counter()
        for i in range(0, len(chunk_rows), WRITE_BATCH):
            part = chunk_rows[i: i + WRITE_BATCH]
            store.chunks.upsert(ids=[r[0] for r in part], embeddings=np.stack([r[1] for r in part]),
                                documents=[r[2] for r in part], metadatas=[r[3] for r in part])
        for i in range(0, len(doc_rows), WRITE_BATCH):
            part = doc_rows[i: i + WRITE_BATCH]
            store.docs.upsert(ids=[r[0] for r in part], embeddings=[[1.0]] * len(part),
                              documents=[r[1] for r in part], metadatas=[r[2] for r in part])
        t1 = time.perf_counter()
        for rec, text, ann, rows in local_rows:
            local.put_doc(rec, text, ann, rows)
        t_local += time.perf_counter() - t1
        t_chroma += t1 - t0
        if c % max(1, copies // 10) == 0 or c == copies - 1:
            log(f"  copy {c}/{copies - 1}: {len(ids):,} chunks (Chroma {t_chroma:.0f} s, cache {t_local:.0f} s)")
    gen = store.bump_generation()
    rss0 = vm_rss_mb()
    reset_peak_rss()
    dt, _ = timed(local.rebuild)
    peak = peak_rss_mb()
    local.publish(gen)
    n = len(ids)
    figures = {
        "synthetic_copies": copies - 1,
        "chroma_write_s": round(t_chroma, 1),
        "chroma_write_chunks_per_s": round((n - base.n_chunks) / t_chroma, 1) if t_chroma else None,
        "cache_write_s": round(t_local, 1),
        "bm25_build_s": round(dt, 2),
        "bm25_build_peak_mb": round(max(0.0, peak - rss0), 1),
        "bm25_disk_mb": round(du(local.path / "bm25") / 1e6, 1),
    }
    return figures, ids, all_vecs[:n]


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


def bench_scale(sizes: list[int], pool: list[str], embedder: Any, work: Path, *, base_chunks: int,
                base_index: Path | None, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Figures for each size in ``sizes`` filled with synthetic copies (see the module docstring)."""
    from assistant.api import Assistant
    from assistant.config import Settings
    from assistant.evaluation.bench.coldstart import cold_start, open_and_answer
    from assistant.evaluation.bench.corpus import build_corpus
    from assistant.evaluation.bench.measure import ratio
    from assistant.evaluation.bench.query import hnsw_recall, query_bench

    base_dir = work / "index-base"
    questions: list[dict[str, Any]]
    if base_index is not None:
        log(f"[base] copying {base_index}")
        copy_base(base_index, base_dir)
        questions = []
    else:
        log(f"[base] ingesting a {base_chunks}-chunk corpus")
        corpus, questions = build_corpus(pool, base_chunks, 30 if quick else 100, work / "corpus-base.jsonl")
        asst = Assistant.open(settings=Settings(index_dir=base_dir), embedder=embedder, create=True)
        asst.ingest([corpus])
        asst.close()
    asst = Assistant.open(settings=Settings(index_dir=base_dir), embedder=embedder)
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
    base_proc = open_and_answer(base_dir, pair, 1, env)
    results: dict[str, Any] = {}
    for n in sizes:
        index_dir = work / f"index-{n}"
        copy_base(base_dir, index_dir)
        settings = Settings(index_dir=index_dir)
        out: dict[str, Any] = {"target_chunks": n, "synthetic": True, "base_chunks": base.n_chunks,
                               "base_docs": len(base.docs), **calib}
        log(f"[{n}] filling with copies of the base")
        asst = Assistant.open(settings=settings, embedder=embedder)
        t0 = time.perf_counter()
        figures, ids, vecs = fill(asst, base, n, noise, log)
        out.update(figures)
        out["synthetic_fill_s"] = round(time.perf_counter() - t0, 1)
        out["docs"], out["chunks"] = asst.store.counts()
        asst.close()

        log(f"[{n}] queries")
        asst = Assistant.open(settings=settings, embedder=embedder)
        asst.retriever.retrieve(questions[0]["question"], k=5)  # warm: first-call costs
        asst.ask(questions[0]["question"])
        out.update(query_bench(asst, questions, 1 if quick else 3))
        out["query_ratio"] = ratio(out["query_p50_ms"], out["query_floor_p50_ms"])
        log(f"[{n}] HNSW recall vs exact search")
        qvecs = np.stack([embedder.embed_query(q["question"]) for q in questions])
        sample = random.Random(1).sample(pool, min(len(pool), 70 if quick else 200))
        qvecs = np.concatenate([qvecs, embedder.embed_documents(sample)])
        out.update(hnsw_recall(asst.store, qvecs, vectors=(ids, vecs)))
        asst.close()
        del vecs, ids

        log(f"[{n}] a new process opens the index and answers")
        proc = open_and_answer(index_dir, pair, 1 if quick else 3, env)
        out.update(proc)
        if proc and base_proc:
            extra = proc["open_answer_rss_mb"] - base_proc["open_answer_rss_mb"]
            out["rss_mb_per_1k_chunks"] = round(extra / max(out["chunks"] - base.n_chunks, 1) * 1000, 3)
            out["base_open_answer_rss_mb"] = base_proc["open_answer_rss_mb"]
        log(f"[{n}] cold start")
        out.update(cold_start(index_dir, questions[0]["question"], precision, 1 if quick else 3, backend,
                              app=False))
        out["disk_mb_per_1k_chunks"] = round(du(index_dir) / 1e6 / max(out["chunks"], 1) * 1000, 2)
        out["disk_gb"] = round(du(index_dir) / 1e9, 2)
        out["peak_rss_mb"] = rss_mb()
        results[str(n)] = out
        shutil.rmtree(index_dir, ignore_errors=True)
    return results
