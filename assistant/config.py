"""Every on-disk path and tunable setting, in one place, with environment overrides.

Precedence: explicit argument > environment variable > default. Paths are
resolved relative to the current working directory, like any CLI tool.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.errors import ConfigError

ENV_INDEX_DIR = "ASSISTANT_INDEX_DIR"
ENV_CHROMA_URL = "ASSISTANT_CHROMA_URL"
ENV_COLLECTION = "ASSISTANT_COLLECTION"
ENV_SEEDS_DIR = "ASSISTANT_SEEDS_DIR"
ENV_CACHE_DIR = "ASSISTANT_CACHE_DIR"
ENV_AUTH = "ASSISTANT_AUTH"
ENV_EMBED_PRECISION = "ASSISTANT_EMBED_PRECISION"
ENV_EMBED_BACKEND = "ASSISTANT_EMBED_BACKEND"
ENV_UPLOAD_DIR = "ASSISTANT_UPLOAD_DIR"
ENV_LEARNED = "ASSISTANT_LEARNED_SELECTION"
#: spaCy worker processes an ingest starts (default: one per core; 0 annotates in the
#: ingesting process).
ENV_INGEST_WORKERS = "ASSISTANT_INGEST_WORKERS"
#: Seconds an ingest waits for a cluster's scheduler and first worker (``--dask``).
ENV_CLUSTER_TIMEOUT = "ASSISTANT_CLUSTER_TIMEOUT"

#: Characters one document's text may hold (``Settings.max_document_chars``); past it, the
#: file fails with this variable as the fix. Everything a file may inflate to when it is
#: read (a .docx's XML, a PDF's decoded streams, an HTML page, a feed, a JSONL line) is
#: capped in proportion (``ingest.loaders.limits``), so raising it raises those caps too.
ENV_MAX_DOCUMENT_CHARS = "ASSISTANT_MAX_DOCUMENT_CHARS"
#: 25 M characters: above the 20 MB text file that ``tests/system/test_reliability.py``
#: ingests whole (a news article is ~5-50 K; a long report a few hundred K), and low enough
#: that the reading caps it implies keep one file's ingest under 1.5 GB of memory
#: (``tests/system/test_bombs.py`` measures it).
DEFAULT_MAX_DOCUMENT_CHARS = 25_000_000

#: Questions longer than this (characters) are truncated, with a notice in the reply.
MAX_QUESTION_CHARS = 2000
#: Text beyond this many characters of one document is stored and searchable but not
#: run through spaCy (entities, quotes), which would take minutes on a 20 MB file.
MAX_NLP_CHARS = 400_000
#: Files bigger than this are rejected at ingest with a reason.
MAX_FILE_BYTES = 64 * 1024 * 1024


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def max_document_chars() -> int:
    """``ASSISTANT_MAX_DOCUMENT_CHARS`` (a positive whole number), else the default."""
    raw = _env(ENV_MAX_DOCUMENT_CHARS).replace("_", "").replace(",", "")
    if not raw:
        return DEFAULT_MAX_DOCUMENT_CHARS
    if not raw.isdigit() or int(raw) < 1000:
        raise ConfigError(f"{ENV_MAX_DOCUMENT_CHARS}={_env(ENV_MAX_DOCUMENT_CHARS)!r} is not a number of "
                          "characters of at least 1000",
                          fix=f"set {ENV_MAX_DOCUMENT_CHARS}={DEFAULT_MAX_DOCUMENT_CHARS}, or unset it")
    return int(raw)


def project_root() -> Path:
    """The checkout this package runs from (holds seeds/ and index/ by default)."""
    return Path(__file__).resolve().parent.parent


def default_index_dir() -> Path:
    return Path(_env(ENV_INDEX_DIR, "index")).expanduser()


def default_seeds_dir() -> Path:
    env = _env(ENV_SEEDS_DIR)
    if env:
        return Path(env).expanduser()
    local = Path("seeds")
    return local if local.is_dir() else project_root() / "seeds"


def default_cache_dir() -> Path:
    env = _env(ENV_CACHE_DIR)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "news-assistant"


@dataclass(frozen=True)
class Settings:
    """Where the index lives and how documents are cut and embedded.

    ``chroma_url`` switches every command to a Chroma server; ``index_dir`` then
    only holds the local derived caches (BM25, annotations), never the vectors.
    """

    index_dir: Path = field(default_factory=default_index_dir)
    chroma_url: str = field(default_factory=lambda: _env(ENV_CHROMA_URL))
    collection: str = field(default_factory=lambda: _env(ENV_COLLECTION, "news"))
    chunk_tokens: int = 200
    chunk_overlap_tokens: int = 30
    #: Texts per model batch. eval/reports/ingest-tuning.json (torch bf16 on AMX): 16 is
    #: ~5% faster than 32 on 1 or 2 threads, 64+ slower; kept at 32 because bf16 vectors
    #: depend slightly on how texts are batched, and 5% does not pay for re-embedding.
    embed_batch_size: int = 32
    embed_precision: str = field(default_factory=lambda: _env(ENV_EMBED_PRECISION, "auto"))
    embed_backend: str = field(default_factory=lambda: _env(ENV_EMBED_BACKEND, "auto"))
    #: Learned selection of document, sentence and reply (``make train``); off: the rule
    #: pipeline alone, as before it existed (for comparison).
    learned_selection: bool = field(default_factory=lambda: _env(ENV_LEARNED, "on").lower() not in ("0", "off", "no"))
    #: Characters one document may hold (see ``ENV_MAX_DOCUMENT_CHARS``).
    max_document_chars: int = field(default_factory=max_document_chars)
    hnsw_ef_search: int = 256
    hnsw_ef_construction: int = 200
    hnsw_max_neighbors: int = 32

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir).expanduser())
        if self.chunk_tokens < 20:
            raise ConfigError(
                f"chunk_tokens={self.chunk_tokens} is too small to hold a sentence",
                fix="use at least 20 (the default is 200)",
            )
        if not 0 <= self.chunk_overlap_tokens < self.chunk_tokens // 2:
            raise ConfigError(
                f"chunk_overlap_tokens={self.chunk_overlap_tokens} must be >= 0 and"
                f" below half of chunk_tokens={self.chunk_tokens}",
                fix="use a small overlap such as 30",
            )
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"chroma_url={self.chroma_url!r} is not an http(s) URL",
                fix="pass something like http://127.0.0.1:8000",
            )

    def with_(self, **changes: object) -> Settings:
        changes = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def cache_dir(self) -> Path:
        """Derived, rebuildable files (BM25, annotation store) for this index."""
        if not self.chroma_url:
            return self.index_dir / "assistant"
        safe = "".join(c if c.isalnum() else "_" for c in self.chroma_url)
        return default_cache_dir() / f"{safe}__{self.collection}"

    @property
    def where(self) -> str:
        """Human-readable location of the index, for messages."""
        return self.chroma_url or str(self.index_dir)
