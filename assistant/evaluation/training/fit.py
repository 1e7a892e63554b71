"""Fitting helpers: logistic regressions with out-of-fold scores, set-balanced weights,
isotonic calibration, and export to the plain numbers answering reads
(``assistant.answer.learned``). Needs scikit-learn (a development dependency)."""

from __future__ import annotations

import hashlib
import math
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


def _fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, c: float = LR_C):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(set(y.tolist())) < 2:  # rows of one class (a small set): a constant model
        return _Constant(X.shape[1], float(y[0]) if len(y) else 0.0)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
    return model.fit(X, y, logisticregression__sample_weight=w)


#: Log-odds of a constant model fitted on rows of one class (a probability of 1/(1+e^-6),
#: about 0.998, rather than an infinite one).
CONSTANT_LOGIT = 6.0


class _Constant:
    """What ``_fit`` returns for rows of one class: the same log-odds for every row, shaped
    like the pipeline ``export`` reads (a scaler, then a model with ``coef_``)."""

    def __init__(self, n: int, label: float) -> None:
        from types import SimpleNamespace

        z = CONSTANT_LOGIT if label else -CONSTANT_LOGIT
        self._z = z
        self._parts = (SimpleNamespace(scale_=np.ones(n), mean_=np.zeros(n)),
                       SimpleNamespace(coef_=np.zeros((1, n)), intercept_=np.asarray([z])))

    def __getitem__(self, i: int):
        return self._parts[i]

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.full(len(X), self._z)


def fit_linear(X: np.ndarray, y: np.ndarray, sets: Sequence[str], folds: np.ndarray, train: np.ndarray,
               names: Sequence[str], questions: Sequence[str] | None = None, c: float = LR_C
               ) -> tuple[np.ndarray, Linear]:
    """Fit on the ``train`` rows; return log-odds for every row (out-of-fold for training
    rows, from the full model for the rest) and the full model as a ``Linear``; ``c``: the
    inverse regularisation."""
    w = balanced_weights(sets, questions)
    out = np.zeros(len(y))
    for f in range(N_FOLDS):
        fit = train & (folds != f)
        sel = train & (folds == f)
        if sel.any():
            out[sel] = _fit(X[fit], y[fit], w[fit], c).decision_function(X[sel])
    full = _fit(X[train], y[train], w[train], c)
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


#: L2 penalty of the conditional logit ranker on standardised features (scikit-learn's
#: default C = 1 for the logistic regressions; the same strength here).
RANKER_L2 = 1.0


def _clogit(X: np.ndarray, y: np.ndarray, groups: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Conditional logit (McFadden 1974): softmax over each group's rows, maximising the
    probability of its positive rows; groups without one are left out. Returns raw weights,
    bias (0 for a softmax; kept for the export) and standardised weights."""
    from scipy.optimize import minimize

    order = np.argsort(groups, kind="stable")
    X, y, groups = X[order], y[order].astype(float), groups[order]
    mu, sd = X.mean(0), X.std(0)
    sd = np.where(sd == 0, 1.0, sd)
    Xs = (X - mu) / sd
    uniq, starts = np.unique(groups, return_index=True)
    sizes = np.diff(np.append(starts, len(groups)))
    gw = w[uniq] * (np.add.reduceat(y, starts) > 0)

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = Xs @ beta
        z = z - np.repeat(np.maximum.reduceat(z, starts), sizes)
        e = np.exp(z)
        all_ = np.add.reduceat(e, starts)
        pos = np.add.reduceat(e * y, starts)
        ok = gw > 0
        val = float(np.sum(gw[ok] * (np.log(all_[ok]) - np.log(pos[ok])))) + 0.5 * RANKER_L2 * float(beta @ beta)
        p_all = e / np.repeat(all_, sizes)
        p_pos = e * y / np.repeat(np.where(pos > 0, pos, 1.0), sizes)
        grad = Xs.T @ (np.repeat(gw, sizes) * (p_all - p_pos)) + RANKER_L2 * beta
        return val, grad

    res = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    beta = res.x
    return beta / sd, float(-np.sum(beta * mu / sd)), beta


def fit_ranker(X: np.ndarray, y: np.ndarray, groups: np.ndarray, group_weight: np.ndarray, folds: np.ndarray,
               train: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, Linear]:
    """Fit a conditional logit over the rows of each group (one question's candidates) on
    the groups with ``train`` set; return every row's score (out of fold for training
    groups) and the full model. ``group_weight``, ``folds`` and ``train`` are per group."""
    out = np.zeros(len(y))
    row_fold, row_train = folds[groups], train[groups]
    for f in range(N_FOLDS):
        sel = row_train & (row_fold == f)
        if sel.any():
            coef, bias, _ = _clogit(X, y, groups, group_weight * (train & (folds != f)))
            out[sel] = X[sel] @ coef + bias
    coef, bias, std = _clogit(X, y, groups, group_weight * train)
    out[~row_train] = X[~row_train] @ coef + bias
    named = {n: round(float(c), 3) for n, c in sorted(zip(names, std, strict=True), key=lambda x: -abs(x[1]))}
    return out, Linear(tuple(names), tuple(round(float(v), 8) for v in coef), round(bias, 8), named)


def group_weights(sets: Sequence[str]) -> np.ndarray:
    """One unit of weight per group, each set's total scaled to ``SET_SHARE`` (as
    ``balanced_weights`` does for rows)."""
    return balanced_weights(sets)


#: Thresholds are stored with this many decimals, rounded *down*: calibration gives many
#: replies one confidence (an isotonic plateau), and a quantile on a plateau rounded up
#: abstained on the whole plateau (0.710383 -> 0.7104 abstained on 5 seed validation replies).
THRESHOLD_DECIMALS = 4


def round_down(x: float, decimals: int = THRESHOLD_DECIMALS) -> float:
    """``x`` with ``decimals`` decimals, never above it (a stored threshold abstains on no
    confidence its quantile answers)."""
    f = 10 ** decimals
    return math.floor(x * f + 1e-9) / f
