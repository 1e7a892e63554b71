"""Ingest work in worker processes: spaCy annotation (``AnnotationPool``), so it shares no
interpreter lock (GIL) with the embedder in the ingesting process; or whole documents,
cleaned, chunked, annotated and embedded (``ProcessPool`` running
``executors.tasks.prepare_documents``, for ``assistant ingest --workers N``).

Each worker is a plain ``python -m assistant.ingest.workers`` child talking over its
stdin/stdout (length-prefixed pickles of ``(task id, function, arguments)``; the
function travels by its qualified name, so this module imports none of them). Not
``multiprocessing``: its ``spawn`` re-runs the caller's main script in every worker
(a script that ingests without an ``if __name__ == "__main__"`` guard would ingest
again), and ``fork`` would hand the ingest lock and Chroma's open files to the child.
A new interpreter inherits no open file, and its stdin reaches end-of-file the moment
the ingesting process dies, SIGKILL included, so a killed ingest leaves no worker behind.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, BinaryIO

from assistant.ingest.notes import set_note_sink
from assistant.models import Document

_LEN = struct.Struct("<Q")


class WorkerDied(RuntimeError):
    """A worker process ended in the middle of a task (crashed or was killed). ``note`` is
    the last progress note the task sent before (``note``; e.g. the document and stage it
    was at), or None."""

    def __init__(self, message: str, note: Any = None) -> None:
        super().__init__(message)
        self.note = note


class PoolBroken(WorkerDied):
    """Every worker is gone: the task never ran (nothing to blame on its documents)."""


def _send(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LEN.pack(len(data)))
    stream.write(data)
    stream.flush()


def _recv(stream: BinaryIO) -> Any:
    head = stream.read(_LEN.size)
    if len(head) < _LEN.size:
        raise EOFError
    size = _LEN.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


#: Command-line flag of a worker that may import PyTorch (it embeds with it).
ALLOW_TORCH = "--allow-torch"


def serve(argv: Sequence[str] | None = None) -> None:
    """The worker's loop: run the warm-up call (the first message), then answer tasks
    until stdin closes."""
    argv = sys.argv[1:] if argv is None else argv
    # The protocol owns the real stdout; anything a library prints goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    inp = sys.stdin.buffer
    if ALLOW_TORCH not in argv:
        # spaCy's thinc imports PyTorch when it is installed (1-3 s and ~300 MB per worker)
        # though the pipeline never uses it: a None entry makes that import fail, and thinc
        # runs on numpy as it does without PyTorch (annotations identical: tests/ingest).
        sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    try:
        try:
            warm_fn, warm_args = _recv(inp)
        except EOFError:
            return
        if warm_fn is not None:
            warm_fn(*warm_args)
        _send(out, ("ready", True, None))
        while True:
            try:
                task_id, fn, args = _recv(inp)
            except EOFError:  # the ingest finished or died
                return
            # In ``ingest.notes``, which the task's code reads (this module runs as ``__main__``).
            set_note_sink(lambda payload, t=task_id: _send(out, ("note", t, payload)))
            try:
                reply = (task_id, True, fn(*args))
            except Exception as exc:  # reported to the ingest, which redoes the task itself
                reply = (task_id, False, f"{type(exc).__name__}: {exc}")
            _send(out, reply)
    except BrokenPipeError:  # the ingest died while this worker was busy
        return


def _exit_status(proc: subprocess.Popen) -> str:
    """How a worker ended, for messages: "killed by SIGKILL", "exit code 1"."""
    try:
        code = proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _Worker:
    def __init__(self, env: dict[str, str], args: Sequence[str], warm: tuple[Callable[..., Any] | None, tuple]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "assistant.ingest.workers", *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        try:
            _send(self.proc.stdin, warm)  # type: ignore[arg-type]
        except OSError:  # died at once: ``ready`` reports it
            pass

    def run(self, task_id: int, fn: Callable[..., Any], args: tuple) -> Any:
        last = None
        try:
            _send(self.proc.stdin, (task_id, fn, args))  # type: ignore[arg-type]
            while True:
                msg = _recv(self.proc.stdout)  # type: ignore[arg-type]
                if msg[0] != "note":
                    break
                last = msg[2]
            got_id, ok, value = msg
        except (EOFError, OSError) as exc:
            raise WorkerDied(f"worker {self.proc.pid} ended ({_exit_status(self.proc)})", note=last) from exc
        if got_id != task_id:
            raise WorkerDied(f"worker {self.proc.pid} answered task {got_id}, not {task_id}")
        if not ok:
            raise RuntimeError(value)
        return value

    def ready(self) -> None:
        try:
            _recv(self.proc.stdout)  # type: ignore[arg-type]
        except (EOFError, OSError) as exc:
            raise WorkerDied(f"worker {self.proc.pid} did not start ({self.proc.poll()})") from exc

    def stop(self, kill: bool) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        if kill:
            self.proc.kill()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ProcessPool:
    """``workers`` processes, each warmed by ``warm`` (a module-level function and its
    arguments, e.g. a model load) before its first task; ``call`` returns a future,
    answered in any order (the caller keeps its own order). ``threads``: numeric-library
    threads per worker; ``allow_torch``: whether the workers may import PyTorch."""

    def __init__(self, workers: int, *, warm: tuple[Callable[..., Any] | None, tuple] = (None, ()),
                 threads: int = 1, allow_torch: bool = False, respawn: int = 0) -> None:
        self.workers = workers
        #: Workers that may still be started in place of dead ones (a worker that died
        #: at start is not replaced: its successor would die the same way).
        self._respawns = respawn
        self._closing = False
        self._warm = warm
        self._tasks: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._unfinished = 0
        self._next_id = 0
        self._alive = workers
        env = dict(os.environ)
        # Few threads of numeric code per worker (one for annotation): the workers
        # themselves fill the cores.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
            env[var] = str(max(1, threads))
        # The child imports this package from where the parent did, whatever its sys.path.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self._env, self._args = env, [ALLOW_TORCH] if allow_torch else []
        self._workers = [_Worker(env, self._args, warm) for _ in range(workers)]
        self._threads = [threading.Thread(target=self._serve, args=(i,), daemon=True, name=f"worker-{i}")
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    def _respawn(self, slot: int) -> _Worker | None:
        """A new worker in ``slot`` after its predecessor died mid-task, if allowed."""
        with self._lock:
            if self._closing or self._respawns <= 0:
                return None
            self._respawns -= 1
            worker = _Worker(self._env, self._args, self._warm)
            self._workers[slot] = worker
        try:
            worker.ready()
        except WorkerDied:
            return None
        return worker

    def _serve(self, slot: int) -> None:
        worker = self._workers[slot]
        try:
            worker.ready()
        except WorkerDied as exc:
            self._retire(exc)
            return
        while True:
            task = self._tasks.get()
            if task is None:
                return
            fut, fn, args = task
            if not fut.set_running_or_notify_cancel():
                self._finished()
                continue
            try:
                fut.set_result(worker.run(self._take_id(), fn, args))
            except WorkerDied as exc:
                fut.set_exception(exc)
                self._finished()
                replacement = self._respawn(slot)
                if replacement is None:
                    self._retire(exc)
                    return
                worker = replacement
                continue
            except Exception as exc:
                fut.set_exception(exc)
            self._finished()

    def _take_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def _finished(self) -> None:
        with self._lock:
            self._unfinished -= 1

    def _retire(self, exc: BaseException) -> None:
        """A worker is gone. The last one fails whatever is still queued (the ingest then
        annotates those documents itself)."""
        with self._lock:
            self._alive -= 1
            last = self._alive == 0
        if not last:
            return
        while True:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                return
            if task is not None:
                task[0].set_exception(PoolBroken(f"no worker left ({exc})"))
                self._finished()

    @property
    def broken(self) -> bool:
        with self._lock:
            return self._alive == 0

    def call(self, fn: Callable[..., Any], *args: Any) -> Future:
        """``fn(*args)`` in a worker (``fn`` must be importable there by its name)."""
        if self.broken:
            raise PoolBroken("no worker left")
        fut: Future = Future()
        with self._lock:
            self._unfinished += 1
        self._tasks.put((fut, fn, args))
        return fut

    def pids(self) -> list[int]:
        """The worker processes' ids."""
        return [w.proc.pid for w in self._workers]

    def busy(self) -> int:
        """Workers at work now (at most ``workers``): tasks submitted and not finished."""
        with self._lock:
            return min(self._alive, self._unfinished)

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers: after their queued tasks, or at once with ``cancel``."""
        with self._lock:
            self._closing = True
        if cancel:
            while True:
                try:
                    task = self._tasks.get_nowait()
                except queue.Empty:
                    break
                if task is not None:
                    task[0].cancel()
        for _ in self._threads:
            self._tasks.put(None)
        if cancel:
            for w in self._workers:
                w.stop(kill=True)
        for t in self._threads:
            t.join()
        for w in self._workers:
            w.stop(kill=False)


class AnnotationPool(ProcessPool):
    """``workers`` processes running ``stages.annotate_each``, spaCy loaded in each before
    its first task, without PyTorch. A worker that dies in a task is replaced (up to
    ``respawn`` times), so one document that kills its worker costs that task's retries,
    not a worker for the rest of the run."""

    def __init__(self, workers: int, batch_size: int, respawn: int = 0) -> None:
        from assistant.nlp.model import load_nlp

        self.batch_size = batch_size
        super().__init__(workers, warm=(load_nlp, ()), threads=1, respawn=respawn)

    def submit(self, items: Sequence[tuple[Document, list[tuple[int, int]]]]) -> Future:
        """Annotations of each document (or its ``stages.StageFailed``), in order."""
        from assistant.ingest.stages import annotate_each

        return self.call(annotate_each, list(items), self.batch_size)


if __name__ == "__main__":
    serve()
