"""The Chroma side of the index: chunk vectors and document records.

Chroma is the source of truth, embedded (``PersistentClient`` at ``index_dir``)
or a server (``HttpClient``). Two collections:

- ``<name>_chunks``: one record per chunk (vector, text, doc_id, offsets, and
  ``publisher``/``date_int`` for filters);
- ``<name>_docs``: one record per document holding the cleaned text and its
  ingest-time annotations (sentences, entities, figures, dates, quotes) as JSON.
  Its placeholder 1-d vector is never searched.

A document record is written *after* its chunks, so it doubles as the commit
marker: chunks without a record (an ingest killed half-way) are ignored by
retrieval and replaced by the next ingest.
"""

from __future__ import annotations

import json
import os
import shlex
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import ENV_INDEX_DIR, Settings, default_index_dir, default_seeds_dir
from assistant.errors import IndexConfigMismatch, IndexCorrupt, IndexMissing, ServerUnavailable
from assistant.index.where import filtered_query, pairs
from assistant.models import Chunk, Document

SCHEMA_VERSION = 1
_ADD_BATCH = 2000
#: Document ids per ``$in`` filter (well under SQLite's limit on bound variables).
_WHERE_IN = 500


@dataclass
class DocRecord:
    """A document's metadata as stored (no text)."""

    doc_id: str
    title: str
    publisher: str
    date: str
    date_int: int
    author: str
    url: str
    source: str
    content_hash: str
    raw_hash: str
    config_hash: str
    n_chunks: int
    ingested_at: float
    #: The loader's format, and where each metadata field came from (``Document.meta_origin``);
    #: empty for documents indexed before these were recorded.
    fmt: str = ""
    meta_origin: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, doc_id: str, meta: dict[str, Any]) -> DocRecord:
        return cls(
            doc_id=doc_id,
            title=str(meta.get("title", "")),
            publisher=str(meta.get("publisher", "")),
            date=str(meta.get("date", "")),
            date_int=int(meta.get("date_int", 0) or 0),
            author=str(meta.get("author", "")),
            url=str(meta.get("url", "")),
            source=str(meta.get("source", "")),
            content_hash=str(meta.get("content_hash", "")),
            raw_hash=str(meta.get("raw_hash", "")),
            config_hash=str(meta.get("config_hash", "")),
            n_chunks=int(meta.get("n_chunks", 0) or 0),
            ingested_at=float(meta.get("ingested_at", 0.0) or 0.0),
            fmt=str(meta.get("fmt", "") or ""),
            meta_origin=_origins(meta.get("meta_origin")),
        )


