"""Is embedded Chroma safe to read while another process writes? (issue 25)

    .venv/bin/python tools/chroma_readers.py [--seconds 50]

A writer process upserts batches of 500 vectors (384-d) and deletes some, for about a
minute, into an embedded (``PersistentClient``) index. Beside it, two readers in turn:
- ``long-lived``: one client, querying in a loop: does it error, and does it see the
  writer's vectors (it does not: the vector index is loaded once per client)?
- ``re-opening``: a new client before every 5 queries (how a reader would see new
  vectors): does it survive?
Each reader runs in its own process; its exit status is reported (-11: a segfault).
Measured on this repository's machine: long-lived 9,474 queries, 0 errors, stale; re-opening
killed by SIGSEGV within a minute. Hence ``assistant/index/lock.py``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time

WRITER = """
import sys, chromadb, numpy as np
from chromadb.config import Settings
c = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
col = c.get_or_create_collection("probe", embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
rng = np.random.default_rng(0)
for b in range(int(sys.argv[2])):
    ids = [f"{sys.argv[3]}-{b}-{i}" for i in range(500)]
    col.upsert(ids=ids, embeddings=rng.random((500, 384)).astype("float32"), documents=["x" * 500] * 500,
               metadatas=[{"doc": f"d{b}"}] * 500)
    if b % 3 == 2:
        col.delete(where={"doc": f"d{b - 1}"})
print(col.count())
"""

READER = """
import sys, time, chromadb, numpy as np
from chromadb.config import Settings
path, seconds, reopen = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "reopen"
end = time.time() + seconds
c = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))
col = c.get_collection("probe", embedding_function=None)
start = col.count()
queries = errors = seen = 0
while time.time() < end:
    try:
        if reopen:
            c.close()
            c = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))
            col = c.get_collection("probe", embedding_function=None)
        for _ in range(5):
            q = col.query(query_embeddings=[np.ones(384).tolist()], n_results=10000)
            seen = max(seen, len(q["ids"][0]))
            queries += 1
    except Exception:
        errors += 1
print(f"{queries} queries, {errors} errors; vectors seen: {start} at the start, at most {seen}; "
      f"in the index at the end: {col.count()}", flush=True)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=50.0)
    ap.add_argument("--batches", type=int, default=60)
    args = ap.parse_args()
    for mode in ("long-lived", "reopen"):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([sys.executable, "-c", WRITER, d, "1", "seed"], check=True, capture_output=True)
            reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(READER), d, str(args.seconds), mode],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            time.sleep(1.0)
            t0 = time.time()
            w = subprocess.run([sys.executable, "-c", WRITER, d, str(args.batches), "w"], capture_output=True, text=True)
            wrote = f"writer: {args.batches} batches in {time.time() - t0:.0f} s, {w.stdout.strip()} vectors"
            out, _ = reader.communicate(timeout=args.seconds + 120)
            print(f"{mode:>10}: exit {reader.returncode}{' (SIGSEGV)' if reader.returncode == -11 else ''}; "
                  f"{out.strip() or 'no report'}; {wrote}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
