"""Span candidates of the reader: the short answers a chosen sentence can give.

Every candidate is an exact span of a document's cleaned text. Sources, merged when they
give the same span:

- the ingest-time mentions inside the sentence (named entities with their labels, dates,
  figures with their units);
- the speakers of the quote-index records the sentence belongs to, as written nearest the
  quote (a pronoun or "the minister" is already resolved at ingest);
- the noun phrases found at ingest ("frozen embryos", "20,000 elephants"), without a
  leading determiner or possessive pronoun and with it;
- for documents annotated before noun phrases were kept: content-word runs, the sentence
  cut at function words and punctuation ("Krispy Kreme doughnuts"), plus two runs joined
  by "of"/"and" or led by "the" ("Bank of England", "The Pantheon"). On the benchmark
  training sets this phrase grammar covers the gold answer in 96% (realtimeqa) and 99.7%
  (polnear) of the sentences that hold it, against 71% and 93% for the mentions alone;
- the rule pipeline's typed answer (its vote), wherever it stands.

Pure functions of the document and the question's words: no model, no index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.models import Document, Mention, QuoteRecord
from assistant.text.countries import (
    country_named,
    country_of_capital,
    country_of_demonym,
    province_named,
    region_named,
)
from assistant.text.folding import fold_answer
from assistant.text.lexicon import STOPWORDS
from assistant.text.names import strip_possessive

#: Longest candidate, in words: a short answer is at most ten words (the issue's and the
#: evaluation's definition of "short").
MAX_SPAN_WORDS = 10
#: Function words that may join two content runs into one name ("Bank of England",
#: "Georgia and North Carolina") or lead one ("The Pantheon").
JOINERS = frozenset({"of", "and", "&", "de", "du", "von", "van", "for"})
LEADERS = frozenset({"the", "a", "an"})
#: Pronouns and similar words that never stand for an answer on their own.
_EMPTY = frozenset({"he", "she", "it", "they", "we", "i", "you", "one", "someone", "people", "who", "this",
                    "that", "these", "those", "there", "here"})

_WORD = re.compile(r"[$£€]?\d[\d,.]*\d%?|[$£€]?\d%?|[^\W\d_][\w'’.-]*[^\W_]|[^\W\d_]", re.UNICODE)
#: Punctuation between two words that ends a run.
_BREAK = re.compile(r"[,;:()\[\]\"“”‘’!?—–]|\.\s|\s-\s")


@dataclass
class Span:
    """One candidate short answer: ``doc.text[start:end]`` (``start`` -1: from metadata)."""

    doc_id: str
    start: int
    end: int
    text: str
    #: Index, in the reader's ranked sentences, of the sentence it was found in.
    sent: int
    #: What proposed it: a mention's label ("PERSON", "DATE", "FIGURE", ...), "SPEAKER",
    #: "PHRASE" (a content run), "RULE" (the rule pipeline's answer).
    sources: set[str] = field(default_factory=set)
    mention: Mention | None = None
    quote: QuoteRecord | None = None

    @property
    def key(self) -> str:
        """The folded value: spans that say the same thing share it (agreement)."""
        return fold_answer(self.text)

    @property
    def words(self) -> int:
        return len(self.text.split())


def _word_spans(text: str, base: int) -> list[list[tuple[int, int, str]]]:
    """Runs of content words (offsets in the document, lower-cased word), cut at
    function words and punctuation; the function words are kept as one-word runs marked
    by their word so that joins can see them."""
    runs: list[list[tuple[int, int, str]]] = []
    cur: list[tuple[int, int, str]] = []
    prev_end = 0
    for m in _WORD.finditer(text):
        w = m.group(0).lower().rstrip(".")
        gap = text[prev_end:m.start()]
        if cur and _BREAK.search(gap):
            runs.append(cur)
            cur = []
        elif not cur and runs and _BREAK.search(gap):
            runs.append([])  # a break after a function word: no join across it
        prev_end = m.end()
        if w in STOPWORDS or w in _EMPTY:
            if cur:
                runs.append(cur)
                cur = []
            runs.append([(base + m.start(), base + m.end(), "\0" + w)])
            continue
        cur.append((base + m.start(), base + m.end(), w))
    if cur:
        runs.append(cur)
    return runs


def phrase_spans(doc: Document, start: int, end: int) -> list[tuple[int, int]]:
    """Content runs of ``doc.text[start:end]`` and their joins (see the module docstring)."""
    runs = _word_spans(doc.text[start:end], start)
    out: list[tuple[int, int]] = []
    content = [i for i, r in enumerate(runs) if r and not r[0][2].startswith("\0")]
    for i in content:
        r = runs[i]
        out.append((r[0][0], r[-1][1]))
        # "The Pantheon": a leading article kept (gold answers often carry it).
        if i > 0 and runs[i - 1] and runs[i - 1][0][2][1:] in LEADERS:
            out.append((runs[i - 1][0][0], r[-1][1]))
        # "Bank of England", "Georgia and North Carolina": two runs joined by one word.
        if i + 2 < len(runs) and runs[i + 1] and runs[i + 1][0][2][1:] in JOINERS and runs[i + 2] \
                and not runs[i + 2][0][2].startswith("\0"):
            out.append((r[0][0], runs[i + 2][-1][1]))
    return out


#: Words that lead a noun phrase without being part of what it names.
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "his", "her", "its", "their", "our",
                          "my", "your", "some", "any", "such"})


#: A hyphenated word's other parts beside a span's edge ("e-" before "scooters", "-18b"
#: after "K2"): spaCy's tokenizer splits "e-scooters" and "K2-18b" at the hyphen, and a
#: noun phrase can start or end inside the word.
_PREFIX = re.compile(r"(?:[^\W_]+-)+$")
_SUFFIX = re.compile(r"(?:-[^\W_]+)+")


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` widened to whole hyphenated words ("e-scooters", "K2-18b")."""
    if start > 0 and text[start - 1] == "-" and (m := _PREFIX.search(text, max(0, start - 40), start)):
        start = m.start()
    if (m := _SUFFIX.match(text, end)) is not None:
        end = m.end()
    return start, end


