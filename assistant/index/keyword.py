"""The keyword (BM25) index: segments, updated in time proportional to the change.

Design (the one Lucene and Tantivy use): the index is a list of immutable segments
(``segments.Segment``) plus, per segment, the rows deleted from it since it was written.
A change of N documents deletes their old rows (recorded beside their segments) and
writes their new chunks as one new segment; a manifest naming the segments is replaced
atomically, so a reader in another process sees either the old index or the new one,
and picks the change up by re-reading the manifest (``refresh``) and mapping only the
new files. Scores are computed at question time from raw term frequencies and the
corpus-wide statistics (live chunks, mean length, each term's document frequency summed
over segments less their deleted rows), so every chunk scores as if the whole corpus
had been indexed at once. Segments of similar size are merged ``MERGE_FACTOR`` at a
time (Lucene's tiered policy), dropping deleted rows, after the commit that made the
merge due: queries never wait for a merge, and each posting is rewritten about
log_10(N) times over the life of the index.

Why these arrays rather than the ``tantivy`` bindings (both were measured on the same
chunks, docs/scaling.md): tantivy adds and deletes in time proportional to the change
too, but its BM25 stores lengths in one lossy byte and counts deleted documents until a
merge, so its scores differ from today's; its Python bindings expose no term
dictionary (``prefix_df``), take one writer lock per index and add a 10 MB native
dependency. These arrays keep the project's tokeniser, its exact scores and its
exact-offset chunk table, and query at 1M chunks in a few milliseconds.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import numpy as np

from assistant.index.bm25 import idf, term_scores
from assistant.index.segments import ChunkRef, Deletions, Segment

#: Segments per tier merged into one (Lucene's TieredMergePolicy default segmentsPerTier).
MERGE_FACTOR = 10
#: Segments under this many rows count as one tier (Lucene's floorSegmentMB, 2 MB: about
#: 1,000 chunks of postings here), so small commits merge instead of piling up.
FLOOR_ROWS = 1000
#: A segment with this share of its rows deleted is rewritten alone (Lucene's default
#: deletesPctAllowed is 33%).
RECLAIM_DELETED = 0.33
#: Terms per ``IN (...)`` lookup (well under SQLite's limit on bound variables).
_IN = 500
_MANIFEST = "manifest.json"
_FORMAT = 1


@dataclass(frozen=True)
class KeywordChunk:
    """A chunk as the keyword index takes it: ids, exact offsets, and its search tokens."""

    chunk_id: str
    doc_id: str
    start: int
    end: int
    tokens: Sequence[str]


class KeywordSearch(Protocol):
    """What a question reads from a keyword index (one consistent view of it)."""

    @property
    def n_chunks(self) -> int: ...

    @property
    def empty(self) -> bool: ...

    def df(self, token: str) -> int:
        """Live chunks holding ``token``."""
        ...

    def prefix_df(self, prefix: str) -> int:
        """Vocabulary terms starting with ``prefix`` (non-zero: some chunk uses such a word)."""
        ...

    def search(self, tokens: list[str], k: int, docs: Collection[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first, at most ``k``; only chunks of ``docs`` if given."""
        ...


class KeywordIndex(Protocol):
    """A keyword index that ingest updates and every process reads: local segments
    (``SegmentedIndex``) or a server behind the same calls (``keyword_pg``)."""

    def view(self) -> KeywordSearch | None:
        """The current view, None if the index was never built. A new object after
        every change, so callers may cache per view."""
        ...

    def apply(self, remove_docs: Sequence[str], add: Sequence[KeywordChunk]) -> None:
        """Delete every chunk of ``remove_docs`` and of the documents in ``add`` (which
        holds all the chunks of each: it replaces them), then add ``add``, as one commit."""
        ...

    def reset(self) -> None:
        """Empty the index (before a full rebuild)."""
        ...

    def refresh(self) -> bool:
        """Pick up another process's commits; True if the view changed."""
        ...

    def close(self) -> None: ...


class CountedView:
    """What every backend's view shares: it is sized by its live chunks (``n_chunks``)."""

    n_chunks: int

    @property
    def empty(self) -> bool:
        return self.n_chunks == 0

    @property
    def ids(self) -> range:
        """Sized like the live chunks (``answer.corpus`` reads ``len(ids)``)."""
        return range(self.n_chunks)


V = TypeVar("V")


class LazyView(Generic[V]):
    """What every backend's index shares: its view is read on first use, under its lock
    (``refresh`` reads it, and again whenever the stored index changed)."""

    _lock: threading.RLock
    _view: V | None

    def view(self) -> V | None:
        with self._lock:
            if self._view is None:
                self.refresh()
            return self._view

    def refresh(self) -> bool:
        raise NotImplementedError


