"""Fakes for fast answering tests: made-up articles with hand-written annotations, an
in-memory corpus and a retriever, so every answer kind runs in milliseconds without
spaCy or Chroma (in the spirit of ``llm``'s ``MockModel``).

    doc = make_doc("a1", "Officials said 1,240 ferries were repaired in March.",
                   mentions=[figure("1,240", value="1240", unit="ferry", frame=["repair", "ferry"])])
    answerer = fake_answerer([doc])          # the shipped configuration: learned selection on
    answerer.ask("How many ferries were repaired?")

``fake_answerer`` answers as the product ships (the committed learned-selection models, as
``Assistant.open`` builds it); ``models=RULES_ONLY`` gives the rule pipeline alone
(``ASSISTANT_LEARNED_SELECTION=off``). ``configurations()`` parametrises a test over both.

Mentions and quotes are located by their text in the article (the first occurrence,
or the one after ``after=``), so tests state facts the way an article reads.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

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
    as one passage each. Scores are named as the real retriever's: the overlap as the
    lexical ``bm25`` score, its share of the best as ``fused`` (0..1); no embeddings, so no
    ``dense`` score (0 to learned selection, as for a chunk dense search did not return).
    Records every call."""

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
                               scores={"bm25": s, "fused": s / top}, rank=rank))
        return out


#: ``fake_answerer``'s ``models`` for the two configurations a user can run: learned selection
#: with the committed models (the default, ``ASSISTANT_LEARNED_SELECTION=on``) and the rules alone.
LEARNED: Any = True
RULES_ONLY: Any = None


def fake_answerer(docs: Iterable[Document], models: Any = LEARNED, **kw: Any) -> Answerer:
    """An answerer over ``docs`` as the product ships it: learned selection with the committed
    models (``LEARNED``); ``RULES_ONLY`` (None) for the rule pipeline alone, or hand-set
    ``SelectionModels``."""
    corpus = MemoryCorpus(docs)
    return Answerer(FakeRetriever(corpus), corpus, models=models, **kw)


def configurations(learned_xfail: str = "") -> list[Any]:
    """Parameters for ``@pytest.mark.parametrize("models", configurations())``: the shipped
    learned configuration and the rules alone. ``learned_xfail`` names a behaviour today's
    learned configuration gets wrong: that case is a strict xfail, so it fails the day the
    behaviour is fixed and the mark must come off."""
    marks = [pytest.mark.xfail(strict=True, reason=learned_xfail)] if learned_xfail else []
    return [pytest.param(LEARNED, id="learned", marks=marks), pytest.param(RULES_ONLY, id="rules-only")]
