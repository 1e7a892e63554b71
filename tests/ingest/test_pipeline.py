"""Incremental ingest end to end (hashing embedder, real spaCy): idempotence, updates,
duplicates, pruning, bad input reported per file, and chunk invariants on the seed articles.

Every test counts rows in Chroma itself (``store.chunk_rows``), not only the report, so a
stale or overwritten chunk cannot hide behind a correct summary line.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, SEEDS

from assistant.api import Assistant
from assistant.errors import IndexMissing
from assistant.ingest.chunking import count_tokens

pytestmark = pytest.mark.slow  # ingest runs the spaCy pipeline on every new document

SEED_FILES = sorted(SEEDS.glob("*.txt"))

EXTRA = (
    "Harbor council approves flood barrier\n\n"
    "The Harbor City council voted 9-2 on Tuesday to fund a 4.2-kilometre flood barrier along the docks.\n"
    "The barrier will cost 312 million euros, of which the regional fund covers 40 percent.\n"
    "Construction is scheduled to start in autumn 2026 and to take three years, the council said.\n"
)


def _open(index_dir: Path, embedder) -> Assistant:
    return Assistant.open(index_dir=index_dir, embedder=embedder, create=True)


def _rows_by_doc(asst: Assistant) -> Counter:
    return Counter(m["doc_id"] for _, m in asst.store.chunk_rows())


def _chunk_ids(asst: Assistant) -> list[str]:
    return sorted(cid for cid, _ in asst.store.chunk_rows())


def _status(report) -> dict[str, str]:
    return {r.doc_id or Path(r.source).name: r.status for r in report.results}


def _assert_consistent(asst: Assistant) -> None:
    """Chroma rows, document records and the local cache agree, per document."""
    rows = _rows_by_doc(asst)
    records = asst.store.doc_records()
    assert set(rows) <= set(records), "chunks without a document record"
    for doc_id, rec in records.items():
        assert rows[doc_id] == rec.n_chunks, (doc_id, rows[doc_id], rec.n_chunks)
    assert set(asst.local.records()) == set(records)
    n_docs, n_chunks = asst.store.counts()
    assert (n_docs, n_chunks) == (len(records), sum(rows.values()))


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A writable copy of two seed articles plus one short article."""
    d = tmp_path / "corpus"
    d.mkdir()
    for p in SEED_FILES[:2]:
        shutil.copyfile(p, d / p.name)
        os.chmod(d / p.name, 0o644)
    (d / "extra.txt").write_text(EXTRA, encoding="utf-8")
    return d


# --- idempotence ------------------------------------------------------------------------


def test_reingesting_the_seeds_is_a_no_op(seed_index_fake, copy_index, hashing_embedder):
    asst = _open(copy_index(seed_index_fake), hashing_embedder)
    try:
        before_ids = _chunk_ids(asst)
        before_counts = asst.store.counts()
        gen = asst.store.generation
        report = asst.ingest([SEEDS])
        assert report.ok
        assert report.count("unchanged") == len(SEED_FILES)
        assert report.count("added") == report.count("updated") == report.count("failed") == 0
        assert report.chunks_written == 0
        assert (report.total_docs, report.total_chunks) == before_counts
        assert _chunk_ids(asst) == before_ids
        assert asst.store.generation == gen, "a no-op ingest must not invalidate caches"
        _assert_consistent(asst)
    finally:
        asst.close()


def test_same_content_under_a_new_path_is_unchanged(corpus, tmp_path, hashing_embedder):
    """Moving the corpus does not re-embed: the cleaned content is compared, not the path."""
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        first = asst.ingest([corpus])
        ids = _chunk_ids(asst)
        moved = tmp_path / "moved"
        corpus.rename(moved)
        again = asst.ingest([moved])
        assert again.count("unchanged") == first.count("added") == 3
        assert again.chunks_written == 0 and _chunk_ids(asst) == ids
        assert {r.source for r in asst.store.doc_records().values()} == set(map(str, moved.iterdir()))
        # A third run takes the raw-hash shortcut (no cleaning) now that the new path is recorded.
        assert asst.ingest([moved]).count("unchanged") == 3
    finally:
        asst.close()


# --- updates ----------------------------------------------------------------------------


