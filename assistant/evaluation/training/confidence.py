"""Fit the model of the confidence a reader's reply shows (``assistant.answer.reader.confidence``).

Rows come from the product path: every answerable training question of
``CONFIDENCE_SETS`` is asked through the answerer with the committed selection, reader
and re-ranker models (this model off, and the near-miss guard off: it judges the reply
afterwards, with its own confidence). Each reader reply is one row
(``confidence.features``), labelled right or wrong as ``assistant eval`` scores it
(``correct``: the stated span, or the sentence of a reply without one, holds a gold
answer). A logistic regression on set-balanced rows (``fit.fit_linear``), then an isotonic
map fitted on its out-of-fold probabilities (5 folds by question). The figures written in
the model's ``meta`` are out of fold, per set: AUROC right-vs-wrong and ECE of the
confidence shown before and after.

The span and selection confidences in these rows are those of models fitted on the same
questions, so they run higher than on new ones. As for the re-ranker (``training.rerank``),
each question is asked twice where the out-of-fold adapters of the extractive reader are
in the cache (``regimes.TOKEN_REGIMES``): with the committed reader, and with one fitted without
it, whose scores are those of a new question.
"""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.learned import ConfidenceModel
from assistant.answer.reader.confidence import CONFIDENCE_FEATURES
from assistant.evaluation.calibration import auroc, ece
from assistant.evaluation.training.fit import fit_isotonic, fit_linear, fold_of, sigmoid
from assistant.evaluation.training.regimes import ask_regimes

#: Sets whose training questions fit the model (each asked over its ``idx-<set>``):
#: realtimeqa's quiz questions (snippets) and the seeds' typed questions (whole articles).
#: Who-said questions keep the span model's confidence (the answerer reads no row for them,
#: as the re-ranker leaves them alone), so polnear, all who-said, gives no rows. (A first
#: version read them too, polnear's training questions among the rows: out of fold its
#: AUROC went 0.773 -> 0.762, and polnear validation 0.863 -> 0.850.)
CONFIDENCE_SETS = ("realtimeqa", "seeds")
#: The regression's inverse regularisation, stronger than the other stages' ``fit.LR_C``:
#: out of fold on realtimeqa's training replies, AUROC 0.781 at C = 1, 0.785 at 0.3, 0.788
#: at 0.1, 0.791 at 0.03 and 0.01. Some 800 rows and 33 features; 0.03 chosen.
CONFIDENCE_C = 0.03


@dataclass
class Row:
    """One reader reply to a training question."""

    set: str
    qid: str
    x: dict[str, float]
    right: bool
    #: The confidence the reply showed without this model.
    before: float
    #: The extractive reader's scores it was asked with (``regimes.TOKEN_REGIMES``).
    regime: str = "final"

    @property
    def fold(self) -> int:
        return fold_of(self.set + "/" + self.qid)


def ask(answerer: Any, set_name: str, todo: Sequence[Any], log: Callable[[str], None] = print) -> list[Row]:
    """Ask every case of ``todo``; one row per reader reply."""
    from assistant.evaluation.eval import score_case

    out: list[Row] = []
    t0 = time.perf_counter()
    for case in todo:
        tr = answerer.explain(case.question, history=case.history or None, asked_on=case.asked_on or None)
        if tr.confidence_row is None or tr.answer is None:
            continue
        right = bool(score_case(case, tr.answer)["correct"])
        out.append(Row(set_name, case.id, dict(tr.confidence_row), right, float(tr.answer.confidence or 0.0)))
    log(f"confidence: {set_name}: {len(todo)} questions asked, {len(out)} reader replies, "
        f"in {time.perf_counter() - t0:.0f} s")
    return out


def ask_all(shared: Path, project: Path, cache: Path, log: Callable[[str], None] = print) -> list[Row]:
    """The rows of every answerable training question of ``CONFIDENCE_SETS``, asked in both
    regimes of the extractive reader (``regimes.ask_regimes``), this model and the guard off."""
    from assistant.answer.forms import guard

    was = guard.ENABLED[0]
    guard.ENABLED[0] = False
    try:
        return ask_regimes(shared, project, cache, CONFIDENCE_SETS, ask, "confidence", log, confidence=False)
    finally:
        guard.ENABLED[0] = was


def _figures(p: np.ndarray, before: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    pos, neg = y.astype(bool), ~y.astype(bool)
    return {"replies": len(y), "right": round(float(y.mean()), 4) if len(y) else None,
            "auroc_before": auroc(before[pos].tolist(), before[neg].tolist()),
            "auroc_after_oof": auroc(p[pos].tolist(), p[neg].tolist()),
            "ece_before": ece(before.tolist(), y.astype(bool).tolist()),
            "ece_after_oof": ece(p.tolist(), y.astype(bool).tolist())}


def fit(rows: Sequence[Row], log: Callable[[str], None] = print) -> tuple[ConfidenceModel, dict[str, Any]]:
    """The model, and its out-of-fold figures per set (see the module docstring)."""
    X = np.asarray([[r.x.get(f, 0.0) for f in CONFIDENCE_FEATURES] for r in rows], dtype=float)
    y = np.asarray([int(r.right) for r in rows])
    sets = [r.set for r in rows]
    folds = np.asarray([r.fold for r in rows])
    z, linear = fit_linear(X, y, sets, folds, np.ones(len(rows), dtype=bool), CONFIDENCE_FEATURES, c=CONFIDENCE_C)
    # The isotonic map is fitted on out-of-fold probabilities, as the model will meet new rows.
    iso = fit_isotonic(sigmoid(z), y)
    p = np.asarray([iso(float(v)) for v in sigmoid(z)])
    before = np.asarray([r.before for r in rows])
    figures: dict[str, Any] = {}
    groups = [f"{r.set}/{r.regime}" for r in rows]
    for name in sorted(set(groups)):
        m = np.asarray([g == name for g in groups])
        figures[name] = _figures(p[m], before[m], y[m])
        f = figures[name]
        log(f"confidence: {name}: {f['replies']} replies, right {f['right']}; AUROC {f['auroc_before']} -> "
            f"{f['auroc_after_oof']}, ECE {f['ece_before']} -> {f['ece_after_oof']} (out of fold)")
    return ConfidenceModel(linear, iso, figures), figures


def run(shared: Path, project: Path, cache: Path, out: Path, log: Callable[[str], None] = print,
        reuse: bool = False) -> dict[str, Any]:
    """Ask, fit and write ``out`` (the model's JSON, with its figures in ``meta``); with
    ``reuse``, the rows a previous run cached under ``cache`` are reused."""
    cached = cache / "confidence-rows.pkl"
    if reuse and cached.is_file():
        with cached.open("rb") as f:
            rows = pickle.load(f)
    else:
        rows = ask_all(shared, project, cache, log)
        cached.parent.mkdir(parents=True, exist_ok=True)
        with cached.open("wb") as f:
            pickle.dump(rows, f)
    model, figures = fit(rows, log)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    return figures
