"""Validation figures of learned selection, per set and asked-on condition: document
re-ranking, reply accuracy against the rule pipeline's, abstention, and how far the
confidence can be trusted (AUROC, ECE, the reliability table)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from assistant.answer.learned import ReaderModels, SelectionModels
from assistant.evaluation.calibration import auroc, ece, reliability
from assistant.evaluation.training.data import ARTICLE_MOD, TRAIN_YEARS


def _rate(xs: list[bool]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def _group(replies: list[Any], figures: dict[str, Any], models: SelectionModels, idx: list[int]) -> dict[str, Any]:
    """Validation figures of one (set, condition)."""
    conf, shown, ok = figures["reply_confidence"], figures["shown"], figures["right"]
    rows = [replies[n] for n in idx]
    below = [conf[n] < models.threshold(replies[n].dated, bool(figures["long"][n])) for n in idx]
    answerable = [r.item.answerable for r in rows]
    fig: dict[str, Any] = {"n": len(idx)}
    if not any(answerable):
        fig["abstained"] = _rate(below)
        return fig
    right = [bool(ok[n]) and not b for n, b in zip(idx, below, strict=True)]
    short = [bool(figures["short_right"][n]) and not b for n, b in zip(idx, below, strict=True)]
    said = [bool(figures["shown_right"][n]) and not b for n, b in zip(idx, below, strict=True)]
    golds = [r.item.rec["sources"] for r in rows]

    def on(xs: list[bool]) -> float | None:
        return _rate([x for x, a in zip(xs, answerable, strict=True) if a])

    fig.update(
        short_right=on(short), reply_right=on(right),
        rule_right=on([bool(r.typed_right) for r in rows]),
        sentence_right=on([bool(r.sentence_right) for r in rows]),
        false_abstentions=on(below),
        stated=on([bool(figures["stated"][n]) and not b for n, b in zip(idx, below, strict=True)]),
        guessed=on([bool(figures["guessed"][n]) and not b for n, b in zip(idx, below, strict=True)]),
        doc_r1=on([bool(r.doc_ranks) and r.doc_ranks[0] in g for r, g in zip(rows, golds, strict=True)]),
        retriever_r1=on([bool(r.item.cands) and r.item.cands[0].doc_id in g for r, g in zip(rows, golds, strict=True)]),
        # The confidence shown against whether what the reply states is right (the span
        # where it states one, else the sentence; an abstention is wrong).
        auroc_right_vs_wrong=auroc([float(shown[n]) for n, x in zip(idx, said, strict=True) if x],
                                   [float(shown[n]) for n, x in zip(idx, said, strict=True) if not x]),
        ece=ece([float(shown[n]) for n in idx], said),
        reliability=reliability([float(shown[n]) for n in idx], said),
    )
    if not all(answerable):
        # A set with both kinds: how many of its unanswerable questions it abstains on
        # (abstention recall), and how many of its abstentions were right (precision).
        fig["abstained"] = _rate([b for b, a in zip(below, answerable, strict=True) if not a])
        fig["abstention_precision"] = _rate([not a for b, a in zip(below, answerable, strict=True) if b])
    return fig


def report(items: list[Any], models: SelectionModels, reader: ReaderModels, figures: dict[str, Any]) -> dict[str, Any]:
    replies = figures["replies"]
    conf, ok = figures["reply_confidence"], figures["right"]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, r in enumerate(replies):
        if r.item.rec["split"] == "val":
            groups[(r.item.rec["set"], r.cond)].append(n)
    summary: dict[str, Any] = {f"{name}/{cond}": _group(replies, figures, models, idx)
                               for (name, cond), idx in sorted(groups.items())}
    # Answerable-and-right vs no-answer, and the reliability table, per condition.
    for cond in ("on", "none"):
        pos = [n for (s, c), idx in groups.items() if s == "realtimeqa" and c == cond for n in idx]
        neg = [n for (s, c), idx in groups.items() if s == "noanswer" and c == cond for n in idx]
        if pos and neg:
            neg_set = set(neg)
            right_pos = [n for n in pos if ok[n]]
            summary[f"separation/{cond}"] = {
                "auroc_answerable_right_vs_noanswer": auroc([float(conf[n]) for n in right_pos],
                                                            [float(conf[n]) for n in neg]),
                "ece": ece([float(conf[n]) for n in pos + neg], [bool(ok[n]) for n in pos] + [False] * len(neg)),
                # Of the abstentions over both sets (as they come, no reweighting), the share on
                # questions without an answer.
                "abstention_precision": _rate([n in neg_set for n in pos + neg
                                               if conf[n] < models.threshold(replies[n].dated, bool(figures["long"][n]))]),
            }
    learned = {name: dict(getattr(models, name).standardised)
               for name in ("doc_stage1", "doc_stage2", "sentence", "reply_sentence")}
    learned["reader_span"] = dict(reader.span.standardised)
    splits = {
        "realtimeqa, noanswer": f"asked_on year {'/'.join(TRAIN_YEARS)} train, later years validation",
        "polnear, seeds": f"by article: validation iff int(sha1(file name)[:8], 16) % {ARTICLE_MOD} == 0",
        "questions": {k: dict(v) for k, v in _counts(items).items()},
    }
    return {"summary": summary, "splits": splits, "learned": learned,
            "thresholds": {"abstain_below": models.abstain_below, "abstain_below_nodate": models.abstain_below_nodate,
                           "abstain_below_long": models.abstain_below_long, "state_span_at": reader.state_at, "guess_span_at": reader.guess_at},
            "reader": {"sentences": reader.sentences, **dict(reader.meta)},
            "kinds": list(models.kinds)}


def _counts(items: list[Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for it in items:
        out[it.rec["set"]][it.rec["split"]] += 1
    return out


def format_report(rep: dict[str, Any]) -> str:
    cols = ("n", "short_right", "reply_right", "rule_right", "sentence_right", "stated", "guessed", "false_abstentions",
            "doc_r1", "retriever_r1", "auroc_right_vs_wrong", "ece", "abstained")
    heads = ("n", "short", "reply", "rules", "sent", "stated", "guess", "f.abst", "docR1", "retR1", "AUROC", "ECE", "abst")
    lines = [f"{'set/condition':22} " + " ".join(f"{h:>6}" for h in heads)]

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    for key, v in rep["summary"].items():
        if key.startswith("separation/"):
            continue
        lines.append(f"{key:22} " + " ".join(f"{f(v.get(c)):>6}" for c in cols))
    for cond in ("on", "none"):
        sep = rep["summary"].get(f"separation/{cond}")
        if sep:
            lines.append(f"answerable-right vs no-answer ({cond}): AUROC {f(sep['auroc_answerable_right_vs_noanswer'])},"
                         f" ECE {f(sep['ece'])}, abstention precision {f(sep.get('abstention_precision'))}")
    lines.append(f"thresholds {rep['thresholds']}; reader {rep['reader']}; learned selection serves kinds "
                 f"{rep['kinds']}")
    return "\n".join(lines)
