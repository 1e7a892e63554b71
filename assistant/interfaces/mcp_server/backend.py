"""The one ``Assistant`` every MCP session shares. No MCP import, so the index can start
opening while the SDK is still being imported."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.api import Assistant

__all__ = ["OpenIndex"]

log = logging.getLogger("assistant.mcp")


class OpenIndex:
    """An ``Assistant`` opened on first need, warmed up once, and opened again on the next
    call when opening failed (an index built after the server started is picked up)."""

    def __init__(self, open_assistant: Callable[[], Assistant]) -> None:
        self._open = open_assistant
        self._asst: Assistant | None = None
        # Held while opening and warming up: a call that comes meanwhile waits for the warm
        # models instead of loading them a second time beside the warm-up (as the chat waits).
        self._lock = threading.Lock()
        self._warm_thread: threading.Thread | None = None

    def get(self) -> Assistant:
        """The open assistant; raises the library's error (a missing index...) if it cannot open."""
        with self._lock:
            return self._get()

    def peek(self) -> Assistant | None:
        """The assistant if it is open, without opening or waiting."""
        return self._asst

    def _get(self) -> Assistant:
        if self._asst is None:
            self._asst = self._open()
        return self._asst

    def start_warm_up(self) -> None:
        """Open the index and load the models in a background thread (once)."""
        if self._warm_thread is None:
            self._warm_thread = threading.Thread(target=self._warm_up, name="warm-up", daemon=True)
            self._warm_thread.start()

    def _warm_up(self) -> None:
        with self._lock:
            try:
                self._get().warm_up()
            except AssistantError as exc:  # the first call reports it, with the fix
                log.warning("not ready: %s", exc)
            except Exception:  # the first call meets the same problem and reports it
                log.exception("warming up failed")

    def close(self) -> None:
        with self._lock:
            if self._asst is not None:
                self._asst.close()
                self._asst = None
