"""The ingest executors' registry and the protocols they serve (``Executor``, ``Session``),
in a module of their own: the executor modules import from here, never from their
package's ``__init__``, so the package has no import cycle."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.config import ENV_CLUSTER_TIMEOUT
from assistant.errors import ConfigError
from assistant.ingest.executors.tasks import Outcome, PrepareSpec, SourceTask
from assistant.registry import Registry

__all__ = ["EXECUTORS", "Executor", "ExecutorOptions", "Session", "TaskLost", "executor", "lost", "needs_recipe"]


@dataclass(frozen=True)
class ExecutorOptions:
    """What the CLI's flags say: worker processes (``--workers``) and a cluster address
    (``--dask``; ``local`` starts a ``LocalCluster`` of ``workers`` processes here)."""

    #: Worker processes (``--workers``; the ``pipelined`` executor's annotation processes,
    #: None: one per core).
    workers: int | None = None
    address: str = ""
    #: Seconds to wait for a cluster's scheduler and its first worker.
    connect_timeout: float = field(default_factory=lambda: _timeout())
    #: The ingest's own embedder, for executors that embed in the ingesting process.
    embedder: Any = None
    #: Chunks embedded together (``pipelined``; None: its measured default).
    batch_chunks: int | None = None


class TaskLost(Exception):
    """A whole task failed: its worker died, or could not start. ``stage`` and ``doc_id``
    say where the task was when it was lost, when the worker said (else empty).
    ``started`` is False for a task that was only queued on a worker that died (for
    another task's sake): nothing in it is to blame."""

    def __init__(self, message: str, *, stage: str = "", doc_id: str = "", started: bool = True) -> None:
        super().__init__(message)
        self.stage = stage
        self.doc_id = doc_id
        self.started = started


class Session(Protocol):
    """An executor at work for one ingest."""

    #: Tasks to keep submitted and unfinished: enough to keep every worker busy.
    capacity: int

    def describe(self) -> str:
        """Where the work runs, for the report ("2 local worker processes")."""
        ...

    def submit(self, key: int, tasks: list[SourceTask]) -> None:
        """Prepare ``tasks``' documents (``tasks.prepare_documents``); ``key`` names the
        submission in ``completed``."""
        ...

    def completed(self) -> Iterator[tuple[int, list[Outcome] | BaseException]]:
        """Each submission as it finishes: its outcomes, or why the whole task failed
        (a worker died, a model would not load: an exception, ``TaskLost`` when the
        executor knows where). Blocks until one finishes; ends when none is left."""
        ...

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers this session started (after their tasks, or at once)."""
        ...


class Executor(Protocol):
    """A place to run ``tasks.prepare_documents``."""

    name: str
    #: Whether the driver reads files with costly reading deferred (``stages.load(defer=
    #: True)``: a scanned PDF's OCR) so that the executor's workers do it while preparing.
    defers_reading: bool

    def open(self, spec: PrepareSpec, options: ExecutorOptions) -> Session:
        """Start (or connect to) the workers; errors say how to get them."""
        ...


EXECUTORS: Registry[Any] = Registry("ingest executor")


def _timeout() -> float:
    raw = os.environ.get(ENV_CLUSTER_TIMEOUT, "").strip()
    try:
        return float(raw) if raw else 30.0
    except ValueError:
        raise ConfigError(f"{ENV_CLUSTER_TIMEOUT}={raw!r} is not a number of seconds",
                          fix=f"set {ENV_CLUSTER_TIMEOUT}=30, or unset it") from None


def needs_recipe(spec: PrepareSpec, options: ExecutorOptions) -> None:
    """For executors whose workers build their own embedder: the ingest's must have a recipe."""
    if spec.embedder is None:
        name = getattr(options.embedder, "name", "given")
        raise ConfigError(
            f"the embedder {name!r} cannot be rebuilt in worker processes (it has no recipe())",
            fix="ingest without --workers/--dask, or use the bundled model or HashingEmbedder")


def lost(exc: BaseException) -> BaseException:
    """A dead worker's exception as ``TaskLost``, naming the document and stage its last
    note gave (``workers.WorkerDied.note``); other exceptions as they are."""
    note = getattr(exc, "note", None)
    if isinstance(note, tuple) and len(note) == 2:
        doc_id, stage = note
        return TaskLost(f"{exc} while at {stage} of {doc_id}", stage=stage, doc_id=doc_id)
    return exc


def executor(name: str) -> Executor:
    """The executor registered as ``name``."""
    try:
        return EXECUTORS[name]
    except KeyError:
        raise ConfigError(f"unknown ingest executor {name!r}", fix=f"use one of {', '.join(sorted(EXECUTORS))}") from None


