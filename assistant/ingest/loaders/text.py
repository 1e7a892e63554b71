"""Plain text articles (.txt): the text as written; the text rules read its metadata."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.ingest.loaders.base import Batch, Found, LoadFailure, Source, register, single_document
from assistant.ingest.loaders.decoding import decode_file
from assistant.models import Document


@register(".txt", ".text")
class TextLoader:
    fmt = "txt"

    def load(self, src: Source, batch: Batch) -> Iterator[Document | LoadFailure]:
        text = decode_file(src.data, src.label)
        if isinstance(text, LoadFailure):
            yield text
            return
        yield from single_document(src, batch, self.fmt, text, Found())
