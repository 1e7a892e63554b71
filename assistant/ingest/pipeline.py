"""Ingest: files -> cleaned documents -> chunks + annotations -> vectors -> Chroma.

Incremental and idempotent. A file whose raw bytes (or cleaned content) and
index settings are unchanged is skipped without cleaning, parsing or
embedding; a changed file replaces its chunks; ``prune`` removes documents
whose files are gone. Chunk ids derive from content, and each document's record
is written after its chunks (see ``store``), so a killed ingest leaves a usable
index that the next run completes without duplicates.

``Ingestor`` is the front of it: one store, local cache, embedder and writer. Every run
goes through the one driver (``driver.Driver``) with an executor preparing the
documents: by default ``pipelined`` (both CPU-bound stages kept busy: spaCy in worker
processes, the embedder in this process on the cores they leave), else local worker
processes or a Dask cluster (``executors``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assistant.config import Settings
from assistant.index.cache import LocalIndex
from assistant.index.embedding import Embedder
from assistant.index.lock import LOCK_POLL_SECONDS, ingest_lock
from assistant.index.store import Store, config_hash, index_config
from assistant.ingest.driver import ATTEMPTS, COMMIT_CHUNKS, TASK_DOCS, Driver, unchanged
from assistant.ingest.executors.pipelined import annotation_workers, embed_threads
from assistant.ingest.executors.registry import ExecutorOptions
from assistant.ingest.report import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    EXIT_STOPPED,
    FileResult,
    IngestReport,
    ProgressFn,
)
from assistant.ingest.stages import embed_inputs
from assistant.ingest.writer import IndexWriter

__all__ = [
    "ATTEMPTS", "COMMIT_CHUNKS", "EXIT_OK", "EXIT_SOME_FAILED", "EXIT_STOPPED", "LOCK_POLL_SECONDS", "TASK_DOCS",
    "FileResult", "IngestReport", "Ingestor", "ProgressFn", "annotation_workers", "embed_inputs", "embed_threads",
    "ingest_lock", "unchanged",
]


class Ingestor:
    """Runs ingests against one store + local cache with one embedder."""

    def __init__(self, store: Store, local: LocalIndex, embedder: Embedder, settings: Settings) -> None:
        self.store = store
        self.local = local
        self.embedder = embedder
        self.settings = settings
        self.config = index_config(settings, embedder.name, embedder.dim)
        self.cfg_hash = config_hash(self.config)
        self.writer = IndexWriter(store, local, self.cfg_hash)

    def run(self, paths: Iterable[str | Path], *, prune: bool = False, progress: ProgressFn | None = None,
            embed_batch_chunks: int | None = None, annotate_workers: int | None = None,
            executor: str | None = None, options: ExecutorOptions | None = None) -> IngestReport:
        """Ingest ``paths``. ``executor`` prepares the documents (None: ``pipelined``, whose
        ``embed_batch_chunks`` is the chunks embedded together and ``annotate_workers`` its
        spaCy processes: 0 annotates in this process, None one per core); ``options`` are
        the executor's (workers, cluster address). Raises ``IngestStopped`` when the run
        stops part-way; every per-file failure is in the report."""
        if executor is None:
            executor = "pipelined"
            options = ExecutorOptions(workers=annotate_workers, batch_chunks=embed_batch_chunks)
        driver = Driver(self.store, self.local, self.writer, self.settings, self.cfg_hash, self.embedder)
        return driver.run(paths, prune=prune, progress=progress, executor_name=executor, options=options)
