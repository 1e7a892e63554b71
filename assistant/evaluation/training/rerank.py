"""Fit the re-ranker of the reader's best spans (``assistant.answer.reader.rerank``).

Rows come from the product path: every training question is asked through the answerer
with the committed selection and reader models (the re-ranker off), and the reader's
first ``RERANK_K`` spans become one group, each span labelled by whether it holds a gold
answer (as ``assistant eval`` scores it). The span scores are those the committed models
give at run time, not a refit's (a refit of the selection stages does not reproduce the
committed ones). Each question is asked twice, with the committed extractive reader and
with one fitted without it (``regimes.TOKEN_REGIMES``). Out-of-fold figures (5 folds by question)
say whether the second look puts a right span first more often than the first look; they
are written in the model's ``meta``.
"""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.learned import Linear
from assistant.answer.reader.features import question_frame
from assistant.answer.reader.reader import second_look
from assistant.answer.reader.rerank import FIRST_LOOK_KINDS, RERANK_FEATURES, RERANK_K
from assistant.evaluation.training.fit import fit_ranker, fold_of, group_weights
from assistant.evaluation.training.regimes import ask_regimes

#: Sets whose training questions fit the re-ranker (each asked over its ``idx-<set>``):
#: realtimeqa's quiz questions, and the seeds' typed questions over long articles. Their
#: who-said questions are kept (the re-ranker leaves those alone at run time,
#: ``rerank.FIRST_LOOK_KINDS``): with them the other questions' first span is right for
#: 614 -> 636 out of fold, without them 614 -> 631 (committed reader scores only). polnear,
#: all who-said, is left out.
RERANK_SETS = ("realtimeqa", "seeds")


@dataclass
class Group:
    """One training question: its spans' re-ranker rows, labels and where it came from."""

    set: str
    qid: str
    rows: list[dict[str, float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    #: The question's kind (``QuestionKind``).
    kind: str = ""
    #: The extractive reader's scores it was asked with: "final" (the committed adapter)
    #: or "part" (an adapter fitted without this question; ``regimes.TOKEN_REGIMES``).
    regime: str = "final"

    @property
    def fold(self) -> int:
        return fold_of(self.set + "/" + self.qid)


def ask(answerer: Any, set_name: str, todo: Sequence[Any], log: Callable[[str], None] = print) -> list[Group]:
    """Ask every case of ``todo`` and keep the reader's first spans as a group."""
    from assistant.evaluation.eval import gold_forms
    from assistant.evaluation.training.data import right

    out: list[Group] = []
    t0 = time.perf_counter()
    for case in todo:
        tr = answerer.explain(case.question, history=case.history or None, asked_on=case.asked_on or None)
        reading, sel = tr.reading, tr.selection
        if reading is None or sel is None or not reading.scored or tr.analysis is None:
            continue
        feats = second_look(answerer.corpus, question_frame(tr.analysis), reading, sel.ranked, sel.documents,
                            answerer.embed)
        golds = gold_forms(case)
        labels = [int(right(sp.text, golds)) for _, sp in reading.scored[:RERANK_K]]
        out.append(Group(set_name, case.id, feats, labels, tr.analysis.kind))
    log(f"rerank: {set_name}: {len(todo)} questions asked in {time.perf_counter() - t0:.0f} s")
    return out


def ask_all(shared: Path, project: Path, cache: Path, log: Callable[[str], None] = print) -> list[Group]:
    """The groups of every training question of ``RERANK_SETS``, asked in both regimes of
    the extractive reader (``regimes.ask_regimes``), the re-ranker off."""
    return ask_regimes(shared, project, cache, RERANK_SETS, ask, "rerank", log, rerank=False)


def fit(groups: Sequence[Group], log: Callable[[str], None] = print) -> tuple[Linear, dict[str, Any]]:
    """The re-ranker, and its out-of-fold figures: per set, how many questions have a right
    span among the first ``RERANK_K`` and whose first span is right before and after the
    second look; and where it moved another span first, whether the old and the new were right."""
    X, y, owner = [], [], []
    for g, grp in enumerate(groups):
        for row, lab in zip(grp.rows, grp.labels, strict=True):
            X.append([float(row.get(f, 0.0)) for f in RERANK_FEATURES])
            y.append(lab)
            owner.append(g)
    Xa, ya, own = np.asarray(X, dtype=float), np.asarray(y), np.asarray(owner, dtype=int)
    folds = np.asarray([grp.fold for grp in groups])
    train = np.ones(len(groups), dtype=bool)
    z, model = fit_ranker(Xa, ya, own, group_weights([grp.set for grp in groups]), folds, train, RERANK_FEATURES)
    figures: dict[str, Any] = {}
    for name in sorted({f"{grp.set}/{grp.regime}" for grp in groups}):
        fig = dict.fromkeys(("questions", "right_in_top", "first_right_before", "first_right_after_oof", "moved",
                             "moved_old_right", "moved_new_right"), 0)
        for g, grp in enumerate(groups):
            if f"{grp.set}/{grp.regime}" != name:
                continue
            idx = np.nonzero(own == g)[0]
            best = int(np.argmax(z[idx]))
            fig["questions"] += 1
            fig["right_in_top"] += int(ya[idx].any())
            fig["first_right_before"] += int(ya[idx[0]])
            fig["first_right_after_oof"] += int(ya[idx[best]])
            if best != 0 and grp.kind not in FIRST_LOOK_KINDS:
                fig["moved"] += 1
                fig["moved_old_right"] += int(ya[idx[0]])
                fig["moved_new_right"] += int(ya[idx[best]])
        figures[name] = fig
        log(f"rerank: {name}: {fig['questions']} questions, a right span in the first {RERANK_K}: "
            f"{fig['right_in_top']}; first span right {fig['first_right_before']} -> {fig['first_right_after_oof']} "
            f"(out of fold); moved {fig['moved']}: right before {fig['moved_old_right']}, after "
            f"{fig['moved_new_right']}")
    return model, figures


def run(shared: Path, project: Path, cache: Path, out: Path, log: Callable[[str], None] = print,
        reuse: bool = False) -> dict[str, Any]:
    """Ask, fit and write ``out`` (the re-ranker's JSON, with its figures in ``meta``);
    with ``reuse``, the groups a previous run cached under ``cache`` are reused."""
    cached = cache / "rerank-groups.pkl"
    if reuse and cached.is_file():
        with cached.open("rb") as f:
            groups = pickle.load(f)
    else:
        groups = ask_all(shared, project, cache, log)
        with cached.open("wb") as f:
            pickle.dump(groups, f)
    model, figures = fit(groups, log)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**model.to_dict(), "meta": figures}, indent=1) + "\n", encoding="utf-8")
    return figures
