"""The forms stage's list choices (``assistant.answer.forms.lists``): the router that reads a
question as a list, and the ranker of the sentences whose typed entities a list gives.

A training question is a list when its gold has several items: natural-train's comparison/list
questions with more than one gold phrase ("every item of the list"; one phrase is a comparison's
winner), and the seed cases of form ``list``. Only natural-train and the seeds are read (the
realtimeqa questions of the forms stage are for the near-miss guard).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.answer.evidence import Evidence, candidate_sentences
from assistant.answer.forms import features as F
from assistant.answer.forms import lists as L
from assistant.answer.forms.model import Choice
from assistant.answer.kinds import listing as listing_kind
from assistant.answer.question import analyse, classify
from assistant.evaluation.eval import form_correct
from assistant.evaluation.training.fit import fit_isotonic, round_down, sigmoid
from assistant.evaluation.training.rows import MIN_QUESTIONS, Asked, Rows, right, threshold
from assistant.models import QuestionKind

#: Fewest training questions of a route its router is fitted on (natural-train holds 4 routable
#: winner questions, the ones the comparison rule's wording misses; more than 20 routable lists).
MIN_ROUTE_QUESTIONS = 4
#: The sets the list choices learn from.
LIST_SETS = ("natural-train", "seeds")
#: Sets whose training questions are routers' negatives only: realtimeqa's training split
#: (2022-23 quizzes; each question has one answer). Fitted on natural-train and the seeds alone,
#: the list route sent 49 of realtimeqa 2024's single-answer quiz questions with a plural head
#: ("which animals ...") to the list kind: product-path short answer 0.623 -> 0.570.
ROUTE_NEGATIVE_SETS = ("realtimeqa",)


def is_list(a: Asked) -> bool:
    """The training question asks for several items."""
    c = a.case
    return c.type != "unanswerable" and ((c.form == "comparison" and len(c.answers) > 1) or c.form == "list")


def _text(a: Asked) -> str:
    """The question as the answerer read it (a follow-up rewritten)."""
    return a.ev.qa.text if a.ev is not None else a.case.question


def enumerated(text: str) -> bool:
    """The question takes the enumeration path when listed: routable (or a rule-read list of
    entities, with ``listing.ENUMERATE_RULE_LISTS``)."""
    kind, info = classify(text)
    return kind in L.ROUTABLE or (listing_kind.ENUMERATE_RULE_LISTS and kind == QuestionKind.LIST
                                  and info.get("items") == "entities")


def route_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The router's threshold on its out-of-fold probability: fewest questions misrouted (lists
    left to a factoid kind plus others read as lists), the highest such; then the middle between
    it and the next lower probability (the same training outcome, with a margin)."""
    best = (10**9, 0.0)
    for t in sorted(set(p.tolist())):
        cost = int(((p >= t) & (y == 0)).sum() + ((p < t) & (y == 1)).sum())
        best = min(best, (cost, -t))
    t = -best[1]
    below = [v for v in set(p.tolist()) if v < t]
    return round_down((max(below) + t) / 2 if below else t)


def is_winner(a: Asked) -> bool:
    """The training question asks which of two sides wins (a comparison whose gold is one winner)."""
    c = a.case
    return c.type != "unanswerable" and c.form == "comparison" and len(c.answers) == 1


#: Each route's training label.
ROUTE_LABELS: dict[str, Callable[[Asked], bool]] = {"list_route": is_list, "winner_route": is_winner}


def fit_route(asked: list[Asked], log: Callable[[str], None], name: str = "list_route"
              ) -> tuple[Choice | None, dict[str, Any]]:
    """A router: every routable natural-train and seed question, of the route or not, and the
    routable questions of ``ROUTE_NEGATIVE_SETS`` (never of it)."""
    label = ROUTE_LABELS[name]
    rows = Rows(L.ROUTE_FEATURES)
    for a in asked:
        if (a.set in LIST_SETS or a.set in ROUTE_NEGATIVE_SETS) and L.routable(_text(a)):
            rows.add(L.route_features(_text(a)), label(a), a, a.case.id)
    if sum(rows.y) < MIN_ROUTE_QUESTIONS:
        return None, {}
    z, linear = rows.fit()
    p = sigmoid(z)
    y = np.asarray(rows.y)
    thr = route_threshold(p, y)
    fig = {"questions": len(y), "of_route": int(y.sum()), "threshold": thr,
           "of_route_routed_out_of_fold": int(((p >= thr) & (y == 1)).sum()),
           "others_routed_out_of_fold": int(((p >= thr) & (y == 0)).sum()),
           "others_routed_ids": [rows.payload[i] for i in np.flatnonzero((p >= thr) & (y == 0))],
           "weights": dict(linear.standardised)}
    log(f"forms: {name}: {len(y)} routable questions, {int(y.sum())} of the route; routed out of fold "
        f"{fig['of_route_routed_out_of_fold']} of them, {fig['others_routed_out_of_fold']} others")
    return Choice(linear), fig


