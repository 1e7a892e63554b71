"""The retriever contract that adapters and apps program against.

Any object with this ``retrieve`` method can back the llama-index adapter or an
app's own search box; ``Retriever`` is the one this package ships.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from assistant.models import Passage


@runtime_checkable
class PassageRetriever(Protocol):
    def retrieve(self, query: str, k: int = 5, filters: Mapping[str, Any] | None = None) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first."""
        ...
