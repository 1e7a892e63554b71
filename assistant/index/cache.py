"""The local, derived half of the index: annotations, BM25 and aliases.

Everything here is rebuilt from Chroma when missing or stale, so it can be
deleted at any time. Staleness is detected with the chunk collection's
``generation`` token, which every ingest changes; a mismatch triggers a diff of
document content hashes, so only changed documents are fetched again.

Several processes share this directory (a chat and the ``assistant ingest`` a cron job
runs). Each answers from the view it loaded: BM25 and the chunk table of one build, and
the content hash of every document in it (``doc_hashes.json``, written with them), so a
document that another process's ingest is rewriting reads as absent (``doc``) until the
view is reloaded, never as text that its chunk offsets do not fit. An ingest publishes its
build by recording its generation (``publish``); ``sync`` reloads a published build.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.index.aliases import AliasTable
from assistant.index.bm25 import BM25Index
from assistant.models import Document
from assistant.text.tokens import tokenize

if TYPE_CHECKING:
    from assistant.index.store import DocRecord, Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, content_hash TEXT, record TEXT, text TEXT, annotations TEXT);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT, idx INTEGER, start INTEGER, end INTEGER);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""


class DocIds(Sequence[str]):
    """The document id of each chunk row, as a sequence (stored as one small integer per
    row into the list of document ids)."""

    def __init__(self, index: np.ndarray, names: list[str]) -> None:
        self.index = index
        self.names = names

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self.names[j] for j in self.index[i]]
        return self.names[int(self.index[i])]

    def __iter__(self) -> Iterator[str]:
        names = self.names
        return (names[j] for j in self.index.tolist())


class ChunkTable:
    """All committed chunks in BM25 row order: ids, documents and offsets.

    Saved beside BM25 when it is built, and memory-mapped when an index opens, so opening
    costs no pass over the chunks; the id -> row map is built on first use."""

    _FILES = ("chunk_doc.npy", "chunk_start.npy", "chunk_end.npy", "chunk_docs.json")

    def __init__(self, ids: list[str], doc_index: np.ndarray, doc_names: list[str], starts: np.ndarray,
                 ends: np.ndarray) -> None:
        self.ids = ids
        self.starts = starts
        self.ends = ends
        self.doc_ids = DocIds(doc_index, doc_names)
        self._row_of: dict[str, int] | None = None

    @classmethod
    def empty(cls) -> ChunkTable:
        return cls([], np.zeros(0, np.int32), [], np.zeros(0, np.int64), np.zeros(0, np.int64))

    @classmethod
    def build(cls, ids: list[str], doc_ids: Sequence[str], starts: Sequence[int], ends: Sequence[int]) -> ChunkTable:
        names: list[str] = []
        number: dict[str, int] = {}
        index = np.fromiter((number.setdefault(d, len(number)) for d in doc_ids), dtype=np.int32, count=len(doc_ids))
        names = list(number)
        return cls(list(ids), index, names, np.asarray(starts, np.int64), np.asarray(ends, np.int64))

    @property
    def row_of(self) -> dict[str, int]:
        """chunk id -> row."""
        if self._row_of is None:
            self._row_of = {cid: n for n, cid in enumerate(self.ids)}
        return self._row_of

    def rows_of_docs(self, doc_ids: set[str]) -> np.ndarray:
        """A boolean mask of the rows whose document is in ``doc_ids``."""
        wanted = [n for n, d in enumerate(self.doc_ids.names) if d in doc_ids]
        return np.isin(self.doc_ids.index, np.asarray(wanted, np.int32))

    def save(self, path: Path) -> None:
        np.save(path / "chunk_doc.npy", self.doc_ids.index)
        np.save(path / "chunk_start.npy", self.starts)
        np.save(path / "chunk_end.npy", self.ends)
        (path / "chunk_docs.json").write_text(json.dumps(self.doc_ids.names))

    @classmethod
    def load(cls, path: Path, ids: list[str]) -> ChunkTable:
        """The table saved under ``path`` for BM25's ``ids``; FileNotFoundError for a cache
        written before the table was saved (it is rebuilt)."""
        for name in cls._FILES:
            if not (path / name).exists():
                raise FileNotFoundError(path / name)
        index = np.load(path / "chunk_doc.npy", mmap_mode="r")
        if len(index) != len(ids):
            raise ValueError(f"{len(index)} chunk rows for {len(ids)} BM25 ids")
        return cls(ids, index, json.loads((path / "chunk_docs.json").read_text()),
                   np.load(path / "chunk_start.npy", mmap_mode="r"), np.load(path / "chunk_end.npy", mmap_mode="r"))


class LocalIndex:
    """SQLite annotation store + BM25 + alias table under ``path``."""

    def __init__(self, path: Path) -> None:
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
        self._docs: OrderedDict[str, Document] = OrderedDict()
        self.bm25: BM25Index | None = None
        self.chunks = ChunkTable.empty()
        self._aliases: AliasTable | None = AliasTable()
        self._records: dict[str, dict[str, Any]] | None = None
        self._summary: tuple[list[str], frozenset[str]] | None = None
        #: Documents changed since the saved summary was written (``rebuild`` rewrites it).
        self._summary_stale = False
        #: The generation the loaded view (BM25, chunk table) was built at ("": none yet).
        self.loaded_generation = ""
        #: doc_id -> content hash of every document in the loaded view (None: not known, for
        #: a cache written before the hashes were saved).
        self._pinned: dict[str, str] | None = None

    @property
    def aliases(self) -> AliasTable:
        """The name alias table, read from disk on first use after ``load``."""
        if self._aliases is None:
            with self._lock:
                if self._aliases is None:
                    try:
                        self._aliases = AliasTable.load(self.path / "aliases.json")
                    except (OSError, ValueError):  # unreadable: derived data, so rebuild it
                        self.rebuild()
        return self._aliases  # type: ignore[return-value]

    def summary(self) -> tuple[list[str], frozenset[str]]:
        """(the documents' dates, oldest first, undated ones left out; the search tokens
        of every publisher and author). Saved by ``rebuild``, so opening a big index
        does not read every document record to answer its first question."""
        with self._lock:
            if self._summary is None and not self._summary_stale:
                try:
                    data = json.loads((self.path / "summary.json").read_text(encoding="utf-8"))
                    self._summary = (list(data["dates"]), frozenset(data["metadata_tokens"]))
                except (OSError, ValueError, KeyError):
                    pass
            if self._summary is None:
                self._summary = _summarise(self.records())
            return self._summary

    _DB_NAME = "annotations.sqlite"

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path / self._DB_NAME, check_same_thread=False, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.execute("SELECT count(*) FROM docs").fetchone()
            db.execute("SELECT count(*) FROM chunks").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _discard_files(self) -> None:
        for name in (self._DB_NAME, f"{self._DB_NAME}-wal", f"{self._DB_NAME}-shm", "aliases.json", "summary.json"):
            (self.path / name).unlink(missing_ok=True)
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
        """Record that the build on disk is that of ``generation``: other processes sharing
        this cache reload it (``sync``)."""
        self.set_meta("generation", generation)
        self.loaded_generation = generation

    # -- documents ---------------------------------------------------------------------
    def content_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT doc_id, content_hash FROM docs").fetchall())

    def put_doc(self, record: DocRecord, text: str, annotations: dict[str, Any],
                chunks: Sequence[tuple[str, int, int, int]]) -> None:
        """Store one committed document and its chunks (chunk_id, index, start, end)."""
        self.put_docs([(record, text, annotations, chunks)])

    def put_docs(self, items: Sequence[tuple[DocRecord, str, dict[str, Any], Sequence[tuple[str, int, int, int]]]]) -> None:
        """``put_doc`` for several documents, in one transaction."""
        from dataclasses import asdict

        with self._lock, self._db:
            for record, text, annotations, chunks in items:
                self._db.execute("DELETE FROM chunks WHERE doc_id=?", (record.doc_id,))
                self._db.execute(
                    "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?)",
                    (record.doc_id, record.content_hash, json.dumps(asdict(record)), text,
                     json.dumps(annotations, ensure_ascii=False)),
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?)",
                    [(cid, record.doc_id, idx, s, e) for cid, idx, s, e in chunks],
                )
                self._docs.pop(record.doc_id, None)
            self._records = None
            self._summary, self._summary_stale = None, True

    def delete_doc(self, doc_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            self._db.execute("DELETE FROM docs WHERE doc_id=?", (doc_id,))
            self._docs.pop(doc_id, None)
            self._records = None
            self._summary, self._summary_stale = None, True

    def records(self) -> dict[str, dict[str, Any]]:
        """doc_id -> stored record (title, publisher, date, ...), cached in memory."""
        with self._lock:
            if self._records is None:
                rows = self._db.execute("SELECT doc_id, record FROM docs").fetchall()
                self._records = {d: json.loads(r) for d, r in rows}
            return self._records

    def doc(self, doc_id: str) -> Document | None:
        with self._lock:
            hit = self._docs.get(doc_id)
            if hit is not None:
                self._docs.move_to_end(doc_id)
                return hit
            row = self._db.execute(
                "SELECT record, text, annotations FROM docs WHERE doc_id=?", (doc_id,)
            ).fetchone()
            if row is None:
                return None
            if self._pinned is not None and self._pinned.get(doc_id) != json.loads(row[0]).get("content_hash"):
                return None  # another version than the loaded view's (an ingest is rewriting it)
            rec, text, ann = json.loads(row[0]), row[1], json.loads(row[2] or "{}")
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

    # -- derived search structures -----------------------------------------------------
    def rebuild(self) -> None:
        """Rebuild BM25 and the alias table from the stored documents."""
        with self._lock:
            # The text is fetched once per document: joining it onto every chunk row copies a
            # 20 MB document once per chunk, which made big files take hours.
            rows = self._db.execute(
                "SELECT c.chunk_id, c.doc_id, c.start, c.end FROM chunks c JOIN docs d USING (doc_id)"
                " ORDER BY c.doc_id, c.idx"
            ).fetchall()
            ids, doc_ids, starts, ends, toks = [], [], [], [], []
            cur_doc, cur_text, title = None, "", ""
            recs = self.records()
            for cid, did, s, e in rows:
                if did != cur_doc:
                    row = self._db.execute("SELECT text FROM docs WHERE doc_id=?", (did,)).fetchone()
                    cur_doc, cur_text = did, (row[0] if row else "") or ""
                    title = recs.get(did, {}).get("title", "")
                ids.append(cid)
                doc_ids.append(did)
                starts.append(s)
                ends.append(e)
                # The title is indexed with every chunk: it names what the chunk is about.
                toks.append(tokenize(f"{title}\n{cur_text[s:e]}"))
            bm25 = BM25Index.build(ids, toks)
            chunks = ChunkTable.build(ids, doc_ids, starts, ends)
            tmp = self.path / "bm25.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            bm25.save(tmp)
            chunks.save(tmp)
            pinned = _save_pin(tmp, recs)
            final = self.path / "bm25"
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
            ents: list[tuple[str, str]] = []
            for _, ann in self.iter_annotations():
                ents.extend((m[3], m[0]) for m in ann.get("mentions", []) if m[0] not in ("DATE", "FIGURE"))
            aliases = AliasTable.build(ents)
            aliases.save(self.path / "aliases.json")
            summary = _summarise(recs)
            tmp_summary = self.path / "summary.json.tmp"
            tmp_summary.write_text(json.dumps({"dates": summary[0], "metadata_tokens": sorted(summary[1])},
                                              ensure_ascii=False), encoding="utf-8")
            tmp_summary.replace(self.path / "summary.json")
            self.bm25, self.chunks, self._aliases = bm25, chunks, aliases
            self._summary, self._summary_stale = summary, False
            self._pinned = pinned

    def load(self, *, strict: bool = True) -> bool:
        """Open BM25 and the chunk table saved by ``rebuild`` (memory-mapped: nothing is read
        in full); False if they are missing or unreadable, or (``strict``) were built from
        other documents than the annotation store now holds (then ``sync`` rebuilds them).
        ``strict=False`` takes the build as it is, for a reader while another process
        ingests: its documents are pinned to the versions it was built from (``doc``). The
        alias table and the summary are read on first use."""
        try:
            bm25 = BM25Index.load(self.path / "bm25", mmap=True)
            chunks = ChunkTable.load(self.path / "bm25", bm25.ids)
        except Exception:
            return False
        generation = self.generation
        pinned = _load_pin(self.path / "bm25")
        if strict:
            if pinned is not None:
                fits = pinned == self.content_hashes()
            else:
                fits = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0] == len(bm25.ids)
            if not fits:
                return False
        if not (self.path / "aliases.json").exists():
            return False
        with self._lock:
            self.bm25, self.chunks = bm25, chunks
            self._aliases = None
            self._summary, self._summary_stale = None, False
            self._docs.clear()
            self._records = None
            self._pinned = pinned
            self.loaded_generation = generation
        return True

    # -- synchronisation with Chroma ----------------------------------------------------
    def sync(self, store: Store, *, force: bool = False) -> int:
        """Bring this cache in line with the store; returns the number of documents changed."""
        with self._lock:
            gen = store.generation()
            if not force and gen and gen == self.generation:
                if self.bm25 is not None and self.loaded_generation == gen:
                    return 0
                if self.load():  # another process published this build: reload it
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
            stale_view = self.bm25 is None or self.loaded_generation != gen
            if changed or (stale_view and not self.load()):
                self.rebuild()
            self.publish(gen)
            return changed

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _save_pin(path: Path, records: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Save the content hash of every document of a build beside its BM25 arrays."""
    pinned = {d: str(r.get("content_hash", "")) for d, r in records.items()}
    (path / "doc_hashes.json").write_text(json.dumps(pinned), encoding="utf-8")
    return pinned


def _load_pin(path: Path) -> dict[str, str] | None:
    try:
        return json.loads((path / "doc_hashes.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _summarise(records: dict[str, dict[str, Any]]) -> tuple[list[str], frozenset[str]]:
    dates = sorted(d for r in records.values() if (d := r.get("date", "")) and d[:4].isdigit())
    meta = frozenset(t for r in records.values() for t in tokenize(f"{r.get('publisher', '')} {r.get('author', '')}"))
    return dates, meta
