"""The keyword index on Tantivy (the ``tantivy`` Python bindings): the default backend.

Tantivy is Lucene's design in Rust: immutable memory-mapped segments, deletions kept
beside them, merges in background threads, and a ``meta.json`` replaced atomically at
each commit, so readers in other processes move to a commit by reloading. It is fed the
project's own tokens (joined by spaces, indexed with its whitespace tokenizer), so both
the terms and the idf statistics are the project's; chunk ids and document ids are
stored beside them, and the exact offsets stay in the annotation store's chunk table.

Scores are Tantivy's BM25 (k1 1.2, b 0.75, idf over all live segments) divided by
k1 + 1, which puts them on the scale of Lucene's BM25 that ``bm25s`` computed. Two
known differences from exact BM25: Tantivy stores each chunk's length in one byte
(lengths above 40 tokens are rounded), and a deleted chunk counts in the document
frequencies until its segment is merged. Measured on the benchmark sets
(``tools/keyword_engines.py``, ``eval/reports/keyword-engines.json``): the top 10 agree
with exact BM25 for 97-99.8% of their chunks and BM25-only R@5 is the same.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from assistant.index.bm25 import K1
from assistant.index.keyword import CountedView, KeywordChunk, LazyView

#: Memory of the writer while it adds documents (Tantivy's default is 50 MB per thread;
#: more makes fewer, larger segments per commit).
WRITER_HEAP = 128_000_000
#: Writer threads: one, so an ingest's embedding and annotation keep the other cores.
WRITER_THREADS = 1
_BODY, _CHUNK, _DOC = "body", "chunk_id", "doc_id"


def _schema() -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field(_BODY, tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field(_CHUNK, stored=True, tokenizer_name="raw")
    sb.add_text_field(_DOC, stored=True, tokenizer_name="raw")
    return sb.build()


class TantivyView(CountedView):
    """One searcher of the index (``KeywordSearch``): a consistent view until replaced."""

    def __init__(self, searcher: Any, schema: Any) -> None:
        self._searcher = searcher
        self._schema = schema
        self.n_chunks = int(searcher.num_docs)
        self.n_segments = int(searcher.num_segments)

    def df(self, token: str) -> int:
        return int(self._searcher.doc_freq(_BODY, token)) if token and " " not in token else 0

    def prefix_df(self, prefix: str) -> int:
        return len(self._searcher.terms_with_prefix(_BODY, prefix, limit=1)) if prefix else 0

    def search(self, tokens: list[str], k: int, docs: Collection[str] | None = None) -> list[tuple[str, float]]:
        import tantivy

        terms = [t for t in tokens if t and " " not in t]
        if not terms or self.empty or (docs is not None and not docs):
            return []
        q = tantivy.Query.term_query
        query = tantivy.Query.boolean_query([(tantivy.Occur.Should, q(self._schema, _BODY, t)) for t in terms])
        if docs is not None:
            # The filter adds nothing to the score: a constant 0 that every hit must match.
            only = tantivy.Query.const_score_query(tantivy.Query.term_set_query(self._schema, _DOC, sorted(docs)), 0.0)
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, only), (tantivy.Occur.Must, query)])
        hits = self._searcher.search(query, k, count=False).hits
        scale = 1.0 / (K1 + 1)
        return [(self._searcher.doc(addr)[_CHUNK][0], float(score) * scale) for score, addr in hits if score > 0]


class TantivyIndex(LazyView[TantivyView]):
    """The ``KeywordIndex`` on a Tantivy index under ``path``. One process writes at a
    time (Tantivy's own lock, and ingest's); readers reload when ``meta.json`` changes."""

    def __init__(self, path: Path) -> None:
        import tantivy

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._schema = _schema()
        try:
            self._index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        except Exception:  # damaged: derived data, so it is started again (and rebuilt by the cache)
            self._wipe()
            self._index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        self._lock = threading.RLock()
        self._view: TantivyView | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._committed = (self.path / "meta.json").exists() and (self.path / ".committed").exists()

    def exists(self) -> bool:
        return (self.path / ".committed").exists()

    def _meta_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path / "meta.json")
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def refresh(self) -> bool:
        with self._lock:
            if not self.exists():
                changed = self._view is not None
                self._view = None
                return changed
            stamp = self._meta_stamp()
            if stamp == self._stamp and self._view is not None:
                return False
            self._index.reload()
            self._view = TantivyView(self._index.searcher(), self._schema)
            self._stamp = stamp
            return True

    def apply(self, remove_docs: Sequence[str], add: Sequence[KeywordChunk]) -> None:
        import tantivy

        with self._lock:
            writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
            try:
                for d in sorted(set(remove_docs) | {c.doc_id for c in add}):
                    writer.delete_documents_by_term(_DOC, d)
                for c in add:
                    writer.add_document(tantivy.Document(**{_BODY: " ".join(t for t in c.tokens if t),
                                                            _CHUNK: c.chunk_id, _DOC: c.doc_id}))
                writer.commit()
                writer.wait_merging_threads()  # merges run in Tantivy's threads; this returns when they are done
            except BaseException:
                writer.rollback()
                raise
            finally:
                del writer
            (self.path / ".committed").touch()
            self.refresh()

    def reset(self) -> None:
        """An empty index in place of whatever is there (readers in other processes keep
        the files they mapped until they refresh)."""
        import tantivy

        with self._lock:
            self._view, self._stamp = None, None
            self._wipe()
            self._index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
            writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
            writer.commit()
            del writer
            (self.path / ".committed").touch()
            self.refresh()

    def _wipe(self) -> None:
        import shutil

        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        with self._lock:
            self._view = None
