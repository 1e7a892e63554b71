"""Two locks per index, files beside its local cache, freed by the OS if a holder dies:

- ``ingest_lock``: one ingest at a time, held for its whole run;
- ``write_lock``: held while files are written (each commit of an ingest, the rebuild of the
  derived index), and by a reader while it reloads what another process wrote
  (``Assistant.refresh``). Embedded Chroma rewrites its vector index files during writes, and
  loading them then can crash the reader (measured: a reader re-opening the index while
  another process wrote segfaulted within a minute; one that kept its client open and never
  reloaded ran 9,474 queries without an error). Reloading under this lock rules that out,
  and an ingest's commits are short, so a reader gets it between them, and between runs
  of an ingest that follow each other.

A reader takes both without waiting: if an ingest is busy, it answers from what it loaded
and tries again on its next check.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

from filelock import FileLock, Timeout

from assistant.config import Settings
from assistant.errors import IndexLocked

#: How often (seconds) a waiting ingest tries the lock again: a person waiting cannot tell
#: 0.2 s from at once, and the retries cost nothing.
LOCK_POLL_SECONDS = 0.2
#: How long an ingest that must not wait (``--no-wait``, the chat's uploads) still waits:
#: a reader catching up with a store that another machine (or a killed ingest) changed
#: holds the ingest lock while it syncs, which is no reason to refuse.
NO_WAIT_GRACE_SECONDS = 5.0


@contextlib.contextmanager
def ingest_lock(settings: Settings, *, wait: bool = True, on_wait: Callable[[str], None] | None = None,
                timeout: float | None = None) -> Iterator[None]:
    """One ingest per index at a time, on every platform: ``filelock`` (``flock`` on Unix,
    ``msvcrt.locking`` on Windows), freed by the OS if the process dies. The holder's pid
    is written beside the lock, to name it to whoever waits."""
    path = settings.cache_dir
    lock = _lock(settings, "ingest")
    pid_file = path / "ingest.lock.pid"
    try:
        lock.acquire(timeout=0 if wait else NO_WAIT_GRACE_SECONDS, poll_interval=LOCK_POLL_SECONDS)
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


@contextlib.contextmanager
def try_lock(settings: Settings, name: str = "ingest") -> Iterator[bool]:
    """The ``name`` lock (``ingest`` or ``write``) if it is free at once (yields True), else
    nothing (False): a reader never waits for an ingest."""
    lock = _lock(settings, name)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


@contextlib.contextmanager
def write_lock(settings: Settings) -> Iterator[None]:
    """Held while an ingest writes files (a commit, a rebuild): waits for a reader that is
    reloading (about a second at most)."""
    lock = _lock(settings, "write")
    lock.acquire(poll_interval=0.05)
    try:
        yield
    finally:
        lock.release()


def _lock(settings: Settings, name: str) -> FileLock:
    path = settings.cache_dir
    path.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path / f"{name}.lock"))