def noun_phrase_spans(doc: Document, start: int, end: int) -> list[tuple[int, int]] | None:
    """The noun phrases of ``doc.text[start:end]`` with and without a leading determiner;
    None when the document has no noun phrases stored (annotated before version 3)."""
    phrases = doc.phrases
    if phrases is None:
        return None
    out: list[tuple[int, int]] = []
    text = doc.text
    for s, e, _hs, _he in phrases:
        if s < start or e > end:
            continue
        s, e = whole_words(text, s, e)
        out.append((s, e))
        m = re.match(r"(\w+)\s+", text[s:e])
        if m and m.group(1).lower() in _DETERMINERS and s + m.end() < e:
            out.append((s + m.end(), e))
    return out


def empty(text: str) -> bool:
    """A span that cannot answer anything: only function words or pronouns."""
    words = [w.lower() for w in re.findall(r"\w+", text)]
    return not words or all(w in STOPWORDS or w in _EMPTY for w in words)


#: Words a figure's counted noun may stand after ("17 *American* sailors"): one modifier.
UNIT_GAP_WORDS = 1
_RATE = re.compile(r"\s+(?:a|an|per|each)\s+[^\W\d_][\w'’-]*")


def unit_end(text: str, end: int, unit: str) -> int:
    """Where a figure ending at ``end`` ends with what it counts and its rate: "four"
    -> "four documents", "14" -> "14 years", "45" -> "45-second", "$600,000" -> "$600,000 a
    day". ``unit`` is the mention's unit lemma ("document"); a currency or a non-word unit
    ("USD", "percent" already written) only takes the rate. A reader wants the unit with the
    number, and a gold answer written with its unit ("3,200 times") needs it."""
    if unit.isalpha() and unit.islower():
        m = re.match(rf"(?:-|\s+)(?:[^\W\d_][\w'’-]*\s+){{0,{UNIT_GAP_WORDS}}}?({re.escape(unit)}\w*)\b", text[end:],
                     re.I)
        if m:
            end += m.end()
    rate = _RATE.match(text, end)
    return rate.end() if rate else end


#: What joins the items of a coordination: "A and B", "A & B", "A, B and C", "A, B, and C".
_JOIN = re.compile(r"\s*,\s+(?:and\s+|&\s+)?|\s+(?:and|&)\s+")
_OPENING_QUOTES = "“‘\"'"
_CLOSING_QUOTES = "”’\"'"


def _adjoining(text: str, spans: list[Span], at: int) -> Span | None:
    """The shortest of ``spans`` that starts at ``at`` (after an opening quote mark, if
    one stands there): the item a coordination goes on with."""
    starts = {at, at + 1} if at < len(text) and text[at] in _OPENING_QUOTES else {at}
    fits = [sp for sp in spans if sp.start in starts and sp.end > sp.start]
    return min(fits, key=lambda sp: (sp.end - sp.start, sp.start), default=None)


