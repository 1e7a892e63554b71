"""Dev harness: print the mentions extracted from seed articles and benchmark texts, and time them.

Usage:
    .venv/bin/python tools/mentions_check.py seeds [DIR]               # every seed article
    .venv/bin/python tools/mentions_check.py rtqa [N] [--seed S]       # N random RealTimeQA texts
    .venv/bin/python tools/mentions_check.py speed [N]                 # ms per 1,000 words on top of spaCy
    .venv/bin/python tools/mentions_check.py polnear [N] [--seed S]    # N random PolNeAR articles (dated by file name)
    .venv/bin/python tools/mentions_check.py sample KIND N [--seed S] [--corpus rtqa|polnear|both]
                                                                       # N random KIND mentions to check by eye

Reads /work/shared (dev only; the package never does). Options: --kinds DATE,FIGURE to filter.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.nlp.mentions import extract_mentions
from assistant.nlp.model import parse, parse_many

SHARED = Path("/work/shared")


def _clean_html(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def rtqa_docs() -> list[dict]:
    docs = []
    with open(SHARED / "benchmarks/realtimeqa/corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            docs.append({"id": d["id"], "text": _clean_html(d["text"]), "date": d.get("date", "")})
    return docs


def polnear_docs() -> list[dict]:
    docs = []
    for p in sorted((SHARED / "benchmarks/polnear/corpus").glob("*.txt")):
        m = re.search(r"_(\d{4}-\d{2}-\d{2})_", p.name)
        docs.append({"id": p.name, "text": p.read_text(encoding="utf-8"), "date": m.group(1) if m else ""})
    return docs


def seed_docs(folder: Path) -> list[dict]:
    return [{"id": p.name, "text": p.read_text(encoding="utf-8"), "date": ""} for p in sorted(folder.glob("*.txt"))]


def show(doc: dict, kinds: set[str]) -> None:
    text = doc["text"]
    ms = extract_mentions(text, parse(text), doc["date"])
    print(f"=== {doc['id']} ({doc['date'] or 'no date'})")
    for m in ms:
        if kinds and m.kind not in kinds:
            continue
        assert text[m.start:m.end] == m.text
        extra = {k: v for k, v in m.extra.items() if k != "qualifier_start"}
        print(f"  {m.kind:7} {m.text!r:28} value={m.value!r} unit={m.unit!r} q={m.qualifier!r} "
              f"frame={m.frame[:10]} {extra if extra else ''}")


def speed(docs: list[dict]) -> None:
    texts = [d["text"] for d in docs]
    t0 = time.perf_counter()
    parsed = parse_many(texts)
    t1 = time.perf_counter()
    n = 0
    for d, p in zip(docs, parsed, strict=False):
        n += len(extract_mentions(d["text"], p, d["date"]))
    t2 = time.perf_counter()
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} texts, {words} words, {n} mentions")
    print(f"spaCy parse: {1000 * (t1 - t0) / words * 1000:.1f} ms per 1,000 words")
    print(f"mentions:    {1000 * (t2 - t1) / words * 1000:.1f} ms per 1,000 words")


def sample(docs: list[dict], kind: str, n: int, seed: int) -> None:
    rng = random.Random(seed)
    rng.shuffle(docs)
    picked = 0
    for d in docs:
        text = d["text"]
        ms = [m for m in extract_mentions(text, parse(text), d["date"]) if m.kind == kind]
        if not ms:
            continue
        m = rng.choice(ms)
        picked += 1
        a, b = max(0, m.start - 70), min(len(text), m.end + 70)
        ctx = (text[a:m.start] + "[[" + m.text + "]]" + text[m.end:b]).replace("\n", " ")
        extra = {k: v for k, v in m.extra.items() if k != "qualifier_start"}
        print(f"{picked:3}. ({d['date']}) ...{ctx}...")
        print(f"     value={m.value!r} unit={m.unit!r} q={m.qualifier!r} frame={m.frame[:8]} {extra if extra else ''}")
        if picked >= n:
            break


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["seeds", "rtqa", "polnear", "speed", "sample"])
    ap.add_argument("args", nargs="*")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--kinds", default="")
    ap.add_argument("--corpus", default="rtqa", choices=["rtqa", "polnear", "both"])
    o = ap.parse_args()
    kinds = set(filter(None, o.kinds.split(",")))
    if o.mode == "seeds":
        folder = Path(o.args[0]) if o.args else Path(__file__).resolve().parent.parent / "seeds"
        for d in seed_docs(folder):
            show(d, kinds)
    elif o.mode == "rtqa":
        docs = rtqa_docs()
        random.Random(o.seed).shuffle(docs)
        for d in docs[: int(o.args[0]) if o.args else 20]:
            show(d, kinds)
    elif o.mode == "polnear":
        docs = polnear_docs()
        random.Random(o.seed).shuffle(docs)
        for d in docs[: int(o.args[0]) if o.args else 5]:
            show(d, kinds)
    elif o.mode == "speed":
        docs = rtqa_docs() + seed_docs(Path(__file__).resolve().parent.parent / "seeds")
        random.Random(o.seed).shuffle(docs)
        speed(docs[: int(o.args[0]) if o.args else 400])
    else:
        docs = (rtqa_docs() if o.corpus != "polnear" else []) + (polnear_docs() if o.corpus != "rtqa" else [])
        sample(docs, o.args[0], int(o.args[1]), o.seed)


if __name__ == "__main__":
    main()
