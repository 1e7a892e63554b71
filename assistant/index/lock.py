"""One writer per index at a time, and the moments a reader may reload: ``ingest_lock``.

An ingest holds it for its whole run. A process that answers questions takes it, without
waiting, only to reload what another process wrote (``Assistant.refresh``): embedded
Chroma's vector index files are rewritten during writes, and loading them then can crash
the reader (measured: a reader re-opening the index while another process wrote segfaulted
within a minute; one that keeps its client open and never reloads did not, over 9,474
queries). Holding the lock while reloading rules that out.
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
#: a reader reloading after another ingest holds the lock for about a second (an open of a
#: 100k-chunk index took 1.5 s: README "Performance"), which is no reason to refuse.
NO_WAIT_GRACE_SECONDS = 5.0


@contextlib.contextmanager
def ingest_lock(settings: Settings, *, wait: bool = True, on_wait: Callable[[str], None] | None = None,
                timeout: float | None = None) -> Iterator[None]:
    """One ingest per index at a time, on every platform: ``filelock`` (``flock`` on Unix,
    ``msvcrt.locking`` on Windows), freed by the OS if the process dies. The holder's pid
    is written beside the lock, to name it to whoever waits."""
    path = settings.cache_dir
    path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path / "ingest.lock"))
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
def reload_lock(settings: Settings) -> Iterator[bool]:
    """The ingest lock if it is free at once (yields True), else nothing (False): a reader
    reloads only while no ingest writes, and never waits for one."""
    path = settings.cache_dir
    path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path / "ingest.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


