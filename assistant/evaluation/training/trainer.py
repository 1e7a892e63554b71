"""Fit learned selection from the dumps (``data``), measure it on validation, and write
the models answering reads. Deterministic: fixed splits and folds, lbfgs regressions.

Stages (each fitted on training questions, scored out-of-fold on them and by the full
model on validation questions, so every later stage sees scores like those at run time):

1. document re-ranker, stage 1 (no date features; rows without an asked-on date);
2. stage 2: stage 1's log-odds plus the date features (rows with and without a date);
3. sentence ranker over the sentences of each question's top documents;
4. the reply model: P(top sentence holds the answer), calibrated (isotonic);
5. the reader (``training.reader``): the span model over the best sentences' span
   candidates, its calibration and the threshold for stating the span;
6. the abstention thresholds (with a usable date, and without one) on the reply's
   confidence: the stated span's, or the sentence's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.answer.corpus import Corpus
from assistant.answer.learned import ReaderModels, SelectionModels
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
from assistant.answer.selection.selector import RANKED_KEPT, Ranked
from assistant.evaluation.training.data import DUMP_K, fetched, right, rule_answer
from assistant.evaluation.training.fit import fit_isotonic, fit_linear, fold_of, round_down, sigmoid
from assistant.models import Answer, Document

#: Documents (after re-ranking) whose sentences compete for the reply.
TOP_DOCS = 3
#: A question kind gets learned selection only with at least this many training questions
#: (realtimeqa has 22 date questions in training, 8 quote, 6 why/how).
MIN_KIND_QUESTIONS = 20
#: Abstain below the calibrated confidence that keeps this share of training questions that
#: have an answer answered (the issue's bound on false abstentions is 5%).
FALSE_ABSTENTION = 0.05
#: A set's quantile sets a threshold only with at least this many answerable training
#: questions in the slice, so that the FALSE_ABSTENTION quantile rests on at least 5 of them
#: (5 / 0.05). Below it, the quantile is the 2nd or 3rd lowest confidence of the set: with the
#: reader, the seeds' 54 long-article questions alone pulled the long-article threshold from
#: 0.63 (polnear, 2,537 questions) to 0.06, and the seed eval then answered 14 of its 25
#: unanswerable cases.
MIN_QUANTILE_QUESTIONS = 100
#: Score of a missing runner-up sentence: the top one's minus this (as at run time).
NO_SECOND = 5.0
#: Sets whose training questions fit the document and sentence rankers. The seed set is
#: left out of them (49 training questions would be weighted like a whole benchmark there)
#: but fits the reply models: it is the only set of typed questions over long articles.
RANKER_SETS = ("realtimeqa", "polnear")
#: Kinds that never get learned selection: too few training questions (3 in realtimeqa).
FACTOID_KINDS = ("date", "figure", "entity", "speaker", "other")


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
    #: The best sentences, best first, as the reader sees them at run time.
    ranked: list[Ranked] = field(default_factory=list)


def _matrix(rows: Sequence[dict[str, float]], names: Sequence[str]) -> np.ndarray:
    return np.asarray([[float(r.get(n, 0.0)) for n in names] for r in rows], dtype=float)


@dataclass
class _Rows:
    """Training rows of one stage, with what ``fit_linear`` needs beside them."""

    rows: list[dict[str, float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    folds: list[int] = field(default_factory=list)
    train: list[bool] = field(default_factory=list)
    qids: list[str] = field(default_factory=list)
    owner: list[Any] = field(default_factory=list)

    def add(self, it: Item, row: dict[str, float], y: int, train: bool, owner: Any) -> None:
        self.rows.append(row)
        self.y.append(y)
        self.sets.append(it.rec["set"])
        self.folds.append(it.fold)
        self.train.append(train)
        self.qids.append(it.rec["set"] + "/" + it.rec["id"])
        self.owner.append(owner)

    def fit(self, names: Sequence[str]):
        return fit_linear(_matrix(self.rows, names), np.asarray(self.y), self.sets, np.asarray(self.folds),
                          np.asarray(self.train), names, self.qids)


def _documents(items: list[Item], log: Callable[[str], None]):
    """Stages 1 and 2: the document re-ranker's log-odds per (question, condition)."""
    labelled = [it for it in items if it.answerable]
    r1 = _Rows()
    for it in labelled:
        for j, r in enumerate(it.drows["none"]):
            r1.add(it, r, it.dlabel[j], it.train and it.rec["set"] in RANKER_SETS, (it, j))
    z1, stage1 = r1.fit(DOC_FEATURES)
    z0 = {(id(it), j): z for (it, j), z in zip(r1.owner, z1, strict=True)}
    log(f"stage 1: {len(r1.rows)} document rows")
    for it in items:  # unlabelled (no-answer) items: scored by the full model
        for j, r in enumerate(it.drows["none"]):
            z0.setdefault((id(it), j), stage1(r))
    names2 = ("z0", *DATE_FEATURES)
    r2 = _Rows()
    for it in labelled:
        for cond in it.conds:
            for j, r in enumerate(it.drows[cond]):
                r2.add(it, {**r, "z0": z0[(id(it), j)]}, it.dlabel[j], it.train and it.rec["set"] in RANKER_SETS,
                       (it, cond, j))
    z2, stage2 = r2.fit(names2)
    # Rows were added per (question, condition) in candidate order, so appending keeps it.
    dscore: dict[tuple[int, str], list[float]] = defaultdict(list)
    for (it, cond, _j), z in zip(r2.owner, z2, strict=True):
        dscore[(id(it), cond)].append(float(z))
    for it in items:  # no-answer questions: the full model
        for cond in it.conds:
            if (id(it), cond) not in dscore:
                dscore[(id(it), cond)] = [stage2({**r, "z0": z0[(id(it), j)]}) for j, r in enumerate(it.drows[cond])]
    log(f"stage 2: {len(r2.rows)} document rows")
    return stage1, stage2, dscore


