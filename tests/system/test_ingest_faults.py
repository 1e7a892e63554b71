"""Fault injection in every stage of ingest (issue 25): for each of loader, cleaning,
chunking, annotation, embedding and writing, an exception, a MemoryError and a killed
process, through the default executor, ``--workers`` and Dask. Each run must name every
failure (file and stage), land every other file, give the right exit status, and a clean
re-run must converge to the index a clean run builds.

Faults are the ingest's own failpoints (``ASSISTANT_INGEST_FAULTS``, ``ingest.faults``),
which worker processes inherit, so the real failure paths run: a worker SIGKILLed in a
stage, a MemoryError inside spaCy's task, a store that refuses a write. Several faults go
into one run, one document each, so the matrix costs a few runs.

| stage | raise | memory | kill |
|---|---|---|---|
| loader | pipelined | pipelined | the ingesting process (subprocess) |
| cleaning | dask | pipelined | processes |
| chunking | pipelined | processes | dask |
| annotation | processes | dask | pipelined (its annotation workers) |
| embedding | dask | pipelined | processes |
| writing | pipelined | pipelined: stops the run (exit 4) | the ingesting process (subprocess) |
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT
from fanout_helpers import assert_same_index, snapshot

from assistant.api import Assistant
from assistant.errors import IngestStopped
from assistant.ingest.faults import ENV_FAULTS
from assistant.ingest.report import EXIT_SOME_FAILED, EXIT_STOPPED

pytestmark = pytest.mark.slow  # spaCy in worker processes, a Dask cluster

N_DOCS = 8


def _article(n: int, rng: random.Random) -> str:
    months = ["January", "March", "May", "July", "September", "November"]
    paras = [f"Report {n} on the harbour authority\n",
             f"The harbour authority of port {n} approved {rng.randint(10, 900)} million for new quays on "
             f"{rng.choice(months)} {rng.randint(1, 28)}, its director said."]
    for i in range(6):
        paras.append(f"In phase {i} the authority spent {rng.randint(2, 99)} million on cranes in port {n}. "
                     f"\"We expect {rng.randint(100, 9000)} more ships by {rng.choice(months)},\" the "
                     f"harbour master said.")
    return "\n\n".join(paras) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fault-corpus")
    rng = random.Random(25)
    for n in range(N_DOCS):
        (d / f"art_{n}.txt").write_text(_article(n, rng), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def reference(tmp_path_factory, corpus, hashing_embedder) -> dict:
    """The corpus ingested cleanly (default executor, annotation in this process)."""
    os.environ["ASSISTANT_INGEST_WORKERS"] = "0"
    try:
        a = Assistant.open(index_dir=tmp_path_factory.mktemp("ref") / "index", embedder=hashing_embedder, create=True)
        report = a.ingest([corpus])
        assert report.count("added") == N_DOCS and not report.failures
        snap = snapshot(a)
        a.close()
    finally:
        del os.environ["ASSISTANT_INGEST_WORKERS"]
    return snap


def _faults(spec: dict[str, tuple[str, str]]) -> str:
    """``{doc: (stage, kind)}`` as the failpoint variable."""
    return ",".join(f"{stage}:{doc}:{kind}" for doc, (stage, kind) in spec.items())


def _check(report, spec: dict[str, tuple[str, str]]) -> None:
    """Every injected failure named (file and stage), every other document landed."""
    failed = {Path(r.source).stem: r.stage for r in report.failures}
    assert failed == {doc: stage for doc, (stage, _) in spec.items()}, [(r.source, r.stage, r.reason)
                                                                        for r in report.failures]
    for r in report.failures:
        assert r.reason, r
    landed = {r.doc_id.removesuffix(".txt") for r in report.results if r.status in ("added", "updated", "unchanged")}
    assert landed == {f"art_{n}" for n in range(N_DOCS)} - set(spec)
    assert report.exit_code == EXIT_SOME_FAILED


def _rerun_converges(a: Assistant, corpus: Path, reference: dict, failed: int, monkeypatch) -> None:
    monkeypatch.delenv(ENV_FAULTS, raising=False)
    report = a.ingest([corpus])
    assert not report.failures and report.count("added") + report.count("updated") == failed, report.summary()
    assert_same_index(snapshot(a), reference)


def _run(tmp_path, corpus, hashing_embedder, monkeypatch, spec, **kw):
    monkeypatch.setenv(ENV_FAULTS, _faults(spec))
    a = Assistant.open(index_dir=tmp_path / "index", embedder=hashing_embedder, create=True)
    return a, a.ingest([corpus], **kw)


def test_default_executor_names_each_stage_and_the_rest_lands(tmp_path, corpus, reference, hashing_embedder,
                                                              monkeypatch):
    """Exceptions and MemoryErrors in this process's stages, a killed annotation worker."""
    from assistant.ingest.executors import pipelined

    monkeypatch.setattr(pipelined, "POOL_MIN_DOCS", 1)  # annotation workers for a run this small
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "2")
    spec = {"art_0": ("loader", "raise"), "art_1": ("cleaning", "memory"), "art_2": ("chunking", "raise"),
            "art_3": ("annotation", "kill"), "art_4": ("embedding", "memory"), "art_5": ("writing", "raise")}
    a, report = _run(tmp_path, corpus, hashing_embedder, monkeypatch, spec)
    _check(report, spec)
    reasons = {Path(r.source).stem: r.reason for r in report.failures}
    assert "out of memory" in reasons["art_1"] and "split the file" in reasons["art_1"]
    assert "not prepared after 3 tries" in reasons["art_3"] and "annotation worker died" in reasons["art_3"]
    _rerun_converges(a, corpus, reference, len(spec), monkeypatch)
    a.close()


