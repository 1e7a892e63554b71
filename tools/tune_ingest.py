"""Measure the ingest's batch sizes and process counts, to choose their defaults (issue 16).

    python tools/tune_ingest.py CORPUS_DIR --json eval/reports/ingest-tuning.json

On a fixed sample of CORPUS_DIR (sorted, every k-th file):

1. spaCy: tokens/s of ``nlp.pipe`` at several batch sizes (``stages.NLP_BATCH``), and
   each step's share of the time with and without ``nlp.speedups``;
2. the embedder's batch engine: chunks/s at several model batch sizes
   (``Settings.embed_batch_size``) on 1 thread and on every core;
3. whole ingests (real embedder, fresh index each): annotation workers 0/1/2 and
   chunks per commit (``pipeline.COMMIT_CHUNKS``);
4. small runs in one process vs with workers (``pipeline.POOL_MIN_DOCS``).

Rounds are interleaved so that a load change on a shared machine hits every setting
alike; the best round of each is kept. The load average is recorded with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def sample_files(corpus: Path, n: int) -> list[Path]:
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    step = max(1, len(files) // n)
    return files[::step][:n]


def spacy_batches(texts: list[str], sizes: list[int], rounds: int) -> dict:
    import spacy

    from assistant.nlp.model import MODEL, segments
    from assistant.nlp.speedups import install

    segs = [s for t in texts for s in segments(t)]
    plain, fast = spacy.load(MODEL), spacy.load(MODEL)
    install(fast)
    out: dict = {"segments": len(segs), "tokens_per_s": {}, "shares": {}}
    for _ in range(rounds):
        for b in sizes:
            t0 = time.perf_counter()
            n = sum(len(d) for d in fast.pipe(segs, batch_size=b))
            rate = n / (time.perf_counter() - t0)
            out["tokens_per_s"][b] = round(max(out["tokens_per_s"].get(b, 0), rate))
    for name, nlp in (("spacy", plain), ("sped_up", fast)):
        spent: dict[str, float] = {}
        for _ in range(2):  # the second round on warm memos
            spent = {}
            t0 = time.perf_counter()
            docs = [nlp.make_doc(s) for s in segs]
            spent["tokenizer"] = time.perf_counter() - t0
            for pipe, proc in nlp.pipeline:
                t0 = time.perf_counter()
                docs = list(proc.pipe(docs, batch_size=16))
                spent[pipe] = time.perf_counter() - t0
        total = sum(spent.values())
        ntok = sum(len(d) for d in docs)
        out["shares"][name] = {k: round(v / total, 3) for k, v in spent.items()}
        out["shares"][name]["tokens_per_s"] = round(ntok / total)
    return out


def embed_batches(texts: list[str], sizes: list[int], threads: list[int], rounds: int) -> dict:
    from assistant.index.embedding import MiniLMEmbedder

    out: dict = {}
    engines = {}
    for b in sizes:
        e = MiniLMEmbedder(batch_size=b)
        e.batch_engine()
        engines[b] = e
    first = engines[sizes[0]]
    out["engine"] = f"{first.backend}-{first.precision}"
    for _ in range(rounds):
        for t in threads:
            for b, e in engines.items():
                e.set_batch_threads(t)
                e.embed_documents(texts[:8])
                t0 = time.perf_counter()
                e.embed_documents(texts)
                rate = len(texts) / (time.perf_counter() - t0)
                key = f"{t}t-b{b}"
                out[key] = round(max(out.get(key, 0), rate), 2)
    return out


def ingest_once(files: list[Path], work: Path, *, workers: int, commit: int) -> dict:
    from assistant.api import Assistant
    from assistant.index.embedding import MiniLMEmbedder
    from assistant.ingest.pipeline import Ingestor, ingest_lock

    global _EMBEDDER
    if _EMBEDDER is None:
        _EMBEDDER = MiniLMEmbedder()
        _EMBEDDER.batch_engine()
    d = Path(tempfile.mkdtemp(dir=work))
    a = Assistant.open(index_dir=d / "index", embedder=_EMBEDDER, create=True)
    with ingest_lock(a.settings):
        t0 = time.perf_counter()
        r = Ingestor(a.store, a.local, a.embedder, a.settings).run(files, annotate_workers=workers,
                                                                   embed_batch_chunks=commit)
        dt = time.perf_counter() - t0
    a.close()
    shutil.rmtree(d, ignore_errors=True)
    return {"seconds": round(dt, 2), "chunks": r.total_chunks, "chunks_per_s": round(r.total_chunks / dt, 2)}


_EMBEDDER = None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--docs", type=int, default=80, help="documents in the ingest sample")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip", nargs="*", default=[], help="parts to skip: spacy embed ingest small")
    args = ap.parse_args()

    from assistant.index.embedding import cpu_flags, default_threads
    from assistant.ingest.loaders import LoadFailure
    from assistant.ingest.stages import chunk, clean, embed_inputs, load
    from assistant.nlp.annotate import nlp_slice

    files = sample_files(args.corpus, args.docs)
    docs = [chunk(clean(r), 200, 30) for r in load(files) if not isinstance(r, LoadFailure)]
    cores = default_threads()
    result: dict = {"corpus": str(args.corpus), "docs": len(docs), "chunks": sum(len(d.chunks) for d in docs),
                    "cores": cores, "cpu_flags": sorted(cpu_flags() & {"avx2", "avx512_bf16", "amx_bf16"}),
                    "load_avg_start": list(os.getloadavg())}

    def log(msg: str) -> None:
        print(f"tune {msg} (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)

    if "spacy" not in args.skip:
        log("spaCy batch sizes")
        result["spacy"] = spacy_batches([nlp_slice(d.doc.text) for d in docs[:40]], [1, 4, 16, 64, 256],
                                        args.rounds)
    if "embed" not in args.skip:
        log("embedder batch sizes")
        texts = [t for d in docs for t in embed_inputs(d.doc, d.chunks)][:256]
        result["embed"] = embed_batches(texts, [8, 16, 32, 64, 128], sorted({1, cores}), args.rounds)
    work = Path(tempfile.mkdtemp(prefix="tune-ingest-"))
    try:
        if "ingest" not in args.skip:
            configs = [(0, 128), (1, 128), (cores, 64), (cores, 128), (cores, 256)]
            result["ingest"] = {}
            for _ in range(args.rounds):
                for w, c in configs:
                    log(f"ingest: {w} workers, {c} chunks per commit")
                    got = ingest_once(files, work, workers=w, commit=c)
                    key = f"workers{w}-commit{c}"
                    if got["chunks_per_s"] > result["ingest"].get(key, {}).get("chunks_per_s", 0):
                        result["ingest"][key] = got
        if "small" not in args.skip:
            import assistant.ingest.pipeline as pipeline

            result["small"] = {}
            pipeline.POOL_MIN_DOCS = 1  # workers for any run, however small
            for n in (4, 8, 16, 32):
                for w in (0, cores):
                    log(f"small run: {n} documents, {w} workers")
                    got = ingest_once(files[:n], work, workers=w, commit=128)
                    result["small"][f"docs{n}-workers{w}"] = got["seconds"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["load_avg_end"] = list(os.getloadavg())
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
