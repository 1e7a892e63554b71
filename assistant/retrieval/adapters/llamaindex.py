"""Adapter: the project's Retriever as a llama-index ``BaseRetriever``.

Kept in its own module so importing ``assistant`` does not import llama-index.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant.retrieval.adapters.metadata import MACHINE_KEYS, passage_metadata
from assistant.retrieval.types import PassageRetriever


class LlamaIndexRetriever(BaseRetriever):
    """Returns one ``TextNode`` per passage; metadata carries the citation fields and
    scores (``metadata.passage_metadata``, as the LangChain adapter's)."""

    def __init__(self, retriever: PassageRetriever, k: int = 5, filters: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._inner = retriever
        self._k = k
        self._filters = dict(filters) if filters else None

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self._inner.retrieve(query_bundle.query_str, k=self._k, filters=self._filters)
        out = []
        for p in passages:
            node = TextNode(id_=p.chunk_id, text=p.text, metadata=passage_metadata(p),
                            excluded_embed_metadata_keys=list(MACHINE_KEYS),
                            excluded_llm_metadata_keys=list(MACHINE_KEYS))
            out.append(NodeWithScore(node=node, score=p.score))
        return out
