"""Any other question: the best evidence sentences themselves, quoted."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.evidence import Candidate, Evidence
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.registry import register
from assistant.models import QuestionKind

#: Best sentences offered as candidates. Set by hand.
SENTENCES = 3


@register(QuestionKind.OTHER)
class SentenceKind(TypedKind):
    def candidates(self, ev: Evidence) -> list[Candidate]:
        return [Candidate(st.text, st, st.start, st.end, st.score) for st in ev.sents[:SENTENCES]]

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        return f"“{cand.value}” {markers}"
