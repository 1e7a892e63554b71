"""Failpoints: make one stage fail on purpose for one document, in whichever process runs
it (the ingesting process, a ``--workers`` process, a Dask worker), so the fault-injection
tests (``tests/system/test_ingest_faults.py``) exercise the real failure paths.

    ASSISTANT_INGEST_FAULTS="annotation:report_03:memory,writing:report_05:raise"

Each entry is ``stage:match:kind``: ``stage`` one of ``report.STAGES``; ``match`` a part of
the document id (for ``loader``, of the file's path); ``kind`` ``raise`` (a RuntimeError),
``memory`` (a MemoryError) or ``kill`` (SIGKILL of the process running the stage, after
``KILL_AFTER_SECONDS`` in it: a crash some way into the stage, after the note that names
it has gone out, as a real one would be). Worker processes inherit the variable. Unset (always, outside tests), ``check`` costs one
environment lookup.
"""

from __future__ import annotations

import os
import signal
import time
from functools import lru_cache

from assistant.ingest.report import STAGES

ENV_FAULTS = "ASSISTANT_INGEST_FAULTS"
KINDS = ("raise", "memory", "kill")


#: How long a ``kill`` failpoint works in its stage before the process dies.
KILL_AFTER_SECONDS = 0.2


class InjectedFault(RuntimeError):
    """The exception a ``raise`` failpoint throws."""


@lru_cache(maxsize=8)
def _parse(raw: str) -> tuple[tuple[str, str, str], ...]:
    out = []
    for entry in raw.split(","):
        if not entry.strip():
            continue
        stage, match, kind = (p.strip() for p in entry.split(":", 2))
        if stage not in STAGES or kind not in KINDS:
            raise ValueError(f"{ENV_FAULTS}: bad entry {entry!r} (stage one of {STAGES}, kind one of {KINDS})")
        out.append((stage, match, kind))
    return tuple(out)


def check(stage: str, name: str) -> None:
    """Fail here if a failpoint says so for ``stage`` and the document ``name``."""
    raw = os.environ.get(ENV_FAULTS)
    if not raw:
        return
    for st, match, kind in _parse(raw):
        if st == stage and match in name:
            if kind == "kill":
                time.sleep(KILL_AFTER_SECONDS)
                os.kill(os.getpid(), signal.SIGKILL)
            if kind == "memory":
                raise MemoryError(f"injected at {stage} for {name}")
            raise InjectedFault(f"injected at {stage} for {name}")
