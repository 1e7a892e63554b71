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
``annotate_each`` and ``embed_each`` run several documents together and fall back to one
at a time, so a document that fails is a ``StageFailed`` of its own and the rest go on.
Each stage passes its failpoint (``faults.check``) first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import AssistantError, IngestError
from assistant.ingest import faults
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
class StageFailed:
    """A document that failed in one stage (``report.STAGES``), and why: an
    ``AssistantError``'s message with its fix, or the exception."""

    stage: str
    reason: str


def failure(stage: str, exc: BaseException) -> StageFailed:
    """The ``StageFailed`` for ``exc`` raised in ``stage``."""
    if isinstance(exc, AssistantError):
        return StageFailed(stage, str(exc).replace("\n  fix: ", "; fix: "))
    if isinstance(exc, MemoryError):
        return StageFailed(stage, f"out of memory ({exc or 'MemoryError'}); split the file into smaller ones, "
                                  "or ingest it on a machine with more memory")
    return StageFailed(stage, f"{type(exc).__name__}: {exc}")


class DocumentTooLarge(IngestError):
    """A document whose text is over ``Settings.max_document_chars``."""


@dataclass
class Chunked:
    """A cleaned document cut for the index: its sentences and chunks."""

    doc: Document
    sentences: list[tuple[int, int]]
    chunks: list[Chunk]


def load(paths: Iterable[str | Path], max_chars: int | None = None, *,
         defer: bool = False) -> Iterator[Document | LoadFailure]:
    """Every document under ``paths`` as its loader reads it, or why it could not be read.
    ``max_chars``: ``Settings.max_document_chars``, which bounds what a file may inflate to
    (``loaders.limits``; None: from the environment). ``defer``: for an ingest whose
    workers prepare the documents, loaders leave their costly reading (OCR of scanned
    pages) to the worker: such a document comes as a ``loaders.base.Deferred`` that
    ``finish_reading`` completes there, within the same limits."""
    from assistant.ingest.loaders import iter_sources
    from assistant.ingest.loaders.limits import ReadLimits

    items = iter_sources(paths, ReadLimits(max_chars) if max_chars else None)
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


def clean(raw: Document, max_chars: int | None = None) -> Document:
    """The document's text without page furniture, with its metadata. With ``max_chars``
    (``Settings.max_document_chars``), a text longer than that raises ``DocumentTooLarge``
    (checked before cleaning too, so an oversized text costs no cleaning)."""
    from assistant.ingest.cleaning import clean_document

    faults.check("cleaning", raw.doc_id)
    if max_chars is not None:
        check_size(raw, max_chars)
    doc = clean_document(raw)
    if max_chars is not None:
        check_size(doc, max_chars)
    return doc


def check_size(doc: Document, max_chars: int) -> None:
    """Raise ``DocumentTooLarge`` when ``doc``'s text is over ``max_chars`` characters."""
    from assistant.ingest.loaders.base import too_many_chars
    from assistant.ingest.loaders.limits import ReadLimits

    if len(doc.text) > max_chars:
        raise DocumentTooLarge(too_many_chars(len(doc.text), ReadLimits(max_chars)), source=doc.source)


def chunk(doc: Document, budget: int, overlap: int, tokenizer: Any | None = None) -> Chunked:
    """Sentences and chunks of ``doc`` (``budget`` and ``overlap`` in model tokens)."""
    from assistant.ingest.chunking import chunk_text, get_tokenizer
    from assistant.text.sentences import split_sentences

    faults.check("chunking", doc.doc_id)
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


def annotate_each(items: Sequence[tuple[Document, list[tuple[int, int]]]],
                  batch_size: int = NLP_BATCH) -> list[dict[str, Any] | StageFailed]:
    """``annotate_documents``, parsed together; if that fails, one document at a time, so
    only a document that fails alone is a ``StageFailed`` (MemoryError included)."""
    if not items:
        return []
    try:
        for d, _ in items:
            faults.check("annotation", d.doc_id)
        return list(annotate_documents(items, batch_size))
    except Exception:
        pass
    out: list[dict[str, Any] | StageFailed] = []
    for d, sents in items:
        try:
            faults.check("annotation", d.doc_id)
            out.append(annotate_documents([(d, sents)], batch_size)[0])
        except Exception as exc:
            out.append(failure("annotation", exc))
    return out


def embed_each(items: Sequence[tuple[Document, Sequence[Chunk]]],
               embed: Callable[[list[str]], np.ndarray]) -> list[np.ndarray | StageFailed]:
    """The vectors of each document's chunks: one ``embed`` call over all of them (the
    model batches across documents); if that fails, each document alone, so only a
    document that fails alone is a ``StageFailed``."""
    if not items:
        return []
    try:
        for d, _ in items:
            faults.check("embedding", d.doc_id)
        vectors = embed([t for d, chunks in items for t in embed_inputs(d, chunks)])
        out: list[np.ndarray | StageFailed] = []
        pos = 0
        for _, chunks in items:
            out.append(vectors[pos: pos + len(chunks)])
            pos += len(chunks)
        return out
    except Exception:
        pass
    alone: list[np.ndarray | StageFailed] = []
    for d, chunks in items:
        try:
            faults.check("embedding", d.doc_id)
            alone.append(embed(embed_inputs(d, chunks)))
        except Exception as exc:
            alone.append(failure("embedding", exc))
    return alone


def embed_inputs(doc: Document, chunks: Sequence[Chunk]) -> list[str]:
    """What the embedder sees: the title gives each chunk its topic (it is not stored)."""
    return [f"{doc.title}\n{c.text}" if doc.title else c.text for c in chunks]
