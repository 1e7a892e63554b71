"""Views over many articles at once, as structured data: who said what about a topic,
and a timeline of dated events about it. The chat and the CLI show them; the list and
timeline answer kinds are built on them.

    from assistant import Assistant
    asst = Assistant.open(index_dir="index")
    for speaker in asst.who_said_what("the Minsk conference on migration"):
        print(speaker.name, [s.quote for s in speaker.statements])
    for event in asst.timeline("the migration crisis"):
        print(event.when, event.sentence)

Every item carries the exact sentence it comes from (``doc_id``, ``start``, ``end`` into
the cleaned text), so it can be cited and highlighted like an answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answer.corpus import Corpus, coverage
from assistant.answer.evidence import Sent, candidate_sentences, paragraph_of, stems
from assistant.answer.question import QuestionAnalysis, analyse
from assistant.answer.relative import article_year
from assistant.models import Document, Mention, Passage, QuestionKind
from assistant.retrieval.types import PassageRetriever
from assistant.text.dates import date_sort_key
from assistant.text.datetimes import resolve_relative
from assistant.text.folding import fold
from assistant.text.names import speakers_match
from assistant.text.tokens import tokenize

#: Passages a view examines: more than one answer needs, since a view gathers across
#: articles. Set by hand.
VIEW_PASSAGES = 16
#: An article's statements count when it covers this share of the topic's words and is
#: within ``DOC_MARGIN`` of the best-matching article. Set by hand on eval/seeds.jsonl.
DOC_MIN, DOC_MARGIN = 0.5, 0.35
#: An event counts when its relevance reaches this: how well its article, its sentence
#: in context (paragraph and headline) and the words its date is bound to at ingest (its
#: frame) cover the topic's words other than its names (which every event must keep).
#: Set by hand on eval/seeds.jsonl.
EVENT_MIN = 0.45
W_EVENT_ARTICLE, W_EVENT_CONTEXT, W_EVENT_FRAME = 0.4, 0.35, 0.25
#: Nouns that name an aspect of a person or thing rather than events ("timeline of X's
#: *rule*"): every dated event about X belongs to it.
_ASPECTS = frozenset(tokenize("rule reign career life presidency tenure history leadership government time office "
                              "story background"))
#: Two events on the same date are one when their sentences share this share of words
#: (Jaccard): several articles reporting the same thing. Set by hand.
SAME_EVENT = 0.4
#: Most events a timeline shows.
MAX_EVENTS = 10
#: Speaker labels of the quote index that count as someone commenting: people and
#: organisations ("the agency said"); a place or a phrase the quote index could not
#: resolve to either is not someone.
SPEAKER_LABELS = frozenset({"PERSON", "ORG"})
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you", ""})
#: Reported speech below this confidence is not a statement of the speaker's: the quote
#: index gives 0.6 to the object phrase of a speech verb ("X reiterated *his refusal to
#: cooperate*", "X accused *Western countries of unwillingness*": the narrator
#: characterising them) and 0.3 at most to headline lines; a reported clause ("X said
#: that ...") gets 0.7-0.8 (``nlp.quotes.indirect``, ``nlp.quotes``). Quotation-marked
#: speech is the speaker's words at any confidence.
MIN_REPORTED_CONFIDENCE = 0.7
#: Date qualifiers that put an event somewhere before or after the date rather than on it:
#: "sanctions imposed *after* 2020", "*before* 2019", "*by* 2030". A timeline would show
#: the date as the event's. "since 1994" and "as of May" stay: they date the start of a
#: state ("has ruled since 1994") or the day a figure was counted.
BOUND_QUALIFIERS = frozenset({"after", "before", "prior to", "until", "till", "by",
                              "no later than", "not later than", "no earlier than", "not earlier than"})


@dataclass
class Said:
    """One statement: the speaker's words, and the sentence that carries them."""

    speaker: str
    quote: str
    kind: str  # direct | indirect
    doc_id: str
    title: str
    publisher: str
    date: str
    start: int  # the sentence's offsets in the cleaned text
    end: int
    sentence: str
    relevance: float