class Vocabulary:
    """Global term ids: term -> id in SQLite (``vocab.sqlite``), append-only, so an id once
    read never changes and a process may remember it. Opening reads nothing; a question
    looks up its few terms."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vocab (id INTEGER PRIMARY KEY, term TEXT UNIQUE NOT NULL)")
        self._db.commit()
        self._known: dict[str, int] = {}
        self._lock = threading.Lock()

    def lookup(self, terms: Iterable[str]) -> dict[str, int]:
        """The ids of those of ``terms`` that have one."""
        terms = set(terms)
        with self._lock:
            missing = [t for t in terms if t not in self._known]
            for i in range(0, len(missing), _IN):
                part = missing[i: i + _IN]
                q = f"SELECT term, id FROM vocab WHERE term IN ({','.join('?' * len(part))})"
                self._known.update(self._db.execute(q, part).fetchall())
            return {t: self._known[t] for t in terms if t in self._known}

    def assign(self, terms: Iterable[str]) -> dict[str, int]:
        """Ids for all of ``terms``, new ones made."""
        terms = set(terms)
        have = self.lookup(terms)
        new = [t for t in terms if t not in have]
        if new:
            with self._lock, self._db:
                self._db.executemany("INSERT OR IGNORE INTO vocab(term) VALUES (?)", [(t,) for t in new])
            have.update(self.lookup(new))
        return have

    def count_prefix(self, prefix: str, limit: int = 1000) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM (SELECT 1 FROM vocab WHERE term >= ? AND term < ? LIMIT ?)",
                                   (prefix, prefix + "\U0010ffff", limit)).fetchone()
        return int(row[0])

    def forget(self) -> None:
        with self._lock:
            self._known.clear()

    def close(self) -> None:
        self._db.close()


class SegmentView(CountedView):
    """One consistent state of a ``SegmentedIndex`` (``KeywordSearch``): its segments,
    their deletions, and the corpus statistics of that state."""

    def __init__(self, vocab: Vocabulary, segs: list[Segment], dels: list[Deletions], generation: str) -> None:
        self.vocab = vocab
        self.segments = segs
        self.deletions = dels
        self.generation = generation
        self.offsets = np.cumsum([0] + [s.n_rows for s in segs]).astype(np.int64)
        self.n_chunks = int(sum(s.n_rows - len(d.rows) for s, d in zip(segs, dels, strict=True)))
        total_len = sum(s.len_sum - d.len_sum for s, d in zip(segs, dels, strict=True))
        self.avg_len = total_len / self.n_chunks if self.n_chunks else 1.0
        parts = [d.rows + off for d, off in zip(dels, self.offsets[:-1].tolist(), strict=True) if len(d.rows)]
        self._deleted = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        self._rows: ChunkRows | None = None
        self._df: dict[int, int] = {}

    @property
    def n_segments(self) -> int:
        return len(self.segments)

    @property
    def rows(self) -> ChunkRows:
        """The chunk table of every row in this view (deleted rows included)."""
        if self._rows is None:
            self._rows = ChunkRows(self.segments, self.offsets, self._deleted)
        return self._rows

    def _df_id(self, term_id: int) -> int:
        n = self._df.get(term_id)
        if n is None:
            n = self._df[term_id] = sum(s.df(term_id) - d.df(term_id)
                                        for s, d in zip(self.segments, self.deletions, strict=True))
        return n

    def df(self, token: str) -> int:
        tid = self.vocab.lookup([token]).get(token)
        return self._df_id(tid) if tid is not None else 0

    def prefix_df(self, prefix: str) -> int:
        return self.vocab.count_prefix(prefix)

    def scores(self, tokens: Sequence[str]) -> np.ndarray | None:
        """Every row's BM25 score for ``tokens`` (a repeated token counts again, as in
        bm25s); deleted rows score 0. None when no token is known."""
        ids = self.vocab.lookup(tokens)
        counts = Counter(ids[t] for t in tokens if t in ids)
        if not counts or self.empty:
            return None
        out = np.zeros(int(self.offsets[-1]), np.float32)
        for tid, times in counts.items():
            df = self._df_id(tid)
            if df <= 0:
                continue
            w = float(idf(self.n_chunks, df)) * times
            for seg, off in zip(self.segments, self.offsets.tolist(), strict=False):
                hit = seg.postings(tid)
                if hit is None:
                    continue
                rows, tf = hit
                out[off + rows] += term_scores(tf, seg.doc_len[rows], self.avg_len, w)
        if len(self._deleted):
            out[self._deleted] = 0.0
        return out

    def search_rows(self, tokens: Sequence[str], k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row of this view, score) best first; rows outside ``mask`` are never returned."""
        scores = self.scores(tokens)
        if scores is None:
            return []
        if mask is not None:
            scores = np.where(mask, scores, np.float32(0.0))
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def search(self, tokens: list[str], k: int, docs: Collection[str] | None = None) -> list[tuple[str, float]]:
        mask = self.rows.rows_of_docs(set(docs)) if docs is not None else None
        ids = self.rows.ids
        return [(ids[r], s) for r, s in self.search_rows(tokens, k, mask)]


