"""Replies made of several cited parts (a summary's key sentences, a list's items, a
timeline's events): one ``Candidate`` whose first part is its sentence and whose other
parts are its ``extra_cites``, so ``compose`` numbers each part's sentence and the kind's
``reply`` puts each marker after its part."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer import relative
from assistant.answer.evidence import Candidate, Evidence, Sent, candidate_sentences, score_sentence
from assistant.answer.kinds.base import clip
from assistant.answer.policy import order_candidates
from assistant.answer.question import analyse
from assistant.models import Document, QuestionKind
from assistant.text.lexicon import FRAME_STOPWORDS
from assistant.text.tokens import tokenize

#: Characters of a sentence shown in a multi-part reply.
PART_CLIP = 300

Part = tuple[Document, int, int]


def sent_of(doc: Document, start: int, end: int, score: float = 0.0) -> Sent:
    """An evidence sentence for ``doc.text[start:end]`` (its index looked up)."""
    idx = next((i for i, (s, _) in enumerate(doc.sentences) if s == start), 0)
    return Sent(doc, start, end, idx, 0.0, 0, score)


@dataclass
class MultiCandidate(Candidate):
    """A candidate of several parts; ``items`` holds what each part stands for (an
    event, a list item), in the order of the parts."""

    items: list[Any] = field(default_factory=list)


def multi(value: str, parts: Sequence[Part], score: float, span: tuple[int, int] | None = None,
          key: str = "", note: str = "", items: Sequence[Any] = ()) -> MultiCandidate:
    """A candidate citing every part, the first as its sentence."""
    doc, s, e = parts[0]
    a_s, a_e = span if span else (s, e)
    return MultiCandidate(value, sent_of(doc, s, e, score), a_s, a_e, score, key=key or value,
                          extra_cites=list(parts[1:]), note=note, items=list(items))


def cited(cand: Candidate) -> list[Part]:
    """The parts of ``cand`` in the order ``compose`` numbers them."""
    return [(cand.sent.doc, cand.sent.start, cand.sent.end), *cand.extra_cites]


def quoted(doc: Document, s: int, e: int, n: int = PART_CLIP) -> str:
    """A sentence in quotation marks, on one line, clipped."""
    return f"“{clip(doc.text[s:e].strip(), n)}”"


def marker(n: int) -> str:
    return f"[{n}]"


def words(text: str) -> list[str]:
    """Lower-case words of ``text``, apostrophes kept and made straight ("won't")."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("’", "'"))


def ask_typed(ev: Evidence, text: str, kind: QuestionKind, info: dict[str, str] | None = None,
              drop_names: bool = False) -> tuple[Evidence, list[Candidate]]:
    """Ask ``text`` as a question of ``kind`` over the same passages (a list's figures,
    each side of a comparison): its evidence, and its candidates best first.
    ``drop_names``: the caller binds the question's names itself."""
    from assistant.answer.kinds.registry import kind_for

    sub = analyse(text, as_kind=(kind, dict(info or {})))
    sub.asked_on = ev.qa.asked_on
    if drop_names:
        sub.names, sub.required = [], []
    sev = Evidence(qa=sub, corpus=ev.corpus, passages=ev.passages,
                   sents=candidate_sentences(ev.corpus, sub, ev.passages))
    # The same passage priors as the question's own evidence (which a filter rescales).
    prior = {(st.doc.doc_id, st.start): st.prior for st in ev.sents}
    for st in sev.sents:
        if prior.get((st.doc.doc_id, st.start), st.prior) != st.prior:
            st.prior = prior[st.doc.doc_id, st.start]
            score_sentence(ev.corpus, sub, st)
    sev.sents.sort(key=lambda x: -x.score)
    relative.apply(sev)
    typed = kind_for(kind)
    return sev, order_candidates(typed.candidates(sev), typed.binds_names)


#: Negations and contractions: they say how a question is asked ("why won't X"), not
#: what it is about.
_NEGATION_WORDS = (
    "not no never cannot none nobody nothing neither nor without won't don't doesn't didn't isn't aren't "
    "wasn't weren't hasn't haven't hadn't can't couldn't wouldn't shouldn't")
NEGATION_WORDS = frozenset(_NEGATION_WORDS.split())
#: Light and cognition verbs: "how did X help migrants *get* to the EU", "why does X
#: *think* ...": the question's frame, not the event (a reported reason rarely repeats them).
_LIGHT_VERBS = "get gets got make makes made take takes took go goes went come comes came give gives gave put let " \
    "keep keeps kept seem seems think thinks thought believe believes believed feel feels felt"
LIGHT_VERBS = frozenset(_LIGHT_VERBS.split())


def content_focus(ev: Evidence, drop_names: bool = False) -> list[str]:
    """The question's words that carry what it asks (filler adverbs such as "still", and
    negations, do not); ``drop_names``: also without the question's names, leaving the
    event ("why did *Lithuania* close its border" -> close, border)."""
    filler = {t for w in (*FRAME_STOPWORDS, *NEGATION_WORDS, *LIGHT_VERBS) for t in tokenize(w, keep_stopwords=True)}
    if drop_names:
        filler |= {t for n in ev.qa.names for t in tokenize(n)}
    return [t for t in ev.qa.focus if t not in filler]
