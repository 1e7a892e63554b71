"""``assistant bench``: speed and quality at several corpus sizes, each against its floor.

A synthetic corpus of the requested size (in chunks) is built by recombining
real sentences from ``seeds/`` (and any ``--corpus``), with *planted* facts whose
questions have one known answer passage, so retrieval quality (recall@5) is
measured at every size and speed is never bought with silent quality loss.

Every figure is reported with the floor the hardware allows, measured in the
same run (the machine may be shared, so absolute timings are noisy; the ratios
are what to compare):

- ingest chunks/s end to end vs the embedder alone on the same chunks;
- ``retrieve`` and ``ask`` latency vs one query embedding + one raw Chroma query;
- HNSW recall@10 vs exact (numpy) search over the same vectors;
- cold start (process start to first answer) vs importing the heavy libraries.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: What importing the heavy libraries costs: the floor for any cold start.
IMPORT_FLOOR_CMD = "import torch, chromadb, llama_index.core, sentence_transformers"
QUICK_SIZES = (300,)
DEFAULT_SIZES = "1000,10000,100000"
#: The same floor for the path the CLI takes when the model runs under ONNX Runtime.
IMPORT_FLOOR_ONNX_CMD = "import chromadb, onnxruntime, tokenizers"
#: Embedding modes compared by ``--compare-precision``: (name, precision, backend).
COMPARED_MODES = (("torch-fp32", "fp32", "torch"), ("onnx-fp32", "fp32", "onnx"),
                  ("torch-bf16", "bf16", "torch"), ("torch-int8", "int8", "torch"))

# Generic vocabulary for planted facts (made-up place and person names are generated).
_ROLES = ("mayor", "spokesperson", "chief engineer", "director", "treasurer", "inspector", "chair")
_THINGS = ("permits", "bridges", "vaccines", "tractors", "licences", "classrooms", "turbines", "ferries")
_VERBS = ("approved", "repaired", "delivered", "inspected", "registered", "installed", "cancelled")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_SYLL = ("ka", "lo", "mer", "vin", "dra", "tes", "bol", "qui", "sar", "nov", "zel", "ham", "rus", "pel", "tor")


# -- statistics ------------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default method); 0.0 for no values."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else 0.0


def recall_at(exact: Sequence[str], approx: Sequence[str], k: int) -> float:
    """|top-k approx ∩ top-k exact| / k (the usual ANN recall@k, Aumüller et al. 2020)."""
    if not exact:
        return 1.0
    return len(set(exact[:k]) & set(approx[:k])) / min(k, len(exact))


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- synthetic corpus -----------------------------------------------------------------------------
def sentence_pool(paths: Sequence[str | Path], limit: int = 50_000) -> list[str]:
    """Prose sentences (6-60 words, one line) of the cleaned documents under ``paths``."""
    from assistant.ingest.cleaning import clean_document
    from assistant.ingest.loaders import LoadFailure, iter_sources
    from assistant.text.sentences import split_sentences

    pool: list[str] = []
    seen: set[str] = set()
    for raw in iter_sources(list(paths)):
        if isinstance(raw, LoadFailure):
            continue
        doc = clean_document(raw)
        for s, e in split_sentences(doc.text):
            sent = doc.text[s:e].strip()
            if "\n" in sent or not 6 <= len(sent.split()) <= 60 or sent in seen:
                continue
            seen.add(sent)
            pool.append(sent)
            if len(pool) >= limit:
                return pool
    return pool


def _name(rng: random.Random, parts: int = 3) -> str:
    return "".join(rng.choice(_SYLL) for _ in range(parts)).capitalize()


def planted_fact(rng: random.Random) -> tuple[str, str, str]:
    """(sentence, question, key): a made-up fact, its question, and a word only it contains."""
    place, person = _name(rng, 3), f"{_name(rng, 2)} {_name(rng, 3)}"
    role, thing, verb = rng.choice(_ROLES), rng.choice(_THINGS), rng.choice(_VERBS)
    n = rng.randint(12, 9800)
    sentence = (f"{person}, the {role} of {place}, said on {rng.choice(_WEEKDAYS)} that {n:,} {thing} "
                f"had been {verb} there since {rng.choice(_MONTHS)}.")
    question = f"How many {thing} were {verb} in {place}?"
    return sentence, question, place


def build_corpus(pool: Sequence[str], n_chunks: int, n_questions: int, out: Path, seed: int = 8,
                 chunk_tokens: int = 200, overlap: int = 30) -> tuple[Path, list[dict[str, Any]]]:
    """Write a JSONL corpus of about ``n_chunks`` chunks; returns (path, planted questions).

    Documents are 12-30 pool sentences in paragraphs of 1-4, sampled without
    replacement inside a document. Each question's fact is planted in its own document.
    """
    from assistant.ingest.chunking import chunk_text, get_tokenizer

    rng = random.Random(seed)
    tok = get_tokenizer()
    docs: list[dict[str, Any]] = []
    total = 0
    while total < n_chunks:
        k = min(len(pool), rng.randint(12, 30))
        sents = rng.sample(list(pool), k)
        paras, i = [], 0
        while i < len(sents):
            step = rng.randint(1, 4)
            paras.append(" ".join(sents[i: i + step]))
            i += step
        year, month, day = rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)
        doc = {"id": f"bench-{len(docs):06d}", "title": " ".join(rng.choice(pool).split()[:9]).rstrip(",.;:"),
               "date": f"{year}-{month:02d}-{day:02d}", "publisher": f"Outlet {rng.randint(1, 12)}",
               "paras": paras}
        text = "\n\n".join(paras)
        total += len(chunk_text(doc["id"], text, budget=chunk_tokens, overlap=overlap, tokenizer=tok))
        docs.append(doc)
    questions: list[dict[str, Any]] = []
    for doc in rng.sample(docs, min(n_questions, len(docs))):
        sentence, question, key = planted_fact(rng)
        p = rng.randrange(len(doc["paras"]))
        doc["paras"][p] = f"{doc['paras'][p]} {sentence}"
        questions.append({"question": question, "doc_id": doc["id"], "key": key, "sentence": sentence})
    with out.open("w", encoding="utf-8") as f:
        for doc in docs:
            paras = doc.pop("paras")
            f.write(json.dumps({**doc, "text": "\n\n".join(paras)}, ensure_ascii=False) + "\n")
    return out, questions


# -- measurements ------------------------------------------------------------------------------
class BusyEmbedder:
    """Forwards to an embedder and adds up the seconds spent embedding documents,
    so the benchmark can tell how much of an ingest the embedder was busy (the
    rest it waited for the producer: parsing, spaCy, or for the store)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.busy_s = 0.0
        self.n_texts = 0

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        dt, out = _timed(lambda: self.inner.embed_documents(texts))
        self.busy_s += dt
        self.n_texts += len(texts)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def clear_cache(self) -> None:
        _clear_query_cache(self.inner)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _clear_query_cache(embedder: Any) -> None:
    clear = getattr(embedder, "clear_cache", None)
    if clear:
        clear()


