"""The local cache opens without reading the index in full: the keyword segments are
memory-mapped, the aliases and the corpus summary are counts read per lookup, and a
question never imports the build-time libraries. Changes are applied document by
document (a killed process's queue on the next open); caches written by older versions,
or out of step with the annotation store, are rebuilt on open."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from assistant.api import Assistant
from assistant.index.aliases import AliasTable
from assistant.index.cache import LocalIndex
from assistant.text.tokens import tokenize


@pytest.fixture
def seeds(seed_index_fake, copy_index):
    return copy_index(seed_index_fake)


BACKENDS = ["tantivy", "segments"]
QUERIES = ("How many irregular crossings were thwarted?", "Lukashenko sanctions noose", "migrants border 2025")


def _open(path, backend: str) -> LocalIndex:
    local = LocalIndex(path, backend=backend)
    if not local.load():  # the seed index was built with the default backend
        local.rebuild()
    return local


@pytest.mark.parametrize("backend", BACKENDS)
def test_open_reads_nothing_in_full_and_matches_a_rebuild(seeds, backend):
    local = _open(seeds / "assistant", backend)
    local.close()
    local = LocalIndex(seeds / "assistant", backend=backend)
    assert local.load()
    if backend == "segments":
        seg = local.bm25.segments[0]
        assert isinstance(seg.rows, np.memmap) and isinstance(seg.chunk_start, np.memmap)
    rows = local.chunks
    table = zip(rows.ids, rows.doc_ids, rows.starts, rows.ends, strict=True)
    assert {c: sp[:3] for c, sp in local.spans(rows.ids).items()} == {c: (d, s, e) for c, d, s, e in table}
    assert {sp.content_hash for sp in local.spans(rows.ids).values()} <= set(local.content_hashes().values())
    hits = {q: local.keyword_search(tokenize(q), 10) for q in QUERIES}
    dates, meta = local.summary()
    variants = local.aliases.variants("Lukashenko")
    local.rebuild()
    assert {q: local.keyword_search(tokenize(q), 10) for q in QUERIES} == hits
    assert local.summary() == (dates, meta) and dates == sorted(dates) and len(rows.ids) > 10
    assert local.aliases.variants("Lukashenko") == variants
    local.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_keyword_scores_of_the_seed_chunks_match_bm25s(seeds, backend):
    """The real tokens of the seeds (title + chunk text) against a bm25s index built over
    them (the library the index was built with before): the segments give the same
    scores; Tantivy, whose lengths are stored in one byte, the same top 5 and scores
    within a few percent."""
    import bm25s

    local = _open(seeds / "assistant", backend)
    chunks = local._keyword_chunks(sorted(local.records()))
    theirs = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    theirs.index([list(c.tokens) or ["\x00empty"] for c in chunks], show_progress=False)
    for q in QUERIES:
        qt = tokenize(q)
        ref = theirs.get_scores([theirs.vocab_dict[t] for t in qt if t in theirs.vocab_dict])
        want = sorted(((float(s), c.chunk_id) for s, c in zip(ref, chunks, strict=True) if s > 0), reverse=True)
        got = local.keyword_search(qt, len(chunks))
        assert len(got) == len(want)
        scores = dict(got)
        if backend == "segments":
            np.testing.assert_allclose([scores[c] for _, c in want], [s for s, _ in want], rtol=1e-5)
        else:
            np.testing.assert_allclose([scores[c] for _, c in want], [s for s, _ in want], rtol=0.06)
            assert {c for c, _ in got[:5]} == {c for _, c in want[:5]}
    local.close()


def test_a_cache_of_the_older_format_is_rebuilt_on_open(seeds, hashing_embedder):
    """A cache written before the keyword index had segments: a bm25/ folder, aliases.json and
    summary.json, no segments and no counts."""
    cache = seeds / "assistant"
    shutil.rmtree(cache / "keyword-tantivy")
    (cache / "bm25").mkdir()
    (cache / "aliases.json").write_text("{}")
    local = LocalIndex(cache)
    local.set_meta("derived_format", "")
    assert not local.load()
    local.close()
    a = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    assert (cache / "keyword-tantivy" / "meta.json").exists() and not (cache / "bm25").exists()
    assert not (cache / "aliases.json").exists()
    assert not a.ask("How many irregular crossings were thwarted?").abstained
    a.close()


def test_a_keyword_index_out_of_step_with_the_store_is_rebuilt(seeds, hashing_embedder):
    a = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    n = a.local.bm25.n_chunks
    some_doc = next(iter(a.local.records()))
    a.local.keyword.apply([some_doc], [])  # the keyword index loses a document the store has
    a.close()
    local = LocalIndex(seeds / "assistant")
    assert not local.load()
    local.close()
    a = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    assert a.local.bm25.n_chunks == n  # sync rebuilt it
    a.close()


def test_changes_queued_by_a_killed_process_are_applied_by_the_next_commit(seeds):
    """Documents stored but not yet committed to the keyword index (the process died in
    between) are in its queue: a reader opens the index as it is meanwhile, and the next
    commit (an ingest's) applies them."""
    local = LocalIndex(seeds / "assistant")
    assert local.load()
    doc_id = next(iter(local.records()))
    doc = local.doc(doc_id)
    rec = local.records()[doc_id]
    rows = local.chunks
    spans = sorted((s, e, cid) for cid, d, s, e in zip(rows.ids, rows.doc_ids, rows.starts, rows.ends, strict=True)
                   if d == doc_id)
    from assistant.index.store import DocRecord

    record = DocRecord.from_meta(doc_id, {**rec, "title": "Zanzibarian quokkas"})
    local.put_doc(record, doc.text, doc.annotations, [(cid, i, s, e) for i, (s, e, cid) in enumerate(spans)])
    local.close()  # killed before commit
    again = LocalIndex(seeds / "assistant")
    assert again.load()
    assert again.keyword_search(tokenize("quokkas"), 5) == []
    # Queued: the loaded keyword view holds another version of it, so it reads as absent.
    assert again.doc(doc_id) is None
    assert again.commit() == 1
    hits = again.keyword_search(tokenize("quokkas"), 5)
    assert hits and {again.spans([c])[c][0] for c, _ in hits} == {doc_id}
    assert again.doc(doc_id).title == "Zanzibarian quokkas"
    again.close()


def test_a_killed_ingest_queue_is_committed_when_a_reader_opens_the_index(seeds, hashing_embedder):
    """No ingest runs after the killed one: the next process to open the index (it holds
    the ingest lock while it syncs) commits the queue, so the document is not left absent."""
    from assistant.index.store import DocRecord

    local = LocalIndex(seeds / "assistant")
    assert local.load()
    doc_id = sorted(local.records())[0]
    doc, rec = local.doc(doc_id), local.records()[doc_id]
    rows = local.chunks
    kept = [(cid, i, s, e) for i, (cid, d, s, e) in enumerate(
        zip(rows.ids, rows.doc_ids, rows.starts, rows.ends, strict=True)) if d == doc_id]
    local.put_doc(DocRecord.from_meta(doc_id, {**rec, "title": "Zanzibarian quokkas"}), doc.text, doc.annotations,
                  [(cid, n, s, e) for n, (cid, _, s, e) in enumerate(kept)])
    local.close()  # killed before commit
    asst = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    try:
        hits = asst.local.keyword_search(tokenize("quokkas"), 5)
        assert hits and {asst.local.spans([c])[c][0] for c, _ in hits} == {doc_id}
        assert asst.local.doc(doc_id).title == "Zanzibarian quokkas"
    finally:
        asst.close()


def _rewrite(local: LocalIndex, doc_id: str, prefix: str) -> str:
    """Store a new version of ``doc_id`` with ``prefix`` on top (every offset moves),
    as another process's ingest would, and commit it; returns the new text."""
    from assistant.index.store import DocRecord

    old = local.doc(doc_id)
    rec = local.records()[doc_id]
    rows = local.chunks
    n = len(prefix)
    spans = [(cid, s + n, e + n) for cid, d, s, e in zip(rows.ids, rows.doc_ids, rows.starts, rows.ends, strict=True)
             if d == doc_id]
    ann = {**old.annotations, "sentences": [[s + n, e + n] for s, e in old.sentences]}
    record = DocRecord.from_meta(doc_id, {**rec, "content_hash": f"{rec['content_hash']}-v2"})
    local.put_doc(record, prefix + old.text, ann, [(cid, i, s, e) for i, (cid, s, e) in enumerate(spans)])
    local.commit()
    return prefix + old.text


def test_a_pinned_reader_sees_one_version_while_another_process_rewrites(seeds):
    """Inside ``pinned()`` a document reads as first read there, though another process
    rewrites it meanwhile; the chunk table's spans name the version their offsets cut, so
    a reader can tell them from the pinned one; outside, and on other threads, the new
    version shows."""
    import threading

    reader, writer = LocalIndex(seeds / "assistant"), LocalIndex(seeds / "assistant")
    assert reader.load() and writer.load()
    doc_id = sorted(reader.records())[0]
    try:
        with reader.pinned():
            before = reader.doc(doc_id)
            text = _rewrite(writer, doc_id, "An earlier note.\n\n" * 3)
            assert reader.doc(doc_id) is before  # pinned, though SQLite says the store changed
            elsewhere: list = []
            t = threading.Thread(target=lambda: elsewhere.append(reader.doc(doc_id)))
            t.start()
            t.join()
            assert elsewhere[0].text == text
            with reader.pinned():  # nested: the same pin
                assert reader.doc(doc_id) is before
            chunk = next(c for c, d in zip(reader.chunks.ids, reader.chunks.doc_ids, strict=True) if d == doc_id)
            assert reader.spans([chunk])[chunk].content_hash != before.content_hash
        after = reader.doc(doc_id)
        assert after.text == text and after.text != before.text
        assert reader.spans([chunk])[chunk].content_hash == after.content_hash
    finally:
        reader.close()
        writer.close()


def test_retrieval_skips_a_chunk_whose_offsets_belong_to_another_version(seeds, hashing_embedder):
    """A question pinned the old version; the chunk table now holds the new version's
    offsets: the retriever drops that chunk instead of cutting the old text at them."""
    asst = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    writer = LocalIndex(seeds / "assistant")
    try:
        doc_id = sorted(asst.local.records())[0]
        title = asst.local.doc(doc_id).title
        query = f"{title} {asst.local.doc(doc_id).text[:200]}"
        assert any(p.doc_id == doc_id for p in asst.retriever.retrieve(query, k=10))
        with asst.local.pinned():
            old = asst.local.doc(doc_id)
            _rewrite(writer, doc_id, "An earlier note.\n\n")
            passages = asst.retriever.retrieve(query, k=10)
            assert all(p.doc_id != doc_id for p in passages)
        fresh = asst.retriever.retrieve(query, k=10)
        got = [p for p in fresh if p.doc_id == doc_id]
        assert got and all(asst.local.doc(doc_id).text[p.start:p.end] == p.text for p in got)
        assert all(old.text[p.start:p.end] != p.text for p in got)
    finally:
        writer.close()
        asst.close()


def test_aliases_and_summary_follow_added_and_removed_documents(seeds):
    """Counts updated document by document equal the table and summary built from scratch
    over the documents that are left."""
    local = LocalIndex(seeds / "assistant")
    assert local.load()
    victim = sorted(local.records())[0]
    local.delete_doc(victim)
    local.commit()
    anns = [ann for _, ann in local.iter_annotations()]
    from assistant.index.aliases import document_entities

    fresh = AliasTable.build([e for ann in anns for e in document_entities(ann)])
    assert local.aliases.tokens == fresh.tokens
    assert {tuple(sorted(g)) for g in local.aliases.groups()} == {tuple(sorted(g)) for g in fresh.groups()}
    for word in ("Lukashenko", "Lukasenka", "Poland", "Belarus", "Valfovic"):
        assert set(local.aliases.variants(word)) == set(fresh.variants(word)), word
        assert local.aliases.label(word) == fresh.label(word), word
    recs = local.records()
    dates = sorted(r["date"] for r in recs.values() if r.get("date", "")[:4].isdigit())
    assert local.summary()[0] == dates
    assert victim not in recs
    local.close()


def test_another_process_commit_into_the_same_cache_is_seen_on_sync(seeds, hashing_embedder):
    """Two processes on one embedded index share its cache: the one that did not ingest
    picks up the new segment and documents when it syncs, without a rebuild."""
    reader = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    before = reader.local.bm25
    assert reader.local.keyword_search(tokenize("quokkas zanzibar"), 5) == []
    writer = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    src = seeds.parent / "new.txt"
    src.write_text("Zanzibar quokkas\n\nThe quokkas of Zanzibar were counted on 3 May 2025: 4,210 of them.\n")
    writer.ingest([src])
    writer.close()
    def no_rebuild() -> None:
        raise AssertionError("the reader rebuilt its cache")

    reader.local.rebuild = no_rebuild  # type: ignore[method-assign]
    reader.refresh(force=True)
    assert reader.local.bm25 is not before
    hits = reader.local.keyword_search(tokenize("quokkas zanzibar"), 5)
    assert hits and reader.local.doc(reader.local.spans([hits[0][0]])[hits[0][0]][0]).title == "Zanzibar quokkas"
    reader.close()


def test_aliases_load_their_saved_redirects(tmp_path):
    built = AliasTable.build([("Alaksandar Łukašenka", "PERSON"), ("Alexander Lukashenko", "PERSON"),
                              ("Lukashenka", "PERSON")])
    built.save(tmp_path / "aliases.json")
    loaded = AliasTable.load(tmp_path / "aliases.json")
    assert loaded.variants("lukasenka") == built.variants("lukasenka") != []
    # a file from before the redirects were saved still works
    data = json.loads((tmp_path / "aliases.json").read_text())
    del data["redirect"]
    (tmp_path / "aliases.json").write_text(json.dumps(data))
    assert AliasTable.load(tmp_path / "aliases.json").variants("lukasenka") == built.variants("lukasenka")


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["bf16", "fp32"], ids=["avx512-bf16-kind", "avx2-kind"])
def test_answering_imports_no_build_time_library(seed_index, precision):
    """A new process answering with the real model, as ``auto`` resolves on each CPU kind
    (bf16 batches need PyTorch, fp32 ones ONNX Runtime): the question path loads neither
    PyTorch nor spaCy nor the BM25 builder, the bulk of a cold start."""
    import os

    code = (
        "import sys\n"
        "from assistant.api import Assistant\n"
        f"a = Assistant.open(index_dir={str(seed_index)!r})\n"
        "ans = a.ask('How many irregular crossings were thwarted?')\n"
        "assert not ans.abstained, ans.text\n"
        "print(' '.join(m for m in ('bm25s', 'scipy', 'torch', 'spacy', 'sentence_transformers') if m in sys.modules))\n"
    )
    env = {**os.environ, "ASSISTANT_EMBED_PRECISION": precision}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ""


