"""What each figure counts, its unit and value, and the words it is bound to (its frame).

The counted noun comes from the dependency parse; a bare number set off by
commas after a person is an age. Coordinated elliptical remnants ("5,200 via
Latvia", gapping such as "A reported 10 attempts and B, 14") and comparison
remnants ("up from 9,870") take the noun and unit of their antecedent and
inherit its frame except for the argument they replace (the "parallelism"
account of ellipsis; Hobbs & Kehler 1997). A prepositional phrase written right
after a figure belongs to it, whatever the parser attached it to.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.nlp.mentions.context import ENTITY_KINDS
from assistant.nlp.mentions.figures import figure_value
from assistant.nlp.mentions.frames import frame_words, governor, lemma, phrase, prep_roles, verb_roles
from assistant.nlp.mentions.units import unit_of
from assistant.text.numbers import VAGUE_MAGNITUDES

if TYPE_CHECKING:
    from spacy.tokens import Token

    from assistant.nlp.mentions.context import Ctx
    from assistant.nlp.mentions.figures import Fig

#: Words between a number and its noun that do not change what is counted ("9 million more workers").
_COUNT_FILLERS = frozenset({"more", "fewer", "less", "additional", "extra", "other", "further", "new"})
#: Prepositions after which a bare number restates the quantity just given ("up from 9,870").
_COMPARE_PREPS = frozenset({"from", "than", "with", "to"})
#: Oldest age read from "Name, 61,"; a larger number there is not an age. Origin of the value not
#: recorded (it is about the longest recorded human life).
_MAX_AGE = 120
#: Figures climbed through (each the head of the last) looking for a remnant's antecedent.
#: Origin of the value not recorded.
_ANTECEDENT_MAX_HOPS = 6
#: Longest name (in tokens) taken as the subject of a gapped remnant ("and Latvia, 14").
#: Origin of the value not recorded.
_GAP_SUBJECT_MAX_TOKENS = 5
#: Nouns passed on the way from a figure to its verb that join its frame. Origin not recorded.
_CHAIN_NOUNS = 2


def _counted_noun(ctx: Ctx, f: Fig) -> Token | None:
    """The noun a figure counts, from the dependency parse."""
    r = f.root
    assert r is not None
    toks = set(f.tokens)
    h = r.head
    if r.dep_ in ("nummod", "quantmod", "compound", "amod", "nmod", "advmod", "npadvmod") and \
            h.pos_ in ("NOUN", "PROPN") and h.i > r.i and h.i not in toks and h.i not in ctx.date_tok:
        return h
    if not f.unit and h.lower_ in _COUNT_FILLERS and h.i == max(toks) + 1 and h.head.pos_ in ("NOUN", "PROPN") \
            and h.head.i > h.i and h.head.i not in ctx.date_tok:
        f.extra["more"] = h.lower_  # "nine million more workers": the workers are counted
        return h.head
    for c in r.children:
        if c.dep_ == "prep" and c.lower_ == "of":
            for p in c.children:
                if (p.dep_ == "pobj" and p.pos_ in ("NOUN", "PROPN")
                        and p.i not in ctx.fig_tok and not f.unit):
                    return p
    if r.pos_ == "NOUN" and r.lower_ in VAGUE_MAGNITUDES:
        return None
    return None


def _is_age(ctx: Ctx, f: Fig) -> bool:
    """"The suspect, 34, was …" / "Jane Doe, 61,": a bare whole number set off by commas
    right after a person or a singular noun is that person's age (news style)."""
    doc = ctx.doc
    r = f.root
    assert r is not None
    if len(f.tokens) != 1 or f.unit or r.dep_ != "appos" or not re.fullmatch(r"\d{1,3}", r.text):
        return False
    i, j = f.tokens[0] - 1, f.tokens[0] + 1
    if i < 1 or j >= ctx.n or doc[i].text != "," or doc[j].text not in (",", ".", ";", ")"):
        return False
    h = r.head
    return 0 < int(r.text) <= _MAX_AGE and (h.ent_type_ == "PERSON" or (h.pos_ in ("NOUN", "PROPN") and h.tag_ in ("NN", "NNP")))


