"""Answer types a question names and a table can check: which country, which state or
province, which month, ocean, continent, colour or sport, and a date for "when".

The span model knows entity labels and the asked head noun, not that "Ecuador" is a country
and "President Daniel Noboa" is not, nor that "Chess" is a sport. For these types the reader
takes the best of its first spans that names one (``first_named``), read as the type (a
demonym as its country, "Oregon Gov. Kate Brown" as Oregon, "a gray check mark" as gray; a
sport as written, "International Chess Federation", since a sport's qualifier may be the
answer: "women's basketball"). A country must lie on the continent the question names
("which *West African* country"), and one the question names itself comes last. When no span
names one, the words of the reader's sentences may ("set to expire in *May*": no entity or noun
phrase holds it, ``written_in``); else the span model's choice stands. The reply's confidence
stays the span model's in its own best span, as when the re-ranker reorders: the thresholds for
stating, guessing and abstaining were fitted on it (the shown confidence is read again after,
``reader.confidence``, and knows the span was retyped).

One table (``ASKED_TYPES``), no branches: a new type is a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answer.corpus import Corpus
from assistant.answer.question import DATE_ASKED, unquoted
from assistant.answer.reader.rerank import RERANK_K
from assistant.answer.reader.spans import CATEGORY_WORDS, Span, as_category, as_country, as_province
from assistant.models import Document
from assistant.text.categories import (
    colour_named,
    continent_named,
    month_named,
    names_sport,
    ocean_named,
    sport_named,
)
from assistant.text.countries import country_continents, country_named, province_named
from assistant.text.datetimes import date_named
from assistant.text.folding import fold

#: A word, for reading a sentence's words as a value of a type ("Pacific Ocean", "June 2021").
_WORD = re.compile(r"[^\W_][\w'’-]*")
#: How many of the best spans are looked through for one of the asked type: the re-ranker's
#: (``RERANK_K``), the spans its second look orders.
TYPED_LOOK = RERANK_K


@dataclass(frozen=True)
class AskedType:
    """One checkable answer type: when a question asks for it, how a span is read as one,
    and what a text names of it ("" for nothing)."""

    name: str
    asked: re.Pattern[str]
    read_as: Callable[[Span, Document | None], Span]
    named: Callable[[str], str]
    #: The continents a named value lies on (None: the type has no place on a map).
    continents: Callable[[str], frozenset[str]] | None = None
    #: What a run of a sentence's words names of it, the run being the value and nothing
    #: more (``written_in``); None: ``named``.
    written: Callable[[str], str] | None = None


#: The continent a word before "country" or "nation" places it on ("which *African*
#: country", "which *Southeast Asian* nation", "which *Caribbean* island nation"), as the
#: country data names continents (``countries.country_continents``).
REGION_WORDS = {
    "african": ("Africa",), "sub-saharan": ("Africa",), "asian": ("Asia",), "middle": ("Asia",),
    "mideast": ("Asia",), "gulf": ("Asia",), "arab": ("Asia", "Africa"), "european": ("Europe",),
    "baltic": ("Europe",), "balkan": ("Europe",), "scandinavian": ("Europe",), "nordic": ("Europe",),
    "american": ("Americas",), "caribbean": ("Americas",), "latin": ("Americas",), "pacific": ("Oceania",),
}
#: Other words that may stand between "which" and "country" without changing what is asked.
_PLACING = ("north", "south", "east", "west", "central", "northern", "southern", "eastern", "western",
            "northeast", "northwest", "southeast", "southwest", "northeastern", "northwestern", "southeastern",
            "southwestern", "island", "small", "neighbouring", "neighboring")
_MODIFIER = r"(?:[A-Z][\w'’.-]*|(?i:" + "|".join(sorted({*REGION_WORDS, *_PLACING}, key=len, reverse=True)) + r"))"
#: "which country's lawmakers", "what nation", "which West African country", "which Pacific
#: island nation".
_COUNTRY = re.compile(r"\b(?i:which|what)\s+((?:" + _MODIFIER + r"\s+){0,3})(?i:country|nation)(?:'s|’s)?\b")
#: "which US state", "which state's governor", "in which Canadian province"; "which state
#: fair" asks for a fair: a verb, a preposition or nothing follows the noun.
_PROVINCE = re.compile(
    r"\b(?i:which|what)\s+(?:[A-Z][\w.]*\s+)?(?i:state|province)(?:'s|’s)?(?=\W|$)"
    r"(?!\s+(?!(?:is|was|are|has|had|did|does|do|will|would|can|could|in|on|of|to|for|this|that|now|"
    r"recently|saw|became|won)\b|[a-z]+(?:ed|[^s]s)\b)[a-z])")
#: "which color", "what colour"; not "which color scheme".
_COLOUR = re.compile(r"\b(?:which|what)\s+colou?r\b(?!\s+(?:scheme|palette|code)s?\b)", re.I)
#: "which month", "in what month of this year".
_MONTH = re.compile(r"\b(?:which|what)\s+month\b", re.I)
#: "which ocean", "which continent".
_OCEAN = re.compile(r"\b(?:which|what)\s+ocean\b", re.I)
_CONTINENT = re.compile(r"\b(?:which|what)\s+continent\b", re.I)
#: "which sport", "which women's professional sport"; not "which sports league" (a league).
_SPORT = re.compile(r"\b(?:which|what)\s+(?:[\w'’-]+\s+){0,3}?sport\b(?![\w-])", re.I)
#: "When did ...", "what year", "since when" (``question.DATE_ASKED``) in the question's last
#: sentence ("When the weather warms up it's time for a cookout! How many ...?" asks a count);
#: not "what time" (a clock time) nor "which season" (a season, "fall", is no date).
_DATE = re.compile(r"^(?!.*\b(?:what|which) (?:time|season)\b).*?(?:" + DATE_ASKED.pattern + r")(?=[^.!?]*\??\s*$)",
                   re.I)


def _within(named: Callable[[str], str]) -> Callable[[Span, Document | None], Span]:
    """A span read as the words inside it that ``named`` accepts (``spans.as_category``)."""
    return lambda span, doc: as_category(span, doc, named)


ASKED_TYPES: tuple[AskedType, ...] = (
    AskedType("country", _COUNTRY, as_country, country_named, country_continents),
    AskedType("province", _PROVINCE, as_province, province_named),
    AskedType("month", _MONTH, _within(month_named), month_named),
    AskedType("ocean", _OCEAN, _within(ocean_named), ocean_named),
    AskedType("continent", _CONTINENT, _within(continent_named), continent_named),
    AskedType("colour", _COLOUR, _within(colour_named), colour_named),
    # A date is kept as the span wrote it ("October 28", "spring 2021", "the past year").
    AskedType("date", _DATE, lambda sp, doc: sp, date_named),
    # A sport is kept as written, qualifiers and all ("women's basketball", "college football"):
    # the answer may be the qualified sport.
    AskedType("sport", _SPORT, lambda sp, doc: sp, names_sport, written=sport_named),
)


def asked_type(question: str) -> AskedType | None:
    """The checkable type ``question`` asks for, or None; a quotation in it asks nothing
    ("Who said “... When will it end?”?")."""
    plain = unquoted(question)
    return next((t for t in ASKED_TYPES if t.asked.search(plain)), None)


def asked_continents(question: str, typed: AskedType) -> frozenset[str]:
    """The continents ``question`` places its ``typed`` answer on ("which West African
    country" -> Africa); empty when it names none or the type has no place on a map."""
    m = typed.asked.search(question)
    if m is None or typed.continents is None or not m.groups():
        return frozenset()
    words = [w.lower() for w in (m.group(1) or "").split()]
    return frozenset(c for w in words for c in REGION_WORDS.get(w, ()))


def first_named(scored: Sequence[tuple[float, Span]], corpus: Corpus, typed: AskedType,
                on: frozenset[str] = frozenset(), question: str = "") -> Span | None:
    """The best of ``scored`` that, read as ``typed``, names one; None when none does.
    ``on``: continents the question places it on; one named elsewhere is not one asked for
    (a country on two continents is on both: ``countries.TRANSCONTINENTAL``). One the
    ``question`` names itself ("China has reached a deal to build a spy base in which
    country?") comes only when no other does."""
    placed = typed.continents if on else None
    named = []
    for _, sp in scored:
        read = typed.read_as(sp, corpus.doc(sp.doc_id))
        name = typed.named(read.text)
        if name and (placed is None or placed(name) & on):
            named.append((read, name))
    return next((r for r, n in named if not _in_question(n, question)), named[0][0] if named else None)


def _in_question(name: str, question: str) -> bool:
    """Whether ``question`` writes ``name`` (folded, as whole words)."""
    return bool(question) and f" {fold(name)} " in f" {' '.join(_WORD.findall(fold(question)))} "


def written_in(sentences: Sequence[tuple[Document, int, int]], typed: AskedType,
               on: frozenset[str] = frozenset()) -> Span | None:
    """The first words of ``sentences`` (document, start, end; best first) that name one
    of ``typed``, longest first at each word ("expire in *May*", "wore *purple*"): a word no
    entity or noun phrase holds is no span candidate. None when no sentence names one."""
    for j, (doc, start, end) in enumerate(sentences):
        words = list(_WORD.finditer(doc.text, start, end))
        for i in range(len(words)):
            for n in range(min(CATEGORY_WORDS, len(words) - i), 0, -1):
                s, e = words[i].start(), words[i + n - 1].end()
                name = (typed.written or typed.named)(doc.text[s:e])
                if name and (not on or typed.continents is None or typed.continents(name) & on):
                    return Span(doc.doc_id, s, e, doc.text[s:e], j, {"PHRASE"})
    return None


def as_asked(span: Span, scored: Sequence[tuple[float, Span]], corpus: Corpus, typed: AskedType,
             question: str = "", sentences: Sequence[tuple[Document, int, int]] = ()) -> Span:
    """The answer to a question that asks for ``typed``: the best of the first
    ``TYPED_LOOK`` spans that names one (on the continent ``question`` names, if it names
    one), else the first such words of ``sentences`` (the sentences the spans come from,
    best first), else ``span`` read as one where it can be."""
    on = asked_continents(question, typed) if question else frozenset()
    found = first_named(scored[:TYPED_LOOK], corpus, typed, on, question) or written_in(sentences, typed, on)
    if found is not None:
        return found
    read = typed.read_as(span, corpus.doc(span.doc_id))
    name = typed.named(read.text)
    # Read as a country on another continent than the one asked, the span would name a
    # wrong answer as if it were of the asked kind; it stands as the span model chose it.
    return span if on and name and typed.continents is not None and not typed.continents(name) & on else read
