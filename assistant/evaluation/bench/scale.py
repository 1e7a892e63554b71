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
chunks before their document record as ingest does, and each copy is committed to the
keyword index, aliases and summary incrementally as an ingest of it would be. A full
rebuild of those is then timed on its own (what every ingest cost before).
"""

from __future__ import annotations

import json
import math
import queue
import random
import re
import shutil
import threading
import time
import zlib
from collections.abc import Callable, Iterator
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
#: Chroma's embedded HNSW rewrites its whole index file (about 1.8 KB a chunk, and a pickle
#: of its id maps) every ``sync_threshold`` inserts (Chroma's default 1,000, which the
#: index keeps): at 100k chunks a 190 MB write per write call, so writes slow down in
#: proportion to the index (measured in a first 1M fill: 98 chunks/s up to 54k, 57 from
#: 54k to 103k). Past BULK_COPIES copies the fill raises the threshold to BULK_COPIES
#: copies' worth and writes each copy in one call, so the file is written every BULK_COPIES
#: copies and after the last one; the threshold is set back before anything is measured.
BULK_COPIES = 10


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
        return self.cased(w) if w.lower() in self.proper else w

    def cased(self, w: str) -> str:
        """The made-up word for the proper noun ``w``, in ``w``'s case pattern."""
        made = self._word(w.lower())
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


#: In JSON text: an escape (kept whole, so ``\\nPoland`` is a newline and a word) or a word.
_JSON_WORD = re.compile(r"\\.|[^\W\d_]+")


class Template:
    """A string cut at its proper nouns, so renaming it for a copy is one join (the same
    result as ``Renamer.__call__``; ``json`` for a JSON text, whose escapes are skipped)."""

    def __init__(self, s: str, proper: frozenset[str], *, json_text: bool = False) -> None:
        self.pieces: list[str] = []
        self.slots: list[tuple[int, str]] = []
        pos = 0
        for m in (_JSON_WORD if json_text else _WORD).finditer(s):
            w = m.group(0)
            key = json_text and s.startswith('":', m.end())  # a field name: kept, as ``Renamer.deep`` keeps it
            if w[0] != "\\" and not key and w.lower() in proper:
                self.pieces.append(s[pos:m.start()])
                self.slots.append((len(self.pieces), w))
                self.pieces.append(w)
                pos = m.end()
        self.pieces.append(s[pos:])

    def render(self, ren: Renamer) -> str:
        out = list(self.pieces)
        for i, w in self.slots:
            out[i] = ren.cased(w)
        return "".join(out)


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


def _copies(base: Base, copies: int, noise: Noise, seed: int) -> Iterator[tuple[int, Any]]:
    """Each copy's rows, prepared in a thread one copy ahead of the writes (renaming and
    JSON are Python work; Chroma's writes run in native code, so the two overlap)."""
    from assistant.index.store import DocRecord

    rng = np.random.default_rng(seed)
    # Each base document cut once at its proper nouns (text, title, annotations as JSON).
    templates = [(Template(d.text, base.proper), Template(str(d.record.get("title", "")), base.proper),
                  Template(json.dumps(d.annotations, ensure_ascii=False), base.proper, json_text=True))
                 for d in base.docs]

    def make(c: int) -> tuple[np.ndarray, list[Any], list[Any], list[Any], list[str]]:
        ren = Renamer(base.proper, c)
        noisy = noise.apply(base.vectors, rng)
        chunk_rows: list[tuple[str, np.ndarray, str, dict[str, Any]]] = []
        doc_rows: list[tuple[str, str, dict[str, Any]]] = []
        local_rows: list[tuple[Any, str, dict[str, Any], list[tuple[str, int, int, int]]]] = []
        ids: list[str] = []
        pos = 0
        for d, (t_text, t_title, t_ann) in zip(base.docs, templates, strict=True):
            did = f"{d.doc_id}~{c}"
            text = t_text.render(ren)
            ann_json = t_ann.render(ren)
            ann = json.loads(ann_json)
            title = t_title.render(ren)
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
            doc_rows.append((did, f'{{"text": {json.dumps(text, ensure_ascii=False)}, "annotations": {ann_json}}}',
                             meta))
            local_rows.append((DocRecord.from_meta(did, rec), text, ann, rows))
        return noisy, chunk_rows, doc_rows, local_rows, ids

    q: queue.Queue = queue.Queue(maxsize=1)

    def produce() -> None:
        try:
            for c in range(1, copies):
                q.put((c, make(c)))
        except BaseException as exc:  # surfaced in the consumer
            q.put((-1, exc))
        q.put(None)

    threading.Thread(target=produce, daemon=True, name="bench-copies").start()
    while (item := q.get()) is not None:
        if item[0] < 0:
            raise item[1]
        yield item


