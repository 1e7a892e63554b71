"""Yes / no: the sentence that best states (or denies) the asked claim, then its
polarity, both learned (``forms.features.claim_features`` and ``polarity_features``,
fitted by ``make train`` on natural-train's yes/no questions and the seed cases).

The reply leads with the answer: "Yes — “…” [1]" or "No — the article says: “…” [1]".
The polarity is read from the cited sentence itself (negation in the scope of the claim's
words, a negated question, "few" against "most", another name or number than the one
asked, an antonym of the asked word, contrast and refutation verbs), so the stated
answer always agrees with it. When no sentence states the claim well enough (the
claim model's calibrated confidence under the learned threshold), nothing is claimed:
"The articles don't say directly; they say: …" with the closest sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from assistant.answer.evidence import Candidate, Evidence, Sent
from assistant.answer.forms import features as F
from assistant.answer.forms.model import choice, load
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.parts import cited, multi, quoted
from assistant.answer.kinds.reason import odds_share
from assistant.answer.kinds.registry import register
from assistant.models import Answer, QuestionKind

#: Untrained fallback: a sentence states the claim when it covers this share of the
#: question's content words (idf-weighted). Set by hand on eval/seeds.jsonl.
STATED_COVERAGE = 0.6
#: Another claim sentence backs the answer ("Also: …") while its odds of stating the claim
#: are at least a share of the best one's and its own polarity agrees with the answer.
#: The share is learned by ``make train`` (``forms.json`` meta ``yesno_extra_share``: the
#: ``reason.SHARE_GRID`` value with the most out-of-fold natural-train replies right, fewest
#: sentences on a tie); untrained, no sentence joins (``EXTRA_SHARE`` above any odds ratio
#: a share can reach). At most ``MAX_PARTS`` sentences: the deciding one and one more, so
#: the reply stays a short answer (a design choice, not fitted).
EXTRA_SHARE, MAX_PARTS = float("inf"), 2


def extra_share() -> float:
    """The learned share (``EXTRA_SHARE`` untrained)."""
    return float(load().meta.get("yesno_extra_share", EXTRA_SHARE))


def backing(scored: Sequence[tuple[float, Sent]], said: str, share: float,
            polarity_of: Callable[[Sent], str]) -> list[Sent]:
    """The sentences after the best of ``scored`` (claim probability, sentence; best first)
    that join it: odds share at least ``share`` (``reason.odds_share``), same polarity as
    ``said``, up to ``MAX_PARTS`` in all."""
    if not scored or not said:
        return []
    p0 = scored[0][0]
    out: list[Sent] = []
    for p, st in scored[1:]:
        if len(out) + 1 >= MAX_PARTS or odds_share(p, p0) < share:
            break
        if polarity_of(st) == said:
            out.append(st)
    return out


def polarity(ev: Evidence, st: Sent) -> tuple[str, float]:
    """("Yes" | "No", P(No)) for the claim of ``ev.qa`` as ``st`` states it."""
    x = F.polarity_features(ev, st)
    model = choice("yesno_polarity")
    p_no = model.raw(x) if model is not None else float(x["neg_xor"] != x["few_most"])
    return ("No" if p_no >= 0.5 else "Yes"), p_no


@register(QuestionKind.YESNO)
class YesNoKind(TypedKind):
    #: The claim model reads the question's names as a feature.
    binds_names = False

    def candidates(self, ev: Evidence) -> list[Candidate]:
        model = choice("yesno_claim")
        scored = []
        for st, x in F.claim_rows(ev):
            p = model.raw(x) if model is not None else (x["claim_all"] if x["names"] >= 1.0 else 0.0)
            scored.append((p, st, x))
        if not scored:
            return []
        scored.sort(key=lambda t: -t[0])
        p, st, x = scored[0]
        conf = model.calibration(p) if model is not None else p
        meta = load().meta
        floor = float(meta.get("yesno_claim_floor", 0.0))
        gap, lacked = F.claim_gap(ev, st)
        ceiling = float(meta.get("yesno_gap_ceiling", 1.0))
        stated = (conf >= (model.abstain_below if model is not None else STATED_COVERAGE) and x["claim"] >= floor
                  and gap <= ceiling)
        value, p_no = polarity(ev, st) if stated else ("", 0.5)
        # The reason shown is the one used: the article never mentions the claim's rare words.
        note = "unstated" if stated or gap <= ceiling else f"unstated: the closest article never mentions {', '.join(lacked[:3])}"
        # Confidence in the stated answer: the sentence states the claim, and its polarity is read right.
        score = conf * max(p_no, 1.0 - p_no)
        more = backing([(q, s) for q, s, _ in scored], value, extra_share(), lambda s: polarity(ev, s)[0])
        if not more:
            return [Candidate(value, st, st.start, st.end, score, key=f"{st.doc.doc_id}:{st.start}",
                              note="" if stated else note)]
        cand = multi(value, [(st.doc, st.start, st.end)] + [(s.doc, s.start, s.end) for s in more], score,
                     key=f"{st.doc.doc_id}:{st.start}")
        cand.sent = st
        return [cand]

    def why_not(self, ev: Evidence, cand: Candidate) -> str:
        return ""  # an unstated claim is answered by ``finish`` (the closest sentence, no answer)

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        st: Sent = cand.sent
        if not cand.value:
            why = cand.note.partition(": ")[2]
            why = f" ({why})" if why else ""
            return f"The articles don't say directly{why}; they say: {quoted(st.doc, st.start, st.end)} {markers}"
        parts = list(zip(cited(cand), cite_ns, strict=True))
        (d, s, e), n = parts[0]
        more = " ".join(f"{quoted(d2, s2, e2)} [{n2}]" for (d2, s2, e2), n2 in parts[1:])
        more = f"\nAlso: {more}" if more else ""
        if cand.value == "No":
            return f"No — the article says: {quoted(d, s, e)} [{n}]{more}"
        return f"Yes — {quoted(d, s, e)} [{n}]{more}"

    def finish(self, ev: Evidence, cand: Candidate, answer: Answer) -> Answer:
        if cand.value:
            return replace(answer, answer=f"{cand.value} — {' '.join(cand.sent.text.split())}")
        # Neither stated nor denied: the closest sentence is shown, but nothing is answered.
        return replace(answer, answer="", abstained=True, confidence=0.0)
