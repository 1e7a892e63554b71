"""The reply: the chosen answer with numbered citations to exact sentences, all the
sources when they disagree, or a plain "the corpus does not say" with the closest
passages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.answer.corpus import Corpus
from assistant.answer.evidence import Candidate, Evidence
from assistant.answer.kinds.base import AnswerKind, clip
from assistant.models import Answer, Citation, Conflict, Document, Passage
from assistant.text.dates import show_date

#: Characters of each closest passage shown under an abstention.
PASSAGE_CLIP = 160


def citation(n: int, doc: Document, s: int, e: int, score: float, span: tuple[int, int] | None = None) -> Citation:
    """Citation ``n`` of ``doc.text[s:e]``, with the answer's offsets if they lie inside it."""
    a_s, a_e = span if span and s <= span[0] and span[1] <= e else (-1, -1)
    return Citation(n=n, doc_id=doc.doc_id, title=doc.title, publisher=doc.publisher, date=doc.date,
                    quote=doc.text[s:e], start=s, end=e, score=round(score, 4), answer_start=a_s,
                    answer_end=a_e)


class _Citations:
    """Numbered citations; citing the same sentence twice gives the same number."""

    def __init__(self) -> None:
        self.items: list[Citation] = []

    def cite(self, doc: Document, s: int, e: int, score: float, span: tuple[int, int] | None = None) -> int:
        for c in self.items:
            if c.doc_id == doc.doc_id and c.start == s:
                return c.n
        self.items.append(citation(len(self.items) + 1, doc, s, e, score, span))
        return len(self.items)


def compose(ev: Evidence, answer_kind: AnswerKind, cand: Candidate, conflicts: Sequence[Candidate],
            **base: Any) -> Answer:
    """The answer for ``cand`` (or, when sources disagree, for all of ``conflicts``)."""
    cites = _Citations()
    confidence = round(max(0.0, min(1.0, cand.score)), 3)
    if conflicts:
        parts = []
        conf_list = []
        for c in conflicts:
            doc = c.sent.doc
            n = cites.cite(doc, c.sent.start, c.sent.end, c.score, (c.start, c.end))
            src = ", ".join(x for x in (doc.publisher or doc.title or doc.doc_id, show_date(doc.date)) if x)
            parts.append(f"{c.value} ({src}) [{n}]")
            conf_list.append(Conflict(value=c.value, citation=n, doc_id=doc.doc_id, publisher=doc.publisher,
                                      date=doc.date))
        text = "Sources differ: " + "; ".join(parts) + "."
        return Answer(text=text, answer=cand.value, citations=cites.items, abstained=False,
                      confidence=confidence, conflicts=conf_list, **base)
    st = cand.sent
    span = (cand.start, cand.end)
    ns = [cites.cite(st.doc, st.start, st.end, cand.score, span)]
    ns += [cites.cite(d, s, e, cand.score, span) for d, s, e in cand.extra_cites]
    markers = "".join(f"[{i}]" for i in ns)
    text = answer_kind.reply(ev, cand, markers, ns)
    return Answer(text=text, answer=cand.value, citations=cites.items, abstained=False, confidence=confidence,
                  **base)


def abstain(corpus: Corpus, passages: Sequence[Passage], why: str, **base: Any) -> Answer:
    """"The corpus does not say", why, and the closest passages for the reader to judge."""
    citations = []
    lines = [f"The corpus does not say: {why}."]
    if passages:
        lines.append("Closest passages:")
    for i, p in enumerate(passages, start=1):
        doc = corpus.doc(p.doc_id)
        if doc is None:
            continue
        citations.append(citation(i, doc, p.sentence_start, p.sentence_end, p.score))
        lines.append(f"[{i}] “{clip(p.sentence, PASSAGE_CLIP)}” ({doc.publisher or doc.title or doc.doc_id})")
    return Answer(text="\n".join(lines), answer="", abstained=True, citations=citations, confidence=0.0,
                  passages=list(passages), **base)