class DocIds(Sequence[str]):
    """The document id of each row, as a sequence (one small integer per row)."""

    def __init__(self, index: np.ndarray, names: list[str]) -> None:
        self.index = index
        self.names = names

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self.names[j] for j in self.index[i]]
        return self.names[int(self.index[i])]

    def __iter__(self):
        names = self.names
        return (names[j] for j in self.index.tolist())


class ChunkRows:
    """The exact-offset chunk table of a view: chunk id, document, start and end of every
    row, over all segments in order (deleted rows included, and left out of ``row_of``)."""

    def __init__(self, segs: list[Segment], offsets: np.ndarray, deleted: np.ndarray) -> None:
        self.ids: list[str] = [cid for s in segs for cid in s.chunk_ids]
        name_off = np.cumsum([0] + [len(s.doc_names) for s in segs])
        index = np.concatenate([np.asarray(s.chunk_doc, np.int64) + int(o) for s, o in zip(segs, name_off, strict=False)]) \
            if segs else np.zeros(0, np.int64)
        self.doc_ids = DocIds(index, [d for s in segs for d in s.doc_names])
        self.starts = np.concatenate([s.chunk_start for s in segs]) if segs else np.zeros(0, np.int64)
        self.ends = np.concatenate([s.chunk_end for s in segs]) if segs else np.zeros(0, np.int64)
        self.deleted = deleted
        self._row_of: dict[str, int] | None = None

    @property
    def row_of(self) -> dict[str, int]:
        """Live chunk id -> row."""
        if self._row_of is None:
            gone = set(self.deleted.tolist())
            self._row_of = {cid: n for n, cid in enumerate(self.ids) if n not in gone}
        return self._row_of

    def rows_of_docs(self, doc_ids: set[str]) -> np.ndarray:
        """A boolean mask of the rows whose document is in ``doc_ids``."""
        wanted = [n for n, d in enumerate(self.doc_ids.names) if d in doc_ids]
        return np.isin(self.doc_ids.index, np.asarray(wanted, np.int64))


def _tier(rows: int) -> int:
    return 0 if rows < FLOOR_ROWS else 1 + int(math.log(rows / FLOOR_ROWS, MERGE_FACTOR))


