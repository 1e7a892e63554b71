"""The metadata both framework adapters attach to a passage: its citation fields, its
scores and its rank. Free of any framework, so either adapter imports it alone."""

from __future__ import annotations

from typing import Any

from assistant.models import Passage

#: Fields a framework should neither embed nor show its LLM: offsets, ids and scores
#: (numbers that mean nothing to a model, and change the embedding of the same text).
MACHINE_KEYS = ("chunk_id", "start", "end", "sentence_start", "sentence_end", "score", "dense_score",
                "bm25_score", "phrase_score", "rank")


def passage_metadata(p: Passage) -> dict[str, Any]:
    """A passage's citation fields (document, title, publisher, date, offsets, the sentence
    it matched on), its fused score and each retriever's (``phrase_score``: the share of a
    quoted phrase of the question it holds, 0 without one), and its rank."""
    return {
        "doc_id": p.doc_id, "chunk_id": p.chunk_id, "title": p.title, "publisher": p.publisher, "date": p.date,
        "start": p.start, "end": p.end, "sentence": p.sentence,
        "sentence_start": p.sentence_start, "sentence_end": p.sentence_end,
        "score": p.score, "dense_score": p.scores.get("dense", 0.0), "bm25_score": p.scores.get("bm25", 0.0),
        "phrase_score": p.scores.get("phrase", 0.0), "rank": p.rank,
    }
