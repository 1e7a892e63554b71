"""Why / how: the sentence (or the run of a speaker's quoted sentences) that gives the
reason or the means, cited.

A reason is a sentence about the asked event that says why (a causal connective:
"because", "in response to", "angered by", "in an effort to") or how ("by ...ing",
"through", "worked with"). The headline and sentences that only restate the question
rank lower: they say what happened, not why. When the reason is in a direct quote
that runs over several sentences, the quote's neighbouring sentences come with it
(speakers argue over a few sentences).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.corpus import idf, related
from assistant.answer.evidence import Candidate, Evidence, Sent, paragraph_of, stems
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.parts import cited, content_focus, multi, quoted
from assistant.answer.kinds.registry import register
from assistant.models import QuestionKind

#: Sentences (best first) searched for a reason. Set by hand.
REASON_SENTENCES = 12
#: Weight of a causal (or, for "how", a means) connective in the sentence: a strong one
#: counts 1, a weak one ("after", "for ...ing") half. Set by hand on eval/seeds.jsonl.
W_CUE, WEAK_CUE = 0.15, 0.5
#: Taken off the headline, and off a sentence of which less than ``RESTATES`` of the
#: words are new (not in the question): they say what happened, not why. Set by hand.
HEADLINE_PENALTY, RESTATE_PENALTY, RESTATES = 0.3, 0.15, 0.35
#: A reason runs over at most this many sentences of one quote, and this many words.
MAX_SENTENCES, MAX_WORDS = 3, 90
#: The reason must be about the asked event: its sentences cover at least this share of
#: the question's words other than names (idf-weighted; a word the corpus never uses
#: weighs ``UNSEEN_EVENT_WEIGHT``, about a word in one chunk of twenty: a question's own
#: paraphrase, "interpreted" for "seen as", must not sink every sentence). Set by hand on
#: eval/seeds.jsonl.
EVENT_COVERAGE, UNSEEN_EVENT_WEIGHT = 0.3, 3.0

_STRONG_WHY = re.compile(
    r"\b(?:because|due to|owing to|as a result|in response to|in retaliation|in reaction to|in protest|"
    r"in an effort to|in order to|in a bid to|so that|so as to|aimed at|designed to|intended to|meant to|"
    r"angered by|prompted|triggered|led to|leads to|caused|causing|the reason|reasons? (?:for|why)|thanks to|"
    r"on the grounds that|citing|as long as|that is why|which is why)\b", re.I)
_WEAK_WHY = re.compile(r"\b(?:after|following|since|amid|unless|if|for \w+ing|for (?:the|its|his|her|their) "
                       r"\w+|over (?:the|its|his|her|their))\b", re.I)
_STRONG_HOW = re.compile(r"\b(?:by \w+ing|by means of|through|worked with|using|with the help of|in cooperation "
                         r"with|how)\b", re.I)
_WEAK_HOW = re.compile(r"\b(?:via|with|to \w+ (?:the|their|its))\b", re.I)


def cue_strength(text: str, how: bool) -> float:
    """1 for a strong connective of the asked relation, ``WEAK_CUE`` for a weak one, else 0."""
    strong, weak = (_STRONG_HOW, _WEAK_HOW) if how else (_STRONG_WHY, _WEAK_WHY)
    if strong.search(text):
        return 1.0
    return WEAK_CUE if weak.search(text) else 0.0


def is_headline(st: Sent) -> bool:
    """The sentence is the article's headline (its title, or the first line standing alone)."""
    t = " ".join(st.text.split())
    return bool(st.doc.title) and t == " ".join(st.doc.title.split())


def quote_run(st: Sent) -> list[tuple[int, int]]:
    """The sentences of the direct quote ``st`` stands in, up to ``MAX_SENTENCES`` around it
    (``st`` first), within its paragraph; [(st)] when it is not in a longer quote."""
    doc = st.doc
    ps, pe = paragraph_of(doc, st.start)
    for r in doc.quotes:
        if r.kind == "direct" and r.start <= st.start < r.end and r.end - r.start > st.end - st.start:
            run = [(s, e) for s, e in doc.sentences_in(max(r.start, ps), min(r.end, pe))]
            if len(run) > 1:
                i = next((k for k, (s, _) in enumerate(run) if s == st.start), 0)
                lo = max(0, min(i - 1, len(run) - MAX_SENTENCES))
                run = run[lo: lo + MAX_SENTENCES]
                kept, n = [], 0
                for s, e in sorted(run, key=lambda x: (x[0] != st.start, abs(x[0] - st.start))):
                    n += len(doc.text[s:e].split())
                    if kept and n > MAX_WORDS:
                        break
                    kept.append((s, e))
                return sorted(kept, key=lambda x: (x[0] != st.start, x[0]))
    return [(st.start, st.end)]


def event_coverage(ev: Evidence, want: Sequence[str], have: set[str]) -> float:
    """idf-weighted share of ``want`` in ``have`` (related forms count), with words the
    corpus never uses at ``UNSEEN_EVENT_WEIGHT``."""
    weights = {t: idf(ev.corpus, t) or UNSEEN_EVENT_WEIGHT for t in dict.fromkeys(want)}
    total = sum(weights.values())
    have_r = {related(t) for t in have}
    return sum(w for t, w in weights.items() if t in have or related(t) in have_r) / total if total else 0.0


@register(QuestionKind.REASON)
class ReasonKind(TypedKind):
    def candidates(self, ev: Evidence) -> list[Candidate]:
        qa = ev.qa
        # "How did X do it" asks for the means; "how was X seen" for a description (no cue).
        how = bool(re.match(r"\W*(?:and |so |but )?how (?:did|does|do|can|could|will|would|has|have|had)\b",
                            qa.text.strip(), re.I))
        passive_how = not how and bool(re.match(r"\W*(?:and |so |but )?how\b", qa.text.strip(), re.I))
        event = content_focus(ev, drop_names=True)
        qwords = stems(qa.text)
        out = []
        for st in ev.sents[:REASON_SENTENCES]:
            own = stems(st.text)
            novel = len(own - qwords) / len(own) if own else 0.0
            score = st.score + (0.0 if passive_how else W_CUE * cue_strength(st.text, how))
            if is_headline(st):
                score -= HEADLINE_PENALTY
            elif novel < RESTATES:
                score -= RESTATE_PENALTY
            run = quote_run(st)
            parts = [(st.doc, s, e) for s, e in run]
            order = sorted(parts, key=lambda p: p[1])
            value = " ".join(st.doc.text[s:e].strip() for _, s, e in order)
            # About the asked event: the reason's sentences, or the sentence before them in
            # the paragraph ("This mirrors tactics used in 2021 ... The effort was seen as ...").
            first = min(s for _, s, _ in parts)
            ps, _ = paragraph_of(st.doc, first)
            before = [(s, e) for s, e in st.doc.sentences_in(ps, first) if e <= first][-1:]
            context = value + "".join(" " + st.doc.text[s:e] for s, e in before)
            if event and event_coverage(ev, event, stems(context)) < EVENT_COVERAGE:
                continue  # not about the asked event
            cand = multi(value, parts, score, span=(st.start, st.end), key=f"{st.doc.doc_id}:{st.start}")
            cand.sent = st
            out.append(cand)
        return out

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        # The sentences in the article's order, each with its own marker.
        parts = sorted(zip(cited(cand), cite_ns, strict=True), key=lambda x: x[0][1])
        return " ".join(f"{quoted(d, s, e)} [{n}]" for (d, s, e), n in parts)
