"""Learned selection: choose the document, then the sentence, then whether the rule
pipeline's short answer or the sentence itself is the reply, with a calibrated confidence.

1. The retrieved documents are re-ranked by a stacked logistic regression: stage 1 reads
   retrieval scores and word, name and number overlap; stage 2 adds how far each document's
   date lies from the date the question is asked (off when no retrieved document is near it).
2. The sentences of the top documents' passages are ranked by another.
3. Two more estimate the probability that the top sentence, and that the rule pipeline's
   typed answer, contains the answer; the likelier is the reply ("a wrong short answer is
   worse than a right sentence"), and an isotonic map turns its probability into the
   answer's confidence. Below the threshold chosen on validation, the reply is an abstention.

Pure given the models: no index, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answer.corpus import Corpus
from assistant.answer.kinds.figure import unit_score
from assistant.answer.learned import SelectionModels, sigmoid
from assistant.answer.question import QuestionAnalysis, QuestionKind
from assistant.answer.selection.features import (
    DocCand,
    doc_features,
    doc_sentences,
    group_passages,
    question_context,
    reply_features,
    sentence_features,
    typed_in,
    with_context,
)
from assistant.models import Answer, Document, Passage

#: Score of a missing runner-up sentence: the top one's minus this (on the log-odds scale).
NO_SECOND = 5.0

#: Quantities a sentence can be checked for: a figure of another quantity cannot answer
#: (``kinds.figure.unit_score`` returns None for it).
CHECKED_UNITS = frozenset({"percent", "money", "length"})


@dataclass
class Selection:
    """What learned selection decided for one question."""

    #: Retrieved documents, best first by the re-ranker, with their probabilities.
    documents: list[tuple[str, float]] = field(default_factory=list)
    #: The chosen sentence (its document and offsets), or None if nothing can be cited.
    doc: Document | None = None
    start: int = -1
    end: int = -1
    p_sentence: float = 0.0
    p_typed: float = 0.0
    use_typed: bool = False
    confidence: float = 0.0
    #: The asked-on date was near some retrieved document (its date features were on).
    dated: bool = False
    abstain: bool = True
    #: Why the rule pipeline's answer was kept whatever the gate preferred ("" if it was not).
    kept: str = ""


def keep_rule_form(qa: QuestionAnalysis, rule: Answer, doc: Document, start: int, end: int,
                   cited: Document | None = None) -> str:
    """Why the rule pipeline's typed answer must be the reply even where the chosen sentence
    scores higher ("" when the gate may choose). The reply models judge a sentence against a
    short answer taken from a sentence; three answers are not of that kind:

    - "metadata": the answer is nowhere in the text of the article the rules cite (``cited``:
      an author from the byline metadata), so no sentence can give it;
    - "conflict": the rules found sources that differ, and the chosen sentence is one of
      theirs: replying with it alone would hide the other sources' values;
    - "quantity": the question asks a sum of money, a share or a length, and the chosen
      sentence holds no figure of that quantity, while the typed answer is one.
    """
    if rule.abstained or not rule.citations:
        return ""
    typed = rule.citations[0]
    if typed.answer_start < 0 and cited is not None and rule.answer and rule.answer not in cited.text:
        return "metadata"
    if rule.conflicts and any(c.doc_id == doc.doc_id and c.start == start and c.end == end for c in rule.citations):
        return "conflict"
    if qa.kind == QuestionKind.FIGURE and qa.unit in CHECKED_UNITS and typed.answer_start >= 0 and not any(
            m.kind == "FIGURE" and start <= m.start and m.end <= end and unit_score(qa, m) is not None
            for m in doc.mentions):
        return "quantity"
    return ""


def rerank(models: SelectionModels, corpus: Corpus, qa: QuestionAnalysis, passages: Sequence[Passage],
           asked_on: str | None) -> tuple[list[DocCand], list[dict[str, float]], list[float], dict[str, Document]]:
    """Candidate documents, their feature rows and re-ranker log-odds (retrieval order)."""
    docs: dict[str, Document] = {}
    for p in passages:
        if p.doc_id not in docs and (d := corpus.doc(p.doc_id)) is not None:
            docs[p.doc_id] = d
    cands = [c for c in group_passages(passages) if c.doc_id in docs]
    rows = doc_features(corpus, qa, cands, docs, asked_on)
    scores = [models.doc_stage2({**r, "z0": models.doc_stage1(r)}) for r in rows]
    return cands, rows, scores, docs


def select(models: SelectionModels, corpus: Corpus, qa: QuestionAnalysis, rule: Answer,
           passages: Sequence[Passage], asked_on: str | None) -> Selection:
    """Learned selection for ``qa`` over ``passages`` (the retriever's, best first), given the
    rule pipeline's answer ``rule``."""
    cands, drows, dsc, docs = rerank(models, corpus, qa, passages, asked_on)
    out = Selection()
    if not cands:
        return out
    order = sorted(range(len(cands)), key=lambda i: (-dsc[i], -drows[i]["r_inv"]))
    out.documents = [(cands[i].doc_id, sigmoid(dsc[i])) for i in order]
    out.dated = any(r["d_noinfo"] == 0.0 for r in drows)
    top_p = sigmoid(dsc[order[0]])
    qc = question_context(qa)
    scored = []
    for rank, i in enumerate(order[: models.top_docs], start=1):
        doc = docs[cands[i].doc_id]
        for idx, s, e in doc_sentences(doc, cands[i].spans):
            row = with_context(sentence_features(corpus, qa, qc, doc, idx, s, e), sigmoid(dsc[i]),
                               top_p - sigmoid(dsc[i]), rank, typed_in(rule, doc.doc_id, s, e), len(doc.sentences))
            scored.append((models.sentence(row), i, idx, s, e, row))
    if not scored:  # documents without sentence spans: nothing to cite
        return out
    scored.sort(key=lambda x: -x[0])
    z1, i, _, s, e, row = scored[0]
    z2 = scored[1][0] if len(scored) > 1 else z1 - NO_SECOND
    doc = docs[cands[i].doc_id]
    last = max(x[2] for x in scored if x[1] == i) + 1
    feats = reply_features(qa, rule, row, sigmoid(z2), drows[i], doc.doc_id, s, e, last, sigmoid(z1))
    out.doc, out.start, out.end = doc, s, e
    out.p_sentence = sigmoid(models.reply_sentence(feats))
    out.p_typed = 0.0 if rule.abstained else sigmoid(models.reply_typed(feats))
    cited = docs.get(rule.citations[0].doc_id) if rule.citations else None
    out.kept = keep_rule_form(qa, rule, doc, s, e, cited)
    if out.kept == "metadata":
        # Nothing the models read describes such an answer: the rules' own confidence stands.
        out.use_typed, out.confidence, out.abstain = True, rule.confidence, False
        return out
    out.use_typed = not rule.abstained and (bool(out.kept) or out.p_typed >= out.p_sentence - models.gate_margin)
    # Sources that differ are shown with the chosen sentence among them: the reply holds the
    # answer whenever that sentence does.
    p = max(out.p_typed, out.p_sentence) if out.kept == "conflict" else (
        out.p_typed if out.use_typed else out.p_sentence)
    out.confidence = round(models.calibration(p), 4)
    out.abstain = out.confidence < models.threshold(out.dated, bool(row["doc_long"]))
    return out
