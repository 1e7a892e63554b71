"""News assistant: answers questions about a news corpus with cited sentences.

Public API (imported lazily, so ``import assistant`` stays cheap):

- ``Assistant``: open an index, ``ask`` questions, ``ingest`` files.
- ``Retriever``: hybrid dense + BM25 retrieval (``asst.retriever``).
- ``Passage``, ``Answer``, ``Citation``: result types.
- ``Settings``: paths and tunables, with environment overrides.
- ``AssistantError`` and subclasses: every error the library raises on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Assistant": ".api",
    "Retriever": ".retrieval.retriever",
    "Passage": ".models",
    "Answer": ".models",
    "Citation": ".models",
    "Conflict": ".models",
    "QuestionKind": ".models",
    "RetrievalMode": ".models",
    "Settings": ".config",
    "AssistantError": ".errors",
    "HashingEmbedder": ".index.embedding",
    "MiniLMEmbedder": ".index.embedding",
}

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "Conflict",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "Passage",
    "QuestionKind",
    "RetrievalMode",
    "Retriever",
    "Settings",
]

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.config import Settings
    from assistant.errors import AssistantError
    from assistant.index.embedding import HashingEmbedder, MiniLMEmbedder
    from assistant.models import Answer, Citation, Conflict, Passage, QuestionKind, RetrievalMode
    from assistant.retrieval.retriever import Retriever


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
