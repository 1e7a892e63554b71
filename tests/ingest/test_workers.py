"""Annotation in worker processes: the same annotations as in the ingesting process, a
dead worker costs time and never a document, and no worker outlives a killed ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

from assistant.ingest.executors.pipelined import annotation_workers, embed_threads
from assistant.ingest.stages import annotate_document, annotate_documents, chunk, clean, load

pytestmark = pytest.mark.slow  # real spaCy, in real processes


def _docs(paths) -> list:
    out = []
    for raw in load(paths):
        c = chunk(clean(raw), 200, 30)
        out.append((c.doc, c.sentences))
    return out


@pytest.fixture(scope="module")
def seed_docs():
    return _docs([SEEDS])


def test_workers_annotate_exactly_as_this_process(seed_docs):
    from assistant.ingest.workers import AnnotationPool

    here = [annotate_document(d, s) for d, s in seed_docs]
    pool = AnnotationPool(2, 16)
    try:
        futs = [pool.submit(seed_docs[:2]), pool.submit(seed_docs[2:])]
        there = [a for f in futs for a in f.result(timeout=300)]
    finally:
        pool.close()
    assert json.dumps(there, sort_keys=True) == json.dumps(here, sort_keys=True)
    # and parsing several documents in one nlp.pipe changes nothing either
    assert json.dumps(annotate_documents(seed_docs, batch_size=3), sort_keys=True) == json.dumps(here, sort_keys=True)


def test_a_dead_worker_fails_its_task_and_the_others_go_on(seed_docs):
    from assistant.ingest.workers import AnnotationPool, WorkerDied

    pool = AnnotationPool(2, 16)
    try:
        first = pool.submit(seed_docs[:1])
        assert first.result(timeout=300)
        victim = pool.pids()[0]
        os.kill(victim, signal.SIGKILL)
        results = [pool.submit(seed_docs[i: i + 1]) for i in range(len(seed_docs))]
        outcomes = []
        for f in results:
            try:
                outcomes.append(bool(f.result(timeout=300)))
            except WorkerDied:
                outcomes.append(False)
        assert sum(outcomes) >= len(seed_docs) - 1  # at most the task the dead worker held
        assert not pool.broken
    finally:
        pool.close()


def test_ingest_with_crashed_workers_still_writes_every_document(tmp_path, hashing_embedder, monkeypatch):
    """Workers that die at once: the ingest annotates in its own process instead, and the
    index is the one an ingest without workers builds."""
    from assistant.api import Assistant
    from assistant.ingest import workers
    from assistant.ingest.executors import pipelined
    from assistant.ingest.pipeline import Ingestor, ingest_lock

    monkeypatch.setattr(pipelined, "POOL_MIN_DOCS", 1)  # workers for a run this small
    started: list[int] = []

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, src in enumerate(sorted(SEEDS.glob("*.txt")) * 2):  # 10 documents: enough for workers
        (corpus / f"{i:02d}_{src.name}").write_text(src.read_text(encoding="utf-8") + f"\nCopy {i}.\n",
                                                    encoding="utf-8")

    class Crashing(workers.AnnotationPool):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            for pid in self.pids():
                os.kill(pid, signal.SIGKILL)
            started.append(len(self.pids()))

    def build(name: str, n_workers: int) -> dict:
        a = Assistant.open(index_dir=tmp_path / name, embedder=hashing_embedder, create=True)
        with ingest_lock(a.settings):
            report = Ingestor(a.store, a.local, a.embedder, a.settings).run([corpus], annotate_workers=n_workers)
        assert report.count("added") == 10 and not report.failures, report.summary()
        anns = dict(a.local.iter_annotations())
        ids = sorted(a.store.chunks.get()["ids"])
        a.close()
        return {"annotations": json.dumps(anns, sort_keys=True), "ids": ids}

    reference = build("inline", 0)
    monkeypatch.setattr(workers, "AnnotationPool", Crashing)
    assert build("crashed", 2) == reference
    assert started == [2]  # the workers were started, and killed


def test_no_worker_outlives_a_killed_ingest(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from assistant.ingest.stages import chunk, clean, load
        from assistant.ingest.workers import AnnotationPool
        docs = [(c.doc, c.sentences) for c in (chunk(clean(r), 200, 30) for r in load([{str(SEEDS)!r}]))]
        pool = AnnotationPool(2, 16)
        pool.submit(docs[:1]).result(timeout=300)
        for _ in range(3):
            pool.submit(docs)  # keep them busy
        print(" ".join(map(str, pool.pids())), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    pids = [int(p) for p in proc.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 60
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists()
                 and Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
        time.sleep(0.2)
    assert not alive, f"workers {alive} outlived their ingest"


def test_worker_count_and_embedder_threads(monkeypatch):
    monkeypatch.delenv("ASSISTANT_INGEST_WORKERS", raising=False)
    assert annotation_workers(1) == 0  # one core: nothing to gain from a second process
    assert annotation_workers(2) == 2
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "0")
    assert annotation_workers(8) == 0
    # the embedder gets the cores the workers leave, never fewer than one
    assert embed_threads(2, 0) == 2 and embed_threads(2, 1) == 1 and embed_threads(2, 2) == 1
    assert embed_threads(8, 3) == 5


#: The cores the ingest below believes it has: pinned (not this machine's), so the expected
#: thread counts are the same on 1 core or 64. Many, so a wrong count cannot pass by accident.
PINNED_CORES = 16


def test_the_embedder_is_given_the_cores_the_workers_leave(tmp_path, monkeypatch):
    """Each batch is embedded on the threads ``embed_threads`` gives for the workers busy
    then, through the wrappers ingest puts around an embedder."""
    from assistant.api import Assistant
    from assistant.index import embedding
    from assistant.index.embedding import HashingEmbedder
    from assistant.ingest.executors import pipelined

    monkeypatch.setattr(embedding, "default_threads", lambda: PINNED_CORES)

    class Recording(HashingEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.threads: list[int | None] = []

        def set_batch_threads(self, threads: int | None) -> None:
            self.threads.append(threads)

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, src in enumerate(sorted(SEEDS.glob("*.txt")) * 2):
        (corpus / f"{i:02d}_{src.name}").write_text(src.read_text(encoding="utf-8") + f"\nCopy {i}.\n",
                                                    encoding="utf-8")
    monkeypatch.setattr(pipelined, "EMBED_CHUNKS", 4)
    monkeypatch.setattr(pipelined, "POOL_MIN_DOCS", 1)  # workers for a run this small
    emb = Recording()
    a = Assistant.open(index_dir=tmp_path / "index", embedder=emb, create=True)
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "2")
    report = a.ingest([corpus])
    a.close()
    assert report.count("added") == 10
    given = [t for t in emb.threads if t is not None]
    # set before batches while the workers ran: the cores the 0, 1 or 2 busy workers left
    assert given and set(given) <= {embed_threads(PINNED_CORES, busy) for busy in range(3)}, given
    assert emb.threads[-1] is None  # and handed back after each batch
