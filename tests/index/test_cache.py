"""The local cache opens without reading the index in full: BM25 and the chunk table are
memory-mapped, the aliases and the corpus summary read on first use, and a question
never imports the build-time libraries. Caches written by older versions, or out of
step with the annotation store, are rebuilt on open."""

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
from assistant.index.bm25 import BM25Index
from assistant.index.cache import LocalIndex
from assistant.text.tokens import tokenize


@pytest.fixture
def seeds(seed_index_fake, copy_index):
    return copy_index(seed_index_fake)


def _rows(local: LocalIndex) -> dict[str, tuple[str, int, int]]:
    return {cid: (local.chunks.doc_ids[n], int(local.chunks.starts[n]), int(local.chunks.ends[n]))
            for n, cid in enumerate(local.chunks.ids)}


def test_open_maps_the_saved_tables_and_they_match_a_rebuild(seeds):
    local = LocalIndex(seeds / "assistant")
    assert local.load()
    assert isinstance(local.chunks.starts, np.memmap) and isinstance(local.chunks.doc_ids.index, np.memmap)
    assert local._aliases is None  # not read yet
    loaded = _rows(local)
    dates, meta = local.summary()
    variants = local.aliases.variants("Lukashenko")
    local.rebuild()
    assert _rows(local) == loaded and len(loaded) > 10
    assert local.summary() == (dates, meta) and dates == sorted(dates)
    assert local.aliases.variants("Lukashenko") == variants
    assert all(local.chunks.row_of[cid] == n for n, cid in enumerate(local.chunks.ids))
    local.close()


def test_bm25_scores_read_from_the_arrays_equal_bm25s(seeds):
    import bm25s

    path = seeds / "assistant" / "bm25"
    ours = BM25Index.load(path, mmap=True)
    theirs = bm25s.BM25.load(str(path), show_progress=False)
    for q in ("How many irregular crossings were thwarted?", "Lukashenko sanctions noose", "migrants border 2025"):
        ids = [theirs.vocab_dict[t] for t in tokenize(q) if t in theirs.vocab_dict]
        assert ids and np.array_equal(ours.scores(ids), theirs.get_scores(ids))


def test_a_cache_without_the_chunk_table_is_rebuilt_on_open(seeds, hashing_embedder):
    for name in ("chunk_doc.npy", "chunk_start.npy"):
        (seeds / "assistant" / "bm25" / name).unlink()
    (seeds / "assistant" / "summary.json").unlink()
    a = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    assert (seeds / "assistant" / "bm25" / "chunk_doc.npy").exists()
    assert (seeds / "assistant" / "summary.json").exists()
    assert not a.ask("How many irregular crossings were thwarted?").abstained
    a.close()


def test_a_table_out_of_step_with_the_store_is_rebuilt(seeds, hashing_embedder):
    """The BM25 files of another index (fewer chunks) in place of this one's."""
    a = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    n = len(a.local.chunks.ids)
    a.close()
    bm = seeds / "assistant" / "bm25"
    ids = json.loads((bm / "ids.json").read_text())
    small = BM25Index.build(ids[:3], [tokenize("a b c")] * 3)
    shutil.rmtree(bm)
    small.save(bm)
    local = LocalIndex(seeds / "assistant")
    assert not local.load()
    local.close()
    a = Assistant.open(index_dir=seeds, embedder=hashing_embedder)
    assert len(a.local.chunks.ids) == n  # sync rebuilt it
    a.close()


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