def test_a_changed_file_replaces_its_chunks_and_leaves_no_stale_rows(corpus, tmp_path, hashing_embedder):
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        asst.ingest([corpus])
        old_text = asst.document("extra.txt").text
        other = {cid for cid, m in asst.store.chunk_rows() if m["doc_id"] != "extra.txt"}
        new = EXTRA.replace("9-2 on Tuesday", "7-4 on Wednesday").replace("312 million", "298 million")
        new += "Opponents said the money should go to relocating the most exposed households instead.\n" * 1
        (corpus / "extra.txt").write_text(new, encoding="utf-8")
        report = asst.ingest([corpus])
        assert _status(report) == {"extra.txt": "updated", SEED_FILES[0].name: "unchanged",
                                   SEED_FILES[1].name: "unchanged"}
        doc = asst.document("extra.txt")
        assert doc.text != old_text and "7-4 on Wednesday" in doc.text
        rows = [(cid, m) for cid, m in asst.store.chunk_rows() if m["doc_id"] == "extra.txt"]
        assert len(rows) == asst.store.doc_records()["extra.txt"].n_chunks >= 1
        got = asst.store.chunks.get(ids=[cid for cid, _ in rows], include=["documents", "metadatas"])
        for text, m in zip(got["documents"], got["metadatas"], strict=True):
            assert text == doc.text[m["start"]:m["end"]]  # every row belongs to the new version
            assert "9-2 on Tuesday" not in text and "312 million" not in text
        # The other documents' chunks were not touched.
        assert {cid for cid, m in asst.store.chunk_rows() if m["doc_id"] != "extra.txt"} == other
        # Search sees the new figure, not the old one.
        hits = asst.retriever.retrieve("How much will the barrier cost?", k=3, mode="bm25")
        assert any("298 million" in p.text for p in hits) and not any("312 million" in p.text for p in hits)
        _assert_consistent(asst)
    finally:
        asst.close()


def test_a_shorter_new_version_drops_the_extra_chunks(corpus, tmp_path, hashing_embedder):
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        asst.ingest([corpus])
        name = SEED_FILES[1].name
        before = _rows_by_doc(asst)[name]
        assert before >= 2
        first_para = (corpus / name).read_text(encoding="utf-8").split("\n")[2]
        (corpus / name).write_text(f"Short version\n\n{first_para}\n", encoding="utf-8")
        asst.ingest([corpus])
        assert _rows_by_doc(asst)[name] == 1
        _assert_consistent(asst)
    finally:
        asst.close()


# --- duplicates -------------------------------------------------------------------------


def test_identical_content_under_another_name_is_a_separate_document(corpus, tmp_path, hashing_embedder):
    """doc_id is the file name, so a copy is its own document: its chunk ids differ (they hash
    the doc_id) and neither copy overwrites the other's rows in Chroma."""
    shutil.copyfile(corpus / "extra.txt", corpus / "extra-copy.txt")
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        report = asst.ingest([corpus])
        assert _status(report)["extra-copy.txt"] == "added"
        rows = _rows_by_doc(asst)
        assert rows["extra.txt"] == rows["extra-copy.txt"] >= 1
        ids = {m["doc_id"]: set() for _, m in asst.store.chunk_rows()}
        for cid, m in asst.store.chunk_rows():
            ids[m["doc_id"]].add(cid)
        assert not ids["extra.txt"] & ids["extra-copy.txt"]
        recs = asst.store.doc_records()
        assert recs["extra.txt"].content_hash == recs["extra-copy.txt"].content_hash
        _assert_consistent(asst)
    finally:
        asst.close()


def test_identical_content_under_another_name_is_reported(corpus, tmp_path, hashing_embedder):
    shutil.copyfile(corpus / "extra.txt", corpus / "extra-copy.txt")
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        report = asst.ingest([corpus])
        noted = [(r.doc_id, r.reason) for r in report.results if r.reason]
        # Sorted walk: "extra-copy.txt" comes first, so the later "extra.txt" is the copy.
        assert noted == [("extra.txt", "same content as extra-copy.txt")]
        assert report.count("added") == 4
        # A copy added in a later run is reported against the indexed original.
        shutil.copyfile(corpus / "extra.txt", corpus / "extra-third.txt")
        noted = [(r.doc_id, r.reason) for r in asst.ingest([corpus]).results if r.reason]
        assert noted == [("extra-third.txt", "same content as extra-copy.txt")]
    finally:
        asst.close()


