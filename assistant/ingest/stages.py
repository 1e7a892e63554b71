"""The producer stages of ingest, each a plain function over one document.

    load      paths -> Document as read | LoadFailure   (``load``; with ``defer``, a scanned
              PDF's OCR waits for ``finish_reading`` in the worker that prepares it)
    clean     Document as read -> cleaned Document      (``clean``)
    chunk     Document -> sentences + chunks            (``chunk``)
    annotate  Document + sentences -> annotations       (``annotate_document``; spaCy)
    embed     Document + chunks -> texts for the model  (``embed_inputs``; the embedder
              runs them in ``pipeline``, which owns the model)

They take and return plain, picklable values and touch no index, so a process pool
(``workers``) or other machines can run them; ``writer.IndexWriter`` alone writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.models import Chunk, Document

if TYPE_CHECKING:
    from assistant.ingest.loaders import LoadFailure

#: ``nlp.pipe`` batch size inside one annotation process: texts (paragraph runs of at
#: most a few thousand characters, see ``nlp.model.segments``) parsed together. Measured
#: with ``tools/tune_ingest.py`` on 40 polnear articles (eval/reports/ingest-tuning.json):
#: 1 -> 4928, 4 -> 6486, 16 -> 6425, 64 -> 6600, 256 -> 5969 tokens/s; annotations do not
#: depend on it (tests/ingest/test_workers.py). ``nlp.pipe``'s own ``n_process`` is not
#: used: the workers are the processes.
NLP_BATCH = 16


@dataclass
class Chunked:
    """A cleaned document cut for the index: its sentences and chunks."""

    doc: Document
    sentences: list[tuple[int, int]]
    chunks: list[Chunk]


def load(paths: Iterable[str | Path], *, defer: bool = False) -> Iterator[Document | LoadFailure]:
    """Every document under ``paths`` as its loader reads it, or why it could not be read.
    ``defer``: for an ingest whose workers prepare the documents, loaders leave their
    costly reading (OCR of scanned pages) to the worker: such a document comes as a
    ``loaders.base.Deferred`` that ``finish_reading`` completes there."""
    from assistant.ingest.loaders import iter_sources

    items = iter_sources(paths)
    return _deferring(items) if defer else items


def _deferring(items: Iterator[Document | LoadFailure]) -> Iterator[Document | LoadFailure]:
    # Deferral holds only while a loader runs, not in the consumer's code between items.
    from assistant.ingest.loaders.base import deferring

    end = object()
    while True:
        with deferring():
            item = next(items, end)
        if item is end:
            return
        yield item  # type: ignore[misc]


def finish_reading(raw: Document, threads: int | None = None) -> Document:
    """``raw`` as its loader would have read it: a deferred document's reading (OCR) is
    done here, in the worker, on up to ``threads`` cores (None: every core);
    ``DeferredFailure`` says why it could not be."""
    from assistant.ingest.loaders.base import finish_reading as finish

    return finish(raw, threads)


def clean(raw: Document) -> Document:
    """The document's text without page furniture, with its metadata."""
    from assistant.ingest.cleaning import clean_document

    return clean_document(raw)


def chunk(doc: Document, budget: int, overlap: int, tokenizer: Any | None = None) -> Chunked:
    """Sentences and chunks of ``doc`` (``budget`` and ``overlap`` in model tokens)."""
    from assistant.ingest.chunking import chunk_text, get_tokenizer
    from assistant.text.sentences import split_sentences

    sents = split_sentences(doc.text)
    chunks = chunk_text(doc.doc_id, doc.text, budget=budget, overlap=overlap, sentences=sents,
                        tokenizer=tokenizer or get_tokenizer())
    return Chunked(doc, sents, chunks)


def annotate_document(doc: Document, sentences: list[tuple[int, int]]) -> dict[str, Any]:
    """Ingest-time annotations of one document (spaCy parse + the extractors)."""
    return annotate_documents([(doc, sentences)])[0]


def annotate_documents(items: Sequence[tuple[Document, list[tuple[int, int]]]],
                       batch_size: int = NLP_BATCH) -> list[dict[str, Any]]:
    """``annotate_document`` for several documents, parsed together by ``nlp.pipe``.
    Each document's annotations are the same as alone (``tests/nlp``)."""
    from assistant.nlp.annotate import annotate, nlp_slice
    from assistant.nlp.model import parse_many

    parsed = parse_many([nlp_slice(d.text) for d, _ in items], batch_size=batch_size)
    return [annotate(d.doc_id, d.text, d.date, sdoc, sents) for (d, sents), sdoc in zip(items, parsed, strict=True)]


def embed_inputs(doc: Document, chunks: Sequence[Chunk]) -> list[str]:
    """What the embedder sees: the title gives each chunk its topic (it is not stored)."""
    return [f"{doc.title}\n{c.text}" if doc.title else c.text for c in chunks]
