"""Timeline of X: the dated events about X across the articles, in date order, each
cited (``views.events``)."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.evidence import Candidate, Evidence
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.parts import multi, quoted
from assistant.answer.kinds.registry import register
from assistant.answer.views import VIEW_PASSAGES, Event, events
from assistant.models import QuestionKind

#: A timeline needs at least this many dated events (one date is a date question).
MIN_EVENTS = 2


@register(QuestionKind.TIMELINE)
class TimelineKind(TypedKind):
    passages = VIEW_PASSAGES
    #: Each event's sentence must keep the question's names (checked per event).
    binds_names = False

    def candidates(self, ev: Evidence) -> list[Candidate]:
        found = events(ev.corpus, ev.qa, ev.sents)
        if len(found) < MIN_EVENTS:
            return []
        docs = {d.doc_id: d for d in (ev.corpus.doc(e.doc_id) for e in found) if d is not None}
        parts = [(docs[e.doc_id], e.start, e.end) for e in found if e.doc_id in docs]
        score = sum(e.relevance for e in found) / len(found)
        first, last = found[0], found[-1]
        cand = multi(f"{len(found)} dated events, {first.when} to {last.when}", parts, score,
                     span=(first.date_start, first.date_end), items=found)
        return [cand]

    def why_none(self, ev: Evidence) -> str:
        return "the closest passages give fewer than two dated events about it"

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        found: list[Event] = getattr(cand, "items", [])
        lines = [f"Timeline ({len(found)} dated events, oldest first):"]
        for e, n in zip(found, cite_ns, strict=False):
            doc = ev.corpus.doc(e.doc_id)
            if doc is None:
                continue
            lines.append(f"- {e.label}: {quoted(doc, e.start, e.end)} [{n}]")
        return "\n".join(lines)
