"""Tasks in N local worker processes (``assistant ingest --workers N``): the project's
own ``workers.ProcessPool`` (``python -m`` children over pipes; no worker outlives a
killed ingest, a dead worker fails only the task it held)."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from concurrent.futures import Future

from assistant.errors import ConfigError
from assistant.ingest.executors.registry import EXECUTORS, ExecutorOptions, lost, needs_recipe
from assistant.ingest.executors.tasks import Outcome, PrepareSpec, SourceTask, prepare_documents, warm_up
from assistant.ingest.workers import ProcessPool, WorkerDied

#: Tasks queued per worker beyond the one it runs: a worker never waits for the driver.
AHEAD_PER_WORKER = 2
#: Workers started in place of dead ones, per worker: a crash (out of memory, a killed
#: process) costs its task's retry, not a worker for the rest of the run; a worker
#: that dies on every document cannot take more than this many replacements.
RESPAWNS_PER_WORKER = 4


class ProcessSession:
    def __init__(self, spec: PrepareSpec, workers: int) -> None:
        from dataclasses import replace

        from assistant.index.embedding import default_threads

        # The workers share this machine's cores; each embeds on its share.
        threads = spec.threads or max(1, default_threads() // workers)
        self.spec = replace(spec, threads=threads)
        self.workers = workers
        self.capacity = workers * (1 + AHEAD_PER_WORKER)
        self.pool = ProcessPool(workers, warm=(warm_up, (self.spec,)), threads=threads, allow_torch=True,
                                respawn=RESPAWNS_PER_WORKER * workers)
        self._done: queue.Queue = queue.Queue()
        self._open = 0

    def describe(self) -> str:
        return f"{self.workers} local worker process{'es' if self.workers != 1 else ''}"

    def submit(self, key: int, tasks: list[SourceTask]) -> None:
        try:
            fut = self.pool.call(prepare_documents, self.spec, tasks)
        except WorkerDied as exc:  # every worker is gone: the caller reports the documents
            fut = Future()
            fut.set_exception(exc)
        self._open += 1
        fut.add_done_callback(lambda f: self._done.put((key, f)))

    def completed(self) -> Iterator[tuple[int, list[Outcome] | BaseException]]:
        while self._open:
            key, fut = self._done.get()
            self._open -= 1
            exc = fut.exception()
            yield key, (lost(exc) if exc is not None else fut.result())

    def close(self, *, cancel: bool = False) -> None:
        self.pool.close(cancel=cancel)


@EXECUTORS.register("processes")
class ProcessExecutor:
    name = "processes"
    defers_reading = True  # OCR runs in the worker processes

    def open(self, spec: PrepareSpec, options: ExecutorOptions) -> ProcessSession:
        needs_recipe(spec, options)
        if not options.workers or options.workers < 1:
            raise ConfigError(f"--workers {options.workers}: need at least one worker process",
                              fix="pass --workers 2 (or leave the flag out to ingest in one process)")
        return ProcessSession(spec, options.workers)
