"""The segmented keyword index: scores equal a BM25 index built from scratch on the live
chunks (bm25s, the library the index used to be built with) after any sequence of adds,
replacements, deletions and merges; a change writes one segment and touches no other;
another process sees a commit when it refreshes; merges keep the segment count bounded."""

from __future__ import annotations

import random

import numpy as np
import pytest

from assistant.index.keyword import MERGE_FACTOR, KeywordChunk, SegmentedIndex

VOCAB = [f"w{i}" for i in range(400)]


def make_docs(n: int, seed: int, prefix: str = "d") -> list[KeywordChunk]:
    """Documents of 1-4 chunks with Zipf-like word frequencies (some chunks empty)."""
    rng = random.Random(seed)
    weights = [1 / (i + 1) for i in range(len(VOCAB))]
    out = []
    for d in range(n):
        for c in range(rng.randint(1, 4)):
            toks = rng.choices(VOCAB, weights, k=rng.choice([0, 5, 20, 60]))
            out.append(KeywordChunk(f"{prefix}{d}-{c}", f"{prefix}{d}", c * 100, c * 100 + 90, toks))
    return out


def reference_scores(chunks: list[KeywordChunk], query: list[str]) -> dict[str, float]:
    import bm25s

    model = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    model.index([list(c.tokens) or ["\x00empty"] for c in chunks], show_progress=False)
    ids = [model.vocab_dict[t] for t in query if t in model.vocab_dict]
    scores = model.get_scores(ids)
    return {c.chunk_id: float(s) for c, s in zip(chunks, scores, strict=True)}


def our_scores(index: SegmentedIndex, query: list[str]) -> dict[str, float]:
    view = index.view()
    scores = view.scores(query)
    live = view.rows.row_of
    return {cid: float(scores[row]) for cid, row in live.items()}


def check_equal(index: SegmentedIndex, live: dict[str, KeywordChunk]) -> None:
    chunks = list(live.values())
    assert index.view().n_chunks == len(chunks)
    rng = random.Random(len(chunks))
    for _ in range(6):
        query = rng.sample(VOCAB[:60], 3) + rng.sample(VOCAB, 2) + ["w1"]  # a repeated common word
        ref = reference_scores(chunks, query)
        ours = our_scores(index, query)
        assert ours.keys() == ref.keys()
        got = np.array([ours[c] for c in ref])
        want = np.array(list(ref.values()))
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)
        # the top of the ranking is the same (ties apart)
        top = index.view().search(query, 10)
        assert [round(s, 4) for _, s in top] == [round(s, 4) for s in sorted(want, reverse=True)[:len(top)]]
    for t in ("w0", "w5", "w399"):
        assert index.view().df(t) == sum(1 for c in chunks if t in c.tokens)


def test_scores_equal_a_fresh_bm25_after_adds_replacements_deletes_and_merges(tmp_path):
    index = SegmentedIndex(tmp_path / "kw")
    live: dict[str, KeywordChunk] = {}
    for batch in range(3):
        docs = make_docs(40, seed=batch, prefix=f"b{batch}-")
        index.apply([], docs)
        live.update((c.chunk_id, c) for c in docs)
    check_equal(index, live)
    # replace 5 documents (new text, fewer chunks) and delete 7
    new = make_docs(5, seed=99, prefix="b1-")
    replaced = {c.doc_id for c in new}
    removed = {f"b0-{i}" for i in range(7)}
    index.apply(sorted(removed), new)
    live = {cid: c for cid, c in live.items() if c.doc_id not in replaced | removed}
    live.update((c.chunk_id, c) for c in new)
    check_equal(index, live)
    assert len(index.view().segments) == 4
    index.merge(everything=True)
    assert len(index.view().segments) == 1
    check_equal(index, live)
    # and in a new process
    check_equal(SegmentedIndex(tmp_path / "kw"), live)


