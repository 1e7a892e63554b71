"""Fit learned selection from the dumps (``data``), measure it on validation, and write
the models answering reads. Deterministic: fixed splits and folds, lbfgs regressions.

Stages (each fitted on training questions, scored out-of-fold on them and by the full
model on validation questions, so every later stage sees scores like those at run time):

1. document re-ranker, stage 1 (no date features; rows without an asked-on date);
2. stage 2: stage 1's log-odds plus the date features (rows with and without a date);
3. sentence ranker over the sentences of each question's top documents;
4. reply models: P(top sentence right), P(the rule pipeline's typed answer right);
5. the gate (the likelier reply), an isotonic calibration of its probability, and the
   abstention thresholds (with a usable date, and without one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.answer.corpus import Corpus
from assistant.answer.learned import SelectionModels
from assistant.answer.question import QuestionAnalysis, analyse
from assistant.answer.selection.features import (
    DATE_FEATURES,
    DOC_FEATURES,
    REPLY_FEATURES,
    SENT_MODEL_FEATURES,
    doc_features,
    doc_sentences,
    group_passages,
    question_context,
    reply_features,
    sentence_features,
    typed_in,
    with_context,
)
from assistant.evaluation.eval import contains_answer
from assistant.evaluation.training.data import DUMP_K, fetched, rule_answer
from assistant.evaluation.training.fit import fit_isotonic, fit_linear, fold_of, sigmoid
from assistant.models import Answer, Document

#: Documents (after re-ranking) whose sentences compete for the reply.
TOP_DOCS = 3
#: A question kind gets learned selection only with at least this many training questions
#: (realtimeqa has 22 date questions in training, 8 quote, 6 why/how).
MIN_KIND_QUESTIONS = 20
#: The typed answer is given when P(typed right) >= P(sentence right) - GATE_MARGIN (0: the
#: likelier reply; the research sweep found no margin better for every set).
GATE_MARGIN = 0.0
#: Abstain below the calibrated confidence that keeps this share of training questions that
#: have an answer answered (the issue's bound on false abstentions is 5%).
FALSE_ABSTENTION = 0.05
#: Score of a missing runner-up sentence: the top one's minus this (as at run time).
NO_SECOND = 5.0
#: Sets whose training questions fit the document and sentence rankers. The seed set is
#: left out of them (49 training questions would be weighted like a whole benchmark there)
#: but fits the reply models: it is the only set of typed questions over long articles.
RANKER_SETS = ("realtimeqa", "polnear")
#: Kinds that never get learned selection: too few training questions (3 in realtimeqa).
FACTOID_KINDS = ("date", "figure", "entity", "speaker", "other")


def right(text: str, golds: Sequence[str]) -> bool:
    return bool(text) and any(contains_answer(text, g) for g in golds)


@dataclass
class Item:
    """One question and everything the stages need about it."""

    rec: dict[str, Any]
    qa: QuestionAnalysis
    rule: Answer
    docs: dict[str, Document]
    cands: list[Any]
    conds: tuple[str, ...]
    drows: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    dlabel: list[int] = field(default_factory=list)
    #: Per candidate: (sentence index, start, end, base features, contains gold).
    sents: list[list[tuple[int, int, int, dict[str, float], int]]] = field(default_factory=list)

    @property
    def train(self) -> bool:
        return self.rec["split"] == "train"

    @property
    def answerable(self) -> bool:
        return self.rec["type"] != "unanswerable"

    @property
    def fold(self) -> int:
        return fold_of(self.rec["set"].replace("noanswer", "realtimeqa") + "/" + self.rec["id"].removesuffix("-na"))


def prepare(rec: dict[str, Any], corpus: Corpus) -> Item | None:
    qa = analyse(rec["standalone"])
    rule = rule_answer(rec)
    passages = fetched(rec)
    docs: dict[str, Document] = {}
    for p in passages:
        if p.doc_id not in docs and (d := corpus.doc(p.doc_id)) is not None:
            docs[p.doc_id] = d
    cands = [c for c in group_passages(passages) if c.doc_id in docs]
    if not cands:
        return None
    conds = ("on", "none") if rec.get("asked_on") else ("none",)
    it = Item(rec, qa, rule, docs, cands, conds)
    for cond in conds:
        it.drows[cond] = doc_features(corpus, qa, cands, docs, rec["asked_on"] if cond == "on" else None)
    it.dlabel = [int(c.doc_id in rec["sources"]) for c in cands]
    qc = question_context(qa)
    for c in cands:
        doc = docs[c.doc_id]
        it.sents.append([(idx, s, e, sentence_features(corpus, qa, qc, doc, idx, s, e),
                          int(right(doc.text[s:e], rec["golds"]))) for idx, s, e in doc_sentences(doc, c.spans)])
    return it


@dataclass
class Reply:
    """One (question, condition) at the reply stage."""

    item: Item
    cond: str
    feats: dict[str, float]
    sentence_right: int
    typed_right: int
    dated: bool
    doc_ranks: list[str]


def _matrix(rows: Sequence[dict[str, float]], names: Sequence[str]) -> np.ndarray:
    return np.asarray([[float(r.get(n, 0.0)) for n in names] for r in rows], dtype=float)


def train(items: list[Item], log: Callable[[str], None] = print) -> tuple[SelectionModels, dict[str, Any]]:
    """Fit every stage on the items; returns the models and the figures for the report."""
    labelled = [it for it in items if it.answerable]
    # -- 1. document re-ranker, stage 1 ----------------------------------------------------------
    rows, y, sets, folds, tr, owner, qids = [], [], [], [], [], [], []
    for it in labelled:
        for j, r in enumerate(it.drows["none"]):
            rows.append(r)
            y.append(it.dlabel[j])
            sets.append(it.rec["set"])
            qids.append(it.rec["set"] + "/" + it.rec["id"])
            folds.append(it.fold)
            tr.append(it.train and it.rec["set"] in RANKER_SETS)
            owner.append((it, j))
    X1 = _matrix(rows, DOC_FEATURES)
    z1, stage1 = fit_linear(X1, np.asarray(y), sets, np.asarray(folds), np.asarray(tr), DOC_FEATURES, qids)
    z0 = {(id(it), j): z for (it, j), z in zip(owner, z1, strict=True)}
    log(f"stage 1: {len(rows)} document rows")
    for it in items:  # unlabelled (no-answer) items: scored by the full model
        for j, r in enumerate(it.drows["none"]):
            z0.setdefault((id(it), j), stage1(r))
    # -- 2. stage 2: stage 1 plus dates, both conditions -------------------------------------------
    names2 = ("z0", *DATE_FEATURES)
    rows, y, sets, folds, tr, owner, qids = [], [], [], [], [], [], []
    for it in labelled:
        for cond in it.conds:
            for j, r in enumerate(it.drows[cond]):
                rows.append({**r, "z0": z0[(id(it), j)]})
                y.append(it.dlabel[j])
                sets.append(it.rec["set"])
                qids.append(it.rec["set"] + "/" + it.rec["id"])
                folds.append(it.fold)
                tr.append(it.train and it.rec["set"] in RANKER_SETS)
                owner.append((it, cond, j))
    z2, stage2 = fit_linear(_matrix(rows, names2), np.asarray(y), sets, np.asarray(folds), np.asarray(tr), names2,
                            qids)
    # Rows were added per (question, condition) in candidate order, so appending keeps it.
    dscore: dict[tuple[int, str], list[float]] = defaultdict(list)
    for (it, cond, _j), z in zip(owner, z2, strict=True):
        dscore[(id(it), cond)].append(float(z))
    for it in items:  # no-answer questions: the full model
        for cond in it.conds:
            if (id(it), cond) not in dscore:
                dscore[(id(it), cond)] = [stage2({**r, "z0": z0[(id(it), j)]}) for j, r in enumerate(it.drows[cond])]
    log(f"stage 2: {len(rows)} document rows")
    # -- 3. sentence ranker ------------------------------------------------------------------------
    srows, y, sets, folds, tr, owner, qids = [], [], [], [], [], [], []
    for it in items:
        for cond in it.conds:
            sc = dscore[(id(it), cond)]
            order = sorted(range(len(it.cands)), key=lambda i, sc=sc, it=it: (-sc[i], -it.drows[cond][i]["r_inv"]))
            top = sigmoid(np.asarray(sc[order[0]]))
            for rank, i in enumerate(order[:TOP_DOCS], start=1):
                doc = it.docs[it.cands[i].doc_id]
                for idx, s, e, base, lab in it.sents[i]:
                    srows.append(with_context(base, float(sigmoid(np.asarray(sc[i]))),
                                              float(top - sigmoid(np.asarray(sc[i]))), rank,
                                              typed_in(it.rule, doc.doc_id, s, e), len(doc.sentences)))
                    y.append(lab)
                    sets.append(it.rec["set"])
                    qids.append(it.rec["set"] + "/" + it.rec["id"])
                    folds.append(it.fold)
                    tr.append(it.train and it.answerable and it.rec["set"] in RANKER_SETS)
                    owner.append((it, cond, i, idx, s, e))
    zs, sentence = fit_linear(_matrix(srows, SENT_MODEL_FEATURES), np.asarray(y), sets, np.asarray(folds),
                              np.asarray(tr), SENT_MODEL_FEATURES, qids)
    log(f"sentences: {len(srows)} rows")
    # -- 4. reply rows -------------------------------------------------------------------------------
    by_q: dict[tuple[int, str], list[int]] = defaultdict(list)
    for n, (it, cond, *_rest) in enumerate(owner):
        by_q[(id(it), cond)].append(n)
    replies: list[Reply] = []
    for it in items:
        for cond in it.conds:
            idxs = sorted(by_q.get((id(it), cond), []), key=lambda n: -zs[n])
            if not idxs:
                continue
            n1 = idxs[0]
            _, _, i, _, s, e = owner[n1]
            z_2 = zs[idxs[1]] if len(idxs) > 1 else zs[n1] - NO_SECOND
            doc = it.docs[it.cands[i].doc_id]
            last = max(owner[n][3] for n in idxs if owner[n][2] == i) + 1
            feats = reply_features(it.qa, it.rule, srows[n1], float(sigmoid(np.asarray(z_2))),
                                   it.drows[cond][i], doc.doc_id, s, e, last, float(sigmoid(np.asarray(zs[n1]))))
            sc = dscore[(id(it), cond)]
            ranks = [it.cands[j].doc_id for j in sorted(range(len(sc)), key=lambda j, sc=sc: -sc[j])]
            replies.append(Reply(it, cond, feats, int(right(doc.text[s:e], it.rec["golds"])),
                                 int(not it.rule.abstained and right(it.rule.answer, it.rec["golds"])),
                                 any(r["d_noinfo"] == 0.0 for r in it.drows[cond]), ranks))
    X = _matrix([r.feats for r in replies], REPLY_FEATURES)
    sets = [r.item.rec["set"] for r in replies]
    folds = np.asarray([r.item.fold for r in replies])
    tr = np.asarray([r.item.train for r in replies])
    rq = [r.item.rec["set"] + "/" + r.item.rec["id"] for r in replies]
    zS, reply_sentence = fit_linear(X, np.asarray([r.sentence_right for r in replies]), sets, folds, tr,
                                    REPLY_FEATURES, rq)
    answered = np.asarray([not r.item.rule.abstained for r in replies])
    zT_part, reply_typed = fit_linear(X[answered], np.asarray([r.typed_right for r in replies])[answered],
                                      [s for s, a in zip(sets, answered, strict=True) if a], folds[answered],
                                      tr[answered], REPLY_FEATURES, [q for q, a in zip(rq, answered, strict=True) if a])
    zT = np.full(len(replies), -50.0)
    zT[answered] = zT_part
    pS, pT = sigmoid(zS), np.where(answered, sigmoid(zT), 0.0)
    use_t = answered & (pT >= pS - GATE_MARGIN)
    chosen = np.where(use_t, pT, pS)
    ok = np.asarray([(r.typed_right if u else r.sentence_right) for r, u in zip(replies, use_t, strict=True)])
    log(f"replies: {len(replies)} rows")
    # -- 5. calibration and thresholds ------------------------------------------------------------
    iso = fit_isotonic(chosen[tr], ok[tr])
    conf = np.asarray([iso(p) for p in chosen])
    dated = np.asarray([r.dated for r in replies])
    long = np.asarray([r.feats["doc_long"] == 1.0 for r in replies])
    has_answer = np.asarray([r.item.answerable for r in replies])

    set_of = np.asarray([r.item.rec["set"] for r in replies])

    def threshold(mask: np.ndarray) -> float:
        """The highest threshold that keeps false abstentions at FALSE_ABSTENTION on every
        training set (the lowest of the sets' quantiles)."""
        qs = [float(np.quantile(conf[m], FALSE_ABSTENTION)) for name in sorted(set(set_of.tolist()))
              if (m := mask & tr & has_answer & (set_of == name)).sum() >= MIN_KIND_QUESTIONS]
        return min(qs, default=0.0)

    counts = defaultdict(int)
    for it in labelled:
        if it.train:
            counts[it.qa.kind.value] += 1
    kinds = tuple(k for k in FACTOID_KINDS if counts[k] >= MIN_KIND_QUESTIONS)
    models = SelectionModels(
        doc_stage1=stage1, doc_stage2=stage2, sentence=sentence, reply_sentence=reply_sentence,
        reply_typed=reply_typed, calibration=iso, abstain_below=round(threshold(dated), 4),
        abstain_below_nodate=round(threshold(~dated & ~long), 4), abstain_below_long=round(threshold(~dated & long), 4), gate_margin=GATE_MARGIN, k=DUMP_K, top_docs=TOP_DOCS,
        kinds=kinds, meta={"training_questions_by_kind": dict(counts)})
    figures = {"replies": replies, "confidence": conf, "use_typed": use_t, "right": ok, "train_mask": tr,
               "long": long}
    return models, figures
