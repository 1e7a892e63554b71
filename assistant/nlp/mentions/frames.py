"""Frames: the words a mention is bound to, read off the dependency parse.

Follows the predicate-argument view of semantic role labelling (PropBank; Palmer
et al. 2005) approximated on the dependency tree: a mention's own phrase, the
verb that governs it (``governor``), that verb's subject, objects and
prepositional objects (``verb_roles``), then the clause it depends on. Frame
words are folded lemmas without function words, listed from the most to the
least tightly bound (``frame_words``). ``clause_tense`` reads the tense of a
clause for the date rules.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.text.folding import fold
from assistant.text.lexicon import FRAME_STOPWORDS

if TYPE_CHECKING:
    from spacy.tokens import Token

    from assistant.nlp.mentions.context import Ctx


def lemma(tok: Token) -> str:
    """Folded lemma (proper nouns keep their written form, folded)."""
    if tok.pos_ == "PROPN":
        return fold(tok.text)
    return fold(tok.lemma_ or tok.text)


def _content(lem: str) -> bool:
    return bool(lem) and lem not in FRAME_STOPWORDS and any(c.isalnum() for c in lem)


#: Dependencies that modify a noun (part of its phrase), of a subject and of an object.
_MOD_DEPS = frozenset({"compound", "amod", "nmod", "poss", "flat", "nummod_x"})
_SUBJ = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl_x"})
_OBJ = frozenset({"dobj", "attr", "oprd", "dative", "acomp", "obj", "iobj"})


def phrase(tok: Token, excl: set[int], depth: int = 1) -> list[Token]:
    """A noun phrase's content tokens: the head, its modifiers and (one level of) prepositional objects."""
    if tok.i in excl:
        return []
    out = [tok]
    for c in tok.children:
        if c.i in excl:
            continue
        if c.dep_ in _MOD_DEPS:
            out.extend(phrase(c, excl, 0))
        elif c.dep_ == "prep" and depth > 0:
            for p in c.children:
                if p.dep_ in ("pobj", "pcomp") and p.i not in excl:
                    out.extend(phrase(p, excl, depth - 1))
    return out


def prep_roles(tok: Token, excl: set[int], prefix: str) -> list[tuple[str, list[Token]]]:
    """Modifiers and prepositional objects of ``tok`` as roles named ``{prefix}mod`` / ``{prefix}prep:P``."""
    roles: list[tuple[str, list[Token]]] = []
    for c in tok.children:
        if c.i in excl:
            continue
        if c.dep_ in _MOD_DEPS:
            roles.append((f"{prefix}mod", phrase(c, excl, 0)))
        elif c.dep_ in ("prep", "agent"):
            for p in c.children:
                if p.dep_ in ("pobj", "pcomp") and p.i not in excl:
                    roles.append((f"{prefix}prep:{c.lower_}", phrase(p, excl, 1)))
    return roles


#: Most heads climbed from a mention to its governing verb before giving up. Origin of the value
#: not recorded.
_GOVERNOR_MAX_STEPS = 8


def governor(tok: Token) -> tuple[Token | None, list[Token]]:
    """Climb from ``tok`` to its governing verb; also return the nouns passed on the way."""
    chain: list[Token] = []
    t = tok
    for _ in range(_GOVERNOR_MAX_STEPS):
        if t.head.i == t.i:
            return (t if t.pos_ in ("VERB", "AUX") and t.i != tok.i else None), chain
        t = t.head
        if t.pos_ in ("VERB", "AUX"):
            return t, chain
        if (t.pos_ in ("NOUN", "PROPN", "ADJ") and t.dep_ != "ROOT") or t.pos_ in ("NOUN", "PROPN"):
            chain.append(t)
    return None, chain


