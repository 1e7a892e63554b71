"""The fitted numbers of the forms (``assistant/answer/models/forms.json``): for each
learned choice a logistic regression over named features (``learned.Linear``), an isotonic
map of its probability to the observed rate of right replies (``learned.Isotonic``), and
the threshold below which the form abstains. ``make train`` writes the file
(``assistant.evaluation.training.forms``); answering only evaluates it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from assistant.answer.learned import MODELS_PACKAGE, Isotonic, Linear, sigmoid

#: The forms models' file (``<name>.json`` under ``assistant/answer/models``).
FORMS = "forms"


@dataclass(frozen=True)
class Choice:
    """One learned choice: P(right) = calibration(sigmoid(linear(x))); abstain below
    ``abstain_below`` (of the calibrated probability)."""

    linear: Linear
    calibration: Isotonic = field(default_factory=lambda: Isotonic((), ()))
    abstain_below: float = 0.0

    def raw(self, x: Mapping[str, float]) -> float:
        """The uncalibrated probability (for ranking)."""
        return sigmoid(self.linear(x))

    def __call__(self, x: Mapping[str, float]) -> float:
        """The calibrated probability."""
        return self.calibration(self.raw(x))

    def to_dict(self) -> dict[str, Any]:
        return {"linear": self.linear.to_dict(),
                "calibration": {"xs": list(self.calibration.xs), "ys": list(self.calibration.ys)},
                "abstain_below": self.abstain_below}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Choice:
        cal = d.get("calibration") or {"xs": [], "ys": []}
        return cls(Linear.from_dict(d["linear"]), Isotonic(tuple(cal["xs"]), tuple(cal["ys"])),
                   float(d.get("abstain_below", 0.0)))


@dataclass(frozen=True)
class FormsModels:
    """Every learned choice of the forms, by name (``reason``, ``yesno_claim``,
    ``yesno_polarity``, ``summary``, ``side``, ``nearmiss``, ...), and what training
    measured (``meta``)."""

    choices: Mapping[str, Choice]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Choice | None:
        return self.choices.get(name)

    def to_dict(self) -> dict[str, Any]:
        return {"choices": {k: v.to_dict() for k, v in sorted(self.choices.items())}, "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FormsModels:
        return cls({k: Choice.from_dict(v) for k, v in d.get("choices", {}).items()}, d.get("meta", {}))


@cache
def load(name: str = FORMS) -> FormsModels:
    """The committed forms models; empty when they have not been trained (each form then
    ranks by its fallback feature, see ``features.FALLBACK``)."""
    f = resources.files(MODELS_PACKAGE).joinpath(f"{name}.json")
    if not f.is_file():
        return FormsModels({})
    return FormsModels.from_dict(json.loads(f.read_text(encoding="utf-8")))


def choice(name: str) -> Choice | None:
    """The committed model of one choice (None when untrained)."""
    return load().get(name)