def test_a_change_writes_one_segment_and_touches_no_other(tmp_path):
    root = tmp_path / "kw"
    index = SegmentedIndex(root)
    index.apply([], make_docs(200, seed=1))
    index.apply([], make_docs(20, seed=2, prefix="e"))

    def files() -> dict[str, int]:
        return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.glob("seg-*/*")}

    before = files()
    index.apply(["d3", "e4"], make_docs(3, seed=3, prefix="n"))
    after = files()
    assert {k: after[k] for k in before} == before  # the old segments' files are untouched
    new = {k.split("/")[0] for k in after if k not in before}
    assert len(new) == 1  # one new segment ...
    assert len(list(root.glob("del-*.npz"))) == 2  # ... and a deletion list beside each old one
    rows = index.view().rows
    assert not {"d3", "e4"} & {rows.doc_ids[r] for r in rows.row_of.values()}
    assert {"n0", "d4", "e3"} <= {rows.doc_ids[r] for r in rows.row_of.values()}


def test_another_process_sees_a_commit_when_it_refreshes(tmp_path):
    writer = SegmentedIndex(tmp_path / "kw")
    writer.apply([], make_docs(30, seed=1))
    reader = SegmentedIndex(tmp_path / "kw")
    old = reader.view()
    hits_before = old.search(["w3", "w7"], 5)
    assert reader.refresh() is False
    writer.apply(["d0"], [KeywordChunk("new-0", "new", 0, 10, ["zebra", "w3"])])
    assert reader.view() is old  # unchanged until it refreshes
    assert reader.refresh() is True
    assert reader.view().search(["zebra"], 5)[0][0] == "new-0"
    assert all(not cid.startswith("d0-") for cid, _ in reader.view().search(["w1", "w2"], 1000))
    writer.merge(everything=True)  # the files the old view maps are deleted
    assert not (tmp_path / "kw" / old.segments[0].name).exists()
    assert old.search(["w3", "w7"], 5) == hits_before  # it still reads its mapped arrays
    reader.refresh()
    assert reader.view().search(["zebra"], 5)[0][0] == "new-0"


def test_tiered_merges_keep_the_segment_count_bounded_and_reclaim_deletions(tmp_path):
    index = SegmentedIndex(tmp_path / "kw")
    live: dict[str, KeywordChunk] = {}
    for i in range(2 * MERGE_FACTOR + 3):
        docs = make_docs(3, seed=i, prefix=f"s{i}-")
        index.apply([], docs)
        live.update((c.chunk_id, c) for c in docs)
        assert len(index.view().segments) < MERGE_FACTOR + 2
    check_equal(index, live)
    # delete most of the biggest segment: it is rewritten without them
    big = max(index.view().segments, key=lambda s: s.n_rows)
    docs = sorted(set(big.doc_names))
    gone = docs[: int(len(docs) * 0.6)]
    index.apply(gone, [])
    assert all(len(d.rows) / s.n_rows < 0.34 for s, d in zip(index.view().segments, index.view().deletions,
                                                              strict=True) if s.n_rows)
    check_equal(index, {k: c for k, c in live.items() if c.doc_id not in set(gone)})


def test_search_keeps_to_the_documents_asked_for(tmp_path):
    index = SegmentedIndex(tmp_path / "kw")
    index.apply([], make_docs(50, seed=4))
    hits = index.view().search(["w1", "w2"], 20, docs={"d3", "d9"})
    assert hits and {cid.split("-")[0] for cid, _ in hits} <= {"d3", "d9"}
    assert index.view().search(["not-a-word"], 5) == []
    assert index.view().df("not-a-word") == 0
    assert index.view().prefix_df("w3") > 0 and index.view().prefix_df("zz") == 0


def test_an_empty_index_answers_nothing(tmp_path):
    index = SegmentedIndex(tmp_path / "kw")
    assert index.view() is None and not index.exists()
    index.reset()
    assert index.view().empty and index.view().search(["w1"], 5) == []


@pytest.mark.parametrize("n", [1, 7])
def test_merging_keeps_exact_offsets(tmp_path, n):
    index = SegmentedIndex(tmp_path / "kw")
    docs = make_docs(n * 5, seed=n)
    for d in sorted({c.doc_id for c in docs}):  # a document's chunks come together: they replace it
        index.apply([], [c for c in docs if c.doc_id == d])
    index.merge(everything=True)
    rows = index.view().rows
    for c in docs:
        r = rows.row_of[c.chunk_id]
        assert (rows.doc_ids[r], int(rows.starts[r]), int(rows.ends[r])) == (c.doc_id, c.start, c.end)
