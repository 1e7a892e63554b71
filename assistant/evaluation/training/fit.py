"""Fitting helpers: logistic regressions with out-of-fold scores, set-balanced weights,
isotonic calibration, and export to the plain numbers answering reads
(``assistant.answer.learned``). Needs scikit-learn (a development dependency)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from assistant.answer.learned import Isotonic, Linear

#: Folds for out-of-fold scores on the training questions.
N_FOLDS = 5
#: Inverse regularisation of every logistic regression (scikit-learn's default; a sweep over
#: 0.1-10 moved validation figures by less than 0.01 in the research run).
LR_C = 1.0
#: Knots kept in an exported isotonic map (enough for a smooth, small file).
MAX_KNOTS = 60


def fold_of(base_id: str) -> int:
    """The fold of a training question: a question and its no-answer twin share ``base_id``."""
    return int(hashlib.sha1(base_id.encode("utf-8")).hexdigest()[:8], 16) % N_FOLDS


def balanced_weights(sets: Sequence[str], questions: Sequence[str] | None = None) -> np.ndarray:
    """Row weights. Each question's rows share one unit of weight (a long article gives many
    rows), then each set's total is scaled to SET_SHARE (polnear has ~20x the sentence rows
    of realtimeqa and ~3x its questions; unweighted, its who-said-what signal would set the
    shared weights)."""
    arr = np.asarray(sets)
    w = np.ones(len(arr))
    if questions is not None:
        q = np.asarray(questions)
        _, inv, counts = np.unique(q, return_inverse=True, return_counts=True)
        w = 1.0 / counts[inv]
    names = sorted(set(arr.tolist()))
    for n in names:
        m = arr == n
        w[m] = w[m] / w[m].sum() * len(arr) * SET_SHARE.get(n, 1.0) / sum(SET_SHARE.get(x, 1.0) for x in names)
    return w


#: Relative total weight of each training set (1 when not listed; see ``balanced_weights``).
#: The seed set has 49 training questions: at full weight it pulled the reply gate towards
#: itself (realtimeqa validation without a date 0.613-0.619 at 0.5-1.0); at 0.05-0.3 the
#: validation figures of every set moved by less than a question's worth. Chosen: 0.3.
SET_SHARE: dict[str, float] = {"seeds": 0.3}


def _fit(X: np.ndarray, y: np.ndarray, w: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=LR_C, max_iter=5000))
    if len(set(y.tolist())) < 2:  # a fold with one class: a constant model
        raise ValueError("only one class among the training rows")
    return model.fit(X, y, logisticregression__sample_weight=w)


def fit_linear(X: np.ndarray, y: np.ndarray, sets: Sequence[str], folds: np.ndarray, train: np.ndarray,
               names: Sequence[str], questions: Sequence[str] | None = None) -> tuple[np.ndarray, Linear]:
    """Fit on the ``train`` rows; return log-odds for every row (out-of-fold for training
    rows, from the full model for the rest) and the full model as a ``Linear``."""
    w = balanced_weights(sets, questions)
    out = np.zeros(len(y))
    for f in range(N_FOLDS):
        fit = train & (folds != f)
        sel = train & (folds == f)
        if sel.any():
            out[sel] = _fit(X[fit], y[fit], w[fit]).decision_function(X[sel])
    full = _fit(X[train], y[train], w[train])
    if (~train).any():
        out[~train] = full.decision_function(X[~train])
    return out, export(full, names)


def export(model, names: Sequence[str]) -> Linear:
    """The pipeline's scaler folded into the weights: the same log-odds from raw features."""
    scaler, lr = model[0], model[-1]
    scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
    coef = lr.coef_[0]
    weights = coef / scale
    bias = float(lr.intercept_[0] - np.sum(coef * scaler.mean_ / scale))
    std = {n: round(float(c), 3) for n, c in sorted(zip(names, coef, strict=True), key=lambda x: -abs(x[1]))}
    return Linear(tuple(names), tuple(round(float(v), 8) for v in weights), round(bias, 8), std)


def fit_isotonic(p: np.ndarray, y: np.ndarray) -> Isotonic:
    """Isotonic map from a probability to the observed rate of right replies."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
    xs, ys = iso.X_thresholds_, iso.y_thresholds_
    if len(xs) > MAX_KNOTS:  # keep the ends and evenly spaced knots between them
        idx = np.unique(np.linspace(0, len(xs) - 1, MAX_KNOTS).round().astype(int))
        xs, ys = xs[idx], ys[idx]
    return Isotonic(tuple(round(float(x), 6) for x in xs), tuple(round(float(v), 6) for v in ys))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
