"""Adapter: the project's Retriever as a LangChain ``BaseRetriever`` (``langchain-core``).

Kept in its own module so importing ``assistant`` does not import LangChain; the
``[langchain]`` extra installs it, and ``Retriever.as_langchain`` says so when it is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from assistant.retrieval.adapters.metadata import passage_metadata
from assistant.retrieval.types import PassageRetriever


class LangChainRetriever(BaseRetriever):
    """Returns one ``Document`` per passage, best first: ``page_content`` is the passage
    text (``doc.text[start:end]`` of the cleaned article), ``id`` the chunk id, and the
    metadata carries the citation fields and scores (``metadata.passage_metadata``)."""

    retriever: Any
    """The project's retriever (any ``PassageRetriever``)."""
    k: int = 5
    filters: dict[str, Any] | None = None

    def __init__(self, retriever: PassageRetriever, k: int = 5, filters: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(retriever=retriever, k=k, filters=dict(filters) if filters else None, **kwargs)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        passages = self.retriever.retrieve(query, k=self.k, filters=self.filters)
        return [Document(page_content=p.text, metadata=passage_metadata(p), id=p.chunk_id) for p in passages]
