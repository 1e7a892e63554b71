"""Per-document state of the quote extractor and the records passed between its steps.

``Context`` holds one article's parse, its quotation map (which quote every token is
in), paragraphs, named mentions, titles the article gives people, and the
attributions made so far; ``Event`` is an attribution still to resolve and
``Speaker`` / ``Said`` are resolved ones.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.nlp.quotes.spans import QSpan, paragraph_starts, quote_spans
from assistant.text.lexicon import TITLE_ABBREVIATIONS
from assistant.text.names import name_tokens, name_word_key

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

#: A line of more words than this is running text, never a headline (hand-set; no
#: measurement on record).
_HEADLINE_MAX_WORDS = 25


#: A text is hard-wrapped (plain text cut at 60-80 characters, so a single newline can
#: fall inside a sentence) when at least ``WRAP_MIN_LINES`` lines have text and nine in
#: ten of them are at most ``WRAP_MAX_CHARS`` long. A web article's lines are paragraphs,
#: most of them longer. Reasoned from the usual wrap widths, not tuned.
WRAP_MAX_CHARS = 100
WRAP_MIN_LINES = 8


def hard_wrapped(text: str) -> bool:
    """Whether ``text`` is hard-wrapped (see ``WRAP_MAX_CHARS``)."""
    lengths = sorted(len(line) for line in text.split("\n") if line.strip())
    return len(lengths) >= WRAP_MIN_LINES and lengths[int(0.9 * (len(lengths) - 1))] <= WRAP_MAX_CHARS


def is_line_break(tok: Token) -> bool:
    """Whether ``tok`` is whitespace that ends a line of its own: a blank line, or a
    newline in a text that is not hard-wrapped (there it may fall inside a sentence)."""
    if "\n" not in tok.text:
        return False
    if tok.text.count("\n") >= 2:
        return True
    doc = tok.doc
    wrapped = doc.user_data.get("hard_wrapped")
    if wrapped is None:
        wrapped = doc.user_data["hard_wrapped"] = hard_wrapped(doc.text)
    return not wrapped


@dataclass
class Mention:
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
class Speaker:
    """A resolved speaker: display name, entity label and confidence."""

    name: str
    label: str
    confidence: float

    def capped(self, conf: float) -> Speaker:
        return Speaker(self.name, self.label, min(self.confidence, conf))


@dataclass
class Said:
    """An attribution already made, for continuations and pronouns."""

    start: int
    end: int
    para: int
    speaker: Speaker
    kind: str
    main: bool  # direct quote, or reported speech whose cue heads its sentence


@dataclass
class Event:
    """An attribution to resolve: content span, cue and source token."""

    start: int
    end: int
    kind: str
    cue: str
    source: Token | None
    confidence: float
    qspan: QSpan | None = None
    continuation: bool = False
    extra: dict = field(default_factory=dict)


class Context:
    """Per-document state: quote map, sentences, mentions, resolved speakers."""

    def __init__(self, doc_id: str, text: str, doc: Doc) -> None:
        self.doc_id = doc_id
        self.text = text
        self.doc = doc
        self.spans = quote_spans(text)
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
        self.history: list[Said] = []

    # -- helpers -----------------------------------------------------------
    def previous(self, para: int | None = None) -> Said | None:
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
        if len(line.split()) > _HEADLINE_MAX_WORDS:
            return False
        if line[-1] not in ".!?…:;,":
            return True
        # A first line set off by a blank line is the title even with a full stop.
        return not self.text[:lo].strip() and self.text[hi: hi + 3].replace("\r", "").startswith("\n\n")

    def para_of(self, char: int) -> int:
        """Paragraph (non-blank line) number of a character, as in ``QSpan.para``."""
        return bisect.bisect_right(self.para_starts, char) - 1

    def in_quote(self, tok: Token) -> bool:
        return self.tq[tok.i] >= 0

    def token_at(self, char: int) -> Token | None:
        span = self.doc.char_span(char, char + 1, alignment_mode="expand")
        return span[0] if span is not None and len(span) else None

    # -- mentions ------------------------------------------------------------
    def _collect_mentions(self) -> list[Mention]:
        out: list[Mention] = []
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

    def _mention_from_span(self, span: Span, label: str) -> Mention | None:
        # A name never runs across a line break ("X.\n\nSexton" tagged as one person).
        cut = max((t.i + 1 for t in span if is_line_break(t)), default=span.start)
        toks = [t for t in span if t.i >= cut and not t.is_punct and t.tag_ != "POS"]
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
        return Mention(start, end, name, label, name_word_key(words[-1]), name_word_key(words[0]), len(words), subject)

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

    def _add_title(self, tok: Token, m: Mention) -> None:
        lemma = tok.lemma_.lower()
        if lemma.isalpha():
            self.titles.setdefault(lemma, []).append((m.start, m.text))

    def mentions_before(self, char: int) -> list[Mention]:
        return self.mentions[: bisect.bisect_left(self.mention_starts, char)]

    def fullest(self, m: Mention, at: int) -> str:
        """Fullest spelling of a person's name: the closest earlier longer mention (else later)."""
        best: Mention | None = None
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