def _sentences(items: list[Item], dscore, log: Callable[[str], None]):
    """Stage 3: the sentence ranker over each question's top documents."""
    rs = _Rows()
    for it in items:
        for cond in it.conds:
            sc = dscore[(id(it), cond)]
            order = sorted(range(len(it.cands)), key=lambda i, sc=sc, it=it: (-sc[i], -it.drows[cond][i]["r_inv"]))
            top = float(sigmoid(np.asarray(sc[order[0]])))
            for rank, i in enumerate(order[:TOP_DOCS], start=1):
                doc = it.docs[it.cands[i].doc_id]
                p_doc = float(sigmoid(np.asarray(sc[i])))
                for idx, s, e, base, lab in it.sents[i]:
                    row = with_context(base, p_doc, top - p_doc, rank, typed_in(it.rule, doc.doc_id, s, e),
                                       len(doc.sentences))
                    rs.add(it, row, lab, it.train and it.answerable and it.rec["set"] in RANKER_SETS,
                           (it, cond, i, idx, s, e))
    zs, sentence = rs.fit(SENT_MODEL_FEATURES)
    log(f"sentences: {len(rs.rows)} rows")
    return sentence, zs, rs


def _replies(items: list[Item], dscore, zs: np.ndarray, rs: _Rows) -> list[Reply]:
    """One reply row per (question, condition): the top sentence and the ranked ones."""
    by_q: dict[tuple[int, str], list[int]] = defaultdict(list)
    for n, (it, cond, *_rest) in enumerate(rs.owner):
        by_q[(id(it), cond)].append(n)
    replies: list[Reply] = []
    for it in items:
        for cond in it.conds:
            idxs = sorted(by_q.get((id(it), cond), []), key=lambda n: -zs[n])
            if not idxs:
                continue
            n1 = idxs[0]
            _, _, i, _, s, e = rs.owner[n1]
            z_2 = zs[idxs[1]] if len(idxs) > 1 else zs[n1] - NO_SECOND
            doc = it.docs[it.cands[i].doc_id]
            last = max(rs.owner[n][3] for n in idxs if rs.owner[n][2] == i) + 1
            feats = reply_features(it.qa, it.rule, rs.rows[n1], float(sigmoid(np.asarray(z_2))),
                                   it.drows[cond][i], doc.doc_id, s, e, last, float(sigmoid(np.asarray(zs[n1]))))
            sc = dscore[(id(it), cond)]
            ranks = [it.cands[j].doc_id for j in sorted(range(len(sc)), key=lambda j, sc=sc: -sc[j])]
            ranked = []
            for n in idxs[:RANKED_KEPT]:
                _, _, j, idx, ss, ee = rs.owner[n]
                ranked.append(Ranked(it.docs[it.cands[j].doc_id], idx, ss, ee, float(sigmoid(np.asarray(zs[n]))),
                                     float(sigmoid(np.asarray(sc[j])))))
            replies.append(Reply(it, cond, feats, int(right(doc.text[s:e], it.rec["golds"])),
                                 int(not it.rule.abstained and right(it.rule.answer, it.rec["golds"])),
                                 any(r["d_noinfo"] == 0.0 for r in it.drows[cond]), ranks, ranked))
    return replies