def verb_roles(v: Token, excl: set[int]) -> list[tuple[str, list[Token]]]:
    """Arguments of a verb, then of the clause it depends on (controller, reporting verb)."""
    roles: list[tuple[str, list[Token]]] = [("verb", [v])]
    has_subj = False
    for c in v.children:
        if c.i in excl:
            continue
        d = c.dep_
        if d in _SUBJ:
            roles.append(("subj", phrase(c, excl)))
            has_subj = True
        elif d in _OBJ:
            roles.append(("obj", phrase(c, excl)))
        elif d in ("prep", "agent"):
            name = "by" if d == "agent" else c.lower_
            for p in c.children:
                if p.dep_ in ("pobj", "pcomp") and p.i not in excl:
                    roles.append((f"prep:{name}", phrase(p, excl)))
        elif d == "npadvmod":
            roles.append(("tmod", phrase(c, excl, 0)))
        elif d == "prt":
            roles.append(("prt", [c]))
        elif d in ("xcomp", "ccomp") and c.pos_ in ("VERB", "AUX"):
            roles.append(("comp", [c]))
            for cc in c.children:
                if cc.dep_ in _OBJ and cc.i not in excl:
                    roles.append(("comp_obj", phrase(cc, excl, 0)))
    h = v.head
    if v.dep_ in ("xcomp", "conj", "advcl", "ccomp", "pcomp") and h.i != v.i:
        if h.pos_ in ("VERB", "AUX"):
            if not has_subj:
                for c in h.children:
                    if c.dep_ in _SUBJ and c.i not in excl:
                        roles.append(("subj", phrase(c, excl)))
            roles.append(("pverb", [h]))
            if has_subj:
                for c in h.children:
                    if c.dep_ in _SUBJ and c.i not in excl:
                        roles.append(("psubj", phrase(c, excl, 0)))
        elif h.pos_ == "ADP":
            g, _ = governor(h)
            if g is not None:
                roles.append(("pverb", [g]))
    elif v.dep_ in ("relcl", "acl") and h.i != v.i:
        roles.append(("head", phrase(h, excl, 0)))
    return roles


def frame_words(ctx: Ctx, roles: list[tuple[str, list[Token]]], own: set[int]) -> list[str]:
    """Content lemmas of the role tokens in role order, without repeats.

    Skips the mention's ``own`` tokens, figure tokens and bare numbers; a token of a
    date with a year adds that year first ("last year" binds as "2024").
    """
    out: list[str] = []
    seen: set[str] = set()
    for _role, toks in roles:
        for t in toks:
            if t.i in own or t.i in ctx.fig_tok:
                continue
            words: list[str] = []
            dm = ctx.date_tok.get(t.i)
            if dm is not None and re.match(r"\d{4}", dm.value):
                words.append(dm.value[:4])  # "last year" binds as the year it means
            if t.like_num and dm is None:
                continue
            words.append(lemma(t))
            for w in words:
                if _content(w) and w not in seen:
                    seen.add(w)
                    out.append(w)
    return out


#: Auxiliaries that mark the future ("wo" is the first token of "won't").
_TENSE_FUTURE = frozenset({"will", "shall", "'ll", "wo"})


def clause_tense(v: Token | None) -> str:
    """"future", "past", "present" or "" for the clause headed by ``v``.

    Future: a future auxiliary or an infinitive of intent ("plans to meet"). Past: a
    past tense or a perfect ("was held", "has sent"). Present: simple present, which in
    news often schedules an event ("is crowned on Saturday") but may also describe a
    state ("is up from 37 percent in January").
    """
    if v is None:
        return ""
    auxes = [c for c in v.children if c.dep_ in ("aux", "auxpass")]
    if any(c.lower_ in _TENSE_FUTURE for c in auxes):
        return "future"
    if any(c.lemma_ == "have" or c.tag_ == "VBD" for c in auxes) or (v.tag_ == "VBD" and not auxes):
        return "past"
    if v.tag_ == "VB" and any(c.lower_ == "to" for c in v.children):
        return "future"
    if v.tag_ in ("VBZ", "VBP") or (v.tag_ in ("VBN", "VBG") and any(c.tag_ in ("VBZ", "VBP") for c in auxes)):
        return "present"
    return ""
