"""Tasks on a Dask distributed cluster (``assistant ingest --dask ADDRESS``).

The ingesting process is the Dask client: it submits ``tasks.prepare_documents`` as
futures and takes each result as it completes (``as_completed``) for its one writer.
A task whose worker dies is re-run by the scheduler on another worker, up to
``distributed.scheduler.allowed-failures`` times, then fails with ``KilledWorker``; a
task that raises is retried ``RETRIES`` times (``Client.submit(retries=)``). Either way
the ingest then retries the task's documents one by one, and reports those that still
fail. Nothing is written by a worker, so nothing is half-written. A task's notes (the
document and stage it is at, ``workers.note``) are logged as worker events, so a task
lost with its worker is reported with where it was (when the note reached the scheduler
before the worker died).

Dask is imported only when this executor is opened: it is the optional ``[cluster]``
extra, and an ingest without ``--dask`` never needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from assistant.errors import ConfigError, ServerUnavailable
from assistant.ingest.executors.registry import EXECUTORS, ExecutorOptions, TaskLost, needs_recipe
from assistant.ingest.executors.tasks import Outcome, PrepareSpec, SourceTask, prepare_documents

#: Re-runs of a task that raised (a worker that could not load a model, say) before the
#: ingest gets the error.
RETRIES = 1
#: Tasks in flight per worker thread: one running, two waiting on the worker, so no
#: worker waits for the driver's next submission.
AHEAD_PER_THREAD = 3
#: The worker-event topic of the tasks' notes.
NOTES_TOPIC = "assistant-ingest-notes"
INSTALL_FIX = 'pip install "news-assistant[cluster]"  (or: pip install "distributed>=2024.1")'


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(f"--dask needs Dask distributed, which is not installed here ({exc})",
                          fix=INSTALL_FIX) from None
    return distributed


def run_noted(fn: Any, spec: PrepareSpec, tasks: list[SourceTask]) -> list[Outcome]:
    """``fn(spec, tasks)`` in a Dask worker, its notes logged as events under its task key."""
    import distributed

    from assistant.ingest.notes import set_note_sink

    worker = distributed.get_worker()
    key = str(worker.get_current_task())
    set_note_sink(lambda payload: worker.log_event(NOTES_TOPIC, {"key": key, "note": list(payload)}))
    try:
        return fn(spec, tasks)
    finally:
        set_note_sink(None)


class DaskSession:
    def __init__(self, spec: PrepareSpec, options: ExecutorOptions) -> None:
        distributed = _import_distributed()
        self.cluster: Any = None
        address = options.address
        if address == "local":
            from assistant.index.embedding import default_threads

            n = options.workers or default_threads()
            # Processes, one thread each: spaCy and the embedder hold the GIL.
            # silence_logs: the nannies' shutdown warnings ("still alive after 4.0 seconds,
            # killing": workers holding loaded models) are not the user's business.
            self.cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                    host="127.0.0.1", dashboard_address=None,
                                                    silence_logs=logging.ERROR)
            address = self.cluster.scheduler_address
        self.address = address
        try:
            self.client = distributed.Client(address, timeout=options.connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise ServerUnavailable(
                f"no Dask scheduler answered at {address} within {options.connect_timeout:.0f} s "
                f"({type(exc).__name__}: {exc})", url=address,
                fix="start one (`dask scheduler --host 127.0.0.1 --port 8786`, then `dask worker "
                    "tcp://127.0.0.1:8786` on each machine) and pass its address: --dask tcp://HOST:8786; "
                    "or --dask local for a cluster on this machine") from None
        try:
            self.client.wait_for_workers(1, timeout=options.connect_timeout)
        except (OSError, TimeoutError):
            self.close()
            raise ServerUnavailable(
                f"the Dask scheduler at {address} has no worker (waited {options.connect_timeout:.0f} s)",
                url=address, fix=f"start workers: `dask worker {address} --nthreads 1` on each machine "
                                 f"(with this project installed: {INSTALL_FIX})") from None
        info = self.client.scheduler_info()["workers"]
        hosts: dict[str, int] = {}
        for w in info.values():
            hosts[w["host"]] = hosts.get(w["host"], 0) + 1
        self.workers = len(info)
        self.threads = sum(int(w.get("nthreads", 1)) for w in info.values())
        self.spec = spec if spec.threads else PrepareSpec(**{**spec.__dict__, "threads_by_host": hosts})
        self.capacity = max(1, self.threads) * AHEAD_PER_THREAD
        self._done = distributed.as_completed(loop=self.client.loop)
        self._keys: dict[Any, tuple[int, Any]] = {}  # future key -> (submission, future)

    def describe(self) -> str:
        where = "a local Dask cluster" if self.cluster is not None else f"the Dask cluster at {self.address}"
        return f"{where} ({self.workers} worker{'s' if self.workers != 1 else ''}, {self.threads} threads)"

    def submit(self, key: int, tasks: list[SourceTask]) -> None:
        # pure=False: a resubmitted task is a new task, never the failed one's result.
        fut = self.client.submit(run_noted, prepare_documents, self.spec, tasks, retries=RETRIES, pure=False)
        self._keys[fut.key] = (key, fut)
        self._done.add(fut)

    def completed(self) -> Iterator[tuple[int, list[Outcome] | BaseException]]:
        while not self._done.is_empty():
            fut = next(self._done)
            key, _ = self._keys.pop(fut.key)
            try:
                yield key, fut.result()
            except Exception as exc:  # KilledWorker, or the task's own error after retries
                yield key, self._where(fut.key, exc)
            finally:
                fut.release()

    def _where(self, task_key: Any, exc: Exception) -> Exception:
        """``exc`` as ``TaskLost`` naming the document and stage of the task's last note."""
        try:
            events = self.client.get_events(NOTES_TOPIC)
        except Exception:  # the scheduler is gone too: the error alone says enough
            return exc
        notes = [e[1]["note"] for e in events if isinstance(e[1], dict) and e[1].get("key") == str(task_key)]
        if not notes:
            if type(exc).__name__ == "KilledWorker":  # queued on a worker that died, never begun
                return TaskLost(f"{type(exc).__name__}: {exc} before the task began", started=False)
            return exc
        doc_id, stage = notes[-1]
        return TaskLost(f"{type(exc).__name__}: {exc} while at {stage} of {doc_id}", stage=stage, doc_id=doc_id)

    def close(self, *, cancel: bool = False) -> None:
        try:
            if cancel:
                self.client.cancel([f for _, f in self._keys.values()])
            self.client.close()
        finally:
            self._close_cluster()

    def _close_cluster(self) -> None:
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


@EXECUTORS.register("dask")
class DaskExecutor:
    name = "dask"
    defers_reading = True  # OCR runs on the cluster's workers

    def open(self, spec: PrepareSpec, options: ExecutorOptions) -> DaskSession:
        needs_recipe(spec, options)
        if not options.address:
            raise ConfigError("--dask needs the scheduler's address",
                              fix="pass --dask tcp://HOST:8786, or --dask local for a cluster on this machine")
        return DaskSession(spec, options)
