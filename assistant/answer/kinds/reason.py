"""Why / how: the sentences that give the reason or the means, best first, cited; the
reply leads with the reason ("Because …", "By …") when the best sentence states it
with a connective.

Which sentences: a learned ranker (``forms.features.reason_features``, fitted by ``make
train`` on natural-train's why/how questions and the seed cases) reads the evidence
score, the document's standing, causal / purpose / means connectives, the asked event's
words in the sentence and the one before it, nearness to the sentences that state the
event, a speaker's explanation, position and length. The reply gives the best sentence
and up to two more the ranker finds nearly as likely (a reason is often argued over
a few sentences). A question about an event no retrieved sentence mentions abstains.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from assistant.answer.evidence import Candidate, Evidence, stems
from assistant.answer.forms import features as F
from assistant.answer.forms.model import choice, load
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.parts import cited, multi, quoted
from assistant.answer.kinds.registry import register
from assistant.models import QuestionKind

#: More sentences join the best one while their probability of being the question's
#: reason sentence (the ranker's softmax over the candidates, a conditional logit) is at
#: least a share of the best one's, up to ``MAX_PARTS`` in all. The share is learned by
#: ``make train`` (``forms.json`` meta ``reason_extra_share``: the grid value ``SHARE_GRID``
#: with the most out-of-fold natural-train replies holding a gold reason, fewest sentences
#: on a tie); ``EXTRA_SHARE`` is the untrained fallback (chosen on natural-train before the
#: ranker was a conditional logit).
EXTRA_SHARE, MAX_PARTS = 0.5, 3
SHARE_GRID = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


def extra_share() -> float:
    """The learned share (``EXTRA_SHARE`` untrained)."""
    return float(load().meta.get("reason_extra_share", EXTRA_SHARE))


def odds_share(p: float, p0: float) -> float:
    """A candidate's softmax probability as a share of the best one's, from their ranker
    probabilities (sigmoids of the linear scores): exp(z - z0)."""
    def logit(v: float) -> float:
        v = min(max(v, 1e-12), 1 - 1e-12)
        return math.log(v / (1 - v))
    return math.exp(logit(p) - logit(p0))
#: The reason must be about the asked event: some candidate covers at least this share of
#: the question's words other than names (idf-weighted), with the sentence before it. Set
#: by hand on eval/seeds.jsonl (a question's own paraphrase must not sink every sentence).
EVENT_COVERAGE = 0.3

#: A connective that opens the reason inside the best sentence, for the reply's lead.
_LEAD_WHY = re.compile(r"\b(because(?: of)?|due to|owing to|thanks to|in response to|in order to|so that|"
                       r"in an effort to|in a bid to|after|amid|citing|blam(?:ed|ing) [^,.;]{1,40}? on)\b\s*", re.I)
_LEAD_HOW = re.compile(r"\b(by (?=\w+ing\b)|through|using|with the help of)\s*", re.I)


def lead(text: str, how: bool) -> str:
    """"Because …" / "By …": the clause of ``text`` from its first connective of the asked
    relation to the clause's end ("" when it has none)."""
    m = (_LEAD_HOW if how else _LEAD_WHY).search(text)
    if not m:
        return ""
    rest = re.split(r"(?<=[^\d])[.;:!?](?:\s|$)|\s[—–]\s", text[m.end():], maxsplit=1)[0].strip(" ,\"'“”‘’")
    if len(rest.split()) < 2:
        return ""
    word = m.group(1).split()[0].lower()
    opener = {"because": "Because", "due": "Due to", "owing": "Owing to", "thanks": "Thanks to", "by": "By",
              "through": "Through", "using": "Using", "with": "With the help of", "after": "After",
              "amid": "Amid", "citing": "Citing"}.get(word, m.group(1).strip().capitalize())
    if word in ("because",) and m.group(1).lower().endswith("of"):
        opener = "Because of"
    if word in ("in", "so", "blamed", "blaming"):
        opener = m.group(1).strip()[0].upper() + m.group(1).strip()[1:]
    return f"{opener} {rest}"


def ranked(ev: Evidence) -> list[tuple[float, object, dict[str, float]]]:
    """(ranker probability, sentence, features) of the candidates, best first."""
    cx = F.context(ev)
    model = choice("reason")
    out = []
    for rank, st in F.candidates(ev):
        x = F.reason_features(ev, cx, st, rank)
        p = model.raw(x) if model is not None else x[F.FALLBACK]
        out.append((p, st, x))
    out.sort(key=lambda t: -t[0])
    return out


@register(QuestionKind.REASON)
class ReasonKind(TypedKind):
    #: The ranker reads the question's names as a feature; the answerer's name check is not applied.
    binds_names = False

    def candidates(self, ev: Evidence) -> list[Candidate]:
        scored = ranked(ev)
        event = F.event_words(ev)
        if not scored:
            return []
        if event and max(F.weighted_cover(ev, event, stems(st.text + " " + F.previous_sentence(st.doc, st.start)))
                         for _, st, _ in scored) < EVENT_COVERAGE:
            return []  # no retrieved sentence is about the asked event
        p0, top, _ = scored[0]
        parts = [(top.doc, top.start, top.end)]
        share = extra_share()
        for p, st, _ in scored[1:]:
            if len(parts) >= MAX_PARTS or odds_share(p, p0) < share:
                break
            parts.append((st.doc, st.start, st.end))
        model = choice("reason")
        conf = model.calibration(p0) if model is not None else p0
        value = " ".join(" ".join(d.text[s:e].split()) for d, s, e in parts)
        cand = multi(value, parts, conf, span=(top.start, top.end), key=f"{top.doc.doc_id}:{top.start}")
        cand.sent = top
        return [cand]

    def why_not(self, ev: Evidence, cand: Candidate) -> str:
        """The learned abstention: below the threshold ``make train`` chose."""
        model = choice("reason")
        if model is not None and cand.score < model.abstain_below:
            return f"no sentence found gives the reason (confidence {cand.score:.2f})"
        return ""

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        parts = list(zip(cited(cand), cite_ns, strict=True))
        (d, s, e), n = parts[0]
        head = lead(" ".join(d.text[s:e].split()), F.asks_how(ev.qa.text))
        first = f"{head} [{n}] — {quoted(d, s, e)}" if head else f"{quoted(d, s, e)} [{n}]"
        more = " ".join(f"{quoted(d2, s2, e2)} [{n2}]" for (d2, s2, e2), n2 in parts[1:])
        return first + (f"\nAlso: {more}" if more else "")
