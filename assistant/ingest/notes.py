"""Progress notes from a running ingest task to the ingesting process: where the task is
(``(doc_id, stage)``), so that if its worker dies the ingest names the document and the
stage (``workers.WorkerDied.note``).

A module of its own because a worker process runs ``assistant.ingest.workers`` as
``__main__``: the sink it sets must be the one the task code (imported by name) reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Where ``note`` sends progress notes in this process: to the ingest over the pipe in a
#: worker process (set by ``workers.serve``), to whatever an executor set elsewhere (a
#: Dask worker's events), or nowhere.
_note_sink: Callable[[Any], None] | None = None


def set_note_sink(sink: Callable[[Any], None] | None) -> None:
    """Where ``note`` sends its notes in this process (an executor's own channel)."""
    global _note_sink
    _note_sink = sink


def note(payload: Any) -> None:
    """Tell the ingesting process how far the running task got (a small picklable value,
    e.g. ``(doc_id, stage)``): if the worker dies, the ingest names where. Does nothing
    outside a worker."""
    if _note_sink is not None:
        _note_sink(payload)
