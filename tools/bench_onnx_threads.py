"""ONNX Runtime's thread settings at question time: threads x spin-waiting, on an idle
machine and beside busy processes (a server answering while something else runs).

    .venv/bin/python tools/bench_onnx_threads.py [--rounds 5] [--index-dir index] [--json eval/reports/onnx-threads.json]

Measures the two graphs a question runs: the extractive reader (the question against three
sentences, ``OnnxTokenScorer.logits``) and the query embedder (one question,
``OnnxEncoder.encode``), plus an ingest-sized batch (32 chunks) for the embedder, so a setting
that helps questions is seen not to hurt ingest; with ``--index-dir``, also whole asks of that
index in a new process per round (its thread count as shipped, spin on and off). Questions are eval/seeds.jsonl's; sentences
are cut from seeds/ (no index needed). Every configuration runs in each round, interleaved, so
a change in the machine's load hits all alike; figures are medians in milliseconds, and each
configuration's ratio to the best one of its row (its floor, measured in the same run).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CONFIGS = [(1, True), (1, False), (2, True), (2, False)]


def _burn(stop) -> None:  # pragma: no cover - a background load
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def _inputs(n: int) -> tuple[list[str], list[list[str]], list[str]]:
    questions = [json.loads(line)["question"] for line in (ROOT / "eval/seeds.jsonl").read_text().splitlines()
                 if line.strip()][:n]
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    sents = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 40 < len(s.strip()) < 400]
    triples = [sents[3 * i % len(sents): 3 * i % len(sents) + 3] for i in range(n)]
    chunks = [" ".join(sents[i: i + 8]) for i in range(0, 8 * 32, 8)]
    return questions, triples, chunks


def _sessions(threads: int, spin: bool):
    from assistant.answer.reader import extractive
    from assistant.config import default_cache_dir
    from assistant.index.embedding import minilm_path
    from assistant.index.onnx import OnnxEncoder, cpu_session, ensure_exported

    model_dir = Path(minilm_path())
    committed = extractive.load_scorer()  # exports the committed reader once, as a question does
    if committed is None:
        raise SystemExit("no reader adapter is committed: nothing to measure")
    reader_path = committed.path
    scorer = extractive.OnnxTokenScorer(model_dir, reader_path, threads)
    scorer.session = cpu_session(reader_path, threads, spin=spin)
    embed_path = ensure_exported(model_dir, default_cache_dir() / "models")
    enc = OnnxEncoder(model_dir, embed_path, threads)
    enc.session = cpu_session(embed_path, threads, spin=spin)
    return scorer, enc


def _time(f) -> float:
    t0 = time.perf_counter()
    f()
    return (time.perf_counter() - t0) * 1000


def _ask_child(index_dir: str, n: int, spin: bool) -> list[float]:
    """Times of ``n`` seed questions asked end to end in a new process (as a server would)."""
    import subprocess

    code = ("import json,sys,time; import assistant.index.onnx as o; o.SPIN = sys.argv[3] == '1'\n"
            "from assistant.api import Assistant\n"
            "qs = [json.loads(x)['question'] for x in open(sys.argv[2]) if x.strip()][:int(sys.argv[4])]\n"
            "a = Assistant.open(index_dir=sys.argv[1]); a.ask(qs[0]); t = []\n"
            "for q in qs:\n t0 = time.perf_counter(); a.ask(q); t.append((time.perf_counter() - t0) * 1000)\n"
            "print(json.dumps(t))")
    out = subprocess.run([sys.executable, "-c", code, index_dir, str(ROOT / "eval/seeds.jsonl"), "1" if spin else "0", str(n)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _graphs(c: tuple[int, bool], questions, triples, chunks, t) -> None:
    scorer, enc = _sessions(*c)
    for q, tri in zip(questions, triples, strict=True):
        t["reader"][c].append(_time(lambda q=q, tri=tri: scorer.logits(q, tri)))
        t["query"][c].append(_time(lambda q=q: enc.encode([q])))
    t["ingest32"][c].append(_time(lambda: enc.encode(chunks)))


def run(rounds: int, n: int, busy: int, index_dir: str | None) -> dict:
    questions, triples, chunks = _inputs(n)
    stop = mp.Event()
    procs = [mp.Process(target=_burn, args=(stop,), daemon=True) for _ in range(busy)]
    for p in procs:
        p.start()
    kinds = ("reader", "query", "ingest32") + (("ask",) if index_dir else ())
    t: dict[str, dict[tuple, list[float]]] = {k: {c: [] for c in CONFIGS} for k in kinds}
    try:
        for _ in range(rounds):
            for c in CONFIGS:
                # One configuration's sessions at a time, as in a serving process: a spinning
                # session left alive would load the next configuration's run.
                _graphs(c, questions, triples, chunks, t)
            for c in CONFIGS:
                # End to end the process runs as shipped (its own thread count): spin only.
                if index_dir and c[0] == 2:
                    t["ask"][c].extend(_ask_child(index_dir, n, c[1]))
    finally:
        stop.set()
        for p in procs:
            p.join()
    out = {}
    for k, by in t.items():
        med = {c: statistics.median(v) for c, v in by.items() if v}
        floor = min(med.values())
        out[k] = {f"threads={c[0]} spin={'on' if c[1] else 'off'}": {"p50_ms": round(m, 2), "ratio": round(m / floor, 3)}
                  for c, m in med.items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--n", type=int, default=30, help="questions per round")
    ap.add_argument("--json", default=None)
    ap.add_argument("--index-dir", default=None, help="also ask the seed questions end to end of this index")
    args = ap.parse_args()
    report = {"cpu_count": os.cpu_count(), "load_avg_start": os.getloadavg(), "rounds": args.rounds, "questions": args.n}
    for busy in (0, os.cpu_count() or 2):
        report[f"busy_{busy}"] = run(args.rounds, args.n, busy, args.index_dir)
        print(f"beside {busy} busy processes:")
        for k, row in report[f"busy_{busy}"].items():
            print(f"  {k:9s} " + "  ".join(f"{c}: {v['p50_ms']:.1f} ms ({v['ratio']:.2f}x)" for c, v in row.items()))
    report["load_avg_end"] = os.getloadavg()
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
