"""Chroma server mode: the same retrieval against a real ``chroma run``, the CLI's
``--chroma-url`` / ``ASSISTANT_CHROMA_URL``, and clear errors when the server is down."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEEDS, free_port, start_chroma, stop
from retrieval_corpus import CORPUS, check_passage

from assistant import Assistant
from assistant.config import Settings
from assistant.errors import ServerUnavailable

pytestmark = [pytest.mark.server, pytest.mark.slow]

CLI = Path(sys.executable).parent / "assistant"
QUERIES = ["How many irregular crossings were thwarted?", "Who presented credentials?",
           "migrants at the Polish border", "What did Lukashenko say about sanctions?"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, minilm_embedder, hashing_embedder):
    """One real Chroma server for the module holding the seeds (real embedder, collection
    ``news``) and the invented dated corpus of test_retrieve (hashing embedder, ``mini``)."""
    tmp = tmp_path_factory.mktemp("server")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSISTANT_CACHE_DIR", str(tmp / "cache"))  # never the user's ~/.cache
        mp.delenv("ASSISTANT_CHROMA_URL", raising=False)
        port = free_port()
        proc = start_chroma(tmp / "chroma-data", port)
        url = f"http://127.0.0.1:{port}"
        try:
            asst = Assistant.open(chroma_url=url, embedder=minilm_embedder, create=True)
            assert asst.ingest([SEEDS]).ok
            asst.close()
            src = tmp / "mini.jsonl"
            src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in CORPUS) + "\n", encoding="utf-8")
            mini = Assistant.open(settings=Settings(chroma_url=url, collection="mini"),
                                  embedder=hashing_embedder, create=True)
            assert mini.ingest([src]).ok
            mini.close()
            yield url
        finally:
            stop(proc)


@pytest.fixture(scope="module")
def remote(server, minilm_embedder):
    asst = Assistant.open(chroma_url=server, embedder=minilm_embedder)
    yield asst
    asst.close()


@pytest.fixture(scope="module")
def local(seed_index, minilm_embedder):
    asst = Assistant.open(index_dir=seed_index, embedder=minilm_embedder)
    yield asst
    asst.close()


def test_server_index_holds_the_seeds(remote, local):
    assert remote.settings.chroma_url and remote.stats()["where"] == remote.settings.chroma_url
    assert remote.store.counts() == local.store.counts()
    assert remote.local.path != local.local.path


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_server_retrieval_equals_embedded(remote, local, mode):
    """Same documents, same embedder: the server returns what the embedded index returns."""
    for q in QUERIES:
        got = remote.retriever.retrieve(q, k=5, mode=mode)
        want = local.retriever.retrieve(q, k=5, mode=mode)
        assert [(p.doc_id, p.start, p.end) for p in got] == [(p.doc_id, p.start, p.end) for p in want], q
        for a, b in zip(got, want, strict=True):
            assert a.scores == pytest.approx(b.scores, abs=1e-4)
            assert (a.sentence_start, a.sentence_end) == (b.sentence_start, b.sentence_end)
            check_passage(remote, a)


def test_server_filters(server, hashing_embedder):
    mini = Assistant.open(settings=Settings(chroma_url=server, collection="mini"), embedder=hashing_embedder)
    try:
        r = mini.retriever
        for mode in ("dense", "bm25", "hybrid"):
            got = r.retrieve("bridge port club vote library council", k=6, mode=mode,
                             filters={"date_from": "2024-01-01", "date_to": "2024-12-31"})
            assert got and {p.doc_id for p in got} <= {"port", "club"}, mode
            got = r.retrieve("the city announced on Monday", k=6, mode=mode,
                             filters={"publisher": "northern LEDGER"})
            assert got and {p.doc_id for p in got} <= {"bridge", "club"}, mode
            got = r.retrieve("workers", k=6, mode=mode, filters={"doc_id": "vote"})
            assert {p.doc_id for p in got} <= {"vote"}, mode
        # The server evaluates the integer range itself.
        hits = mini.store.chunks.get(where={"date_int": {"$gte": 20250101}}, include=["metadatas"])
        assert {m["doc_id"] for m in hits["metadatas"]} == {"vote"}
        # Aliases were built from the server's documents.
        got = r.retrieve("What did Shcherbakov say?", k=2, mode="bm25")
        assert {p.doc_id for p in got} == {"bridge", "council"}
    finally:
        mini.close()


def test_server_llama_index_adapter(remote):
    nodes = remote.retriever.as_llama_index(k=3).retrieve(QUERIES[0])
    assert len(nodes) == 3 and all(n.node.metadata["doc_id"] for n in nodes)


def test_cli_ingest_and_search_against_a_server(chroma_server, minilm_embedder, monkeypatch, capsys, tmp_path):
    import assistant.index.embedding
    from assistant.interfaces.cli import main

    monkeypatch.setattr(assistant.index.embedding, "default_embedder", lambda *a, **kw: minilm_embedder)
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ASSISTANT_CHROMA_URL", raising=False)
    seed = sorted(SEEDS.glob("*.txt"))[-1]
    # --index-dir points somewhere empty: --chroma-url must win, nothing is written there.
    assert main(["ingest", str(seed), "--chroma-url", chroma_server, "--no-progress", "--json",
                 "--index-dir", str(tmp_path / "unused")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["results"][0]["doc_id"] == seed.name
    assert not (tmp_path / "unused").exists()

    assert main(["search", "migrants", "-k", "2", "--json", "--chroma-url", chroma_server]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out) == 2 and {d["doc_id"] for d in out} == {seed.name}

    # The environment variable switches the CLI to the server, with no flag.
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server)
    assert main(["stats", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["where"] == chroma_server and st["documents"] == 1
    assert main(["search", "migrants", "-k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["doc_id"] == seed.name


# -- a server that is down --------------------------------------------------------------------------
def _dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


def test_server_down_raises_server_unavailable_naming_the_url(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    url = _dead_url()
    for create in (False, True):
        with pytest.raises(ServerUnavailable) as ei:
            Assistant.open(chroma_url=url, create=create)
        assert ei.value.url == url
        assert url in ei.value.message and ei.value.fix


@pytest.mark.parametrize(("command", "how"), [(["search", "anything"], "flag"), (["ingest", str(SEEDS)], "env"),
                                              (["ask", "Who?"], "env"), (["stats"], "flag")])
def test_cli_server_down_exits_2_with_a_message(tmp_path, how, command):
    url = _dead_url()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ASSISTANT_CACHE_DIR": str(tmp_path / "cache"),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    args = [str(CLI), *command]
    if how == "flag":
        args += ["--chroma-url", url]
    else:
        env["ASSISTANT_CHROMA_URL"] = url
    res = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert lines[0].startswith("error: cannot reach the Chroma server at " + url)
    # One line for the error, optionally one for the fix.
    assert len(lines) <= 2 and all(line.startswith("  fix:") for line in lines[1:])


def test_server_lost_mid_session(tmp_path, minilm_embedder, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    port = free_port()
    proc = start_chroma(tmp_path / "data", port)
    url = f"http://127.0.0.1:{port}"
    try:
        asst = Assistant.open(chroma_url=url, embedder=minilm_embedder, create=True)
        assert asst.ingest([sorted(SEEDS.glob("*.txt"))[0]]).ok
        assert asst.retriever.retrieve("migrants", k=1)
    finally:
        stop(proc)
    for mode in ("dense", "hybrid"):
        with pytest.raises(ServerUnavailable) as ei:
            asst.retriever.retrieve("migrants at the border", k=3, mode=mode)
        assert ei.value.url == url and url in str(ei.value)
    # BM25 runs from the local cache, so it keeps working without the server.
    assert asst.retriever.retrieve("migrants", k=1, mode="bm25")
    asst.close()
