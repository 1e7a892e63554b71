"""Ingest with the preparing done by an executor's workers (``--workers N``, ``--dask``):
this process reads the files, sends each changed document to a worker
(``executors.tasks.prepare_documents``: clean, chunk, annotate, embed), and writes what
comes back through its one ``IndexWriter``, in commits of ``COMMIT_CHUNKS`` chunks.

What a worker sends back is all of a document (chunks, vectors, annotations) and only
this process writes, so a worker that dies loses nothing: its task's documents are
tried again (alone, on whichever worker is left), and a document that still cannot be
prepared after ``ATTEMPTS`` tries is reported failed, with why, and never half-written.
The rest of the run lands. Skipping unchanged files, chunk ids and the write order
(chunks, then the record) are those of ``pipeline``, so a re-run is as idempotent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.ingest.executors import ExecutorOptions, Session, executor
from assistant.ingest.executors.tasks import Failed, Prepared, PrepareSpec, SourceTask, Unchanged
from assistant.ingest.pipeline import COMMIT_CHUNKS, FileResult, Ingestor, IngestReport, ProgressFn, unchanged
from assistant.ingest.stages import load

#: Documents per task: one embedding call across them and one round trip, small enough
#: that a dead worker costs little and the workers' load stays even (as ``pipeline``'s
#: annotation tasks).
TASK_DOCS = 4
#: Tries of a document in all: with its task, then alone (twice) after a failure.
ATTEMPTS = 3


def spec_for(ingestor: Ingestor) -> PrepareSpec:
    """What the workers need to prepare documents as this ingest would."""
    recipe = getattr(ingestor.embedder, "recipe", None)
    if recipe is None:
        raise ConfigError(
            f"the embedder {ingestor.embedder.name!r} cannot be rebuilt in worker processes (it has no recipe())",
            fix="ingest without --workers/--dask, or use the bundled model or HashingEmbedder")
    s = ingestor.settings
    return PrepareSpec(s.chunk_tokens, s.chunk_overlap_tokens, recipe())


class Fanout:
    """One run of an ingest whose documents are prepared by ``executor_name``'s workers."""

    def __init__(self, ingestor: Ingestor, executor_name: str, options: ExecutorOptions) -> None:
        self.ing = ingestor
        self.executor = executor(executor_name)
        self.options = options
        self.spec = spec_for(ingestor)
        self.session: Session | None = None
        #: Where the documents were prepared (empty until a worker was needed).
        self.where = ""

    def _session(self) -> Session:
        # Started on the first changed document: a run with nothing new starts no worker.
        if self.session is None:
            self.session = self.executor.open(self.spec, self.options)
            self.where = self.session.describe()
        return self.session

    def run(self, paths: Iterable[str | Path], *, prune: bool = False,
            progress: ProgressFn | None = None) -> IngestReport:
        from assistant.ingest.loaders import LoadFailure

        t0 = time.perf_counter()
        ing = self.ing
        report = IngestReport()
        ing.local.sync(ing.store)
        existing = ing.store.doc_records()
        seen: set[str] = set()
        # Same cleaned content under another doc_id: indexed, but noted (cited twice).
        self.owners: dict[str, str] = {}
        for did in sorted(existing):
            self.owners.setdefault(existing[did].content_hash, did)
        self.report, self.progress, self.existing = report, progress, existing
        self.pending: dict[int, tuple[list[SourceTask], int]] = {}
        self.batch: list[Prepared] = []
        self.next_key = 0
        group: list[SourceTask] = []
        ok = False
        try:
            # Deferred: a scanned PDF is OCRed by the worker that prepares it, not here.
            for item in load(paths, defer=True):
                if isinstance(item, LoadFailure):
                    self._record(FileResult(item.source, "", "failed", item.reason))
                    continue
                seen.add(item.doc_id)
                old = existing.get(item.doc_id)
                same_cfg = old is not None and old.config_hash == ing.cfg_hash
                if unchanged(old, item, ing.cfg_hash):
                    self._record(FileResult(item.source, item.doc_id, "unchanged", chunks=old.n_chunks))
                    continue
                group.append(SourceTask(item, old.content_hash if same_cfg else ""))
                if len(group) >= TASK_DOCS:
                    self._submit(group, 1)
                    group = []
                while self.session is not None and len(self.pending) >= self.session.capacity:
                    self._take_one()
            if group:
                self._submit(group, 1)
            while self.pending:
                self._take_one()
            self._commit()
            ok = True
        finally:
            if self.session is not None:
                self.session.close(cancel=not ok)
        return ing.finish_run(report, existing, seen, prune=prune, started=t0)

    # -- tasks ---------------------------------------------------------------------------
    def _submit(self, tasks: list[SourceTask], attempt: int) -> None:
        session = self._session()
        key = self.next_key
        self.next_key += 1
        self.pending[key] = (tasks, attempt)
        session.submit(key, tasks)

    def _take_one(self) -> None:
        got = next(self._session().completed(), None)
        if got is None:  # pragma: no cover - the session lost a task: a bug in an executor
            raise RuntimeError(f"{self.where} finished with {len(self.pending)} tasks unanswered")
        key, result = got
        tasks, attempt = self.pending.pop(key)
        if isinstance(result, BaseException):
            self._task_failed(tasks, attempt, result)
            return
        for outcome in result:
            self._outcome(outcome)
        if sum(len(p.chunks) for p in self.batch) >= COMMIT_CHUNKS:
            self._commit()

    def _task_failed(self, tasks: list[SourceTask], attempt: int, exc: BaseException) -> None:
        """A whole task failed (its worker died, or could not load a model): its
        documents are tried again alone, or after ``ATTEMPTS`` tries reported failed."""
        if attempt < ATTEMPTS:
            for t in tasks:
                self._submit([t], attempt + 1)
            return
        why = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        for t in tasks:
            self._record(FileResult(
                t.raw.source, t.raw.doc_id, "failed",
                f"not prepared after {ATTEMPTS} tries on {self.where} (last: {why}); nothing of it was "
                f"written: run the ingest again to retry it"))

    def _outcome(self, outcome: Any) -> None:
        if isinstance(outcome, Prepared):
            self.batch.append(outcome)
        elif isinstance(outcome, Unchanged):
            self.ing.writer.touch(outcome.doc_id, outcome.raw_hash, outcome.source)
            old = self.existing.get(outcome.doc_id)
            self._record(FileResult(outcome.source, outcome.doc_id, "unchanged", chunks=old.n_chunks if old else 0))
        elif isinstance(outcome, Failed):
            self._record(FileResult(outcome.source, outcome.doc_id, "failed", outcome.reason))

    def _commit(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        self.ing.writer.write_batch([(p.doc, p.chunks, p.vectors, p.annotations) for p in batch])
        for p in batch:
            twin = self.owners.setdefault(p.doc.content_hash, p.doc.doc_id)
            note = f"same content as {twin}" if twin != p.doc.doc_id else ""
            status = "updated" if p.doc.doc_id in self.existing else "added"
            self._record(FileResult(p.doc.source, p.doc.doc_id, status, note, chunks=len(p.chunks)))

    def _record(self, res: FileResult) -> None:
        self.report.results.append(res)
        if self.progress:
            self.progress("doc", res)
