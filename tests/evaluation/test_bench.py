"""``assistant bench``: the pure helpers, and a smoke run of ``--quick`` (no timing asserts)."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from conftest import ROOT

from assistant.evaluation.bench import build_corpus, percentile, planted_fact, recall_at, sentence_pool

REQUIRED = ("ingest_chunks_per_s", "ingest_floor_chunks_per_s", "query_p50_ms", "query_floor_p50_ms",
            "ask_p50_ms", "cold_start_s", "recall_at_5", "hnsw_recall_at_10", "ingest_work_floor_chunks_per_s",
            "embed_only_chunks_per_s", "annotate_only_chunks_per_s", "ingest_work_ratio")
#: What ``--synthetic-vectors`` reports at each size.
REQUIRED_SCALE = ("query_p50_ms", "query_p95_ms", "query_floor_p50_ms", "hnsw_recall_at_10", "keyword_build_s",
                  "keyword_build_peak_mb", "keyword_incremental_s", "rss_mb_per_1k_chunks", "disk_mb_per_1k_chunks",
                  "ask_p50_ms", "selection_p50_ms", "open_s", "open_answer_s", "vector_load_s",
                  "open_answer_ratio", "cold_start_s", "synthetic_copy_cosine", "add_into_index_s", "add_into_empty_s", "add_ratio", "chat_refresh_s")


def test_recall_at_counts_overlap_of_top_k():
    assert recall_at(["a", "b", "c"], ["c", "x", "a"], 3) == pytest.approx(2 / 3)
    assert recall_at(["a", "b"], ["b", "a"], 10) == 1.0  # fewer than k results: judged on what exists
    assert recall_at([], ["a"], 10) == 1.0


def test_percentile_interpolates():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([], 95) == 0.0


def test_planted_fact_question_names_the_key_and_sentence_holds_it():
    rng = random.Random(0)
    facts = [planted_fact(rng) for _ in range(50)]
    for sentence, question, key in facts:
        assert key in sentence and key in question
    assert len({k for _, _, k in facts}) > 45  # made-up names rarely collide


def test_build_corpus_plants_each_question_in_its_document(tmp_path):
    pool = sentence_pool([ROOT / "seeds"])
    assert len(pool) > 50
    path, questions = build_corpus(pool, 40, 5, tmp_path / "c.jsonl")
    docs = {d["id"]: d for d in map(json.loads, path.read_text().splitlines())}
    assert len(questions) == 5
    for q in questions:
        assert q["sentence"] in docs[q["doc_id"]]["text"]
        assert sum(q["key"] in d["text"] for d in docs.values()) == 1


@pytest.mark.slow
def test_bench_quick_smoke(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "bench", "--quick", "--sizes", "60", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    (size,) = data["sizes"].values()
    missing = [k for k in REQUIRED if k not in size]
    assert not missing, missing
    assert size["chunks"] >= 60
    assert 0.0 <= size["recall_at_5"] <= 1.0 and 0.0 <= size["hnsw_recall_at_10"] <= 1.0
    assert size["ingest_chunks_per_s"] > 0 and size["query_floor_p50_ms"] > 0
    # the work floor counts both stages, so it is below either stage alone on every core
    assert size["ingest_work_floor_chunks_per_s"] < min(size["embed_only_chunks_per_s"],
                                                        size["annotate_only_chunks_per_s"] * size["cores"])
    # the strict floor counts the embedder at its most efficient thread count: never lower
    assert size["ingest_work_floor_strict_chunks_per_s"] >= size["ingest_work_floor_chunks_per_s"] - 0.01
    assert set(size["spacy_component_share"]) >= {"tok2vec", "parser", "ner"}
    assert "ingest" in proc.stdout  # the table was printed


@pytest.mark.slow
def test_bench_synthetic_vectors_smoke(tmp_path):
    """The scale mode end to end on a tiny base: copies written, every figure reported."""
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "bench", "--quick", "--synthetic-vectors", "--sizes", "500",
         "--base-chunks", "60", "--add-docs", "2", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (size,) = json.loads(out.read_text())["sizes"].values()
    missing = [k for k in REQUIRED_SCALE if k not in size]
    assert not missing, missing
    assert size["chunks"] >= 500 and size["synthetic_copies"] >= 5
    assert 0.0 < size["synthetic_copy_cosine"] < 1.0 and 0.0 <= size["hnsw_recall_at_10"] <= 1.0
    assert size["open_answer_s"] >= size["open_s"] > 0 and size["vector_load_s"] > 0
    assert size["add_docs"] == 2 and size["add_into_index_s"] > 0
    # the chat process open before the ingest finds the new documents by keyword
    assert size["chat_found_new_bm25"].split("/")[0] == size["chat_found_new_bm25"].split("/")[1] != "0"


def test_templates_rename_as_the_renamer_does():
    """A copy's text and annotations (as JSON, escapes and field names included) come out
    of the templates exactly as the renamer makes them."""
    from assistant.evaluation.bench.synthetic import Renamer, Template, proper_nouns

    text = 'Dateline: Minsk.\nLukashenko said "Minsk talks" resumed; the Dateline desk agreed.'
    ann = {"Dateline": True, "mentions": [["PERSON", 0, 10, "Lukashenko"], ["GPE", 3, 8, "Minsk\n"]],
           "quotes": [{"text": "\"Minsk talks\" resumed\\"}]}
    proper = proper_nouns([text, "lukashenko is not lower case here"]) | {"dateline", "minsk"}
    for copy in (1, 2):
        ren = Renamer(proper, copy)
        assert Template(text, proper).render(ren) == ren(text)
        rendered = Template(json.dumps(ann, ensure_ascii=False), proper, json_text=True).render(ren)
        assert json.loads(rendered) == ren.deep(ann)


def test_auto_precision_uses_bf16_only_with_native_support():
    from assistant.index.embedding import resolve_precision

    assert resolve_precision("auto", frozenset({"avx2", "avx512_bf16"})) == "bf16"
    assert resolve_precision("auto", frozenset({"avx2", "amx_bf16"})) == "bf16"
    assert resolve_precision("auto", frozenset({"avx2", "fma"})) == "fp32"
    assert resolve_precision("int8", frozenset()) == "int8"  # explicit choices are kept


def test_default_threads_is_within_the_cpus_available(real_cpus):
    import os

    from assistant.index.embedding import default_threads

    assert 1 <= default_threads() <= (os.cpu_count() or 1)


@pytest.mark.slow
def test_int8_really_quantizes_the_model_that_runs():
    import torch

    from assistant.index.embedding import load_engine

    e = load_engine("torch", "int8")
    linear = [m for m in e.model.modules() if isinstance(m, torch.nn.Linear)]
    quantized = [m for m in e.model.modules() if type(m).__module__.startswith("torch.ao.nn.quantized")]
    assert quantized and not linear
    v = e.encode(["A short test sentence about ferries."], 8)
    assert v.shape == (1, 384) and abs(float(v[0] @ v[0]) - 1.0) < 1e-4