class SegmentedIndex(LazyView[SegmentView]):
    """The local ``KeywordIndex``: segments under ``path`` (see the module docstring).
    One process writes at a time (ingest holds its lock); any number read."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            self.vocab = Vocabulary(self.path / "vocab.sqlite")
        except sqlite3.DatabaseError:  # damaged: derived data, so it is started again (and rebuilt)
            import shutil

            shutil.rmtree(self.path, ignore_errors=True)
            self.path.mkdir(parents=True)
            self.vocab = Vocabulary(self.path / "vocab.sqlite")
        self._lock = threading.RLock()
        self._view: SegmentView | None = None
        self._files: list[tuple[str, str | None]] = []  # (segment, deletions file) as in the manifest
        self._stamp: tuple[int, int, int] | None = None
        self._cache: dict[str, Segment] = {}

    # -- reading -----------------------------------------------------------------------------
    def exists(self) -> bool:
        return (self.path / _MANIFEST).exists()

    def refresh(self) -> bool:
        """Re-read the manifest if it changed on disk; segments already mapped are kept."""
        with self._lock:
            for _ in range(5):
                try:
                    st = os.stat(self.path / _MANIFEST)
                except FileNotFoundError:
                    changed = self._view is not None
                    self._view, self._files, self._stamp = None, [], None
                    return changed
                stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
                if stamp == self._stamp and self._view is not None:
                    return False
                try:
                    data = json.loads((self.path / _MANIFEST).read_text(encoding="utf-8"))
                    self._install(data)
                except (FileNotFoundError, ValueError):
                    continue  # replaced while being read (a commit, or its clean-up): read it again
                self._stamp = stamp
                return True
            raise OSError(f"the keyword index at {self.path} kept changing while it was read")

    def _install(self, data: dict) -> None:
        if data.get("format") != _FORMAT:
            raise ValueError(f"keyword index format {data.get('format')!r}")
        segs, dels, files = [], [], []
        for entry in data["segments"]:
            name, dfile = entry["name"], entry.get("deletions")
            seg = self._cache.get(name) or Segment.load(self.path / name)
            segs.append(seg)
            dels.append(Deletions.load(self.path / dfile) if dfile else Deletions.none())
            files.append((name, dfile))
        self._cache = {s.name: s for s in segs}
        self._files = files
        self._view = SegmentView(self.vocab, segs, dels, data["generation"])

    # -- writing -----------------------------------------------------------------------------
    def apply(self, remove_docs: Sequence[str], add: Sequence[KeywordChunk]) -> None:
        with self._lock:
            self.refresh()
            view = self._view
            segs = list(view.segments) if view else []
            dels = list(view.deletions) if view else []
            files = list(self._files)
            gone = sorted(set(remove_docs) | {c.doc_id for c in add})
            for i, seg in enumerate(segs):
                rows = seg.rows_of_docs(gone)
                if len(rows):
                    new = dels[i].plus(seg, rows)
                    if new is not dels[i]:
                        dfile = f"del-{seg.name}-{uuid.uuid4().hex[:8]}.npz"
                        new.save(self.path / dfile)
                        dels[i], files[i] = new, (seg.name, dfile)
            if add:
                seg = self._write_segment(add)
                segs.append(seg)
                dels.append(Deletions.none())
                files.append((seg.name, None))
            self._commit(segs, dels, files)
            self.merge()

    def _write_segment(self, chunks: Sequence[KeywordChunk]) -> Segment:
        ids = self.vocab.assign(t for c in chunks for t in c.tokens)
        refs = [ChunkRef(c.chunk_id, c.doc_id, c.start, c.end,
                         np.fromiter((ids[t] for t in c.tokens), np.int64, count=len(c.tokens))) for c in chunks]
        return Segment.write(self.path / f"seg-{uuid.uuid4().hex[:12]}", refs)

    def _commit(self, segs: list[Segment], dels: list[Deletions], files: list[tuple[str, str | None]]) -> None:
        data = {"format": _FORMAT, "generation": uuid.uuid4().hex,
                "segments": [{"name": n, "deletions": d, "rows": s.n_rows, "deleted": len(x.rows)}
                             for (n, d), s, x in zip(files, segs, dels, strict=True)]}
        tmp = self.path / f"{_MANIFEST}.tmp"
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(self.path / _MANIFEST)
        self._cache = {s.name: s for s in segs}
        self._files = files
        self._view = SegmentView(self.vocab, segs, dels, data["generation"])
        st = os.stat(self.path / _MANIFEST)
        self._stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        self._collect()

    def merge(self, *, everything: bool = False) -> int:
        """Merge what the tiered policy says is due (``everything``: all segments into
        one); returns the number of merges done."""
        done = 0
        with self._lock:
            while self._view is not None:
                segs, dels = self._view.segments, self._view.deletions
                live = [s.n_rows - len(d.rows) for s, d in zip(segs, dels, strict=True)]
                pick: list[int] = []
                if everything:
                    pick = list(range(len(segs))) if len(segs) > 1 or any(len(d.rows) for d in dels) else []
                else:
                    by_tier: dict[int, list[int]] = {}
                    for i, n in enumerate(live):
                        by_tier.setdefault(_tier(n), []).append(i)
                    full = [idx for idx in by_tier.values() if len(idx) >= MERGE_FACTOR]
                    if full:
                        pick = full[0][:MERGE_FACTOR]
                    else:
                        pick = [i for i, (s, d) in enumerate(zip(segs, dels, strict=True))
                                if s.n_rows and len(d.rows) / s.n_rows >= RECLAIM_DELETED][:1]
                if not pick:
                    return done
                merged = Segment.merge(self.path / f"seg-{uuid.uuid4().hex[:12]}",
                                       [(segs[i], dels[i].rows) for i in pick])
                keep = [i for i in range(len(segs)) if i not in pick]
                first = pick[0]
                order = sorted([*keep, first])
                new_segs = [merged if i == first else segs[i] for i in order]
                new_dels = [Deletions.none() if i == first else dels[i] for i in order]
                new_files = [(merged.name, None) if i == first else self._files[i] for i in order]
                self._commit(new_segs, new_dels, new_files)
                done += 1
                if everything:
                    return done
        return done

    def reset(self) -> None:
        with self._lock:
            self._commit([], [], [])

    def _collect(self) -> None:
        """Delete segment and deletion files the manifest no longer names (a reader still
        holding them keeps its mapped copy; one reading the old manifest re-reads it)."""
        named = {n for n, _ in self._files} | {d for _, d in self._files if d}
        for p in self.path.iterdir():
            if re.match(r"(seg|del)-", p.name) and p.name not in named:
                if p.is_dir():
                    import shutil

                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)

    def close(self) -> None:
        self.vocab.close()
