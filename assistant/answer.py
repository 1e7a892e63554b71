"""Placeholder answerer (replaced by the extractive answerer)."""
from __future__ import annotations

from typing import Any

from .models import Answer, Citation


class Answerer:
    def __init__(self, retriever: Any, local: Any, llm: Any = None) -> None:
        self.retriever = retriever
        self.local = local

    def ask(self, question: str, history: Any = None, filters: Any = None, k: int = 5) -> Answer:
        ps = self.retriever.retrieve(question, k=k, filters=filters)
        if not ps:
            return Answer("The corpus does not say.", "", "other", True)
        p = ps[0]
        c = Citation(1, p.doc_id, p.title, p.publisher, p.date, p.sentence, p.sentence_start, p.sentence_end, p.score)
        return Answer(p.sentence + " [1]", p.sentence, "other", False, [c], p.score, question,
                      retrieved=[x.doc_id for x in ps])
