"""The default executor: every stage on this machine, where it runs best.

    cleaning, chunking   a thread of the ingesting process (``ingest-prepare``)
    annotation (spaCy)   ``workers.AnnotationPool`` processes, one per core, which share no
                         interpreter lock with the embedder; in this process for runs too
                         small to pay for starting them (``POOL_MIN_DOCS``)
    embedding            this process, with the ingest's own embedder, ``EMBED_CHUNKS``
                         chunks at a time sorted by length, each model batch on the cores
                         the busy workers leave (``embed_threads``)

It answers the driver (``ingest.driver``) as every executor does: each task's documents as
``Prepared``, ``Unchanged`` or ``Failed`` (naming the stage), or the task's loss when an
annotation worker died with it (the driver then tries its documents again alone). Any
other error in the thread reaches the driver, which stops the run: nothing is lost silently.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.config import ENV_INGEST_WORKERS
from assistant.ingest.executors.registry import EXECUTORS, ExecutorOptions, TaskLost
from assistant.ingest.executors.tasks import Failed, Outcome, Prepared, PrepareSpec, SourceTask, prepare_texts
from assistant.ingest.stages import NLP_BATCH, Chunked, annotate_each, embed_each

#: Chunks embedded together: enough that sorting them by length keeps the model's padding
#: low (the thread count is set per model batch, so the size does not slow that down).
#: Measured with ``tools/tune_ingest.py`` on 80 polnear articles
#: (eval/reports/ingest-tuning.json): 64 -> 22.5, 128 -> 24.5, 256 -> 26.7 chunks/s.
EMBED_CHUNKS = 256
#: Texts per embedding call when the embedder does not say its batch size; the thread
#: count is set again before each call.
EMBED_STEP = 32
#: A run with fewer documents than this annotates them in this process: starting the
#: workers costs a spaCy load each (1.3 s of CPU, 2.8 s to the first result on a loaded
#: machine). In eval/reports/ingest-tuning.json runs of 4-32 polnear articles were done
#: sooner in one process (32: 18.3 s against 21.7 s with 2 workers).
POOL_MIN_DOCS = 32
#: Tasks (of the driver's ``TASK_DOCS`` documents: one ``nlp.pipe`` each, 25-30% faster
#: than one text at a time) kept ahead of the embedder: about 64 documents, two commits of
#: news articles. Enough that the workers stay busy while a batch is embedded; bounded so
#: that memory stays flat and, when annotation is ahead, the workers go idle and the
#: embedder takes their cores.
QUEUE_TASKS = 16
#: Annotation workers started in place of dead ones, per worker (as ``processes``): a
#: document that kills its worker costs its retries, not a worker for the rest of the run.
RESPAWNS_PER_WORKER = 4


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


class _Done:
    """A finished future (annotations made in this process)."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def result(self) -> Any:
        return self._value


@dataclass
class _Task:
    """A submission on its way: each document cleaned and chunked (or its outcome), and
    the annotations of the chunked ones, coming."""

    key: int
    cut: list[Any]
    annotations: Any = None  # Future[list[dict | StageFailed]] or _Done

    @property
    def chunked(self) -> list[Chunked]:
        return [c for c in self.cut if isinstance(c, Chunked)]


