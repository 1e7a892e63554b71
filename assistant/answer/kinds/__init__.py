"""Answer kinds, one module each, looked up by the question's kind.

A new kind is one module here with a class decorated by ``registry.register``, plus one
classification rule in ``assistant.answer.question``. The registry (``registry``) is
filled when this package is imported (each module registers itself on import).
"""

from __future__ import annotations

# Importing the modules registers their kinds (the last seven: the forms beyond a factoid).
from assistant.answer.kinds import (  # noqa: F401
    comparison,
    date,
    duration,
    entity,
    figure,
    listing,
    quote,
    reason,
    sentence,
    summary,
    timeline,
    yesno,
)
from assistant.answer.kinds.base import AnswerKind
from assistant.answer.kinds.registry import REGISTRY, kind_for, register

__all__ = ["REGISTRY", "AnswerKind", "kind_for", "register"]
