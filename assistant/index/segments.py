"""One immutable segment of the keyword index: inverted postings with raw term
frequencies, chunk lengths, a forward list of each chunk's terms, and the exact-offset
chunk table (chunk id, document, start, end) of its rows.

A segment is written once, into a directory of ``.npy`` arrays, and never changed:
deleting a chunk is recorded beside it (``Deletions``) and dropped when segments are
merged, as in Lucene and Tantivy. Arrays are memory-mapped when read, so opening a
segment reads none of its postings.

Term ids are global (``keyword.Vocabulary``), so segments can be merged by
concatenating their postings.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_ARRAYS = ("terms", "indptr", "rows", "tf", "doc_len", "fwd_indptr", "fwd_terms", "chunk_doc", "chunk_start",
           "chunk_end")
#: Largest stored term frequency (uint16); a 200-token chunk never comes near it.
_TF_MAX = np.iinfo(np.uint16).max


@dataclass
class ChunkRef:
    """One chunk to index: where it is, and its search tokens as global term ids."""

    chunk_id: str
    doc_id: str
    start: int
    end: int
    term_ids: np.ndarray  # int, one per token (repeats kept: they are the term frequency)


class Segment:
    """The arrays of one segment (see the module docstring); rows are 0..n_rows-1."""

    def __init__(self, path: Path, arrays: dict[str, np.ndarray], chunk_ids: list[str], doc_names: list[str]) -> None:
        self.path = path
        self.name = path.name
        self.terms = arrays["terms"]  # sorted global term ids present here
        self.indptr = arrays["indptr"]  # postings of terms[i]: rows/tf[indptr[i]:indptr[i+1]]
        self.rows = arrays["rows"]
        self.tf = arrays["tf"]
        self.doc_len = arrays["doc_len"]  # tokens per chunk (at least 1, as bm25s counts an empty chunk)
        self.fwd_indptr = arrays["fwd_indptr"]  # distinct terms of row r: fwd_terms[fwd_indptr[r]:...]
        self.fwd_terms = arrays["fwd_terms"]
        self.chunk_doc = arrays["chunk_doc"]  # row -> index into doc_names
        self.chunk_start = arrays["chunk_start"]
        self.chunk_end = arrays["chunk_end"]
        self.chunk_ids = chunk_ids
        self.doc_names = doc_names
        self._doc_number: dict[str, int] | None = None

    @property
    def n_rows(self) -> int:
        return len(self.doc_len)

    @property
    def len_sum(self) -> int:
        return int(self.doc_len.sum())

    # -- reading ---------------------------------------------------------------------------
    def _slot(self, term_id: int) -> int:
        i = int(np.searchsorted(self.terms, term_id))
        return i if i < len(self.terms) and int(self.terms[i]) == term_id else -1

    def df(self, term_id: int) -> int:
        """Rows of this segment holding ``term_id`` (deleted ones included)."""
        i = self._slot(term_id)
        return int(self.indptr[i + 1] - self.indptr[i]) if i >= 0 else 0

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, term frequencies) of ``term_id``, or None."""
        i = self._slot(term_id)
        if i < 0:
            return None
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.rows[a:b], self.tf[a:b]

    def rows_of_docs(self, doc_ids: Sequence[str]) -> np.ndarray:
        """Rows (sorted) of the chunks of ``doc_ids``."""
        if self._doc_number is None:
            self._doc_number = {d: n for n, d in enumerate(self.doc_names)}
        wanted = [self._doc_number[d] for d in doc_ids if d in self._doc_number]
        if not wanted:
            return np.zeros(0, np.int64)
        return np.flatnonzero(np.isin(self.chunk_doc, np.asarray(wanted, np.int32)))

    def terms_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """The distinct terms of each of ``rows``, concatenated (a term once per row)."""
        if len(rows) == 0:
            return np.zeros(0, np.int64)
        return np.concatenate([self.fwd_terms[int(self.fwd_indptr[r]): int(self.fwd_indptr[r + 1])] for r in rows])

    # -- writing -----------------------------------------------------------------------------
    @classmethod
    def write(cls, path: Path, chunks: Sequence[ChunkRef]) -> Segment:
        """Build a segment from ``chunks`` into the new directory ``path`` (atomically)."""
        n = len(chunks)
        lens = np.fromiter((len(c.term_ids) for c in chunks), np.int64, count=n)
        flat = np.concatenate([np.asarray(c.term_ids, np.int64) for c in chunks]) if n else np.zeros(0, np.int64)
        row_of_tok = np.repeat(np.arange(n, dtype=np.int64), lens)
        key, tf = np.unique(flat * max(n, 1) + row_of_tok, return_counts=True)
        names: dict[str, int] = {}
        doc = np.fromiter((names.setdefault(c.doc_id, len(names)) for c in chunks), np.int32, count=n)
        return cls._save(path, key // max(n, 1), key % max(n, 1), tf, np.maximum(lens, 1), doc,
                         np.fromiter((c.start for c in chunks), np.int64, count=n),
                         np.fromiter((c.end for c in chunks), np.int64, count=n),
                         [c.chunk_id for c in chunks], list(names))

    @classmethod
    def merge(cls, path: Path, parts: Sequence[tuple[Segment, np.ndarray]]) -> Segment:
        """One segment holding the rows of ``parts`` (segment, its deleted rows) that are
        not deleted, in order: postings are concatenated, deleted rows dropped."""
        terms_l, rows_l, tf_l, len_l, doc_l, start_l, end_l, ids, names = [], [], [], [], [], [], [], [], []
        number: dict[str, int] = {}
        base = 0
        for seg, deleted in parts:
            live = np.ones(seg.n_rows, bool)
            live[np.asarray(deleted, np.int64)] = False
            new_row = np.cumsum(live) - 1 + base  # old row -> merged row (for live rows)
            post_terms = np.repeat(np.asarray(seg.terms, np.int64), np.diff(np.asarray(seg.indptr)))
            keep = live[seg.rows]
            terms_l.append(post_terms[keep])
            rows_l.append(new_row[np.asarray(seg.rows)[keep]])
            tf_l.append(np.asarray(seg.tf)[keep])
            len_l.append(np.asarray(seg.doc_len)[live])
            remap = np.fromiter((number.setdefault(d, len(number)) for d in seg.doc_names), np.int32,
                                count=len(seg.doc_names))
            doc_l.append(remap[np.asarray(seg.chunk_doc)[live]] if len(remap) else np.zeros(0, np.int32))
            start_l.append(np.asarray(seg.chunk_start)[live])
            end_l.append(np.asarray(seg.chunk_end)[live])
            ids.extend(cid for cid, ok in zip(seg.chunk_ids, live.tolist(), strict=True) if ok)
            base += int(live.sum())
        names = list(number)
        terms, rows, tf = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (terms_l, rows_l, tf_l))
        order = np.lexsort((rows, terms))
        doc_all = np.concatenate(doc_l) if doc_l else np.zeros(0, np.int32)
        # Documents no live row refers to any more are dropped from the names.
        used = np.unique(doc_all)
        renum = np.full(len(names), -1, np.int32)
        renum[used] = np.arange(len(used), dtype=np.int32)
        return cls._save(path, terms[order], rows[order], tf[order], np.concatenate(len_l) if len_l else
                         np.zeros(0, np.int64), renum[doc_all] if len(doc_all) else doc_all,
                         np.concatenate(start_l) if start_l else np.zeros(0, np.int64),
                         np.concatenate(end_l) if end_l else np.zeros(0, np.int64), ids, [names[i] for i in used])

    @classmethod
    def _save(cls, path: Path, post_terms: np.ndarray, post_rows: np.ndarray, tf: np.ndarray, doc_len: np.ndarray,
              chunk_doc: np.ndarray, starts: np.ndarray, ends: np.ndarray, chunk_ids: list[str],
              doc_names: list[str]) -> Segment:
        """Write postings given as (term, row, tf) triples sorted by term then row."""
        n = len(doc_len)
        terms, first = np.unique(post_terms, return_index=True)
        indptr = np.append(first, len(post_terms)).astype(np.int64)
        order = np.lexsort((post_terms, post_rows))  # by row, then term: the forward lists
        fwd_terms = post_terms[order]
        fwd_indptr = np.searchsorted(post_rows[order], np.arange(n + 1)).astype(np.int64)
        arrays = {
            "terms": terms.astype(np.int32), "indptr": indptr, "rows": post_rows.astype(np.int32),
            "tf": np.minimum(tf, _TF_MAX).astype(np.uint16), "doc_len": doc_len.astype(np.int32),
            "fwd_indptr": fwd_indptr, "fwd_terms": fwd_terms.astype(np.int32),
            "chunk_doc": chunk_doc.astype(np.int32), "chunk_start": starts.astype(np.int64),
            "chunk_end": ends.astype(np.int64),
        }
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", arr)
        (tmp / "chunks.json").write_text(json.dumps({"ids": chunk_ids, "docs": doc_names}, ensure_ascii=False),
                                         encoding="utf-8")
        tmp.rename(path)
        return cls(path, arrays, chunk_ids, doc_names)

    @classmethod
    def load(cls, path: Path) -> Segment:
        """The segment at ``path``, its arrays memory-mapped."""
        arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
        meta = json.loads((path / "chunks.json").read_text(encoding="utf-8"))
        if len(meta["ids"]) != len(arrays["doc_len"]):
            raise ValueError(f"{path}: {len(meta['ids'])} chunk ids for {len(arrays['doc_len'])} rows")
        return cls(path, arrays, meta["ids"], meta["docs"])


