"""Fresh answers without restarts (issue 25, item 4): a running ``Assistant`` answers from
what another process added, changed or pruned within ``FRESH_WITHIN`` seconds of that
ingest's end, embedded and on a Chroma server, and never from a half-written document:
while another process rewrites documents, every citation it gives is the exact text of
the document it names.

The writer is another process, as a cron job's ``assistant ingest`` is: embedded Chroma
loads its vector index once per client, so only another process shows whether a reader
sees its writes (measured: it did not, before; and re-opening the index while the other
process wrote crashed the reader, which is why the reload waits for the ingest lock).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT

from assistant.api import Assistant

pytestmark = pytest.mark.slow

#: The issue's target: a document ingested by another process is answerable within 10 s.
FRESH_WITHIN = 10.0

WRITER = """
import json, sys
from assistant.api import Assistant
from assistant.index.embedding import HashingEmbedder
where, paths, prune = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3] == "prune"
a = Assistant.open(**where, embedder=HashingEmbedder(), create=True)
print(a.ingest(paths, prune=prune).summary(), flush=True)
"""


def _write(where: dict, paths: list[Path], prune: bool = False) -> float:
    """Ingest ``paths`` in another process; the time it finished."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "ASSISTANT_INGEST_WORKERS": "0"}
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(WRITER), json.dumps(where),
                          json.dumps([str(p) for p in paths]), "prune" if prune else ""],
                         env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return time.monotonic()


def _article(name: str, figure: str, extra: str = "") -> str:
    return (f"Port of {name} reports a record year\n\n{extra}{name.upper()}, March 3, 2025 (Coastal Wire) - The port "
            f"of {name} handled {figure} containers in 2024, its director Mira Testova said on Monday.\n")


def _question(name: str) -> str:
    return f"How many containers did the port of {name} handle in 2024?"


def _until(asst: Assistant, question: str, ok, since: float, limit: float = 60.0) -> float:
    """Seconds from ``since`` until ``ok(answer)``, asking as a chat would (inf: never)."""
    while time.monotonic() - since < limit:
        if ok(asst.ask(question)):
            return time.monotonic() - since
        time.sleep(0.1)
    return float("inf")


def _says(figure: str):
    return lambda ans: not ans.abstained and figure in f"{ans.answer} {ans.text}"


def _added_changed_pruned(asst: Assistant, where: dict, tmp: Path) -> dict[str, float]:
    docs = tmp / "new"
    docs.mkdir()
    f = docs / "varnholm.txt"
    q = _question("Varnholm")
    assert not _says("48,215")(asst.ask(q))
    f.write_text(_article("Varnholm", "48,215"), encoding="utf-8")
    delays = {"added": _until(asst, q, _says("48,215"), _write(where, [docs]))}
    f.write_text(_article("Varnholm", "51,002"), encoding="utf-8")
    delays["changed"] = _until(asst, q, _says("51,002"), _write(where, [docs]))
    f.unlink()
    gone = lambda ans: "51,002" not in f"{ans.answer} {ans.text}"  # noqa: E731
    delays["pruned"] = _until(asst, q, gone, _write(where, [docs], prune=True))
    return delays


