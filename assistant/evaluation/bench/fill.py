"""The synthetic fill: copies of a base index written into Chroma, the annotation store
and the keyword index as ingest writes them (``scale`` runs it; see its docstring)."""

from __future__ import annotations

import json
import math
import queue
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from assistant.evaluation.bench.measure import peak_rss_mb, reset_peak_rss, timed, vm_rss_mb
from assistant.evaluation.bench.synthetic import Base, Noise, Renamer, Template

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
    bulk = bulk_threshold(store) == base.n_chunks * BULK_COPIES
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
    local.publish(store.bump_generation())
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


def bulk_threshold(store: Any) -> int | None:
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
    before = bulk_threshold(asst.store) or 1000
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
    drop_documents(asst, [d.doc_id for d in base.docs if d.doc_id not in keep])


#: Documents deleted per Chroma call when a bench trims an index (keeps each ``$in`` filter small).
DROP_BATCH = 200


def drop_documents(asst: Any, doc_ids: list[str]) -> None:
    """Delete ``doc_ids`` from the index as ingest deletes (the store's chunks and records,
    then the local caches), and publish the result as one new generation."""
    for i in range(0, len(doc_ids), DROP_BATCH):
        part = doc_ids[i: i + DROP_BATCH]
        asst.store.chunks.delete(where={"doc_id": {"$in": part}})
        asst.store.docs.delete(ids=part)
        for did in part:
            asst.local.delete_doc(did)
    asst.local.commit()
    asst.local.publish(asst.store.bump_generation())
