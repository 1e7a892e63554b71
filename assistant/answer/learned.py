"""Learned scorers as data: a logistic regression over named features and an isotonic
map from its score to a calibrated probability. Both are fitted by ``make train``
(``assistant.evaluation.train``) and committed as small JSON files under
``assistant/answer/models/``; answering only evaluates them (numpy dot products), so
no machine-learning library loads at question time.
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


@dataclass(frozen=True)
class Isotonic:
    """A non-decreasing step map from a score to a probability (pool adjacent violators;
    Zadrozny & Elkan 2002): ``xs`` are the upper edges of the steps, ``ys`` their values."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __call__(self, x: float) -> float:
        if not self.xs:
            return x
        i = bisect.bisect_left(self.xs, x)
        return self.ys[min(i, len(self.ys) - 1)]


@dataclass(frozen=True)
class Logistic:
    """``sigmoid(intercept + sum(coef_i * (x_i - mean_i) / scale_i))`` over named features,
    then the isotonic calibration if there is one."""

    name: str
    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    calibration: Isotonic | None = None
    #: What the model was fitted on and how it scored on validation (for reports).
    meta: Mapping[str, Any] = field(default_factory=dict)

    def raw(self, x: Mapping[str, float]) -> float:
        z = self.intercept
        for f, c, m, s in zip(self.features, self.coef, self.mean, self.scale, strict=True):
            z += c * (float(x.get(f, 0.0)) - m) / (s or 1.0)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def __call__(self, x: Mapping[str, float]) -> float:
        p = self.raw(x)
        return self.calibration(p) if self.calibration is not None else p

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "features": list(self.features), "coef": list(self.coef),
                             "intercept": self.intercept, "mean": list(self.mean), "scale": list(self.scale),
                             "meta": dict(self.meta)}
        if self.calibration is not None:
            d["calibration"] = {"xs": list(self.calibration.xs), "ys": list(self.calibration.ys)}
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Logistic:
        cal = d.get("calibration")
        return cls(name=d["name"], features=tuple(d["features"]), coef=tuple(map(float, d["coef"])),
                   intercept=float(d["intercept"]), mean=tuple(map(float, d["mean"])),
                   scale=tuple(map(float, d["scale"])),
                   calibration=Isotonic(tuple(cal["xs"]), tuple(cal["ys"])) if cal else None,
                   meta=d.get("meta", {}))

    def weights(self) -> list[tuple[str, float]]:
        """Standardised coefficients, largest effect first (what the model learned)."""
        return sorted(zip(self.features, self.coef, strict=True), key=lambda fc: -abs(fc[1]))


@cache
def load(name: str) -> Logistic:
    """The committed model ``name`` (``assistant/answer/models/<name>.json``)."""
    text = resources.files(MODELS_PACKAGE).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return Logistic.from_dict(json.loads(text))


def vector(x: Mapping[str, float], features: Sequence[str]) -> list[float]:
    return [float(x.get(f, 0.0)) for f in features]
