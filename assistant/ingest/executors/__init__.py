"""Where an ingest's documents are prepared (cleaned, chunked, annotated, embedded):
one ``Executor`` per place, registered in ``EXECUTORS`` and picked by the CLI's flags.

    pipelined  this machine: a thread, annotation processes, the
               embedder here                                     (no flag: the default)
    inline     in the ingesting process, one task after another   (tests: the reference)
    processes  N local worker processes                          (``--workers N``)
    dask       the workers of a Dask distributed cluster         (``--dask ADDRESS``)

Every executor runs the same task (``tasks.prepare_documents``) and hands back whole
documents; the ingesting process writes them through its one ``IndexWriter``
(``ingest.driver``, the one driver of every ingest). Without a flag, the documents are
prepared by the ``pipelined`` executor (cleaning in a thread, spaCy in annotation worker
processes, the embedder in this process on the cores they leave). The registry and the
protocols live in ``registry``, which the executor modules import: the package imports
its modules, and none imports it back.

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

# Importing the executor modules registers them (the Dask one imports Dask only when opened).
from assistant.ingest.executors import dask_cluster, inline, pipelined, processes  # noqa: F401
from assistant.ingest.executors.registry import (
    EXECUTORS,
    Executor,
    ExecutorOptions,
    Session,
    TaskLost,
    executor,
)

__all__ = ["EXECUTORS", "Executor", "ExecutorOptions", "Session", "TaskLost", "executor"]
