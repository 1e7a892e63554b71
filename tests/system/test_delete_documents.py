"""Deleting documents (issue #27): through the ingest's one writer, as ``--prune`` does, so
that nothing of them is left to answer from: a question only the deleted article answered
is abstained on, here and in another process's view of the same index; BM25 and the name
aliases are rebuilt without it. Re-ingesting reads a file again."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.slow

HARBOUR = ("Harbour board reports record ferry season\n\nPORTVILLE, March 3, 2025 (Coastal Wire) - The harbour "
           "board said on Monday that 48,215 ferry passengers crossed the bay in 2024. \"It was our busiest year,\" "
           "said board chair Mira Testova.\n")
QUESTION = "What did Mira Testova say about the ferry season?"


@pytest.fixture
def index(seed_index, tmp_path):
    dst = tmp_path / "index"
    shutil.copytree(seed_index, dst)
    return dst


def test_a_deleted_article_no_longer_answers_anywhere(index, tmp_path, minilm_embedder):
    from assistant.api import Assistant

    article = tmp_path / "harbour.txt"
    article.write_text(HARBOUR, encoding="utf-8")
    asst = Assistant.open(index_dir=index, embedder=minilm_embedder)
    asst.ingest([article])
    other = Assistant.open(index_dir=index, embedder=minilm_embedder)  # another process's view
    ans = asst.ask(QUESTION)
    assert not ans.abstained and "busiest year" in ans.text and ans.citations[0].doc_id == "harbour.txt"
    assert "busiest year" in other.ask(QUESTION).text
    assert any("Testova" in " ".join(g) for g in asst.local.aliases.groups()) or \
        "harbour.txt" in set(asst.local.chunks.doc_ids)

    report = asst.delete(["harbour.txt", "not-there.txt"])
    assert [(r.doc_id, r.status) for r in report.results] == [("harbour.txt", "removed"), ("not-there.txt", "failed")]
    assert report.total_docs == 5

    ans = asst.ask(QUESTION)
    assert ans.abstained and all(c.doc_id != "harbour.txt" for c in ans.citations)
    figures = asst.ask("How many ferry passengers crossed the bay in 2024?")
    assert all(c.doc_id != "harbour.txt" for c in figures.citations) and "48,215" not in figures.text
    assert "harbour.txt" not in set(asst.local.chunks.doc_ids)  # BM25's rows were rebuilt
    assert not any("Testova" in " ".join(g) for g in asst.local.aliases.groups())
    assert all(d["doc_id"] != "harbour.txt" for d in asst.stats()["docs"])
    other.refresh(force=True)
    assert other.ask(QUESTION).abstained  # the other view follows the index
    fresh = Assistant.open(index_dir=index, embedder=minilm_embedder)
    assert fresh.ask(QUESTION).abstained and fresh.stats()["documents"] == 5
    for a in (asst, other, fresh):
        a.close()


def test_reingest_reads_the_file_again_and_reports_a_missing_one(index, tmp_path, hashing_embedder, seed_index_fake):
    from assistant.api import Assistant

    idx = tmp_path / "fake-index"
    shutil.copytree(seed_index_fake, idx)
    article = tmp_path / "harbour.txt"
    article.write_text(HARBOUR, encoding="utf-8")
    asst = Assistant.open(index_dir=idx, embedder=hashing_embedder)
    asst.ingest([article])
    same = asst.reingest(["harbour.txt"])
    assert [(r.doc_id, r.status) for r in same.results] == [("harbour.txt", "unchanged")]
    article.write_text(HARBOUR.replace("48,215", "48,216"), encoding="utf-8")
    changed = asst.reingest(["harbour.txt"])
    assert [(r.doc_id, r.status) for r in changed.results] == [("harbour.txt", "updated")]
    assert "48,216" in asst.document("harbour.txt").text
    article.unlink()
    gone = asst.reingest(["harbour.txt"])
    assert gone.results[0].status == "failed" and "is gone" in gone.results[0].reason
    asst.close()