def test_an_annotation_store_without_the_hash_index_gets_it_and_spans_read_through_it(seeds):
    import sqlite3

    db_path = seeds / "assistant" / "annotations.sqlite"
    with sqlite3.connect(db_path) as db:  # as a store made before the index existed
        db.execute("DROP INDEX IF EXISTS docs_hash")
    local = LocalIndex(seeds / "assistant")
    assert local.load()
    ids = local.chunks.ids
    spans = local.spans(ids)
    assert len(spans) == len(ids) > 10
    plan = " ".join(str(r) for r in local._db.execute(
        "EXPLAIN QUERY PLAN SELECT c.chunk_id, d.content_hash FROM chunks c "
        "JOIN docs d INDEXED BY docs_hash ON d.doc_id = c.doc_id WHERE c.chunk_id IN (?)", (ids[0],)))
    assert "COVERING INDEX docs_hash" in plan
    local.close()


def test_chunk_lookups_read_every_batch_and_skip_unknown_ids(seeds, monkeypatch):
    """``spans`` and ``chunk_texts`` split long id lists into ``IN (...)`` batches: every
    batch is read (a small batch size forces several), ids not stored are left out, and a
    chunk's text is its document's text between the chunk's offsets."""
    from assistant.index import cache

    local = _open(seeds / "assistant", "tantivy")
    ids = list(local.chunks.ids)
    whole = local.spans(ids)
    monkeypatch.setattr(cache, "IN_BATCH", 3)
    asked = [*ids, "no-such-chunk"]
    assert local.spans(asked) == whole and len(whole) == len(ids) > 3
    texts = local.chunk_texts(asked)
    assert set(texts) == set(ids)
    for c, sp in whole.items():
        assert texts[c] == local.doc(sp.doc_id).text[sp.start:sp.end]
    local.close()
