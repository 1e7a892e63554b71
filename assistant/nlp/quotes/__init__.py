"""Who said what: a quote index built at ingest from a spaCy parse.

Method. Attribution relations (Krestel et al. 2008, "Minding the source";
Pareti 2016, PARC 3.0; Newell et al. 2018, PolNeAR) are a *source*, a *cue*
and a *content*. Contents are found two ways:

* direct quotes: spans between quotation marks, paired per paragraph with the
  newspaper convention that a quote running over several paragraphs re-opens
  each paragraph and closes only at its end;
* reported speech: the clausal complement of a cue verb ("X said that ..."),
  the main clause of "according to X" / "as X noted", and the object phrase of
  a strong speech verb ("X accused Y of ...").

Each content is linked to its cue through the dependency tree (the nearest cue
verb above the quoted tokens), falling back to the attribution clause next to
the quote ("..., X said." / "X said:" at the end of the previous paragraph).
Quotes with no cue of their own continue the previous speaker, as in the
two-stage sieve of Muzny et al. (2017, EACL). Sources are resolved like the
deterministic coreference sieves of Lee et al. (2013, Computational
Linguistics): a name goes to the fullest spelling of that name in the article;
a pronoun goes to the previous speaker when the quote continues, otherwise to
the most recent compatible subject; a definite description ("the minister",
"the agency") goes to an entity the article gave that title or head noun.

Policies. A document, data set or finding ("X's analysis of ... data", "a
recorded phone call shows") is a source, not a speaker: it is attributed to its
owner (possessor, "by/from X", or a proper-name modifier) and dropped when it has
none. "Y quoted X as saying" attributes to X. A descriptor before a name ("rights
group X") is not part of the speaker. Short title-cased quotes used as nouns
(show and book titles) are names, not speech. Headline lines get confidence
0.3 at most and are never continued. Short name keys (under four letters of
``name_key``) must match exactly, so Bob/Bay or Will/Wall are not merged.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.models import QuoteRecord
from assistant.text.folding import fold
from assistant.text.lexicon import (
    COGNITION_VERBS,
    LIGHT_VERBS,
    ORG_NOUNS,
    PERSON_NOUNS,
    SOURCE_NOUNS,
    SPEECH_NOUNS,
    SPEECH_VERBS,
    TITLE_ABBREVIATIONS,
)
from assistant.text.names import name_tokens, name_word_key, strip_possessive

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

_PERSON_PRONOUNS = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f"}
_GROUP_PRONOUNS = {"they", "them", "it", "its", "their"}
_RELATIVE = {"who", "that", "which", "whom"}
_STATE_NOUNS = {"government", "administration", "regime", "cabinet", "authorities", "authority", "state",
                "country", "ministry", "parliament"}
_NON_AGENT_ENTS = {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "CARDINAL", "ORDINAL"}
_NOUN_MODS = ("poss", "compound", "amod", "nmod", "nummod", "case", "npadvmod", "quantmod")

#: A word of a title-like quotation ("Make America Great Again").
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*\.?", re.UNICODE)
_OPEN_MARKS = "“„«"
_CLOSE_MARKS = "”»"
_TERMINATORS = ".!?…"


# ---------------------------------------------------------------------------
# Quotation-marked spans
# ---------------------------------------------------------------------------


@dataclass
class _QSpan:
    qopen: int  # index of the opening mark
    qclose: int  # index of the closing mark, or the paragraph end when unclosed
    start: int  # content start (trimmed)
    end: int  # content end (trimmed)
    closed: bool
    para: int
    chain: int = -1  # multi-paragraph quote id
    standalone: bool = False  # opens a sentence (not embedded in running text)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def find_quote_spans(text: str) -> list[tuple[int, int]]:
    """Content spans ``(start, end)`` of quotation-marked text, in order.

    Curly, guillemet and straight double quotes; an unclosed quote ends with its
    paragraph (multi-paragraph quotes re-open each paragraph).
    """
    return [(q.start, q.end) for q in _quote_spans(text)]


def _quote_spans(text: str) -> list[_QSpan]:
    spans: list[_QSpan] = []
    pos = 0
    para = -1
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        para += 1
        opened = -1
        for i, ch in enumerate(line):
            at = line_start + i
            prev = line[i - 1] if i else " "
            nxt = line[i + 1] if i + 1 < len(line) else " "
            if ch in _OPEN_MARKS:
                if opened >= 0:
                    spans.append(_make(text, opened, at, True, para))
                opened = at
            elif ch in _CLOSE_MARKS:
                if opened >= 0:
                    spans.append(_make(text, opened, at, True, para))
                    opened = -1
                elif (prev.isspace() or prev in "([—–-:;/") and not nxt.isspace():
                    opened = at  # a close mark used as an opener (plain typesetting)
            elif ch == '"':
                if opened >= 0:
                    spans.append(_make(text, opened, at, True, para))
                    opened = -1
                elif not nxt.isspace() and (prev.isspace() or prev in "([{—–-:;,/"):
                    opened = at
        if opened >= 0:
            spans.append(_make(text, opened, line_start + len(line.rstrip()), False, para))
    spans = [s for s in spans if s.end > s.start]
    _link_chains(text, spans)
    return spans


def _make(text: str, qopen: int, qclose: int, closed: bool, para: int) -> _QSpan:
    start, end = _trim(text, qopen + 1, qclose)
    q = _QSpan(qopen, qclose, start, end, closed, para)
    i = qopen - 1
    while i >= 0 and text[i].isspace() and text[i] != "\n":
        i -= 1
    # Stand-alone: the quote opens its paragraph or follows a sentence end or a colon.
    q.standalone = i < 0 or text[i] == "\n" or text[i] in _TERMINATORS or text[i] in ":\"”"
    return q


def paragraph_starts(text: str) -> list[int]:
    """Start offsets of the non-blank lines of ``text``."""
    return [m.start() for m in re.finditer(r"(?m)^(?=[ \t\u00a0]*\S)", text)]


def _link_chains(text: str, spans: list[_QSpan]) -> None:
    """Unclosed quote + next paragraph opening with a quote = one quote over paragraphs."""
    chain = 0
    for i, q in enumerate(spans):
        if q.chain < 0:
            q.chain = chain
            chain += 1
        if q.closed or i + 1 >= len(spans):
            continue
        nxt = spans[i + 1]
        if nxt.para > q.para and not text[q.qclose: nxt.qopen].strip():
            nxt.chain = q.chain


# ---------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------


@dataclass
class _Mention:
    """A named mention that can be a speaker or an antecedent."""

    start: int
    end: int
    text: str
    label: str
    last_key: str
    first_key: str
    n_words: int
    subject: bool  # grammatical subject (or cue source) outside quotes


@dataclass
class _Speaker:
    name: str
    label: str
    confidence: float

    def capped(self, conf: float) -> _Speaker:
        return _Speaker(self.name, self.label, min(self.confidence, conf))


@dataclass
class _Said:
    """An attribution already made, for continuations and pronouns."""

    start: int
    end: int
    para: int
    speaker: _Speaker
    kind: str
    main: bool  # direct quote, or reported speech whose cue heads its sentence


@dataclass
class _Event:
    """An attribution to resolve: content span, cue and source token."""

    start: int
    end: int
    kind: str
    cue: str
    source: Token | None
    confidence: float
    qspan: _QSpan | None = None
    continuation: bool = False
    extra: dict = field(default_factory=dict)


class _Context:
    """Per-document state: quote map, sentences, mentions, resolved speakers."""

    def __init__(self, doc_id: str, text: str, doc: Doc) -> None:
        self.doc_id = doc_id
        self.text = text
        self.doc = doc
        self.spans = _quote_spans(text)
        self.para_starts = paragraph_starts(text)
        n = len(doc)
        self.tq = [-1] * n  # quote index of every token (marks included)
        j = 0
        for t in doc:
            while j < len(self.spans) and self.spans[j].qclose < t.idx:
                j += 1
            if j < len(self.spans) and self.spans[j].qopen <= t.idx <= self.spans[j].qclose:
                q = self.spans[j]
                # An unclosed quote ends at its paragraph end (qclose is not a mark).
                if q.closed or t.idx < q.qclose:
                    self.tq[t.i] = j
        self.mentions = self._collect_mentions()
        self.mention_starts = [m.start for m in self.mentions]
        self.titles: dict[str, list[tuple[int, str]]] = {}
        self._collect_titles()
        self.history: list[_Said] = []

    # -- helpers -----------------------------------------------------------
    def previous(self, para: int | None = None) -> _Said | None:
        """The last attribution that can be continued: a direct quote or a main-clause
        report (not "after X stated ..." inside someone else's sentence); within
        ``para`` a direct quote of that paragraph wins."""
        if para is not None:
            for h in reversed(self.history):
                if h.para < para:
                    break
                if h.kind == "direct":
                    return h
        for h in reversed(self.history):
            if h.main:
                return h
        return None

    def para_bounds(self, char: int) -> tuple[int, int]:
        """Start and end offsets of the paragraph (line) holding ``char``."""
        p = max(0, self.para_of(char))
        lo = self.para_starts[p] if self.para_starts else 0
        hi = self.text.find("\n", lo)
        return lo, len(self.text) if hi < 0 else hi

    def is_headline(self, char: int) -> bool:
        """Is ``char`` in a headline-like line: the article's first line, or a short line
        with no sentence-final punctuation (titles, section heads, teasers)?"""
        lo, hi = self.para_bounds(char)
        line = self.text[lo:hi].strip().rstrip("\"'”’»)")
        if not line:
            return False
        if len(line.split()) > 25:
            return False
        if line[-1] not in ".!?…:;,":
            return True
        # A first line set off by a blank line is the title even with a full stop.
        return not self.text[:lo].strip() and self.text[hi: hi + 3].replace("\r", "").startswith("\n\n")

    def para_of(self, char: int) -> int:
        """Paragraph (non-blank line) number of a character, as in ``_QSpan.para``."""
        return bisect.bisect_right(self.para_starts, char) - 1

    def in_quote(self, tok: Token) -> bool:
        return self.tq[tok.i] >= 0

    def token_at(self, char: int) -> Token | None:
        span = self.doc.char_span(char, char + 1, alignment_mode="expand")
        return span[0] if span is not None and len(span) else None

    # -- mentions ------------------------------------------------------------
    def _collect_mentions(self) -> list[_Mention]:
        out: list[_Mention] = []
        seen: set[tuple[int, int]] = set()
        for ent in self.doc.ents:
            if ent.label_ not in ("PERSON", "ORG", "GPE", "NORP"):
                continue
            m = self._mention_from_span(ent, ent.label_)
            if m and (m.start, m.end) not in seen:
                seen.add((m.start, m.end))
                out.append(m)
        out.sort(key=lambda m: m.start)
        return out

    def _mention_from_span(self, span: Span, label: str) -> _Mention | None:
        toks = [t for t in span if not t.is_punct and t.tag_ != "POS"]
        while toks and (toks[0].lower_ in ("the", "a", "an") or toks[0].lower_.rstrip(".") in TITLE_ABBREVIATIONS):
            toks = toks[1:]
        if not toks:
            return None
        start, end = toks[0].idx, toks[-1].idx + len(toks[-1].text)
        name = self.text[start:end]
        words = name_tokens(name)
        if not words:
            return None
        subject = any(t.dep_ in ("nsubj", "nsubjpass") for t in span) and not self.in_quote(span[0])
        return _Mention(start, end, name, label, name_word_key(words[-1]), name_word_key(words[0]), len(words), subject)

    def _collect_titles(self) -> None:
        """Role nouns the article attaches to a person: "Foreign Minister X", "X, state secretary"."""
        for m in self.mentions:
            if m.label != "PERSON":
                continue
            span = self.doc.char_span(m.start, m.end, alignment_mode="expand")
            if span is None:
                continue
            head = span.root
            for c in head.children:
                if (c.dep_ == "compound" and c.i < span.start) or (c.dep_ == "appos" and c.pos_ in ("NOUN", "PROPN")):
                    self._add_title(c, m)
            if head.dep_ == "appos" and head.head.pos_ == "NOUN":
                self._add_title(head.head, m)

    def _add_title(self, tok: Token, m: _Mention) -> None:
        lemma = tok.lemma_.lower()
        if lemma.isalpha():
            self.titles.setdefault(lemma, []).append((m.start, m.text))

    def mentions_before(self, char: int) -> list[_Mention]:
        return self.mentions[: bisect.bisect_left(self.mention_starts, char)]

    def fullest(self, m: _Mention, at: int) -> str:
        """Fullest spelling of a person's name: the closest earlier longer mention (else later)."""
        best: _Mention | None = None
        for other in self.mentions:
            if other.label != "PERSON" or other.n_words < m.n_words or other.n_words < 2:
                continue
            if other.last_key != m.last_key:
                continue
            if m.n_words >= 2 and other.first_key != m.first_key:
                continue
            if best is None or (other.start <= at and (best.start > at or other.n_words >= best.n_words)) or (other.start > at and best.start > at and other.n_words > best.n_words):
                best = other
        return best.text if best else m.text

    def person_group_exists(self, key: str) -> bool:
        return any(m.label == "PERSON" and m.last_key == key for m in self.mentions)


_NAME_PARTICLES = {"de", "da", "del", "van", "von", "der", "bin", "al", "la", "le", "du", "of"}


def _namelike(name: str) -> bool:
    """"Mayor Ana Ruiz": a capitalised multi-word name the NER model did not tag (a
    person for he/she when nothing better precedes)."""
    words = name.split()
    return len(words) >= 2 and all(w[:1].isupper() for w in words if w.lower() not in _NAME_PARTICLES)



def _is_verb(tok: Token) -> bool:
    return tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB")


def _is_cue(tok: Token, weak: bool = False) -> bool:
    """Is ``tok`` an attribution cue? Speech verbs always; belief verbs when ``weak``;
    multi-word cues (according to, point out, go on, as X put it); and light verbs
    whose object is a speech noun ("issued a statement", "delivered a retort")."""
    if not _is_verb(tok):
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


def _source_token(v: Token, quoted: Sequence[int] | None = None) -> Token | None:
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
    for _ in range(5):
        subjects = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass") and outside(c)]
        if not subjects and tok.i == v.i:
            # "X, who ..., said": the parser may hang X on the relative clause.
            for c in tok.lefts:
                if c.dep_ in ("advcl", "ccomp", "relcl") and outside(c):
                    subj = [g for g in c.children if g.dep_ == "nsubj" and g.pos_ in ("PROPN", "NOUN")]
                    if subj and any(g.lower_ in _RELATIVE and g.dep_ == "nsubj" for g in c.children):
                        return subj[0]
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
            if subj.dep_ == "expl" or subj.lower_ == "there":
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


def _owner(noun: Token) -> Token | None:
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


def _phrase_span(tok: Token) -> tuple[int, int]:
    """Token range of a noun phrase's pre-modifiers + head (no articles, no clauses)."""
    left = tok.i
    for c in tok.lefts:
        if c.dep_ in _NOUN_MODS:
            left = min(left, c.left_edge.i)
    right = tok.i
    for c in tok.rights:
        # A name after its title ("spokeswoman Haley Morris") or a short of-phrase.
        if (c.dep_ in ("appos",) and c.pos_ == "PROPN" and c.i == tok.i + 1) or (c.dep_ == "prep" and c.lower_ in ("of", "for", "at") and c.right_edge.i - tok.i <= 6):
            right = max(right, c.right_edge.i)
    doc = tok.doc
    while left < tok.i and (doc[left].lower_ in ("the", "a", "an") or doc[left].is_punct):
        left += 1
    while right > tok.i and doc[right].is_punct:
        right -= 1
    return left, right


class _Resolver:
    """Turns a source token into a speaker name (see module docstring)."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx

    def mention_of(self, tok: Token) -> _Mention | None:
        ctx = self.ctx
        i = bisect.bisect_right(ctx.mention_starts, tok.idx) - 1
        while i >= 0 and ctx.mentions[i].end >= tok.idx:
            m = ctx.mentions[i]
            if m.start <= tok.idx < m.end + 1:
                return m
            i -= 1
        return None

    def resolve(self, src: Token | None, at: int, depth: int = 0) -> tuple[_Speaker | None, str, int, int]:
        """Speaker, mention text, mention offsets for the source token ``src``."""
        if src is None:
            return None, "", -1, -1
        ctx = self.ctx
        low = src.lower_
        if src.ent_type_ in _NON_AGENT_ENTS or src.pos_ in ("NUM", "VERB", "AUX", "ADJ", "ADV", "SYM"):
            return None, "", -1, -1  # a time, number or misparse cannot speak
        if src.pos_ == "PRON" or low in _PERSON_PRONOUNS or low in _GROUP_PRONOUNS:
            sp = self.pronoun(src, at)
            return sp, src.text, src.idx, src.idx + len(src.text)
        if src.pos_ == "NOUN" and depth < 2:
            # "rights group Civic Shield", "the spokesman, John Doe,": the name speaks.
            name = next((c for c in src.children if c.dep_ == "appos" and c.pos_ == "PROPN" and c.i > src.i), None)
            if name is not None:
                return self.resolve(name, at, depth + 1)
        if src.lemma_.lower() in SOURCE_NOUNS and src.pos_ == "NOUN" and depth < 2:
            # A document or finding speaks for its owner; without one it names no speaker.
            owner = _owner(src)
            if owner is None:
                return None, "", -1, -1
            return self.resolve(owner, at, depth + 1)
        if src.pos_ == "PROPN" and (src.text.islower() or self._is_bare_title(src)):
            # A role noun mis-tagged as a name ("the minister", "the Agency").
            left, right = _phrase_span(src)
            return self.nominal(src, left, right, at), src.text, src.idx, src.idx + len(src.text)
        # The speaker is a conjunction? Keep the first conjunct's phrase plus the others.
        left, right = _phrase_span(src)
        conj_end = right
        for c in src.rights:
            if c.dep_ == "conj":
                conj_end = max(conj_end, c.right_edge.i)
        doc = ctx.doc
        if src.pos_ == "PROPN":
            # "human rights group Civic Shield": the name, not its descriptor.
            first_cap = next((t.i for t in doc[left: right + 1] if t.text[:1].isupper()), left)
            if all(t.text[:1].islower() or t.is_punct for t in doc[left:first_cap]):
                left = first_cap
        s_char = doc[left].idx
        e_char = doc[right].idx + len(doc[right].text)
        mention_text = ctx.text[s_char:e_char]
        m = self.mention_of(src)
        # Appositive name: "the spokesman, John Doe, said".
        if m is None and src.pos_ == "NOUN":
            for c in src.children:
                if c.dep_ == "appos" and c.pos_ == "PROPN":
                    m = self.mention_of(c)
                    if m:
                        break
        if conj_end > right:
            e2 = doc[conj_end].idx + len(doc[conj_end].text)
            text = ctx.text[s_char:e2]
            label = m.label if m else "OTHER"
            return _Speaker(text, label, 0.8), text, s_char, e2
        if m is not None:
            return self.named(m, at), mention_text, s_char, e_char
        if src.pos_ == "PROPN":
            words = name_tokens(mention_text)
            if words:
                key = name_word_key(words[-1])
                pseudo = _Mention(s_char, e_char, mention_text, "PERSON", key, name_word_key(words[0]),
                                  len(words), True)
                if ctx.person_group_exists(key):
                    return self.named(pseudo, at), mention_text, s_char, e_char
                label = "PERSON" if any(t.pos_ == "NOUN" for t in doc[left:right]) else "OTHER"
                name = " ".join(strip_possessive(w) for w in mention_text.split())
                return _Speaker(name, label, 0.8), mention_text, s_char, e_char
        return self.nominal(src, left, right, at), mention_text, s_char, e_char

    def _is_bare_title(self, src: Token) -> bool:
        """"the Minister" / "the Agency": a definite role noun standing alone."""
        lemma = src.lemma_.lower()
        if not any(c.dep_ == "det" and c.lower_ == "the" for c in src.children):
            return False
        if any(c.pos_ == "PROPN" for c in src.children if c.dep_ in ("compound", "poss")):
            return False
        return lemma in PERSON_NOUNS or lemma in ORG_NOUNS or lemma in self.ctx.titles

    def named(self, m: _Mention, at: int) -> _Speaker:
        ctx = self.ctx
        label = m.label
        if label != "PERSON" and ctx.person_group_exists(m.last_key):
            label = "PERSON"
        if label == "PERSON":
            return _Speaker(ctx.fullest(m, at), "PERSON", 1.0)
        return _Speaker(m.text, label if label in ("ORG", "GPE", "NORP") else "OTHER", 0.95)

    def pronoun(self, src: Token, at: int) -> _Speaker | None:
        """he/she: the previous speaker if no new person became a subject since, else the
        most recent person subject; it/they: the same over organisations and groups."""
        ctx = self.ctx
        low = src.lower_
        if low in _PERSON_PRONOUNS:
            want: tuple[str, ...] = ("PERSON",)
        elif low in _GROUP_PRONOUNS:
            want = ("ORG", "NORP", "GPE", "OTHER")
        else:
            return _Speaker(src.text, "OTHER", 0.3)  # I / we / you: the writer or an addressee
        para = ctx.para_of(at)
        prev = ctx.previous(para)
        if prev is not None and ((prev.speaker.label not in want and not (
                want == ("PERSON",) and prev.speaker.label == "OTHER" and _namelike(prev.speaker.name)))
                or para - prev.para > 3):
            prev = None
        candidates = [m for m in ctx.mentions_before(src.idx)
                      if (m.label in want or (want == ("PERSON",) and ctx.person_group_exists(m.last_key)))
                      and ctx.para_of(m.start) >= para - 3 and not self._inside_any_quote(m.start)]
        if prev is not None:
            newer = [m for m in candidates if m.start >= prev.end and m.subject]
            if not newer:
                return _Speaker(prev.speaker.name, prev.speaker.label, 0.9 if para - prev.para <= 1 else 0.7)
            return self.named(newer[-1], at).capped(0.75)
        subj = [m for m in candidates if m.subject]
        pick = subj[-1] if subj else (candidates[-1] if candidates else None)
        if pick is None:
            return _Speaker(src.text, "OTHER", 0.2)
        return self.named(pick, at).capped(0.65)

    def _inside_any_quote(self, char: int) -> bool:
        tok = self.ctx.token_at(char)
        return tok is not None and self.ctx.in_quote(tok)

    def nominal(self, src: Token, left: int, right: int, at: int) -> _Speaker:
        """A description as speaker: resolve definite role nouns, else keep the phrase."""
        ctx = self.ctx
        doc = ctx.doc
        phrase = ctx.text[doc[left].idx: doc[right].idx + len(doc[right].text)]
        lemma = src.lemma_.lower()
        dets = [c.lower_ for c in src.children if c.dep_ in ("det", "poss")]
        mods = [t for t in doc[left:right + 1] if t.i != src.i and not t.is_punct
                and t.dep_ != "case"]
        definite = "the" in dets or (not dets and not mods and src.tag_ == "NN")
        plural = src.tag_ in ("NNS", "NNPS")
        # 1. A title the article gave someone ("Foreign Minister X" -> "the minister").
        if lemma in ctx.titles and (definite or mods):
            cands = [(p, n) for p, n in ctx.titles[lemma] if p < at]
            if cands and all(fold(t.text) in fold(" ".join(n for _, n in cands[-1:]) + " " +
                                                  self._title_context(lemma, cands[-1][0]))
                             for t in mods if t.pos_ in ("PROPN", "ADJ", "NOUN")):
                name = cands[-1][1]
                m = self._mention_by_text(name)
                return self.named(m, at).capped(0.8) if m else _Speaker(name, "PERSON", 0.8)
        poss = [c for c in src.children if c.dep_ == "poss"]
        if not plural and (definite or poss) and lemma in ORG_NOUNS:
            # "Ukraine's intelligence service" -> the organisation named with those words.
            words = {fold(t.text) for t in mods if t.pos_ in ("NOUN", "PROPN", "ADJ") and t.dep_ != "poss"
                     and not any(p.i == t.i for p in poss)}
            for m in reversed(ctx.mentions_before(src.idx + 1)):
                names = set(fold(self._org_name(m)).split())
                if m.label == "ORG" and lemma in names and words <= names:
                    return _Speaker(m.text, "ORG", 0.8)
        if plural or not definite:
            return _Speaker(" ".join(strip_possessive(w) if i == 0 else w
                                     for i, w in enumerate(phrase.split())), "OTHER", 0.8)
        # 2. An organisation whose name holds the head noun ("the service").
        for m in reversed(ctx.mentions_before(src.idx)):
            if m.label == "ORG" and lemma in fold(m.text).split():
                return _Speaker(self._org_name(m), "ORG", 0.8)
        # 3. A role noun back to the last compatible speaker.
        if lemma in PERSON_NOUNS:
            for h in reversed(ctx.history):
                if h.speaker.label == "PERSON":
                    return _Speaker(h.speaker.name, "PERSON", 0.7)
            persons = [m for m in ctx.mentions_before(src.idx) if m.label == "PERSON"]
            if persons:
                return self.named(persons[-1], at).capped(0.6)
        if lemma in ORG_NOUNS:
            # Governments are named by place ("Warsaw said"); other bodies are organisations.
            labels = ("ORG", "GPE", "NORP") if lemma in _STATE_NOUNS else ("ORG",)
            for h in reversed(ctx.history):
                if h.speaker.label in labels:
                    return _Speaker(h.speaker.name, h.speaker.label, 0.7)
            orgs = [m for m in ctx.mentions_before(src.idx) if m.label == "ORG"
                    and not self._inside_any_quote(m.start)]
            if orgs:
                subj = [m for m in orgs if m.subject]
                return _Speaker(self._org_name((subj or orgs)[-1]), "ORG", 0.6)
        return _Speaker(phrase, "OTHER", 0.7)

    def _title_context(self, lemma: str, pos: int) -> str:
        tok = self.ctx.token_at(pos)
        if tok is None:
            return ""
        sent = tok.sent
        return sent.text

    def _mention_by_text(self, name: str) -> _Mention | None:
        for m in self.ctx.mentions:
            if m.text == name:
                return m
        return None

    def _org_name(self, m: _Mention) -> str:
        """An organisation's name with its possessor ("Ukraine's Foreign Intelligence Service")."""
        ctx = self.ctx
        span = ctx.doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is None:
            return m.text
        left = span.start
        for c in span.root.lefts:
            if c.dep_ == "poss":
                left = min(left, c.left_edge.i)
        return ctx.text[ctx.doc[left].idx: m.end]


def _quote_cue(ctx: _Context, qi: int) -> tuple[Token | None, Token | None, float]:
    """Cue and source of direct quote ``qi``.

    In order: the nearest cue verb above the quoted tokens in the dependency tree,
    in the same paragraph and sentence; a cue in the attribution clause after the
    quote ("..., X said.") or before it ("X said:", also the previous paragraph
    when it ends with a colon); the subject of a clause introducing the quote with
    a colon ("X delivered a retort: ..."); a name after a dash ("... ― X").
    """
    q = ctx.spans[qi]
    doc = ctx.doc
    span = doc.char_span(q.qopen, max(q.qclose, q.end), alignment_mode="expand")
    if span is None or not len(span):
        return None, None, 0.0
    tq = ctx.tq
    best: tuple[int, Token, Token] | None = None
    for t in span:
        if tq[t.i] != qi or tq[t.head.i] == qi:
            continue
        h = t.head
        for depth in range(1, 5):
            if tq[h.i] >= 0:
                break
            if _is_cue(h, weak=True):
                src = _source_token(h, tq)
                if src is not None and _same_frame(ctx, q, span, h) and (best is None or depth < best[0]):
                    best = (depth, h, src)
                break
            if h.head.i == h.i:
                break
            h = h.head
    if best is not None:
        return best[1], best[2], 0.95
    after = _clause_after(ctx, span, qi)
    for n, t in enumerate(after):
        # An attribution tag opens the clause ("..., X said", "said X, who ..."); a cue
        # further on belongs to a new sentence about something else.
        if n > 10:
            break
        if tq[t.i] < 0 and _is_cue(t):
            src = _source_token(t, tq)
            if src is not None:
                return t, src, 0.85
    before = _clause_before(ctx, span)
    for t in reversed(before):
        if tq[t.i] < 0 and _is_cue(t):
            src = _source_token(t, tq)
            if src is not None:
                return t, src, 0.85
    if before and before[-1].text == ":":
        root = before[-1].sent.root if before[-1].sent.root.i < before[-1].i else before[-1].head
        src = _source_token(root, tq) if _is_verb(root) else None
        if src is not None:
            return root, src, 0.75
    if not after and q.para + 1 < len(ctx.para_starts):
        # A byline-style tag on its own line: "“...”" then "- Name."
        lo = ctx.para_starts[q.para + 1]
        if not ctx.text[q.qclose + 1: lo].strip(" \t\r\n\"”"):
            hi = ctx.text.find("\n", lo)
            line = doc.char_span(lo, len(ctx.text) if hi < 0 else hi, alignment_mode="expand")
            if line is not None and len(line) <= 8:
                after = [t for t in line if not t.is_space]
    if len(after) >= 2 and after[0].text in ("―", "—", "–", "-", "--") and after[1].pos_ == "PROPN":
        j = 1
        while j + 1 < len(after) and after[j + 1].pos_ == "PROPN":
            j += 1
        return after[0], after[j], 0.8
    return None, None, 0.0


def _same_frame(ctx: _Context, q: _QSpan, span: Span, cue: Token) -> bool:
    """A cue attributes a quote only within one sentence of one paragraph (or from
    a colon-ended clause just before a quote that opens the next paragraph)."""
    tq = ctx.tq
    doc = ctx.doc
    if cue.i > span.end - 1:
        lo, hi = span.end, cue.i
    else:
        lo, hi = cue.i + 1, span.start
    between = doc[lo:hi]
    if any(tq[t.i] < 0 and t.text in (".", "!", "?", ";") for t in between):
        return False
    if ctx.para_of(cue.idx) == q.para:
        return True
    last = next((t for t in reversed(between) if not t.is_space and tq[t.i] < 0), None)
    return cue.i < span.start and q.standalone and last is not None and last.text == ":"


def _clause_after(ctx: _Context, span: Span, qi: int = -1) -> list[Token]:
    """Tokens after a quote up to its sentence end, stepping over embedded quotes."""
    doc = ctx.doc
    tq = ctx.tq
    out: list[Token] = []
    i = span.end
    while i < len(doc) and tq[i] == qi and qi >= 0:
        i += 1  # the closing mark
    while i < len(doc):
        t = doc[i]
        if "\n" in t.text:
            break
        if tq[t.i] >= 0 and ctx.spans[tq[t.i]].standalone:
            break
        out.append(t)
        if tq[t.i] < 0 and t.text in (".", "!", "?", ";"):
            break
        i += 1
    return out


def _clause_before(ctx: _Context, span: Span) -> list[Token]:
    """Tokens before a quote back to the previous sentence end, stepping over
    embedded quotes; if the quote opens its paragraph, the previous paragraph's
    last sentence when it ends with a colon."""
    doc = ctx.doc
    tq = ctx.tq
    out: list[Token] = []
    i = span.start - 1
    while i >= 0 and doc[i].is_space and "\n" not in doc[i].text:
        i -= 1
    if i >= 0 and "\n" in doc[i].text:
        while i >= 0 and doc[i].is_space:
            i -= 1
        if i < 0 or doc[i].text != ":" or tq[i] >= 0:
            return []
    while i >= 0:
        t = doc[i]
        if "\n" in t.text:
            break
        if tq[t.i] >= 0 and ctx.spans[tq[t.i]].standalone and ctx.spans[tq[t.i]].end - ctx.spans[tq[t.i]].start > 40:
            break
        if tq[t.i] < 0 and t.text in (".", "!", "?", ";"):
            break
        out.append(t)
        i -= 1
    out.reverse()
    return [t for t in out if not t.is_space]


def _indirect_events(ctx: _Context) -> list[_Event]:
    """Reported speech: cue verbs outside quotes with a clausal complement ("X said
    that ..."), a cue framing a main clause ("according to X, ...", "as X noted, ...",
    "..., X said, ..."), or a strong speech verb with an object phrase ("X accused Y
    of ..."). The content is the complement's token span."""
    doc = ctx.doc
    events: list[_Event] = []
    for v in doc:
        if ctx.tq[v.i] >= 0 or not _is_cue(v, weak=True):
            continue
        src = _source_token(v, ctx.tq)
        if src is None:
            continue
        lemma = v.lemma_.lower()
        content: tuple[int, int] | None = None
        conf = 0.8
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
                conf = 0.6
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
        events.append(_Event(start, end, "indirect", _cue_name(v), src, conf, extra={"main": main}))
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
        if quoted[t.i] < 0 and t.i != v.i and _is_cue(t) and any(
            ch.dep_ in ("nsubj", "nsubjpass") for ch in t.children
        ) and t.head.i != comp.i:
            b = max(comp.right_edge.i, min(b, t.left_edge.i - 1))
            break
        if quoted[t.i] < 0 and t.text in (";",):
            break
        b = i
        i += 1
    return a, b


def _cue_name(cue: Token | None) -> str:
    if cue is None:
        return ""
    lemma = cue.lemma_.lower()
    if lemma == "accord":
        return "according to"
    if not _is_verb(cue):
        return cue.text  # a dash before a name
    return lemma


def _frame_content(cue: Token) -> tuple[int, int]:
    """What a framing cue ("according to X", "as X noted", "..., X said, ...")
    attributes: the rest of its sentence. A frame at either edge leaves the other
    side; a frame in the middle attributes the whole sentence."""
    sent = cue.sent
    lo, hi = sent.start, sent.end - 1
    plo, phi = cue.left_edge.i, cue.right_edge.i
    left, right = plo - lo, hi - phi
    if left >= 4 and right >= 4:
        return lo, hi
    return (phi + 1, hi) if right >= left else (lo, plo - 1)



def extract_quotes(doc_id: str, text: str, doc: Doc) -> list[QuoteRecord]:
    """Direct and reported quotes of one article, each attributed to a speaker.

    ``doc`` is ``assistant.nlp.parse(text)``; offsets of every record index ``text``
    (``text[r.start:r.end] == r.quote``). See the module docstring for the method.
    """
    if not text.strip() or len(doc) == 0:
        return []
    ctx = _Context(doc_id, text, doc)
    resolver = _Resolver(ctx)
    events: list[_Event] = []
    # Direct quotes: one cue per chain of paragraphs, shared by all its parts.
    chain_cue: dict[int, tuple[Token | None, Token | None, float]] = {}
    per_quote: list[tuple[Token | None, Token | None, float]] = []
    for qi, q in enumerate(ctx.spans):
        found = _quote_cue(ctx, qi)
        per_quote.append(found)
        if found[0] is not None and q.chain not in chain_cue:
            chain_cue[q.chain] = found
    for qi, q in enumerate(ctx.spans):
        if _is_title_quote(ctx, q):
            continue
        cue, src, conf = per_quote[qi]
        if cue is None and q.chain in chain_cue:
            cue, src, conf = chain_cue[q.chain]
            conf = min(conf, 0.9)
        ev = _Event(q.start, q.end, "direct", _cue_name(cue), src, conf, qspan=q,
                    continuation=cue is None)
        events.append(ev)
    events.extend(_indirect_events(ctx))
    events.sort(key=lambda e: (e.start, e.kind != "direct"))

    records: list[QuoteRecord] = []
    for ev in events:
        at = ev.start if ev.source is None else min(ev.start, ev.source.idx)
        if ev.continuation:
            sp = _continue_speaker(ctx, ev)
            if sp is None:
                continue
            speaker, mention, s0, s1 = sp, "", -1, -1
            cue = ""
        else:
            speaker, mention, s0, s1 = resolver.resolve(ev.source, ev.source.idx if ev.source is not None else at)
            cue = ev.cue
            if speaker is None:
                continue
        name = speaker.name.strip()
        if not name:
            continue
        conf = min(ev.confidence, speaker.confidence) if not ev.continuation else speaker.confidence
        headline = ctx.is_headline(ev.start)
        if headline:
            conf = min(conf, 0.3)  # headlines compress and paraphrase: weak evidence
        conf = round(conf, 3)
        if ev.kind == "indirect" and any(
            r.kind == "direct" and r.start <= ev.start and ev.end <= r.end and r.speaker == name
            for r in records[-4:]
        ):
            continue  # the reported clause is the direct quote already recorded
        rec = QuoteRecord(
            doc_id=doc_id, speaker=name, speaker_text=mention, cue=cue,
            quote=text[ev.start: ev.end], start=ev.start, end=ev.end,
            speaker_start=s0, speaker_end=s1, kind=ev.kind, speaker_label=speaker.label,
            confidence=conf,
        )
        records.append(rec)
        if not headline and (speaker.label != "OTHER" or ev.kind == "direct" or _namelike(name)):
            ctx.history.append(_Said(ev.start, ev.end, ctx.para_of(ev.start), speaker, ev.kind,
                                     ev.kind == "direct" or ev.extra.get("main", False)))
    return records


def _is_title_quote(ctx: _Context, q: _QSpan) -> bool:
    """A quoted name of a show, book or slogan used as a noun ("on CNN's “State of the
    Union”", "the “Bernie or Bust” crowd"): short, title-cased, embedded in running text
    as a noun modifier or prepositional object. It names something; nobody says it here."""
    if q.standalone:
        return False
    words = _WORD.findall(ctx.text[q.start: q.end].rstrip(".,!?"))
    if not words or len(words) > 8 or not all(w[:1].isupper() for w in words if len(w) > 3):
        return False
    span = ctx.doc.char_span(q.start, q.end, alignment_mode="expand")
    if span is None or not len(span):
        return False
    root = span.root
    return root.dep_ in ("pobj", "compound", "appos", "nmod", "poss") or (
        root.dep_ in ("nsubj", "dobj") and root.head.pos_ in ("NOUN", "PROPN")
    )


def _continue_speaker(ctx: _Context, ev: _Event) -> _Speaker | None:
    """A quote with no cue of its own continues the previous speaker, if it stands
    alone (not a scare quote) and follows that speaker within a paragraph."""
    q = ev.qspan
    if q is None:
        return None
    if not q.standalone and q.end - q.start < 40:
        return None  # an embedded scare quote or title, not speech
    prev = ctx.previous(q.para)
    if prev is None:
        return None
    gap = q.para - prev.para
    if gap <= 1:
        return _Speaker(prev.speaker.name, prev.speaker.label,
                        min(prev.speaker.confidence, 0.75 if gap else 0.85))
    return None