def test_same_base_name_in_two_folders_gets_two_ids(tmp_path, hashing_embedder):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "story.txt").write_text(EXTRA, encoding="utf-8")
    (tmp_path / "b" / "story.txt").write_text(EXTRA.replace("9-2", "8-3"), encoding="utf-8")
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        asst.ingest([tmp_path / "a", tmp_path / "b"])
        assert set(asst.store.doc_records()) == {"story.txt", "story.txt#2"}
        again = asst.ingest([tmp_path / "a", tmp_path / "b"])
        assert again.count("unchanged") == 2 and again.chunks_written == 0
    finally:
        asst.close()


# --- prune ------------------------------------------------------------------------------


def test_prune_removes_documents_whose_files_are_gone(corpus, tmp_path, hashing_embedder):
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        asst.ingest([corpus])
        (corpus / "extra.txt").unlink()
        kept = asst.ingest([corpus])  # without prune nothing is removed
        assert "extra.txt" in asst.store.doc_records() and kept.count("removed") == 0
        report = asst.ingest([corpus], prune=True)
        assert _status(report)["extra.txt"] == "removed"
        assert "removed" in report.summary()
        assert "extra.txt" not in asst.store.doc_records()
        assert "extra.txt" not in _rows_by_doc(asst)
        with pytest.raises(IndexMissing):
            asst.document("extra.txt")
        hits = asst.retriever.retrieve("flood barrier cost", k=5, mode="bm25")
        assert all(p.doc_id != "extra.txt" for p in hits)
        _assert_consistent(asst)
    finally:
        asst.close()


def test_an_ingest_into_an_index_reads_only_the_records_of_its_documents(corpus, tmp_path, hashing_embedder,
                                                                        monkeypatch):
    """Added, updated, unchanged, same-content and pruned, all decided without listing every
    stored record (a whole-corpus read: 141 s at 1M chunks)."""
    from assistant.index.store import Store

    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        asst.ingest([corpus])

        def every_record(self):
            raise AssertionError("the ingest listed every stored record")

        monkeypatch.setattr(Store, "doc_records", every_record)
        (corpus / "extra.txt").write_text(EXTRA.replace("barrier", "wall"), encoding="utf-8")  # updated
        (corpus / "twin.txt").write_text(EXTRA.replace("barrier", "wall"), encoding="utf-8")  # its twin
        kept = SEED_FILES[0].name
        (corpus / SEED_FILES[1].name).unlink()  # pruned
        report = asst.ingest([corpus], prune=True)
        status = _status(report)
        assert status == {kept: "unchanged", "extra.txt": "updated", "twin.txt": "added",
                          SEED_FILES[1].name: "removed"}
        assert [r.reason for r in report.results if r.doc_id == "twin.txt"] == ["same content as extra.txt"]
        monkeypatch.undo()
        assert set(asst.store.doc_records()) == {kept, "extra.txt", "twin.txt"}
        _assert_consistent(asst)
    finally:
        asst.close()


def test_prune_keeps_documents_from_other_folders_that_still_exist(corpus, tmp_path, hashing_embedder):
    other = tmp_path / "other"
    other.mkdir()
    (other / "kept.txt").write_text(EXTRA.replace("Harbor", "River"), encoding="utf-8")
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        asst.ingest([corpus, other])
        report = asst.ingest([corpus], prune=True)
        assert report.count("removed") == 0
        assert "kept.txt" in asst.store.doc_records()
    finally:
        asst.close()


def test_prune_from_another_working_directory_keeps_existing_files(corpus, tmp_path, hashing_embedder,
                                                                    monkeypatch):
    """Sources are stored as absolute paths, so a relative ingest is not pruned from elsewhere."""
    monkeypatch.chdir(corpus.parent)
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        asst.ingest([corpus.name])  # relative path
        other = tmp_path / "elsewhere"
        other.mkdir()
        (other / "new.txt").write_text(EXTRA.replace("Harbor", "River"), encoding="utf-8")
        monkeypatch.chdir(other)
        report = asst.ingest(["."], prune=True)
        assert report.count("removed") == 0
        assert len(asst.store.doc_records()) == 4
    finally:
        asst.close()


