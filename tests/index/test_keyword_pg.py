"""The keyword index on a real PostgreSQL server process (Debian's postgresql), behind the
same Protocol as the local backends: the same scores as the exact local segments after
adds, replacements and deletions; a second client sees a commit when it refreshes; and
the whole assistant ingests and answers with its keyword index on the server.

Skipped where no PostgreSQL server binaries are installed (``apt-get install postgresql``)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from assistant.index.keyword import KeywordChunk, SegmentedIndex

pytest.importorskip("psycopg")


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


@pytest.fixture(scope="module")
def pg_url():
    bindir = _bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="kw-pg-"))
    os.chmod(root, 0o755)
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as its own user
        shutil.chown(root, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def _docs(n: int, seed: int, prefix: str) -> list[KeywordChunk]:
    from test_keyword import make_docs

    return make_docs(n, seed, prefix)


def test_server_scores_equal_the_exact_local_segments(pg_url, tmp_path):
    from assistant.index.keyword_pg import PostgresKeywordIndex

    server = PostgresKeywordIndex(pg_url, f"scores-{tmp_path}")
    local = SegmentedIndex(tmp_path / "kw")
    for index in (server, local):
        index.reset()
        index.apply([], _docs(60, 1, "a"))
        index.apply([], _docs(30, 2, "b"))
        index.apply(["a3", "b7"], _docs(4, 3, "a"))  # replaces a0..a3, deletes a3 and b7
    assert server.view().n_chunks == local.view().n_chunks
    for q in (["w1", "w7", "w30"], ["w2", "w2", "w250"], ["w399", "w5"]):
        got, want = server.view().search(q, 15), local.view().search(q, 15)
        assert [round(s, 4) for _, s in got] == [round(s, 4) for _, s in want]  # the same ranking (ties apart)
        exact = local.view().scores(q)
        rows = local.view().rows.row_of
        assert all(abs(s - float(exact[rows[c]])) < 1e-4 for c, s in got)
        assert server.view().df(q[0]) == local.view().df(q[0])
    last = server.view().search(["w1", "w2"], 100)[-1][0].split("-")[0]  # a weak match, first once filtered
    only = server.view().search(["w1", "w2"], 10, docs={last})
    assert only and {c.split("-")[0] for c, _ in only} == {last}
    assert server.view().prefix_df("w3") > 0 and server.view().prefix_df("zz") == 0


def test_a_second_client_sees_a_commit_when_it_refreshes(pg_url, tmp_path):
    from assistant.index.keyword_pg import PostgresKeywordIndex

    writer = PostgresKeywordIndex(pg_url, f"two-{tmp_path}")
    writer.reset()
    writer.apply([], _docs(10, 4, "d"))
    reader = PostgresKeywordIndex(pg_url, f"two-{tmp_path}")
    before = reader.view()
    writer.apply([], [KeywordChunk("z-0", "z", 0, 5, ["zebra"])])
    assert reader.view() is before and before.search(["zebra"], 3) != []  # queries read the server
    assert reader.refresh() and reader.view().n_chunks == before.n_chunks + 1
    writer.close()
    reader.close()


def test_the_assistant_ingests_and_answers_with_its_keyword_index_on_the_server(pg_url, tmp_path, monkeypatch,
                                                                                hashing_embedder):
    from conftest import ROOT

    from assistant.api import Assistant
    from assistant.text.tokens import tokenize

    monkeypatch.setenv("ASSISTANT_KEYWORD_BACKEND", "postgres")
    monkeypatch.setenv("ASSISTANT_KEYWORD_URL", pg_url)
    a = Assistant.open(index_dir=tmp_path / "index", embedder=hashing_embedder, create=True)
    a.ingest([ROOT / "seeds"])
    assert type(a.local.keyword).__name__ == "PostgresKeywordIndex"
    n = a.local.bm25.n_chunks
    assert n == len(a.local.chunks.ids) > 10
    hits = a.retriever.retrieve("How many irregular crossings were thwarted?", k=3, mode="bm25")
    assert hits and hits[0].scores["bm25"] > 0
    assert not a.ask("How many irregular crossings were thwarted?").abstained
    a.close()
    # a new process (a new client) opens it without rebuilding anything
    b = Assistant.open(index_dir=tmp_path / "index", embedder=hashing_embedder)
    assert b.local.bm25.n_chunks == n
    assert b.local.keyword_search(tokenize("irregular crossings"), 3)
    b.close()