def test_memory_errors_and_a_writer_out_of_memory_stops_the_run(tmp_path, corpus, reference, hashing_embedder,
                                                                 monkeypatch):
    """A MemoryError in each stage that runs here; in the writer it is not one file's:
    the run stops (exit 4), naming what it was writing and what was committed."""
    spec = {"art_0": ("loader", "memory"), "art_6": ("annotation", "memory"), "art_7": ("embedding", "raise")}
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "0")
    monkeypatch.setenv(ENV_FAULTS, _faults({**spec, "art_5": ("writing", "memory")}))
    a = Assistant.open(index_dir=tmp_path / "index", embedder=hashing_embedder, create=True)
    with pytest.raises(IngestStopped) as err:
        a.ingest([corpus])
    stop = err.value
    assert stop.exit_code == EXIT_STOPPED
    assert "out of memory while writing" in stop.message and "art_5" in stop.message
    assert "run the same command again" in stop.fix
    assert {Path(r.source).stem: r.stage for r in stop.report.failures} == {d: s for d, (s, _) in spec.items()}
    assert set(stop.committed) == {r.doc_id for r in stop.report.results if r.status == "added"}
    assert "art_5.txt" not in stop.committed
    _rerun_converges(a, corpus, reference, N_DOCS - len(stop.committed), monkeypatch)
    a.close()


def test_worker_processes_killed_in_their_stages(tmp_path, corpus, reference, hashing_embedder, monkeypatch):
    """``--workers 2``: workers SIGKILLed while cleaning and embedding are replaced, the
    documents named with the stage the worker was at."""
    spec = {"art_0": ("loader", "raise"), "art_1": ("cleaning", "kill"), "art_2": ("chunking", "memory"),
            "art_3": ("annotation", "raise"), "art_4": ("embedding", "kill")}
    a, report = _run(tmp_path, corpus, hashing_embedder, monkeypatch, spec, executor="processes", workers=2)
    _check(report, spec)
    reasons = {Path(r.source).stem: r.reason for r in report.failures}
    assert "killed by SIGKILL" in reasons["art_1"] and "while at cleaning of art_1.txt" in reasons["art_1"]
    _rerun_converges(a, corpus, reference, len(spec), monkeypatch)
    a.close()


def test_dask_workers_killed_and_failing_in_their_stages(tmp_path, corpus, reference, hashing_embedder,
                                                         monkeypatch):
    pytest.importorskip("distributed")
    import dask

    spec = {"art_1": ("cleaning", "raise"), "art_2": ("chunking", "kill"), "art_3": ("annotation", "memory"),
            "art_4": ("embedding", "raise")}
    # The scheduler of a local cluster runs here: a killed worker's task fails at once
    # (the driver's own retries follow), instead of 3 more kills per try.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        a, report = _run(tmp_path, corpus, hashing_embedder, monkeypatch, spec, executor="dask", address="local",
                         workers=2)
    _check(report, spec)
    reasons = {Path(r.source).stem: r.reason for r in report.failures}
    assert "KilledWorker" in reasons["art_2"]
    _rerun_converges(a, corpus, reference, len(spec), monkeypatch)
    a.close()


KILLED_INGEST = """
import sys
from assistant.api import Assistant
from assistant.index.embedding import HashingEmbedder
a = Assistant.open(index_dir=sys.argv[1], embedder=HashingEmbedder(), create=True)
a.ingest([sys.argv[2]])
"""


@pytest.mark.parametrize("stage", ["loader", "writing"])
def test_the_ingesting_process_killed_in_its_stages_leaves_a_usable_index(tmp_path, corpus, reference,
                                                                         hashing_embedder, monkeypatch, stage):
    """Loading and writing run in the ingesting process: killed there, nothing can be
    reported, but the index opens and a re-run converges (more kill points: test_faults)."""
    env = {**os.environ, ENV_FAULTS: f"{stage}:art_5:kill", "ASSISTANT_INGEST_WORKERS": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    index = tmp_path / "index"
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED_INGEST), str(index), str(corpus)],
                         env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == -9, res.stderr[-2000:]
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "0")
    a = Assistant.open(index_dir=index, embedder=hashing_embedder, create=True)
    _rerun_converges(a, corpus, reference, N_DOCS - a.stats()["documents"], monkeypatch)
    a.close()