def analyse_figures(ctx: Ctx, figs: list[Fig]) -> None:
    """Counted noun, age, elliptical antecedent, unit, "per" and value of each figure, in order."""
    doc = ctx.doc
    noun_owner: dict[int, Fig] = {}  # counted noun -> first figure counting it
    in_sent: dict[int, list[Fig]] = {}  # sentence -> its figures analysed so far
    for f in figs:
        r = f.root
        assert r is not None
        sent_figs = in_sent.setdefault(ctx.sent_of[f.tokens[0]], [])
        f.noun = _counted_noun(ctx, f)
        if f.noun is None and _is_age(ctx, f):
            f.unit = "year"
            f.extra["age"] = True
        # Elliptical remnant: "…, 5,200 via Latvia" (appos/conj of another figure or of its noun).
        elif f.noun is None and r.dep_ in ("appos", "conj", "npadvmod", "dep") and r.head.i != r.i:
            h = r.head
            hops = 0
            while h.i in ctx.fig_tok and hops < _ANTECEDENT_MAX_HOPS:
                a = figs[ctx.fig_tok[h.i]]
                if a.noun is not None or a.antecedent is not None:
                    f.antecedent = a
                    break
                h = h.head
                hops += 1
            if f.antecedent is None and h.pos_ in ("NOUN", "PROPN"):
                owner = noun_owner.get(h.i)
                if owner is not None:
                    f.antecedent = owner
                elif h.i not in ctx.fig_tok and r.dep_ == "appos" and h.pos_ == "NOUN":
                    f.noun = h  # "the attempts – 28,164 –": the number restates its noun
            if f.antecedent is None and f.noun is None and not f.unit and sent_figs and sent_figs[-1].unit and (
                    sent_figs[-1].noun is not None or sent_figs[-1].antecedent is not None):
                # "2,310 attempts in A, 10.970 in B": hung on the place name by the parser,
                # the remnant still repeats the preceding count of the same sentence.
                f.antecedent = sent_figs[-1]
        # Comparison remnant: "12,431 people crossed, up from 9,870": the quantity just given.
        elif f.noun is None and not f.unit and r.dep_ == "pobj" and r.head.lower_ in _COMPARE_PREPS and sent_figs:
            a = sent_figs[-1]
            if a.unit:
                f.antecedent = a
        # Gapping: "X reported 10 attempts and Y, 14" / "…, Y 14": a name right before the number.
        gap = _gapped_subject(ctx, f)
        if gap:
            prev = [g for g in sent_figs if g.tokens[-1] < gap[0]]
            if prev:
                f.gap_subj = gap
                if f.antecedent is None or f.antecedent.idx < prev[-1].idx:
                    f.antecedent = prev[-1]
        a = f.antecedent
        # Unit: explicit unit, else the counted noun, else the antecedent's.
        if not f.unit:
            if f.noun is not None:
                f.unit = unit_of(f.noun)
            elif a is not None and a.unit:
                f.unit = a.unit
                f.extra["unit_inherited"] = True
                if a.extra.get("currency"):
                    f.extra["currency"] = a.extra["currency"]
        if f.unit in ("other", "more") and f.noun is not None:
            prev = [g for g in sent_figs if g.noun is not None and g.unit not in ("other", "more", "")]
            if prev:
                f.unit = prev[-1].unit
                f.extra["unit_inherited"] = True
        # Age: "22 years old", "a 22-year-old".
        if f.unit == "year" and f.noun is not None:
            after = doc[f.noun.i + 1: f.noun.i + 3]
            if any(t.lower_ == "old" for t in after):
                f.extra["age"] = True
        # "per year", "a gallon".
        for c in r.children:
            if c.dep_ == "prep" and c.lower_ == "per":
                p = next((p for p in c.children if p.dep_ == "pobj"), None)
                if p is not None:
                    f.extra["per"] = lemma(p)
        figure_value(f)
        if f.noun is not None:
            noun_owner.setdefault(f.noun.i, f)
        sent_figs.append(f)


