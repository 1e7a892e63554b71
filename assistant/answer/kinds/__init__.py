"""Answer kinds, one module each, looked up by the question's kind.

A new kind is one module here with a class decorated by ``register``, plus one
classification rule in ``assistant.answer.question``. The registry is filled when
this package is imported (each module registers itself on import).
"""

from __future__ import annotations

from assistant.answer.kinds.base import AnswerKind
from assistant.models import QuestionKind
from assistant.registry import Registry

#: The answer kind that serves each question kind.
REGISTRY: Registry[AnswerKind] = Registry("question kind")
register = REGISTRY.register


def kind_for(qk: QuestionKind) -> AnswerKind:
    """The answer kind for a question kind (a question of an unknown kind gets sentences)."""
    return REGISTRY.get(qk) or REGISTRY[QuestionKind.OTHER]


# Importing the modules registers their kinds (the last seven: the forms beyond a factoid).
from assistant.answer.kinds import (  # noqa: E402, F401
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

__all__ = ["REGISTRY", "AnswerKind", "kind_for", "register"]
