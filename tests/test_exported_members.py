"""The public API is what ``__all__`` says: every listed name imports, and the front
door lists exactly what it exports (after httpx's tests/test_exported_members.py)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import assistant

PUBLIC = ["Answer", "Assistant", "AssistantError", "Citation", "Conflict", "HashingEmbedder", "MiniLMEmbedder",
          "Passage", "QuestionKind", "RetrievalMode", "Retriever", "Settings"]


def test_the_front_door_exports_the_documented_api():
    assert sorted(assistant.__all__) == PUBLIC
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None, name
    assert set(assistant.__all__) <= set(dir(assistant))


def test_unknown_names_are_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Answerer'"):
        assistant.Answerer  # noqa: B018  (internal: reach it as assistant.answer.Answerer)


def _packages() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(assistant.__path__, "assistant.") if m.ispkg]


@pytest.mark.parametrize("name", _packages())
def test_every_subpackage_all_is_importable(name):
    mod = importlib.import_module(name)
    for member in getattr(mod, "__all__", []):
        assert hasattr(mod, member), f"{name}.__all__ lists {member!r}, which it does not define"
