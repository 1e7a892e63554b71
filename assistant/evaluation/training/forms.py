"""``make train``'s forms stage: fit the learned choices of the question forms beyond a
factoid (``assistant.answer.forms``) and write ``assistant/answer/models/forms.json``.

Training questions (never the validation set ``natural/``):

- ``natural-train``: 272 questions in the forms over 45 polnear articles, asked of the
  whole polnear index (built by the selection stage, ``idx-polnear``);
- the seed form cases of ``eval/seeds.jsonl`` (those with a ``form``), asked of the seeds;
- for the near-miss guard only: the *training* split of realtimeqa (quiz years
  ``data.TRAIN_YEARS``, never the 2024 validation questions), asked of its index (built by the
  selection stage) on each quiz date. The guard reads every answered factoid-like reply, so it
  must see answerable news-quiz questions over short snippets as well as natural-train's over
  whole articles: fitted on natural-train and the seeds alone, it refused right realtimeqa
  answers whose long quiz questions carry words their one-sentence snippet lacks (2024
  validation false abstentions 227 -> 234 when it was refitted).

Each question is asked through the answerer as at run time (with the committed selection
models); its evidence gives each choice's rows through the same feature functions that
answering calls. Models are logistic regressions (``fit.fit_linear``: set-balanced, one
unit of weight per question, out-of-fold scores on 5 folds by question), calibrated by
isotonic regression of the out-of-fold probability of each question's reply to whether
that reply was right.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.evidence import Evidence, candidate_sentences
from assistant.answer.forms import features as F
from assistant.answer.forms.model import Choice, FormsModels
from assistant.answer.kinds import reason as reason_kind
from assistant.answer.kinds import yesno as yesno_kind
from assistant.evaluation.eval import load_cases
from assistant.evaluation.training.data import SETS, split_of
from assistant.evaluation.training.fit import (
    fit_isotonic,
    round_down,
    sigmoid,
)
from assistant.evaluation.training.lists import fit_lists
from assistant.evaluation.training.rows import FALSE_ABSTENTION, MIN_QUESTIONS, Asked, Rows, right, threshold

#: Where the training questions are, and the index each is asked of (under the cache).
FORM_SETS = {
    "natural-train": ("benchmarks/natural-train/questions.jsonl", "idx-polnear", "shared"),
    "seeds": ("eval/seeds.jsonl", "idx-seeds", "project"),
    "realtimeqa": ("benchmarks/realtimeqa/questions.jsonl", "idx-realtimeqa", "shared"),
}
#: Sets only the near-miss guard reads; of them only the training split (``data.split_of``) is
#: asked. realtimeqa-noanswer is not among them: its replies over one-sentence snippets look
#: like the answerable ones (the guard reads what the evidence lacks, and a snippet lacks most
#: words), and with them the guard refused 1 of natural-train's 18 answered near-misses out of
#: fold instead of 7 (measured on this stage's rows; realtimeqa right answers refused 8 of 624).
GUARD_ONLY_SETS = ("realtimeqa",)


def ask_all(shared: Path, project: Path, cache: Path, log: Callable[[str], None]) -> list[Asked]:
    """Every training question of ``FORM_SETS``, asked through the answerer."""
    from assistant.answer.answerer import Answerer
    from assistant.answer.corpus import IndexCorpus
    from assistant.answer.forms import guard, lists
    from assistant.api import Assistant
    from assistant.errors import ConfigError

    for name, (_, index, _) in FORM_SETS.items():  # every index before the first question is asked
        if not (cache / index / "chroma.sqlite3").is_file():
            raise ConfigError(f"the forms stage needs the index {cache / index} for {name}, and it is not there",
                              fix=f"run `assistant train --stage selection --cache {cache}` first (it builds the "
                                  "indexes), or `assistant train` for both stages")
    guard.ENABLED[0] = False
    lists.ENABLED[0] = False
    out: list[Asked] = []
    for name, (questions, index, base) in FORM_SETS.items():
        path = (shared if base == "shared" else project) / questions
        # natural-train: every case has a form; the seeds: every case (the near-miss guard
        # reads factoid and unanswerable ones too).
        cases = load_cases(path)
        if name in GUARD_ONLY_SETS:
            bench = SETS[name]
            cases = [c for c in cases if split_of(bench, c) == "train"]
        asst = Assistant.open(index_dir=cache / index)
        corpus = IndexCorpus(asst.local)
        answerer = Answerer(asst.retriever, corpus)
        t0 = time.perf_counter()
        for c in cases:
            tr = answerer.explain(c.question, history=c.history or None, asked_on=c.asked_on or None)
            ev = None
            if tr.analysis is not None and tr.passages:
                sents = tr.sentences or candidate_sentences(corpus, tr.analysis, tr.passages)
                ev = Evidence(qa=tr.analysis, corpus=corpus, passages=tr.passages, sents=sents, dialogue=tr.dialogue)
            out.append(Asked(name, c, ev, tr.answer))
        log(f"forms: {name}: {len(cases)} questions asked in {time.perf_counter() - t0:.0f} s")
    guard.ENABLED[0] = True
    lists.ENABLED[0] = True
    return out


# -- why / how ------------------------------------------------------------------------------------------
def fit_reason(asked: list[Asked], log: Callable[[str], None]) -> tuple[Choice | None, dict[str, Any]]:
    rows = Rows(F.REASON_FEATURES)
    for a in asked:
        if a.case.form != "why-how" or a.ev is None:
            continue
        cx = F.context(a.ev)
        for rank, st in F.candidates(a.ev):
            rows.add(F.reason_features(a.ev, cx, st, rank), right(st.text, a.case.answers), a, st.text)
    if len(rows.by_question()) < MIN_QUESTIONS:
        return None, {}
    z, linear = rows.rank()
    p = sigmoid(z)

    def replies(share: float) -> tuple[list[int], int]:
        """Per question, whether the reply holds a gold reason; and the sentences given."""
        oks, n = [], 0
        for _q, idx in rows.by_question().items():
            order = sorted(idx, key=lambda i: -z[i])
            parts = [order[0]] + [i for i in order[1:] if math.exp(z[i] - z[order[0]]) >= share]
            parts = parts[: reason_kind.MAX_PARTS]
            oks.append(int(any(rows.y[i] for i in parts)))
            n += len(parts)
        return oks, n

    grid = {s_: replies(s_) for s_ in reason_kind.SHARE_GRID}
    share = max(grid, key=lambda s_: (sum(grid[s_][0]), -grid[s_][1], s_))
    oks = grid[share][0]
    tops, hit1 = [], 0
    for _q, idx in rows.by_question().items():
        top = max(idx, key=lambda i: z[i])
        tops.append(float(p[top]))
        hit1 += rows.y[top]
    iso = fit_isotonic(np.asarray(tops), np.asarray(oks))
    conf = [iso(t) for t in tops]
    ch = Choice(linear, iso, threshold(conf))
    fig = {"questions": len(tops), "rows": len(rows.y), "best_sentence_right": hit1, "reply_right": sum(oks),
           "extra_share": share, "share_grid": {str(k): [sum(v[0]), v[1]] for k, v in grid.items()},
           "abstain_below": ch.abstain_below, "weights": dict(linear.standardised)}
    log(f"forms: reason: {fig['questions']} questions; best sentence right {hit1}, reply right {sum(oks)} "
        f"(out of fold)")
    return ch, fig


# -- yes / no -------------------------------------------------------------------------------------------
def yesno_replies(claim: Rows, evs: dict[str, Asked], pc: np.ndarray, pol: Choice,
                  share: float) -> tuple[list[int], int]:
    """Per question, whether the reply is right with the sentences that join the best one at
    ``share`` (``yesno.backing``: the polarity read from the best, a gold supporting phrase in
    any given sentence), from the out-of-fold claim probabilities ``pc``; and the sentences given."""
    oks, n = [], 0

    def said(a: Asked, st: Any) -> str:
        return "No" if pol.raw(F.polarity_features(a.ev, st)) >= 0.5 else "Yes"

    for q, idx in claim.by_question().items():
        a = evs[q]
        order = sorted(idx, key=lambda j: -pc[j])
        value = said(a, claim.payload[order[0]])
        more = yesno_kind.backing([(float(pc[j]), j) for j in order], value, share,
                                  lambda j, a=a: said(a, claim.payload[j]))
        parts = [order[0], *more]
        oks.append(int(value == a.case.answers[0].capitalize() and any(claim.y[j] for j in parts)))
        n += len(parts)
    return oks, n


def fit_yesno(asked: list[Asked], log: Callable[[str], None]) -> dict[str, tuple[Choice | None, dict[str, Any]]]:
    """The claim ranker (which sentence holds a gold supporting phrase), then the polarity
    model on the sentences that do (the gold's "Yes" / "No")."""
    claim, pol = Rows(F.CLAIM_FEATURES), Rows(F.POLARITY_FEATURES)
    evs: dict[str, Asked] = {}
    for a in asked:
        if a.case.form != "yes-no" or a.ev is None or not a.case.answers:
            continue
        want, support = a.case.answers[0].capitalize(), a.case.answers[1:]
        evs[a.qid] = a
        for st, x in F.claim_rows(a.ev):
            ok = right(st.text, support) if support else False
            claim.add(x, ok, a, st)
            if ok:
                pol.add(F.polarity_features(a.ev, st), want == "No", a, st)
    if len(claim.by_question()) < MIN_QUESTIONS:
        return {}
    zc, linear_c = claim.fit()
    zp, linear_p = pol.fit()
    pol_choice = Choice(linear_p)
    pc = sigmoid(zc)
    tops, oks, hit1, pol_ok = [], [], 0, 0
    for q, idx in claim.by_question().items():
        a = evs[q]
        i = max(idx, key=lambda j: pc[j])
        st = claim.payload[i]
        said = "No" if pol_choice.raw(F.polarity_features(a.ev, st)) >= 0.5 else "Yes"
        good = said == a.case.answers[0].capitalize()
        tops.append(float(pc[i]))
        oks.append(int(claim.y[i] and good))
        hit1 += claim.y[i]
        pol_ok += good
    pol_oof = sum(int((z >= 0) == bool(y)) for z, y in zip(zp, pol.y, strict=True))
    grid = {s_: yesno_replies(claim, evs, pc, pol_choice, s_) for s_ in reason_kind.SHARE_GRID}
    share = max(grid, key=lambda s_: (sum(grid[s_][0]), -grid[s_][1], s_))
    iso = fit_isotonic(np.asarray(tops), np.asarray(oks))
    ch = Choice(linear_c, iso, threshold([iso(t) for t in tops]))
    # The least of the asked event's words a sentence must cover to answer yes or no: the
    # FALSE_ABSTENTION quantile over the training sentences that hold a gold supporting phrase.
    covered = [x["claim"] for x, y in zip(claim.x, claim.y, strict=True) if y]
    floor = round_down(float(np.quantile(np.asarray(covered), FALSE_ABSTENTION))) if covered else 0.0
    # The rarest claim word an answering article may lack: the 1 - FALSE_ABSTENTION quantile,
    # over the training questions, of the gap of the article that holds the gold support. The
    # quantile is a training gap itself (``method="higher"``): interpolated between two, it cut
    # off the questions sitting at the higher (two natural-train questions share a gap of 0.724,
    # and an interpolated ceiling of 0.679 refused both, right answers before).
    gaps = [min(F.claim_gap(evs[q].ev, claim.payload[i])[0] for i in idx if claim.y[i])
            for q, idx in claim.by_question().items() if any(claim.y[i] for i in idx)]
    ceiling = (math.ceil(float(np.quantile(np.asarray(gaps), 1.0 - FALSE_ABSTENTION, method="higher")) * 1e4) / 1e4
               if gaps else 1.0)
    fig = {"claim_floor": floor, "gap_ceiling": ceiling, "gaps_at_ceiling": sum(g >= ceiling for g in gaps),
           "questions": len(tops), "best_sentence_right": hit1, "polarity_right_on_best": pol_ok,
           "polarity_rows": len(pol.y), "polarity_right_out_of_fold": pol_oof, "reply_right": sum(oks),
           "extra_share": share, "reply_right_with_extra": sum(grid[share][0]),
           "share_grid": {str(k): [sum(v[0]), v[1]] for k, v in grid.items()},
           "abstain_below": ch.abstain_below, "claim_weights": dict(linear_c.standardised),
           "polarity_weights": dict(linear_p.standardised)}
    log(f"forms: yes/no: {len(tops)} questions; best sentence right {hit1}, polarity right {pol_ok}, reply right "
        f"{sum(oks)} ({sum(grid[share][0])} with the sentences that join it at share {share}); polarity out of fold "
        f"{pol_oof}/{len(pol.y)}")
    return {"yesno_claim": (ch, fig), "yesno_polarity": (pol_choice, {})}


# -- summary ------------------------------------------------------------------------------------------
def fit_summary(asked: list[Asked], log: Callable[[str], None]) -> tuple[Choice | None, dict[str, Any]]:
    """The key-point ranker over every usable sentence of each summary question's gold
    article: a sentence is a key point when it holds a gold key phrase."""
    from assistant.answer.kinds.summary import key_point_rows, key_sentences

    rows = Rows(F.SUMMARY_FEATURES)
    docs = {}
    for a in asked:
        if a.case.form != "summary" or a.ev is None or not a.case.sources:
            continue
        doc = a.ev.corpus.doc(a.case.sources[0])
        if doc is None:
            continue
        docs[a.qid] = (a, doc)
        for _i, s, e, x, _v in key_point_rows(a.ev.corpus, doc, a.ev.qa.focus):
            rows.add(x, right(doc.text[s:e], a.case.answers), a)
    if len(rows.by_question()) < MIN_QUESTIONS:
        return None, {}
    _, linear = rows.fit()
    ch = Choice(linear)
    covered = 0
    for a, doc in docs.values():
        spans = key_sentences(a.ev.corpus, doc, focus=a.ev.qa.focus, model=ch)
        text = " ".join(doc.text[s:e] for s, e in spans)
        covered += sum(right(text, [g]) for g in a.case.answers) >= min(2, len(a.case.answers))
    fig = {"questions": len(docs), "rows": len(rows.y), "key_points_covered_in_sample": covered,
           "weights": dict(linear.standardised)}
    log(f"forms: summary: {len(docs)} questions; 2+ key points covered on the gold article {covered} (in sample)")
    return ch, fig


def fit_summary_article(asked: list[Asked], log: Callable[[str], None]) -> tuple[Choice | None, dict[str, Any]]:
    """Which retrieved article a summary question describes: a conditional logit over each
    summary question's retrieved articles (``summary.article_rows``), the gold source right."""
    from assistant.answer.kinds.summary import ARTICLE_FEATURES, article_rows, hand_article_score

    rows = Rows(ARTICLE_FEATURES)
    hand = 0
    for a in asked:
        if a.case.form != "summary" or a.ev is None:
            continue
        cands = article_rows(a.ev)
        if not any(doc.doc_id in a.case.sources for _, doc in cands):
            continue  # the described article was not retrieved: nothing to choose
        for x, doc in cands:
            rows.add(x, doc.doc_id in a.case.sources, a, doc.doc_id)
        best = max(cands, key=lambda r, a=a: hand_article_score(r[0], bool(a.ev.qa.focus)))
        hand += best[1].doc_id in a.case.sources
    if len(rows.by_question()) < MIN_QUESTIONS:
        return None, {}
    z, linear = rows.rank()
    hit = sum(rows.y[max(idx, key=lambda i: z[i])] for idx in rows.by_question().values())
    fig = {"questions": len(rows.by_question()), "rows": len(rows.y), "right_article_out_of_fold": hit,
           "right_article_hand": hand, "weights": dict(linear.standardised)}
    log(f"forms: summary article: {fig['questions']} questions; right article {hit} out of fold ({hand} by the "
        f"hand weights)")
    return Choice(linear), fig


# -- near-miss guard ------------------------------------------------------------------------------------
def nearmiss_threshold(conf: np.ndarray, y: np.ndarray, kept_right: np.ndarray) -> float:
    """The guard's threshold: fewest near-misses answered (``y`` 0 at or above it) plus right
    answers refused (``kept_right`` below it), at the lowest such confidence; then the middle
    between it and the next lower confidence, which gives the same training outcome with a
    margin on both sides (the calibration has few plateaus, and a threshold on the edge of one
    turns a small change in a reply's features into a refusal). Rounded down to 4 places."""
    best = (10**9, 0.0)
    for t in sorted(set(conf.tolist())):
        cost = int(((conf >= t) & (y == 0)).sum() + ((conf < t) & kept_right).sum())
        best = min(best, (cost, t))
    below = [c for c in set(conf.tolist()) if c < best[1]]
    mid = (max(below) + best[1]) / 2 if below else best[1]
    return round_down(mid)


def fit_nearmiss(asked: list[Asked], log: Callable[[str], None]) -> tuple[Choice | None, dict[str, Any]]:
    """Answer (1) or refuse (0): every answered question of a guarded kind; an answerable one
    is 1, a near-miss 0. The threshold minimises near-misses answered plus right answers
    refused, on the out-of-fold calibrated probability."""
    from assistant.answer.forms.guard import GUARDED, NEARMISS_FEATURES, features
    from assistant.evaluation.eval import score_case

    rows = Rows(NEARMISS_FEATURES)
    ok_if_kept = []
    for a in asked:
        ans, ev = a.answer, a.ev
        if ans is None or ans.abstained or ev is None or ev.qa.kind.value not in GUARDED:
            continue
        x, _ = features(ev.corpus, ev.qa, ans)
        rows.add(x, a.case.type != "unanswerable", a)
        ok_if_kept.append(bool(score_case(a.case, ans)["correct"]) if a.case.type != "unanswerable" else False)
    if sum(1 - y for y in rows.y) < 5:
        return None, {}
    z, linear = rows.fit()
    p = sigmoid(z)
    iso = fit_isotonic(p, np.asarray(rows.y))
    conf = np.asarray([iso(v) for v in p])
    y = np.asarray(rows.y)
    kept_right = np.asarray(ok_if_kept)
    # Chosen over every training question: on natural-train alone it refuses 8 near-misses for
    # 4 right answers there, but 8 right seed answers too (the seed eval's floor); realtimeqa's
    # answerable rows hold it off right answers over short snippets.
    natural = np.asarray([s_ == "natural-train" for s_ in rows.sets])
    rtqa = np.asarray([s_ == "realtimeqa" for s_ in rows.sets])
    thr = nearmiss_threshold(conf, y, kept_right)
    ch = Choice(linear, iso, thr)
    fig = {"rows": len(y), "near_miss": int((y == 0).sum()), "near_miss_refused": int(((conf < thr) & (y == 0)).sum()),
           "right_refused": int(((conf < thr) & kept_right).sum()), "answerable_refused": int(((conf < thr) & (y == 1)).sum()),
           "natural_near_miss_refused": int(((conf < thr) & (y == 0) & natural).sum()),
           "natural_right_refused": int(((conf < thr) & kept_right & natural).sum()),
           "realtimeqa_rows": int(rtqa.sum()), "realtimeqa_right_refused": int(((conf < thr) & kept_right & rtqa).sum()),
           "abstain_below": thr, "weights": dict(linear.standardised)}
    log(f"forms: near-miss: {fig['rows']} answered questions, {fig['near_miss']} near-miss; refused out of fold: "
        f"{fig['near_miss_refused']} near-miss, {fig['right_refused']} right answers")
    return ch, fig


# -- the stage ------------------------------------------------------------------------------------------
FITTERS: dict[str, Callable[[list[Asked], Callable[[str], None]], tuple[Choice | None, dict[str, Any]]]] = {
    "reason": fit_reason,
    "nearmiss": fit_nearmiss,
    "summary": fit_summary,
    "summary_article": fit_summary_article,
}


#: Fitters of several related choices at once.
MULTI_FITTERS = [fit_yesno]


def run(shared: Path, project: Path, cache: Path, models_out: Path, report_out: Path,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    """Ask the training questions, fit every choice, write the models and the report."""
    asked = ask_all(shared, project, cache, log)
    choices: dict[str, Choice] = {}
    figures: dict[str, Any] = {}
    for name, fitter in FITTERS.items():
        ch, fig = fitter(asked, log)
        if ch is not None:
            choices[name] = ch
        figures[name] = fig
    for fitter2 in MULTI_FITTERS:
        for name, (ch, fig) in fitter2(asked, log).items():
            if ch is not None:
                choices[name] = ch
            figures[name] = fig
    fitted, list_meta = fit_lists(asked, log)
    for name, (ch, fig) in fitted.items():
        if ch is not None:
            choices[name] = ch
        figures[name] = fig
    sets = {n: sum(a.set == n for a in asked) for n in FORM_SETS}
    floors = {k: v["claim_floor"] for k, v in figures.items() if isinstance(v, dict) and "claim_floor" in v}
    yn = figures.get("yesno_claim") or {}
    figs = {k: {kk: vv for kk, vv in v.items() if kk != "weights"} for k, v in figures.items()}
    models = FormsModels(choices, {"yesno_claim_floor": floors.get("yesno_claim", 0.0),
                                   "yesno_extra_share": yn.get("extra_share", yesno_kind.EXTRA_SHARE),
                                   "yesno_gap_ceiling": yn.get("gap_ceiling", 1.0),
                                   "reason_extra_share": (figures.get("reason") or {}).get("extra_share",
                                                                                          reason_kind.EXTRA_SHARE),
                                   **list_meta,
                                   "training_questions": sets,
                                   "figures": figs})
    models_out.parent.mkdir(parents=True, exist_ok=True)
    models_out.write_text(json.dumps(models.to_dict(), indent=1) + "\n", encoding="utf-8")
    rep = {"training_questions": sets, "choices": figures}
    report_out.parent.mkdir(parents=True, exist_ok=True)
    report_out.write_text(json.dumps(rep, indent=1) + "\n", encoding="utf-8")
    return rep
