"""The one driver of every ingest: read the files, skip what is unchanged, send the rest
to an executor (``executors``: ``pipelined`` by default, ``processes`` for ``--workers``,
``dask`` for ``--dask``, ``inline``), write what comes back through the one
``IndexWriter``, and account for every file.

Failures are handled here once, whichever executor prepared the documents:

- a document that fails in a stage (loader, cleaning, chunking, annotation, embedding,
  writing) is a ``FileResult`` naming the file, the stage and why, MemoryError included,
  and the rest of the run goes on;
- a task lost with its worker is tried again, its documents alone, up to ``ATTEMPTS`` times
  in all, then reported naming the stage the worker was at (a task that was only queued on
  that worker, and never began, is sent again as it was, not counted);
- anything that is not one file's (the store unreachable, the disk full, the writer out of
  memory, an error in a thread of the run) stops the run: ``IngestStopped`` names it and
  lists the documents committed so far, which stay; running the command again completes it.

Documents are written whole or not at all (chunks, then the record: ``index.store``), so
a stopped or killed run leaves no half-written document, and chunk ids come from content,
so a re-run converges to the index a clean run builds.
"""

from __future__ import annotations

import errno
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError, IngestStopped, ServerUnavailable
from assistant.index.cache import LocalIndex
from assistant.index.lock import write_lock
from assistant.index.store import DocRecord, Store
from assistant.ingest.executors.registry import ExecutorOptions, Session, TaskLost, executor
from assistant.ingest.executors.tasks import Failed, Prepared, PrepareSpec, SourceTask, Unchanged
from assistant.ingest.report import FileResult, IngestReport, ProgressFn
from assistant.ingest.stages import failure, load
from assistant.ingest.writer import IndexWriter

#: Documents per task: one ``nlp.pipe`` and one embedding call across them, one round trip
#: to a worker; small enough that a dead worker costs little and the workers' load stays
#: even. 4 news articles are ~5-8 spaCy texts, and batches of 4-64 texts parse at the same
#: speed, 25-30% faster than one at a time (eval/reports/ingest-tuning.json).
TASK_DOCS = 4
#: Tries of a document in all: with its task, then alone (twice) after the task was lost.
ATTEMPTS = 3
#: Times a task lost before it began (queued on a Dask worker that died running another
#: task) is sent again without counting against ``ATTEMPTS``: its documents are not to
#: blame, and a cluster that loses every task before it begins still ends.
UNSTARTED_RETRIES = 3
#: Chunks written together: each Chroma call carries many rows (24 -> 3.5 ms per chunk
#: batched, README "Performance"); a killed ingest redoes at most this much.
COMMIT_CHUNKS = 256
#: Loaded documents read ahead by the loader thread, so reading files overlaps the
#: embedder; bounded, so a directory of large files never piles up in memory.
PREFETCH = 8

#: The fix of a stop whose cause is not known (a transient fault, or a bug).
_UNEXPECTED_FIX = ("run the same command again: it keeps what was committed and completes the rest; if it "
                   "stops the same way, please report this message")
#: Words of errors that are the machine's or the store's, not one document's.
_ENVIRONMENT_WORDS = ("disk is full", "database or disk is full", "no space left", "disk i/o error",
                      "readonly database", "read-only file system", "unable to open database")


def unchanged(old: Any, raw: Any, cfg_hash: str) -> bool:
    """Whether a loaded file is already in the index as it is: same source, same raw bytes,
    ingested under the same configuration (``old`` is its stored record, or None)."""
    return (old is not None and old.config_hash == cfg_hash and old.raw_hash == raw.raw_hash
            and old.source == raw.source)


