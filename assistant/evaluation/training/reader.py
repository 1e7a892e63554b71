"""Fit the reader (``assistant.answer.reader``): the span ranker, the confidence model
of its best span, their calibration and the threshold for stating the span.

Rows: every span candidate of the best ``READER_SENTENCES`` ranked sentences of each
(question, condition), plus the rule pipeline's answer, labelled by whether the span holds
a gold answer (every realtimeqa gold stands verbatim in its snippet, and a polnear gold is
the speaker's name, so span labels come free). Both models are fitted out of fold on the
training questions, like the selection stages, so calibration and the threshold see
scores like those at run time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from assistant.answer.corpus import Corpus
from assistant.answer.learned import ReaderModels
from assistant.answer.reader.features import (
    CONF_FEATURES,
    FEATURES,
    confidence_features,
    question_frame,
    span_features,
    token_features,
)
from assistant.answer.reader.reader import agreement, collect, rank, wants_span
from assistant.evaluation.training.data import right
from assistant.evaluation.training.fit import fit_isotonic, fit_linear, fit_ranker, group_weights, sigmoid

#: Ranked sentences whose spans compete. A sweep over 1, 2, 3 and 5 (pointwise model, the
#: first training run) moved the out-of-fold top-span accuracy by 0.002: 3 keeps the
#: agreement across sentences at little cost.
READER_SENTENCES = 3
#: What a wrong stated answer costs against what a right one gains: the span is stated
#: when stating has the larger worth on the training questions (1: a wrong short answer is
#: as bad as a right one is good, so about "likelier right than wrong").
WRONG_ANSWER_COST = 1.0
#: The same for a span offered as a guess ("Possibly London", shown with its low
#: confidence): a hedged wrong answer misleads less than a stated one, so it costs half
#: (with calibrated confidences, a guess is offered from about 1/3 likely). A cost chosen
#: by reasoning, not tuned on any figure.
WRONG_GUESS_COST = 0.5


def candidates(replies: Sequence[Any], n: int) -> tuple[list[int], list[Any], list[int]]:
    """Span candidates of every reply: (reply index, span, label) lists."""
    owner, spans, labels = [], [], []
    for k, rep in enumerate(replies):
        it = rep.item
        for sp in collect(rep.ranked, it.rule, n):
            owner.append(k)
            spans.append(sp)
            labels.append(int(it.answerable and right(sp.text, it.rec["golds"])))
    return owner, spans, labels


def rows_for(replies: Sequence[Any], corpora: Mapping[str, Corpus], owner: Sequence[int], spans: Sequence[Any],
             logits: Sequence[Any] | None = None) -> list[dict[str, float]]:
    """The feature rows of the candidates (``candidates``), with the extractive reader's
    features where ``logits`` holds each reply's token scores."""
    rows: list[dict[str, float]] = []
    by_reply: dict[int, list[int]] = defaultdict(list)
    for i, k in enumerate(owner):
        by_reply[k].append(i)
    for k, idx in by_reply.items():
        rep = replies[k]
        it = rep.item
        qf = question_frame(it.qa)
        mine = [spans[i] for i in idx]
        agree = agreement(mine, rep.ranked)
        corpus = corpora[it.rec["set"]]
        got = [span_features(corpus, it.qa, qf, sp, rep.ranked, it.rule, agree) for sp in mine]
        if logits is not None and logits[k] is not None:
            token_features(got, mine, rep.ranked, logits[k])
        rows.extend(got)
    return rows


def _state_at(conf: np.ndarray, ok: np.ndarray, cost: float = WRONG_ANSWER_COST) -> float:
    """The lowest confidence at which stating the span is worth it on these questions:
    the threshold maximising (right stated) - ``cost`` x (wrong stated)."""
    order = np.argsort(-conf, kind="stable")
    gain = np.cumsum(np.where(ok[order], 1.0, -cost))
    if not len(gain) or gain.max() <= 0:
        return 1.01
    return float(conf[order][int(np.argmax(gain))])


