"""One way to plug in variants: a registry filled by a class decorator. Answer kinds,
file loaders and embedding engines each keep one, looked up by key instead of if/elif."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(dict, Generic[T]):  # type: ignore[type-arg]
    """``key -> one instance``; ``register(*keys)`` decorates the class that serves them."""

    def __init__(self, what: str) -> None:
        super().__init__()
        #: What the registry holds, for messages ("answer kind", "loader").
        self.what = what

    def register(self, *keys: Hashable) -> Callable[[type], type]:
        """Class decorator: one instance of the class serves every key; a key served twice
        is a programming error, reported at import."""

        def deco(cls: type) -> type:
            inst: Any = cls()
            for key in keys:
                if key in self:
                    name = getattr(key, "value", key)
                    raise ValueError(f"{self.what} {name!r} already served by {type(self[key]).__name__}")
                self[key] = inst
            return cls

        return deco
