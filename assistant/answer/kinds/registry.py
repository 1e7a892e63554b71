"""The registry of answer kinds: which kind serves each question kind.

A module of its own, so a kind module registers itself without importing its package
(the package imports every kind module to fill it).
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