def _origins(value: Any) -> dict[str, str]:
    """``meta_origin`` as stored: a JSON object in Chroma (its metadata holds scalars only)."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{"):
        try:
            return _origins(json.loads(value))
        except ValueError:
            return {}
    return {}


def connect(settings: Settings):
    """A Chroma client for the settings: HTTP to a server, or the embedded store on disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        u = urlparse(settings.chroma_url)
        try:
            client = chromadb.HttpClient(
                host=u.hostname or "127.0.0.1", port=u.port or (443 if u.scheme == "https" else 8000),
                ssl=u.scheme == "https", settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:
            raise ServerUnavailable(
                f"cannot reach the Chroma server at {settings.chroma_url} ({type(exc).__name__}: {exc})",
                url=settings.chroma_url,
                fix=f"start it (`chroma run --path DIR --port {u.port or 8000}`) or check the URL"
                " (--chroma-url / ASSISTANT_CHROMA_URL)",
            ) from exc
        return client
    try:
        return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
    except Exception as exc:
        raise IndexCorrupt(
            f"cannot open the Chroma index at {settings.index_dir} ({type(exc).__name__}: {exc})",
            fix=f"rebuild it: `assistant ingest --rebuild --index-dir {settings.index_dir}`",
        ) from exc


def index_config(settings: Settings, embedder_name: str, dim: int) -> dict[str, Any]:
    """What the vectors and chunks depend on: a change means re-embedding."""
    return {
        "schema": SCHEMA_VERSION,
        "embedder": embedder_name,
        "dim": dim,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap_tokens,
    }


def config_hash(cfg: dict[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:16]


class Store:
    """Thin, typed access to the two Chroma collections."""

    def __init__(self, client: Any, settings: Settings, chunks: Any, docs: Any) -> None:
        self.client = client
        self.settings = settings
        self.chunks = chunks
        self.docs = docs

    # -- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, *, create: bool = False, config: dict[str, Any] | None = None) -> Store:
        """Open the collections; with ``create`` make them (recording ``config``)."""
        if not settings.chroma_url:
            check_index_dir(settings, create=create)
        if create and not settings.chroma_url:
            settings.index_dir.mkdir(parents=True, exist_ok=True)
        client = connect(settings)
        names = (f"{settings.collection}_chunks", f"{settings.collection}_docs")
        try:
            if create:
                meta = {"generation": uuid.uuid4().hex, "created_at": time.time()}
                if config:
                    meta["config"] = json.dumps(config, sort_keys=True)
                chunks = client.get_or_create_collection(
                    names[0], embedding_function=None, metadata=meta,
                    configuration={"hnsw": {
                        "space": "cosine",
                        "ef_search": settings.hnsw_ef_search,
                        "ef_construction": settings.hnsw_ef_construction,
                        "max_neighbors": settings.hnsw_max_neighbors,
                    }},
                )
                docs = client.get_or_create_collection(names[1], embedding_function=None)
            else:
                chunks = client.get_collection(names[0], embedding_function=None)
                docs = client.get_collection(names[1], embedding_function=None)
        except ServerUnavailable:
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                raise ServerUnavailable(
                    f"lost the Chroma server at {settings.chroma_url} ({exc})", url=settings.chroma_url,
                    fix="check that the server is running, then retry",
                ) from exc
            if "does not exist" in str(exc) or "NotFound" in type(exc).__name__:
                raise IndexMissing(
                    f"no collection {names[0]!r} in the index at {settings.where}",
                    fix=f"build it: {ingest_command(settings)}",
                ) from exc
            raise IndexCorrupt(
                f"cannot open collection {names[0]!r} at {settings.where} ({type(exc).__name__}: {exc})",
                fix=f"rebuild it: `assistant ingest --rebuild{_where_flag(settings)}`",
            ) from exc
        store = cls(client, settings, chunks, docs)
        if create and config:
            stored = store.config
            if stored and {k: stored.get(k) for k in config} != config:
                raise IndexConfigMismatch(
                    f"the index at {settings.where} was built with {stored}, not {config}",
                    fix=f"rebuild it with the new settings: `assistant ingest --rebuild{_where_flag(settings)}`",
                )
        return store

    def reopen(self) -> None:
        """Open the collections again with a new client. Embedded Chroma loads its vector
        index into memory once per client, so a new client is how this process sees
        vectors another process wrote; a server needs none of it. Call it only while no
        ingest writes (``index.lock.reload_lock``): loading the index files while another
        process rewrites them can crash this process."""
        if self.settings.chroma_url:
            return
        try:
            self.client.close()  # the last reference stops Chroma's system for this path
        except Exception:
            pass
        fresh = Store.open(self.settings)
        self.client, self.chunks, self.docs = fresh.client, fresh.chunks, fresh.docs

    def close(self) -> None:
        """Release the Chroma client (idempotent; embedded: its files and memory). Chroma
        shares one system per path within a process: one left open keeps a deleted index's
        database in use, so the same path could not be built again in this process
        (``--rebuild`` from a library caller)."""
        close = getattr(self.client, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception:
            pass

    # -- collection-level state -------------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        try:
            col = self.client.get_collection(self.chunks.name, embedding_function=None)
        except Exception as exc:
            raise self.wrap(exc) from exc
        return dict(col.metadata or {})

    @property
    def config(self) -> dict[str, Any]:
        raw = self._meta().get("config")
        return json.loads(raw) if raw else {}

    def generation(self) -> str:
        return str(self._meta().get("generation", ""))

    def bump_generation(self) -> str:
        meta = self._meta()
        meta["generation"] = uuid.uuid4().hex
        meta["updated_at"] = time.time()
        meta.pop("hnsw:space", None)
        self.chunks.modify(metadata=meta)
        return meta["generation"]

    # -- documents ---------------------------------------------------------------------
    def doc_records(self) -> dict[str, DocRecord]:
        out: dict[str, DocRecord] = {}
        offset, page = 0, 5000
        while True:
            res = self._call(self.docs.get, include=["metadatas"], limit=page, offset=offset)
            for i, m in zip(res["ids"], res["metadatas"] or [], strict=False):
                out[i] = DocRecord.from_meta(i, m or {})
            if len(res["ids"]) < page:
                return out
            offset += page

    def get_docs(self, doc_ids: Sequence[str]) -> dict[str, tuple[DocRecord, dict[str, Any]]]:
        """Records with their stored payload (``{"text", "annotations"}``)."""
        out: dict[str, tuple[DocRecord, dict[str, Any]]] = {}
        ids = list(doc_ids)
        for i in range(0, len(ids), 200):
            res = self._call(self.docs.get, ids=ids[i: i + 200], include=["metadatas", "documents"])
            for did, meta, payload in zip(res["ids"], res["metadatas"], res["documents"], strict=False):
                out[did] = (DocRecord.from_meta(did, meta or {}), json.loads(payload or "{}"))
        return out

    def chunk_rows(self, doc_ids: Iterable[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(chunk_id, metadata) for all chunks, or those of ``doc_ids``."""
        rows: list[tuple[str, dict[str, Any]]] = []
        if doc_ids is not None:
            ids = list(doc_ids)
            for i in range(0, len(ids), 100):
                res = self._call(self.chunks.get, where={"doc_id": {"$in": ids[i: i + 100]}}, include=["metadatas"])
                rows.extend(zip(res["ids"], res["metadatas"], strict=False))
            return rows
        offset, page = 0, 10000
        while True:
            res = self._call(self.chunks.get, include=["metadatas"], limit=page, offset=offset)
            rows.extend(zip(res["ids"], res["metadatas"], strict=False))
            if len(res["ids"]) < page:
                return rows
            offset += page

    def write_document(self, doc: Document, chunks: Sequence[Chunk], vectors: np.ndarray,
                       annotations: dict[str, Any], cfg_hash: str) -> None:
        """Replace a document's chunks and record; the record goes last (commit marker)."""
        self.write_documents([(doc, chunks, vectors, annotations)], cfg_hash)

    def write_documents(self, items: Sequence[tuple[Document, Sequence[Chunk], np.ndarray, dict[str, Any]]],
                        cfg_hash: str) -> None:
        """Replace several documents: their old chunks are deleted, every new chunk is
        written, then every record (each record still after its chunks: the commit
        marker). One call per kind for the whole batch: per document, Chroma's calls cost
        more than the writing (a where-delete alone took 11 ms at 100k chunks)."""
        if not items:
            return
        doc_ids = [d.doc_id for d, *_ in items]
        for i in range(0, len(doc_ids), _WHERE_IN):
            self._call(self.chunks.delete, where={"doc_id": {"$in": doc_ids[i: i + _WHERE_IN]}})
        rows = [(c, d) for d, chunks, _, _ in items for c in chunks]
        vectors = np.concatenate([np.asarray(v, dtype=np.float32).reshape(len(ch), -1)
                                  for _, ch, v, _ in items]) if rows else np.zeros((0, 0), np.float32)
        for i in range(0, len(rows), _ADD_BATCH):
            part = rows[i: i + _ADD_BATCH]
            self._call(
                self.chunks.upsert,
                ids=[c.chunk_id for c, _ in part],
                embeddings=vectors[i: i + _ADD_BATCH],
                documents=[c.text for c, _ in part],
                metadatas=[chunk_metadata(d, c) for c, d in part],
            )
        now = time.time()
        metas, payloads = [], []
        for doc, chunks, _, ann in items:
            metas.append({
                "title": doc.title, "publisher": doc.publisher, "date": doc.date, "date_int": doc.date_int,
                "author": doc.author, "url": doc.url, "source": doc.source, "content_hash": doc.content_hash,
                "raw_hash": doc.raw_hash, "config_hash": cfg_hash, "n_chunks": len(chunks),
                "ingested_at": now, "fmt": doc.fmt, "meta_origin": json.dumps(doc.meta_origin, sort_keys=True),
            })
            payloads.append(json.dumps({"text": doc.text, "annotations": ann}, ensure_ascii=False))
        for i in range(0, len(items), _ADD_BATCH):
            part_ids = doc_ids[i: i + _ADD_BATCH]
            self._call(self.docs.upsert, ids=part_ids, embeddings=[[1.0]] * len(part_ids),
                       documents=payloads[i: i + _ADD_BATCH], metadatas=metas[i: i + _ADD_BATCH])

    def touch_document(self, doc_id: str, raw_hash: str, source: str) -> None:
        """Record a new raw hash/source for a document whose cleaned content did not change."""
        res = self._call(self.docs.get, ids=[doc_id], include=["metadatas"])
        if not res["ids"]:
            return
        meta = dict(res["metadatas"][0] or {})
        meta.update(raw_hash=raw_hash, source=source)
        self._call(self.docs.update, ids=[doc_id], metadatas=[meta])

    def delete_document(self, doc_id: str, *, keep_record: bool = False) -> None:
        self._call(self.chunks.delete, where={"doc_id": doc_id})
        if not keep_record:
            self._call(self.docs.delete, ids=[doc_id])

    def counts(self) -> tuple[int, int]:
        return self._call(self.docs.count), self._call(self.chunks.count)

    # -- search ------------------------------------------------------------------------
    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity), best first. ``n`` may exceed the chunks there are
        (Chroma returns those): counting them first cost 0.5 s at 100k chunks. Ids and
        distances only: Chroma's metadata rows for 40 candidates cost 5 ms warm and 25 ms
        from a cold page cache at 1M chunks (measured), and the chunk table has what
        retrieval needs."""
        n = max(1, n)
        emb = [np.asarray(vector, dtype=np.float32).tolist()]
        if not where:
            return pairs(self._call(self.chunks.query, query_embeddings=emb, n_results=n, include=["distances"]))
        return filtered_query(lambda **kw: self.chunks.query(query_embeddings=emb, **kw), n, where,
                              _filtered_plan_error, self.wrap)

    def warm(self) -> None:
        """Load the vector index into memory now: Chroma reads it on the first query (4.6-5.8 s
        at 1M chunks, measured on the bench's 1M index), so one 1-nearest query does it. A
        query that arrives meanwhile waits for the same load; it does not start a second."""
        dim = int(self.config.get("dim", 0) or 0)
        if dim <= 0:
            return  # an index made before its config was recorded: the first question loads it
        probe = np.zeros(dim, dtype=np.float32)
        probe[0] = 1.0  # any unit vector: the answer is thrown away
        self.query(probe, 1)

    # -- errors ------------------------------------------------------------------------
    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise self.wrap(exc) from exc

    def wrap(self, exc: Exception) -> Exception:
        if _is_connection_error(exc):
            return ServerUnavailable(
                f"lost the Chroma server at {self.settings.chroma_url} ({type(exc).__name__}: {exc})",
                url=self.settings.chroma_url,
                fix="check that the server is running; the assistant reconnects on the next question",
            )
        if self.settings.chroma_url:
            return ServerUnavailable(
                f"the Chroma server at {self.settings.chroma_url} failed: {type(exc).__name__}: {exc}",
                url=self.settings.chroma_url, fix="check the server's log, then retry",
            )
        return IndexCorrupt(
            f"the Chroma index at {self.settings.index_dir} failed: {type(exc).__name__}: {exc}",
            fix=f"rebuild it: `assistant ingest --rebuild --index-dir {self.settings.index_dir}`",
        )


def chunk_metadata(doc: Document, c: Chunk) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id, "index": c.index, "start": c.start, "end": c.end, "n_tokens": c.n_tokens,
        "title": doc.title, "publisher": doc.publisher, "date": doc.date, "date_int": doc.date_int,
        "doc_hash": doc.content_hash,
    }


def _is_connection_error(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    text = " ".join(str(e) for e in _chain(exc)).lower()
    return bool(names & {"ConnectError", "ConnectionError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError",
                         "ConnectionRefusedError", "ReadError"}) or "connection refused" in text \
        or "could not connect" in text


def _filtered_plan_error(exc: BaseException) -> bool:
    """Chroma's filtered plan missing a chunk (``where.FILTERED_RETRY_PAUSES``)."""
    return any("error finding id" in str(e).lower() for e in _chain(exc))


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen = 0
    e: BaseException | None = exc
    while e is not None and seen < 10:
        yield e
        e = e.__cause__ or e.__context__
        seen += 1


def _where_flag(settings: Settings) -> str:
    if settings.chroma_url:
        return f" --chroma-url {shlex.quote(settings.chroma_url)}"
    return f" --index-dir {shlex.quote(_shown(settings.index_dir))}"


def _shown(path: Path) -> str:
    """A path for a message: absolute, so it means the same wherever the reader runs the fix."""
    return str(path.expanduser().absolute())


def ingest_command(settings: Settings, index_dir: Path | None = None) -> str:
    """The command that builds an index for ``settings`` (or in ``index_dir``) from the seed
    articles when they are there (``ASSISTANT_SEEDS_DIR``, ./seeds or the checkout's),
    else from a directory the reader names."""
    seeds = default_seeds_dir()
    src = shlex.quote(_shown(seeds)) if seeds.is_dir() else "DIR_WITH_YOUR_ARTICLES"
    where = f" --index-dir {shlex.quote(_shown(index_dir))}" if index_dir is not None else _where_flag(settings)
    return f"`assistant ingest {src}{where}`"


def fresh_index_dir(path: Path) -> Path:
    """A directory beside ``path`` that does not exist yet, for a new index."""
    base = path.expanduser().absolute()
    stem = base.stem if base.is_file() else base.name
    for i in range(1, 100):
        cand = base.parent / (f"{stem}-index" if i == 1 else f"{stem}-index-{i}")
        if not cand.exists():
            return cand
    return base.parent / f"{stem}-index-{uuid.uuid4().hex[:8]}"


def check_index_dir(settings: Settings, *, create: bool) -> None:
    """Refuse an ``index_dir`` that is not an index, naming a fix that works when run.

    Missing: build it (unless ``create``). A file, or a directory of other files: another
    directory is needed (ingesting there would scatter an index among someone's files, and
    ``--rebuild`` rightly refuses to delete them), so a new one beside it is named. An empty
    directory: building into it is fine."""
    d = settings.index_dir
    shown = _shown(d)
    default = "" if d != default_index_dir() or os.environ.get(ENV_INDEX_DIR) else (
        " (the default index directory; pass --index-dir or set ASSISTANT_INDEX_DIR to use another)")
    if not d.exists():
        if not create:
            raise IndexMissing(f"no index at {shown}{default}", fix=f"build it: {ingest_command(settings)}")
        return
    new = fresh_index_dir(d)
    if not d.is_dir():
        raise IndexCorrupt(f"{shown} is a file, not an index directory",
                           fix=f"pass the index directory, or build a new index beside it: "
                               f"{ingest_command(settings, new)}")
    if (d / "chroma.sqlite3").exists():
        return
    if any(d.iterdir()) and not (d / "assistant").exists():
        raise IndexCorrupt(f"{shown} holds other files and no index (no chroma.sqlite3), so it is not an index "
                           "directory; nothing was written to it",
                           fix=f"pass the index directory, or build a new index beside it: "
                               f"{ingest_command(settings, new)}")
    if not create:
        raise IndexCorrupt(f"{shown} exists but holds no Chroma index (chroma.sqlite3 is missing)",
                           fix=f"rebuild it: `assistant ingest --rebuild{_where_flag(settings)}`")
