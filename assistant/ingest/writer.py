"""The one place ingest writes: a prepared document and its vectors into Chroma (chunks,
then the document record, the commit marker) and into the local annotation cache; the
derived search structures (BM25, aliases) once at the end of a run. Every write holds the
index's write lock (``index.lock``), so a reader never reloads files mid-write."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.index.cache import LocalIndex
from assistant.index.lock import write_lock
from assistant.index.store import DocRecord, Store
from assistant.ingest import faults
from assistant.models import Chunk, Document


class IndexWriter:
    """Writes documents of one configuration (``cfg_hash``) into ``store`` + ``local``."""

    def __init__(self, store: Store, local: LocalIndex, cfg_hash: str) -> None:
        self.store = store
        self.local = local
        self.cfg_hash = cfg_hash
        self._marked = False
        #: Set by the driver when a write failed: ``finish`` re-checks the cache.
        self.failed = False

    def mark_changing(self) -> None:
        """Change the generation before the first write of a run, not only after the last:
        a run killed in between must still make every cache re-diff against Chroma, or
        documents it committed stay missing from BM25 and the annotations for good."""
        if not self._marked:
            self.store.bump_generation()
            self._marked = True

    def write(self, doc: Document, chunks: Sequence[Chunk], vectors: np.ndarray, annotations: dict[str, Any]) -> None:
        """Replace ``doc`` in the index (chunks first, its record last)."""
        self.write_batch([(doc, chunks, vectors, annotations)])

    def write_batch(self, items: Sequence[tuple[Document, Sequence[Chunk], np.ndarray, dict[str, Any]]]) -> None:
        """Replace several documents: in Chroma every chunk, then every record (each
        record after its chunks), then in the local cache in one transaction."""
        for doc, *_ in items:
            faults.check("writing", doc.doc_id)
        with write_lock(self.store.settings):
            self._write_batch(items)

    def _write_batch(self, items: Sequence[tuple[Document, Sequence[Chunk], np.ndarray, dict[str, Any]]]) -> None:
        self.mark_changing()
        self.store.write_documents(items, self.cfg_hash)
        now = time.time()
        self.local.put_docs([
            (DocRecord.from_meta(doc.doc_id, {
                "title": doc.title, "publisher": doc.publisher, "date": doc.date,
                "date_int": doc.date_int, "author": doc.author, "url": doc.url, "source": doc.source,
                "content_hash": doc.content_hash, "raw_hash": doc.raw_hash, "config_hash": self.cfg_hash,
                "n_chunks": len(chunks), "ingested_at": now, "fmt": doc.fmt, "meta_origin": doc.meta_origin,
            }), doc.text, annotations, [(c.chunk_id, c.index, c.start, c.end) for c in chunks])
            for doc, chunks, _, annotations in items
        ])

    def touch(self, doc_id: str, raw_hash: str, source: str) -> None:
        """A new raw hash or source for a document whose cleaned content is unchanged."""
        with write_lock(self.store.settings):
            self.store.touch_document(doc_id, raw_hash, source)

    def remove(self, doc_id: str) -> None:
        with write_lock(self.store.settings):
            self.mark_changing()
            self.store.delete_document(doc_id)
            self.local.delete_doc(doc_id)

    def finish(self, changed: bool) -> tuple[int, int]:
        """Rebuild the derived structures if anything changed (or they are missing) and
        record the new generation; returns (documents, chunks) in the index."""
        with write_lock(self.store.settings):
            return self._finish(changed)

    def _finish(self, changed: bool) -> tuple[int, int]:
        if self.failed:
            # A write failed part-way (Chroma written, the local cache not, say): diff the
            # cache against the store rather than trust it.
            self.local.sync(self.store, force=True)
        if changed or self.local.bm25 is None:
            self.local.rebuild()
        if changed:
            # Published: a running chat reloads what this generation names (``LocalIndex.sync``).
            self.local.publish(self.store.bump_generation())
        return self.store.counts()
