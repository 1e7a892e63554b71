"""Attribution cues and their sources, read off one token's dependency tree.

A cue is a speech verb ("said"), a belief verb when weak cues are allowed
("believes"), a multi-word cue ("according to", "pointed out") or a light verb with a
speech-noun object ("issued a statement"). Its source is the subject, the agent of a
passive, the one "quoted as saying", or X in "according to X". No document state:
every function here takes tokens (and, for sources, the token-to-quote map).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.nlp.quotes.context import is_line_break
from assistant.text.lexicon import (
    COGNITION_VERBS,
    LIGHT_VERBS,
    PERSON_NOUNS,
    SOURCE_NOUNS,
    SPEECH_NOUNS,
    SPEECH_VERBS,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_RELATIVE = {"who", "that", "which", "whom"}
_NOUN_MODS = ("poss", "compound", "amod", "nmod", "nummod", "case", "npadvmod", "quantmod")

#: How many heads ``source_token`` climbs from a cue (through conjuncts, xcomps,
#: adverbial and prepositional clauses) looking for a subject (hand-set; no
#: measurement on record).
_SOURCE_CLIMB_STEPS = 5
#: Longest of/for/at phrase, in tokens from the head noun, kept in a speaker's noun
#: phrase ("director of the agency") (hand-set; no measurement on record).
_OF_PHRASE_MAX_TOKENS = 6
#: Longest adjective phrase after a source noun kept with it ("familiar with the FDIC's
#: internal investigation" is 7 tokens); hand-set, as the line above.
_AMOD_PHRASE_MAX_TOKENS = 8


def is_verb(tok: Token) -> bool:
    return tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB")


def is_cue(tok: Token, weak: bool = False) -> bool:
    """Is ``tok`` an attribution cue? Speech verbs always; belief verbs when ``weak``;
    multi-word cues (according to, point out, go on, as X put it); and light verbs
    whose object is a speech noun ("issued a statement", "delivered a retort")."""
    if not is_verb(tok):
        return False
    lemma = tok.lemma_.lower()
    if lemma == "accord":
        return any(c.lower_ == "to" for c in tok.children)
    if lemma == "point":
        return any(c.dep_ == "prt" and c.lower_ == "out" for c in tok.children)
    if lemma == "go":
        return any(c.dep_ == "prt" and c.lower_ == "on" for c in tok.children)
    if lemma == "put":
        return any(c.lower_ == "it" for c in tok.children) and any(
            c.lower_ == "as" for c in tok.children
        )
    if lemma in SPEECH_VERBS:
        return True
    if lemma in LIGHT_VERBS and any(c.dep_ == "dobj" and c.lemma_.lower() in SPEECH_NOUNS
                                    for c in tok.children):
        return True
    return weak and lemma in COGNITION_VERBS


def source_token(v: Token, quoted: Sequence[int] | None = None) -> Token | None:
    """The source of a cue verb: its subject, the object of "quoted X as saying",
    the agent of a passive, or X in "according to X". Subjects inside quotation
    marks (``quoted[i] >= 0``) are skipped: they belong to the quote, not the cue."""

    def outside(t: Token) -> bool:
        return quoted is None or quoted[t.i] < 0

    if v.lemma_.lower() == "accord":
        for c in v.children:
            if c.lower_ == "to":
                for p in c.children:
                    if p.dep_ == "pobj" and outside(p):
                        return p
        return None
    tok = v
    via_as = False
    for _ in range(_SOURCE_CLIMB_STEPS):
        subjects = [_misread_subject(c) for c in tok.children if c.dep_ in ("nsubj", "nsubjpass") and outside(c)]
        if not subjects and tok.i == v.i:
            # "X, who ..., said": the parser may hang X on the relative clause.
            for c in tok.lefts:
                if c.dep_ in ("advcl", "ccomp", "relcl") and outside(c):
                    subj = [g for g in c.children if g.dep_ == "nsubj" and g.pos_ in ("PROPN", "NOUN")]
                    if subj and any(g.lower_ in _RELATIVE and g.dep_ == "nsubj" for g in c.children):
                        return subj[0]
        if not subjects and tok.i == v.i:
            named = modal_as_name(tok)
            if named is not None and outside(named):
                return named
        # The subject nearest the verb: "..., Ferguson," Trump said -> Trump.
        subj = min(subjects, key=lambda c: abs(c.i - tok.i)) if subjects else None
        obj = next((c for c in tok.children if c.dep_ == "dobj" and outside(c)), None)
        agent = None
        for c in tok.children:
            if c.dep_ == "agent":
                agent = next((p for p in c.children if p.dep_ == "pobj" and outside(p)), None)
        # "The paper quoted him as saying ...": the one quoted is the source, not the paper.
        if tok.lemma_.lower() == "quote" and (via_as or any(c.lower_ == "as" for c in tok.children)):
            if obj is not None:
                return obj
            if subj is not None and subj.dep_ == "nsubjpass":
                return subj
        if agent is not None:
            return agent
        if subj is not None:
            if subj.dep_ == "nsubjpass" and tok is v:
                return None  # "X was told": X is the addressee
            if subj.lower_ in _RELATIVE and tok.dep_ == "relcl":
                return tok.head
            if subj.dep_ == "expl" or subj.lower_ == "there" or _expletive_it(subj, tok):
                return None
            return subj
        if tok.dep_ == "advcl" and tok.tag_ == "VBG" and tok.head.i < tok.i:
            # "A recording shows X advising police ...": the one shown saying it is the
            # object of the perception verb, not its subject.
            seen_obj = next((c for c in tok.head.children if c.dep_ == "dobj" and c.i < tok.i and outside(c)
                             and (c.ent_type_ == "PERSON" or c.lemma_.lower() in PERSON_NOUNS)), None)
            if seen_obj is not None:
                return seen_obj
        if tok.dep_ in ("conj", "xcomp", "advcl", "pcomp", "prep", "acl", "dep") and tok.head.i != tok.i:
            reporter = reporting_verb(tok, quoted)
            if reporter is not None:
                tok = reporter
                continue
            if tok.dep_ == "pcomp" and tok.head.lower_ == "as":
                via_as = True
            if tok.dep_ == "acl" and tok.head.pos_ in ("NOUN", "PROPN"):
                # "X issued a statement saying ..." -> the statement's verb
                tok = tok.head
                if tok.dep_ in ("dobj", "pobj") and tok.head.i != tok.i:
                    tok = tok.head
                continue
            tok = tok.head
            continue
        return None
    return None


#: Participles that go on with the reporter's own words ("X said Y lost, adding ...");
#: others after a reported clause are its subject's ("Aides said Obama will make his
#: case, highlighting ..."). Read off the polnear records the rule changed.
_CONTINUING_CUES = frozenset({"add", "say", "note", "insist", "explain", "write", "tell", "conclude"})


def _expletive_it(subj: Token, verb: Token) -> bool:
    """"It" as the dummy subject of a passive ("It's implied that ...", "It is said
    that ..."): nobody speaks, though the parser may not tag it as an expletive."""
    return subj.text.lower() == "it" and verb.tag_ == "VBN" and any(
        c.dep_ in ("aux", "auxpass") and c.lemma_.lower() in ("be", "'s", "’s") for c in verb.children)


def _misread_subject(subj: Token) -> Token:
    """A preposition the parser made the subject ("Of Carson, Levine ... said": "Of"
    as subject, the speaker as its object) stands for its object; any other subject is
    itself."""
    if subj.pos_ == "ADP":
        obj = next((c for c in subj.children if c.dep_ == "pobj"), None)
        if obj is not None:
            return obj
    return subj


def reporting_verb(tok: Token, quoted: Sequence[int] | None = None) -> Token | None:
    """The cue a subjectless participle ("..., adding, “...”") belongs to when the parser
    hung it on a verb of the words reported: on a verb inside quotation marks ("X told Y
    that Z “had ...,” adding ...") or on the clause a cue reports ("X said that Z lost,
    adding ..."). The one adding is the one telling, not the subject of what was told.
    None when ``tok`` is no such participle."""
    if tok.dep_ != "advcl" or tok.tag_ != "VBG" or tok.head.i == tok.i:
        return None
    h = tok.head
    inside = quoted is not None and quoted[h.i] >= 0
    while quoted is not None and quoted[h.i] >= 0 and h.head.i != h.i:
        h = h.head
    if inside and is_verb(h) and (quoted is None or quoted[h.i] < 0):
        return h
    if h.dep_ == "ccomp" and is_cue(h.head) and tok.lemma_.lower() in _CONTINUING_CUES:
        return h.head
    return None


def modal_as_name(v: Token) -> Token | None:
    """A surname the parser read as a modal ("Will wrote", "May told"): a capitalised
    modal hung, with no other auxiliary, on a verb in the past, a participle or the third
    person, which no modal can govern ("will wrote" is no English). The resolver accepts
    it only as the surname of a person the article names (``speakers.Resolver``)."""
    if v.tag_ not in ("VBD", "VBN", "VBZ"):
        return None
    aux = [c for c in v.children if c.dep_ in ("aux", "auxpass")]
    if len(aux) != 1:
        return None
    c = aux[0]
    return c if c.tag_ == "MD" and c.i < v.i and c.text[:1].isupper() and c.text[1:].islower() else None


def owner_of(noun: Token) -> Token | None:
    """Who a document or finding belongs to: "X's report", "a report by/from X",
    "a X report" (a proper-name modifier)."""
    for c in noun.children:
        if c.dep_ == "poss" and c.pos_ in ("PROPN", "NOUN", "PRON") and c.lower_ not in ("our", "my", "your"):
            return c
    for c in noun.children:
        if c.dep_ in ("prep", "agent") and c.lower_ in ("by", "from"):
            p = next((g for g in c.children if g.dep_ == "pobj"), None)
            if p is not None and (p.pos_ == "PROPN" or p.lemma_.lower() not in SOURCE_NOUNS):
                return p
    mods = [c for c in noun.children if c.dep_ in ("compound", "nmod") and c.pos_ == "PROPN" and c.i < noun.i]
    return mods[-1] if mods else None


#: Punctuation no noun pre-modifier stands behind (``phrase_span``).
_PREMOD_BREAKS = frozenset({",", "—", "–", "(", ")", ":", ";"})


def phrase_span(tok: Token) -> tuple[int, int]:
    """Token range of a noun phrase's pre-modifiers + head (no articles, no clauses)."""
    left = tok.i
    for c in tok.lefts:
        if c.dep_ in _NOUN_MODS:
            left = min(left, c.left_edge.i)
    right = tok.i
    for c in tok.rights:
        # A name after its title ("spokeswoman Haley Morris") or a short of-phrase.
        if (c.dep_ in ("appos",) and c.pos_ == "PROPN" and c.i == tok.i + 1) or (c.dep_ == "prep" and c.lower_ in ("of", "for", "at") and c.right_edge.i - tok.i <= _OF_PHRASE_MAX_TOKENS):
            right = max(right, c.right_edge.i)
        # "a source familiar with the talks", "officials close to the president": who
        # the unnamed source is, as the article puts it.
        if c.dep_ == "amod" and c.i == tok.i + 1 and any(g.dep_ == "prep" for g in c.children) \
                and c.right_edge.i - tok.i <= _AMOD_PHRASE_MAX_TOKENS:
            right = max(right, c.right_edge.i)
    doc = tok.doc
    left, right = within_line(doc, tok.i, left, right)
    # A pre-modifier never stands behind a comma, a dash or a bracket: "Of Carson, Levine
    # said" hangs "Carson" on the name, a dateline ("RENO, Nev. (AP) — ...") its place.
    left = max([left] + [j + 1 for j in range(left, tok.i) if doc[j].text in _PREMOD_BREAKS])
    while left < tok.i and (doc[left].lower_ in ("the", "a", "an") or doc[left].is_punct):
        left += 1
    while right > tok.i and doc[right].is_punct:
        right -= 1
    return left, right


def within_line(doc: Doc, i: int, left: int, right: int) -> tuple[int, int]:
    """``left..right`` (token indexes around token ``i``) cut at line breaks on either
    side of ``i``. The parser can join a line to the next (a live blog's "11 a.m." above
    "Jeb Bush says ...", a headline above its first sentence) and hang the one line's words
    on the other line's subject; a speaker as written never runs across lines
    (``context.is_line_break``: a hard wrap inside a sentence is no break). (In the polnear
    corpus 65 of 19,558 quote records' speakers did: time stamps, headlines, list numbers.)"""
    for j in range(i - 1, left - 1, -1):
        if is_line_break(doc[j]):
            left = j + 1
            break
    for j in range(i + 1, right + 1):
        if is_line_break(doc[j]):
            right = j - 1
            break
    return left, right


def cue_name(cue: Token | None) -> str:
    """The cue as recorded: a verb's lemma, "according to", or the dash before a name."""
    if cue is None:
        return ""
    lemma = cue.lemma_.lower()
    if lemma == "accord":
        return "according to"
    if not is_verb(cue):
        return cue.text  # a dash before a name
    return lemma

