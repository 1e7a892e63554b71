"""The reader: the short answer inside the evidence learned selection chose, and the reply
that leads with it (``reader``, ``reply``; candidates in ``spans``, features in ``features``)."""

from __future__ import annotations

from assistant.answer.reader.reader import Reading, read
from assistant.answer.reader.reply import reply

__all__ = ["Reading", "read", "reply"]
