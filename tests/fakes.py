"""Fakes for fast answering tests: made-up articles with hand-written annotations, an
in-memory corpus and a retriever, so every answer kind runs in milliseconds without
spaCy or Chroma (in the spirit of ``llm``'s ``MockModel``).

    doc = make_doc("a1", "Officials said 1,240 ferries were repaired in March.",
                   mentions=[figure("1,240", value="1240", unit="ferry", frame=["repair", "ferry"])])
    answerer = fake_answerer([doc])
    answerer.ask("How many ferries were repaired?")

Mentions and quotes are located by their text in the article (the first occurrence,
or the one after ``after=``), so tests state facts the way an article reads.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.answerer import Answerer
from assistant.index.aliases import AliasTable
from assistant.models import (
    Document,
    Mention,
    Passage,
    QuoteRecord,
    date_to_int,
    mention_to_row,
    quote_to_row,
)
from assistant.text.sentences import split_sentences
from assistant.text.tokens import tokenize


@dataclass
class M:
    """A mention to place in a fake article: found by ``text`` (after ``after``)."""

    kind: str
    text: str
    value: str = ""
    unit: str = ""
    qualifier: str = ""
    frame: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    after: str = ""


@dataclass
class Q:
    """A quote-index record to place: ``quote`` is found in the text; ``speaker_text``
    too, if given (else the speaker is implied)."""

    speaker: str
    quote: str
    speaker_text: str = ""
    cue: str = "say"
    kind: str = "direct"
    label: str = "PERSON"
    confidence: float = 1.0


def date(text: str, value: str = "", **kw: Any) -> M:
    return M("DATE", text, value=value, **kw)


def figure(text: str, value: str = "", unit: str = "", **kw: Any) -> M:
    return M("FIGURE", text, value=value, unit=unit, **kw)


def entity(label: str, text: str, **kw: Any) -> M:
    return M(label, text, value=text, **kw)


def _find(text: str, needle: str, after: str = "") -> int:
    base = text.find(after) + len(after) if after else 0
    i = text.find(needle, max(base, 0))
    if i < 0:
        raise ValueError(f"{needle!r} is not in the fake article")
    return i


def make_doc(doc_id: str, text: str, *, title: str = "", date: str = "", publisher: str = "",
             author: str = "", mentions: Sequence[M] = (), quotes: Sequence[Q] = (),
             phrases: Sequence[str] | None = None) -> Document:
    """A cleaned article with sentence spans and the given annotations (``phrases``: noun
    phrases, each found in the text and its own head; None: annotated before they were kept)."""
    rows = []
    for m in mentions:
        s = _find(text, m.text, m.after)
        rows.append(mention_to_row(Mention(m.kind, s, s + len(m.text), m.text, m.value, m.unit, m.qualifier,
                                           list(m.frame), dict(m.extra))))
    qrows = []
    for q in quotes:
        s = _find(text, q.quote)
        ss = _find(text, q.speaker_text) if q.speaker_text else -1
        qrows.append(quote_to_row(QuoteRecord(
            doc_id=doc_id, speaker=q.speaker, speaker_text=q.speaker_text or q.speaker, cue=q.cue, quote=q.quote,
            start=s, end=s + len(q.quote), speaker_start=ss, speaker_end=ss + len(q.speaker_text) if ss >= 0 else -1,
            kind=q.kind, speaker_label=q.label, confidence=q.confidence)))
    sents = split_sentences(text)
    ann: dict[str, Any] = {"sentences": [list(s) for s in sents], "mentions": rows, "quotes": qrows}
    if phrases is not None:
        ann["phrases"] = [[s, s + len(p), s, s + len(p)] for p in phrases for s in [_find(text, p)]]
    return Document(doc_id=doc_id, text=text, title=title, date=date, publisher=publisher, author=author,
                    sentences=[tuple(s) for s in sents], annotations=ann)


class MemoryCorpus:
    """``Corpus`` over a few documents, each one chunk; names and labels come from the
    entity mentions, word statistics from the documents' search tokens."""

    def __init__(self, docs: Iterable[Document]) -> None:
        self.docs = {d.doc_id: d for d in docs}
        self._tokens = {i: set(tokenize(d.title + "\n" + d.text)) for i, d in self.docs.items()}
        self._df: Counter[str] = Counter(t for toks in self._tokens.values() for t in toks)
        self._aliases = AliasTable.build((m.text, m.kind) for d in self.docs.values() for m in d.mentions)

    @property
    def aliases(self) -> AliasTable:
        return self._aliases

    @property
    def has_vocabulary(self) -> bool:
        return bool(self.docs)

    @property
    def n_chunks(self) -> int:
        return len(self.docs)

    def doc(self, doc_id: str) -> Document | None:
        return self.docs.get(doc_id)

    def df(self, token: str) -> int:
        return self._df.get(token, 0)

    def dates(self) -> list[str]:
        return sorted(d.date for d in self.docs.values() if d.date[:4].isdigit())

    def records(self) -> dict[str, dict[str, Any]]:
        return {i: {"doc_id": i, "publisher": d.publisher, "date": d.date, "date_int": d.date_int}
                for i, d in self.docs.items()}

    def metadata_tokens(self) -> frozenset[str]:
        return frozenset(t for d in self.docs.values() for t in tokenize(f"{d.publisher} {d.author}"))

    def prefix_df(self, prefix: str) -> int:
        return sum(1 for t in self._df if t.startswith(prefix))


