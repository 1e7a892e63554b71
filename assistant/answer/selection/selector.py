"""Learned selection: choose the document, then rank the sentences, and estimate how
likely the best sentence is to hold the answer, with a calibrated confidence.

1. The retrieved documents are re-ranked by a stacked logistic regression: stage 1 reads
   retrieval scores and word, name and number overlap; stage 2 adds how far each document's
   date lies from the date the question is asked (off when no retrieved document is near it).
2. The sentences of the top documents' passages are ranked by another.
3. A third estimates the probability that the top sentence holds the answer; an isotonic
   map turns it into a calibrated confidence. The reader (``assistant.answer.reader``) then
   finds the short answer in the best sentences; below the threshold chosen on training
   data for both, the reply is an abstention.

Pure given the models: no index, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answer.corpus import Corpus
from assistant.answer.learned import SelectionModels, sigmoid
from assistant.answer.question import QuestionAnalysis
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
#: Ranked sentences kept for the reader (it reads ``ReaderModels.sentences`` of them; the
#: training sweep tries up to this many).
RANKED_KEPT = 5


@dataclass(frozen=True)
class Ranked:
    """A sentence the spans compete across: its document, offsets and probabilities
    (from learned selection's sentence ranker and document re-ranker)."""

    doc: Document
    index: int
    start: int
    end: int
    p: float
    doc_p: float


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
    #: The calibrated probability that the chosen sentence holds the answer.
    confidence: float = 0.0
    #: The asked-on date was near some retrieved document (its date features were on).
    dated: bool = False
    #: The chosen sentence's document is a long article (``features.LONG_DOC_SENTENCES``).
    long: bool = False
    #: The best sentences, best first (the reader's candidates come from them).
    ranked: list[Ranked] = field(default_factory=list)


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
    out.confidence = round(models.calibration(out.p_sentence), 4)
    out.long = bool(row["doc_long"])
    out.ranked = [Ranked(docs[cands[j].doc_id], idx, ss, ee, sigmoid(z), sigmoid(dsc[j]))
                  for z, j, idx, ss, ee, _ in scored[:RANKED_KEPT]]
    return out
