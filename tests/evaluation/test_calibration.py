"""Confidence figures of eval reports: AUROC, ECE, reliability, selective accuracy."""

from __future__ import annotations

import pytest

from assistant.evaluation.calibration import auroc, calibration, ece, reliability, selective, separation


def test_auroc_ranks_and_ties():
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([0.5], [0.5]) == 0.5  # a tie counts half
    assert auroc([0.9, 0.4], [0.5, 0.1]) == 0.75
    assert auroc([], [0.1]) is None


def test_ece_is_zero_when_confidence_matches_accuracy():
    conf = [0.75] * 4
    assert ece(conf, [True, True, True, False]) == pytest.approx(0.0)
    assert ece([0.95] * 2, [False, False]) == pytest.approx(0.95)
    rows = reliability([0.05, 0.95, 0.97], [False, True, True])
    assert [(r["bin"], r["n"], r["accuracy"]) for r in rows] == [("0.0-0.1", 1, 0.0), ("0.9-1.0", 2, 1.0)]


def test_selective_accuracy_answers_the_most_confident_first():
    sel = selective([0.9, 0.8, 0.2, 0.1], [True, True, False, False], coverages=(0.5, 1.0))
    assert [(s["coverage"], s["accuracy"]) for s in sel] == [(0.5, 1.0), (1.0, 0.5)]


def _item(conf, correct, abstained=False, typ="other"):
    return {"type": typ, "confidence": conf, "correct": correct, "abstained": abstained}


def test_report_figures_count_abstentions_as_unconfident():
    items = [_item(0.9, True), _item(0.2, False), _item(0.0, False, abstained=True), _item(0.0, True, True, "unanswerable")]
    cal = calibration(items)
    assert cal["auroc_right_vs_wrong"] == 1.0
    sep = separation(items[:3], [_item(0.1, True, True, "unanswerable"), _item(0.3, False, False, "unanswerable")])
    assert sep["auroc_answerable_right_vs_unanswerable"] == 1.0
    assert sep["abstains_on_unanswerable"] == 0.5 and sep["false_abstention_rate"] == pytest.approx(1 / 3, abs=1e-4)

