"""What the quoted-phrase search costs a retrieval: the same questions retrieved with the
phrase path on and off, interleaved in one process, so the machine's load hits both alike.

    .venv/bin/python tools/bench_phrase.py QUESTIONS.jsonl --index-dir DIR [--rounds 5] [--k 20] [--json OUT]

``QUESTIONS.jsonl``: one ``{"question": ...}`` per line (a quoted phrase in each is what the
path searches for; questions without one cost it nothing). The floor is the same retrieval
without the phrase path (``retrieval.phrases.quoted_phrases`` reading no phrase); figures
are milliseconds, p50 and p95 over every question of every round, and their ratios to it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("questions")
    ap.add_argument("--index-dir", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--json", default="")
    args = ap.parse_args(argv)

    import assistant.retrieval.retriever as retriever_module
    from assistant.api import Assistant

    questions = [json.loads(line)["question"] for line in Path(args.questions).read_text().splitlines() if line.strip()]
    asst = Assistant.open(index_dir=args.index_dir)
    r = asst.retriever
    phrases = retriever_module.quoted_phrases
    times: dict[str, list[float]] = {"on": [], "off": []}
    try:
        for q in questions[:5]:  # warm the caches both settings share
            r.retrieve(q, k=args.k)
        for _ in range(args.rounds):
            for setting in ("on", "off"):
                retriever_module.quoted_phrases = phrases if setting == "on" else (lambda *_a, **_k: [])
                for q in questions:
                    t = time.perf_counter()
                    r.retrieve(q, k=args.k)
                    times[setting].append((time.perf_counter() - t) * 1000)
    finally:
        retriever_module.quoted_phrases = phrases
        asst.close()
    out = {s: {"p50_ms": round(statistics.median(ts), 2), "p95_ms": round(_pct(ts, 0.95), 2)} for s, ts in times.items()}
    out["ratio_p50"] = round(out["on"]["p50_ms"] / out["off"]["p50_ms"], 3)
    out["ratio_p95"] = round(out["on"]["p95_ms"] / out["off"]["p95_ms"], 3)
    out.update(questions=len(questions), rounds=args.rounds, k=args.k, load_average=os.getloadavg())
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
