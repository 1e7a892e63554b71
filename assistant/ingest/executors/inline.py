"""Tasks run one after another in the ingesting process: the reference the other
executors are compared with, and the fast tests' executor."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from assistant.ingest.executors.registry import EXECUTORS, ExecutorOptions, needs_recipe
from assistant.ingest.executors.tasks import Outcome, PrepareSpec, SourceTask, prepare_documents


class InlineSession:
    capacity = 1

    def __init__(self, spec: PrepareSpec) -> None:
        self.spec = spec
        self._pending: deque[tuple[int, list[SourceTask]]] = deque()

    def describe(self) -> str:
        return "the ingesting process"

    def submit(self, key: int, tasks: list[SourceTask]) -> None:
        self._pending.append((key, tasks))

    def completed(self) -> Iterator[tuple[int, list[Outcome] | BaseException]]:
        while self._pending:
            key, tasks = self._pending.popleft()
            try:
                yield key, prepare_documents(self.spec, tasks)
            except Exception as exc:  # the caller retries or reports, as for a worker
                yield key, exc

    def close(self, *, cancel: bool = False) -> None:
        self._pending.clear()


@EXECUTORS.register("inline")
class InlineExecutor:
    name = "inline"
    defers_reading = True  # OCR runs where the tasks run (this process)

    def open(self, spec: PrepareSpec, options: ExecutorOptions) -> InlineSession:
        needs_recipe(spec, options)
        return InlineSession(spec)