def test_prune_removes_a_jsonl_document_whose_line_is_gone(tmp_path, hashing_embedder):
    batch = tmp_path / "batch.jsonl"
    lines = [
        {"id": "a", "text": "The ferry carries 300 passengers and 40 cars, the operator said on Monday."},
        {"id": "b", "text": "The port handled a record 2.1 million containers last year, officials said."},
    ]
    batch.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        asst.ingest([batch])
        batch.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
        report = asst.ingest([batch], prune=True)
        assert _status(report) == {"a": "unchanged", "b": "removed"}
        assert set(asst.store.doc_records()) == {"a"}
        _assert_consistent(asst)
    finally:
        asst.close()


# --- bad input --------------------------------------------------------------------------


def test_bad_inputs_are_reported_per_file_and_the_rest_is_ingested(tmp_path, hashing_embedder):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a_empty.txt").write_bytes(b"")
    (src / "b_binary.txt").write_bytes(bytes(range(256)) * 8)
    (src / "c_good.txt").write_text(EXTRA, encoding="utf-8")
    (src / "d_legacy.txt").write_bytes(EXTRA.replace("Harbor", "Café").encode("cp1252"))
    (src / "e_batch.jsonl").write_text(
        json.dumps({"id": "j1", "text": "The <b>ferry</b> carries 300 passengers, the operator said."}) + "\n"
        "{not json\n"
        + json.dumps({"id": "j2", "title": "no text"}) + "\n",
        encoding="utf-8",
    )
    shutil.copyfile(FIXTURES / "page.html", src / "f_page.html")
    (src / "g_furniture_only.txt").write_text("Share this article\n\nRead more\n\nLeave a Reply\n", encoding="utf-8")
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        report = asst.ingest([src, tmp_path / "missing.txt"])
        assert report.ok
        fails = {Path(r.source).name: r.reason for r in report.failures}
        assert set(fails) == {"a_empty.txt", "b_binary.txt", "e_batch.jsonl:line 2", "e_batch.jsonl:line 3",
                              "g_furniture_only.txt", "missing.txt"}
        assert "empty" in fails["a_empty.txt"]
        assert "binary" in fails["b_binary.txt"]
        assert "JSON" in fails["e_batch.jsonl:line 2"] and '"text"' in fails["e_batch.jsonl:line 3"]
        assert "page furniture" in fails["g_furniture_only.txt"]
        assert "no such file" in fails["missing.txt"]
        assert {r.doc_id for r in report.results if r.status == "added"} == {
            "c_good.txt", "d_legacy.txt", "j1", "f_page.html"}
        assert "Café City council" in asst.document("d_legacy.txt").text  # decoded, not mojibake
        assert asst.document("j1").text == "The ferry carries 300 passengers, the operator said."
        page = asst.document("f_page.html")
        assert (page.title, page.publisher, page.date) == ("Bridge reopens after repairs", "Valley Courier", "2024-05-17")
        assert "tracking" not in page.text and "Copyright" not in page.text
        assert "6 failed" in report.summary()
        _assert_consistent(asst)
    finally:
        asst.close()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_reported(tmp_path, hashing_embedder):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text(EXTRA, encoding="utf-8")
    locked = src / "locked.txt"
    locked.write_text(EXTRA, encoding="utf-8")
    locked.chmod(0)
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        report = asst.ingest([src])
        assert [Path(r.source).name for r in report.failures] == ["locked.txt"]
        assert "permission denied" in report.failures[0].reason
        assert set(asst.store.doc_records()) == {"good.txt"}
    finally:
        locked.chmod(0o644)
        asst.close()


