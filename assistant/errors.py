"""The one error hierarchy of the package.

Every error says what went wrong, with the values involved, and how to fix it.
The CLI and the chat turn these into messages (exit code 2 in the CLI); anything
else reaching a user is a bug.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class. ``fix`` is a short instruction shown under the message."""

    exit_code = 2

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class InvalidQuestion(AssistantError):
    """The question cannot be asked as given (empty, nothing but punctuation...)."""


class IngestError(AssistantError):
    """A source could not be read or parsed. Carries the path or line involved."""

    def __init__(self, message: str, *, source: str = "", fix: str = "") -> None:
        super().__init__(message, fix=fix)
        self.source = source


class IndexMissing(AssistantError):
    """No index where one was expected."""


class IndexCorrupt(AssistantError):
    """The index exists but cannot be opened or is inconsistent."""


class IndexLocked(AssistantError):
    """Another process holds the ingest lock."""


class IndexConfigMismatch(AssistantError):
    """The index was built with settings that differ from the ones requested."""


class ServerUnavailable(AssistantError):
    """A Chroma server (or an LLM endpoint) could not be reached."""

    def __init__(self, message: str, *, url: str = "", fix: str = "") -> None:
        super().__init__(message, fix=fix)
        self.url = url


class ConfigError(AssistantError):
    """A setting or command-line value is invalid."""


class IngestStopped(AssistantError):
    """An ingest stopped part-way for a reason that is not one file's (the store went
    away, the disk is full, the writer ran out of memory). ``committed`` lists the
    documents written before it stopped; they stay in the index, and running the same
    command again completes the rest."""

    #: The CLI's exit status for a stopped ingest (2 is a usage error, 3 some files failed).
    exit_code = 4

    def __init__(self, message: str, *, committed: list[str] | None = None, report: object = None,
                 fix: str = "") -> None:
        super().__init__(message, fix=fix)
        self.committed = list(committed or [])
        #: The run's ``IngestReport`` up to the stop (failures named so far included).
        self.report = report
