"""Dev harness: the bench's 1M figures on an index that already exists (no fill).

A full ``assistant bench --sizes 1000000 --synthetic-vectors`` takes about 1.75 hours, most of
it the fill. These measure the same things on a copy of the index it left behind
(docs/scaling.md, "The three 1M misses"):

    .venv/bin/python tools/probe_index.py open INDEX --repeats 5
    .venv/bin/python tools/probe_index.py ask INDEX QUESTIONS.txt --repeats 2
    .venv/bin/python tools/probe_index.py add INDEX ../shared/benchmarks/polnear/corpus --docs 100

``open``: a new process's open + first answer against Chroma's own vector-index load
(``bench.coldstart.open_and_answer``). ``ask``: ``bench.query.query_bench`` over one question a
line. ``add``: the first ``--docs`` files of the folder removed from INDEX if there, then
ingested into an empty index and into INDEX (the ratio the issue sets at <= 3x).
``add`` changes INDEX: run it on a copy.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path


def _open(args: argparse.Namespace) -> dict:
    from assistant.evaluation.bench.coldstart import open_and_answer

    qs = ("What happened?", "Who said it?")
    return open_and_answer(Path(args.index), qs, args.repeats)


def _ask(args: argparse.Namespace) -> dict:
    from assistant.api import Assistant
    from assistant.evaluation.bench.query import query_bench

    asst = Assistant.open(args.index)
    asst.ask("What happened?")
    lines = Path(args.questions).read_text(encoding="utf-8").splitlines()
    qs = [{"question": q.strip(), "doc_id": "", "key": ""} for q in lines if q.strip()]
    out = query_bench(asst, qs, args.repeats)
    asst.close()
    return {k: v for k, v in out.items() if k.endswith(("p50_ms", "p95_ms"))}


def _add(args: argparse.Namespace) -> dict:
    from assistant.api import Assistant
    from assistant.config import Settings
    from assistant.index.embedding import MiniLMEmbedder

    # Loaded before anything is timed and given to both ingests, as the bench does: else
    # the first ingest would also pay the model's import and load (about 10 s).
    embedder = MiniLMEmbedder()
    embedder.batch_engine()

    files = sorted(p for p in Path(args.corpus).rglob("*") if p.is_file())[: args.docs]
    work = Path(tempfile.mkdtemp(prefix="probe-add-"))
    new = work / "new"
    new.mkdir()
    for f in files:
        shutil.copy(f, new / f.name)
    names = {f.name for f in files}
    asst = Assistant.open(settings=Settings(index_dir=Path(args.index)), embedder=embedder, warm=False)
    drop = [d for d, r in asst.local.records().items() if Path(str(r.get("source", ""))).name in names]
    if drop:
        asst.delete(drop)
    asst.close()
    empty = Assistant.open(settings=Settings(index_dir=work / "empty"), embedder=embedder, create=True)
    t0 = time.perf_counter()
    rep_empty = empty.ingest([new])
    empty_s = time.perf_counter() - t0
    empty.close()
    asst = Assistant.open(settings=Settings(index_dir=Path(args.index)), embedder=embedder, warm=False)
    t0 = time.perf_counter()
    rep = asst.ingest([new])
    full_s = time.perf_counter() - t0
    asst.close()
    shutil.rmtree(work, ignore_errors=True)
    return {"docs": len(files), "removed_first": len(drop), "add_into_empty_s": round(empty_s, 1),
            "add_into_index_s": round(full_s, 1), "add_ratio": round(full_s / empty_s, 2),
            "empty": rep_empty.summary(), "index": rep.summary()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    o = sub.add_parser("open")
    o.add_argument("index")
    o.add_argument("--repeats", type=int, default=3)
    a = sub.add_parser("ask")
    a.add_argument("index")
    a.add_argument("questions", help="one question a line (the bench asks document titles)")
    a.add_argument("--repeats", type=int, default=2)
    d = sub.add_parser("add")
    d.add_argument("index")
    d.add_argument("corpus", help="a folder of articles")
    d.add_argument("--docs", type=int, default=100)
    args = ap.parse_args()
    print(json.dumps({"open": _open, "ask": _ask, "add": _add}[args.what](args), indent=1))


if __name__ == "__main__":
    main()
