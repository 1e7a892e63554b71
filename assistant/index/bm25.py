"""BM25 over chunks (Robertson & Zaragoza 2009, Lucene variant), on the tokens of
``assistant.text.tokens``.

``bm25s`` builds and saves the index at ingest: a token x chunk matrix of precomputed
scores in CSC form. Questions read the saved arrays memory-mapped and add up the
columns of the query's tokens exactly as ``bm25s`` does (``np.add.at``, in token
order, float32: the same scores to the bit), so answering never imports ``bm25s`` or
SciPy and a large index opens without reading its scores.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: The files ``bm25s`` writes and ``load`` reads.
_DATA, _INDICES, _INDPTR = "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"
_VOCAB, _PARAMS = "vocab.index.json", "params.index.json"


class BM25Index:
    """The saved score matrix (CSC arrays), its vocabulary, and the chunk ids in row order."""

    def __init__(self, ids: list[str], vocab: dict[str, int] | None = None, data: np.ndarray | None = None,
                 indices: np.ndarray | None = None, indptr: np.ndarray | None = None,
                 dtype: str = "float32", model: object | None = None) -> None:
        self.ids = ids
        self._vocab = vocab or {}
        self._data, self._indices, self._indptr = data, indices, indptr
        self._dtype = np.dtype(dtype)
        self._model = model  # the bm25s object, kept only until ``save`` after a build
        self._df = np.diff(indptr) if indptr is not None else np.zeros(0, np.int64)

    @property
    def empty(self) -> bool:
        return self._indptr is None or not self.ids

    def df(self, token: str) -> int:
        """Number of chunks containing ``token``."""
        i = self._vocab.get(token)
        return int(self._df[i]) if i is not None and i < len(self._df) else 0

    def prefix_df(self, prefix: str) -> int:
        """Number of vocabulary tokens starting with ``prefix`` (only used for rare misses)."""
        return sum(1 for t in self._vocab if t.startswith(prefix))

    @classmethod
    def build(cls, ids: Sequence[str], token_lists: Sequence[list[str]]) -> BM25Index:
        import bm25s

        ids = list(ids)
        if not ids:
            return cls([])
        model = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        # An empty chunk would make bm25s drop it and shift every later id.
        model.index([t or ["\x00empty"] for t in token_lists], show_progress=False)
        s = model.scores
        return cls(ids, dict(model.vocab_dict), np.asarray(s["data"]), np.asarray(s["indices"]),
                   np.asarray(s["indptr"]), str(model.dtype), model)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(path))  # type: ignore[attr-defined]
        tmp = path / "ids.json.tmp"
        tmp.write_text(json.dumps(self.ids))
        tmp.replace(path / "ids.json")

    @classmethod
    def load(cls, path: Path, *, mmap: bool = False) -> BM25Index:
        """The index saved at ``path``; ``mmap`` maps its score arrays instead of reading
        them (pages are read as queries touch them: an index opens in milliseconds)."""
        ids = json.loads((path / "ids.json").read_text())
        if not ids:
            return cls([])
        params = json.loads((path / _PARAMS).read_text())
        if params.get("method") != "lucene" or (path / "nonoccurrence_array.index.npy").exists():
            raise ValueError(f"unexpected BM25 variant {params.get('method')!r} in {path}")
        mode = "r" if mmap else None
        return cls(ids, json.loads((path / _VOCAB).read_text(encoding="utf-8")),
                   np.load(path / _DATA, mmap_mode=mode), np.load(path / _INDICES, mmap_mode=mode),
                   np.load(path / _INDPTR, mmap_mode=mode), params.get("dtype", "float32"))

    def scores(self, token_ids: Sequence[int]) -> np.ndarray:
        """Each chunk's BM25 score for the tokens ``token_ids`` (bm25s's own summation)."""
        out = np.zeros(len(self.ids), dtype=self._dtype)
        indptr = self._indptr
        for t in token_ids:
            start, end = int(indptr[t]), int(indptr[t + 1])  # type: ignore[index]
            np.add.at(out, self._indices[start:end], self._data[start:end])  # type: ignore[index]
        return out

    def search(self, query_tokens: list[str], k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row in ``ids``, score) best first; rows outside ``mask`` are never returned."""
        if self.empty or not query_tokens:
            return []
        known = [t for t in query_tokens if t in self._vocab]
        if not known:
            return []
        scores = self.scores([self._vocab[t] for t in known])
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