@dataclass
class Deletions:
    """The deleted rows of one segment, with what they took from the corpus statistics:
    the number of deleted rows holding each term, and their summed length."""

    rows: np.ndarray  # sorted local rows
    terms: np.ndarray  # sorted term ids ...
    counts: np.ndarray  # ... and how many deleted rows held each
    len_sum: int

    @classmethod
    def none(cls) -> Deletions:
        z = np.zeros(0, np.int64)
        return cls(z, z, z, 0)

    def df(self, term_id: int) -> int:
        i = int(np.searchsorted(self.terms, term_id))
        return int(self.counts[i]) if i < len(self.terms) and int(self.terms[i]) == term_id else 0

    def plus(self, seg: Segment, rows: np.ndarray) -> Deletions:
        """These deletions and ``rows`` of ``seg`` (rows already deleted are ignored)."""
        new = np.setdiff1d(np.asarray(rows, np.int64), self.rows)
        if len(new) == 0:
            return self
        terms, counts = np.unique(seg.terms_of_rows(new), return_counts=True)
        all_terms = np.concatenate([self.terms, terms])
        all_counts = np.concatenate([self.counts, counts])
        merged, inverse = np.unique(all_terms, return_inverse=True)
        summed = np.bincount(inverse, weights=all_counts, minlength=len(merged)).astype(np.int64)
        return Deletions(np.union1d(self.rows, new), merged, summed,
                         self.len_sum + int(np.asarray(seg.doc_len)[new].sum()))

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, rows=self.rows, terms=self.terms, counts=self.counts, len_sum=np.int64(self.len_sum))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Deletions:
        with np.load(path) as z:
            return cls(z["rows"], z["terms"], z["counts"], int(z["len_sum"]))
