"""How far ``Answer.confidence`` can be trusted: pure functions over eval report items.

- AUROC (the probability that a random positive outranks a random negative; Hanley &
  McNeil 1982) of right vs wrong answers, and of answerable-and-right questions vs
  unanswerable ones;
- expected calibration error over equal-width bins (Naeini et al. 2015; Guo et al. 2017)
  and the reliability table behind it;
- selective accuracy at each coverage: answer only the most confident share of questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Bins of the reliability table and of ECE (the usual 10; Guo et al. 2017).
BINS = 10
#: Coverages reported for selective accuracy.
COVERAGES = (0.2, 0.4, 0.6, 0.8, 0.9, 1.0)


def auroc(pos: Sequence[float], neg: Sequence[float]) -> float | None:
    """P(score of a positive > score of a negative), ties counted half; None if a side is empty."""
    if not pos or not neg:
        return None
    ranked = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    # Mann-Whitney U from average ranks (ties share their mean rank).
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2
        rank_sum += mean_rank * sum(1 for k in range(i, j) if ranked[k][1] == 1)
        i = j
    u = rank_sum - len(pos) * (len(pos) + 1) / 2
    return round(u / (len(pos) * len(neg)), 4)


def reliability(conf: Sequence[float], right: Sequence[bool], bins: int = BINS) -> list[dict[str, Any]]:
    """Per confidence bin: how many answers, their mean confidence, and how many were right."""
    rows = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(conf) if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if not idx:
            continue
        rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": len(idx),
                     "confidence": round(sum(conf[i] for i in idx) / len(idx), 3),
                     "accuracy": round(sum(bool(right[i]) for i in idx) / len(idx), 3)})
    return rows


def ece(conf: Sequence[float], right: Sequence[bool], bins: int = BINS) -> float | None:
    """Expected calibration error: the bins' |accuracy - confidence|, weighted by size."""
    if not conf:
        return None
    rows = reliability(conf, right, bins)
    return round(sum(r["n"] * abs(r["accuracy"] - r["confidence"]) for r in rows) / len(conf), 4)


def selective(conf: Sequence[float], right: Sequence[bool],
              coverages: Sequence[float] = COVERAGES) -> list[dict[str, Any]]:
    """Accuracy when only the most confident share of questions is answered."""
    order = sorted(range(len(conf)), key=lambda i: -conf[i])
    out = []
    for cov in coverages:
        n = max(1, round(cov * len(order))) if order else 0
        top = order[:n]
        out.append({"coverage": cov, "n": n,
                    "accuracy": round(sum(bool(right[i]) for i in top) / n, 4) if n else None,
                    "threshold": round(conf[top[-1]], 4) if n else None})
    return out


def calibration(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Confidence figures of one eval report's items (answerable ones; abstentions count
    as confidence 0 and wrong)."""
    ans = [r for r in items if r["type"] != "unanswerable"]
    conf = [0.0 if r["abstained"] else float(r["confidence"] or 0.0) for r in ans]
    right = [bool(r["correct"]) for r in ans]
    return {
        "auroc_right_vs_wrong": auroc([c for c, ok in zip(conf, right, strict=True) if ok],
                                      [c for c, ok in zip(conf, right, strict=True) if not ok]),
        "ece": ece(conf, right),
        "reliability": reliability(conf, right),
        "selective": selective(conf, right),
    }


def separation(answerable: Sequence[dict[str, Any]], unanswerable: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How well confidence separates answerable questions answered right from unanswerable
    ones (two reports: an answerable set and its no-answer twin)."""
    pos = [float(r["confidence"] or 0.0) for r in answerable if r["correct"] and not r["abstained"]]
    neg = [0.0 if r["abstained"] else float(r["confidence"] or 0.0) for r in unanswerable]
    ans = [r for r in answerable if r["type"] != "unanswerable"]
    return {
        "auroc_answerable_right_vs_unanswerable": auroc(pos, neg),
        "abstains_on_unanswerable": round(sum(r["abstained"] for r in unanswerable) / len(unanswerable), 4)
        if unanswerable else None,
        "false_abstention_rate": round(sum(r["abstained"] for r in ans) / len(ans), 4) if ans else None,
    }


def format_calibration(cal: dict[str, Any]) -> str:
    lines = [f"confidence: AUROC right vs wrong {cal['auroc_right_vs_wrong']}, ECE {cal['ece']}",
             "selective accuracy: " + ", ".join(
                 f"{int(s['coverage'] * 100)}% -> {s['accuracy']}" for s in cal["selective"]),
             "reliability (confidence bin: n, mean confidence, accuracy):"]
    lines += [f"  {r['bin']}: {r['n']:5d}  {r['confidence']:.3f}  {r['accuracy']:.3f}" for r in cal["reliability"]]
    return "\n".join(lines)