def fit_reader(replies: Sequence[Any], corpora: Mapping[str, Corpus], train: np.ndarray, p_sentence: np.ndarray,
               log: Callable[[str], None] = print, tokens: Callable[..., tuple[Any, list]] | None = None
               ) -> tuple[ReaderModels, dict[str, Any]]:
    """The reader's models, and per reply: whether it states its span, the span, its
    confidence and whether it is right. ``p_sentence``: selection's (out-of-fold)
    probability that each reply's sentence holds the answer. ``tokens(owner, spans,
    labels)``: fits the extractive reader and returns (its adapter, each reply's token
    scores); the adapter is returned in the figures as ``"adapter"``."""
    items = [r.item for r in replies]
    answerable = np.asarray([it.answerable for it in items])
    fit_q = train & answerable
    sets = [it.rec["set"] for it in items]
    folds = np.asarray([it.fold for it in items])
    owner, spans, labels = candidates(replies, READER_SENTENCES)
    adapter, logits = tokens(owner, spans, labels) if tokens is not None else (None, None)
    rows = rows_for(replies, corpora, owner, spans, logits)
    X = np.asarray([[float(r.get(f, 0.0)) for f in FEATURES] for r in rows], dtype=float)
    y = np.asarray(labels)
    z, ranker = fit_ranker(X, y, np.asarray(owner, dtype=int), group_weights(sets), folds, fit_q, FEATURES)
    log(f"reader: {len(rows)} span rows over {READER_SENTENCES} sentences")
    by_q: dict[int, list[int]] = {}
    for r, k in enumerate(owner):
        by_q.setdefault(k, []).append(r)
    top: list[int | None] = [None] * len(replies)
    crow: list[dict[str, float]] = []
    for k, rep in enumerate(replies):
        idx = by_q.get(k, [])
        qf = question_frame(rep.item.qa)
        if not idx:
            crow.append({})
            continue
        order = rank([spans[i] for i in idx], [z[i] for i in idx], len(rep.ranked))
        top[k] = idx[order[0][1]]
        crow.append(confidence_features(qf, [s for s, _ in order], rows[top[k]], float(p_sentence[k])))
    ok = np.asarray([t is not None and labels[t] == 1 for t in top])
    has = np.asarray([t is not None for t in top])
    zc, confidence = fit_linear(np.asarray([[r.get(f, 0.0) for f in CONF_FEATURES] for r in crow], dtype=float),
                                ok.astype(int), sets, folds, fit_q & has, CONF_FEATURES,
                                [it.rec["set"] + "/" + it.rec["id"] for it in items])
    p = np.where(has, sigmoid(zc), 0.0)
    iso = fit_isotonic(p[fit_q & has], ok[fit_q & has])
    conf = np.where(has, np.asarray([iso(x) for x in p]), 0.0)
    wants = has & np.asarray([wants_span(question_frame(it.qa)) for it in items])
    state_at = round(_state_at(conf[fit_q & wants], ok[fit_q & wants]), 4)
    guess_at = min(state_at, round(_state_at(conf[fit_q & wants], ok[fit_q & wants], WRONG_GUESS_COST), 4))
    stated = wants & (conf >= state_at)
    guessed = wants & (conf >= guess_at) & ~stated
    log(f"reader: out-of-fold top span right {ok[fit_q].mean():.3f}; state it at confidence >= {state_at}, "
        f"offer it as a guess at >= {guess_at}")
    reader = ReaderModels(span=ranker, confidence=confidence, calibration=iso, state_at=state_at,
                          sentences=READER_SENTENCES, guess_at=guess_at)
    return reader, {"stated": stated, "guessed": guessed, "confidence": conf,
                    "short_right": ok & (stated | guessed), "span_right": ok,
                    "spans": [spans[t] if t is not None else None for t in top], "adapter": adapter}
