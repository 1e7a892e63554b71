"""Documents prepared by workers (``--workers N``; the inline executor as the reference):
the index one process builds, a worker killed mid-task loses nothing, a document that
keeps failing is reported and never half-written, re-runs change nothing, and the
flags' errors are messages with a fix."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS
from fanout_helpers import assert_same_index, copies, crash_once, fail_for, snapshot

from assistant.api import Assistant
from assistant.errors import ConfigError
from assistant.ingest import driver
from assistant.ingest.executors import ExecutorOptions, executor
from assistant.ingest.executors.tasks import PrepareSpec

CLI = Path(sys.executable).parent / "assistant"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def _build(index: Path, embedder, sources, **kw) -> tuple[dict, object]:
    a = Assistant.open(index_dir=index, embedder=embedder, create=True)
    try:
        report = a.ingest(list(sources), **kw)
        return snapshot(a), report
    finally:
        a.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return copies(SEEDS, tmp_path_factory.mktemp("fanout") / "corpus", 10)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, corpus, hashing_embedder) -> dict:
    """The corpus ingested by one process, the default pipeline without workers."""
    os.environ["ASSISTANT_INGEST_WORKERS"] = "0"
    try:
        snap, report = _build(tmp_path_factory.mktemp("ref") / "index", hashing_embedder, [corpus])
    finally:
        del os.environ["ASSISTANT_INGEST_WORKERS"]
    assert report.count("added") == 10 and not report.failures
    return snap


@pytest.mark.slow
def test_inline_executor_builds_what_one_process_builds_and_reruns_change_nothing(tmp_path, corpus, reference,
                                                                                  hashing_embedder):
    snap, report = _build(tmp_path / "index", hashing_embedder, [corpus], executor="inline")
    assert report.count("added") == 10 and not report.failures, report.summary()
    assert report.where == "the ingesting process"
    assert_same_index(snap, reference)
    again, report = _build(tmp_path / "index", hashing_embedder, [corpus], executor="inline")
    assert report.count("unchanged") == 10 and report.chunks_written == 0
    assert report.where == ""  # nothing to prepare: no worker was started
    assert_same_index(again, reference)


@pytest.mark.slow
def test_a_worker_killed_mid_task_loses_nothing(tmp_path, corpus, reference, hashing_embedder, monkeypatch):
    """A local worker SIGKILLed with a task in hand: its documents are prepared again on
    a worker started in its place, and the index is the one a single process builds."""
    from assistant.ingest.executors import processes

    marker = tmp_path / "crashed"
    monkeypatch.setattr(processes, "prepare_documents", functools.partial(crash_once, str(marker)))
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])  # the workers import fanout_helpers
    snap, report = _build(tmp_path / "index", hashing_embedder, [corpus], executor="processes", workers=2)
    assert marker.exists(), "no worker was killed"
    assert report.count("added") == 10 and not report.failures, report.summary()
    assert_same_index(snap, reference)


@pytest.mark.slow
def test_a_task_lost_before_it_began_is_sent_again_without_counting_a_try(tmp_path, corpus, reference,
                                                                          hashing_embedder, monkeypatch):
    """Tasks queued on a Dask worker that dies running another task are lost before they
    begin (``TaskLost(started=False)``): sent again as they were, every document lands,
    where counting those losses as tries would have failed one after ``ATTEMPTS``."""
    from assistant.ingest.executors import inline
    from assistant.ingest.executors.registry import TaskLost

    victim = sorted(p.name for p in corpus.glob("*.txt"))[3]  # the doc id is the file name
    losses = [driver.UNSTARTED_RETRIES]
    real = inline.prepare_documents

    def queued_on_a_dead_worker(spec, tasks):
        if losses[0] > 0 and any(t.raw.doc_id == victim for t in tasks):
            losses[0] -= 1
            raise TaskLost("KilledWorker: its worker died before the task began", started=False)
        return real(spec, tasks)

    assert driver.UNSTARTED_RETRIES >= driver.ATTEMPTS  # else this test could not tell
    monkeypatch.setattr(inline, "prepare_documents", queued_on_a_dead_worker)
    snap, report = _build(tmp_path / "index", hashing_embedder, [corpus], executor="inline")
    assert losses == [0] and not report.failures and report.count("added") == 10, report.summary()
    assert_same_index(snap, reference)


@pytest.mark.slow
def test_a_document_that_keeps_failing_is_reported_and_the_rest_lands(tmp_path, corpus, reference,
                                                                       hashing_embedder, monkeypatch):
    from assistant.ingest.executors import inline

    victim = sorted(p.name for p in corpus.glob("*.txt"))[3]  # the doc id is the file name
    monkeypatch.setattr(inline, "prepare_documents", functools.partial(fail_for, victim))
    snap, report = _build(tmp_path / "index", hashing_embedder, [corpus], executor="inline")
    [failed] = report.failures
    assert failed.doc_id == victim and failed.source == str(corpus / victim)
    assert f"not prepared after {driver.ATTEMPTS} tries" in failed.reason and "RuntimeError" in failed.reason
    assert "run the ingest again" in failed.reason
    assert report.count("added") == 9
    # nothing of it was written: no chunk, no record, no annotations
    assert victim not in snap["records"]
    assert victim not in snap["owners"].values()
    assert f'"{victim}"' not in snap["annotations"]
    monkeypatch.undo()
    again, report = _build(tmp_path / "index", hashing_embedder, [corpus], executor="inline")
    assert report.count("added") == 1 and report.count("unchanged") == 9 and not report.failures
    assert_same_index(again, reference)


@pytest.mark.slow
def test_cli_ingest_seeds_with_2_workers_equals_one_process(tmp_path, seed_index, minilm_embedder):
    """`assistant ingest seeds --workers 2` (real model, real spaCy): the same chunk ids,
    vectors within cosine 0.9999, the same records and annotations as one process."""
    index = tmp_path / "index"
    res = subprocess.run([str(CLI), "ingest", str(SEEDS), "--workers", "2", "--index-dir", str(index),
                          "--no-progress"], env=_env(), capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "5 added" in res.stdout and "prepared by 2 local worker processes" in res.stdout, res.stdout
    got = Assistant.open(index_dir=index, embedder=minilm_embedder)
    want = Assistant.open(index_dir=seed_index, embedder=minilm_embedder)
    try:
        assert_same_index(snapshot(got), snapshot(want))
    finally:
        got.close()
        want.close()


@pytest.mark.slow
def test_unreachable_dask_scheduler_is_a_message_with_a_fix(tmp_path):
    from conftest import free_port

    address = f"tcp://127.0.0.1:{free_port()}"
    res = subprocess.run([str(CLI), "ingest", str(SEEDS), "--dask", address, "--index-dir", str(tmp_path / "i"),
                          "--no-progress"], env=_env(ASSISTANT_CLUSTER_TIMEOUT="2"), capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert f"error: no Dask scheduler answered at {address}" in res.stderr
    assert "fix: start one (`dask scheduler --host 127.0.0.1 --port 8786`" in res.stderr


def test_dask_not_installed_is_a_message_with_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    spec = PrepareSpec(200, 30, ("hashing", {"dim": 384}))
    with pytest.raises(ConfigError) as err:
        executor("dask").open(spec, ExecutorOptions(address="tcp://127.0.0.1:8786"))
    assert "Dask distributed, which is not installed" in err.value.message
    assert 'pip install "news-assistant[cluster]"' in err.value.fix


def test_flags_pick_the_executor_and_bad_values_are_messages():
    from assistant.interfaces.cli import build_parser
    from assistant.interfaces.commands.corpus import executor_from

    def pick(*argv: str):
        return executor_from(build_parser().parse_args(["ingest", *argv]))

    assert pick() == (None, 0, "")
    assert pick("--workers", "0") == (None, 0, "")
    assert pick("--workers", "4") == ("processes", 4, "")
    assert pick("--dask", "tcp://10.0.0.5:8786") == ("dask", 0, "tcp://10.0.0.5:8786")
    assert pick("--dask", "local", "--workers", "2") == ("dask", 2, "local")
    with pytest.raises(ConfigError, match="--workers -1 is negative"):
        pick("--workers", "-1")
    with pytest.raises(ConfigError, match="need at least one worker"):
        executor("processes").open(PrepareSpec(200, 30, ("hashing", {})), ExecutorOptions(workers=0))
    with pytest.raises(ConfigError, match="unknown ingest executor 'ray'"):
        executor("ray")


def test_an_ingest_without_dask_never_imports_it():
    """Dask is the optional [cluster] extra: the CLI and the executors load it only for --dask."""
    code = ("import sys; import assistant.interfaces.cli, assistant.ingest.driver, assistant.ingest.executors; "
            "assert 'distributed' not in sys.modules and 'dask' not in sys.modules, 'dask imported'")
    res = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def test_workers_rebuild_the_ingests_embedder_from_its_recipe():
    import numpy as np

    from assistant.index.embedding import HashingEmbedder, MiniLMEmbedder, embedder_from_recipe

    h = HashingEmbedder(128)
    again = embedder_from_recipe(*h.recipe())
    assert again.dim == 128
    assert np.array_equal(h.embed_documents(["ferry line"]), again.embed_documents(["ferry line"]))
    m = MiniLMEmbedder(precision="fp32", batch_size=16, backend="onnx")
    w = embedder_from_recipe(*m.recipe(), threads=1)  # builds the object only: no model load
    assert (w.requested, w.batch_size, w.threads) == (("fp32", "onnx"), 16, 1)
    with pytest.raises(ConfigError, match="unknown embedder recipe 'word2vec'"):
        embedder_from_recipe("word2vec", {})


def test_an_embedder_without_a_recipe_cannot_go_to_workers(tmp_path):
    class Opaque:
        name, dim = "opaque-v1", 8

        def embed_documents(self, texts):
            raise AssertionError("never called")

        def embed_query(self, text):
            raise AssertionError("never called")

    a = Assistant.open(index_dir=tmp_path / "index", embedder=Opaque(), create=True)
    try:
        with pytest.raises(ConfigError, match="cannot be rebuilt in worker processes") as err:
            a.ingest([SEEDS], executor="processes", workers=2)
        assert "ingest without --workers/--dask" in err.value.fix
    finally:
        a.close()