def _gapped_subject(ctx: Ctx, f: Fig) -> list[int]:
    """Tokens of "Y" in "…, and Y, 14" / "…, Y 14": a name between a coordinator and the number."""
    doc = ctx.doc
    i = f.tokens[0] - 1
    if f.qualifier:
        return []
    if i >= 0 and doc[i].text == ",":
        i -= 1
    end = i
    while i >= 0 and (doc[i].pos_ == "PROPN" or (ctx.ent_of[i] and ctx.ent_of[i] in ENTITY_KINDS)):
        i -= 1
    if end - i < 1 or end - i > _GAP_SUBJECT_MAX_TOKENS:
        return []
    if i < 0 or not (doc[i].lower_ in ("and", "while", "whereas", "but", ",", ";") or doc[i].text in (",", ";")):
        return []
    return list(range(i + 1, end + 1))


def _adjacent_preps(ctx: Ctx, f: Fig) -> list[Token]:
    """The prepositional phrase written right after a figure (or after its noun) belongs to it.

    In lists ("28,668 via A, 5,200 via B and 914 via C") the parser often hangs the
    last phrase on the first noun; linear adjacency is the more reliable cue there.
    """
    doc = ctx.doc
    last = max(f.tokens)
    if f.noun is not None and f.noun.i == last + 1:
        last = f.noun.i
    k = last + 1
    if (k < ctx.n and doc[k].pos_ == "ADP" and doc[k].dep_ in ("prep", "agent")
            and doc[k].lower_ not in ("of", "than")
            and any(c.dep_ == "pobj" for c in doc[k].children)):
        return [doc[k]]
    return []


def figure_frames(ctx: Ctx, figs: list[Fig]) -> None:
    """Set each figure's roles and frame words (``extra["_frame"]``); remnants inherit theirs."""
    fig_toks = set(ctx.fig_tok)
    for f in figs:
        f.owned_preps = _adjacent_preps(ctx, f)
    for f in figs:
        r = f.root
        assert r is not None
        own = set(f.tokens)
        others_preps = {p.i for g in figs if g is not f for p in g.owned_preps}
        excl = fig_toks | own | set(f.gap_subj) | others_preps
        roles: list[tuple[str, list[Token]]] = []
        if f.gap_subj:
            roles.append(("subj", [ctx.doc[i] for i in f.gap_subj]))
        anchor = f.noun if f.noun is not None else r
        if f.noun is not None:
            roles.append(("noun", [f.noun]))
        for p in f.owned_preps:
            if p.head.i not in (anchor.i, r.i):
                for o in p.children:
                    if o.dep_ == "pobj" and o.i not in excl:
                        roles.append((f"nprep:{p.lower_}", phrase(o, excl, 1)))
        roles.extend(prep_roles(anchor, excl, "n"))
        if anchor is not r:
            roles.extend(prep_roles(r, excl, "n"))
        # Clauses on the noun ("63 others injured in clashes", "rings that were broken up").
        for c in anchor.children:
            if c.dep_ in ("acl", "relcl") and c.i not in excl:
                roles.extend(("nverb" if role == "verb" else f"n{role}", toks)
                             for role, toks in verb_roles(c, excl | {anchor.i}) if role not in ("head",))
        if f.antecedent is not None:
            a = f.antecedent
            mine = {role for role, _ in roles}
            # The remnant replaces the antecedent's argument of the same preposition ("in B" for "in A").
            mine_preps = {role.split(":", 1)[1] for role in mine if ":" in role}
            roles.extend((role, toks) for role, toks in a.roles if role not in mine and role != "noun"
                         and not (":" in role and role.split(":", 1)[1] in mine_preps))
            if a.noun is not None and f.noun is None:
                roles.insert(0, ("noun", [a.noun]))
        else:
            gov, chain = governor(anchor)
            roles.extend(("chain", phrase(c, excl, 0)) for c in chain[:_CHAIN_NOUNS])
            if gov is not None:
                roles.extend(verb_roles(gov, excl))
        f.roles = roles
        words = frame_words(ctx, roles, own)
        if f.extra.get("age"):
            words += [w for w in ("age", "old") if w not in words]  # what an age answers
        f.extra["_frame"] = words
