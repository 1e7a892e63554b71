"""A filtered vector query Chroma's plan cannot answer ("Error finding id", seen while an
ingest writes) is tried again, then answered from the unfiltered neighbours filtered here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import IndexCorrupt
from assistant.index import where as where_mod
from assistant.index.store import Store
from assistant.index.where import matches

PLAN_ERROR = "Error executing plan: Internal error: Error finding id"
#: The forms ``Retriever.resolve_filters`` writes.
DATED = {"$and": [{"date_int": {"$gte": 20240610}}, {"date_int": {"$lte": 20240613}}]}


def test_matches_reads_the_retrievers_where_forms():
    meta = {"doc_id": "a", "publisher": "Pozirk", "date_int": 20240611}
    assert matches(meta, DATED)
    assert not matches({**meta, "date_int": 20240614}, DATED)
    assert not matches({**meta, "date_int": None}, DATED)
    assert matches(meta, {"doc_id": {"$in": ["a", "b"]}}) and not matches(meta, {"doc_id": {"$in": ["b"]}})
    assert matches(meta, {"$and": [{"publisher": {"$in": ["Pozirk"]}}, DATED]})
    assert matches(meta, {"publisher": "Pozirk"}) and not matches(meta, {"publisher": "Other"})
    with pytest.raises(ValueError):
        matches(meta, {"date_int": {"$ne": 1}})


class FlakyChunks:
    """Chroma's chunk collection whose filtered plan fails ``fails`` times (or always)."""

    def __init__(self, fails: int, message: str = PLAN_ERROR) -> None:
        self.fails, self.message, self.calls = fails, message, []
        self.rows = [("c1", 0.1, {"date_int": 20230101}), ("c2", 0.2, {"date_int": 20240611}),
                     ("c3", 0.3, {"date_int": 20240612})]

    def query(self, query_embeddings, n_results, where=None, include=()):
        self.calls.append((n_results, where))
        if where is not None and self.fails != 0:
            self.fails -= 1
            raise RuntimeError(self.message)
        rows = [r for r in self.rows if where is None or matches(r[2], where)][:n_results]
        return {"ids": [[r[0] for r in rows]], "distances": [[r[1] for r in rows]],
                "metadatas": [[r[2] for r in rows]]}


@pytest.fixture
def no_pauses(monkeypatch):
    monkeypatch.setattr(where_mod, "FILTERED_RETRY_PAUSES", (0.0, 0.0, 0.0))


def _store(chunks: FlakyChunks, tmp_path: Path) -> Store:
    return Store(None, Settings(index_dir=tmp_path, chroma_url=""), chunks, None)


def test_a_filtered_query_is_tried_again(no_pauses, tmp_path):
    chunks = FlakyChunks(fails=2)
    out = _store(chunks, tmp_path).query(np.ones(3), 5, DATED)
    assert [c for c, _ in out] == ["c2", "c3"]
    assert [w for _, w in chunks.calls] == [DATED, DATED, DATED]


def test_a_filter_chroma_never_answers_is_applied_to_the_nearest_chunks(no_pauses, tmp_path):
    chunks = FlakyChunks(fails=-1)
    out = _store(chunks, tmp_path).query(np.ones(3), 2, DATED)
    assert [c for c, _ in out] == ["c2", "c3"] and out[0][1] == pytest.approx(0.8)
    assert chunks.calls[-1] == (2 * where_mod.FILTERED_FALLBACK_FACTOR, None)
    assert len(chunks.calls) == len(where_mod.FILTERED_RETRY_PAUSES) + 2


def test_another_failure_is_reported_at_once(no_pauses, tmp_path):
    chunks = FlakyChunks(fails=-1, message="disk I/O error")
    with pytest.raises(IndexCorrupt, match="disk I/O error"):
        _store(chunks, tmp_path).query(np.ones(3), 2, DATED)
    assert len(chunks.calls) == 1
