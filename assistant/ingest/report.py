"""What an ingest says about each file, and the exit status a command gives for it.

Every file given ends as one ``FileResult``: added, updated, unchanged, removed, or
failed, a failure naming the stage it failed in (``STAGES``) and why, with the fix. The
same driver (``ingest.driver``) makes the report whichever executor prepared the
documents, so the exit status is the same inline, with ``--workers`` and with ``--dask``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

#: The stages a document goes through, in order; a failure names the one it failed in.
STAGES = ("loader", "cleaning", "chunking", "annotation", "embedding", "writing")

#: Exit status of ``assistant ingest``: everything landed.
EXIT_OK = 0
#: One or more files failed (each named, with its stage and fix); every other file landed.
EXIT_SOME_FAILED = 3
#: The run stopped part-way for a reason that is not one file's (``errors.IngestStopped``,
#: whose ``exit_code`` it is); what was committed before stays, and a re-run completes it.
EXIT_STOPPED = 4
#: (Usage errors, and errors before anything was written, exit with 2: ``AssistantError``.)


@dataclass
class FileResult:
    source: str
    doc_id: str
    status: str  # added | updated | unchanged | failed | removed
    reason: str = ""
    chunks: int = 0
    #: For a failure, the stage it failed in (one of ``STAGES``).
    stage: str = ""

    def describe(self) -> str:
        """``failed at annotation: <reason>`` for a failure, else the status."""
        if self.status != "failed":
            return self.status
        return f"failed at {self.stage}: {self.reason}" if self.stage else f"failed: {self.reason}"


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    total_docs: int = 0
    total_chunks: int = 0
    #: Where documents were prepared when workers did it ("2 local worker processes").
    where: str = ""

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def chunks_written(self) -> int:
        return sum(r.chunks for r in self.results if r.status in ("added", "updated"))

    @property
    def failures(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def committed(self) -> list[str]:
        """Documents written in this run (added or updated), in the order they landed."""
        return [r.doc_id for r in self.results if r.status in ("added", "updated")]

    @property
    def ok(self) -> bool:
        """False only when something failed and nothing could be ingested."""
        return not self.failures or any(r.status != "failed" for r in self.results)

    @property
    def exit_code(self) -> int:
        """``EXIT_OK`` when every file landed, else ``EXIT_SOME_FAILED``."""
        return EXIT_SOME_FAILED if self.failures else EXIT_OK

    def summary(self) -> str:
        return (
            f"documents: {self.count('added')} added, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, {self.count('failed')} failed"
            + (f", {self.count('removed')} removed" if self.count("removed") else "")
            + f"; chunks written: {self.chunks_written} (index: {self.total_docs} documents, "
            f"{self.total_chunks} chunks); {self.seconds:.1f} s"
            + (f"; prepared by {self.where}" if self.where else "")
        )


ProgressFn = Callable[[str, FileResult | None], None]