def list_evidence(a: Asked) -> Evidence | None:
    """The question's evidence as the list kind reads it (its passages, re-read as a list)."""
    if a.ev is None:
        return None
    qa = analyse(a.ev.qa.text, as_kind=(QuestionKind.LIST, {"items": "enumeration"}))
    qa.asked_on = a.ev.qa.asked_on
    return Evidence(qa=qa, corpus=a.ev.corpus, passages=a.ev.passages,
                    sents=candidate_sentences(a.ev.corpus, qa, a.ev.passages))


def _reply_text(ev: Evidence, chosen: list[Any], labels: tuple[str, ...]) -> str:
    """What the enumerated reply shows: the typed items, then the sentences."""
    items = [m.text for st in chosen for m in (L.typed_items(ev, st, labels) if labels else [])]
    return "\n".join(items + [st.text for st in chosen])


def fit_list(asked: list[Asked], log: Callable[[str], None]
             ) -> tuple[Choice | None, dict[str, Any], tuple[float, int, bool]]:
    """The sentence ranker (a sentence is right when it holds a gold item), its share, its
    calibration and abstention threshold."""
    rows = Rows(L.LIST_FEATURES)
    info: dict[str, tuple[Asked, Evidence, tuple[str, ...]]] = {}
    for a in asked:
        if a.set not in LIST_SETS or not is_list(a) or not enumerated(_text(a)):
            continue
        ev = list_evidence(a)
        if ev is None or not ev.sents:
            continue
        labels = L.wanted_labels(ev.qa.text)
        info[a.qid] = (a, ev, labels)
        cx = F.context(ev)
        for rank, st in F.candidates(ev):
            rows.add(L.list_features(ev, cx, st, rank, labels), right(st.text, a.case.answers), a, st)
    if len(rows.by_question()) < MIN_QUESTIONS:
        return None, {}, (listing_kind.EXTRA_SHARE, listing_kind.MAX_SENTENCES, listing_kind.SAME_ARTICLE)
    z, linear = rows.rank()

    def replies(reach: tuple[float, int, bool]) -> tuple[list[int], list[float], int]:
        oks, tops, n = [], [], 0
        for q, idx in rows.by_question().items():
            a, ev, labels = info[q]
            order = sorted(idx, key=lambda i: -z[i])
            chosen = listing_kind.extend([(float(z[i]), rows.payload[i]) for i in order], *reach, logits=True)
            oks.append(int(bool(form_correct(a.case.form, a.case.answers, _reply_text(ev, chosen, labels)))))
            tops.append(float(sigmoid(np.asarray([z[order[0]]]))[0]))
            n += len(chosen)
        return oks, tops, n

    grid = {(s_, m, same): replies((s_, m, same)) for s_ in listing_kind.SHARE_GRID
            for m in listing_kind.MAX_SENTENCES_GRID for same in (False, True)}
    reach = max(grid, key=lambda r: (sum(grid[r][0]), -grid[r][2], r))
    oks, tops, _ = grid[reach]
    iso = fit_isotonic(np.asarray(tops), np.asarray(oks))
    ch = Choice(linear, iso, threshold([iso(t) for t in tops]))
    hit1 = sum(rows.y[max(idx, key=lambda i: z[i])] for idx in rows.by_question().values())
    fig = {"questions": len(tops), "rows": len(rows.y), "best_sentence_right": int(hit1), "reply_right": sum(oks),
           "reach": list(reach), "reach_grid": {str(k): [sum(v[0]), v[2]] for k, v in grid.items()},
           "abstain_below": ch.abstain_below, "weights": dict(linear.standardised)}
    log(f"forms: list: {len(tops)} questions; best sentence holds an item {hit1}, reply holds every item "
        f"{sum(oks)} (out of fold; share, most sentences, same article: {reach})")
    return ch, fig, reach


def fit_lists(asked: list[Asked], log: Callable[[str], None]) -> tuple[dict[str, tuple[Choice | None, dict[str, Any]]],
                                                                      dict[str, Any]]:
    """Both list choices, and the meta values they learned."""
    out: dict[str, tuple[Choice | None, dict[str, Any]]] = {}
    meta: dict[str, Any] = {}
    for name in L.ROUTES:
        out[name] = fit_route(asked, log, name)
        meta[f"{name}_threshold"] = out[name][1].get("threshold", L.UNTRAINED_THRESHOLD)
    ranker, lfig, (share, most, same) = fit_list(asked, log)
    out["list_sentence"] = (ranker, lfig)
    meta.update({"list_extra_share": share, "list_max_sentences": most, "list_same_article": same})
    return out, meta
