"""The rows the forms stage fits its choices on: one training question as the answerer saw it
(``Asked``), a choice's candidate rows (``Rows``), and the helpers every form's fitter shares
(``assistant.evaluation.training.forms`` and ``.lists``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.answer.evidence import Evidence
from assistant.evaluation.eval import Case, contains_answer
from assistant.evaluation.training.fit import fit_linear, fit_ranker, fold_of, group_weights, round_down

#: A form's abstention threshold keeps this share of its answerable training questions
#: answered (the bound learned selection uses for false abstentions).
FALSE_ABSTENTION = 0.05
#: Fewest training questions a choice is fitted on; below it the choice stays untrained.
MIN_QUESTIONS = 15


@dataclass
class Asked:
    """One training question as the answerer saw it."""

    set: str
    case: Case
    ev: Evidence | None
    answer: Any

    @property
    def qid(self) -> str:
        return f"{self.set}/{self.case.id}"


# -- fitting helpers ----------------------------------------------------------------------------------
@dataclass
class Rows:
    """Candidate rows of one choice: features, label, and the question each belongs to."""

    names: Sequence[str]
    x: list[dict[str, float]]
    y: list[int]
    q: list[str]
    sets: list[str]
    payload: list[Any]

    def __init__(self, names: Sequence[str]) -> None:
        self.names, self.x, self.y, self.q, self.sets, self.payload = names, [], [], [], [], []

    def add(self, x: dict[str, float], y: int, asked: Asked, payload: Any = None) -> None:
        self.x.append(x)
        self.y.append(int(y))
        self.q.append(asked.qid)
        self.sets.append(asked.set)
        self.payload.append(payload)

    def fit(self) -> tuple[np.ndarray, Any]:
        """Out-of-fold log-odds for every row, and the full model (``learned.Linear``)."""
        X = np.asarray([[float(r.get(n, 0.0)) for n in self.names] for r in self.x], dtype=float)
        folds = np.asarray([fold_of(q) for q in self.q])
        return fit_linear(X, np.asarray(self.y), self.sets, folds, np.ones(len(self.y), dtype=bool), self.names,
                          self.q)

    def rank(self) -> tuple[np.ndarray, Any]:
        """As ``fit``, for a choice among each question's candidates: a conditional logit
        (``fit.fit_ranker``, the reader's ranker) learns what makes the right candidate beat the
        others of its own question, not what a right candidate looks like across questions
        (pooled, the evidence score's level set the claim ranker and coverage weighed against it)."""
        X = np.asarray([[float(r.get(n, 0.0)) for n in self.names] for r in self.x], dtype=float)
        qids = list(dict.fromkeys(self.q))
        index = {q: i for i, q in enumerate(qids)}
        groups = np.asarray([index[q] for q in self.q])
        gsets = [self.sets[self.q.index(q)] for q in qids]
        folds = np.asarray([fold_of(q) for q in qids])
        return fit_ranker(X, np.asarray(self.y), groups, group_weights(gsets), folds, np.ones(len(qids), dtype=bool),
                          self.names)

    def by_question(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, q in enumerate(self.q):
            out.setdefault(q, []).append(i)
        return out


def threshold(conf: Sequence[float]) -> float:
    """The calibrated confidence below which a form abstains: the ``FALSE_ABSTENTION``
    quantile of its answerable training questions' confidences."""
    # Rounded down: a threshold rounded up past a calibration plateau would abstain on all of it.
    return round_down(float(np.quantile(np.asarray(conf), FALSE_ABSTENTION))) if len(conf) else 0.0


def right(text: str, golds: Sequence[str]) -> bool:
    return bool(text) and any(contains_answer(text, g) for g in golds)
