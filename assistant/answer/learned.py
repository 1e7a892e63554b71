"""Learned scorers as data: linear models over named features, an isotonic map to a
calibrated probability, and the thresholds chosen on validation. ``make train``
(``assistant.evaluation.training``) fits them and writes one JSON file under
``assistant/answer/models/``; answering only evaluates them (sums of products), so no
machine-learning library loads at question time.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

#: Where the fitted models live inside the package.
MODELS_PACKAGE = "assistant.answer.models"
#: The selection models' file (``<name>.json``).
SELECTION = "selection"
#: The reader's model file.
READER = "reader"
#: The re-ranker of the reader's best spans (``reader.rerank``).
RERANK = "rerank"
#: The model of the confidence a reader's reply shows (``reader.confidence``).
CONFIDENCE = "confidence"


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True)
class Linear:
    """``bias + sum(weight_f * x_f)`` over named raw features (a logistic regression's
    log-odds, its feature scaling folded into the weights)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    #: The standardised coefficients (what the model learned, largest effect first).
    standardised: Mapping[str, float] = field(default_factory=dict)

    def __call__(self, x: Mapping[str, float]) -> float:
        return self.bias + sum(w * float(x.get(f, 0.0)) for f, w in zip(self.features, self.weights, strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "weights": list(self.weights), "bias": self.bias,
                "standardised": dict(self.standardised)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Linear:
        return cls(tuple(d["features"]), tuple(float(w) for w in d["weights"]), float(d["bias"]),
                   dict(d.get("standardised", {})))


@dataclass(frozen=True)
class Isotonic:
    """A non-decreasing map from a probability to a calibrated one (pool adjacent violators;
    Zadrozny & Elkan 2002), piecewise linear between its knots and flat beyond them."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __call__(self, x: float) -> float:
        if not self.xs:
            return x
        if x <= self.xs[0]:
            return self.ys[0]
        if x >= self.xs[-1]:
            return self.ys[-1]
        i = bisect.bisect_right(self.xs, x)
        x0, x1, y0, y1 = self.xs[i - 1], self.xs[i], self.ys[i - 1], self.ys[i]
        return y1 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)


@dataclass(frozen=True)
class SelectionModels:
    """Everything learned selection reads (see ``assistant.answer.selection``)."""

    doc_stage1: Linear
    doc_stage2: Linear
    sentence: Linear
    reply_sentence: Linear
    calibration: Isotonic
    #: Abstain below this calibrated confidence: with a usable asked-on date; without one, for
    #: a reply from a brief (a few sentences) and from a long article. Each keeps false
    #: abstentions at 5% on the training questions of its kind; confidence runs lower on briefs
    #: read without a date than on articles, so one threshold would not serve both.
    abstain_below: float
    abstain_below_nodate: float
    abstain_below_long: float
    #: Passages retrieved, and documents whose sentences compete for the reply.
    k: int
    top_docs: int
    #: Question kinds the models were fitted for; other kinds keep the rule pipeline's reply.
    kinds: tuple[str, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def threshold(self, dated: bool, long: bool) -> float:
        """The abstention threshold for a reply (see the three ``abstain_below*``)."""
        if dated:
            return self.abstain_below
        return self.abstain_below_long if long else self.abstain_below_nodate

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_stage1": self.doc_stage1.to_dict(), "doc_stage2": self.doc_stage2.to_dict(),
            "sentence": self.sentence.to_dict(), "reply_sentence": self.reply_sentence.to_dict(),
            "calibration": {"xs": list(self.calibration.xs), "ys": list(self.calibration.ys)},
            "abstain_below": self.abstain_below, "abstain_below_nodate": self.abstain_below_nodate,
            "abstain_below_long": self.abstain_below_long,
            "k": self.k, "top_docs": self.top_docs, "kinds": list(self.kinds),
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SelectionModels:
        cal = d["calibration"]
        return cls(
            doc_stage1=Linear.from_dict(d["doc_stage1"]), doc_stage2=Linear.from_dict(d["doc_stage2"]),
            sentence=Linear.from_dict(d["sentence"]), reply_sentence=Linear.from_dict(d["reply_sentence"]),
            calibration=Isotonic(tuple(cal["xs"]), tuple(cal["ys"])),
            abstain_below=float(d["abstain_below"]), abstain_below_nodate=float(d["abstain_below_nodate"]),
            abstain_below_long=float(d.get("abstain_below_long", d["abstain_below_nodate"])),
            k=int(d["k"]), top_docs=int(d["top_docs"]),
            kinds=tuple(d["kinds"]), meta=d.get("meta", {}))


@dataclass(frozen=True)
class ReaderModels:
    """What the reader reads (see ``assistant.answer.reader``)."""

    #: Scores span candidates against each other (a conditional logit: the best is the answer).
    span: Linear
    #: Log-odds that the best span is right, from how it beat the others.
    confidence: Linear
    #: That probability -> the observed rate of right answers.
    calibration: Isotonic
    #: State the best span as the answer when its calibrated probability is at least this;
    #: below it the reply says it is not sure and gives the closest statement.
    state_at: float
    #: Ranked sentences whose spans compete.
    sentences: int
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: Between this and ``state_at`` the reply offers the best span as a guess ("Possibly
    #: London"), with its low confidence; below it, no span. ``None``: no guess tier (a
    #: model written before it existed), the same as ``state_at``.
    guess_at: float | None = None

    @property
    def guess_floor(self) -> float:
        return self.state_at if self.guess_at is None else min(self.guess_at, self.state_at)

    def to_dict(self) -> dict[str, Any]:
        return {"span": self.span.to_dict(), "confidence": self.confidence.to_dict(),
                "calibration": {"xs": list(self.calibration.xs), "ys": list(self.calibration.ys)},
                "state_at": self.state_at, "guess_at": self.guess_at, "sentences": self.sentences,
                "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReaderModels:
        cal = d["calibration"]
        return cls(span=Linear.from_dict(d["span"]), confidence=Linear.from_dict(d["confidence"]),
                   calibration=Isotonic(tuple(cal["xs"]), tuple(cal["ys"])),
                   state_at=float(d["state_at"]), sentences=int(d["sentences"]), meta=d.get("meta", {}),
                   guess_at=None if d.get("guess_at") is None else float(d["guess_at"]))


@dataclass(frozen=True)
class ConfidenceModel:
    """The probability that a reply's answer is right, from what the reader and its
    re-ranker saw (``reader.confidence``): a logistic regression, then an isotonic map
    fitted on its out-of-fold probabilities."""

    linear: Linear
    calibration: Isotonic
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, x: Mapping[str, float]) -> float:
        return round(self.calibration(sigmoid(self.linear(x))), 4)

    def to_dict(self) -> dict[str, Any]:
        return {"linear": self.linear.to_dict(),
                "calibration": {"xs": list(self.calibration.xs), "ys": list(self.calibration.ys)},
                "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ConfidenceModel:
        cal = d["calibration"]
        return cls(Linear.from_dict(d["linear"]), Isotonic(tuple(cal["xs"]), tuple(cal["ys"])), d.get("meta", {}))


def _read(name: str) -> dict[str, Any] | None:
    f = resources.files(MODELS_PACKAGE).joinpath(f"{name}.json")
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None


@cache
def load_reader(name: str = READER) -> ReaderModels | None:
    """The committed reader model (``assistant/answer/models/<name>.json``), or None."""
    d = _read(name)
    return None if d is None else ReaderModels.from_dict(d)


@cache
def load_rerank(name: str = RERANK) -> Linear | None:
    """The committed re-ranker of the reader's best spans (its ``meta`` left out), or None
    (not trained)."""
    d = _read(name)
    return None if d is None else Linear.from_dict(d)


@cache
def load_confidence(name: str = CONFIDENCE) -> ConfidenceModel | None:
    """The committed model of a reader reply's confidence, or None (not trained: the reply
    shows the span model's own confidence)."""
    d = _read(name)
    return None if d is None else ConfidenceModel.from_dict(d)


@cache
def load(name: str = SELECTION) -> SelectionModels | None:
    """The committed models ``name`` (``assistant/answer/models/<name>.json``); None when
    they have not been trained (the rule pipeline then answers alone)."""
    d = _read(name)
    return None if d is None else SelectionModels.from_dict(d)


def vector(x: Mapping[str, float], features: Sequence[str]) -> list[float]:
    return [float(x.get(f, 0.0)) for f in features]
