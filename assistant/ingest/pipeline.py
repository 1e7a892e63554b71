"""Ingest: files -> cleaned documents -> chunks + annotations -> vectors -> Chroma.

Incremental and idempotent. A file whose raw bytes (or cleaned content) and
index settings are unchanged is skipped without cleaning, parsing or
embedding; a changed file replaces its chunks; ``prune`` removes documents
whose files are gone. Chunk ids derive from content, and each document's record
is written after its chunks (see ``store``), so a killed ingest leaves a usable
index that the next run completes without duplicates.

Preparation (reading, cleaning, chunking, spaCy) runs in a background thread
ahead of the embedder, so the embedder, the slowest stage, is kept busy.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import AssistantError, IndexLocked
from assistant.index.cache import LocalIndex
from assistant.index.embedding import Embedder
from assistant.index.store import DocRecord, Store, config_hash, index_config
from assistant.ingest.chunking import chunk_text, get_tokenizer
from assistant.models import Chunk, Document
from assistant.nlp.annotate import annotate, nlp_slice
from assistant.text.sentences import split_sentences


@dataclass
class FileResult:
    source: str
    doc_id: str
    status: str  # added | updated | unchanged | failed | removed
    reason: str = ""
    chunks: int = 0


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    total_docs: int = 0
    total_chunks: int = 0

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def chunks_written(self) -> int:
        return sum(r.chunks for r in self.results if r.status in ("added", "updated"))

    @property
    def failures(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        """False only when something failed and nothing could be ingested."""
        return not self.failures or any(r.status != "failed" for r in self.results)

    def summary(self) -> str:
        return (
            f"documents: {self.count('added')} added, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, {self.count('failed')} failed"
            + (f", {self.count('removed')} removed" if self.count("removed") else "")
            + f"; chunks written: {self.chunks_written} (index: {self.total_docs} documents, "
            f"{self.total_chunks} chunks); {self.seconds:.1f} s"
        )


@dataclass
class _Work:
    doc: Document
    chunks: list[Chunk]
    annotations: dict[str, Any]
    status: str
    note: str = ""


ProgressFn = Callable[[str, FileResult | None], None]


@contextlib.contextmanager
def ingest_lock(settings: Settings, *, wait: bool = True, on_wait: Callable[[str], None] | None = None,
                timeout: float | None = None) -> Iterator[None]:
    """One ingest per index at a time (an advisory ``flock``; freed if the process dies)."""
    path = settings.cache_dir
    path.mkdir(parents=True, exist_ok=True)
    lock_path = path / "ingest.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            msg = f"another ingest (pid {holder}) is writing to {settings.where}"
            if not wait:
                raise IndexLocked(msg, fix="wait for it to finish, then run the command again") from None
            if on_wait:
                on_wait(msg + "; waiting for it to finish...")
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() > deadline:
                        raise IndexLocked(msg, fix="wait for it to finish, then run the command again") from None
                    time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def embed_inputs(doc: Document, chunks: list[Chunk]) -> list[str]:
    """What the embedder sees: the title gives each chunk its topic (it is not stored)."""
    return [f"{doc.title}\n{c.text}" if doc.title else c.text for c in chunks]


class Ingestor:
    """Runs ingests against one store + local cache with one embedder."""

    def __init__(self, store: Store, local: LocalIndex, embedder: Embedder, settings: Settings) -> None:
        self.store = store
        self.local = local
        self.embedder = embedder
        self.settings = settings
        self.config = index_config(settings, embedder.name, embedder.dim)
        self.cfg_hash = config_hash(self.config)
        self._marked = False

    def _mark_changing(self) -> None:
        """Change the generation before the first write of a run, not only after the last:
        a run killed in between must still make every cache re-diff against Chroma, or
        documents it committed stay missing from BM25 and the annotations for good."""
        if not self._marked:
            self.store.bump_generation()
            self._marked = True

    # -- stages -------------------------------------------------------------------------
    def _prepare(self, sources: Iterable[Any], existing: dict[str, DocRecord], seen: set[str],
                 out: queue.Queue, stop: threading.Event) -> None:
        """Producer: read, clean, chunk and annotate; push _Work / FileResult items."""
        from assistant.ingest.cleaning import clean_document
        from assistant.ingest.loaders import LoadFailure
        from assistant.nlp.model import parse

        tok = get_tokenizer()
        # Same cleaned content and metadata under another doc_id: indexed (ids are file names)
        # but reported, since its passages would be cited twice.
        owners: dict[str, str] = {}
        for did in sorted(existing):
            owners.setdefault(existing[did].content_hash, did)
        try:
            for item in sources:
                if stop.is_set():
                    return
                if isinstance(item, LoadFailure):
                    out.put(FileResult(item.source, "", "failed", item.reason))
                    continue
                raw = item
                seen.add(raw.doc_id)
                old = existing.get(raw.doc_id)
                same_cfg = old is not None and old.config_hash == self.cfg_hash
                if same_cfg and old.raw_hash == raw.raw_hash and old.source == raw.source:
                    out.put(FileResult(raw.source, raw.doc_id, "unchanged", chunks=old.n_chunks))
                    continue
                try:
                    doc = clean_document(raw)
                    if not doc.text.strip():
                        out.put(FileResult(raw.source, raw.doc_id, "failed",
                                           "nothing left after removing page furniture (see --show-cleaning)"))
                        continue
                    if same_cfg and old.content_hash == doc.content_hash:
                        self.store.touch_document(doc.doc_id, doc.raw_hash, doc.source)
                        out.put(FileResult(raw.source, raw.doc_id, "unchanged", chunks=old.n_chunks))
                        continue
                    sents = split_sentences(doc.text)
                    chunks = chunk_text(doc.doc_id, doc.text, budget=self.settings.chunk_tokens,
                                        overlap=self.settings.chunk_overlap_tokens, sentences=sents, tokenizer=tok)
                    spacy_doc = parse(nlp_slice(doc.text))
                    ann = annotate(doc.doc_id, doc.text, doc.date, spacy_doc, sents)
                    twin = owners.setdefault(doc.content_hash, doc.doc_id)
                    note = f"same content as {twin}" if twin != doc.doc_id else ""
                    out.put(_Work(doc, chunks, ann, "updated" if old else "added", note))
                except AssistantError as exc:
                    out.put(FileResult(raw.source, raw.doc_id, "failed", str(exc)))
                except Exception as exc:  # one bad document must not stop the batch
                    out.put(FileResult(raw.source, raw.doc_id, "failed", f"{type(exc).__name__}: {exc}"))
        finally:
            out.put(None)

    def _commit(self, batch: list[_Work], report: IngestReport, progress: ProgressFn | None) -> None:
        self._mark_changing()
        texts = [t for w in batch for t in embed_inputs(w.doc, w.chunks)]
        vectors = self.embedder.embed_documents(texts) if texts else np.zeros((0, self.embedder.dim))
        pos = 0
        for w in batch:
            vecs = vectors[pos: pos + len(w.chunks)]
            pos += len(w.chunks)
            self.store.write_document(w.doc, w.chunks, vecs, w.annotations, self.cfg_hash)
            rec = DocRecord.from_meta(w.doc.doc_id, {
                "title": w.doc.title, "publisher": w.doc.publisher, "date": w.doc.date,
                "date_int": w.doc.date_int, "author": w.doc.author, "url": w.doc.url, "source": w.doc.source,
                "content_hash": w.doc.content_hash, "raw_hash": w.doc.raw_hash, "config_hash": self.cfg_hash,
                "n_chunks": len(w.chunks), "ingested_at": time.time(), "fmt": w.doc.fmt,
                "meta_origin": w.doc.meta_origin,
            })
            self.local.put_doc(rec, w.doc.text, w.annotations, [(c.chunk_id, c.index, c.start, c.end) for c in w.chunks])
            res = FileResult(w.doc.source, w.doc.doc_id, w.status, w.note, chunks=len(w.chunks))
            report.results.append(res)
            if progress:
                progress("doc", res)

    # -- entry point ---------------------------------------------------------------------
    def run(self, paths: Iterable[str | Path], *, prune: bool = False, progress: ProgressFn | None = None,
            embed_batch_chunks: int = 128) -> IngestReport:
        from assistant.ingest.loaders import iter_sources

        t0 = time.perf_counter()
        report = IngestReport()
        self.local.sync(self.store)
        existing = self.store.doc_records()
        seen: set[str] = set()
        q: queue.Queue = queue.Queue(maxsize=64)
        stop = threading.Event()
        producer = threading.Thread(
            target=self._prepare, args=(iter_sources(paths), existing, seen, q, stop), daemon=True,
            name="ingest-prepare",
        )
        producer.start()
        batch: list[_Work] = []
        n_batch = 0
        try:
            while True:
                item = q.get()
                if item is None:
                    break
                if isinstance(item, FileResult):
                    report.results.append(item)
                    if progress:
                        progress("doc", item)
                    continue
                batch.append(item)
                n_batch += len(item.chunks)
                if n_batch >= embed_batch_chunks:
                    self._commit(batch, report, progress)
                    batch, n_batch = [], 0
            if batch:
                self._commit(batch, report, progress)
        finally:
            stop.set()
            # Drain so a blocked producer can see the stop flag and exit.
            while producer.is_alive():
                with contextlib.suppress(queue.Empty):
                    q.get(timeout=0.1)
        if prune:
            for doc_id, rec in existing.items():
                if doc_id in seen:
                    continue
                src = rec.source  # the file path, also for JSONL documents (loaders.py)
                if not src or not Path(src).exists() or _same_file_source(src, report):
                    self._mark_changing()
                    self.store.delete_document(doc_id)
                    self.local.delete_doc(doc_id)
                    report.results.append(FileResult(rec.source, doc_id, "removed"))
        changed = any(r.status in ("added", "updated", "removed") for r in report.results)
        if changed or self.local.bm25 is None:
            self.local.rebuild()
        if changed:
            self.local.set_meta("generation", self.store.bump_generation())
        report.total_docs, report.total_chunks = self.store.counts()
        report.seconds = time.perf_counter() - t0
        return report


def _same_file_source(source: str, report: IngestReport) -> bool:
    """A JSONL line's document whose file was re-read in this run but no longer holds it."""
    return any(r.source == source for r in report.results if r.status != "failed")
