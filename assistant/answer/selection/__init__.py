"""Learned selection of the document, the sentence and the reply (see ``selector``)."""

from __future__ import annotations

from dataclasses import replace

from assistant.answer.compose import abstain, citation
from assistant.answer.corpus import Corpus
from assistant.answer.selection.selector import Selection, select
from assistant.models import Answer, Passage

__all__ = ["Selection", "reply", "select"]


def _rule_reason(rule: Answer) -> str:
    first = rule.text.split("\n", 1)[0]
    return first.removeprefix("The corpus does not say: ").rstrip(".") if rule.abstained else ""


def reply(sel: Selection, rule: Answer, corpus: Corpus, shown: list[Passage]) -> Answer:
    """The answer learned selection gives: the rule pipeline's typed answer, the chosen
    sentence itself (with the typed answer highlighted when it stands in it), or an
    abstention; each with the calibrated confidence."""
    retrieved = [d for d, _ in sel.documents] or rule.retrieved
    base = dict(question=rule.question, rewritten=rule.rewritten, notice=rule.notice, kind=rule.kind,
                retrieved=retrieved)
    if sel.abstain or sel.doc is None:
        why = _rule_reason(rule) or f"the evidence found is too weak (confidence {sel.confidence:.2f})"
        return replace(abstain(corpus, shown, why, **base), confidence=sel.confidence, calibrated=True)
    if sel.use_typed:
        return replace(rule, confidence=sel.confidence, retrieved=retrieved, calibrated=sel.kept != "metadata")
    doc, s, e = sel.doc, sel.start, sel.end
    typed = rule.citations[0] if rule.citations and not rule.abstained else None
    span = (typed.answer_start, typed.answer_end) if typed is not None and typed.doc_id == doc.doc_id else None
    cite = citation(1, doc, s, e, sel.confidence, span)
    sentence = doc.text[s:e]
    return Answer(text=f"“{' '.join(sentence.split())}” [1]", answer=sentence, kind=rule.kind, abstained=False,
                  citations=[cite], confidence=sel.confidence, question=rule.question, rewritten=rule.rewritten,
                  notice=rule.notice, retrieved=retrieved, calibrated=True)
