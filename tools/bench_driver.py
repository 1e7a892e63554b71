"""Ingest throughput of this tree against another revision's (issue 25 item 5: the one
driver must keep the default ingest's throughput).

    .venv/bin/python tools/bench_driver.py --before main --docs 60 --rounds 3

The other revision is extracted with ``git archive`` and imported through ``PYTHONPATH``
(same venv, same models). Each round ingests the first ``--docs`` articles of
``--corpus`` into a fresh embedded index with the default ingest (the pipelined path), in a
new process, the embedding model loaded before the clock starts; the two trees alternate
so that a shared machine's load falls on both alike. Reported per tree: chunks per second
(wall) and chunks per CPU-second (the process and its annotation workers), medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROUND = """
import json, os, resource, sys, time
from assistant.api import Assistant
corpus, index = sys.argv[1], sys.argv[2]
a = Assistant.open(index_dir=index, create=True)
a.embedder.embed_query("warm up")  # the model loaded before the clock starts
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
c0, t0 = cpu(), time.perf_counter()
r = a.ingest([corpus])
wall, cpu_s = time.perf_counter() - t0, cpu() - c0
a.close()
print(json.dumps({"chunks": r.chunks_written, "failed": len(r.failures), "wall_s": wall, "cpu_s": cpu_s}))
"""


def one_round(tree: Path, corpus: Path, work: Path) -> dict[str, float]:
    index = Path(tempfile.mkdtemp(dir=work))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(PYTHONPATH=str(tree), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1")
    out = subprocess.run([sys.executable, "-c", ROUND, str(corpus), str(index / "index")], env=env, cwd=work,
                         capture_output=True, text=True, timeout=3600)
    shutil.rmtree(index, ignore_errors=True)
    if out.returncode != 0:
        raise SystemExit(f"round failed in {tree}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="main", help="the git revision to compare with")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "benchmarks" / "polnear" / "corpus"))
    ap.add_argument("--docs", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-driver-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        corpus.mkdir()
        for f in sorted(Path(args.corpus).glob("*.txt"))[: args.docs]:
            shutil.copy(f, corpus / f.name)
        before = work / "before"
        before.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before, "assistant"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        trees = {"before": before, "after": ROOT}
        runs: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
        for r in range(args.rounds):
            for name in (("before", "after") if r % 2 == 0 else ("after", "before")):
                got = one_round(trees[name], corpus, work)
                runs[name].append(got)
                print(f"round {r + 1} {name:>6}: {got['chunks']} chunks in {got['wall_s']:.1f} s "
                      f"({got['chunks'] / got['wall_s']:.2f}/s), {got['cpu_s']:.1f} CPU-s, load {os.getloadavg()[0]:.1f}",
                      flush=True)
    figures = {name: {"chunks_per_s": round(statistics.median(g["chunks"] / g["wall_s"] for g in got), 2),
                      "chunks_per_cpu_s": round(statistics.median(g["chunks"] / g["cpu_s"] for g in got), 2),
                      "failed": sum(g["failed"] for g in got)}
               for name, got in runs.items()}
    print(json.dumps({"before": args.before, "docs": args.docs, "rounds": args.rounds, **figures}))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
