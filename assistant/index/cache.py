"""The local, derived half of the index: annotations, the keyword index and aliases.

Everything here is rebuilt from Chroma when missing or stale, so it can be
deleted at any time. Staleness is detected with the chunk collection's
``generation`` token, which every ingest changes; a mismatch triggers a diff of
document content hashes, so only changed documents are fetched again.

Every derived structure changes in time proportional to the documents that change:
``put_docs``/``delete_doc`` update the alias and summary counts in the same SQLite
transaction as the documents, and queue the documents for the keyword index, which
``commit`` then updates (their old chunks deleted, their new ones added as a segment:
``keyword.py``). A queued change survives a killed process and is applied on the next
open. ``rebuild`` (a new or damaged cache, or an older format) is the only full pass.

Several processes share this directory (a chat and the ``assistant ingest`` a cron job
runs). Each answers from the keyword view it loaded; a document queued for the keyword
index (``pending``: an ingest is rewriting it, or one was killed while it did) reads as
absent (``doc``) until a commit, so a reader never cuts new text at old offsets. An
ingest publishes its commit by recording its generation (``publish``); ``sync`` loads a
published one, and also commits a queue left behind (it runs under the ingest lock).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.index.aliases import AliasIndex
from assistant.index.keyword import KeywordChunk, KeywordIndex
from assistant.index.tables import SCHEMA, ChunkSpan, CountDelta, StoredChunks, owner_of, stored_record
from assistant.models import Document
from assistant.text.tokens import tokenize

if TYPE_CHECKING:
    from assistant.index.store import DocRecord, Store

#: The layout of the derived structures; a cache written with another is rebuilt once.
DERIVED_FORMAT = "2"
#: Documents per keyword-index commit when many are queued (one segment each; the merge
#: policy folds them together).
COMMIT_DOCS = 5000
#: Chunks per keyword segment during a full rebuild (bounds its memory).
REBUILD_CHUNKS = 100_000
#: Ids per ``IN (...)`` list: below the 999 host parameters older SQLite builds allow.
IN_BATCH = 500


class LocalIndex:
    """SQLite annotation store + keyword index + alias table under ``path``."""

    def __init__(self, path: Path, keyword: KeywordIndex | None = None, backend: str | None = None) -> None:
        """``keyword``: the keyword index to use (a server's, say); else the local
        ``backend`` of ``keyword_backends`` (default: ``ASSISTANT_KEYWORD_BACKEND`` or tantivy)."""
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError:
            # Everything here is derived from Chroma: a damaged cache is dropped and refilled
            # by the next ``sync`` instead of making the whole index unusable.
            self._discard_files()
            self._db = self._connect()
        if keyword is None:
            from assistant.config import keyword_backend_name
            from assistant.index.keyword_backends import open_keyword

            keyword = open_keyword(backend or keyword_backend_name(), self.path)
        self.keyword: KeywordIndex = keyword
        self._ready = False
        self._docs: OrderedDict[str, Document] = OrderedDict()
        #: Per thread, inside ``pinned()``: each document as first read there (None: not pinned).
        self._pins = threading.local()
        self._records: dict[str, dict[str, Any]] | None = None
        self._summary: tuple[list[str], frozenset[str]] | None = None
        #: Local changes, and SQLite's count of other connections' commits, when the
        #: in-memory caches (records, summary, documents, alias answers) were filled.
        self._changes = 0
        self._seen_version: tuple[int, int] | None = None
        self._aliases = AliasIndex(self._db, self._data_version)
        #: The generation the loaded keyword view was published at ("": none yet).
        self.loaded_generation = ""

    # -- freshness -----------------------------------------------------------------------
    def _data_version(self) -> tuple[int, int]:
        """Changes so far: this connection's, and other processes' (SQLite's data_version)."""
        with self._lock:
            return self._changes, int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _fresh(self) -> None:
        """Drop the in-memory caches if the store changed since they were filled."""
        v = self._data_version()
        if v != self._seen_version:
            self._records, self._summary, self._seen_version = None, None, v
            self._docs.clear()

    @property
    def aliases(self) -> AliasIndex:
        """The name alias table (counts in the annotation store, read per lookup)."""
        return self._aliases

    @property
    def bm25(self) -> Any:
        """The keyword index's current view (None until loaded or built): ``search``,
        ``df``, ``prefix_df``, ``n_chunks`` (``keyword.KeywordSearch``). A new object after
        every change, so callers may remember per view."""
        return self.keyword.view() if self._ready else None

    @property
    def chunks(self) -> StoredChunks:
        """Every stored chunk with its exact offsets, read in full (for tools and tests;
        questions read ``spans``)."""
        rows = self._db.execute("SELECT chunk_id, doc_id, start, end FROM chunks ORDER BY doc_id, idx").fetchall()
        return StoredChunks(rows)

    def summary(self) -> tuple[list[str], frozenset[str]]:
        """(the documents' dates, oldest first, undated ones left out; the search tokens
        of every publisher and author), from counts kept up to date with the documents."""
        with self._lock:
            self._fresh()
            if self._summary is None:
                dates = [d for d, n in self._db.execute("SELECT date, n FROM summary_dates WHERE n > 0 ORDER BY date")
                         for _ in range(n)]
                toks = frozenset(t for (t,) in self._db.execute("SELECT token FROM summary_tokens WHERE n > 0"))
                self._summary = (dates, toks)
            return self._summary

    _DB_NAME = "annotations.sqlite"

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path / self._DB_NAME, check_same_thread=False, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            AliasIndex.create(db)
            db.execute("SELECT count(*) FROM docs").fetchone()
            db.execute("SELECT count(*) FROM chunks").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _discard_files(self) -> None:
        for name in (self._DB_NAME, f"{self._DB_NAME}-wal", f"{self._DB_NAME}-shm", "aliases.json", "summary.json"):
            (self.path / name).unlink(missing_ok=True)
        for d in self.path.glob("keyword-*"):
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(self.path / "bm25", ignore_errors=True)

    # -- meta --------------------------------------------------------------------------
    def get_meta(self, key: str) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else ""

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> str:
        return self.get_meta("generation")

    def publish(self, generation: str) -> None:
        """Record that the committed index is that of ``generation``: other processes
        sharing this cache load it (``sync``)."""
        self.set_meta("generation", generation)
        self.loaded_generation = generation

    # -- documents ---------------------------------------------------------------------
    def content_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT doc_id, content_hash FROM docs").fetchall())

    def record(self, doc_id: str) -> DocRecord | None:
        """The stored record of one document, by primary key. An ingest looks up the
        documents it is given: reading every record from Chroma was 141 of the 171 s that
        100 new articles took to add to a 1M-chunk index (profiled)."""
        from assistant.index.store import DocRecord

        with self._lock:
            rec = stored_record(self._db, doc_id)
        return None if rec is None else DocRecord.from_meta(doc_id, rec)

    def owner(self, content_hash: str) -> str | None:
        """The first (by id) stored document with this cleaned content, if any."""
        with self._lock:
            return owner_of(self._db, content_hash)

    def doc_ids(self) -> list[str]:
        with self._lock:
            return [d for (d,) in self._db.execute("SELECT doc_id FROM docs")]

    def put_doc(self, record: DocRecord, text: str, annotations: dict[str, Any],
                chunks: Sequence[tuple[str, int, int, int]]) -> None:
        """Store one committed document and its chunks (chunk_id, index, start, end)."""
        self.put_docs([(record, text, annotations, chunks)])

    def put_docs(self, items: Sequence[tuple[DocRecord, str, dict[str, Any], Sequence[tuple[str, int, int, int]]]]) -> None:
        """``put_doc`` for several documents, in one transaction that also updates the
        alias and summary counts and queues the documents for the keyword index."""
        with self._lock, self._db:
            delta = CountDelta()
            for record, text, annotations, chunks in items:
                self._forget(record.doc_id, delta)
                rec = asdict(record)
                self._db.execute(
                    "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?)",
                    (record.doc_id, record.content_hash, json.dumps(rec), text,
                     json.dumps(annotations, ensure_ascii=False)),
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?)",
                    [(cid, record.doc_id, idx, s, e) for cid, idx, s, e in chunks],
                )
                delta.add(rec, annotations, 1)
            self._db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(r.doc_id,) for r, *_ in items])
            delta.write(self._db)
            self._changed()

    def delete_doc(self, doc_id: str) -> None:
        with self._lock, self._db:
            delta = CountDelta()
            self._forget(doc_id, delta)
            delta.write(self._db)
            self._db.execute("INSERT OR IGNORE INTO pending VALUES (?)", (doc_id,))
            self._changed()

    def _forget(self, doc_id: str, delta: CountDelta) -> None:
        """Remove a stored document, its chunks and (into ``delta``) its counts."""
        old = self._db.execute("SELECT record, annotations FROM docs WHERE doc_id=?", (doc_id,)).fetchone()
        if old is not None:
            delta.add(json.loads(old[0]), json.loads(old[1] or "{}"), -1)
        self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self._db.execute("DELETE FROM docs WHERE doc_id=?", (doc_id,))

    def _changed(self) -> None:
        self._changes += 1
        self._docs.clear()
        self._records, self._summary = None, None

    def records(self) -> dict[str, dict[str, Any]]:
        """doc_id -> stored record (title, publisher, date, ...), cached in memory."""
        with self._lock:
            self._fresh()
            if self._records is None:
                rows = self._db.execute("SELECT doc_id, record FROM docs").fetchall()
                self._records = {d: json.loads(r) for d, r in rows}
            return self._records

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Within it, ``doc`` gives each document as this thread first read it there.

        One question reads a document many times (its passages, sentences, spans, the
        citation's quote), each time using offsets an earlier read gave. Another process
        may rewrite the document between two reads; pinned, every read of the question
        sees one version, so no offset of one version cuts the text of another. Nested
        uses share the outer pin; the pins are dropped on leaving, so they hold only the
        documents one question touched."""
        if getattr(self._pins, "docs", None) is not None:
            yield
            return
        self._pins.docs = {}
        try:
            yield
        finally:
            self._pins.docs = None

    def doc(self, doc_id: str) -> Document | None:
        pins: dict[str, Document | None] | None = getattr(self._pins, "docs", None)
        if pins is None:
            return self._read_doc(doc_id)
        if doc_id not in pins:
            pins[doc_id] = self._read_doc(doc_id)
        return pins[doc_id]

    def _read_doc(self, doc_id: str) -> Document | None:
        with self._lock:
            self._fresh()
            hit = self._docs.get(doc_id)
            if hit is not None:
                self._docs.move_to_end(doc_id)
                return hit
            # One statement, so one snapshot: the document and whether it is queued.
            row = self._db.execute(
                "SELECT record, text, annotations, EXISTS(SELECT 1 FROM pending WHERE doc_id=?), content_hash "
                "FROM docs WHERE doc_id=?", (doc_id, doc_id)
            ).fetchone()
            if row is None or row[3]:
                return None  # gone, or being rewritten: its chunks in the loaded view are of another version
            rec, text, ann = json.loads(row[0]), row[1], json.loads(row[2] or "{}")
            rec["content_hash"] = row[4]  # the column ``spans`` reads, so the two compare
            view = Document(
                doc_id=doc_id, text=text, title=rec.get("title", ""), publisher=rec.get("publisher", ""),
                date=rec.get("date", ""), author=rec.get("author", ""), url=rec.get("url", ""),
                source=rec.get("source", ""), content_hash=rec.get("content_hash", ""),
                fmt=rec.get("fmt", "") or "txt", meta_origin=dict(rec.get("meta_origin") or {}),
                sentences=[tuple(s) for s in ann.get("sentences", [])], annotations=ann,
            )
            self._docs[doc_id] = view
            if len(self._docs) > 512:
                self._docs.popitem(last=False)
            return view

    def iter_annotations(self) -> Iterable[tuple[str, dict[str, Any]]]:
        for doc_id, ann in self._db.execute("SELECT doc_id, annotations FROM docs"):
            yield doc_id, json.loads(ann or "{}")

    def spans(self, chunk_ids: Collection[str]) -> dict[str, ChunkSpan]:
        """chunk id -> ``ChunkSpan`` for the stored chunks among ``chunk_ids``: the
        exact-offset chunk table, read by primary key, with the content hash of the
        document version the offsets belong to (the same statement, so the same snapshot)."""
        q = ("SELECT c.chunk_id, c.doc_id, c.start, c.end, d.content_hash FROM chunks c "
             "JOIN docs d INDEXED BY docs_hash ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({marks})")
        with self._lock:
            return {c: ChunkSpan(d, s, e, h) for c, d, s, e, h in self._in_batches(q, list(chunk_ids))}

    def chunk_texts(self, chunk_ids: Collection[str]) -> dict[str, str]:
        """chunk id -> its text, for the stored chunks among ``chunk_ids``: cut in SQLite
        from the stored text, without reading the document's annotations."""
        q = ("SELECT c.chunk_id, substr(d.text, c.start + 1, c.end - c.start) FROM chunks c "
             "JOIN docs d ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({marks})")
        with self._lock:
            return dict(self._in_batches(q, list(chunk_ids)))

    def _in_batches(self, sql: str, ids: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql`` for ``ids``, ``IN_BATCH`` ids per statement (its ``{marks}``
        becomes one placeholder per id); the caller holds the lock."""
        for i in range(0, len(ids), IN_BATCH):
            part = ids[i: i + IN_BATCH]
            yield from self._db.execute(sql.format(marks=",".join("?" * len(part))), part)

    def keyword_search(self, tokens: list[str], k: int, docs: Collection[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first, from the keyword index ([] before it is built)."""
        view = self.bm25
        return view.search(tokens, k, docs) if view is not None else []

    # -- derived search structures -----------------------------------------------------
    def _keyword_chunks(self, doc_ids: Sequence[str]) -> list[KeywordChunk]:
        """The keyword index's input for the stored documents among ``doc_ids``: each
        chunk's title and text, tokenised (the title is indexed with every chunk: it names
        what the chunk is about)."""
        out: list[KeywordChunk] = []
        for i in range(0, len(doc_ids), IN_BATCH):
            part = list(doc_ids[i: i + IN_BATCH])
            marks = ",".join("?" * len(part))
            texts = {d: (t or "", json.loads(r).get("title", "")) for d, r, t in self._db.execute(
                f"SELECT doc_id, record, text FROM docs WHERE doc_id IN ({marks})", part)}
            for cid, did, s, e in self._db.execute(
                    f"SELECT chunk_id, doc_id, start, end FROM chunks WHERE doc_id IN ({marks}) ORDER BY doc_id, idx",
                    part):
                if did in texts:
                    text, title = texts[did]
                    out.append(KeywordChunk(cid, did, s, e, tokenize(f"{title}\n{text[s:e]}")))
        return out

    def commit(self) -> int:
        """Bring the keyword index up to date with the queued documents (time proportional
        to them); rebuild everything if the derived structures are missing or of another
        format. Returns the number of documents applied."""
        with self._lock:
            if not self._derived_ok():
                self.rebuild()
                return 0
            queued = [d for (d,) in self._db.execute("SELECT doc_id FROM pending ORDER BY doc_id")]
            for i in range(0, len(queued), COMMIT_DOCS):
                part = queued[i: i + COMMIT_DOCS]
                self.keyword.apply(part, self._keyword_chunks(part))
                with self._db:
                    self._db.executemany("DELETE FROM pending WHERE doc_id = ?", [(d,) for d in part])
            self._ready = True
            return len(queued)

    def _derived_ok(self) -> bool:
        # The backend is part of the format: one switched away from and back has missed changes.
        return self.get_meta("derived_format") == self._format and self.keyword.exists()

    @property
    def _format(self) -> str:
        return f"{DERIVED_FORMAT}:{type(self.keyword).__name__}"

    def rebuild(self) -> None:
        """Rebuild the keyword index, the alias and the summary counts from the stored
        documents (a full pass, in bounded memory)."""
        with self._lock:
            with self._db:
                self._db.execute("DELETE FROM summary_dates")
                self._db.execute("DELETE FROM summary_tokens")
                AliasIndex.clear(self._db)
                self._db.execute("DELETE FROM pending")
                self.set_meta("derived_format", "")
            self.keyword.reset()
            doc_ids = [d for (d,) in self._db.execute("SELECT doc_id FROM docs ORDER BY doc_id")]
            batch: list[KeywordChunk] = []
            for i in range(0, len(doc_ids), IN_BATCH):
                part = doc_ids[i: i + IN_BATCH]
                batch.extend(self._keyword_chunks(part))
                with self._db:
                    marks = ",".join("?" * len(part))
                    delta = CountDelta()
                    for rec, ann in self._db.execute(
                            f"SELECT record, annotations FROM docs WHERE doc_id IN ({marks})", part).fetchall():
                        delta.add(json.loads(rec), json.loads(ann or "{}"), 1)
                    delta.write(self._db)
                if len(batch) >= REBUILD_CHUNKS:
                    self.keyword.apply([], batch)
                    batch = []
            self.keyword.apply([], batch)
            self.set_meta("derived_format", self._format)
            for stale in ("aliases.json", "summary.json"):  # the files of format 1
                (self.path / stale).unlink(missing_ok=True)
            shutil.rmtree(self.path / "bm25", ignore_errors=True)
            self._changed()
            self._ready = True

    def load(self, *, strict: bool = True) -> bool:
        """Open the keyword index (memory-mapped: nothing is read in full); False if it is
        missing, unreadable, of an older format, or (``strict``), with no change queued,
        holds another number of chunks than the annotation store (then ``sync`` rebuilds
        it). ``strict=False`` takes the index as it is, for a reader while another process
        ingests. Queued changes (an ingest in progress in another process, or one that was
        killed) are left to the next ``commit``: a reader does not take the index's writer."""
        with self._lock:
            generation = self.generation
            if not self._derived_ok():
                return False
            try:
                self.keyword.refresh()
                view = self.keyword.view()
            except Exception:
                return False
            if view is None:
                return False
            if strict and not self._queued():
                n_rows = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
                if n_rows != view.n_chunks:
                    return False
            self._ready = True
            self._seen_version = None  # documents, records and counts read again
            self._fresh()
            self.loaded_generation = generation
            return True

    def _queued(self) -> bool:
        return self._db.execute("SELECT 1 FROM pending LIMIT 1").fetchone() is not None

    def follow(self) -> bool:
        """Pick up what another process committed to this cache (the keyword index's new
        segments, changed documents and counts); True if anything changed."""
        with self._lock:
            before = self._seen_version
            self._fresh()
            moved = self._ready and self.keyword.refresh()
            return bool(moved or (before is not None and before != self._seen_version))

    # -- synchronisation with Chroma ----------------------------------------------------
    def sync(self, store: Store, *, force: bool = False) -> int:
        """Bring this cache in line with the store; returns the number of documents changed."""
        with self._lock:
            gen = store.generation()
            if not force and gen and gen == self.generation:
                if self._ready and self.loaded_generation == gen:
                    self.follow()  # another process on this cache may have committed (same generation)
                    return 0
                if self.load():  # another process published this generation: its commit is loaded
                    if self._queued():
                        self.commit()  # left by a killed ingest (the caller holds the ingest lock)
                    return 0
            remote = store.doc_records()
            local = self.content_hashes()
            stale = [d for d, r in remote.items() if local.get(d) != r.content_hash]
            gone = [d for d in local if d not in remote]
            for d in gone:
                self.delete_doc(d)
            for i in range(0, len(stale), 100):
                batch = stale[i: i + 100]
                payloads = store.get_docs(batch)
                rows_by_doc: dict[str, list[tuple[str, int, int, int]]] = {d: [] for d in batch}
                for cid, meta in store.chunk_rows(batch):
                    if meta.get("doc_hash", "") not in ("", remote[meta["doc_id"]].content_hash):
                        continue  # a chunk of another version of the document
                    rows_by_doc.setdefault(meta["doc_id"], []).append(
                        (cid, int(meta["index"]), int(meta["start"]), int(meta["end"])))
                for d, (rec, payload) in payloads.items():
                    self.put_doc(rec, payload.get("text", ""), payload.get("annotations", {}), rows_by_doc.get(d, []))
            changed = len(stale) + len(gone)
            if self.load():
                self.commit()  # the changed documents, and a queue a killed ingest left, into the keyword index
            else:
                self.rebuild()
            self.publish(gen)
            self.follow()  # what another process already wrote into this cache for that generation
            return changed

    def close(self) -> None:
        with self._lock:
            self.keyword.close()
            self._db.close()
