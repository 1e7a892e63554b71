"""Chroma ``where`` filters evaluated in Python, for the rare query Chroma's own filtered
plan cannot answer (``store.Store.query``). Pure: the forms the retriever writes
(``retrieval.retriever.resolve_filters``) and nothing more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
