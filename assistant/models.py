"""Small result and record types shared by every layer.

Offsets (``start``/``end``) are always character offsets into a document's
*cleaned* text (``Document.text``), end exclusive, so ``text[start:end]`` is the
exact span a user can check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class QuestionKind(str, Enum):
    DATE = "date"
    FIGURE = "figure"
    SPEAKER = "speaker"
    ENTITY = "entity"
    QUOTE = "quote"
    OTHER = "other"
    # The forms beyond a factoid (issue 15): why/how, a summary, yes/no, a comparison,
    # a list across articles, "how long has X ...", a timeline.
    REASON = "reason"
    SUMMARY = "summary"
    YESNO = "yesno"
    COMPARISON = "comparison"
    LIST = "list"
    DURATION = "duration"
    TIMELINE = "timeline"


class RetrievalMode(str, Enum):
    DENSE = "dense"
    BM25 = "bm25"
    HYBRID = "hybrid"


@dataclass
class Removed:
    """One piece of text dropped by cleaning, and the rule that dropped it."""

    text: str
    rule: str
    line: int = -1


@dataclass
class Document:
    """An article, at every stage: as a loader read it (``fmt``, ``raw_hash``), cleaned
    (``removed``, ``content_hash``), and as the index serves it (``sentences``,
    ``annotations``). One type, so a field added at ingest reaches the answering layer.

    ``date`` is ISO 8601, as precise as the article states it: ``2025-10-28``,
    ``2025-10``, or ``--10-28`` when the day is given without a year (we never
    invent a year). ``date_int`` is ``YYYYMMDD`` for range filters, 0 if no year.
    """

    doc_id: str
    text: str
    title: str = ""
    publisher: str = ""
    date: str = ""
    author: str = ""
    url: str = ""
    source: str = ""
    fmt: str = "txt"  # a loader's format: txt | md | html | jsonl | pdf | docx | feed
    content_hash: str = ""
    raw_hash: str = ""
    removed: list[Removed] = field(default_factory=list)
    #: Where each metadata field (title, date, author, publisher, url) came from: the
    #: format's own metadata (``"pdf:Title"``, ``"docx:created"``, ``"feed:item link"``...) or
    #: the text rules (``"text:dateline"``, ``"text:byline"``...). Fields left empty are absent.
    meta_origin: dict[str, str] = field(default_factory=dict)
    #: Sentence spans and ingest-time annotations (rows; see ``mentions`` and ``quotes``).
    sentences: list[tuple[int, int]] = field(default_factory=list)
    annotations: dict[str, Any] = field(default_factory=dict)

    @property
    def date_int(self) -> int:
        return date_to_int(self.date)

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date[:4].isdigit() else None

    def sentence_at(self, pos: int) -> tuple[int, int]:
        """The sentence span containing offset ``pos`` (binary search)."""
        import bisect

        starts = [s for s, _ in self.sentences]
        i = bisect.bisect_right(starts, pos) - 1
        if 0 <= i < len(self.sentences) and self.sentences[i][0] <= pos < self.sentences[i][1] + 1:
            return self.sentences[i]
        return (pos, pos)

    def sentences_in(self, start: int, end: int) -> list[tuple[int, int]]:
        return [(s, e) for s, e in self.sentences if s < end and e > start]

    @property
    def mentions(self) -> list[Mention]:
        """The typed mentions found at ingest (decoded once per loaded document)."""
        cached = self.annotations.get("_mentions")
        if cached is None:
            cached = [row_to_mention(r) for r in self.annotations.get("mentions", [])]
            self.annotations["_mentions"] = cached
        return cached

    @property
    def phrases(self) -> list[tuple[int, int, int, int]] | None:
        """Noun phrases found at ingest (start, end, head start, head end), or None for a
        document annotated before they were kept (annotation version < 3)."""
        rows = self.annotations.get("phrases")
        return None if rows is None else [tuple(r) for r in rows]  # type: ignore[misc]

    @property
    def quotes(self) -> list[QuoteRecord]:
        """The quote index of this document (decoded once per loaded document)."""
        cached = self.annotations.get("_quotes")
        if cached is None:
            cached = [row_to_quote(self.doc_id, d) for d in self.annotations.get("quotes", [])]
            self.annotations["_quotes"] = cached
        return cached


def origin_kind(origin: str) -> str:
    """``"text"`` for a field the text rules found (``"text:dateline"``), else ``"format"``
    (the file format's own metadata: ``"pdf:Title"``, ``"feed:item link"``...)."""
    return "text" if origin == "text" or origin.startswith("text:") else "format"


def date_to_int(date: str) -> int:
    """``2025-10-28`` -> 20251028, ``2025-10`` -> 20251000, ``2025`` -> 20250000, else 0."""
    parts = date.split("-")
    if not parts or not parts[0].isdigit() or len(parts[0]) != 4:
        return 0
    nums = [int(p) if p.isdigit() else 0 for p in parts[:3]] + [0, 0]
    return nums[0] * 10000 + nums[1] * 100 + nums[2]


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str
    n_tokens: int


@dataclass
class Mention:
    """A typed span in a sentence: a date, a figure, or a named entity.

    ``value`` is the normalised value (ISO date, number as float string, or the
    entity's canonical name); ``frame`` lists folded lemmas of the words the
    mention is bound to (its head noun, verb, subject, objects), so an answer can
    be matched to the thing a question asks about rather than to the sentence.
    """

    kind: str  # DATE | FIGURE | PERSON | ORG | GPE | NORP | ...
    start: int
    end: int
    text: str
    value: str = ""
    unit: str = ""
    qualifier: str = ""
    frame: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class QuoteRecord:
    """A direct or indirect quote attributed to a speaker.

    ``speaker`` is the fullest name found for the speaker in the document (a
    pronoun or "the minister" is resolved to it); ``speaker_text`` is the mention
    as written next to the quote, at ``speaker_start:speaker_end`` (-1 if the
    speaker is only implied by a preceding attribution).
    """

    doc_id: str
    speaker: str
    speaker_text: str
    cue: str
    quote: str
    start: int
    end: int
    speaker_start: int = -1
    speaker_end: int = -1
    kind: str = "direct"  # direct | indirect
    speaker_label: str = "PERSON"  # PERSON | ORG | NORP | GPE | OTHER
    confidence: float = 1.0


@dataclass
class Passage:
    """A retrieved chunk, with everything a citation needs."""

    doc_id: str
    chunk_id: str
    text: str
    start: int
    end: int
    title: str = ""
    publisher: str = ""
    date: str = ""
    sentence: str = ""
    sentence_start: int = -1
    sentence_end: int = -1
    score: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    rank: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    publisher: str
    date: str
    quote: str
    start: int
    end: int
    score: float = 0.0
    #: Offsets of the short answer inside the cited document, if it lies in ``quote``.
    answer_start: int = -1
    answer_end: int = -1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Conflict:
    """One of several values the corpus gives for the same thing."""

    value: str
    citation: int  # the Citation.n that states it
    doc_id: str
    publisher: str
    date: str


@dataclass
class Answer:
    text: str
    answer: str
    kind: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    question: str = ""
    rewritten: str = ""  # the standalone question, when a follow-up was rewritten
    notice: str = ""  # e.g. "question truncated to 2000 characters"
    conflicts: list[Conflict] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # closest evidence
    retrieved: list[str] = field(default_factory=list)  # doc_ids, best first
    #: ``confidence`` is a calibrated probability that the answer is right (learned
    #: selection); False: a rule score for forms the models do not cover.
    calibrated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- annotation rows: how mentions and quotes are stored (written at ingest, read to answer) --
def mention_to_row(m: Mention) -> list[Any]:
    return [m.kind, m.start, m.end, m.text, m.value, m.unit, m.qualifier, m.frame, m.extra]


def row_to_mention(r: list[Any]) -> Mention:
    return Mention(r[0], r[1], r[2], r[3], r[4], r[5], r[6], list(r[7]), dict(r[8]))


def quote_to_row(q: QuoteRecord) -> dict[str, Any]:
    d = asdict(q)
    d.pop("doc_id", None)
    return d


def row_to_quote(doc_id: str, d: dict[str, Any]) -> QuoteRecord:
    return QuoteRecord(doc_id=doc_id, **d)
