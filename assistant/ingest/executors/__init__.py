"""Where an ingest's documents are prepared (cleaned, chunked, annotated, embedded):
one ``Executor`` per place, registered in ``EXECUTORS`` and picked by the CLI's flags.

    inline     in the ingesting process, one task after another   (no flag; tests)
    processes  N local worker processes                          (``--workers N``)
    dask       the workers of a Dask distributed cluster         (``--dask ADDRESS``)

Every executor runs the same task (``tasks.prepare_documents``) and hands back whole
documents; the ingesting process writes them through its one ``IndexWriter``
(``ingest.fanout``). The default ingest, without a flag, is the pipelined single-machine
path of ``ingest.pipeline`` (annotation workers beside an embedder in this process).

Why Dask and not Ray (issue 18): both run document pipelines (Ray Data's
``map_batches`` over an actor pool; ``dask.bag`` or futures). What this ingest needs is a
driver that submits tasks, gets each result back as it completes for its single writer,
and retries tasks whose worker died: Dask's futures are exactly that
(``Client.submit(..., retries=)``, ``as_completed``, the scheduler re-running a lost
worker's tasks up to ``distributed.scheduler.allowed-failures`` and then raising
``KilledWorker``). Ray Data is built for dataset-to-dataset transforms whose writes
happen in the workers (``write_*`` sinks), and Ray's head runs a GCS server, raylets and
a dashboard, with a wheel of hundreds of MB; ``distributed`` is pure Python, a
scheduler plus ``dask worker`` processes on 127.0.0.1 start in seconds on a 2-core
machine (figures in README, "Past one machine").
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.config import ENV_CLUSTER_TIMEOUT
from assistant.errors import ConfigError
from assistant.ingest.executors.tasks import Outcome, PrepareSpec, SourceTask
from assistant.registry import Registry

__all__ = ["EXECUTORS", "Executor", "ExecutorOptions", "Session", "executor"]


@dataclass(frozen=True)
class ExecutorOptions:
    """What the CLI's flags say: worker processes (``--workers``) and a cluster address
    (``--dask``; ``local`` starts a ``LocalCluster`` of ``workers`` processes here)."""

    workers: int = 0
    address: str = ""
    #: Seconds to wait for a cluster's scheduler and its first worker.
    connect_timeout: float = field(default_factory=lambda: _timeout())


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
        (a worker died, a model would not load). Blocks until one finishes; ends when
        none is left."""
        ...

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers this session started (after their tasks, or at once)."""
        ...


class Executor(Protocol):
    """A place to run ``tasks.prepare_documents``."""

    name: str

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


def executor(name: str) -> Executor:
    """The executor registered as ``name``."""
    try:
        return EXECUTORS[name]
    except KeyError:
        raise ConfigError(f"unknown ingest executor {name!r}", fix=f"use one of {', '.join(sorted(EXECUTORS))}") from None


# The executors register themselves (the Dask one imports Dask only when opened).
from assistant.ingest.executors import dask_cluster, inline, processes  # noqa: E402, F401