class FakeRetriever:
    """Ranks whole documents by idf-weighted overlap with the query's search tokens,
    as one passage each (scores in 0..1); no embeddings. Records every call."""

    def __init__(self, corpus: MemoryCorpus) -> None:
        self.corpus = corpus
        self.calls: list[tuple[str, int, Mapping[str, Any] | None]] = []

    def retrieve(self, query: str, k: int = 5, filters: Mapping[str, Any] | None = None) -> list[Passage]:
        self.calls.append((query, k, filters))
        q = set(tokenize(query))
        n = max(self.corpus.n_chunks, 1)
        scored = []
        for d in self.corpus.docs.values():
            if filters and filters.get("doc_id") and d.doc_id not in filters["doc_id"]:
                continue
            if filters and filters.get("publisher") and d.publisher.lower() not in \
                    {p.lower() for p in ([filters["publisher"]] if isinstance(filters["publisher"], str)
                                         else filters["publisher"])}:
                continue
            if filters and (filters.get("date_from") or filters.get("date_to")):
                lo = date_to_int(str(filters.get("date_from") or "0001"))
                hi = date_to_int(str(filters.get("date_to") or "9999")) or 99991231
                if not d.date_int or not lo <= d.date_int <= max(hi, hi // 10000 * 10000 + 1231):
                    continue
            toks = set(tokenize(d.title + "\n" + d.text))
            s = sum(math.log(1 + n / self.corpus.df(t)) for t in q & toks)
            if s > 0:
                scored.append((s, d))
        scored.sort(key=lambda x: (-x[0], x[1].doc_id))
        top = scored[0][0] if scored else 1.0
        out = []
        for rank, (s, d) in enumerate(scored[:k], start=1):
            first = d.sentences[0] if d.sentences else (0, len(d.text))
            out.append(Passage(doc_id=d.doc_id, chunk_id=f"{d.doc_id}:0", text=d.text, start=0, end=len(d.text),
                               title=d.title, publisher=d.publisher, date=d.date, sentence=d.text[first[0]:first[1]],
                               sentence_start=first[0], sentence_end=first[1], score=s / top,
                               scores={"fused": s / top}, rank=rank))
        return out


def fake_answerer(docs: Iterable[Document], models: Any = None, **kw: Any) -> Answerer:
    """An answerer over ``docs``: the rule pipeline alone unless ``models`` are given."""
    corpus = MemoryCorpus(docs)
    return Answerer(FakeRetriever(corpus), corpus, models=models, **kw)