def _ending(text: str, spans: list[Span], at: int) -> Span | None:
    """The shortest of ``spans`` that ends at ``at`` (before a closing quote mark)."""
    ends = {at, at - 1} if at > 0 and text[at - 1] in _CLOSING_QUOTES else {at}
    fits = [sp for sp in spans if sp.end in ends and sp.end > sp.start]
    return min(fits, key=lambda sp: (sp.end - sp.start, -sp.start), default=None)


def coordinated(span: Span, candidates: list[Span], doc: Document | None, most: int) -> Span:
    """``span`` with the candidates written beside it in one coordination ("Honda and
    Nissan", "Shein, Temu and Wish", "“Peach” and “Blossom”"), at most ``most`` items, as
    one span from the first item to the last; ``span`` itself when it stands alone. A run
    of items joined only by commas is no coordination (an apposition: "Shein, the
    retailer"): the last join must be "and" or "&". Items are the reader's candidates of
    the same sentence, so each one is a name or a noun phrase of its own."""
    if doc is None or span.start < 0 or most < 2:
        return span
    text = doc.text
    same = [sp for sp in candidates if sp.doc_id == span.doc_id and sp.sent == span.sent and sp.start >= 0]
    items, conj = [span], False
    while len(items) < most:  # forwards: "A and B", "A, B and C"
        end = items[-1].end + (1 if items[-1].end < len(text) and text[items[-1].end] in _CLOSING_QUOTES else 0)
        m = _JOIN.match(text, end)
        nxt = _adjoining(text, same, m.end()) if m else None
        if m is None or nxt is None:
            break
        items.append(nxt)
        if "," not in m.group(0) or m.group(0).strip(" ,"):
            conj = True
            break
    if not conj:
        items = [span]
        start = span.start - (1 if span.start > 0 and text[span.start - 1] in _OPENING_QUOTES else 0)
        m = re.search(r"\s+(?:and|&)\s+$", text[max(0, start - 8):start])
        prev = _ending(text, same, start - len(m.group(0))) if m else None
        if prev is None:
            return span
        items, conj = [prev, span], True
    first, last = items[0], items[-1]
    s, e = first.start, last.end
    if s > 0 and text[s - 1] in _OPENING_QUOTES and e < len(text) and text[e] in _CLOSING_QUOTES:
        s, e = s - 1, e + 1
    return Span(span.doc_id, s, e, text[s:e], span.sent, set(span.sources) - {"RULE"} | {"LIST"})


#: A span derived from a demonym: its text is the country, its offsets the demonym's.
DEMONYM = "DEMONYM"
#: A span derived from a capital: its text is the country, its offsets the capital's.
CAPITAL = "CAPITAL"
_LEADING = re.compile(r"(?:the|a|an)\s+", re.I)


def as_country(span: Span, doc: Document | None) -> Span:
    """For a question that asks which country: the country a span names by its people
    ("Iranian lawmakers" -> Iran; "South Korean President Yoon" -> South Korea) or by its
    capital ("Hanoi" -> Vietnam), as a span whose text is the country and whose offsets are
    the word's it was read from, so the sentence cited shows it; ``span`` itself when it
    names a country already or neither."""
    if doc is None or span.start < 0 or country_named(span.text) or province_named(span.text):
        # A province is no people's: "British Columbia" is Canada's, not the British.
        return span
    text = doc.text
    at = span.start
    lead = _LEADING.match(text, at, span.end)
    if lead:
        at = lead.end()
    words = list(re.finditer(r"[^\W\d_][\w'’.-]*", text[at:span.end]))
    owner = strip_possessive(words[0].group(0)) if words else ""
    if owner and owner != words[0].group(0) and country_named(owner):
        # "Mexico’s Pacific coast": the country whose coast it is, as written.
        s = at + words[0].start()
        return Span(span.doc_id, s, s + len(owner), owner, span.sent, {"GPE"})
    for n in (2, 1):
        if len(words) < n:
            continue
        s, e = at + words[0].start(), at + words[n - 1].end()
        country = country_of_demonym(text[s:e])
        if country:
            return Span(span.doc_id, s, e, country, span.sent, {"GPE", DEMONYM})
    country = country_of_capital(text[at:span.end])
    if country:
        return Span(span.doc_id, at, span.end, country, span.sent, {"GPE", CAPITAL})
    return span


