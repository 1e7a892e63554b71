"""The work an ingest sends to its workers: whole documents, read where reading is costly
(a scanned PDF's OCR), cleaned, chunked, annotated and embedded (``prepare_documents``),
answered as plain picklable values.

A task's answer is all of a document or nothing: a ``Prepared`` carries every chunk,
vector and annotation of its document, and only the ingesting process writes it
(``writer.IndexWriter``), so a worker that dies mid-task has written nothing. One bad
document is a ``Failed`` answer naming the stage it failed in, and the rest of its task
goes on; an exception out of ``prepare_documents`` means the worker itself failed (a
model that would not load), and the ingest retries the task's documents. Before each
stage of each document the task sends a note (``workers.note``: document and stage), so
a worker that dies is reported with where it was.

The worker keeps its models between tasks (``_Models``, one per process): spaCy, the
tokenizer and the embedder load on the first task.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.models import Chunk, Document


@dataclass(frozen=True)
class PrepareSpec:
    """Everything a worker needs besides the documents: how to cut and embed them."""

    chunk_tokens: int
    chunk_overlap_tokens: int
    #: ``Embedder.recipe()`` of the ingest's embedder: (kind, options); None when the
    #: executor embeds in the ingesting process with the ingest's own embedder.
    embedder: tuple[str, dict[str, Any]] | None
    #: CPU threads a worker's embedder uses; None: ``threads_by_host`` or every core.
    threads: int | None = None
    #: Worker processes per machine (host -> count), so workers sharing a machine share
    #: its cores; filled by executors that know (Dask), else empty.
    threads_by_host: dict[str, int] = field(default_factory=dict)
    #: ``Settings.max_document_chars``: a longer text fails at cleaning (None: no cap).
    max_document_chars: int | None = None


@dataclass
class SourceTask:
    """A document as read, to prepare. ``old_content_hash``: the content hash of the
    version in the index under the same settings ("" if none): a document that cleans
    to it is only touched."""

    raw: Document
    old_content_hash: str = ""


@dataclass
class Prepared:
    """All of one document, ready to write."""

    doc: Document
    chunks: list[Chunk]
    vectors: np.ndarray
    annotations: dict[str, Any]


@dataclass
class Unchanged:
    """Cleaned to the content already indexed: only its raw hash and source change."""

    doc_id: str
    raw_hash: str
    source: str


@dataclass
class Failed:
    """A document that could not be prepared: the stage it failed in (``report.STAGES``)
    and why (an ``AssistantError``'s message and fix, or the exception)."""

    doc_id: str
    source: str
    reason: str
    stage: str = ""


Outcome = Prepared | Unchanged | Failed


class _Models:
    """One process's tokenizer and embedder (spaCy caches itself in ``nlp.model``)."""

    _lock = threading.Lock()
    _cache: dict[tuple, Any] = {}  # noqa: RUF012  (per process, on purpose)

    @classmethod
    def embedder(cls, spec: PrepareSpec) -> Any:
        from assistant.index.embedding import embedder_from_recipe

        kind, options = spec.embedder
        threads = spec.threads or _host_threads(spec.threads_by_host)
        key = ("embedder", kind, tuple(sorted(options.items())), threads)
        with cls._lock:
            if key not in cls._cache:
                cls._cache[key] = embedder_from_recipe(kind, options, threads=threads)
            return cls._cache[key]

    @classmethod
    def tokenizer(cls) -> Any:
        from assistant.ingest.chunking import get_tokenizer

        with cls._lock:
            if "tokenizer" not in cls._cache:
                cls._cache["tokenizer"] = get_tokenizer()
            return cls._cache["tokenizer"]


def _host_threads(by_host: dict[str, int]) -> int:
    """This machine's cores, shared among the workers the executor put on it."""
    import socket

    from assistant.index.embedding import default_threads

    cores = default_threads()
    names = {socket.gethostname(), socket.getfqdn()}
    try:
        names.add(socket.gethostbyname(socket.gethostname()))
    except OSError:
        pass
    # In a Dask worker, the host the scheduler knows it by (the key of ``by_host``).
    # Looked up only where Dask is already loaded: this module never imports it.
    dist = sys.modules.get("distributed")
    if dist is not None:
        try:
            names.add(dist.get_worker().address.split("://")[-1].rsplit(":", 1)[0])
        except ValueError:  # not running in a Dask worker
            pass
    here = max((n for h, n in by_host.items() if h in names), default=1)
    return max(1, cores // max(1, here))


def warm_up(spec: PrepareSpec) -> None:
    """Load the models a task needs (a worker calls it before its first task, so a model
    that cannot load fails the worker's start, not documents)."""
    from assistant.nlp.model import load_nlp

    load_nlp()
    _Models.tokenizer()
    _Models.embedder(spec)


def prepare_documents(spec: PrepareSpec, tasks: list[SourceTask]) -> list[Outcome]:
    """Finish reading (OCR), clean, chunk, annotate and embed ``tasks``' documents, in
    order: one outcome each."""
    from assistant.ingest.stages import Chunked, annotate_each, embed_each

    out: list[Any] = prepare_texts(spec, tasks)
    cut = [(i, c) for i, c in enumerate(out) if isinstance(c, Chunked)]
    for _, c in cut:
        note((c.doc.doc_id, "annotation"))
    ready = []
    for (i, c), a in zip(cut, annotate_each([(c.doc, c.sentences) for _, c in cut]), strict=True):
        if isinstance(a, dict):
            ready.append((i, c, a))
        else:
            out[i] = Failed(c.doc.doc_id, c.doc.source, a.reason, a.stage)
    if ready:
        # One embedding call for the task: the model batches across its documents.
        embedder = _Models.embedder(spec)
        for _, c, _ in ready:
            note((c.doc.doc_id, "embedding"))
        vectors = embed_each([(c.doc, c.chunks) for _, c, _ in ready],
                             lambda texts: np.asarray(embedder.embed_documents(texts), dtype=np.float32))
        for (i, c, a), v in zip(ready, vectors, strict=True):
            out[i] = (Prepared(c.doc, c.chunks, v, a) if isinstance(v, np.ndarray)
                      else Failed(c.doc.doc_id, c.doc.source, v.reason, v.stage))
    return out


def prepare_texts(spec: PrepareSpec, tasks: list[SourceTask]) -> list[Any]:
    """Each task's document read to the end (a ``Deferred`` one's OCR, ``finish_reading``),
    cleaned and chunked (``stages.Chunked``), or ``Unchanged`` (it cleans to the content
    already indexed), or ``Failed`` at the loader (a deferred reading), cleaning or chunking."""
    from assistant.ingest.loaders.base import Deferred, DeferredFailure
    from assistant.ingest.stages import chunk, clean, failure, finish_reading

    tok = _Models.tokenizer()
    out: list[Any] = []
    for task in tasks:
        raw = task.raw
        stage = "cleaning"
        try:
            if isinstance(raw, Deferred):
                # A scanned PDF comes unread (``stages.load(defer=True)``): its OCR runs
                # here, on this worker's share of the cores, as its embedder does.
                stage = "loader"
                note((raw.doc_id, stage))
                try:
                    raw = finish_reading(raw, threads=spec.threads or _host_threads(spec.threads_by_host))
                except DeferredFailure as exc:  # what the loader would have reported
                    out.append(Failed(raw.doc_id, raw.source, str(exc), stage))
                    continue
                stage = "cleaning"
            note((raw.doc_id, stage))
            doc = clean(raw, spec.max_document_chars)
            if not doc.text.strip():
                out.append(Failed(raw.doc_id, raw.source,
                                  "nothing left after removing page furniture (see --show-cleaning)", stage))
                continue
            if task.old_content_hash and task.old_content_hash == doc.content_hash:
                out.append(Unchanged(raw.doc_id, raw.raw_hash, raw.source))
                continue
            stage = "chunking"
            note((raw.doc_id, stage))
            out.append(chunk(doc, spec.chunk_tokens, spec.chunk_overlap_tokens, tok))
        except Exception as exc:  # one bad document must not stop the task (MemoryError included)
            f = failure(stage, exc)
            out.append(Failed(raw.doc_id, raw.source, f.reason, f.stage))
    return out


def note(payload: Any) -> None:
    """Where the task is (``(doc_id, stage)``), for the ingest to name if the worker dies."""
    from assistant.ingest.notes import note as send

    send(payload)


def worker_pid() -> int:
    """This worker's process id (tests kill workers by it)."""
    return os.getpid()
