"""News that keeps arriving: ingest N new real documents into a filled index, against
ingesting the same documents into an empty one (the floor: the work that is the new
documents' own), and how long a chat process that had the index open takes to answer
from them.

The chat process is a real second process (``Assistant.open`` on the same index, as the
chat app opens it): it opens before the ingest, is told when the ingest has finished,
then calls ``refresh`` and retrieves each new document by its title.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from assistant.evaluation.bench.fill import drop_documents
from assistant.evaluation.bench.measure import peak_rss_mb, reset_peak_rss, vm_rss_mb

#: New documents added to the filled index (the issue's daily batch).
ADD_DOCS = 100
#: New documents the chat process looks up by title (each lookup is one retrieval).
VISIBILITY_PROBES = 20

_CHAT = r"""
import json, sys, time
from assistant.api import Assistant
t0 = time.perf_counter()
asst = Assistant.open(index_dir=sys.argv[1])
asst.retriever.retrieve("warm up", k=1)
print(json.dumps({"open_s": time.perf_counter() - t0}), flush=True)
probes = json.loads(sys.stdin.readline())
t1 = time.perf_counter()
asst.refresh(force=True)
t2 = time.perf_counter()
found = {"hybrid": 0, "bm25": 0}
for doc_id, title in probes:
    for mode in found:
        found[mode] += any(p.doc_id == doc_id for p in asst.retriever.retrieve(title, k=5, mode=mode))
t3 = time.perf_counter()
print(json.dumps({"refresh_s": t2 - t1, "probe_s": (t3 - t2) / max(len(probes), 1),
                  "found_hybrid": found["hybrid"], "found_bm25": found["bm25"], "probes": len(probes)}), flush=True)
"""


def new_documents(source: Path | None, n: int, work: Path, pool: list[str]) -> Path:
    """``n`` documents not in the index, as a file or folder to ingest: the first ``n`` of
    ``source`` (a JSONL file or a folder of articles), else ``n`` recombined from ``pool``."""
    out = work / "new-docs"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if source is not None and source.is_file():
        lines = [ln for ln in source.read_text(encoding="utf-8").splitlines() if ln.strip()][:n]
        (out / "new.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif source is not None and source.is_dir():
        for f in sorted(p for p in source.rglob("*") if p.is_file())[:n]:
            shutil.copy(f, out / f.name)
    else:
        from assistant.evaluation.bench.corpus import build_corpus

        # Another seed and other ids than the base corpus: these documents are new to it.
        build_corpus(pool, n * 5, 1, out / "new.jsonl", seed=101)
        lines = (out / "new.jsonl").read_text(encoding="utf-8").splitlines()
        docs = [json.loads(ln) for ln in lines if ln.strip()][:n]
        (out / "new.jsonl").write_text("".join(json.dumps({**d, "id": f"new-{d['id']}"}) + "\n" for d in docs),
                                       encoding="utf-8")
    return out


def _probes(asst: Any, before: set[str]) -> list[tuple[str, str]]:
    """(doc id, its title or first words) of new documents, to look up in the chat process."""
    recs = asst.local.records()
    out = []
    for d in sorted(d for d in recs if d not in before)[:VISIBILITY_PROBES]:
        doc = asst.local.doc(d)
        out.append((d, recs[d].get("title") or " ".join((doc.text if doc else "").split()[:20])))
    return out


def hold_out(asst: Any, source: Path | None, n: int) -> list[str]:
    """Delete from the (copied) base index the documents ``new_documents`` will add, so
    they arrive as new: those whose file name is among the first ``n`` of the folder."""
    if source is None or not source.is_dir():
        return []
    names = {f.name for f in sorted(p for p in source.rglob("*") if p.is_file())[:n]}
    drop = [d for d, r in asst.local.records().items() if Path(str(r.get("source", ""))).name in names]
    drop_documents(asst, drop)
    return drop


def bench_incremental(index_dir: Path, docs: Path, embedder: Any, work: Path,
                      log: Any) -> dict[str, Any]:
    """Ingest ``docs`` into an empty index and into ``index_dir``; the chat process's view."""
    from assistant.api import Assistant
    from assistant.config import Settings

    # A new directory each time: Chroma keeps a client per path for the life of the process.
    empty = work / f"index-empty-{uuid.uuid4().hex[:8]}"
    log("[add] ingest into an empty index")
    asst = Assistant.open(settings=Settings(index_dir=empty), embedder=embedder, create=True)
    t0 = time.perf_counter()
    rep_empty = asst.ingest([docs])
    empty_s = time.perf_counter() - t0
    asst.close()
    shutil.rmtree(empty, ignore_errors=True)

    env = {**os.environ, "ASSISTANT_EMBED_PRECISION": getattr(embedder, "requested", ("auto",))[0]}
    chat = subprocess.Popen([sys.executable, "-c", _CHAT, str(index_dir)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    chat_open = json.loads(chat.stdout.readline() or "{}")  # type: ignore[union-attr]
    log(f"[add] a chat process has the index open ({chat_open.get('open_s', 0):.1f} s)")

    # As ``assistant ingest`` opens it: no background load of the vectors for questions.
    asst = Assistant.open(settings=Settings(index_dir=index_dir), embedder=embedder, warm=False)
    before = set(asst.local.records())
    log("[add] ingest into the filled index")
    rss0 = vm_rss_mb()
    reset_peak_rss()
    t0 = time.perf_counter()
    rep = asst.ingest([docs])
    full_s = time.perf_counter() - t0
    peak = peak_rss_mb()
    probes = _probes(asst, before)
    asst.close()

    chat.stdin.write(json.dumps(probes) + "\n")  # type: ignore[union-attr]
    chat.stdin.flush()  # type: ignore[union-attr]
    try:
        out, err = chat.communicate(timeout=1800)
        seen = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        if chat.returncode:
            log(f"[add] the chat process failed: {err[-500:]}")
    except (subprocess.TimeoutExpired, ValueError):
        chat.kill()
        seen = {}
    added = sum(1 for r in rep.results if r.status == "added")
    return {
        "add_docs": added, "add_chunks": sum(r.chunks for r in rep.results if r.status == "added"),
        "add_into_empty_s": round(empty_s, 2), "add_into_empty_chunks": rep_empty.total_chunks,
        "add_into_index_s": round(full_s, 2),
        "add_ratio": round(full_s / empty_s, 3) if empty_s else None,
        "add_peak_rss_mb": round(max(0.0, peak - rss0), 1),
        "chat_open_s": round(chat_open.get("open_s", 0.0), 2),
        "chat_refresh_s": round(seen.get("refresh_s", 0.0), 3) if seen else None,
        "chat_probe_retrieve_s": round(seen.get("probe_s", 0.0), 4) if seen else None,
        "chat_found_new_hybrid": f"{seen.get('found_hybrid')}/{seen.get('probes')}" if seen else None,
        "chat_found_new_bm25": f"{seen.get('found_bm25')}/{seen.get('probes')}" if seen else None,
    }