#: A region written after a place: ", " and one to four words ("Mobile, Alabama",
#: "Vancouver, British Columbia", "Washington, D.C.").
_REGION = re.compile(r",\s+([^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){0,3})")
#: What follows a list's item, not a place's region: "Rome, London, Paris and Dublin",
#: "Texas, Florida and Ohio"; or a name's: "Smith, Texas Republican", "Ohio's".
_GOES_ON = re.compile(r"\s*,\s*(?:and|or|&|[A-Z])|\s+(?:and|or|&)\b|['’]")
_NAME_GOES_ON = re.compile(r"\s+[A-Z]")


def with_region(span: Span, doc: Document | None) -> Span:
    """A place written with its region after it ("Montgomery, Alabama", "Yakutsk,
    Russia") as one span, the way news names the place; ``span`` itself when no country,
    state or province follows it, or when what follows goes on as a list ("Rome, London,
    Paris")."""
    if doc is None or span.start < 0 or span.end != span.start + len(span.text) or country_named(span.text):
        return span
    text = doc.text
    m = _REGION.match(text, span.end)
    if m is None:
        return span
    words = list(re.finditer(r"\S+", m.group(1)))
    for n in range(len(words), 0, -1):
        end = m.start(1) + words[n - 1].end()
        if text[end - 1] == "." and "." not in words[n - 1].group(0)[:-1]:
            end -= 1  # the sentence's full stop, not an abbreviation's ("D.C.")
        if not region_named(text[m.start(1):end]):
            continue
        # After an abbreviation's stop a capital starts the next sentence, not a name.
        if _GOES_ON.match(text, end) or (text[end - 1] != "." and _NAME_GOES_ON.match(text, end)):
            return span
        return Span(span.doc_id, span.start, end, text[span.start:end], span.sent, set(span.sources) - {"RULE"})
    return span


#: A name's own "'s" ("McDonald’s, which ...", "Wendy’s is ..."): the ending stands before
#: punctuation or a verb, where a possessive stands before what is possessed ("McDonald’s
#: burgers"). The verbs are the auxiliaries and the reporting verbs news writes after a company.
_NAME_S = re.compile(
    r"['’]s(?=\s*(?:[,.;:!?)”\"]|$)|\s+(?:is|was|are|were|has|had|have|will|would|can|could|may|might|said|says|"
    r"announced|announces|plans|confirmed|told|added|also)\b)")


def with_name_s(span: Span, doc: Document | None) -> Span:
    """An organisation's name that ends in "'s" (McDonald’s, Wendy’s, Sainsbury’s) whole:
    the tagger leaves the ending out of the entity as if it were a possessive. ``span``
    itself unless it is an organisation's mention and the ending is not a possessive."""
    if doc is None or span.start < 0 or "ORG" not in span.sources or span.end != span.start + len(span.text):
        return span
    m = _NAME_S.match(doc.text, span.end)
    if m is None:
        return span
    end = m.end()
    return Span(span.doc_id, span.start, end, doc.text[span.start:end], span.sent, set(span.sources) - {"RULE"})


#: Quotation marks whose pair a span keeps together (not ‘’: ’ is also an apostrophe).
_QUOTE_PAIRS = (("“", "”"), ('"', '"'))


def with_quotes_closed(span: Span, doc: Document | None) -> Span:
    """A span that opens a quotation it does not close ("“Goblin mode", "HBO’s “Succession")
    or closes one it did not open ("Top Gun” star Tom Cruise"), with the mark that completes
    it where the text writes it beside the span, else without its stray mark; ``span``
    itself when its marks pair up."""
    if doc is None or span.start < 0 or span.end != span.start + len(span.text):
        return span
    text, s, e = doc.text, span.start, span.end
    for o, c in _QUOTE_PAIRS:
        inner = text[s:e]
        odd = inner.count(o) % 2 if o == c else inner.count(o) - inner.count(c)
        if odd == 0:
            continue
        if odd > 0 and e < len(text) and text[e] == c:
            e += 1
        elif (odd < 0 or o == c) and s > 0 and text[s - 1] == o:
            s -= 1
        elif inner.startswith(o):
            s += 1
        elif inner.endswith(c):
            e -= 1
    if (s, e) == (span.start, span.end) or s >= e:
        return span
    return Span(span.doc_id, s, e, text[s:e], span.sent, set(span.sources) - {"RULE"}, span.mention, span.quote)


