"""When: a date mention bound to the asked event, or the article's dateline for the
events of its lead (news convention)."""

from __future__ import annotations

import re

from assistant.answer.binding import frame_score, mentions_in, proximity
from assistant.answer.evidence import Candidate, Evidence, Sent
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.registry import register
from assistant.models import Document, Mention, QuestionKind
from assistant.text.folding import fold

#: Sentences (best first) searched for a date. Set by hand.
DATE_SENTENCES = 12
#: Weights of a date candidate beyond its sentence's evidence score: how well its frame
#: matches the question, and how near it stands to the question's words. Set by hand on
#: eval/seeds.jsonl.
W_FRAME, W_PROXIMITY = 0.25, 0.1
#: A dateline date stands in for a lead sentence (index <= this) that has no date of its
#: own, a little below the sentence's own score. Set by hand.
LEAD_SENTENCES, DATELINE_DISCOUNT = 3, 0.05
#: A dateline: a date within the first few characters of one of the first sentences,
#: which is short. Set by hand on news datelines ("October 28, Outlet.").
DATELINE_SENTENCES, DATELINE_OFFSET, DATELINE_MAX_CHARS = 4, 5, 80
_MONTH_WORD = re.compile(
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan\.|feb\.|mar\.|apr\.|jun\.|jul\.|aug\.|sep\.|sept\.|oct\.|nov\.|dec\.")


def dateline(doc: Document) -> tuple[Sent, Mention] | None:
    """The article's dateline date and the sentence it stands in, if it has one."""
    for idx, (s, e) in enumerate(doc.sentences[:DATELINE_SENTENCES]):
        for m in doc.mentions:
            if m.kind == "DATE" and s <= m.start < e and m.start - s < DATELINE_OFFSET and e - s < DATELINE_MAX_CHARS:
                return Sent(doc, s, e, idx, 0.0, 0), m
    return None


@register(QuestionKind.DATE)
class DateKind(TypedKind):
    def candidates(self, ev: Evidence) -> list[Candidate]:
        qa = ev.qa
        out: list[Candidate] = []
        for st in ev.sents[:DATE_SENTENCES]:
            ms = mentions_in(st, {"DATE"})
            for m in ms:
                if any(fold(m.text) == fold(y) for y in qa.years) or fold(m.text) in fold(qa.text):
                    continue  # restating the question's own date is not an answer
                if qa.granularity == "year" and not re.search(r"\b\d{4}\b", m.text):
                    continue
                if qa.granularity in ("day", "month") and not _MONTH_WORD.search(m.text.lower()):
                    continue
                fs = frame_score(ev.corpus, qa, m)
                score = st.score + W_FRAME * fs + W_PROXIMITY * proximity(qa, st, m)
                out.append(Candidate(m.text, st, m.start, m.end, score, key=m.value or fold(m.text), mention=m))
            if not ms and st.index <= LEAD_SENTENCES:
                dl = dateline(st.doc)
                if dl is not None:
                    dst, m = dl
                    # The dateline dates the events of the lead paragraph (news convention).
                    out.append(Candidate(m.text, dst, m.start, m.end, st.score - DATELINE_DISCOUNT, key=m.value,
                                         mention=m, extra_cites=[(st.doc, st.start, st.end)],
                                         note="the article's dateline"))
        return out