def environmental(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is not one document's fault: out of memory while
    writing, the store unreachable, the disk full or failing."""
    e: BaseException | None = exc
    for _ in range(10):
        if e is None:
            return False
        if isinstance(e, (MemoryError, ServerUnavailable)):
            return True
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EIO, errno.EROFS, errno.EDQUOT):
            return True
        ours = isinstance(e, (OSError, sqlite3.OperationalError)) or type(e).__module__.startswith("chromadb")
        if ours and any(w in str(e).lower() for w in _ENVIRONMENT_WORDS):
            return True
        e = e.__cause__ or e.__context__
    return False


class _Prefetch:
    """The loader's documents, read ahead in a thread (``ingest-load``); an error escaping
    the loader (a bug: loaders turn every file's error into a ``LoadFailure``) is raised
    here, in the driver."""

    _END = object()

    def __init__(self, items: Iterator[Any], ahead: int) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), daemon=True, name="ingest-load")
        self._thread.start()

    def _run(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the driver, which stops the run with it
            self._put(exc)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self._q.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


class Driver:
    """Runs ingests into one store + local cache through one writer."""

    def __init__(self, store: Store, local: LocalIndex, writer: IndexWriter, settings: Settings, cfg_hash: str,
                 embedder: Any) -> None:
        self.store, self.local, self.writer = store, local, writer
        self.settings, self.cfg_hash, self.embedder = settings, cfg_hash, embedder

    # -- entry point ---------------------------------------------------------------------
    def run(self, paths: Iterable[str | Path], *, prune: bool = False, progress: ProgressFn | None = None,
            executor_name: str = "pipelined", options: ExecutorOptions | None = None) -> IngestReport:
        """Ingest ``paths`` with ``executor_name``'s workers preparing the documents."""
        self._t0 = time.perf_counter()
        self.report = IngestReport()
        self.progress = progress
        self.executor = executor(executor_name)
        self.options = replace(options or ExecutorOptions(), embedder=self.embedder)
        self.spec = self._spec()
        self.session: Session | None = None
        #: submission -> (its tasks, tries counted, resends of it lost before it began)
        self.pending: dict[int, tuple[list[SourceTask], int, int]] = {}
        self.batch: list[Prepared] = []
        self.next_key = 0
        self.wrote = False
        ok = False
        try:
            with write_lock(self.settings):  # the cache may need a sync: a write, readers wait
                self.local.sync(self.store)
            # The cache now matches the store, and the ingest lock keeps it so: the stored
            # records of the documents given are looked up there, one by one.
            self.existing = _Existing(self.local)
            self.seen: set[str] = set()
            # Same cleaned content under another doc_id: indexed, but noted (cited twice).
            self.owners: dict[str, str] = {}
            self._feed(paths)
            while self.pending:
                self._take_one()
            self._commit()
            ok = True
        except (IngestStopped, KeyboardInterrupt):
            raise
        except AssistantError:
            if self.wrote:
                raise self._stopped(*_why()) from None
            raise  # nothing written yet: the error as it is (a usage error, exit 2)
        except Exception as exc:  # not one document's, and not known: a thread of the run died
            raise self._stopped(f"{type(exc).__name__}: {exc}", _UNEXPECTED_FIX) from exc
        finally:
            if self.session is not None:
                self.session.close(cancel=not ok)
        try:
            return self._finish(prune)
        except IngestStopped:
            raise
        except Exception as exc:
            raise self._stopped(f"{type(exc).__name__}: {exc} (while removing pruned documents or rebuilding "
                                "the search index)", _UNEXPECTED_FIX) from exc

    def _spec(self) -> PrepareSpec:
        recipe = getattr(self.embedder, "recipe", None)
        s = self.settings
        return PrepareSpec(s.chunk_tokens, s.chunk_overlap_tokens, recipe() if recipe is not None else None,
                           max_document_chars=s.max_document_chars)

    def _feed(self, paths: Iterable[str | Path]) -> None:
        from assistant.ingest.loaders import LoadFailure

        group: list[SourceTask] = []
        # Executors whose workers prepare the documents also finish reading them: a scanned
        # PDF's OCR runs there (``defers_reading``), not in this process's reading thread.
        loaded = _Prefetch(load(paths, self.settings.max_document_chars,
                                defer=getattr(self.executor, "defers_reading", False)), PREFETCH)
        try:
            for item in loaded:
                if isinstance(item, LoadFailure):
                    self._record(FileResult(item.source, "", "failed", item.reason, stage="loader"))
                    continue
                self.seen.add(item.doc_id)
                old = self.existing.get(item.doc_id)
                if unchanged(old, item, self.cfg_hash):
                    self._record(FileResult(item.source, item.doc_id, "unchanged", chunks=old.n_chunks))
                    continue
                same_cfg = old is not None and old.config_hash == self.cfg_hash
                group.append(SourceTask(item, old.content_hash if same_cfg else ""))
                if len(group) >= TASK_DOCS:
                    self._submit(group, 1)
                    group = []
                while self.session is not None and len(self.pending) >= self.session.capacity:
                    self._take_one()
        finally:
            loaded.close()
        if group:
            self._submit(group, 1)

    # -- tasks ---------------------------------------------------------------------------
    def _open(self) -> Session:
        # Started on the first changed document: a run with nothing new starts no worker.
        if self.session is None:
            self.session = self.executor.open(self.spec, self.options)
            self.report.where = self.session.describe()
        return self.session

    def _submit(self, tasks: list[SourceTask], attempt: int, unstarted: int = 0) -> None:
        session = self._open()
        key = self.next_key
        self.next_key += 1
        self.pending[key] = (tasks, attempt, unstarted)
        session.submit(key, tasks)

    def _take_one(self) -> None:
        got = next(self._open().completed(), None)
        if got is None:  # pragma: no cover - the session lost a task: a bug in an executor
            raise RuntimeError(f"{self.report.where or 'the executor'} finished with {len(self.pending)} "
                               "tasks unanswered")
        key, result = got
        tasks, attempt, unstarted = self.pending.pop(key)
        if isinstance(result, BaseException):
            if isinstance(result, TaskLost) and not result.started and unstarted < UNSTARTED_RETRIES:
                self._submit(tasks, attempt, unstarted + 1)  # as it was: no try counted against it
                return
            self._task_failed(tasks, attempt, result)
            return
        for outcome in result:
            self._outcome(outcome)
        if sum(len(p.chunks) for p in self.batch) >= COMMIT_CHUNKS:
            self._commit()

    def _task_failed(self, tasks: list[SourceTask], attempt: int, exc: BaseException) -> None:
        """A whole task was lost (its worker died, or could not load a model): its
        documents are tried again alone, or after ``ATTEMPTS`` tries reported failed."""
        if attempt < ATTEMPTS:
            for t in tasks:
                self._submit([t], attempt + 1)
            return
        why = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        stage = exc.stage if isinstance(exc, TaskLost) else ""
        where = self.report.where or "this machine"
        for t in tasks:
            self._record(FileResult(
                t.raw.source, t.raw.doc_id, "failed",
                f"not prepared after {ATTEMPTS} tries on {where} (last: {why}); nothing of it was "
                f"written: run the ingest again to retry it", stage=stage))

    def _outcome(self, outcome: Any) -> None:
        if isinstance(outcome, Prepared):
            self.batch.append(outcome)
        elif isinstance(outcome, Unchanged):
            try:
                self.wrote = True
                self.writer.touch(outcome.doc_id, outcome.raw_hash, outcome.source)
            except Exception as exc:
                self.writer.failed = True
                if environmental(exc):
                    raise self._stopped(*_why(exc)) from exc
                f = failure("writing", exc)
                self._record(FileResult(outcome.source, outcome.doc_id, "failed", f.reason, stage="writing"))
                return
            old = self.existing.get(outcome.doc_id)
            self._record(FileResult(outcome.source, outcome.doc_id, "unchanged", chunks=old.n_chunks if old else 0))
        elif isinstance(outcome, Failed):
            self._record(FileResult(outcome.source, outcome.doc_id, "failed", outcome.reason, stage=outcome.stage))

    # -- writing -------------------------------------------------------------------------
    def _commit(self) -> None:
        """Write the prepared documents together; if that fails, one at a time, so only a
        document the store refuses alone fails. Environmental errors stop the run."""
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        self.wrote = True
        for p in batch:  # who had this content before this batch is written
            h = p.doc.content_hash
            if h not in self.owners and (owner := self.local.owner(h)) is not None:
                self.owners[h] = owner
        try:
            self.writer.write_batch([(p.doc, p.chunks, p.vectors, p.annotations) for p in batch])
            written = batch
        except Exception as exc:
            self.writer.failed = True
            if environmental(exc):
                raise self._stopped(*_why(exc, batch)) from exc
            written = []
            for p in batch:
                try:
                    self.writer.write_batch([(p.doc, p.chunks, p.vectors, p.annotations)])
                    written.append(p)
                except Exception as one:
                    if environmental(one):
                        raise self._stopped(*_why(one, [p])) from one
                    f = failure("writing", one)
                    self._record(FileResult(p.doc.source, p.doc.doc_id, "failed", f.reason, stage="writing"))
        for p in written:
            twin = self.owners.setdefault(p.doc.content_hash, p.doc.doc_id)
            note = f"same content as {twin}" if twin != p.doc.doc_id else ""
            status = "updated" if p.doc.doc_id in self.existing else "added"
            self._record(FileResult(p.doc.source, p.doc.doc_id, status, note, chunks=len(p.chunks)))

    def _finish(self, prune: bool) -> IngestReport:
        """After the last write: prune documents whose files are gone, rebuild and publish
        the derived structures if anything changed, and total up."""
        report = self.report
        if prune:
            for doc_id in self.existing.ids():
                if doc_id in self.seen or (rec := self.existing.get(doc_id)) is None:
                    continue
                src = rec.source  # the file path, also for JSONL documents (loaders)
                if not src or not Path(src).exists() or _same_file_source(src, report):
                    self.writer.remove(doc_id)
                    report.results.append(FileResult(rec.source, doc_id, "removed"))
        changed = any(r.status in ("added", "updated", "removed") for r in report.results)
        report.total_docs, report.total_chunks = self.writer.finish(changed)
        report.seconds = time.perf_counter() - self._t0
        return report

    def _stopped(self, why: str, fix: str = "") -> IngestStopped:
        done = self.report.committed
        self.report.seconds = time.perf_counter() - self._t0
        return IngestStopped(
            f"the ingest stopped: {why}; {len(done)} document(s) were committed before it stopped and stay in "
            f"the index", committed=done, report=self.report,
            fix=fix or "run the same command again: it keeps what was committed and completes the rest")

    def _record(self, res: FileResult) -> None:
        self.report.results.append(res)
        if self.progress:
            self.progress("doc", res)


class _Existing:
    """The stored records of the documents an ingest meets, each read from the cache the
    first time it is asked for and kept: the run sees the index as it was when it began."""

    def __init__(self, local: LocalIndex) -> None:
        self._local = local
        self._seen: dict[str, DocRecord | None] = {}

    def get(self, doc_id: str) -> DocRecord | None:
        if doc_id not in self._seen:
            self._seen[doc_id] = self._local.record(doc_id)
        return self._seen[doc_id]

    def __contains__(self, doc_id: str) -> bool:
        return self.get(doc_id) is not None

    def ids(self) -> list[str]:
        """Every stored document's id (to prune: the only whole-corpus read, ids only)."""
        return self._local.doc_ids()


def _why(exc: BaseException | None = None, batch: list[Prepared] | None = None) -> tuple[str, str]:
    """(what stopped the run, its fix) for an environmental error while writing ``batch``."""
    import sys

    exc = exc or sys.exc_info()[1]
    what = f"while writing {', '.join(p.doc.doc_id for p in batch[:5])}" + (
        f" and {len(batch) - 5} more" if len(batch) > 5 else "") if batch else ""
    if isinstance(exc, AssistantError):
        return (f"{exc.message}" + (f" ({what})" if what else ""), exc.fix and
                f"{exc.fix}; then run the same command again: it keeps what was committed and completes the rest")
    if isinstance(exc, MemoryError):
        return (f"out of memory {what}".strip(),
                "free memory (or ingest fewer or smaller files at a time), then run the same command again: "
                "it keeps what was committed and completes the rest")
    return f"{type(exc).__name__}: {exc}" + (f" ({what})" if what else ""), ""


def _same_file_source(source: str, report: IngestReport) -> bool:
    """A JSONL line's document whose file was re-read in this run but no longer holds it."""
    return any(r.source == source for r in report.results if r.status != "failed")


