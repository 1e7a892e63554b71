"""``Assistant.open``'s background load of the vector index (``warm``): the first question
overlaps it instead of waiting for all of it, and ``close`` never closes the client under it."""

from __future__ import annotations

import threading

import pytest

from assistant.api import Assistant
from assistant.index.store import Store


@pytest.fixture
def seeds(seed_index_fake, copy_index):
    return copy_index(seed_index_fake)


@pytest.fixture
def held_warm(monkeypatch):
    """``Store.warm`` that records its thread and waits for ``release`` before loading."""
    calls: list[str] = []
    started, release = threading.Event(), threading.Event()
    real = Store.warm

    def warm(self: Store) -> None:
        calls.append(threading.current_thread().name)
        started.set()
        release.wait(30)
        real(self)

    monkeypatch.setattr(Store, "warm", warm)
    yield calls, started, release
    release.set()


def test_open_loads_the_vectors_in_the_background_and_close_waits_for_it(seeds, hashing_embedder, held_warm):
    calls, started, release = held_warm
    asst = Assistant.open(seeds, embedder=hashing_embedder)
    assert started.wait(10) and calls == ["assistant-warm-vectors"]
    # Questions go on while the load is held (it shares the gate as a question does).
    ans = asst.ask("How many irregular crossings were thwarted?")
    assert ans.citations
    closer = threading.Thread(target=asst.close)
    closer.start()
    closer.join(0.5)
    assert closer.is_alive(), "close returned while the vector index was still loading"
    release.set()
    closer.join(30)
    assert not closer.is_alive()


def test_no_background_load_when_nothing_will_be_asked(seeds, tmp_path, hashing_embedder, held_warm):
    calls, _, release = held_warm
    release.set()
    Assistant.open(seeds, embedder=hashing_embedder, warm=False).close()
    Assistant.open(tmp_path / "new", embedder=hashing_embedder, create=True).close()  # to ingest into
    assert calls == []


def test_warm_loads_an_index_and_an_empty_one(seeds, tmp_path, hashing_embedder):
    for asst in (Assistant.open(seeds, embedder=hashing_embedder, warm=False),
                 Assistant.open(tmp_path / "empty", embedder=hashing_embedder, create=True)):
        asst.store.warm()  # a 1-nearest query: no error on either
        asst.close()


def test_a_process_that_exits_while_the_vectors_load_exits_cleanly(seeds):
    """Ending the interpreter under Chroma's load crashed it (SIGSEGV, 20 of 20 runs with a
    daemon thread): the exit waits for the load and keeps its own code."""
    import subprocess
    import sys

    script = "import sys\nfrom assistant.api import Assistant\nAssistant.open(sys.argv[1])\nraise SystemExit(2)\n"
    codes = [subprocess.run([sys.executable, "-c", script, str(seeds)], capture_output=True, timeout=120).returncode
             for _ in range(3)]
    assert codes == [2, 2, 2]