def test_embedded_chat_sees_another_process_add_change_and_prune(seed_index_fake, copy_index, hashing_embedder,
                                                                  tmp_path):
    index = copy_index(seed_index_fake)
    asst = Assistant.open(index_dir=index, embedder=hashing_embedder)
    try:
        delays = _added_changed_pruned(asst, {"index_dir": str(index)}, tmp_path)
    finally:
        asst.close()
    print("\nembedded: answerable after another process's ingest ended: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in delays.items()))
    assert max(delays.values()) <= FRESH_WITHIN, delays


@pytest.mark.server
def test_server_chat_sees_another_process_add_change_and_prune(chroma_server, hashing_embedder, tmp_path,
                                                                monkeypatch):
    from conftest import SEEDS

    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))  # shared with the writer, as on one machine
    seeded = Assistant.open(chroma_url=chroma_server, embedder=hashing_embedder, create=True)
    seeded.ingest([SEEDS])
    seeded.close()
    asst = Assistant.open(chroma_url=chroma_server, embedder=hashing_embedder)
    try:
        delays = _added_changed_pruned(asst, {"chroma_url": chroma_server}, tmp_path)
    finally:
        asst.close()
    print("\nserver: answerable after another process's ingest ended: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in delays.items()))
    assert max(delays.values()) <= FRESH_WITHIN, delays


def _chunk_texts(asst: Assistant) -> set[str]:
    got = asst.store.chunks.get(include=["documents"])
    return set(got["documents"])


def test_no_half_written_document_while_another_process_rewrites(seed_index_fake, copy_index, hashing_embedder,
                                                                  tmp_path):
    """Another process rewrites 12 documents (every offset moves) while this one answers
    questions about them: every passage it finds is a chunk of one version of its
    document, never a window of the new text at the old offsets, and each citation a
    whole sentence of that version."""
    from assistant.text.sentences import split_sentences

    index = copy_index(seed_index_fake)
    docs = tmp_path / "ports"
    docs.mkdir()
    names = [f"Kestrup{n:02d}" for n in range(12)]
    for n, name in enumerate(names):
        (docs / f"{name}.txt").write_text(_article(name, f"{10_000 + n:,}"), encoding="utf-8")
    _write({"index_dir": str(index)}, [docs])
    sentences: set[str] = set()
    for n, name in enumerate(names):  # the new versions: a paragraph on top, another figure
        old = (docs / f"{name}.txt").read_text(encoding="utf-8")
        new = _article(name, f"{20_000 + n:,}", extra="An earlier note.\n\n" * 3)
        (docs / f"{name}.txt").write_text(new, encoding="utf-8")
        sentences |= {t[a:b].strip() for t in (old, new) for a, b in split_sentences(t)}
    asst = Assistant.open(index_dir=index, embedder=hashing_embedder)
    chunks = _chunk_texts(asst)
    seen: list[tuple[str, str]] = []  # (what, text) read while the other process wrote
    answered = [0]
    stop = threading.Event()

    def reader() -> None:
        i = 0
        while not stop.is_set():
            q = _question(names[i % len(names)])
            i += 1
            # As in a big index, where a document is rarely still in the reader's cache.
            asst.local._docs.clear()
            ans = asst.ask(q)
            passages = asst.retriever.retrieve(q, k=5)
            seen.extend(("passage", p.text) for p in passages if p.doc_id.startswith("Kestrup"))
            seen.extend(("citation", c.quote.strip()) for c in ans.citations if c.doc_id.startswith("Kestrup"))
            answered[0] += 1

    t = threading.Thread(target=reader)
    t.start()
    try:
        _write({"index_dir": str(index)}, [docs])
        time.sleep(3 * asst.REFRESH_EVERY)  # and past the reload
    finally:
        stop.set()
        t.join()
    chunks |= _chunk_texts(asst)  # the new versions' chunks are whole too
    bad = [f"{what}: {text[:80]!r}" for what, text in seen
           if text not in (chunks if what == "passage" else sentences)]
    new = asst.ask(_question(names[0]))
    asst.close()
    print(f"\n{answered[0]} answers while another process rewrote 12 documents; {len(bad)} half-written reads")
    assert not bad, bad[:5]
    assert answered[0] >= 10
    assert "20,000" in f"{new.answer} {new.text}"


def test_one_question_reads_one_version_of_a_document_rewritten_mid_question(seed_index_fake, copy_index,
                                                                              hashing_embedder, tmp_path,
                                                                              monkeypatch):
    """Deterministic form of the race above: another process rewrites the article (every
    offset moves, the figure changes) right after this question first reads it. The
    question keeps reading the version it started with: its answer and every citation
    come from the old text, each citation a whole sentence of it."""
    from assistant.text.sentences import split_sentences

    index = copy_index(seed_index_fake)
    docs = tmp_path / "ports"
    docs.mkdir()
    path = docs / "Kestrup00.txt"
    old = _article("Kestrup00", "10,000")
    path.write_text(old, encoding="utf-8")
    _write({"index_dir": str(index)}, [docs])
    asst = Assistant.open(index_dir=index, embedder=hashing_embedder)
    read = asst.local._read_doc
    rewritten: list[str] = []

    def read_then_rewrite(doc_id: str):
        doc = read(doc_id)
        if doc_id.startswith("Kestrup") and not rewritten:
            path.write_text(_article("Kestrup00", "20,000", extra="An earlier note.\n\n" * 3), encoding="utf-8")
            _write({"index_dir": str(index)}, [docs])
            rewritten.append(doc_id)
        return doc

    monkeypatch.setattr(asst.local, "_read_doc", read_then_rewrite)
    try:
        ans = asst.ask(_question("Kestrup00"))
        assert rewritten, "the question never read the article"
        assert read(rewritten[0]).text != old  # the store holds the new version by now
        sentences = {old[a:b].strip() for a, b in split_sentences(old)}
        quotes = [c.quote.strip() for c in ans.citations if c.doc_id == rewritten[0]]
        assert quotes and all(q in sentences for q in quotes), quotes
        assert "10,000" in f"{ans.answer} {ans.text}" and "20,000" not in ans.text
    finally:
        asst.close()