def train(items: list[Item], corpora: Mapping[str, Corpus], log: Callable[[str], None] = print,
          tokens: Callable[..., tuple[Any, list]] | None = None) -> tuple[SelectionModels, ReaderModels, dict[str, Any]]:
    """Fit every stage on the items (``corpora``: each set's word statistics, by set name);
    returns the models and the figures for the report. ``tokens(replies, owner, spans,
    labels, n, train)`` fits the extractive reader (``training.extractive.fit_tokens``);
    the figures carry its adapter as ``"adapter"``."""
    from assistant.evaluation.training.reader import READER_SENTENCES as READER_SENTENCES_FOR_TOKENS
    from assistant.evaluation.training.reader import fit_reader

    stage1, stage2, dscore = _documents(items, log)
    sentence, zs, rs = _sentences(items, dscore, log)
    replies = _replies(items, dscore, zs, rs)
    X = _matrix([r.feats for r in replies], REPLY_FEATURES)
    sets = [r.item.rec["set"] for r in replies]
    folds = np.asarray([r.item.fold for r in replies])
    tr = np.asarray([r.item.train for r in replies])
    rq = [r.item.rec["set"] + "/" + r.item.rec["id"] for r in replies]
    zS, reply_sentence = fit_linear(X, np.asarray([r.sentence_right for r in replies]), sets, folds, tr,
                                    REPLY_FEATURES, rq)
    pS = sigmoid(zS)
    okS = np.asarray([r.sentence_right for r in replies])
    log(f"replies: {len(replies)} rows")
    iso = fit_isotonic(pS[tr], okS[tr])
    confS = np.asarray([iso(p) for p in pS])
    fit_tok = None if tokens is None else (
        lambda owner, spans, labels: tokens(replies, owner, spans, labels, READER_SENTENCES_FOR_TOKENS, tr))
    reader, rfig = fit_reader(replies, corpora, tr, pS, log, fit_tok)
    # The reply's confidence: the stated span's where the reader states one, else the sentence's.
    stated = rfig["stated"]
    conf = np.where(stated, np.maximum(confS, rfig["confidence"]), confS)
    dated = np.asarray([r.dated for r in replies])
    long = np.asarray([r.feats["doc_long"] == 1.0 for r in replies])
    has_answer = np.asarray([r.item.answerable for r in replies])
    set_of = np.asarray(sets)

    def threshold(mask: np.ndarray) -> float:
        """The highest threshold that keeps false abstentions at FALSE_ABSTENTION on every
        training set large enough to say (the lowest of their quantiles): sets with
        MIN_QUANTILE_QUESTIONS, or, when none has that many, those with MIN_KIND_QUESTIONS."""
        n = {name: int((mask & tr & has_answer & (set_of == name)).sum()) for name in sorted(set(set_of.tolist()))}
        least = MIN_QUANTILE_QUESTIONS if max(n.values(), default=0) >= MIN_QUANTILE_QUESTIONS else MIN_KIND_QUESTIONS
        qs = {name: float(np.quantile(conf[mask & tr & has_answer & (set_of == name)], FALSE_ABSTENTION))
              for name, k in n.items() if k >= least}
        log("abstention quantiles: " + ", ".join(f"{k} {v:.3f} (n={n[k]})" for k, v in qs.items()))
        return min(qs.values(), default=0.0)

    counts: dict[str, int] = defaultdict(int)
    for it in items:
        if it.train and it.answerable:
            counts[it.qa.kind.value] += 1
    kinds = tuple(k for k in FACTOID_KINDS if counts[k] >= MIN_KIND_QUESTIONS)
    models = SelectionModels(
        doc_stage1=stage1, doc_stage2=stage2, sentence=sentence, reply_sentence=reply_sentence,
        calibration=iso, abstain_below=round_down(threshold(dated)),
        abstain_below_nodate=round_down(threshold(~dated & ~long)), abstain_below_long=round_down(threshold(~dated & long)),
        k=DUMP_K, top_docs=TOP_DOCS, kinds=kinds, meta={"training_questions_by_kind": dict(counts)})
    # The confidence a reply shows is about what it states: the span where it states or
    # offers one, else the sentence.
    offered = stated | rfig["guessed"]
    shown = np.where(offered, rfig["confidence"], confS)
    shown_ok = np.where(offered, rfig["short_right"], okS.astype(bool))
    ok = np.where(offered, rfig["short_right"] | okS.astype(bool), okS.astype(bool))
    figures = {"replies": replies, "reply_confidence": conf, "sentence_confidence": confS, "right": ok,
               "shown": shown, "shown_right": shown_ok, "sentence_right": okS, "train_mask": tr, "long": long,
               "stated": stated, "guessed": rfig["guessed"], "span_confidence": rfig["confidence"], "short_right": rfig["short_right"],
               "span_right": rfig["span_right"], "adapter": rfig["adapter"]}
    return models, reader, figures
