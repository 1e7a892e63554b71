"""Yes / no: "Yes" or "No" only when a cited sentence states the asked proposition or
negates it; otherwise "The articles don't say directly; they say: ..." with the closest
sentence, and no answer is claimed.

Stated: the sentence covers the question's content words (idf-weighted, as evidence
scoring does) and keeps its names. Polarity: a negation ("not", "never", "refused",
"denied", ...) near the matched words flips it, as does one in the question ("Has X
denied ...?" is answered "Yes" by "X has denied ..."), and "only a small part" answers
"most ...?" with "No". Negation scope is approximated by a window around the matched
words (in the spirit of NegEx; Chapman et al. 2001).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.evidence import Candidate, Evidence, Sent, stems
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.parts import content_focus, quoted, words
from assistant.answer.kinds.registry import register
from assistant.models import Answer, QuestionKind
from assistant.text.tokens import tokenize

#: Sentences (best first) examined. Set by hand.
YESNO_SENTENCES = 8
#: A sentence states the proposition when it covers at least this share of the
#: question's content words (idf-weighted). Set by hand on eval/seeds.jsonl.
STATED_COVERAGE = 0.6
#: A negation counts when it stands within this many words before the first matched
#: word, or anywhere between the matched words (NegEx uses a window of 5).
NEG_WINDOW = 4
#: Bonus of a stated sentence over one that is not, when choosing the reply's sentence.
W_STATED = 0.3

_NEGATION_WORDS = (
    "not no never cannot none nobody nothing neither nor without refuse refused refuses refusal refusing "
    "reject rejected rejects rejecting deny denied denies denial denying fail failed fails unable lack lacks "
    "lacked won't don't doesn't didn't isn't aren't wasn't weren't hasn't haven't hadn't can't couldn't "
    "wouldn't shouldn't")
NEGATIONS = frozenset(_NEGATION_WORDS.split())
#: "Are most ...?" answered by "only a small part ..." is a "No".
_MOST = re.compile(r"\b(?:most|majority|mostly|mainly|largely|all|every)\b", re.I)
_FEW = re.compile(r"\bonly (?:a )?(?:small|tiny|few|fraction|minority|handful|some)\b|\ba (?:small )?minority\b"
                  r"|\bonly a (?:small )?part\b|\bfew of\b", re.I)


def negated(text: str, focus: set[str]) -> bool:
    """A negation governs the words of ``text`` that match ``focus``."""
    ws = words(text)
    hits = [i for i, w in enumerate(ws) if set(tokenize(w)) & focus]
    if not hits:
        return False
    lo, hi = max(0, hits[0] - NEG_WINDOW), hits[-1]
    return any(w in NEGATIONS for w in ws[lo: hi + 1])


def polarity(question: str, sentence: str, focus: set[str]) -> str:
    """"Yes" when ``sentence`` states what ``question`` asks, "No" when it negates it."""
    flip = negated(sentence, focus) != any(w in NEGATIONS for w in words(question))
    if _MOST.search(question) and _FEW.search(sentence):
        flip = not flip
    return "No" if flip else "Yes"


@register(QuestionKind.YESNO)
class YesNoKind(TypedKind):
    def candidates(self, ev: Evidence) -> list[Candidate]:
        focus = content_focus(ev) or ev.qa.focus
        fset = set(focus)
        out = []
        for st in ev.sents[:YESNO_SENTENCES]:
            cov = ev.coverage(focus, stems(st.text))
            stated = cov >= STATED_COVERAGE and st.names_ok >= 1.0
            value = polarity(ev.qa.text, st.text, fset) if stated else ""
            cand = Candidate(value, st, st.start, st.end, st.score + (W_STATED if stated else 0.0),
                             key=f"{st.doc.doc_id}:{st.start}", note="" if stated else "unstated")
            out.append(cand)
        return out

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        st: Sent = cand.sent
        if not cand.value:
            return f"The articles don't say directly; they say: {quoted(st.doc, st.start, st.end)} {markers}"
        return f"{cand.value}: {quoted(st.doc, st.start, st.end)} {markers}"

    def finish(self, ev: Evidence, cand: Candidate, answer: Answer) -> Answer:
        if cand.value:
            return replace(answer, answer=f"{cand.value}: {cand.sent.text.strip()}")
        # Neither stated nor negated: the closest sentence is shown, but nothing is answered.
        return replace(answer, answer="", abstained=True, confidence=0.0)