def embed_floor(embedder: Any, texts: list[str], parts: int = 3) -> float:
    """Median chunks/s of the embedder alone over ``parts`` slices of ``texts``."""
    rates = []
    step = max(1, len(texts) // parts)
    for i in range(0, len(texts), step):
        part = texts[i: i + step]
        if len(part) < step // 2:
            break
        dt, _ = _timed(lambda p=part: embedder.embed_documents(p))
        rates.append(len(part) / dt)
    return statistics.median(rates) if rates else 0.0


def prepare_rate(jsonl: Path, max_docs: int, chunk_tokens: int, overlap: int) -> dict[str, float]:
    """Chunks/s of the ingest producer's stages alone (clean, chunk, spaCy, annotate), one thread."""
    from assistant.ingest.chunking import chunk_text, get_tokenizer
    from assistant.ingest.cleaning import clean_document
    from assistant.ingest.loaders import LoadFailure, iter_sources
    from assistant.nlp.annotate import annotate, nlp_slice
    from assistant.nlp.model import load_nlp, parse
    from assistant.text.sentences import split_sentences

    load_nlp()
    tok = get_tokenizer()
    t_prep = t_parse = t_ann = 0.0
    n_chunks = n_tokens = 0
    for i, raw in enumerate(iter_sources([jsonl])):
        if i >= max_docs:
            break
        if isinstance(raw, LoadFailure):
            continue
        t0 = time.perf_counter()
        doc = clean_document(raw)
        sents = split_sentences(doc.text)
        chunks = chunk_text(doc.doc_id, doc.text, budget=chunk_tokens, overlap=overlap, sentences=sents,
                            tokenizer=tok)
        t1 = time.perf_counter()
        sdoc = parse(nlp_slice(doc.text))
        t2 = time.perf_counter()
        annotate(doc.doc_id, doc.text, doc.date, sdoc, sents)
        t3 = time.perf_counter()
        t_prep, t_parse, t_ann = t_prep + t1 - t0, t_parse + t2 - t1, t_ann + t3 - t2
        n_chunks += len(chunks)
        n_tokens += len(sdoc)
    total = t_prep + t_parse + t_ann
    return {
        "prepare_chunks_per_s": round(n_chunks / total, 1) if total else 0.0,
        "spacy_tokens_per_s": round(n_tokens / t_parse, 0) if t_parse else 0.0,
        "prepare_share_spacy": round(t_parse / total, 3) if total else 0.0,
        "prepare_share_extract": round(t_ann / total, 3) if total else 0.0,
        "prepare_share_clean_chunk": round(t_prep / total, 3) if total else 0.0,
    }


def _all_vectors(store: Any) -> tuple[list[str], np.ndarray]:
    ids: list[str] = []
    vecs: list[np.ndarray] = []
    offset, page = 0, 5000
    while True:
        res = store.chunks.get(include=["embeddings"], limit=page, offset=offset)
        ids.extend(res["ids"])
        if len(res["ids"]):
            vecs.append(np.asarray(res["embeddings"], dtype=np.float32))
        if len(res["ids"]) < page:
            break
        offset += page
    m = np.concatenate(vecs) if vecs else np.zeros((0, 384), np.float32)
    m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return ids, m


def recall_within(exact_kth_sim: float, approx_sims: Sequence[float], k: int, eps: float = 1e-3) -> float:
    """Share of the k approximate results at least as close as the exact k-th neighbour
    (less ``eps``): ANN-Benchmarks' distance-threshold recall (Aumüller et al. 2020),
    which does not punish a different pick among equally near neighbours. Corpora
    recombined from a few thousand sentences have many such ties."""
    return sum(1 for s in approx_sims[:k] if s >= exact_kth_sim - eps) / k if k else 1.0


def hnsw_recall(store: Any, queries: np.ndarray, k: int = 10) -> dict[str, float]:
    """Mean recall@k of Chroma's HNSW against exact cosine search (by ids, and by
    distance threshold), and both latencies."""
    ids, m = _all_vectors(store)
    recalls, within, t_exact, t_ann = [], [], [], []
    for q in queries:
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        t0 = time.perf_counter()
        sims = m @ q
        top = np.argpartition(-sims, min(k, len(sims) - 1))[:k]
        top = top[np.argsort(-sims[top])]
        t1 = time.perf_counter()
        res = store.chunks.query(query_embeddings=[q.tolist()], n_results=min(k, len(ids)), include=["distances"])
        t2 = time.perf_counter()
        recalls.append(recall_at([ids[i] for i in top], res["ids"][0], k))
        within.append(recall_within(float(sims[top[-1]]), [1.0 - d for d in res["distances"][0]], min(k, len(ids))))
        t_exact.append((t1 - t0) * 1000)
        t_ann.append((t2 - t1) * 1000)
    return {"hnsw_recall_at_10": round(float(np.mean(within)), 4) if within else None,
            "hnsw_recall_ids_at_10": round(float(np.mean(recalls)), 4) if recalls else None,
            "hnsw_recall_min": round(float(np.min(within)), 4) if within else None,
            "exact_search_p50_ms": round(percentile(t_exact, 50), 3),
            "hnsw_search_p50_ms": round(percentile(t_ann, 50), 3)}


def query_bench(asst: Any, questions: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    """Latency of retrieve / ask and of their parts, plus recall@5 of the planted questions."""
    from assistant.retrieval.fusion import convex

    emb = asst.embedder
    store, local, retr = asst.store, asst.local, asst.retriever
    t: dict[str, list[float]] = {k: [] for k in ("floor", "embed", "chroma", "bm25", "fusion", "retrieve", "ask")}
    hits = 0
    for rep in range(repeats):
        for q in questions:
            text = q["question"]
            # Floor: one query embedding + one raw Chroma top-10 query.
            _clear_query_cache(emb)
            d_emb, vec = _timed(lambda text=text: emb.embed_query(text))
            d_chr, raw = _timed(lambda vec=vec: store.chunks.query(
                query_embeddings=[np.asarray(vec, np.float32).tolist()], n_results=10,
                include=["metadatas", "distances"]))
            t["embed"].append(d_emb * 1000)
            t["chroma"].append(d_chr * 1000)
            t["floor"].append((d_emb + d_chr) * 1000)
            dense = {cid: 1.0 - float(d) for cid, d in zip(raw["ids"][0], raw["distances"][0], strict=False)}
            toks = retr.query_tokens(text)
            d_bm, lex = _timed(lambda toks=toks: local.bm25.search(toks, retr.candidates) if local.bm25 else [])
            t["bm25"].append(d_bm * 1000)
            lexical = {local.chunks.ids[r]: s for r, s in lex}
            d_fu, _ = _timed(lambda dense=dense, lexical=lexical: convex(dense, lexical, retr.alpha))
            t["fusion"].append(d_fu * 1000)
            _clear_query_cache(emb)
            d_ret, passages = _timed(lambda text=text: retr.retrieve(text, k=5))
            t["retrieve"].append(d_ret * 1000)
            if rep == 0:
                hits += any(p.doc_id == q["doc_id"] and q["key"] in p.text for p in passages)
            _clear_query_cache(emb)
            d_ask, _ = _timed(lambda text=text: asst.ask(text))
            t["ask"].append(d_ask * 1000)
    out: dict[str, Any] = {"recall_at_5": round(hits / len(questions), 4) if questions else None,
                           "n_questions": len(questions), "query_repeats": repeats}
    names = {"floor": "query_floor", "retrieve": "query", "ask": "ask", "embed": "query_embed",
             "chroma": "chroma_query", "bm25": "bm25", "fusion": "fusion"}
    for k, name in names.items():
        out[f"{name}_p50_ms"] = round(percentile(t[k], 50), 3)
        out[f"{name}_p95_ms"] = round(percentile(t[k], 95), 3)
    return out


def _run_timed(cmd: list[str], env: dict[str, str], timeout: float = 300) -> float | None:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        sys.stderr.write(f"bench: {' '.join(cmd[:4])}... failed: {proc.stderr.decode()[-400:]}\n")
        return None
    return time.perf_counter() - t0


def _gradio_call(port: int, api: str, data: list[Any], timeout: float) -> Any:
    """One call of a Gradio app's named API over its REST interface (``/gradio_api/call``):
    a POST that queues the call, then the event stream that carries the result."""
    import urllib.request

    base = f"http://127.0.0.1:{port}/gradio_api/call/{api}"
    req = urllib.request.Request(base, data=json.dumps({"data": data}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        event_id = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{base}/{event_id}", timeout=timeout) as r:
        event = ""
        for raw in r:
            line = raw.decode("utf-8").strip()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(f"the app's {api} API failed: {line[5:].strip()}")
                return json.loads(line[5:])
    raise RuntimeError(f"the app's {api} API returned no result")


def _app_first_answer(index_dir: Path, question: str, env: dict[str, str], timeout: float = 300) -> float | None:
    """Seconds from starting the chat app (``python -m app``) to its first answer through
    its ``/ask`` API. None when the app is not installed or did not answer in time."""
    import importlib.util
    import socket

    if importlib.util.find_spec("app") is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "app", "--index-dir", str(index_dir), "--port", str(port),
                             "--no-build"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                return None
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            return None
        _gradio_call(port, "ask", [question, "", ""], timeout)
        return time.perf_counter() - t0
    except Exception as exc:  # a broken app must not stop the benchmark
        sys.stderr.write(f"bench: app cold start failed: {type(exc).__name__}: {exc}\n")
        return None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def cold_start(index_dir: Path, question: str, precision: str, repeats: int,
               backend: str = "auto") -> dict[str, Any]:
    """Process start to first answer (CLI ``ask`` and the app) vs the heavy-import floor."""
    env = {**os.environ, "ASSISTANT_EMBED_PRECISION": precision, "ASSISTANT_EMBED_BACKEND": backend}
    floor, floor_onnx, cli, app = [], [], [], []
    for _ in range(repeats):
        # Interleaved so that load from other processes hits both alike.
        f = _run_timed([sys.executable, "-c", IMPORT_FLOOR_CMD], env)
        fo = _run_timed([sys.executable, "-c", IMPORT_FLOOR_ONNX_CMD], env)
        floor_onnx += [fo] if fo else []
        c = _run_timed([sys.executable, "-m", "assistant", "ask", question, "--index-dir", str(index_dir)], env)
        a = _app_first_answer(index_dir, question, env)
        floor += [f] if f else []
        cli += [c] if c else []
        app += [a] if a else []

    def med(xs: list[float]) -> float | None:
        return round(statistics.median(xs), 3) if xs else None

    return {"cold_start_s": med(cli), "import_floor_s": med(floor), "import_floor_onnx_s": med(floor_onnx),
            "app_cold_start_s": med(app),
            "children_peak_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN)}


def compare_precisions(pool: Sequence[str], n_texts: int, rounds: int = 2) -> dict[str, Any]:
    """chunks/s, single-query ms and cosine to fp32 of each embedding mode, on the same texts.

    Rounds are interleaved (fp32, bf16, int8, fp32, ...) so a load change on a shared
    machine hits every mode alike; the best round of each mode is kept.
    """
    from assistant.errors import ConfigError
    from assistant.index.embedding import load_engine

    rng = random.Random(3)
    # Chunk-sized inputs: about 8 pool sentences (~200 tokens) each.
    texts = [" ".join(rng.sample(list(pool), min(8, len(pool)))) for _ in range(n_texts)]
    queries = [" ".join(rng.choice(pool).split()[:12]) for _ in range(24)]
    engines = {}
    for name, precision, backend in COMPARED_MODES:
        try:
            engines[name] = load_engine(backend, precision)
        except ConfigError:  # ONNX Runtime missing or refused: nothing to compare
            continue
    ref = engines["torch-fp32"].encode(texts[:32], 32)
    out: dict[str, Any] = {p: {"chunks_per_s": 0.0, "query_ms": float("inf")} for p in engines}
    for _ in range(rounds):
        for p, m in engines.items():
            dt, _ = _timed(lambda m=m: m.encode(texts, 32))
            out[p]["chunks_per_s"] = round(max(out[p]["chunks_per_s"], len(texts) / dt), 2)
            dq, _ = _timed(lambda m=m: [m.encode([q], 1) for q in queries])
            out[p]["query_ms"] = round(min(out[p]["query_ms"], dq / len(queries) * 1000), 2)
    for p, m in engines.items():
        cos = (m.encode(texts[:32], 32) * ref).sum(axis=1)
        out[p].update(cos_min=round(float(cos.min()), 6), cos_mean=round(float(cos.mean()), 6),
                      speedup=_ratio(out[p]["chunks_per_s"], out["torch-fp32"]["chunks_per_s"]))
    return out


def help_time(repeats: int = 3) -> float:
    """Seconds for ``assistant --help`` (must not import the heavy libraries)."""
    times = [_run_timed([sys.executable, "-m", "assistant", "--help"], dict(os.environ)) or 0.0
             for _ in range(repeats)]
    return round(statistics.median(times), 3)


# -- one size --------------------------------------------------------------------------------------
def bench_size(n_chunks: int, pool: list[str], embedder: Any, work: Path, *, quick: bool,
               log: Callable[[str], None]) -> dict[str, Any]:
    from assistant.api import Assistant
    from assistant.config import Settings
    from assistant.ingest.pipeline import embed_inputs  # noqa: F401  (documents what the floor embeds)

    settings = Settings(index_dir=work / f"index-{n_chunks}")
    n_q = 30 if quick else min(100, max(30, n_chunks // 100))
    log(f"[{n_chunks}] building corpus")
    corpus, questions = build_corpus(pool, n_chunks, n_q, work / f"corpus-{n_chunks}.jsonl",
                                     chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap_tokens)
    out: dict[str, Any] = {"target_chunks": n_chunks}

    log(f"[{n_chunks}] producer stages alone")
    out.update(prepare_rate(corpus, 10 if quick else 40, settings.chunk_tokens, settings.chunk_overlap_tokens))

    log(f"[{n_chunks}] ingest")
    busy = BusyEmbedder(embedder)
    asst = Assistant.open(settings=settings, embedder=busy, create=True)
    report = asst.ingest([corpus])
    out["ingest_embedder_busy_share"] = round(busy.busy_s / report.seconds, 3) if report.seconds else None
    out["chunks"] = report.total_chunks
    out["docs"] = report.total_docs
    out["ingest_s"] = round(report.seconds, 2)
    out["ingest_chunks_per_s"] = round(report.total_chunks / report.seconds, 2)

    log(f"[{n_chunks}] embedder floor")
    rows = asst.store.chunks.get(include=["documents", "metadatas"], limit=300 if quick else 1024)
    texts = [f"{m.get('title')}\n{d}" if m.get("title") else d
             for d, m in zip(rows["documents"], rows["metadatas"], strict=False)]
    out["ingest_floor_chunks_per_s"] = round(embed_floor(embedder, texts), 2)
    out["ingest_ratio"] = _ratio(out["ingest_chunks_per_s"], out["ingest_floor_chunks_per_s"])

    log(f"[{n_chunks}] re-ingest (unchanged)")
    re_report = asst.ingest([corpus])
    out["reingest_s"] = round(re_report.seconds, 3)
    out["reingest_share"] = _ratio(re_report.seconds, report.seconds)

    log(f"[{n_chunks}] queries")
    asst.retriever.retrieve(questions[0]["question"], k=5)  # warm: BM25, caches, first-call costs
    asst.ask(questions[0]["question"])
    out.update(query_bench(asst, questions, 1 if quick else 3))
    out["query_ratio"] = _ratio(out["query_p50_ms"], out["query_floor_p50_ms"])

    log(f"[{n_chunks}] HNSW recall vs exact search")
    qvecs = np.stack([embedder.embed_query(q["question"]) for q in questions])
    sample = random.Random(1).sample(pool, min(len(pool), 70 if quick else 200))
    qvecs = np.concatenate([qvecs, embedder.embed_documents(sample)])
    out.update(hnsw_recall(asst.store, qvecs))
    asst.close()

    log(f"[{n_chunks}] cold start")
    # A new process as a user starts it: the settings asked for, not what they resolved to.
    precision, backend = getattr(embedder, "requested", ("auto", "auto"))
    out.update(cold_start(settings.index_dir, questions[0]["question"], precision, 1 if quick else 3, backend))
    out["cold_start_ratio"] = _ratio(out["cold_start_s"], out["import_floor_s"])
    out["peak_rss_mb"] = _rss_mb()
    out["disk_mb_per_1k_chunks"] = round(_du(settings.index_dir) / 1e6 / max(out["chunks"], 1) * 1000, 2)
    return out


# -- report ------------------------------------------------------------------------------------------
ROWS = (
    # (label, value key, floor key, ratio key, unit)
    ("ingest", "ingest_chunks_per_s", "ingest_floor_chunks_per_s", "ingest_ratio", "chunks/s"),
    ("  share of ingest the embedder was busy", "ingest_embedder_busy_share", None, None, ""),
    ("producer alone (clean+chunk+spaCy+extract)", "prepare_chunks_per_s", None, None, "chunks/s"),
    ("spaCy", "spacy_tokens_per_s", None, None, "tokens/s"),
    ("re-ingest unchanged", "reingest_s", "ingest_s", "reingest_share", "s"),
    ("retrieve p50", "query_p50_ms", "query_floor_p50_ms", "query_ratio", "ms"),
    ("retrieve p95", "query_p95_ms", "query_floor_p95_ms", None, "ms"),
    ("ask p50", "ask_p50_ms", "query_floor_p50_ms", None, "ms"),
    ("ask p95", "ask_p95_ms", None, None, "ms"),
    ("query embedding p50", "query_embed_p50_ms", None, None, "ms"),
    ("chroma top-10 p50", "chroma_query_p50_ms", "exact_search_p50_ms", None, "ms (floor: numpy exact)"),
    ("BM25 p50", "bm25_p50_ms", None, None, "ms"),
    ("fusion p50", "fusion_p50_ms", None, None, "ms"),
    ("recall@5 planted", "recall_at_5", None, None, ""),
    ("HNSW recall@10 vs exact (distance threshold)", "hnsw_recall_at_10", None, None, ""),
    ("HNSW recall@10 vs exact (same ids)", "hnsw_recall_ids_at_10", None, None, ""),
    ("cold start CLI", "cold_start_s", "import_floor_s", "cold_start_ratio", "s"),
    ("cold start app", "app_cold_start_s", "import_floor_s", None, "s"),
    ("cold start CLI vs ONNX-path imports", "cold_start_s", "import_floor_onnx_s", None, "s"),
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
            ratio = r.get(rkey) if rkey else (_ratio(val, floor) if fkey else None)
            lines.append(f"{label:44} {_fmt(val):>10} {_fmt(floor):>10} {_fmt(ratio):>7}  {unit}")
    return "\n".join(lines)


def main_bench(args: argparse.Namespace) -> int:
    """Entry point of ``assistant bench`` (see the module docstring)."""
    from assistant.config import default_seeds_dir
    from assistant.index.embedding import MiniLMEmbedder

    t_start = time.perf_counter()
    quick = bool(getattr(args, "quick", False))
    spec = getattr(args, "sizes", None) or (",".join(map(str, QUICK_SIZES)) if quick else DEFAULT_SIZES)
    sizes = [int(s) for s in str(spec).split(",") if s.strip()]

    def log(msg: str) -> None:
        print(f"bench {time.perf_counter() - t_start:6.1f}s {msg}", file=sys.stderr, flush=True)

    sources = [str(default_seeds_dir()), *(getattr(args, "corpus", None) or [])]
    pool = sentence_pool(sources)
    if len(pool) < 20:
        from assistant.errors import ConfigError

        raise ConfigError(f"only {len(pool)} usable sentences in {sources}", fix="pass --corpus with more articles")
    precision = getattr(args, "precision", None) or os.environ.get("ASSISTANT_EMBED_PRECISION", "auto")
    log("loading the embedder")
    embedder = MiniLMEmbedder(precision=precision)
    embedder.batch_engine()  # load (and check) both engines before anything is timed
    results: dict[str, Any] = {
        "version": 1, "quick": quick, "precision": embedder.precision, "backend": embedder.backend,
        "query_backend": embedder.query_backend,
        "backend_note": embedder.backend_note, "threads": embedder.threads,
        "cpu_count": os.cpu_count(), "load_avg_start": list(os.getloadavg()), "sentence_pool": len(pool),
        "help_s": help_time(1 if quick else 3), "sizes": {},
    }
    work = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    try:
        if getattr(args, "compare_precision", False):
            log("comparing embedding precisions")
            results["precisions"] = compare_precisions(pool, 16 if quick else 128, rounds=1 if quick else 2)
        for n in sizes:
            results["sizes"][str(n)] = bench_size(n, pool, embedder, work, quick=quick, log=log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load_avg_end"] = list(os.getloadavg())
    results["total_s"] = round(time.perf_counter() - t_start, 1)
    print(format_table(results))
    for p, r in results.get("precisions", {}).items():
        print(f"embedding {p:10} {r['chunks_per_s']:8.1f} chunks/s (x{r['speedup']} torch fp32)  query {r['query_ms']:.1f} ms"
              f"  cosine to fp32 min {r['cos_min']:.5f}")
    print(f"\nembedding {results['backend']} {results['precision']}, threads {results['threads']}, "
          f"`assistant --help` {results['help_s']} s, total {results['total_s']} s "
          f"(load average {results['load_avg_start'][0]:.1f} -> {results['load_avg_end'][0]:.1f}; "
          "timings are noisy on a shared machine, compare the ratios)")
    out = getattr(args, "json_out", None)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(results, indent=2))
    return 0