def fill(asst: Any, base: Base, target: int, noise: Noise, log: Callable[[str], None],
         seed: int = 11) -> tuple[dict[str, Any], list[str], np.ndarray]:
    """Write copies of ``base`` into the open index until it holds about ``target``
    chunks, each copy committed as an ingest commits (Chroma, then the annotation store,
    then the keyword index takes the copy's documents); returns (figures, every chunk
    id, their vectors) for exact search."""
    store, local = asst.store, asst.local
    copies = max(1, math.ceil(target / base.n_chunks))
    bulk = _bulk_threshold(store) == base.n_chunks * BULK_COPIES
    if bulk:  # whole groups of BULK_COPIES, so the last copy ends a group (and writes the index)
        copies = 1 + BULK_COPIES * math.ceil((copies - 1) / BULK_COPIES)
    batch = base.n_chunks if bulk else WRITE_BATCH
    ids = [cid for d in base.docs for cid, *_ in d.chunks]
    all_vecs = np.empty((base.n_chunks * copies, base.vectors.shape[1]), np.float32)
    all_vecs[: base.n_chunks] = base.vectors
    t_chroma = t_local = t_keyword = 0.0
    rss0 = vm_rss_mb()
    reset_peak_rss()
    keyword_peak = 0.0
    for c, (noisy, chunk_rows, doc_rows, local_rows, new_ids) in _copies(base, copies, noise, seed):
        all_vecs[c * base.n_chunks: (c + 1) * base.n_chunks] = noisy
        ids.extend(new_ids)
        t0 = time.perf_counter()
        for i in range(0, len(chunk_rows), batch):
            part = chunk_rows[i: i + batch]
            store.chunks.add(ids=[r[0] for r in part], embeddings=np.stack([r[1] for r in part]),
                             documents=[r[2] for r in part], metadatas=[r[3] for r in part])
        for i in range(0, len(doc_rows), WRITE_BATCH):
            part = doc_rows[i: i + WRITE_BATCH]
            store.docs.add(ids=[r[0] for r in part], embeddings=[[1.0]] * len(part),
                           documents=[r[1] for r in part], metadatas=[r[2] for r in part])
        t1 = time.perf_counter()
        local.put_docs(local_rows)
        t2 = time.perf_counter()
        local.commit()
        t3 = time.perf_counter()
        keyword_peak = max(keyword_peak, peak_rss_mb())
        t_chroma += t1 - t0
        t_local += t2 - t1
        t_keyword += t3 - t2
        if c % max(1, copies // 20) == 0 or c == copies - 1:
            log(f"  copy {c}/{copies - 1}: {len(ids):,} chunks (Chroma {t_chroma:.0f} s, cache {t_local:.0f} s, "
                f"keyword {t_keyword:.0f} s)")
    local.set_meta("generation", store.bump_generation())
    n = len(ids)
    view = local.bm25
    figures = {
        "synthetic_copies": copies - 1,
        "chroma_write_s": round(t_chroma, 1),
        "chroma_write_chunks_per_s": round((n - base.n_chunks) / t_chroma, 1) if t_chroma else None,
        "cache_write_s": round(t_local, 1),
        "keyword_incremental_s": round(t_keyword, 1),
        "keyword_incremental_per_1k_chunks_s": round(t_keyword / max(n - base.n_chunks, 1) * 1000, 3),
        "fill_peak_rss_mb": round(max(0.0, keyword_peak - rss0), 1),
        "keyword_segments": view.n_segments if view is not None else None,
    }
    return figures, ids, all_vecs[:n]


def _bulk_threshold(store: Any) -> int | None:
    hnsw = (getattr(store.chunks, "configuration_json", None) or {}).get("hnsw") or {}
    return hnsw.get("sync_threshold")


def bulk_writes(asst: Any, base: Base, target: int, reopen: Callable[[], Any]) -> tuple[Any, int | None]:
    """Raise Chroma's HNSW ``sync_threshold`` for a fill of more than BULK_COPIES copies (see
    BULK_COPIES); returns the index opened again (Chroma reads the setting when it loads
    the collection) and the threshold to restore, or None when nothing was changed."""
    import chromadb

    copies = math.ceil(target / base.n_chunks)
    if copies - 1 < BULK_COPIES or base.n_chunks > asst.store.client.get_max_batch_size():
        return asst, None
    before = _bulk_threshold(asst.store) or 1000
    asst.store.chunks.modify(configuration={"hnsw": {"sync_threshold": base.n_chunks * BULK_COPIES}})
    asst.close()
    chromadb.api.client.SharedSystemClient.clear_system_cache()
    return reopen(), before


def end_bulk_writes(asst: Any, before: int | None) -> None:
    """Set the threshold back; what opens the index next loads it with that setting."""
    import chromadb

    if before is None:
        return
    asst.store.chunks.modify(configuration={"hnsw": {"sync_threshold": before}})
    asst.close()
    chromadb.api.client.SharedSystemClient.clear_system_cache()


def keyword_rebuild(local: Any) -> dict[str, Any]:
    """A full rebuild of the keyword index, aliases and summary (what every ingest cost
    before they were incremental): time and peak memory over the process's RSS."""
    rss0 = vm_rss_mb()
    reset_peak_rss()
    dt, _ = timed(local.rebuild)
    return {"keyword_build_s": round(dt, 2), "keyword_build_peak_mb": round(max(0.0, peak_rss_mb() - rss0), 1),
            "keyword_segments_after_build": local.bm25.n_segments if local.bm25 is not None else None}


def shrink(asst: Any, base: Base, target: int) -> None:
    """Keep only the first documents of the base holding about ``target`` chunks (for
    sizes below the base's), deleted as ingest deletes."""
    keep, n = set(), 0
    for d in base.docs:
        if n >= target:
            break
        keep.add(d.doc_id)
        n += len(d.chunks)
    drop = [d.doc_id for d in base.docs if d.doc_id not in keep]
    for i in range(0, len(drop), 200):
        part = drop[i: i + 200]
        asst.store.chunks.delete(where={"doc_id": {"$in": part}})
        asst.store.docs.delete(ids=part)
        for did in part:
            asst.local.delete_doc(did)
    asst.local.commit()
    asst.local.set_meta("generation", asst.store.bump_generation())


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
                base_index: Path | None, quick: bool, log: Callable[[str], None],
                add_corpus: Path | None = None, add_docs: int = 0,
                done: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Figures for each size in ``sizes`` filled with synthetic copies (see the module
    docstring); with ``add_docs``, the incremental ingest of that many new documents
    (``incremental.py``). ``done`` is told each size's figures as soon as they exist."""
    from assistant.api import Assistant
    from assistant.config import Settings
    from assistant.evaluation.bench.coldstart import cold_start, open_and_answer
    from assistant.evaluation.bench.corpus import build_corpus
    from assistant.evaluation.bench.incremental import bench_incremental, hold_out, new_documents
    from assistant.evaluation.bench.measure import ratio
    from assistant.evaluation.bench.query import all_vectors, hnsw_recall, query_bench

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
    base_proc = open_and_answer(base_dir, pair, 1, env)
    results: dict[str, Any] = {}
    for n in sizes:
        index_dir = work / f"index-{n}"
        copy_base(base_dir, index_dir)
        settings = Settings(index_dir=index_dir)
        out: dict[str, Any] = {"target_chunks": n, "synthetic": True, "base_chunks": base.n_chunks,
                               "base_docs": len(base.docs), **calib}
        asst = Assistant.open(settings=settings, embedder=embedder)
        t0 = time.perf_counter()
        if n < base.n_chunks:
            log(f"[{n}] keeping the first {n} chunks of the base")
            shrink(asst, base, n)
            ids, vecs = all_vectors(asst.store)
        else:
            log(f"[{n}] filling with copies of the base")
            asst, before = bulk_writes(asst, base, n, lambda settings=settings: Assistant.open(
                settings=settings, embedder=embedder))
            figures, ids, vecs = fill(asst, base, n, noise, log)
            out.update(figures)
            out["synthetic_sync_threshold"] = _bulk_threshold(asst.store) if before is not None else None
            end_bulk_writes(asst, before)
            asst = Assistant.open(settings=settings, embedder=embedder)
        out["synthetic_fill_s"] = round(time.perf_counter() - t0, 1)
        out["docs"], out["chunks"] = asst.store.counts()
        asst.close()

        log(f"[{n}] queries")
        asst = Assistant.open(settings=settings, embedder=embedder)
        asst.retriever.retrieve(questions[0]["question"], k=5)  # warm: first-call costs
        asst.ask(questions[0]["question"])
        kept = asst.local.records()  # below the base's size, only the questions of the documents kept
        out.update(query_bench(asst, [q for q in questions if q["doc_id"] in kept] or questions, 1 if quick else 3))
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
            if out["chunks"] > base.n_chunks:  # the marginal cost of the copies
                out["rss_mb_per_1k_chunks"] = round(extra / (out["chunks"] - base.n_chunks) * 1000, 3)
            out["base_open_answer_rss_mb"] = base_proc["open_answer_rss_mb"]
        log(f"[{n}] cold start")
        out.update(cold_start(index_dir, questions[0]["question"], precision, 1 if quick else 3, backend,
                              app=False))
        out["disk_mb_per_1k_chunks"] = round(du(index_dir) / 1e6 / max(out["chunks"], 1) * 1000, 2)
        out["disk_gb"] = round(du(index_dir) / 1e9, 2)
        out["keyword_disk_mb"] = round(sum(du(p) for p in (index_dir / "assistant").glob("keyword-*")) / 1e6, 1)
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
        asst = Assistant.open(settings=settings, embedder=embedder)
        out.update(keyword_rebuild(asst.local))
        asst.close()
        out["peak_rss_mb"] = rss_mb()
        results[str(n)] = out
        if done:
            done(str(n), out)
        shutil.rmtree(index_dir, ignore_errors=True)
    return results
