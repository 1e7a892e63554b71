"""What every loader shares: the ``Loader`` protocol and its registry, the failure record,
the batch of doc ids handed out so far, and the metadata a format carries with the place
each field came from.

A format is one module in this package with a class decorated by ``register(suffix...)``;
``iter_sources`` looks the class up by the file's suffix (no if/elif over formats).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.ingest.loaders.limits import ReadLimits, TooLarge
from assistant.models import Document
from assistant.registry import Registry


@dataclass
class LoadFailure:
    """A source that could not be loaded; ``reason`` says why and how to fix it."""

    source: str
    reason: str


@dataclass
class Source:
    """One file to load: its path, its path relative to the directory it was found under,
    its raw bytes, and the label failures carry (the path as the user gave it)."""

    path: Path
    rel: str
    data: bytes
    label: str
    #: What the file may inflate to while it is read (``limits``).
    limits: ReadLimits = field(default_factory=ReadLimits.from_env)


class Batch:
    """Doc ids already handed out in this batch, for deterministic disambiguation, and the
    raw hash each was read with (feeds saved twice repeat their items)."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.hashes: dict[str, str] = {}
        self.where: dict[str, str] = {}

    def file_id(self, path: Path, rel: str) -> str:
        """The file's base name; a later file with the same base name gets ``rel``, then ``rel#2``..."""
        doc_id = path.name
        if doc_id in self.ids:
            doc_id = rel
            n = 2
            while doc_id in self.ids:
                doc_id = f"{rel}#{n}"
                n += 1
        self.claim(doc_id, "", "")
        return doc_id

    def claim(self, doc_id: str, raw_hash: str, where: str) -> None:
        self.ids.add(doc_id)
        self.hashes[doc_id] = raw_hash
        self.where[doc_id] = where


#: Set while an ingest whose documents are prepared by workers reads its files
#: (``deferring``): loaders then leave their costly part (OCR of scanned pages) to the
#: worker that prepares the document.
_DEFER: ContextVar[bool] = ContextVar("defer_costly_reading", default=False)


@contextlib.contextmanager
def deferring() -> Iterator[None]:
    """Within: loaders yield ``Deferred`` documents instead of doing their costliest work."""
    token = _DEFER.set(True)
    try:
        yield
    finally:
        _DEFER.reset(token)


def deferred_now() -> bool:
    """Whether a loader should leave its costly reading to the worker (``deferring``)."""
    return _DEFER.get()


class DeferredFailure(Exception):
    """A deferred document could not be read in the worker; the message says why and how
    to fix it (what the loader's ``LoadFailure`` would have said)."""


@dataclass
class Deferred(Document):
    """A document whose costly reading is left to the ingest worker that prepares it:
    what the loader knows already (doc id, source, raw hash: enough to skip an unchanged
    file without reading it) and the file's bytes; ``finish()``, in the worker, gives the
    document as the loader would have read it, or raises ``DeferredFailure``."""

    data: bytes = field(default=b"", repr=False)  # a whole file: never in a log line
    label: str = ""

    def finish(self, threads: int | None = None) -> Document:
        """The document as read, using up to ``threads`` cores (None: every core)."""
        raise NotImplementedError


def finish_reading(raw: Document, threads: int | None = None) -> Document:
    """``raw`` as read, a ``Deferred`` document's reading done here (in the worker), on up
    to ``threads`` cores (the worker's share; None: every core)."""
    return raw.finish(threads) if isinstance(raw, Deferred) else raw


class Loader(Protocol):
    """Reads one file format. ``fmt`` is the ``Document.fmt`` its documents carry."""

    fmt: str

    def load(self, src: Source, batch: Batch) -> Iterator[Document | LoadFailure]:
        """Every document in ``src`` (most formats: one), or failures saying how to fix the file."""
        ...


#: File suffix (lower case, with the dot) -> the loader for it; filled when the package imports.
REGISTRY: Registry[Loader] = Registry("file suffix")
register = REGISTRY.register


def loader_for(path: Path) -> Loader | None:
    return REGISTRY.get(path.suffix.lower())


#: The metadata fields a loader may fill; the text rules fill the ones it leaves empty.
FIELDS = ("title", "date", "author", "publisher", "url")


@dataclass
class Found:
    """Metadata a format states about a document, each field with where it came from
    (``"pdf:Title"``, ``"html:og:site_name"``...). The first value given for a field wins,
    so a loader lists its sources best first."""

    values: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str | None, origin: str) -> None:
        value = " ".join((value or "").split())
        if value and not self.values.get(name):
            self.values[name] = value
            self.origins[name] = origin

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def abs_source(path: Path) -> str:
    """Absolute path (symlinks kept) for ``Document.source``: ``prune`` checks whether the
    file still exists, which must not depend on the directory a later ingest runs from."""
    return os.path.abspath(path)


def document(doc_id: str, text: str, src: Source, fmt: str, found: Found, raw_hash: str) -> Document:
    """A loaded document with the metadata its format stated."""
    return Document(
        doc_id=doc_id,
        text=text,
        source=abs_source(src.path),
        fmt=fmt,
        title=found.get("title"),
        date=found.get("date"),
        publisher=found.get("publisher"),
        author=found.get("author"),
        url=found.get("url"),
        raw_hash=raw_hash,
        meta_origin={k: v for k, v in found.origins.items() if k in FIELDS},
    )


def single_document(src: Source, batch: Batch, fmt: str, text: str, found: Found) -> Iterator[Document | LoadFailure]:
    """The one document of a file-per-article format, or a failure when no text is left."""
    if not text.strip():
        yield LoadFailure(src.label, f"no readable text left after converting the {fmt.upper()} file; "
                                     "check that the file holds an article")
        return
    if len(text) > src.limits.document_chars:
        yield LoadFailure(src.label, too_many_chars(len(text), src.limits))
        return
    yield document(batch.file_id(src.path, src.rel), text, src, fmt, found, sha256(src.data))


def too_many_chars(n: int, limits: ReadLimits) -> str:
    """The failure of a text over ``limits.document_chars``, with a fix that works."""
    return (f"its text is {n:,} characters, over the limit of {limits.document_chars:,} for one document; "
            f"{limits.fix(n)}")


def converted_document(src: Source, batch: Batch, fmt: str, convert: Callable[[bytes, ReadLimits], tuple[str, Found]],
                       errors: tuple[type[Exception], ...], empty_fix: str) -> Iterator[Document | LoadFailure]:
    """The one document of a binary file-per-article format (PDF, Word): ``convert`` gives
    its text and metadata; an empty file or a conversion error is a failure with its fix."""
    if not src.data.strip():
        yield LoadFailure(src.label, f"file is empty; {empty_fix}")
        return
    try:
        text, found = convert(src.data, src.limits)
    except (*errors, TooLarge) as exc:
        yield LoadFailure(src.label, str(exc))
        return
    yield from single_document(src, batch, fmt, text, found)