class PipelinedSession:
    """One run of the pipelined executor (see the module's docstring)."""

    def __init__(self, spec: PrepareSpec, options: ExecutorOptions) -> None:
        from assistant.index.embedding import default_threads

        self.spec = spec
        self.embedder = options.embedder
        self.cores = default_threads()
        self.workers = annotation_workers(self.cores) if options.workers is None else options.workers
        self.batch_chunks = options.batch_chunks or EMBED_CHUNKS
        self.pool: Any = None
        self._decided = threading.Event()
        if self.workers == 0:
            self._decided.set()  # annotate here from the start
        self._submitted_docs = 0
        self._inbox: queue.Queue = queue.Queue()
        self._prepared: queue.Queue = queue.Queue()  # _Task in submission order, or the thread's error
        self._open = 0  # submitted, not yet answered
        self._batch: list[_Task] = []  # annotated, waiting to be embedded together
        self._results: deque[tuple[int, list[Outcome] | BaseException]] = deque()
        self._thread = threading.Thread(target=self._prepare_loop, daemon=True, name="ingest-prepare")
        self._thread.start()

    @property
    def capacity(self) -> int:
        """``QUEUE_TASKS`` ahead of the tasks waiting to be embedded together."""
        return QUEUE_TASKS + len(self._batch)

    def describe(self) -> str:
        return ""  # the default needs no mention in the report

    # -- the driver's side -----------------------------------------------------------------
    def submit(self, key: int, tasks: list[SourceTask]) -> None:
        self._open += 1
        self._submitted_docs += len(tasks)
        if not self._decided.is_set() and self._submitted_docs >= POOL_MIN_DOCS:
            self._start_pool()
        self._inbox.put((key, tasks))

    def completed(self) -> Iterator[tuple[int, list[Outcome] | BaseException]]:
        if not self._decided.is_set():
            self._decided.set()  # the run is too small for workers: annotate here
        while self._results or self._open:
            if not self._results:
                self._fill()
            key, value = self._results.popleft()
            self._open -= 1
            yield key, value

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            while True:
                try:
                    self._inbox.get_nowait()
                except queue.Empty:
                    break
        self._inbox.put(None)
        self._decided.set()
        self._thread.join(timeout=60)
        if self.pool is not None:
            self.pool.close(cancel=cancel)

    # -- preparing (the thread) ------------------------------------------------------------
    def _start_pool(self) -> None:
        from assistant.ingest.workers import AnnotationPool

        try:
            self.pool = AnnotationPool(self.workers, NLP_BATCH, respawn=RESPAWNS_PER_WORKER * self.workers)
        except Exception:  # no process support here: annotate in this process
            self.pool = None
        self._decided.set()

    def _prepare_loop(self) -> None:
        try:
            while True:
                item = self._inbox.get()
                if item is None:
                    return
                key, tasks = item
                task = _Task(key, prepare_texts(self.spec, tasks))
                if task.chunked:
                    self._decided.wait()
                    task.annotations = self._annotate([(c.doc, c.sentences) for c in task.chunked])
                self._prepared.put(task)
        except BaseException as exc:  # not one document's: the driver stops the run with it
            self._prepared.put(exc)

    def _annotate(self, items: list[Any]) -> Any:
        pool = self.pool
        if pool is not None:
            try:
                return pool.submit(items)
            except Exception:  # every worker is gone: the rest of the run annotates here
                self.pool = None
        return _Done(annotate_each(items, NLP_BATCH))

    # -- embedding (the driver's thread) -----------------------------------------------------
    def _fill(self) -> None:
        """Take annotated tasks until ``batch_chunks`` chunks wait (or every open task
        does), embed them together, and queue their answers; a lost task is answered at once."""
        while not self._results:
            if self._batch and len(self._batch) >= self._open:  # nothing else is coming until answered
                self._embed_batch()
                return
            got = self._prepared.get()
            if isinstance(got, BaseException):
                raise got
            lost = self._resolve(got)
            if lost is not None:
                self._results.append((got.key, lost))
                return
            self._batch.append(got)
            waiting = sum(len(c.chunks) for t in self._batch for c in t.chunked)
            if waiting >= self.batch_chunks or len(self._batch) >= self._open:
                self._embed_batch()

    def _resolve(self, task: _Task) -> BaseException | None:
        """Wait for ``task``'s annotations; a worker that died with it loses the task."""
        from assistant.ingest.workers import PoolBroken, WorkerDied

        if task.annotations is None:
            task.annotations = _Done([])
            return None
        try:
            task.annotations = _Done(task.annotations.result())
        except PoolBroken:  # never ran (every worker is gone): annotate here
            self.pool = None
            task.annotations = _Done(annotate_each([(c.doc, c.sentences) for c in task.chunked], NLP_BATCH))
        except WorkerDied as exc:
            only = task.chunked[0].doc.doc_id if len(task.chunked) == 1 else ""
            return TaskLost(f"the annotation worker died ({exc})", stage="annotation", doc_id=only)
        except Exception as exc:
            return TaskLost(f"annotation failed ({type(exc).__name__}: {exc})", stage="annotation")
        return None

    def _embed_batch(self) -> None:
        batch, self._batch = self._batch, []
        ready: list[tuple[Chunked, dict[str, Any]]] = []
        answers: list[list[Any]] = []  # per task: outcomes, or an int: the row of ``ready``
        for t in batch:
            anns = iter(t.annotations.result())
            out: list[Any] = []
            for c in t.cut:
                if not isinstance(c, Chunked):
                    out.append(c)
                    continue
                a = next(anns)
                if isinstance(a, dict):
                    out.append(len(ready))
                    ready.append((c, a))
                else:
                    out.append(Failed(c.doc.doc_id, c.doc.source, a.reason, a.stage))
            answers.append(out)
        vectors = embed_each([(c.doc, c.chunks) for c, _ in ready], self._embed)
        for t, out in zip(batch, answers, strict=True):
            self._results.append((t.key, [o if not isinstance(o, int) else _prepared(*ready[o], vectors[o])
                                          for o in out]))

    def _threads(self) -> int | None:
        return embed_threads(self.cores, self.pool.busy()) if self.pool is not None else None

    def _embed(self, texts: list[str]) -> np.ndarray:
        return embed_sorted(self.embedder, texts, self._threads)


def _prepared(c: Chunked, annotations: dict[str, Any], vectors: Any) -> Outcome:
    if isinstance(vectors, np.ndarray):
        return Prepared(c.doc, c.chunks, vectors, annotations)
    return Failed(c.doc.doc_id, c.doc.source, vectors.reason, vectors.stage)


def embed_sorted(embedder: Any, texts: list[str], threads: Callable[[], int | None]) -> np.ndarray:
    """Vectors for ``texts``, one model batch at a time, each on the threads ``threads()``
    gives just before it: the cores the annotation workers leave free change within a batch
    (they go idle when the tasks ahead of the embedder are annotated). Texts are sorted by
    length first and cut into the model's own batches, so the batches, and hence the
    vectors, are those of a single ``embed_documents`` call."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    set_threads = getattr(embedder, "set_batch_threads", None)
    if set_threads is None:
        return np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    step = int(getattr(embedder, "batch_size", 0) or EMBED_STEP)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: np.ndarray | None = None
    try:
        for i in range(0, len(order), step):
            rows = order[i: i + step]
            set_threads(threads())
            vecs = embedder.embed_documents([texts[j] for j in rows])
            if out is None:
                out = np.empty((len(texts), vecs.shape[1]), dtype=vecs.dtype)
            out[rows] = vecs
    finally:
        set_threads(None)
    return out  # type: ignore[return-value]


@EXECUTORS.register("pipelined")
class PipelinedExecutor:
    name = "pipelined"
    defers_reading = False  # OCR runs in the reading thread, overlapping the embedder

    def open(self, spec: PrepareSpec, options: ExecutorOptions) -> PipelinedSession:
        if options.embedder is None:  # pragma: no cover - the driver always passes its embedder
            raise ValueError("the pipelined executor embeds with the ingest's embedder: pass it in the options")
        return PipelinedSession(spec, options)