def test_unreadable_file_is_reported_even_as_root(tmp_path, hashing_embedder, monkeypatch):
    """Same path as above through a simulated EACCES (root ignores file modes)."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text(EXTRA, encoding="utf-8")
    (src / "locked.txt").write_text(EXTRA, encoding="utf-8")
    real = Path.read_bytes

    def deny(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        report = asst.ingest([src])
        assert [Path(r.source).name for r in report.failures] == ["locked.txt"]
        assert "permission denied" in report.failures[0].reason
        assert set(asst.store.doc_records()) == {"good.txt"}
    finally:
        asst.close()


def test_nothing_ingestible_is_not_ok(tmp_path, hashing_embedder):
    (tmp_path / "empty.txt").write_bytes(b"")
    asst = _open(tmp_path / "index", hashing_embedder)
    try:
        report = asst.ingest([tmp_path / "empty.txt"])
        assert not report.ok and report.count("failed") == 1
        assert asst.store.counts() == (0, 0)
    finally:
        asst.close()


def test_cli_show_cleaning_and_exit_codes(tmp_path, hashing_embedder, monkeypatch, capsys):
    from assistant.index import embedding
    from assistant.interfaces import cli

    monkeypatch.setattr(embedding, "default_embedder", lambda *a, **k: hashing_embedder)
    monkeypatch.setattr("assistant.api._default_model_id", lambda: (hashing_embedder.name, hashing_embedder.dim))
    idx = str(tmp_path / "index")
    code = cli.main(["ingest", str(FIXTURES / "comments_form.txt"), "--index-dir", idx, "--show-cleaning",
                     "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 added" in out
    # Every dropped line is listed with its line number and the rule that dropped it.
    assert "comments_form.txt" in out
    for line_no, rule, text in ((3, "chrome", "Share this article"), (21, "after_end_marker", "Port workers vote")):
        assert any(f"line {line_no:>4}" in ln and rule in ln and text in ln for ln in out.splitlines()), (rule, out)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code = cli.main(["ingest", str(empty), "--index-dir", idx, "--no-progress"])
    captured = capsys.readouterr()
    assert code == 3 and "empty.txt" in captured.err and "empty" in captured.err  # report.EXIT_SOME_FAILED


# --- chunk invariants on the seed articles ----------------------------------------------


def test_seed_chunks_map_back_exactly_and_cover_each_article(seed_index_fake, hashing_embedder):
    asst = Assistant.open(index_dir=seed_index_fake, embedder=hashing_embedder)
    try:
        budget = asst.settings.chunk_tokens
        rows = asst.store.chunk_rows()
        got = asst.store.chunks.get(ids=[cid for cid, _ in rows], include=["documents", "metadatas"])
        by_doc: dict[str, list[tuple[int, int, int, str, int]]] = {}
        for cid, text, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            by_doc.setdefault(m["doc_id"], []).append((m["index"], m["start"], m["end"], text, m["n_tokens"]))
            assert len(cid) >= 16
        assert set(by_doc) == {p.name for p in SEED_FILES}
        for doc_id, chunks in by_doc.items():
            doc = asst.document(doc_id)
            chunks.sort()
            assert [c[0] for c in chunks] == list(range(len(chunks)))
            covered = [False] * len(doc.text)
            for _, start, end, text, n_tok in chunks:
                assert text == doc.text[start:end]
                assert text == text.strip() and text
                assert n_tok == count_tokens(text)
                assert n_tok <= budget or " " not in text.strip()
                for i in range(start, end):
                    covered[i] = True
            starts = [c[1] for c in chunks]
            assert starts == sorted(starts) and len(set(starts)) == len(starts)
            # Every non-space character of the cleaned article is in some chunk.
            missed = [i for i, ch in enumerate(doc.text) if not ch.isspace() and not covered[i]]
            assert not missed, (doc_id, doc.text[missed[0]: missed[0] + 60])
            # Chunks end on sentence boundaries.
            ends = {e for _, e in doc.sentences}
            assert all(c[2] in ends for c in chunks), doc_id
    finally:
        asst.close()


def test_seed_metadata_in_the_index(seed_index_fake, hashing_embedder):
    """What `assistant stats` shows for the seeds: dateline dates stay without a year."""
    asst = Assistant.open(index_dir=seed_index_fake, embedder=hashing_embedder)
    try:
        docs = {d["doc_id"]: d for d in asst.stats()["docs"]}
        assert len(docs) == len(SEED_FILES)
        for d in docs.values():
            assert not d["date"] or d["date"].startswith("--") or d["date"][:4].isdigit()
            assert not d["title"] or "\n" not in d["title"]
        dated = [d for d in docs.values() if d["date"]]
        assert dated and all(d["publisher"] for d in dated)  # a dateline names the outlet with the date
        assert sum(bool(d["title"]) for d in docs.values()) >= len(docs) - 1
    finally:
        asst.close()
