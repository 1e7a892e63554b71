"""Validation figures of learned selection, per set and asked-on condition: document
re-ranking, reply accuracy against the rule pipeline's, abstention, and how far the
confidence can be trusted (AUROC, ECE, the reliability table)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from assistant.answer.learned import SelectionModels
from assistant.evaluation.calibration import auroc, ece, reliability
from assistant.evaluation.training.data import ARTICLE_MOD, TRAIN_YEARS


def _rate(xs: list[bool]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def report(items: list[Any], models: SelectionModels, figures: dict[str, Any]) -> dict[str, Any]:
    replies = figures["replies"]
    conf, use_t, ok = figures["confidence"], figures["use_typed"], figures["right"]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, r in enumerate(replies):
        if r.item.rec["split"] == "val":
            groups[(r.item.rec["set"], r.cond)].append(n)
    summary: dict[str, Any] = {}
    for (name, cond), idx in sorted(groups.items()):
        rows = [replies[n] for n in idx]
        below = [conf[n] < models.threshold(replies[n].dated, bool(figures["long"][n])) for n in idx]
        answerable = [r.item.answerable for r in rows]
        right = [bool(ok[n]) and not b for n, b in zip(idx, below, strict=True)]
        fig: dict[str, Any] = {"n": len(idx)}
        if any(answerable):
            golds = [r.item.rec["sources"] for r in rows]
            fig.update(
                reply_right=_rate([x for x, a in zip(right, answerable, strict=True) if a]),
                rule_right=_rate([bool(r.typed_right) for r, a in zip(rows, answerable, strict=True) if a]),
                sentence_right=_rate([bool(r.sentence_right) for r, a in zip(rows, answerable, strict=True) if a]),
                false_abstentions=_rate([b for b, a in zip(below, answerable, strict=True) if a]),
                typed_share=_rate([bool(use_t[n]) for n in idx]),
                doc_r1=_rate([bool(r.doc_ranks) and r.doc_ranks[0] in g for r, g in zip(rows, golds, strict=True)]),
                retriever_r1=_rate([bool(r.item.cands) and r.item.cands[0].doc_id in g
                                    for r, g in zip(rows, golds, strict=True)]),
                auroc_right_vs_wrong=auroc([float(conf[n]) for n, x in zip(idx, right, strict=True) if x],
                                           [float(conf[n]) for n, x in zip(idx, right, strict=True) if not x]),
                ece=ece([float(conf[n]) for n in idx], right),
            )
        else:
            fig["abstained"] = _rate(below)
        summary[f"{name}/{cond}"] = fig
    # Answerable-and-right vs no-answer, and the reliability table, per condition.
    for cond in ("on", "none"):
        pos = [n for (s, c), idx in groups.items() if s == "realtimeqa" and c == cond for n in idx]
        neg = [n for (s, c), idx in groups.items() if s == "noanswer" and c == cond for n in idx]
        if pos and neg:
            right_pos = [n for n in pos if ok[n]]
            summary[f"separation/{cond}"] = {
                "auroc_answerable_right_vs_noanswer": auroc([float(conf[n]) for n in right_pos],
                                                            [float(conf[n]) for n in neg]),
                "reliability": reliability([float(conf[n]) for n in pos + neg],
                                           [bool(ok[n]) for n in pos] + [False] * len(neg)),
                "ece": ece([float(conf[n]) for n in pos + neg], [bool(ok[n]) for n in pos] + [False] * len(neg)),
            }
    learned = {name: dict(getattr(models, name).standardised)
               for name in ("doc_stage1", "doc_stage2", "sentence", "reply_sentence", "reply_typed")}
    splits = {
        "realtimeqa, noanswer": f"asked_on year {'/'.join(TRAIN_YEARS)} train, later years validation",
        "polnear, seeds": f"by article: validation iff int(sha1(file name)[:8], 16) % {ARTICLE_MOD} == 0",
        "questions": {k: dict(v) for k, v in _counts(items).items()},
    }
    return {"summary": summary, "splits": splits, "learned": learned,
            "thresholds": {"abstain_below": models.abstain_below, "abstain_below_nodate": models.abstain_below_nodate,
                           "abstain_below_long": models.abstain_below_long},
            "kinds": list(models.kinds)}


def _counts(items: list[Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for it in items:
        out[it.rec["set"]][it.rec["split"]] += 1
    return out


def format_report(rep: dict[str, Any]) -> str:
    lines = [f"{'set/condition':22} {'n':>5} {'reply':>6} {'rules':>6} {'sent':>6} {'f.abst':>6} {'docR1':>6} "
             f"{'retR1':>6} {'AUROC':>6} {'ECE':>6} {'abst':>6}"]

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    for key, v in rep["summary"].items():
        if key.startswith("separation/"):
            continue
        lines.append(f"{key:22} {v['n']:>5} {f(v.get('reply_right')):>6} {f(v.get('rule_right')):>6} "
                     f"{f(v.get('sentence_right')):>6} {f(v.get('false_abstentions')):>6} {f(v.get('doc_r1')):>6} "
                     f"{f(v.get('retriever_r1')):>6} {f(v.get('auroc_right_vs_wrong')):>6} {f(v.get('ece')):>6} "
                     f"{f(v.get('abstained')):>6}")
    for cond in ("on", "none"):
        sep = rep["summary"].get(f"separation/{cond}")
        if sep:
            lines.append(f"answerable-right vs no-answer ({cond}): AUROC {f(sep['auroc_answerable_right_vs_noanswer'])},"
                         f" ECE {f(sep['ece'])}")
    lines.append(f"thresholds {rep['thresholds']}; learned selection serves kinds {rep['kinds']}")
    return "\n".join(lines)
