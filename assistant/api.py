"""``Assistant``: the library's front door, used by the CLI, the chat and other apps.

    from assistant import Assistant
    asst = Assistant.open(index_dir="index")        # or chroma_url="http://host:port"
    answer = asst.ask("How many crossings were thwarted in 2025?")
    print(answer.text)
    asst.timeline("the migration crisis")           # dated events, oldest first (views.Event)
    asst.who_said_what("the Minsk conference")      # speakers and their statements (views.Speaker)
    for c in answer.citations:
        print(c.n, c.doc_id, c.quote)

Collaborators (embedder, LLM) are passed in; nothing reads global settings.

Fresh without restarts: every question first checks (at most every ``REFRESH_EVERY``
seconds) whether another process changed the index, and if so reloads it before
answering: within ``REFRESH_EVERY`` seconds of the end of the ingest run that changed it,
plus the reload (README "Nothing lost, nothing stale"). It reloads only between an
ingest's writes (``index.lock``), and answers meanwhile from the last complete build it
loaded, so it never sees a half-written document.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer import views
from assistant.answer.answerer import Answerer
from assistant.answer.corpus import IndexCorpus
from assistant.config import Settings
from assistant.errors import AssistantError, IndexMissing
from assistant.index.cache import LocalIndex
from assistant.index.embedding import Embedder
from assistant.index.lock import try_lock
from assistant.index.store import Store, index_config
from assistant.models import Answer, Document
from assistant.retrieval.retriever import Retriever

if TYPE_CHECKING:
    from assistant.answer.views import Event, Speaker

    # Ingest-time code loads only when something is ingested: asking never imports it.
    from assistant.ingest.report import IngestReport, ProgressFn


class _Gate:
    """Many questions at once, or one reload alone (a reload swaps the Chroma client and
    the loaded view under the questions' feet otherwise)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._writer = True
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class Assistant:
    """An open index plus the retriever and answerer over it."""

    #: How often (seconds) to check whether another process changed the index: a check
    #: is one read of the collection's metadata (about a millisecond), and 2 s keeps a
    #: change answerable within a few seconds of the ingest that made it.
    REFRESH_EVERY = 2.0

    def __init__(self, settings: Settings, store: Store, local: LocalIndex,
                 embedder: Embedder | Callable[[], Embedder] | None = None, llm: Any = None) -> None:
        self.settings = settings
        self.store = store
        self.local = local
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self.llm = llm
        self._last_refresh = time.monotonic()
        self._gate = _Gate()
        #: Serialises this process's own ingests and reloads (the ingest lock is per file).
        self._writing = threading.Lock()
        #: The store's generation when this process's Chroma client last saw every vector
        #: (opened, re-opened, or written by this process's own ingest).
        self._client_generation = ""
        #: The thread loading the vector index in the background (``open(warm=...)``).
        self._warming: threading.Thread | None = None
        self.retriever = Retriever(store, local, self._lazy_embedder)
        self.answerer = Answerer(self.retriever, IndexCorpus(local), llm=llm, models=settings.learned_selection)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def open(cls, index_dir: str | Path | None = None, chroma_url: str | None = None, *,
             settings: Settings | None = None, embedder: Embedder | None = None, llm: Any = None,
             create: bool = False, warm: bool | None = None) -> Assistant:
        """Open an index (embedded at ``index_dir`` or on a Chroma server at ``chroma_url``).

        ``create=True`` makes an empty index if there is none (for ingesting into).
        The embedding model loads on first use unless ``embedder`` is given.
        ``warm`` (default: unless ``create``) starts loading the vector index in a
        background thread, so the first question does not wait for all of it; pass
        ``False`` when nothing will be asked (listing documents, statistics).
        """
        settings = (settings or Settings()).with_(
            index_dir=Path(index_dir) if index_dir is not None else None,
            chroma_url=chroma_url if chroma_url is not None else None,
        )
        cfg = None
        if create:
            name, dim = (embedder.name, embedder.dim) if embedder is not None else _default_model_id()
            cfg = index_config(settings, name, dim)
        store = Store.open(settings, create=create, config=cfg)
        stored = store.config
        if embedder is not None and stored and stored.get("embedder") not in (None, embedder.name):
            from assistant.errors import IndexConfigMismatch

            raise IndexConfigMismatch(
                f"the index at {settings.where} holds {stored.get('embedder')} vectors, "
                f"but the embedder given is {embedder.name}",
                fix="open it with the same embedder, or rebuild it: `assistant ingest --rebuild`",
            )
        if embedder is None and stored and stored.get("embedder") not in (None, _default_model_id()[0]):
            embedder = _embedder_for(stored)
        local = LocalIndex(settings.cache_dir, backend=settings.keyword_backend)
        asst = cls(settings, store, local, embedder, llm)
        asst._client_generation = store.generation()
        if warm if warm is not None else not create:
            asst._start_warm()
        asst._reload(opening=True)
        return asst

    def _start_warm(self) -> None:
        """Load Chroma's vector index in a background thread: it loads on the first query
        (4.6-5.8 s at 1M chunks, measured), which then overlaps the rest of opening and the
        first question's model loads instead of adding to them. The thread holds the gate
        as a question does, so no reload swaps the client under it; its errors are left
        for the first question to report."""
        def warm() -> None:
            with self._gate.shared():
                try:
                    self.store.warm()
                except Exception:  # the first question meets the same error, named
                    pass

        # Not a daemon: a process that exits while Chroma loads (an error before any question)
        # waits for the load at shutdown; ending the interpreter under it crashed (SIGSEGV, CI).
        self._warming = threading.Thread(target=warm, name="assistant-warm-vectors", daemon=False)
        self._warming.start()

    def _lazy_embedder(self) -> Embedder:
        if self._embedder is None or (callable(self._embedder) and not hasattr(self._embedder, "embed_query")):
            with self._embedder_lock:
                if self._embedder is None:
                    from assistant.index.embedding import default_embedder

                    self._embedder = default_embedder(self.settings.embed_precision, self.settings.embed_batch_size,
                                                      self.settings.embed_backend)
                elif not hasattr(self._embedder, "embed_query"):
                    self._embedder = self._embedder()  # type: ignore[operator]
        return self._embedder  # type: ignore[return-value]

    @property
    def embedder(self) -> Embedder:
        return self._lazy_embedder()

    # -- queries ---------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> int:
        """Pick up changes another process made to the index (throttled to one check every
        ``REFRESH_EVERY`` seconds unless ``force``); returns the documents changed. While
        another process ingests, the last complete build stays in use."""
        now = time.monotonic()
        if not force and now - self._last_refresh < self.REFRESH_EVERY:
            return 0
        self._last_refresh = now
        return self._reload()

    def _reload(self, opening: bool = False) -> int:
        """Load what another process published, and catch up with a store nobody here is
        writing to (another machine's ingest, or one that was killed); never while an
        ingest writes files (``index.lock``), never waiting for one."""
        gen = self.store.generation()
        published = self.local.generation
        loaded = self.local.loaded_generation
        if gen == published == loaded == self._client_generation and self.local.bm25 is not None:
            return 0  # nothing new: the usual case, two metadata reads
        if not self._writing.acquire(blocking=opening):
            return 0  # this process is ingesting: its own ingest publishes when it ends
        try:
            with try_lock(self.settings, "write") as free:
                if not free:  # an ingest is writing files this moment: next time
                    if opening and self.local.bm25 is None:
                        self.local.load(strict=False)
                    return 0
                # Opening: nobody holds this assistant yet but the warm thread, which only
                # queries, and an opening catch-up never swaps the client (``_catch_up``).
                with contextlib.nullcontext() if opening else self._gate.exclusive():
                    return self._catch_up(gen, opening)
        finally:
            self._writing.release()

    def _catch_up(self, gen: str, opening: bool) -> int:
        with try_lock(self.settings, "ingest") as idle:
            if idle:  # no ingest runs: bring the cache in line with the store (a no-op, a load, a sync)
                if not opening and gen != self._client_generation:
                    self.store.reopen()  # embedded: see the vectors another process wrote
                changed = self.local.sync(self.store)
                self._client_generation = gen
                return changed
        # An ingest runs: load the build it last published, if it is newer than ours.
        if self.local.generation != self.local.loaded_generation or self.local.bm25 is None:
            if not opening and self.store.generation() != self._client_generation:
                self.store.reopen()
                self._client_generation = self.store.generation()
            self.local.load(strict=False)
            return 1
        return 0

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """One question's reads: beside other questions but not a reload, and each
        document as first read (``LocalIndex.pinned``), whatever another process rewrites."""
        with self._gate.shared(), self.local.pinned():
            yield

    def ask(self, question: str, history: Sequence[Any] | None = None,
            filters: Mapping[str, Any] | None = None, k: int = 5,
            asked_on: str | date | None = None) -> Answer:
        """Answer ``question`` from the corpus, with citations, or abstain. ``asked_on``
        (today by default) is the date "this week" or "recently" are read against."""
        self.refresh()
        with self._reading():
            return self.answerer.ask(question, history=history, filters=filters, k=k, asked_on=asked_on)

    #: The throwaway question ``warm_up`` asks: any question runs the whole answering path.
    WARM_UP_QUESTION = "What happened?"

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for (the embedding model, the
        retrieval caches, the answerer's tables) by answering one throwaway question.
        The chat calls it in the background when the server starts."""
        self._lazy_embedder().embed_query(self.WARM_UP_QUESTION)
        try:
            # The extractive reader: its ONNX session (and, once per machine, its export).
            _ = self.answerer.tokens
            self.answerer.ask(self.WARM_UP_QUESTION, k=1)
        except AssistantError:
            pass  # an empty or unreachable index: the first real question reports it

    def who_said_what(self, topic: str, filters: Mapping[str, Any] | None = None) -> list[Speaker]:
        """Everyone the articles quote on ``topic``, each with their statements (most
        relevant first), every statement with the exact sentence that carries it."""
        self.refresh()
        with self._reading():
            return views.who_said_what(self.retriever, self.answerer.corpus, topic, filters)

    def timeline(self, topic: str, filters: Mapping[str, Any] | None = None) -> list[Event]:
        """Dated events about ``topic`` across the articles, oldest first, each with the
        exact sentence it comes from."""
        self.refresh()
        with self._reading():
            return views.timeline(self.retriever, self.answerer.corpus, topic, filters)

    def document(self, doc_id: str) -> Document:
        doc = self.local.doc(doc_id)
        if doc is None:
            raise IndexMissing(f"no document {doc_id!r} in the index at {self.settings.where}",
                               fix="check the id with `assistant stats`")
        return doc

    # -- ingest ------------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], *, prune: bool = False, progress: ProgressFn | None = None,
               on_wait: Callable[[str], None] | None = None, wait: bool = True,
               executor: str | None = None, workers: int = 0, address: str = "") -> IngestReport:
        """Add or update ``paths``. ``executor`` (``ingest.executors``: ``processes`` with
        ``workers``, ``dask`` at ``address``, ``inline``) prepares the documents in worker
        processes or on a cluster; None: the pipelined ingest of this process. Every
        file's outcome is in the report (a failure names its stage); a run that stops
        part-way raises ``IngestStopped`` with the documents committed before."""
        from assistant.index.lock import ingest_lock
        from assistant.ingest.executors import ExecutorOptions
        from assistant.ingest.pipeline import Ingestor

        embedder = self._deferred_embedder()
        with self._writing, ingest_lock(self.settings, wait=wait, on_wait=on_wait):
            ingestor = Ingestor(self.store, self.local, embedder, self.settings)
            options = ExecutorOptions(workers=workers or None, address=address) if executor else None
            try:
                return ingestor.run(paths, prune=prune, progress=progress, executor=executor, options=options)
            finally:
                # This process's client wrote what it wrote: only other processes' writes
                # need it re-opened. (An unreachable store leaves it to the next refresh.)
                with contextlib.suppress(AssistantError):
                    if self.local.loaded_generation == self.store.generation():
                        self._client_generation = self.local.loaded_generation

    def delete(self, doc_ids: Iterable[str], *, wait: bool = True,
               on_wait: Callable[[str], None] | None = None) -> IngestReport:
        """Remove documents from the index through the ingest's one writer, as ``--prune``
        does: their chunks and records (Chroma), their annotations, and BM25, the aliases
        and the corpus summary rebuilt without them. Unknown ids are reported as failed."""
        from assistant.index.lock import ingest_lock
        from assistant.ingest.pipeline import Ingestor
        from assistant.ingest.report import FileResult, IngestReport

        t0 = time.perf_counter()
        report = IngestReport()
        with self._writing, ingest_lock(self.settings, wait=wait, on_wait=on_wait):
            self.local.sync(self.store)
            wanted = list(dict.fromkeys(doc_ids))
            existing = {d: rec for d, (rec, _) in self.store.get_docs(wanted).items()}  # these, not all
            writer = Ingestor(self.store, self.local, self._deferred_embedder(), self.settings).writer
            for doc_id in wanted:
                rec = existing.get(doc_id)
                if rec is None:
                    report.results.append(FileResult("", doc_id, "failed", f"no document {doc_id!r} in the index"))
                    continue
                writer.remove(doc_id)
                report.results.append(FileResult(rec.source, doc_id, "removed"))
            report.total_docs, report.total_chunks = writer.finish(any(r.status == "removed" for r in report.results))
            if self.local.loaded_generation == self.store.generation():
                self._client_generation = self.local.loaded_generation  # our own client wrote it
        report.seconds = time.perf_counter() - t0
        self._last_refresh = time.monotonic()
        return report

    def reingest(self, doc_ids: Iterable[str], *, progress: ProgressFn | None = None, wait: bool = True,
                 on_wait: Callable[[str], None] | None = None) -> IngestReport:
        """Read the files of documents again, as if they had changed: each is converted (OCR
        included) and cleaned anew, and replaced when its text or metadata come out
        different ("unchanged" otherwise). A document whose file is gone is reported."""
        from assistant.ingest.report import FileResult, IngestReport

        sources: dict[str, list[str]] = {}
        missing = IngestReport()
        wanted = list(dict.fromkeys(doc_ids))
        records = {d: rec for d, (rec, _) in self.store.get_docs(wanted).items()}  # these, not all
        for doc_id in wanted:
            rec = records.get(doc_id)
            if rec is None or not rec.source or not Path(rec.source).is_file():
                why = (f"no document {doc_id!r} in the index" if rec is None else
                       f"its file {rec.source or '(unknown)'} is gone; add the file again")
                missing.results.append(FileResult(rec.source if rec else "", doc_id, "failed", why))
                continue
            sources.setdefault(rec.source, []).append(doc_id)
        if not sources:
            missing.total_docs, missing.total_chunks = self.store.counts()
            return missing
        for ids in sources.values():
            for doc_id in ids:  # a raw hash nothing has: the file is read and cleaned again
                self.store.touch_document(doc_id, "", records[doc_id].source)
        report = self.ingest(list(sources), progress=progress, wait=wait, on_wait=on_wait)
        wanted = {d for ids in sources.values() for d in ids}
        report.results = [r for r in report.results if r.doc_id in wanted] + missing.results
        return report

    def _deferred_embedder(self) -> Any:
        s = self.settings
        if self._embedder is not None:
            return self.embedder
        return _Deferred(self._lazy_embedder, *_default_model_id(),
                         recipe=("minilm", {"precision": s.embed_precision, "backend": s.embed_backend,
                                            "batch_size": s.embed_batch_size}))

    # -- inspection -----------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        records = self.local.records()
        n_docs, n_chunks = self.store.counts()
        last = max((float(r.get("ingested_at", 0) or 0) for r in records.values()), default=0.0)
        return {
            "where": self.settings.where,
            "documents": n_docs,
            "chunks": n_chunks,
            "last_ingest": last,
            "config": self.store.config,
            "docs": [
                {**{k: r.get(k, "") for k in ("doc_id", "title", "publisher", "date", "author", "n_chunks", "source",
                                              "fmt", "ingested_at")},
                 "meta_origin": dict(r.get("meta_origin") or {})}
                for r in sorted(records.values(), key=lambda r: r.get("doc_id", ""))
            ],
            "alias_groups": self.local.aliases.groups(),
        }

    def close(self) -> None:
        if self._warming is not None:
            self._warming.join()  # not closing the client under a load
        self.local.close()
        self.store.close()


class _Deferred:
    """The default embedder's name and size, loading the model only when a document needs
    vectors: an ingest with nothing new then skips the model load (most of its time)."""

    def __init__(self, load: Callable[[], Embedder], name: str, dim: int,
                 recipe: tuple[str, dict[str, Any]] | None = None) -> None:
        self._load, self.name, self.dim = load, name, dim
        self._recipe = recipe

    def recipe(self) -> tuple[str, dict[str, Any]]:
        """The model's recipe without loading it (ingest workers build their own)."""
        if self._recipe is None:
            return self._load().recipe()  # type: ignore[attr-defined]
        return self._recipe

    def embed_documents(self, texts: list[str]) -> Any:
        return self._load().embed_documents(texts)

    def embed_query(self, text: str) -> Any:
        return self._load().embed_query(text)

    def set_batch_threads(self, threads: int | None) -> None:
        """Forwarded (the ingest gives the embedder the cores its workers leave); called
        only before a batch is embedded, so the model is needed by then anyway."""
        set_threads = getattr(self._load(), "set_batch_threads", None)
        if set_threads is not None:
            set_threads(threads)


def _embedder_for(config: dict[str, Any]) -> Embedder:
    """The embedder an index was built with, so queries use the same vector space."""
    from assistant.index.embedding import HashingEmbedder

    name = config.get("embedder")
    if name == HashingEmbedder.name:
        return HashingEmbedder(int(config.get("dim") or 384))
    from assistant.errors import IndexConfigMismatch

    raise IndexConfigMismatch(f"the index at {config.get('where', 'this location')} was built with the embedder "
                              f"{name!r}, which this version cannot load",
                              fix="rebuild it: `assistant ingest --rebuild`")


def _default_model_id() -> tuple[str, int]:
    from assistant.index.embedding import MINILM_NAME

    return MINILM_NAME, 384
