"""The report: one table per size, each figure beside its floor and their ratio."""

from __future__ import annotations

from typing import Any

from assistant.evaluation.bench.measure import ratio

# -- report ------------------------------------------------------------------------------------------
ROWS = (
    # (label, value key, floor key, ratio key, unit)
    ("ingest vs work floor", "ingest_chunks_per_s", "ingest_work_floor_chunks_per_s", "ingest_work_ratio",
     "chunks/s"),
    ("ingest vs strict work floor", "ingest_chunks_per_s", "ingest_work_floor_strict_chunks_per_s",
     "ingest_work_ratio_strict", "chunks/s"),
    ("ingest vs embedder alone", "ingest_chunks_per_s", "ingest_floor_chunks_per_s", "ingest_ratio", "chunks/s"),
    ("  embedder alone, all cores", "embed_only_chunks_per_s", None, None, "chunks/s"),
    ("  embedder alone, 1 thread", "embed_only_1thread_chunks_per_s", None, None, "chunks/s"),
    ("  annotation alone, 1 core", "annotate_only_chunks_per_s", None, None, "chunks/s"),
    ("  share of ingest the embedder was busy", "ingest_embedder_busy_share", None, None, ""),
    ("  spaCy", "spacy_tokens_per_s", None, None, "tokens/s"),
    ("re-ingest unchanged", "reingest_s", "ingest_s", "reingest_share", "s"),
    ("retrieve p50", "query_p50_ms", "query_floor_p50_ms", "query_ratio", "ms"),
    ("retrieve p95", "query_p95_ms", "query_floor_p95_ms", None, "ms"),
    ("ask p50", "ask_p50_ms", "query_floor_p50_ms", None, "ms"),
    ("ask p95", "ask_p95_ms", None, None, "ms"),
    ("query embedding p50", "query_embed_p50_ms", None, None, "ms"),
    ("chroma top-10 p50", "chroma_query_p50_ms", "exact_search_p50_ms", None, "ms (floor: numpy exact)"),
    ("keyword (BM25) p50", "bm25_p50_ms", None, None, "ms"),
    ("learned selection p50 (inside ask)", "selection_p50_ms", None, None, "ms"),
    ("fusion p50", "fusion_p50_ms", None, None, "ms"),
    ("recall@5 planted", "recall_at_5", None, None, ""),
    ("HNSW recall@10 vs exact (distance threshold)", "hnsw_recall_at_10", None, None, ""),
    ("HNSW recall@10 vs exact (same ids)", "hnsw_recall_ids_at_10", None, None, ""),
    ("cold start CLI", "cold_start_s", "import_floor_s", "cold_start_ratio", "s"),
    ("cold start app", "app_cold_start_s", "import_floor_s", None, "s"),
    ("cold start CLI vs ONNX-path imports", "cold_start_s", "import_floor_onnx_s", None, "s"),
    ("new process: open + first answer", "open_answer_s", "vector_load_s", "open_answer_ratio",
     "s (floor: Chroma opening and loading its vector index alone)"),
    ("  of which Assistant.open", "open_s", None, None, "s"),
    ("  process start to first answer", "open_answer_process_s", None, None, "s"),
    ("  its peak RSS", "open_answer_rss_mb", None, None, "MB"),
    ("  RSS per 1k chunks over the base", "rss_mb_per_1k_chunks", None, None, "MB"),
    ("keyword index: full rebuild (+ aliases, summary)", "keyword_build_s", None, None, "s"),
    ("  its peak memory", "keyword_build_peak_mb", None, None, "MB"),
    ("  on disk", "keyword_disk_mb", None, None, "MB"),
    ("  incremental, over the whole fill", "keyword_incremental_s", None, None, "s"),
    ("synthetic fill (Chroma + cache + keyword)", "synthetic_fill_s", None, None, "s"),
    ("  Chroma writes", "chroma_write_chunks_per_s", None, None, "chunks/s"),
    ("  annotation store writes", "cache_write_s", None, None, "s"),
    ("  its peak memory", "fill_peak_rss_mb", None, None, "MB"),
    ("ingest N new documents into this index", "add_into_index_s", "add_into_empty_s", "add_ratio",
     "s (floor: into an empty index)"),
    ("  new documents, chunks", "add_docs", None, None, ""),
    ("  a chat process open before: refresh", "chat_refresh_s", None, None, "s"),
    ("  then finds them by title (hybrid)", "chat_found_new_hybrid", None, None, ""),
    ("  then finds them by title (keyword)", "chat_found_new_bm25", None, None, ""),
    ("peak RSS (bench process)", "peak_rss_mb", None, None, "MB"),
    ("disk per 1k chunks", "disk_mb_per_1k_chunks", None, None, "MB"),
)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def format_table(results: dict[str, Any]) -> str:
    lines = []
    for size, r in results["sizes"].items():
        lines.append(f"\n== {r.get('chunks', size)} chunks ({r.get('docs', '?')} docs) ==")
        lines.append(f"{'figure':44} {'value':>10} {'floor':>10} {'ratio':>7}  unit")
        for label, key, fkey, rkey, unit in ROWS:
            val = r.get(key)
            floor = r.get(fkey) if fkey else None
            rat = r.get(rkey) if rkey else (ratio(val, floor) if fkey else None)
            if val is None and floor is None:
                continue  # a figure this kind of run does not measure
            lines.append(f"{label:44} {_fmt(val):>10} {_fmt(floor):>10} {_fmt(rat):>7}  {unit}")
        shares = r.get("spacy_component_share")
        if shares:
            lines.append("spaCy time by step: " + ", ".join(f"{k} {v:.2f}" for k, v in shares.items()))
    return "\n".join(lines)


