"""BM25 over chunks (Robertson & Zaragoza 2009, Lucene variant via ``bm25s``), on the
tokens of ``assistant.text.tokens``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class BM25Index:
    """A persisted bm25s index plus the chunk ids in index order."""

    def __init__(self, model: object | None, ids: list[str]) -> None:
        self.model = model
        self.ids = ids
        self._vocab: dict[str, int] = getattr(model, "vocab_dict", {}) or {}
        self._df = _df_table(model) if model is not None else np.zeros(0, np.int64)

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
            return cls(None, [])
        model = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        # An empty chunk would make bm25s drop it and shift every later id.
        model.index([t or ["\x00empty"] for t in token_lists], show_progress=False)
        return cls(model, ids)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if self.model is not None:
            self.model.save(str(path))
        tmp = path / "ids.json.tmp"
        tmp.write_text(json.dumps(self.ids))
        tmp.replace(path / "ids.json")

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        import bm25s

        ids = json.loads((path / "ids.json").read_text())
        if not ids:
            return cls(None, [])
        model = bm25s.BM25.load(str(path), mmap=False, show_progress=False)
        return cls(model, ids)

    def search(self, query_tokens: list[str], k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row in ``ids``, score) best first; rows outside ``mask`` are never returned."""
        if self.model is None or not query_tokens:
            return []
        known = [t for t in query_tokens if t in self._vocab]
        if not known:
            return []
        ids = [self._vocab[t] for t in known]
        scores = self.model.get_scores(ids)  # type: ignore[attr-defined]
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def _df_table(model: object) -> np.ndarray:
    indptr = np.asarray(model.scores["indptr"])  # type: ignore[attr-defined]
    return np.diff(indptr)
