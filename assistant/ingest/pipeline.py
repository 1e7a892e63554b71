"""Ingest: files -> cleaned documents -> chunks + annotations -> vectors -> Chroma.

Incremental and idempotent. A file whose raw bytes (or cleaned content) and
index settings are unchanged is skipped without cleaning, parsing or
embedding; a changed file replaces its chunks; ``prune`` removes documents
whose files are gone. Chunk ids derive from content, and each document's record
is written after its chunks (see ``store``), so a killed ingest leaves a usable
index that the next run completes without duplicates.

Both CPU-bound stages are kept busy. The producer stages (``stages``: load, clean,
chunk, annotate) run in a background thread, and spaCy annotation, the costlier
of them, in worker processes (``workers``) that share no interpreter lock with the
embedder. The embedder, in this process, is given the cores the workers leave
(``embed_threads``) before each batch. ``writer.IndexWriter`` does every write.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from assistant.config import ENV_INGEST_WORKERS, Settings
from assistant.errors import AssistantError, IndexLocked
from assistant.index.cache import LocalIndex
from assistant.index.embedding import Embedder
from assistant.index.store import DocRecord, Store, config_hash, index_config
from assistant.ingest.stages import NLP_BATCH, Chunked, annotate_documents, chunk, clean, embed_inputs, load
from assistant.ingest.writer import IndexWriter


@dataclass
class FileResult:
    source: str
    doc_id: str
    status: str  # added | updated | unchanged | failed | removed
    reason: str = ""
    chunks: int = 0


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    total_docs: int = 0
    total_chunks: int = 0
    #: Where documents were prepared when workers did it ("2 local worker processes").
    where: str = ""

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def chunks_written(self) -> int:
        return sum(r.chunks for r in self.results if r.status in ("added", "updated"))

    @property
    def failures(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        """False only when something failed and nothing could be ingested."""
        return not self.failures or any(r.status != "failed" for r in self.results)

    def summary(self) -> str:
        return (
            f"documents: {self.count('added')} added, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, {self.count('failed')} failed"
            + (f", {self.count('removed')} removed" if self.count("removed") else "")
            + f"; chunks written: {self.chunks_written} (index: {self.total_docs} documents, "
            f"{self.total_chunks} chunks); {self.seconds:.1f} s"
            + (f"; prepared by {self.where}" if self.where else "")
        )


ProgressFn = Callable[[str, FileResult | None], None]


#: How often (seconds) a waiting ingest tries the lock again: a person waiting cannot tell
#: 0.2 s from at once, and the retries cost nothing.
LOCK_POLL_SECONDS = 0.2


@contextlib.contextmanager
def ingest_lock(settings: Settings, *, wait: bool = True, on_wait: Callable[[str], None] | None = None,
                timeout: float | None = None) -> Iterator[None]:
    """One ingest per index at a time, on every platform: ``filelock`` (``flock`` on Unix,
    ``msvcrt.locking`` on Windows), freed by the OS if the process dies. The holder's pid
    is written beside the lock, to name it to whoever waits."""
    path = settings.cache_dir
    path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path / "ingest.lock"))
    pid_file = path / "ingest.lock.pid"
    try:
        lock.acquire(timeout=0)
    except Timeout:
        try:
            holder = pid_file.read_text(encoding="utf-8").strip() or "?"
        except OSError:
            holder = "?"
        msg = f"another ingest (pid {holder}) is writing to {settings.where}"
        if not wait:
            raise IndexLocked(msg, fix="wait for it to finish, then run the command again") from None
        if on_wait:
            on_wait(msg + "; waiting for it to finish...")
        try:
            lock.acquire(timeout=-1 if timeout is None else timeout, poll_interval=LOCK_POLL_SECONDS)
        except Timeout:
            raise IndexLocked(msg, fix="wait for it to finish, then run the command again") from None
    try:
        with contextlib.suppress(OSError):  # the pid is only a courtesy to whoever waits
            pid_file.write_text(str(os.getpid()), encoding="utf-8")
        yield
    finally:
        lock.release()


#: Chunks embedded and written together: enough that sorting them by length keeps the
#: model's padding low and that each Chroma call carries many rows (the thread count is
#: set per model batch inside a commit, so its size does not slow that down). Measured
#: with ``tools/tune_ingest.py`` on 80 polnear articles (eval/reports/ingest-tuning.json):
#: 64 -> 22.5, 128 -> 24.5, 256 -> 26.7 chunks/s (best of 2 rounds, load average ~2).
#: A killed ingest redoes at most this much.
COMMIT_CHUNKS = 256
#: Texts per embedding call when the embedder does not say its batch size; the thread
#: count is set again before each call.
EMBED_STEP = 32
#: A run with fewer documents to annotate than this annotates them in this process:
#: starting the workers costs a spaCy load each (1.3 s of CPU, 2.8 s to the first result
#: on a loaded machine). In eval/reports/ingest-tuning.json runs of 4-32 polnear articles
#: were done sooner in one process (32: 18.3 s against 21.7 s with 2 workers).
POOL_MIN_DOCS = 32
#: Documents per task sent to a worker, parsed together by one ``nlp.pipe``: 4 news
#: articles are ~5-8 spaCy texts, and batches of 4-64 texts parse at the same speed,
#: 25-30% faster than one at a time (eval/reports/ingest-tuning.json: 4928 tokens/s
#: alone, 6425-6600 in batches). Small tasks keep the workers' load even.
TASK_DOCS = 4
#: Worker tasks (annotated or in progress) queued ahead of the embedder: about 64
#: documents, two commits of news articles. Enough that the workers stay busy while a
#: commit is embedded; bounded so that memory stays flat and, when annotation is ahead,
#: the workers go idle and the embedder takes their cores (``_embed``).
QUEUE_TASKS = 16


def annotation_workers(cores: int) -> int:
    """Annotation processes for ``cores`` CPUs: one per core, the embedder taking the cores
    they leave idle (one machine kind may be bound by either stage; see ``embed_threads``)."""
    env = os.environ.get(ENV_INGEST_WORKERS, "").strip()
    if env.isdigit():
        return int(env)
    return cores if cores > 1 else 0


def embed_threads(cores: int, busy_workers: int) -> int:
    """Threads for the next embedding batch: the cores the annotation workers leave, at
    least one (with every core annotating, the embedder shares one with them)."""
    return max(1, cores - busy_workers)


@dataclass
class _Work:
    """A document on its way: chunked, waiting for its annotations and vectors."""

    item: Chunked
    status: str
    note: str = ""


class _Done:
    """A finished future (annotations made in this process)."""

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value, self._error = value, error

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


@dataclass
class _Group:
    """Documents annotated together (one worker task), in source order."""

    works: list[_Work]
    annotations: Any  # Future[list[dict]] or _Done


class _Annotator:
    """The producer's side of annotation: in this process for small runs, else in worker
    processes, in tasks of ``TASK_DOCS`` documents. Emits items in source order."""

    def __init__(self, out: queue.Queue, workers: int) -> None:
        self.out = out
        self.workers = workers
        self.pool: Any = None
        self.decided = workers == 0  # inline from the start when there are no workers
        self.held: list[Any] = []  # items kept until the run proves big enough for workers
        self.group: list[_Work] = []

    def busy(self) -> int:
        return self.pool.busy() if self.pool is not None else 0

    def put(self, item: Any) -> None:
        """A ``FileResult`` or a ``_Work``, in source order."""
        if not self.decided:
            self.held.append(item)
            if sum(isinstance(i, _Work) for i in self.held) >= POOL_MIN_DOCS:
                self._start_pool()
            return
        self._emit(item)

    def _start_pool(self) -> None:
        from assistant.ingest.workers import AnnotationPool

        try:
            self.pool = AnnotationPool(self.workers, NLP_BATCH)
        except Exception:  # no process support here: annotate in this process
            self.pool = None
        self._replay()

    def _replay(self) -> None:
        self.decided = True
        held, self.held = self.held, []
        for item in held:
            self._emit(item)

    def _emit(self, item: Any) -> None:
        if not isinstance(item, _Work):
            self._flush()
            self.out.put(item)
            return
        if self.pool is None:
            self.out.put(_Group([item], _annotate_here([item])))
            return
        self.group.append(item)
        if len(self.group) >= TASK_DOCS:
            self._flush()

    def _flush(self) -> None:
        if not self.group:
            return
        group, self.group = self.group, []
        try:
            fut = self.pool.submit([(w.item.doc, w.item.sentences) for w in group])
        except Exception:  # a broken pool: the rest of the run annotates here
            self.pool = None
            fut = _annotate_here(group)
        self.out.put(_Group(group, fut))

    def finish(self) -> None:
        if not self.decided:
            self._replay()
        self._flush()

    def close(self, cancel: bool) -> None:
        if self.pool is not None:
            self.pool.close(cancel=cancel)


def _annotate_here(works: list[_Work]) -> _Done:
    try:
        return _Done(annotate_documents([(w.item.doc, w.item.sentences) for w in works]))
    except Exception as exc:  # the consumer retries document by document
        return _Done(error=exc)


def unchanged(old: Any, raw: Any, cfg_hash: str) -> bool:
    """Whether a loaded file is already in the index as it is: same source, same raw bytes,
    ingested under the same configuration (``old`` is its stored record, or None)."""
    return (old is not None and old.config_hash == cfg_hash and old.raw_hash == raw.raw_hash
            and old.source == raw.source)


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

    # -- producer ------------------------------------------------------------------------
    def _prepare(self, sources: Iterable[Any], existing: dict[str, DocRecord], seen: set[str],
                 annotator: _Annotator, stop: threading.Event) -> None:
        """Read, clean and chunk each source; hand it to the annotator (or a FileResult)."""
        from assistant.ingest.chunking import get_tokenizer
        from assistant.ingest.loaders import LoadFailure

        tok = get_tokenizer()
        # Same cleaned content and metadata under another doc_id: indexed (ids are file names)
        # but reported, since its passages would be cited twice.
        owners: dict[str, str] = {}
        for did in sorted(existing):
            owners.setdefault(existing[did].content_hash, did)
        try:
            for item in sources:
                if stop.is_set():
                    return
                if isinstance(item, LoadFailure):
                    annotator.put(FileResult(item.source, "", "failed", item.reason))
                    continue
                raw = item
                seen.add(raw.doc_id)
                old = existing.get(raw.doc_id)
                same_cfg = old is not None and old.config_hash == self.cfg_hash
                if unchanged(old, raw, self.cfg_hash):
                    annotator.put(FileResult(raw.source, raw.doc_id, "unchanged", chunks=old.n_chunks))
                    continue
                try:
                    doc = clean(raw)
                    if not doc.text.strip():
                        annotator.put(FileResult(raw.source, raw.doc_id, "failed",
                                                 "nothing left after removing page furniture (see --show-cleaning)"))
                        continue
                    if same_cfg and old.content_hash == doc.content_hash:
                        self.writer.touch(doc.doc_id, doc.raw_hash, doc.source)
                        annotator.put(FileResult(raw.source, raw.doc_id, "unchanged", chunks=old.n_chunks))
                        continue
                    cut = chunk(doc, self.settings.chunk_tokens, self.settings.chunk_overlap_tokens, tok)
                    twin = owners.setdefault(doc.content_hash, doc.doc_id)
                    note = f"same content as {twin}" if twin != doc.doc_id else ""
                    annotator.put(_Work(cut, "updated" if old else "added", note))
                except AssistantError as exc:
                    annotator.put(FileResult(raw.source, raw.doc_id, "failed", str(exc)))
                except Exception as exc:  # one bad document must not stop the batch
                    annotator.put(FileResult(raw.source, raw.doc_id, "failed", f"{type(exc).__name__}: {exc}"))
            annotator.finish()
        finally:
            annotator.out.put(None)

    # -- consumer ------------------------------------------------------------------------
    def _annotations(self, group: _Group) -> list[tuple[_Work, dict[str, Any] | None, str]]:
        """(work, annotations or None, why not) for each document of a group. A failed
        task (a worker died, or spaCy failed on one document) is redone here, one
        document at a time, so only a document that fails alone is reported failed."""
        try:
            return [(w, a, "") for w, a in zip(group.works, group.annotations.result(), strict=True)]
        except Exception:
            pass
        out: list[tuple[_Work, dict[str, Any] | None, str]] = []
        for w in group.works:
            try:
                out.append((w, annotate_documents([(w.item.doc, w.item.sentences)])[0], ""))
            except AssistantError as exc:
                out.append((w, None, str(exc)))
            except Exception as exc:
                out.append((w, None, f"{type(exc).__name__}: {exc}"))
        return out

    def _embed(self, texts: list[str], threads: Callable[[], int | None]) -> np.ndarray:
        """Vectors for ``texts``, one model batch at a time, each on the threads that
        ``threads()`` gives just before it: the cores the annotation workers leave free
        change within a commit (they go idle when the queue ahead of the embedder is full).
        Texts are sorted by length first and cut into the model's own batches, so the
        batches, and hence the vectors, are those of a single ``embed_documents`` call."""
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        set_threads = getattr(self.embedder, "set_batch_threads", None)
        if set_threads is None:
            return self.embedder.embed_documents(texts)
        step = int(getattr(self.embedder, "batch_size", 0) or EMBED_STEP)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: np.ndarray | None = None
        try:
            for i in range(0, len(order), step):
                rows = order[i: i + step]
                set_threads(threads())
                vecs = self.embedder.embed_documents([texts[j] for j in rows])
                if out is None:
                    out = np.empty((len(texts), vecs.shape[1]), dtype=vecs.dtype)
                out[rows] = vecs
        finally:
            set_threads(None)
        return out  # type: ignore[return-value]

    def _commit(self, batch: list[tuple[_Work, dict[str, Any]]], report: IngestReport,
                progress: ProgressFn | None, threads: Callable[[], int | None]) -> None:
        texts = [t for w, _ in batch for t in embed_inputs(w.item.doc, w.item.chunks)]
        vectors = self._embed(texts, threads)
        items, pos = [], 0
        for w, ann in batch:
            n = len(w.item.chunks)
            items.append((w.item.doc, w.item.chunks, vectors[pos: pos + n], ann))
            pos += n
        self.writer.write_batch(items)
        for w, _ in batch:
            res = FileResult(w.item.doc.source, w.item.doc.doc_id, w.status, w.note, chunks=len(w.item.chunks))
            report.results.append(res)
            if progress:
                progress("doc", res)

    # -- entry point ---------------------------------------------------------------------
    def run(self, paths: Iterable[str | Path], *, prune: bool = False, progress: ProgressFn | None = None,
            embed_batch_chunks: int | None = None, annotate_workers: int | None = None) -> IngestReport:
        """Ingest ``paths``. ``embed_batch_chunks``: chunks per embedding batch and commit
        (None: ``COMMIT_CHUNKS``); ``annotate_workers``: spaCy processes (0: annotate in
        this process; None: ``annotation_workers``, one per core)."""
        from assistant.index.embedding import default_threads

        t0 = time.perf_counter()
        report = IngestReport()
        self.local.sync(self.store)
        existing = self.store.doc_records()
        seen: set[str] = set()
        cores = default_threads()
        embed_batch_chunks = embed_batch_chunks or COMMIT_CHUNKS
        workers = annotation_workers(cores) if annotate_workers is None else annotate_workers
        q: queue.Queue = queue.Queue(maxsize=QUEUE_TASKS if workers else 64)
        annotator = _Annotator(q, workers)
        stop = threading.Event()
        producer = threading.Thread(
            target=self._prepare, args=(load(paths), existing, seen, annotator, stop), daemon=True,
            name="ingest-prepare",
        )
        producer.start()
        batch: list[tuple[_Work, dict[str, Any]]] = []
        n_batch = 0
        ok = False

        def threads() -> int | None:
            return embed_threads(cores, annotator.busy()) if annotator.pool is not None else None

        try:
            while True:
                item = q.get()
                if item is None:
                    break
                if isinstance(item, FileResult):
                    report.results.append(item)
                    if progress:
                        progress("doc", item)
                    continue
                for w, ann, why in self._annotations(item):
                    if ann is None:
                        res = FileResult(w.item.doc.source, w.item.doc.doc_id, "failed", why)
                        report.results.append(res)
                        if progress:
                            progress("doc", res)
                        continue
                    batch.append((w, ann))
                    n_batch += len(w.item.chunks)
                if n_batch >= embed_batch_chunks:
                    self._commit(batch, report, progress, threads)
                    batch, n_batch = [], 0
            if batch:
                self._commit(batch, report, progress, lambda: None)  # the workers are done: every core
            ok = True
        finally:
            stop.set()
            # Drain so a blocked producer can see the stop flag and exit.
            while producer.is_alive():
                with contextlib.suppress(queue.Empty):
                    q.get(timeout=0.1)
            annotator.close(cancel=not ok)
        return self.finish_run(report, existing, seen, prune=prune, started=t0)

    def finish_run(self, report: IngestReport, existing: dict[str, DocRecord], seen: set[str], *,
                   prune: bool, started: float) -> IngestReport:
        """After the last write of a run (here or ``fanout``): prune documents whose files
        are gone, rebuild the derived structures if anything changed, and total up."""
        if prune:
            for doc_id, rec in existing.items():
                if doc_id in seen:
                    continue
                src = rec.source  # the file path, also for JSONL documents (loaders.py)
                if not src or not Path(src).exists() or _same_file_source(src, report):
                    self.writer.remove(doc_id)
                    report.results.append(FileResult(rec.source, doc_id, "removed"))
        changed = any(r.status in ("added", "updated", "removed") for r in report.results)
        report.total_docs, report.total_chunks = self.writer.finish(changed)
        report.seconds = time.perf_counter() - started
        return report


def _same_file_source(source: str, report: IngestReport) -> bool:
    """A JSONL line's document whose file was re-read in this run but no longer holds it."""
    return any(r.source == source for r in report.results if r.status != "failed")
