"""A filtered vector query that Chroma's own plan cannot answer: tried again, then Chroma's
``where`` evaluated here (``matches``, the forms ``retrieval.retriever.resolve_filters``
writes and nothing more) over the nearest chunks of the whole index. Used by
``store.Store.query``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

#: Chroma's filtered query plan can fail with "Error finding id" while a write is under way
#: (its metadata has a chunk its vector index does not have yet; seen 2 times in 213
#: questions of the soak test under ingest, tests/system/test_soak_ingest.py) and on
#: indexes whose segments disagree (chroma-core's known "Error finding id"). The filtered
#: query is tried again after these pauses (s), by hand: a write lasts a fraction of a second.
FILTERED_RETRY_PAUSES = (0.05, 0.2, 0.5)
#: Then the nearest chunks of the whole index, this many times those asked for, are filtered
#: here (``matches``): fewer of them may pass, but the question is answered.
FILTERED_FALLBACK_FACTOR = 10


def pairs(res: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(chunk_id, cosine similarity) of a one-vector Chroma query result (cosine distances)."""
    return [(cid, 1.0 - float(dist)) for cid, dist in zip(res["ids"][0], res["distances"][0], strict=False)]


def matches(meta: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    """Whether a chunk's metadata passes a Chroma ``where`` of the forms the retriever
    writes (``$and`` of fields with ``$in``, ``$eq``, ``$gte``, ``$lte``, or a value)."""
    for key, cond in where.items():
        if key == "$and":
            if not all(matches(meta, c) for c in cond):
                return False
            continue
        value = meta.get(key)
        ops = cond if isinstance(cond, Mapping) else {"$eq": cond}
        if not all(_holds(op, value, arg) for op, arg in ops.items()):
            return False
    return True


def _holds(op: str, value: Any, arg: Any) -> bool:
    if op == "$in":
        return value in arg
    if op == "$eq":
        return value == arg
    if op in ("$gte", "$lte"):
        return value is not None and (value >= arg if op == "$gte" else value <= arg)
    raise ValueError(f"unsupported where operator {op}")


def filtered_query(query: Callable[..., Mapping[str, Any]], n: int, where: Mapping[str, Any],
                   passing: Callable[[Exception], bool], wrap: Callable[[Exception], Exception]
                   ) -> list[tuple[str, float]]:
    """(chunk_id, cosine similarity) of the ``n`` nearest chunks passing ``where``.
    ``query(n_results=, where=, include=)`` is Chroma's query for one vector; ``passing(exc)``
    says a failure is the plan's passing one (tried again); ``wrap`` turns any other failure
    into the error to raise."""
    for pause in (*FILTERED_RETRY_PAUSES, None):
        try:
            return pairs(query(n_results=n, where=where, include=["distances"]))
        except Exception as exc:
            if not passing(exc):
                raise wrap(exc) from exc
            if pause is not None:
                time.sleep(pause)
    try:  # still failing: the nearest chunks of the whole index, filtered here
        res = query(n_results=n * FILTERED_FALLBACK_FACTOR, include=["distances", "metadatas"])
    except Exception as exc:
        raise wrap(exc) from exc
    kept = [(cid, d) for cid, d, m in zip(res["ids"][0], res["distances"][0], res["metadatas"][0], strict=False)
            if matches(m or {}, where)]
    return [(cid, 1.0 - float(dist)) for cid, dist in kept[:n]]
