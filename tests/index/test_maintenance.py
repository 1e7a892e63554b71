"""``assistant ingest --rebuild`` and ``index.maintenance.delete_index``, the path that
actually deletes: on a real embedded index and on a real Chroma server, through the
library and through the command line. What is deleted is gone, what is rebuilt holds only
the new articles, nothing beside it is touched, and a delete the server refuses stops the
rebuild instead of being passed over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port, start_chroma, stop

from assistant import Assistant
from assistant.config import Settings
from assistant.errors import IndexCorrupt, IndexMissing, ServerUnavailable
from assistant.index.maintenance import delete_index

pytestmark = pytest.mark.slow  # real Chroma, real spaCy at ingest

OLD = ("Old harbour report\n\nThe harbour board said 48,215 ferry passengers crossed the bay in 2024.\n",
       "Old union report\n\nThe ferry union counted 51,300 passengers in 2024.\n")
NEW = "New bridge report\n\nThe council said 1,240 commuters crossed the new bridge in March 2025.\n"


def _articles(folder: Path, *texts: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(texts):
        (folder / f"{folder.name}-{i}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A private cache directory (a server index keeps its derived files there)."""
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ASSISTANT_CHROMA_URL", raising=False)
    return tmp_path / "cache"


def _build(settings: Settings, embedder, folder: Path) -> set[str]:
    asst = Assistant.open(settings=settings, embedder=embedder, create=True)
    try:
        assert asst.ingest([folder]).ok
        return set(asst.store.doc_records())
    finally:
        asst.close()


def _docs(settings: Settings, embedder=None) -> set[str]:
    asst = Assistant.open(settings=settings, embedder=embedder)  # None: the index's own (loaded lazily)
    try:
        return set(asst.store.doc_records())
    finally:
        asst.close()


# -- embedded ------------------------------------------------------------------------------------------
def test_delete_index_removes_an_embedded_index_and_nothing_beside_it(tmp_path, cache, hashing_embedder):
    settings = Settings(index_dir=tmp_path / "index")
    assert _build(settings, hashing_embedder, _articles(tmp_path / "old", *OLD)) == {"old-0.txt", "old-1.txt"}
    assert (settings.index_dir / "chroma.sqlite3").is_file() and settings.cache_dir.is_dir()
    beside = tmp_path / "notes.txt"
    beside.write_text("mine\n")
    delete_index(settings)
    assert not settings.index_dir.exists()  # the vectors, and the derived files inside it
    assert beside.read_text() == "mine\n" and (tmp_path / "old").is_dir()  # sources untouched
    with pytest.raises(IndexMissing):
        Assistant.open(settings=settings, embedder=hashing_embedder)
    assert _build(settings, hashing_embedder, _articles(tmp_path / "new", NEW)) == {"new-0.txt"}
    delete_index(settings)
    delete_index(settings)  # nothing there: nothing to do


def test_delete_index_refuses_what_is_not_an_index(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("my notes\n")
    with pytest.raises(Exception, match="not an index; not deleting it"):
        delete_index(Settings(index_dir=notes))
    assert (notes / "todo.txt").read_text() == "my notes\n"


def _cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    """A user's environment with a private cache directory, sharing the exported embedding
    model with the rest of the run (exporting it again would take most of the test's time)."""
    from assistant.config import default_cache_dir

    cache = tmp_path / "cli-cache"
    cache.mkdir()
    models = default_cache_dir() / "models"
    models.mkdir(parents=True, exist_ok=True)
    (cache / "models").symlink_to(models, target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"ASSISTANT_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return env


def test_cli_rebuild_replaces_an_embedded_index(tmp_path, cli_env, hashing_embedder):
    """As a user runs it: an index of two articles, then `ingest --rebuild` of another
    folder holds only that folder's article (a plain ingest would have added to the old),
    with the default embedder (the old index had another: a rebuild is how to change it)."""
    index = tmp_path / "index"
    _build(Settings(index_dir=index), hashing_embedder, _articles(tmp_path / "old", *OLD))
    new = _articles(tmp_path / "new", NEW)
    res = _cli("ingest", str(new), "--rebuild", "--index-dir", str(index), "--no-progress", cwd=tmp_path, env=cli_env)
    assert res.returncode == 0, res.stderr
    assert "1 added" in res.stdout and "index: 1 documents" in res.stdout, res.stdout
    assert _docs(Settings(index_dir=index)) == {"new-0.txt"}


# -- a Chroma server -----------------------------------------------------------------------------------
def _collections(url: str) -> set[str]:
    from assistant.index.store import connect

    return {getattr(c, "name", c) for c in connect(Settings(chroma_url=url)).list_collections()}


def test_delete_index_removes_a_server_index_and_no_other_collection(tmp_path, cache, chroma_server,
                                                                     hashing_embedder):
    news, other = Settings(chroma_url=chroma_server), Settings(chroma_url=chroma_server, collection="other")
    _build(news, hashing_embedder, _articles(tmp_path / "old", *OLD))
    _build(other, hashing_embedder, _articles(tmp_path / "keep", NEW))
    assert _collections(chroma_server) == {"news_chunks", "news_docs", "other_chunks", "other_docs"}
    assert news.cache_dir.is_dir() and other.cache_dir.is_dir()
    delete_index(news)
    assert _collections(chroma_server) == {"other_chunks", "other_docs"}
    assert not news.cache_dir.exists() and other.cache_dir.is_dir()
    assert _docs(other, hashing_embedder) == {"keep-0.txt"}  # the other collection still answers
    with pytest.raises((IndexMissing, IndexCorrupt)):
        Assistant.open(settings=news, embedder=hashing_embedder)
    delete_index(news)  # collections not there (already deleted): passed over
    assert _build(news, hashing_embedder, _articles(tmp_path / "new", NEW)) == {"new-0.txt"}


def test_a_delete_the_server_does_not_carry_out_stops_the_rebuild(tmp_path, cache, hashing_embedder, monkeypatch):
    """The server goes away between connecting and deleting: the rebuild stops with the
    fix (it used to pass over every error there, then re-ingest into the old collections)."""
    from assistant.index import store

    port = free_port()
    proc = start_chroma(tmp_path / "data", port)
    url = f"http://127.0.0.1:{port}"
    try:
        settings = Settings(chroma_url=url)
        _build(settings, hashing_embedder, _articles(tmp_path / "old", *OLD))
        connect = store.connect

        def connect_then_lose_the_server(s: Settings):
            client = connect(s)
            stop(proc)
            return client

        monkeypatch.setattr(store, "connect", connect_then_lose_the_server)
        with pytest.raises(ServerUnavailable) as err:
            delete_index(settings)
        assert "could not delete collection 'news_chunks'" in err.value.message and url in err.value.message
        assert "--rebuild" in err.value.fix
        assert settings.cache_dir.is_dir()  # nothing was removed while the collections stay
    finally:
        stop(proc)


def test_cli_rebuild_replaces_a_server_index(tmp_path, cli_env, chroma_server, hashing_embedder, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", cli_env["ASSISTANT_CACHE_DIR"])
    settings = Settings(chroma_url=chroma_server)
    _build(settings, hashing_embedder, _articles(tmp_path / "old", *OLD))
    new = _articles(tmp_path / "new", NEW)
    res = _cli("ingest", str(new), "--rebuild", "--chroma-url", chroma_server, "--no-progress", cwd=tmp_path,
               env=cli_env)
    assert res.returncode == 0, res.stderr
    assert "1 added" in res.stdout and "index: 1 documents" in res.stdout, res.stdout
    assert _docs(settings) == {"new-0.txt"}
