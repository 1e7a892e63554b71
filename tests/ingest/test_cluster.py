"""Ingest on a real Dask cluster (``dask scheduler`` + ``dask worker`` processes on
127.0.0.1) into a real ``chroma run``: the index one process builds (same chunk ids,
vectors within cosine 0.9999, same annotations), a local cache rebuilt from the server
alike, re-runs that change nothing, and a worker killed mid-task that loses nothing."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS, free_port, wait_for_port
from fanout_helpers import assert_same_index, copies, crash_once, snapshot

from assistant.api import Assistant
from assistant.config import Settings

pytestmark = [pytest.mark.slow, pytest.mark.server]

BIN = Path(sys.executable).parent


def _stop_group(proc: subprocess.Popen) -> None:
    """Stop a process started in its own session, and whatever it started (a Dask
    nanny's worker processes)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture(scope="module")
def dask_address(tmp_path_factory) -> Iterator[str]:
    """A scheduler and two single-threaded worker processes (with nannies, which restart
    a killed worker), as one machine of a real cluster would run them."""
    tmp = tmp_path_factory.mktemp("dask")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    # The workers import the package, and fanout_helpers for the fault tests.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = (tmp / "dask.log").open("w")
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True, cwd=tmp)
    workers = None
    try:
        wait_for_port(port, proc=scheduler)
        workers = subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                    "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(tmp / "w")],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp)
        from distributed import Client

        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)  # both, or an ingest may see only the first
        yield address
    finally:
        if workers is not None:
            _stop_group(workers)
        _stop_group(scheduler)
        log.close()


@pytest.fixture
def chroma_url(chroma_server, tmp_path, monkeypatch) -> str:
    """conftest's real `chroma run`, with the local cache kept out of the user's ~/.cache."""
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ASSISTANT_CHROMA_URL", raising=False)
    return chroma_server


def test_cluster_ingest_into_a_chroma_server_equals_one_process(dask_address, chroma_url, seed_index,
                                                                minilm_embedder, tmp_path, monkeypatch):
    want_asst = Assistant.open(index_dir=seed_index, embedder=minilm_embedder)
    want = snapshot(want_asst)
    want_asst.close()

    a = Assistant.open(chroma_url=chroma_url, embedder=minilm_embedder, create=True)
    report = a.ingest([SEEDS], executor="dask", address=dask_address)
    assert report.count("added") == 5 and not report.failures, report.summary()
    assert report.where.startswith(f"the Dask cluster at {dask_address} (2 workers")
    assert_same_index(snapshot(a), want)
    again = a.ingest([SEEDS], executor="dask", address=dask_address)  # idempotent
    assert again.count("unchanged") == 5 and again.chunks_written == 0
    assert a.store.counts() == (5, len(want["vectors"]))
    a.close()

    # Another machine's cache, rebuilt from the server alone, holds the same annotations.
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "other-cache"))
    b = Assistant.open(settings=Settings(chroma_url=chroma_url), embedder=minilm_embedder)
    b.local.sync(b.store)
    assert_same_index(snapshot(b), want)
    b.close()


def test_a_cluster_worker_killed_mid_task_loses_nothing(dask_address, chroma_url, tmp_path, hashing_embedder,
                                                        monkeypatch):
    """A worker SIGKILLed with a task in hand: the scheduler runs the task again on a
    worker that lives, and the index is the one a single process builds."""
    from assistant.ingest.executors import dask_cluster

    corpus = copies(SEEDS, tmp_path / "corpus", 12)
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "0")
    ref = Assistant.open(index_dir=tmp_path / "ref", embedder=hashing_embedder, create=True)
    assert ref.ingest([corpus]).count("added") == 12
    want = snapshot(ref)
    ref.close()

    marker = tmp_path / "crashed"
    monkeypatch.setattr(dask_cluster, "prepare_documents", functools.partial(crash_once, str(marker)))
    a = Assistant.open(chroma_url=chroma_url, embedder=hashing_embedder, create=True)
    report = a.ingest([corpus], executor="dask", address=dask_address)
    assert marker.exists(), "no worker was killed"
    assert report.count("added") == 12 and not report.failures, report.summary()
    assert_same_index(snapshot(a), want)
    a.close()


def test_a_scanned_pdf_is_ocred_by_a_cluster_worker(dask_address, tmp_path, hashing_embedder, monkeypatch,
                                                   tesseract):
    """The ingesting process only finds that the PDF's pages need OCR (OCR here would
    fail the test); a Dask worker reads them, and the document lands with its OCR note."""
    from documents import write_scanned_pdf

    from assistant.ingest.loaders import pdf_ocr

    def not_here(*a, **k):
        raise AssertionError("OCR ran in the ingesting process")

    monkeypatch.setattr(pdf_ocr, "ocr_pages", not_here)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_scanned_pdf(corpus / "scan.pdf", ["PORTVILLE, March 3, 2025 (Coastal Wire) - The harbour board said on "
                                           "Monday that 48,215 ferry passengers crossed the bay in 2024."],
                      headline="Harbour board reports record ferry season", degrade="clean")
    a = Assistant.open(index_dir=tmp_path / "index", embedder=hashing_embedder, create=True)
    try:
        report = a.ingest([corpus], executor="dask", address=dask_address)
        assert report.count("added") == 1 and not report.failures, report.summary()
        doc = a.document("scan.pdf")
        assert doc.meta_origin["text"].startswith("ocr:tesseract") and "48,215" in doc.text
    finally:
        a.close()
