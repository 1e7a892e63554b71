"""Direct quotes: the cue and source token of each quotation-marked span.

The nearest cue verb above the quoted tokens in the dependency tree wins; failing
that, the attribution clause next to the quote ("..., X said." / "X said:", also at
the end of the previous paragraph), a colon-introduced clause, or a name after a
dash. Short title-cased quotes used as nouns (show and book titles) are names, not
speech.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.nlp.quotes.cues import is_cue, is_verb, source_token

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

    from assistant.nlp.quotes.context import Context
    from assistant.nlp.quotes.spans import QSpan

#: A word of a title-like quotation ("Make America Great Again").
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*\.?", re.UNICODE)

# Cue confidences. Hand-set: no measurement or tuning of these values is on record
# (code, commit history, README); they rank the ways a cue is found, the dependency
# tree first.
#: A cue verb above the quoted tokens in the dependency tree.
_TREE_CUE_CONF = 0.95
#: A cue in the attribution clause after or before the quote ("..., X said.", "X said:").
_TAG_CUE_CONF = 0.85
#: A name after a dash ("... ― X"), also on its own line below the quote.
_DASH_NAME_CONF = 0.8
#: The subject of a clause introducing the quote with a colon ("X delivered a retort: ...").
_COLON_CLAUSE_CONF = 0.75

# Windows (hand-set; no measurement on record).
#: Heads climbed from a quoted token looking for a cue verb.
_CUE_MAX_DEPTH = 4
#: A cue further than this many tokens into the clause after a quote starts a new
#: statement; it is not the quote's attribution tag.
_TAG_MAX_OFFSET = 10
#: A line below a quote of at most this many tokens can be a byline-style tag ("- Name.").
_BYLINE_MAX_TOKENS = 8
#: A stand-alone quote longer than this (characters) ends the clause before a later
#: quote: it is a statement of its own, not a quoted phrase inside the clause.
_LONG_QUOTE_CHARS = 40
#: A title quote has at most this many words, and only words of at most
#: ``_TITLE_SMALL_WORD`` letters ("of", "the") may be lower-case.
_TITLE_MAX_WORDS = 8
#: An inverted tag's cue opens the clause after the quote: at most this many tokens in
#: (the comma and closing mark the parser may leave after the quote).
_INVERTED_TAG_MAX_OFFSET = 2
#: Subjects of a colon's clause that name a thing or a situation, not a source.
_THING_PRONOUNS = frozenset({"it", "this", "that", "there", "here"})
_TITLE_SMALL_WORD = 3


def quote_cue(ctx: Context, qi: int) -> tuple[Token | None, Token | None, float]:
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
        for depth in range(1, _CUE_MAX_DEPTH + 1):
            if tq[h.i] >= 0:
                break
            if is_cue(h, weak=True):
                src = source_token(h, tq)
                if src is not None and _same_frame(ctx, q, span, h) and (best is None or depth < best[0]):
                    best = (depth, h, src)
                break
            if h.head.i == h.i:
                break
            h = h.head
    if best is not None:
        return best[1], best[2], _TREE_CUE_CONF
    after = _clause_after(ctx, span, qi)
    for n, t in enumerate(after):
        # An attribution tag opens the clause ("..., X said", "said X, who ..."); a cue
        # further on belongs to a new sentence about something else.
        if n > _TAG_MAX_OFFSET:
            break
        if tq[t.i] < 0 and is_cue(t):
            src = source_token(t, tq)
            if src is None and n <= _INVERTED_TAG_MAX_OFFSET and not _clause_before(ctx, span):
                src = _inverted_source(after[n + 1:])
            if src is not None:
                return t, src, _TAG_CUE_CONF
    before = _clause_before(ctx, span)
    colon = bool(before) and before[-1].text == ":"
    aside: tuple[Token, Token] | None = None
    for t in reversed(before):
        if tq[t.i] < 0 and is_cue(t):
            src = source_token(t, tq)
            if src is None:
                continue
            if colon and _subordinate(t):
                # "When X suggested ..., Y fired back: “...”": the clause the colon ends
                # speaks, not a cue inside its adverbial or relative clause.
                aside = aside or (t, src)
                continue
            return t, src, _TAG_CUE_CONF
    if colon:
        root = before[-1].sent.root if before[-1].sent.root.i < before[-1].i else before[-1].head
        src = source_token(root, tq) if is_verb(root) else None
        if src is not None and not (src.lower_ in _THING_PRONOUNS and not is_cue(root)):
            # "Wait, it gets better: “...”": a thing, not a source, unless it says something.
            return root, src, _COLON_CLAUSE_CONF
    if aside is not None:
        return aside[0], aside[1], _TAG_CUE_CONF
    if not after and q.para + 1 < len(ctx.para_starts):
        # A byline-style tag on its own line: "“...”" then "- Name."
        lo = ctx.para_starts[q.para + 1]
        if not ctx.text[q.qclose + 1: lo].strip(" \t\r\n\"”"):
            hi = ctx.text.find("\n", lo)
            line = doc.char_span(lo, len(ctx.text) if hi < 0 else hi, alignment_mode="expand")
            if line is not None and len(line) <= _BYLINE_MAX_TOKENS:
                after = [t for t in line if not t.is_space]
    if len(after) >= 2 and after[0].text in ("―", "—", "–", "-", "--") and after[1].pos_ == "PROPN":
        j = 1
        while j + 1 < len(after) and after[j + 1].pos_ == "PROPN":
            j += 1
        return after[0], after[j], _DASH_NAME_CONF
    return None, None, 0.0


def _inverted_source(rest: list[Token]) -> Token | None:
    """The name right after an inverted tag's cue ("“...,” tweeted Rubio spokesman Alex
    Conant"), where the parser made the cue a modifier and left it no subject: the last
    noun of the noun phrase that follows the cue. None when no noun phrase follows. Only
    for a quote that opens its sentence: mid-sentence, the noun after the cue is its
    object ("X, star of “Scandal,” thanked Obama")."""
    last = None
    for t in rest:
        if t.pos_ in ("PROPN", "NOUN") and not t.is_punct:
            last = t
        elif t.pos_ == "DET" and last is None:
            continue
        else:
            break
    return last


def _subordinate(t: Token) -> bool:
    """Whether ``t`` stands in an adverbial or relative clause of its sentence."""
    return any(a.dep_ in ("advcl", "relcl", "acl") for a in (t, *t.ancestors))


def _same_frame(ctx: Context, q: QSpan, span: Span, cue: Token) -> bool:
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


def _clause_after(ctx: Context, span: Span, qi: int = -1) -> list[Token]:
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


def _clause_before(ctx: Context, span: Span) -> list[Token]:
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
        if tq[t.i] >= 0 and ctx.spans[tq[t.i]].standalone and ctx.spans[tq[t.i]].end - ctx.spans[tq[t.i]].start > _LONG_QUOTE_CHARS:
            break
        if tq[t.i] < 0 and t.text in (".", "!", "?", ";"):
            break
        out.append(t)
        i -= 1
    out.reverse()
    return [t for t in out if not t.is_space]


def is_title_quote(ctx: Context, q: QSpan) -> bool:
    """A quoted name of a show, book or slogan used as a noun ("on CNN's “State of the
    Union”", "the “Bernie or Bust” crowd"): short, title-cased, embedded in running text
    as a noun modifier or prepositional object. It names something; nobody says it here."""
    if q.standalone:
        return False
    words = _WORD.findall(ctx.text[q.start: q.end].rstrip(".,!?"))
    if not words or len(words) > _TITLE_MAX_WORDS or not all(
            w[:1].isupper() for w in words if len(w) > _TITLE_SMALL_WORD):
        return False
    span = ctx.doc.char_span(q.start, q.end, alignment_mode="expand")
    if span is None or not len(span):
        return False
    root = span.root
    return root.dep_ in ("pobj", "compound", "appos", "nmod", "poss") or (
        root.dep_ in ("nsubj", "dobj") and root.head.pos_ in ("NOUN", "PROPN")
    )
