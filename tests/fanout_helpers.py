"""Helpers for the executor tests: snapshots of an index to compare, and task functions
that fail on purpose. Worker processes import this module by name (their PYTHONPATH
holds tests/), so it must stay importable without pytest."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import numpy as np

from assistant.ingest.executors.tasks import prepare_documents

#: Vectors made elsewhere (another batch composition under bf16) must be this close.
MIN_COSINE = 0.9999


def snapshot(asst: Any) -> dict[str, Any]:
    """What must not depend on where documents were prepared: chunk ids and vectors in
    Chroma, document records, and the annotations of the local cache."""
    got = asst.store.chunks.get(include=["embeddings", "metadatas"])
    vectors = {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=True)}
    owners = {i: m["doc_id"] for i, m in zip(got["ids"], got["metadatas"], strict=True)}
    records = {d: (r.content_hash, r.n_chunks, r.config_hash) for d, r in asst.store.doc_records().items()}
    anns = json.dumps(dict(asst.local.iter_annotations()), sort_keys=True)
    return {"vectors": vectors, "owners": owners, "records": records, "annotations": anns}


def assert_same_index(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert sorted(got["vectors"]) == sorted(want["vectors"])  # the same chunk ids
    worst = min(float(np.dot(got["vectors"][k], want["vectors"][k])) for k in want["vectors"])
    assert worst >= MIN_COSINE, worst
    assert got["owners"] == want["owners"]
    assert got["records"] == want["records"]
    assert got["annotations"] == want["annotations"]


def crash_once(marker: str, spec: Any, tasks: list[Any]) -> Any:
    """Prepare the task, then, the first time any worker gets here (``marker`` does not
    exist yet), die by SIGKILL before answering: a worker lost in the middle of a task."""
    out = prepare_documents(spec, tasks)
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return out
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)
    return out  # pragma: no cover - never reached


def fail_for(doc_id: str, spec: Any, tasks: list[Any]) -> Any:
    """A task holding ``doc_id`` fails every time, as a worker that cannot prepare it."""
    if any(t.raw.doc_id == doc_id for t in tasks):
        raise RuntimeError(f"worker lost while preparing {doc_id}")
    return prepare_documents(spec, tasks)


def copies(src: Path, dst: Path, n: int) -> Path:
    """``n`` distinct documents made from the seed articles (each copy says its number)."""
    dst.mkdir(parents=True, exist_ok=True)
    seeds = sorted(src.glob("*.txt"))
    for i in range(n):
        s = seeds[i % len(seeds)]
        (dst / f"{i:02d}_{s.name}").write_text(s.read_text(encoding="utf-8") + f"\nCopy {i}.\n", encoding="utf-8")
    return dst