@dataclass
class Speaker:
    """Someone who commented on the topic, with everything they said about it, most
    relevant first."""

    name: str
    label: str
    statements: list[Said] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Event:
    """A dated event about the topic: the date as written and as a value, and the sentence."""

    when: str
    value: str
    doc_id: str
    title: str
    publisher: str
    date: str
    start: int
    end: int
    sentence: str
    date_start: int
    date_end: int
    relevance: float
    also: list[tuple[str, int, int]] = field(default_factory=list)  # other articles saying the same
    #: "" when the text gives the year; else where the year is from ("the article's year").
    year_from: str = ""

    @property
    def label(self) -> str:
        """The date as written, with the year it was read in when the text omits it."""
        return f"{self.when} ({self.value[:4]}, {self.year_from})" if self.year_from else self.when

    @property
    def key(self) -> tuple[int, int, int]:
        return date_sort_key(self.value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _docs(corpus: Corpus, passages: Sequence[Passage]) -> list[Document]:
    out: dict[str, Document] = {}
    for p in passages:
        d = corpus.doc(p.doc_id)
        if d is not None:
            out.setdefault(p.doc_id, d)
    return list(out.values())


def statements(corpus: Corpus, qa: QuestionAnalysis, passages: Sequence[Passage],
               labels: frozenset[str] = SPEAKER_LABELS) -> list[Speaker]:
    """Who said what about ``qa``'s topic in the retrieved articles: speakers of the quote
    index in the articles about the topic, grouped by speaker (spelling-insensitive)."""
    docs = _docs(corpus, passages)
    rel = {d.doc_id: coverage(corpus, qa.focus, stems(d.title + "\n" + d.text)) for d in docs}
    best = max(rel.values(), default=0.0)
    speakers: list[Speaker] = []
    for d in docs:
        if rel[d.doc_id] < DOC_MIN or rel[d.doc_id] < best - DOC_MARGIN:
            continue
        for r in d.quotes:
            name = r.speaker.strip()
            if fold(name) in _PRONOUNS or r.speaker_label not in labels:
                continue
            if r.kind != "direct" and r.confidence < MIN_REPORTED_CONFIDENCE:
                continue
            s, e = d.sentence_at(r.start)
            if is_headline(d, s, e):
                continue  # the headline is the newsroom's summary, not the speaker's statement
            ps, pe = paragraph_of(d, s)
            relevance = 0.5 * rel[d.doc_id] + 0.5 * coverage(corpus, qa.focus, stems(r.quote + " " + d.text[ps:pe]))
            said = Said(name, r.quote.strip(), r.kind, d.doc_id, d.title, d.publisher, d.date, s, e,
                        d.text[s:e], round(relevance, 4))
            sp = next((x for x in speakers if speakers_match(x.name, name)), None)
            if sp is None:
                speakers.append(Speaker(name, r.speaker_label, [said]))
            else:
                if len(name) > len(sp.name):
                    sp.name = name  # the fullest form of the name
                if not any(x.doc_id == d.doc_id and x.start == s for x in sp.statements):
                    sp.statements.append(said)
    for sp in speakers:
        sp.statements.sort(key=lambda x: -x.relevance)
    speakers.sort(key=lambda sp: -sp.statements[0].relevance)
    return speakers


def is_headline(doc: Document, start: int, end: int) -> bool:
    """Whether the sentence ``start:end`` lies in the article's headline: its first line,
    when that line is the document's title."""
    title = " ".join((doc.title or "").split())
    text = doc.text
    lead = len(text) - len(text.lstrip())
    stop = text.find("\n", lead)
    stop = len(text) if stop < 0 else stop
    return bool(title) and end <= stop + 1 and " ".join(text[lead:stop].split()) == title and start >= lead


def _event_value(doc: Document, value: str, text: str, extra: Mapping[str, Any]) -> tuple[str, str]:
    """A date's value with a year, and where the year is from ("" when written): a day
    without a year or a relative date is read in the article's year."""
    if value and re.match(r"\d{4}", value) and not value.startswith("P"):
        return value, ""
    year = article_year(doc)
    if year is None:
        return "", ""
    said = "the article's date" if doc.year else "the year the article counts from"
    if value.startswith("--"):
        return f"{year}{value[1:]}", said
    if extra.get("relative"):
        ref = doc.date if doc.year else str(year)
        v = resolve_relative(text, ref)
        return (v, f"counted from {said}") if re.match(r"\d{4}", v) and not v.startswith("P") else ("", "")
    return "", ""


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def events(corpus: Corpus, qa: QuestionAnalysis, sents: Sequence[Sent]) -> list[Event]:
    """Dated events about ``qa``'s topic in the evidence sentences, in date order; the
    same event reported by several articles is one event citing the first."""
    found: list[Event] = []
    names = {t for n in qa.names for t in tokenize(n)}
    topic = [t for t in qa.focus if t not in names and t not in _ASPECTS]
    article: dict[str, float] = {}
    for st in sents:
        doc = st.doc
        ps, pe = paragraph_of(doc, st.start)
        if doc.doc_id not in article:
            article[doc.doc_id] = coverage(corpus, topic, stems(doc.title + "\n" + doc.text)) if topic else 1.0
        context = coverage(corpus, topic, stems(doc.text[ps:pe] + "\n" + doc.title) | stems(st.text)) \
            if topic else 1.0
        # One event per sentence: the date most bound to the topic (the first on a tie).
        # When that date is a bound ("sanctions imposed after 2020"), the sentence does not
        # say when anything happened.
        best: tuple[float, Mention, str, str] | None = None
        for m in doc.mentions:
            if m.kind != "DATE" or not (st.start <= m.start and m.end <= st.end) or m.extra.get("dateline"):
                continue
            value, year_from = _event_value(doc, m.value, m.text, m.extra)
            if not value:
                continue
            frame = {t for w in m.frame for t in stems(w)}
            relevance = (W_EVENT_ARTICLE * article[doc.doc_id] + W_EVENT_CONTEXT * context
                         + W_EVENT_FRAME * (coverage(corpus, topic, frame) if topic else 1.0))
            if relevance < EVENT_MIN or st.names_ok < 1.0:
                continue
            if best is None or relevance > best[0]:
                best = (relevance, m, value, year_from)
        if best is None or best[1].qualifier.lower() in BOUND_QUALIFIERS:
            continue
        relevance, m, value, year_from = best
        ev = Event(m.text, value, doc.doc_id, doc.title, doc.publisher, doc.date, st.start, st.end, st.text,
                   m.start, m.end, round(relevance, 4), year_from=year_from)
        if any(x.doc_id == ev.doc_id and x.start == ev.start for x in found):
            continue
        same = next((x for x in found if x.value == value
                     and _jaccard(stems(x.sentence), stems(ev.sentence)) >= SAME_EVENT), None)
        if same is None:
            found.append(ev)
        else:
            same.also.append((ev.doc_id, ev.start, ev.end))
    found.sort(key=lambda e: -e.relevance)
    found = found[:MAX_EVENTS]
    found.sort(key=lambda e: (e.key, -e.relevance))
    return found


def topic_analysis(topic: str, kind: QuestionKind) -> QuestionAnalysis:
    """A topic ("the migration crisis") analysed as a question of ``kind``."""
    return analyse(topic, as_kind=(kind, {}))


def who_said_what(retriever: PassageRetriever, corpus: Corpus, topic: str,
                  filters: Mapping[str, Any] | None = None, k: int = VIEW_PASSAGES) -> list[Speaker]:
    """Everyone the articles quote on ``topic``, with their statements."""
    qa = topic_analysis(topic, QuestionKind.LIST)
    return statements(corpus, qa, retriever.retrieve(topic, k=k, filters=filters))


def timeline(retriever: PassageRetriever, corpus: Corpus, topic: str,
             filters: Mapping[str, Any] | None = None, k: int = VIEW_PASSAGES) -> list[Event]:
    """Dated events about ``topic`` across the articles, in date order."""
    qa = topic_analysis(topic, QuestionKind.TIMELINE)
    passages = retriever.retrieve(topic, k=k, filters=filters)
    return events(corpus, qa, candidate_sentences(corpus, qa, passages))

