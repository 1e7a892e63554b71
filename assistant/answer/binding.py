"""How well a typed mention in a sentence is bound to what the question asks about:
its frame (the words it is bound to at ingest) and its distance to the question's
words. Pure functions of the question, the sentence and the corpus statistics."""

from __future__ import annotations

import re

from assistant.answer.corpus import Corpus, coverage, idf, related
from assistant.answer.evidence import Sent
from assistant.answer.question import QuestionAnalysis
from assistant.models import Mention
from assistant.text.tokens import tokenize

#: Taken off a frame's score for each of the mention's own head words (at most
#: ``MAX_HEAD_MISSES``) that is a content word the question lacks ("63 others *injured*"
#: for a question about people killed). Set by hand on eval/seeds.jsonl.
HEAD_MISS_PENALTY, MAX_HEAD_MISSES = 0.6, 2
#: A head word counts as content when its idf is above this (rarer than about one chunk
#: in three). Set by hand.
CONTENT_IDF = 1.0
#: Characters over which proximity falls to one half (1 / (1 + d / scale)). Set by hand.
PROXIMITY_SCALE = 25.0
#: Distance used when no question word stands in the sentence.
FAR = 10_000


def mentions_in(st: Sent, kinds: set[str]) -> list[Mention]:
    """The sentence's mentions of the given kinds (DATE, FIGURE, PERSON, ...)."""
    return [m for m in st.doc.mentions if m.kind in kinds and st.start <= m.start and m.end <= st.end]


def frame_score(corpus: Corpus, qa: QuestionAnalysis, m: Mention) -> float:
    """How well what the mention is bound to matches the question: recall of the
    question's words in the frame, minus a penalty when the mention's own head words
    (the first frame entries: its noun and verb) are content words the question lacks."""
    frame = {t for w in m.frame for t in tokenize(w)}
    if not qa.focus:
        return 0.0
    cov = coverage(corpus, qa.focus, frame)
    want = {related(t) for t in qa.focus}
    heads = [t for w in m.frame[:2] for t in tokenize(w) if not t.isdigit()]
    miss = sum(1 for t in heads if related(t) not in want and idf(corpus, t) > CONTENT_IDF)
    return cov - HEAD_MISS_PENALTY * min(miss, MAX_HEAD_MISSES)


def proximity(qa: QuestionAnalysis, st: Sent, m: Mention | tuple[int, int]) -> float:
    """1 when a question word sits right next to the mention, falling with distance."""
    if isinstance(m, tuple):
        m = Mention(kind="", start=m[0], end=m[1], text="")
    text = st.doc.text
    best = FAR
    focus = set(qa.focus)
    for wm in re.finditer(r"\w+", text[st.start: st.end]):
        ws = st.start + wm.start()
        if set(tokenize(wm.group(0))) & focus:
            d = m.start - (ws + len(wm.group(0))) if ws < m.start else ws - m.end
            best = min(best, max(0, d))
    return 1.0 / (1.0 + best / PROXIMITY_SCALE)
