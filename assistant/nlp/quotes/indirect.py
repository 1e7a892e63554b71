"""Reported speech: what a cue verb outside quotation marks attributes.

The clausal complement of a cue verb ("X said that ..."), the main clause of a
framing cue ("according to X, ...", "as X noted, ...", "..., X said, ..."), or the
object phrase of a strong speech verb ("X accused Y of ..."). Reported speech never
runs past its cue's paragraph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.nlp.quotes.context import Event
from assistant.nlp.quotes.cues import cue_name, is_cue, source_token
from assistant.text.lexicon import LIGHT_VERBS, SPEECH_VERBS

if TYPE_CHECKING:
    from spacy.tokens import Token

    from assistant.nlp.quotes.context import Context

# Confidences. Hand-set: no measurement or tuning of these values is on record (code,
# commit history, README).
#: A clausal complement or the clause a framing cue attaches to.
_CLAUSE_CONF = 0.8
#: The object phrase of a speech or light verb ("X accused Y of ..."): looser evidence.
_OBJECT_PHRASE_CONF = 0.6
#: A framing cue with at least this many tokens of its sentence on each side sits in
#: the middle and attributes the whole sentence (hand-set; no measurement on record).
_FRAME_MIN_SIDE = 4


def indirect_events(ctx: Context) -> list[Event]:
    """Reported speech: cue verbs outside quotes with a clausal complement ("X said
    that ..."), a cue framing a main clause ("according to X, ...", "as X noted, ...",
    "..., X said, ..."), or a strong speech verb with an object phrase ("X accused Y
    of ..."). The content is the complement's token span."""
    doc = ctx.doc
    events: list[Event] = []
    for v in doc:
        if ctx.tq[v.i] >= 0 or not is_cue(v, weak=True):
            continue
        src = source_token(v, ctx.tq)
        if src is None:
            continue
        lemma = v.lemma_.lower()
        content: tuple[int, int] | None = None
        conf = _CLAUSE_CONF
        # A complement in another paragraph is the parser joining lines, not what this cue
        # reports; an unquoted complement is preferred to a quoted one (direct quotes have
        # their own records, but a quoted complement still backs up a missed attribution).
        p_lo, p_hi = ctx.para_bounds(v.idx)
        comps = [c for c in v.children if c.dep_ == "ccomp" and p_lo <= c.idx < p_hi]
        framing = lemma == "accord" or (
            v.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ == "as" for c in v.children)
        ) or (v.dep_ == "parataxis" and not comps)
        if framing:
            if v.head.i == v.i:
                continue
            content = _frame_content(v)
        elif comps:
            # Prefer a clause after the cue ("X told Y that ..."), then a "that"-clause.
            c = max(comps, key=lambda c: (ctx.tq[c.i] < 0, c.i > v.i, any(m.dep_ == "mark" for m in c.children)))
            content = (c.left_edge.i, c.right_edge.i)
            if c.i > v.i:
                content = _reported_tail(v, c, ctx.tq)
        elif lemma in SPEECH_VERBS or lemma in LIGHT_VERBS:
            rights = [c for c in v.rights if c.dep_ in ("dobj", "prep", "xcomp", "oprd", "dative",
                                                        "advcl", "attr", "pcomp")]
            if rights:
                content = (rights[0].left_edge.i, max(c.right_edge.i for c in rights))
                conf = _OBJECT_PHRASE_CONF
        if content is None:
            continue
        a, b = content
        # Reported speech never runs past its cue's paragraph (the parser may join lines).
        while a < b and doc[a].idx < p_lo:
            a += 1
        while b > a and doc[b].idx >= p_hi:
            b -= 1
        while b > a and (doc[b].is_punct or doc[b].is_space):
            b -= 1
        while a < b and (doc[a].is_punct or doc[a].is_space):
            a += 1
        if b - a < 1:
            continue
        start = doc[a].idx
        end = doc[b].idx + len(doc[b].text)
        main = framing or v.dep_ == "ROOT" or (v.dep_ == "conj" and v.head.dep_ == "ROOT")
        events.append(Event(start, end, "indirect", cue_name(v), src, conf, extra={"main": main}))
    return events


def _reported_tail(v: Token, comp: Token, quoted: Sequence[int]) -> tuple[int, int]:
    """Span of what a cue reports when its clause follows it: from the complement
    (or an adverbial clause between cue and complement: "says no matter what ..., ...")
    to the end of the sentence, since coordinated clauses ("..., and he had ...") are
    often attached to the cue rather than to the complement. A later cue with its own
    subject starts another attribution and ends this one."""
    doc = v.doc
    a = comp.left_edge.i
    for c in v.rights:
        if v.i < c.i < comp.i and c.dep_ in ("advmod", "npadvmod", "advcl", "neg"):
            a = min(a, c.left_edge.i)
    a = max(a, v.i + 1)
    sent_end = v.sent.end - 1
    b = comp.right_edge.i
    i = b + 1
    while i <= sent_end:
        t = doc[i]
        if quoted[t.i] < 0 and t.i != v.i and is_cue(t) and any(
            ch.dep_ in ("nsubj", "nsubjpass") for ch in t.children
        ) and t.head.i != comp.i:
            b = max(comp.right_edge.i, min(b, t.left_edge.i - 1))
            break
        if quoted[t.i] < 0 and t.text in (";",):
            break
        b = i
        i += 1
    return a, b


def _frame_content(cue: Token) -> tuple[int, int]:
    """What a framing cue ("according to X", "as X noted", "..., X said, ...")
    attributes: the rest of its sentence. A frame at either edge leaves the other
    side; a frame in the middle attributes the whole sentence."""
    sent = cue.sent
    lo, hi = sent.start, sent.end - 1
    plo, phi = cue.left_edge.i, cue.right_edge.i
    left, right = plo - lo, hi - phi
    if left >= _FRAME_MIN_SIDE and right >= _FRAME_MIN_SIDE:
        return lo, hi
    return (phi + 1, hi) if right >= left else (lo, plo - 1)
