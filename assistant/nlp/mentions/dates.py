"""Date mentions: finding date expressions in a parsed text, and their frames.

A rule grammar in the style of TIMEX2/TIMEX3 taggers (HeidelTime, SUTime;
Strötgen & Gertz 2010, Chang & Manning 2012) finds explicit dates, months,
years, seasons, parts of periods and relative expressions; matches are then
filtered by their context (names, counts, labels). Values come from
``assistant.text.datetimes.normalize_date``, resolved against the document date
in the direction the clause's tense gives. Durations ("two years in prison")
are not dates; they are figures.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.models import Mention
from assistant.nlp.mentions.context import span_root
from assistant.nlp.mentions.frames import clause_tense, frame_words, governor, phrase, verb_roles
from assistant.nlp.mentions.units import CURRENCY_SIGNS, LABEL_NOUNS, MEASURES, PERCENT_WORDS
from assistant.text.dates import MONTHS, QUARTER_WORDS, SEASONS, WEEKDAYS
from assistant.text.datetimes import COUNT_WORDS, normalize_date
from assistant.text.folding import fold
from assistant.text.numbers import SCALE_WORDS

if TYPE_CHECKING:
    from spacy.tokens import Token

    from assistant.nlp.mentions.context import Ctx

#: Entities whose text never holds a date or a figure of the story ("USA Today", "Boeing 737").
_NAME_KINDS = frozenset({"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "FAC", "LAW", "GPE", "LOC", "NORP"})
#: Characters looked at before a match for its context (temporal word, qualifier, article).
#: Origin of the value not recorded.
_LOOKBACK_CHARS = 30
#: Characters after a paragraph-initial date searched for the dateline's source and dash.
#: Origin of the value not recorded.
_DATELINE_TAIL_CHARS = 60
#: Nouns passed on the way from a date to its verb that join its frame. Origin not recorded.
_CHAIN_NOUNS = 2

# The grammar (case-sensitive where capitals matter: "May" the month, not "may").
_FMON = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
         r"|Jan\.|Jan|Feb\.|Feb|Mar\.|Apr\.|Apr|Jun\.|Jul\.|Aug\.|Aug|Sept\.|Sept|Sep\.|Oct\.|Oct|Nov\.|Nov|Dec\.|Dec)(?![A-Za-z])")
_FDAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d:])"
_FYEAR = r"(?<![\d.,$€£])(?:1[6-9]\d\d|20\d\d)(?![\d%]|[.,]\d|\s*(?:%|percent|per cent))"
#: Years far from now ("in 1538", "until 2245") count only after a temporal preposition.
_FFARYEAR = r"(?<![\d.,$€£])(?:1[0-5]\d\d|2[1-9]\d\d)(?![\d%]|[.,]\d)"
_FAR_YEAR_CONTEXT = re.compile(r"(?i)\b(?:in|since|until|till|by|before|after|from|year|of)\s+$")
_FWD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?![A-Za-z])"
_FSEASON = r"(?i:spring|summer|autumn|fall|winter)"
_FRELYEAR = r"(?i:this|last|next) year"
_FCNT = r"(?i:\d+|a few|a couple of|several|few|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"

_DATE_CORE = "|".join([
    # Monday, Oct. 13, 2023 / October 28 / July 20 next year
    rf"(?:{_FWD},?\s)?{_FMON}\s{_FDAY}(?:,?\s(?:of\s)?{_FYEAR}|,?\s(?:of\s)?{_FRELYEAR})?",
    rf"(?:{_FWD},?\s)?(?:the\s)?{_FDAY}\s(?:of\s)?{_FMON}(?:,?\s{_FYEAR}|\s{_FRELYEAR})?",
    rf"{_FMON},?\s(?:of\s)?(?:{_FYEAR}|{_FRELYEAR})",
    r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])",
    r"(?<![\d/.])\d{1,2}[/.]\d{1,2}[/.]\d{4}(?![\d/])",
    rf"(?i:the\s)?{_FSEASON},?\s(?:of\s)?{_FYEAR}",
    rf"(?i:this|last|next|coming|this past)\s{_FSEASON}",
    rf"{_FYEAR}\s?[-–/]\s?(?:\d{{4}}|\d{{2}})(?![\d%])",
    r"(?i:the\s)?(?:(?i:early|mid|late)[- ]?)?(?:1[6-9]|20)\d0'?s\b",
    r"(?i:the\s)?(?:(?i:early|mid|late)[- ]?)?'\d0s\b",
    rf"(?:Q[1-4]\s{_FYEAR}|(?i:the\s)?(?i:first|second|third|fourth|final)\s(?i:quarter)(?:\s(?i:of)\s(?:{_FYEAR}|{_FRELYEAR}))?)",
    r"(?i:(?:this|last|next|coming|previous)\s(?:week|weekend|month|year|decade)|this\spast\s(?:week|weekend)|the\sweekend)\b",
    r"(?i:the\s)?(?i:past|last)\s(?:(?i:\d+|few|several|couple\sof|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s)?(?i:days|weeks|months|years|decades|day|week|month|year|decade)\b",
    r"\b(?i:yesterday|today|tonight|tomorrow)\b",
    rf"\b{_FCNT}\s(?i:days?|weeks?|months?|years?|decades?)\s(?i:ago)\b",
    rf"(?:(?i:last|next|this|coming)\s)?{_FWD}(?:\s(?i:morning|afternoon|evening|night))?",
    rf"(?i:last|next|this|coming)\s{_FMON}",
    _FMON,
    _FYEAR,
    _FFARYEAR,
])
_DATE_PART = r"(?i:the\s(?:start|beginning|end|middle|first\shalf|second\shalf)\sof\s(?:the\s)?|(?:early|mid|late|earlier|later)[- ](?:in\s)?)"
_DATE_RE = re.compile(rf"(?:{_DATE_PART})?(?:{_DATE_CORE})")
_PART_PREFIX = re.compile(rf"^{_DATE_PART}")
_FYEARSPAN = rf"{_FYEAR}\s?[-–/]\s?(?:\d{{4}}|\d{{2}})"
_DATE_QUALIFIER = re.compile(
    r"(?i)\b(no later than|not later than|no earlier than|not earlier than|as early as|as late as|as of|"
    r"prior to|since|by|until|till|before|after|in|on|from|during|through|throughout|between|starting|"
    r"beginning|around|at|within|over|of)\s+$"
)
_MONTH_CONTEXT = re.compile(r"(?i)\b(?:in|since|by|until|till|before|after|on|from|during|through|of|"
                            r"early|late|mid|last|next|this|and|or|between|to|throughout|until|"
                            r"starting|beginning|end|start|month|,)\s*$")
_TEMPORAL_BEFORE = re.compile(r"(?i)\b(?:in|since|by|until|till|before|after|on|from|during|through|of|"
                              r"early|late|mid|last|next|this|between)\s+$")


#: First words of every alternative of the date grammar (``_DATE_RE``), lower case, no final dot.
_DATE_START_WORDS = frozenset(
    [*MONTHS, *WEEKDAYS, *SEASONS, *QUARTER_WORDS, *COUNT_WORDS, "the", "early", "earlier", "mid",
     "middle", "late", "later", "this", "last", "next", "coming", "previous", "past", "yesterday",
     "today", "tonight", "tomorrow", "q1", "q2", "q3", "q4", "few", "couple"])
#: Places inside a token where a date may begin: after punctuation, or at a lower/upper case seam.
_INNER_START = re.compile(r"(?<=[^\w'‘’])(?=[\w'‘’])|(?<=[a-z])(?=[A-Z])")


def _may_start_date(low: str) -> bool:
    """Can a token with this lower-case text begin a date expression?"""
    return bool(low) and (low[0].isdigit() or low[0] in "'‘’" or low.rstrip(".") in _DATE_START_WORDS
                          or low.startswith(("mid", "early", "late")))


#: Tokens this short are not searched inside for a date start. Origin of the value not recorded.
_SHORT_TOKEN_CHARS = 3


def _date_starts(ctx: Ctx) -> list[int]:
    """Character offsets where a date expression can begin.

    The date grammar is tried only there (a few percent of tokens) instead of at
    every character of the text.
    """
    starts: list[int] = []
    for t in ctx.doc:
        low = t.lower_
        if _may_start_date(low):
            starts.append(t.idx)
        if len(low) > _SHORT_TOKEN_CHARS and not t.is_digit and not (t.is_alpha and (t.is_lower or t.is_title or t.is_upper)):
            # Inside a token: "post-2020", "x=2016-02-15", a dateline glued by scraping ("WordsFeb 20").
            starts.extend(t.idx + m.start() for m in _INNER_START.finditer(t.text)
                          if _may_start_date(t.text[m.start():].lower().split("-")[0]))
    return starts


def _direction(ctx: Ctx, toks: list[int], gov: Token | None, span_text: str) -> bool | None:
    """Which side of the article date a date written without its year lies on, if known.

    A weekday follows the clause's tense, present included (TimeML news practice:
    "meets on Monday" is the coming Monday). A month or day takes the tense of its verb
    only when it is that verb's time adjunct ("was held in May"); attached to a noun
    ("the June 7 primary") or as an object ("set March 25 as the date") it says nothing
    about the verb's time, and the closest year is used.
    """
    tense = clause_tense(gov)
    r = span_root(ctx.doc, toks)
    if (r.dep_ == "pobj" and r.head.lower_ == "for" and tense != "past") or (
            r.head.lower_ == "for" and r.head.head.tag_ == "VBN" and r.head.head.dep_ in ("acl", "amod")):
        return True  # "a rally slated for Wednesday", "talks planned for March 3"
    if re.search(_FWD, span_text):
        return True if tense in ("future", "present") else (False if tense == "past" else None)
    if gov is None or tense in ("present", ""):
        return None
    adjunct = (r.dep_ in ("npadvmod", "advmod", "tmod", "obl") and r.head.i == gov.i) or (
        r.dep_ == "pobj" and r.head.dep_ == "prep" and r.head.head.i == gov.i)
    if not adjunct:
        return None
    return tense == "future"


def _keep_date(ctx: Ctx, s: int, e: int) -> tuple[int, bool]:
    """Filter a grammar match by its context; returns the (possibly widened) start and a verdict."""
    text = ctx.text
    span_text = text[s:e]
    toks = ctx.tokens_in(s, e)
    if not toks:
        return s, False
    # Inside a name: "USA Today", "Sunday Times", "April Ryan".
    labels = {ctx.ent_of[i] for i in toks}
    if labels and labels <= _NAME_KINDS and "" not in labels:
        return s, False
    low = span_text.lower()
    before = text[max(0, s - _LOOKBACK_CHARS): s]
    core = _PART_PREFIX.sub("", span_text)
    if re.fullmatch(_FMON, core) and core == span_text:
        # A bare month name only after a temporal word or in a list ("in May", "May and June"),
        # and not before a capitalised word ("June Carter").
        if not _MONTH_CONTEXT.search(before):
            return s, False
        if re.match(r"\s+[A-Z][a-z]", text[e:e + 3]) and not re.match(r"\s+(?:and|or)\b", text[e:]):
            return s, False
        if ctx.doc[toks[0]].pos_ in ("VERB", "AUX"):
            return s, False  # "may", "march"
        if core.lower() == "march" and re.match(r"\s+(?:on|for|against|to)\s", text[e:e + 10]) and \
                not _TEMPORAL_BEFORE.search(before):
            return s, False  # "a March on Washington", "March for Our Lives"
    # "the past year" / "the last two weeks" are periods ending at the article date (kept, with
    # the article); after "the", "next month" / "coming year" are durations; "last year" is a date.
    the_before = re.search(r"(?i)\bthe\s+$", before)
    if re.match(r"(?i)(?:past|last)\s", low):
        if the_before:
            s -= len(the_before.group(0))
        elif low.startswith("past") or re.match(rf"(?i)last\s{_FCNT}\s", low):
            return s, False  # "past years", "last two years" without an article
    elif re.match(r"(?i)(?:this|next|coming|previous)\s", low) and the_before:
        return s, False
    if re.fullmatch(_FFARYEAR, core) and not _FAR_YEAR_CONTEXT.search(before):
        return s, False
    if (re.fullmatch(_FYEAR, core) or re.fullmatch(_FFARYEAR, core) or re.fullmatch(_FYEARSPAN, core)) \
            and not _year_ok(ctx, toks):
        return s, False
    return s, True


def extract_dates(ctx: Ctx) -> list[Mention]:
    """DATE mentions in text order (no frames yet); marks their tokens in ``ctx.date_tok``."""
    text, doc = ctx.text, ctx.doc
    out: list[Mention] = []
    covered = 0
    for pos in _date_starts(ctx):
        if pos < covered:
            continue  # inside the previous match: matches do not overlap (as with finditer)
        match = _DATE_RE.match(text, pos)
        if match is None:
            continue
        covered = match.end()
        s, ok = _keep_date(ctx, *match.span())
        if not ok:
            continue
        e = match.end()
        span_text = text[s:e]
        toks = ctx.tokens_in(s, e)
        gov, _chain = governor(span_root(doc, toks))
        value, extra = normalize_date(span_text, ctx.doc_date, future=_direction(ctx, toks, gov, span_text))
        if not value and not extra:
            continue
        before = text[max(0, s - _LOOKBACK_CHARS): s]
        qual = ""
        qm = _DATE_QUALIFIER.search(before)
        if qm:
            q = qm.group(1).lower()
            if q != "of" and (q != "over" or extra.get("period")):
                qual = q
                extra["qualifier_start"] = max(0, s - _LOOKBACK_CHARS) + qm.start(1)
        if _is_dateline(text, s, e):
            extra["dateline"] = True
        m = Mention(kind="DATE", start=s, end=e, text=span_text, value=value, qualifier=qual, extra=extra)
        out.append(m)
        for i in toks:
            ctx.date_tok[i] = m
    return out


def _year_ok(ctx: Ctx, toks: list[int]) -> bool:
    """A bare 4-digit number is a year unless it counts something ("2000 soldiers", "$2024")."""
    t = ctx.doc[toks[0]]
    nxt = ctx.doc[t.i + 1] if t.i + 1 < ctx.n else None
    prev = ctx.doc[t.i - 1] if t.i > 0 else None
    determined = prev is not None and (prev.tag_ in ("DT", "PRP$", "POS") or prev.lower_ in ("'s", "’s"))
    if t.dep_ == "nummod" and t.head.i > t.i and t.head.tag_ in ("NNS", "NNPS") and not determined:
        return False  # "2000 soldiers" counts; "the 2019 reforms", "its 2023 targets" are dated
    if nxt is not None and (nxt.lower_ in SCALE_WORDS or fold(nxt.lower_) in MEASURES or nxt.lower_ in PERCENT_WORDS):
        return False
    if prev is not None and (prev.lower_ in CURRENCY_SIGNS or prev.lower_ in ("no.", "#", "number")):
        return False
    if prev is not None and prev.lower_ in LABEL_NOUNS and prev.lower_ not in ("season", "class", "week", "day"):
        return False
    labels = {ctx.ent_of[i] for i in toks}
    return not (labels & {"ORG", "PRODUCT", "FAC", "WORK_OF_ART", "PERSON", "MONEY", "QUANTITY", "PERCENT"}) or "" in labels


def _is_dateline(text: str, s: int, e: int) -> bool:
    """Does the date open a paragraph as a dateline ("October 28, Outlet." / "MINSK, May 3 -")?"""
    line_start = text.rfind("\n", 0, s) + 1
    head = text[line_start:s]
    tail = text[e: e + _DATELINE_TAIL_CHARS]
    if head.strip() == "":
        return bool(re.match(r",?\s*(?:\d{4},?\s*)?(?:[A-Z][\w.'’&-]*(?:\s+[A-Z][\w.'’&-]*){0,4}\s*)?[.:—–-]\s", tail))
    return bool(re.fullmatch(r"[A-Z][A-Z .'-]{1,40},\s*", head)) and bool(re.match(r"\s*(?:,\s*\d{4})?\s*[—–:-]", tail))


def date_frames(ctx: Ctx, dates: list[Mention]) -> None:
    """Set each date's frame: its verb's roles (a dateline: its sentence's main verb's)."""
    doc = ctx.doc
    for m in dates:
        toks = ctx.tokens_in(m.start, m.end)
        own = set(toks)
        root = span_root(doc, toks)
        if m.extra.get("dateline"):
            k = ctx.sent_of[root.i]
            roles: list[tuple[str, list[Token]]] = []
            # The dateline's sentence, or the next one when the dateline is a sentence of its own.
            for j in (k, k + 1):
                if j >= len(ctx.sents):
                    break
                sroot = next((doc[i] for i in range(*ctx.sents[j]) if doc[i].dep_ == "ROOT" and doc[i].i not in own), None)
                if sroot is not None and sroot.pos_ in ("VERB", "AUX"):
                    roles = verb_roles(sroot, own)
                    break
            m.frame = frame_words(ctx, roles, own)
            continue
        gov, chain = governor(root)
        roles = []
        if root.dep_ in ("compound", "nummod", "amod", "nmod", "poss") and root.head.pos_ in ("NOUN", "PROPN"):
            roles.append(("head", phrase(root.head, own, 0)))
        roles.extend(("chain", phrase(c, own, 0)) for c in chain[:_CHAIN_NOUNS])
        if gov is not None:
            roles.extend(verb_roles(gov, own))
        m.frame = frame_words(ctx, roles, own)