#: A word inside a span, for reading the span as a category: letters, digits and hyphens
#: ("Swimming" in "Swimming’s world", "D" and "C" in "D.C.").
_INNER_WORD = re.compile(r"[^\W\d_][\w-]*")
#: Longest run of words a category name has ("North Carolina", "table tennis", "District of
#: Columbia").
CATEGORY_WORDS = 3


def as_category(span: Span, doc: Document | None, named: Callable[[str], str]) -> Span:
    """The first run of ``span``'s words that ``named`` accepts, longest first ("Chess" in
    "International Chess Federation", "gray" in "a gray check mark"), as a span of its own;
    ``span`` itself when it is one already or holds none."""
    if doc is None or span.start < 0 or named(span.text):
        return span
    text = doc.text
    words = list(_INNER_WORD.finditer(text, span.start, span.end))
    for i in range(len(words)):
        for n in range(min(CATEGORY_WORDS, len(words) - i), 0, -1):
            s, e = words[i].start(), words[i + n - 1].end()
            if named(text[s:e]):
                return Span(span.doc_id, s, e, text[s:e], span.sent, set(span.sources) - {"RULE"})
    return span


def as_province(span: Span, doc: Document | None) -> Span:
    """For a question that asks which state or province: the one a span names inside it
    ("*Oregon* Gov. Kate Brown", "a *Virginia* county") or writes after it ("Fort
    Lauderdale, *Florida*"), as written; ``span`` itself when it names one already or
    neither."""
    if doc is None or span.start < 0 or province_named(span.text):
        return span
    inside = as_category(span, doc, province_named)
    if inside is not span:
        return inside
    text = doc.text
    placed = with_region(span, doc)
    if placed.end > span.end:
        s = placed.end - len(text[span.end:placed.end].lstrip(", "))
        if province_named(text[s:placed.end]):
            return Span(span.doc_id, s, placed.end, text[s:placed.end], span.sent, set(span.sources) - {"RULE"})
    return span


#: Opening quotation marks a title starts with.
_OPEN_QUOTES = "“‘\"'"
#: What stands between a category and the name it introduces: "the Italian island *of*
#: Stromboli", "the robot*, dubbed* Optimus", "the American rock band KISS".
_INTRODUCES = re.compile(r"(?:\s+of|,?\s+(?:called|named|dubbed|known\s+as)|,)?\s+[" + _OPEN_QUOTES + "]?")


#: Shortest asked noun that may end a compound ("sub*variant*"); a shorter one only stands
#: alone ("art" is not in "start", "man" not in "woman").
COMPOUND_HEAD = 5


def _is_noun(word: str, head: str) -> bool:
    """Whether ``word`` is the noun ``head``: the same, its plural, or a compound ending
    with it."""
    if word in (head, head + "s", head + "es") or (head.endswith("y") and word == head[:-1] + "ies"):
        return True
    return len(head) >= COMPOUND_HEAD and word.rstrip("s").endswith(head)


def named_instance(span: Span, candidates: Sequence[Span], doc: Document | None, head: str) -> Span:
    """For a question that asks "which <head>": when ``span`` is the asked category itself
    ("Italian island", "American rock band", "Omicron subvariant": its last word, in lower
    case, is ``head``, its plural or a compound ending with it, ``_is_noun``), the name written
    right after it ("Stromboli", "KISS", "Arcturus") among ``candidates``; ``span`` itself
    otherwise. A category answers "which type of ..." (a
    caller's choice), not "which island"."""
    if doc is None or span.start < 0 or not head:
        return span
    words = re.findall(r"[^\W\d_][\w'’-]*", span.text)
    last = words[-1] if words else ""
    # Written in lower case, the word is the category; capitalised, part of a name that
    # holds it ("Grand Canyon University", "Salt Lake City").
    if not last.islower() or not _is_noun(last, head):
        return span
    m = _INTRODUCES.match(doc.text, span.end)
    at = m.end() if m else span.end
    for sp in candidates:
        if sp.doc_id != span.doc_id or sp.end <= at:
            continue
        if sp.start == at and sp.text[:1].isupper():
            return sp
        if sp.start == at - 1 and sp.text[:1] in _OPEN_QUOTES and sp.text[1:2].isupper():
            # A noun phrase that took the title's opening quotation mark ("“Squid Game"):
            # the name without the stray mark.
            return Span(sp.doc_id, sp.start + 1, sp.end, sp.text[1:], sp.sent, set(sp.sources), sp.mention, sp.quote)
    return span
