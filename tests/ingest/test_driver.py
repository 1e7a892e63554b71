"""The one driver (``ingest.driver``): what is one file's failure and what stops a run,
the exit codes the CLI gives for each (the same for every executor: one driver makes the
report), and a store that goes away in the middle of a run."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from conftest import FIXTURES, SEEDS, free_port, start_chroma, stop

from assistant.api import Assistant
from assistant.errors import IndexCorrupt, IngestStopped, ServerUnavailable
from assistant.ingest.driver import environmental
from assistant.ingest.faults import ENV_FAULTS
from assistant.ingest.report import EXIT_OK, EXIT_SOME_FAILED, EXIT_STOPPED


def _wrapped(cause: BaseException) -> IndexCorrupt:
    err = IndexCorrupt("the Chroma index failed")
    err.__cause__ = cause
    return err


@pytest.mark.parametrize("exc", [
    MemoryError(), ServerUnavailable("gone"), OSError(errno.ENOSPC, "No space left on device"),
    sqlite3.OperationalError("database or disk is full"), _wrapped(OSError(errno.EIO, "Input/output error")),
    _wrapped(sqlite3.OperationalError("disk I/O error")),
])
def test_what_is_not_one_files_fault_stops_the_run(exc):
    assert environmental(exc)


@pytest.mark.parametrize("exc", [ValueError("bad metadata"), _wrapped(ValueError("Expected metadata value")),
                                 RuntimeError("boom"), OSError(errno.ENOENT, "No such file")])
def test_what_one_document_causes_is_its_own_failure(exc):
    assert not environmental(exc)


@pytest.fixture
def cli_with_hashing(monkeypatch, hashing_embedder):
    from assistant.index import embedding
    from assistant.interfaces import cli

    monkeypatch.setattr(embedding, "default_embedder", lambda *a, **k: hashing_embedder)
    monkeypatch.setattr("assistant.api._default_model_id", lambda: (hashing_embedder.name, hashing_embedder.dim))
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "0")
    return cli.main


@pytest.mark.slow
def test_cli_exit_codes_all_landed_some_failed_and_stopped(tmp_path, cli_with_hashing, monkeypatch, capsys):
    idx = str(tmp_path / "index")
    src = [str(SEEDS / name) for name in sorted(p.name for p in SEEDS.glob("*.txt"))[:3]]
    assert cli_with_hashing(["ingest", *src, "--index-dir", idx, "--no-progress"]) == EXIT_OK
    capsys.readouterr()
    # One file fails in one stage: named with the stage, the others land, exit 3.
    monkeypatch.setenv(ENV_FAULTS, "chunking:notes.md:raise")
    mixed = [str(FIXTURES / "notes.md"), str(FIXTURES / "bio_box.txt")]
    assert cli_with_hashing(["ingest", *mixed, "--index-dir", idx, "--no-progress"]) == EXIT_SOME_FAILED
    out = capsys.readouterr()
    assert f"failed: {FIXTURES / 'notes.md'} (at chunking): InjectedFault" in out.err and "1 added" in out.out
    # The writer runs out of memory: the run stops, exit 4, what was committed is listed.
    monkeypatch.setenv(ENV_FAULTS, "writing:notes.md:memory")
    code = cli_with_hashing(["ingest", str(FIXTURES / "notes.md"), "--index-dir", idx, "--no-progress"])
    out = capsys.readouterr()
    assert code == EXIT_STOPPED
    assert "committed before the stop (0): none" in out.err
    assert "error: the ingest stopped: out of memory while writing notes.md" in out.err
    assert "fix: free memory" in out.err and "run the same command again" in out.err
    assert "Traceback" not in out.err
    # The fix works: the same command again completes it.
    monkeypatch.delenv(ENV_FAULTS)
    assert cli_with_hashing(["ingest", str(FIXTURES / "notes.md"), "--index-dir", idx, "--no-progress"]) == EXIT_OK
    assert "1 added" in capsys.readouterr().out


@pytest.mark.slow
def test_a_thread_of_the_run_that_dies_stops_it_with_exit_4_and_a_rerun_completes(tmp_path, cli_with_hashing,
                                                                                 monkeypatch, capsys):
    """The issue's lost batch: the ingest's prepare thread dies (a MemoryError outside any
    one document's stages). Never a traceback and a success summary: the run stops, exit 4,
    naming the error and what was committed; the same command completes the rest."""
    from assistant.ingest.executors import pipelined

    real, calls = pipelined.prepare_texts, [0]

    def dies_on_the_second_task(spec, tasks):
        calls[0] += 1
        if calls[0] == 2:
            raise MemoryError("prepare thread out of memory")
        return real(spec, tasks)

    monkeypatch.setattr(pipelined, "prepare_texts", dies_on_the_second_task)
    idx = str(tmp_path / "index")
    code = cli_with_hashing(["ingest", str(SEEDS), "--index-dir", idx, "--no-progress"])
    out = capsys.readouterr()
    with capsys.disabled():
        print("\n" + out.err)
    assert code == EXIT_STOPPED, out
    assert "error: the ingest stopped: MemoryError: prepare thread out of memory" in out.err
    assert "committed before the stop (" in out.err and "run the same command again" in out.err
    assert "Traceback" not in out.err and "documents:" not in out.out  # no success summary
    monkeypatch.setattr(pipelined, "prepare_texts", real)
    assert cli_with_hashing(["ingest", str(SEEDS), "--index-dir", idx, "--no-progress"]) == EXIT_OK
    assert "(index: 5 documents" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.server
def test_a_store_that_goes_away_mid_run_stops_it_and_a_rerun_completes(tmp_path, hashing_embedder, monkeypatch):
    """The Chroma server dies after the first commit: the run stops (not a failure of
    the files), naming the server and the documents committed; once the server is back,
    the same ingest completes the rest."""
    from assistant.ingest import driver

    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "0")
    monkeypatch.setattr(driver, "COMMIT_CHUNKS", 1)  # one commit per document
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = tmp_path / "chroma-data"
    proc = start_chroma(data, port)
    try:
        a = Assistant.open(chroma_url=url, embedder=hashing_embedder, create=True)

        def kill_after_first(kind, res):
            if res is not None and res.status == "added" and proc.poll() is None:
                proc.kill()
                proc.wait()

        with pytest.raises(IngestStopped) as err:
            a.ingest([SEEDS], progress=kill_after_first)
        stop_ = err.value
        # The first commit's documents (as many as the executor handed over together, which
        # depends on timing: one to four of the five) stay; the rest were not written.
        committed = len(stop_.committed)
        assert stop_.exit_code == EXIT_STOPPED and 1 <= committed < 5, stop_.committed
        assert url in stop_.message and "run the same command again" in stop_.fix
        proc = start_chroma(data, port)  # back, same data
        report = a.ingest([SEEDS])
        assert not report.failures and report.count("added") == 5 - committed
        assert report.count("unchanged") == committed
        assert a.store.counts()[0] == 5
        a.close()
    finally:
        stop(proc)
