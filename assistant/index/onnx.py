"""all-MiniLM-L6-v2 under ONNX Runtime: the same weights, exported once from the
local model files, run without PyTorch.

Why: on CPUs without native bf16, ONNX Runtime's fused BERT kernels embed the
same texts faster than PyTorch fp32 with vectors equal to within float rounding
(checked at export: cosine >= ``MIN_COSINE`` to the PyTorch vectors on sample
texts, or the export is refused). And once exported, a process that only asks
questions never imports torch, which is most of a cold start.

The export needs torch, transformers and ``onnx`` (all installed with the
project); nothing is downloaded. The file is cached under
``<cache dir>/models`` keyed by the model's config, size and this module's
export version, written atomically, so concurrent processes never see half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ConfigError

#: Bump when the export recipe changes (forces a fresh export).
EXPORT_VERSION = 1
OPSET = 17
#: The inputs of every exported graph, as the BERT tokenizer names them.
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
#: Whether ONNX Runtime's idle intra-op threads spin-wait for the next operator (its
#: default) instead of sleeping. A question's graphs are small (three sentences, one query),
#: so with two threads the spinning thread fights whatever else runs on the machine:
#: tools/bench_onnx_threads.py (eval/reports/onnx-threads.json) gives the figures.
SPIN = False
#: Vectors of the exported model must match PyTorch's this closely on the check texts.
MIN_COSINE = 0.9999
_CHECK_TEXTS = (
    "The minister said on Tuesday that 1,250 permits were approved in March.",
    "Prices rose 4.5 percent last year, the central bank reported.",
    "Officials declined to comment.",
)


def available() -> bool:
    """Whether ONNX Runtime can be used at all (the package imports)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def model_key(model_dir: Path) -> str:
    """Identity of the model files plus the export recipe (cheap: no weight hashing)."""
    h = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "sentence_bert_config.json", "1_Pooling/config.json"):
        p = model_dir / name
        h.update(name.encode())
        h.update(p.read_bytes() if p.is_file() else b"-")
    weights = model_dir / "model.safetensors"
    h.update(str(weights.stat().st_size if weights.is_file() else 0).encode())
    h.update(f"export-v{EXPORT_VERSION}-opset{OPSET}".encode())
    return h.hexdigest()[:16]


def _pooling_is_mean(model_dir: Path) -> bool:
    p = model_dir / "1_Pooling" / "config.json"
    try:
        cfg = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(cfg.get("pooling_mode_mean_tokens")) and not any(
        cfg.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"))


def _max_seq_length(model_dir: Path) -> int:
    try:
        return int(json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


def export(model_dir: Path, out: Path) -> None:
    """Export the transformer of ``model_dir`` to ``out`` (torch's TorchScript exporter),
    then check it against PyTorch on ``_CHECK_TEXTS``; raise ``ConfigError`` if it differs."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    class _Hidden(torch.nn.Module):
        """Keyword call to the transformer (its positional signature changes between
        transformers releases); returns the token vectors only."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = _Hidden(AutoModel.from_pretrained(str(model_dir)).eval()).eval()
    enc = tok(list(_CHECK_TEXTS), padding=True, truncation=True, max_length=_max_seq_length(model_dir),
              return_tensors="pt")
    with torch.inference_mode():
        ref = _mean_pool(model(*(enc[n] for n in INPUT_NAMES)).numpy(), enc["attention_mask"].numpy())

    def check(tmp: Path) -> None:
        got = OnnxEncoder(model_dir, tmp, threads=1).encode(list(_CHECK_TEXTS))
        cos = float((ref * got).sum(axis=1).min())
        if cos < MIN_COSINE:
            raise ConfigError(f"the ONNX export of {model_dir.name} differs from PyTorch (cosine {cos:.5f})",
                              fix="set ASSISTANT_EMBED_BACKEND=torch")

    export_graph(model, enc, out, ["last_hidden_state"], check)


def export_graph(model: Any, enc: Any, out: Path, outputs: list[str],
                 check: Callable[[Path], None] | None = None) -> None:
    """Trace ``model`` (a torch module called with the tokenizer's ``INPUT_NAMES``) on the
    encoding ``enc`` into an ONNX graph whose inputs and ``outputs`` have dynamic batch and
    token axes. It is written beside ``out`` and moved there only once ``check`` (given the
    new file) returns, so a failed or interrupted export never leaves a file to load."""
    import torch

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.stem, suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        # The tracer warns about shape checks it freezes; ``check`` is what counts.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, tuple(enc[n] for n in INPUT_NAMES), tmp, input_names=list(INPUT_NAMES),
                              output_names=outputs,
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*INPUT_NAMES, *outputs]},
                              opset_version=OPSET, dynamo=False)
        if check is not None:
            check(Path(tmp))
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ensure_exported(model_dir: Path, cache_dir: Path) -> Path:
    """The cached ONNX file for ``model_dir``, exported on first use."""
    if not _pooling_is_mean(model_dir):
        raise ConfigError(f"{model_dir} does not use mean pooling; the ONNX path only implements that",
                          fix="set ASSISTANT_EMBED_BACKEND=torch")
    out = cache_dir / f"minilm-{model_key(model_dir)}.onnx"
    if not out.is_file():
        export(model_dir, out)
    return out


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors under the attention mask, L2-normalised (the
    sentence-transformers Pooling + Normalize modules of this model)."""
    m = mask[..., None].astype(np.float32)
    v = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (v / n).astype(np.float32)


def padded_tokenizer(model_dir: Path, max_len: int, strategy: str = "longest_first"):
    """The model's own ``tokenizer.json``, truncating at ``max_len`` and padding batches."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_truncation(max_len, strategy=strategy)
    pad_id = tok.token_to_id("[PAD]")
    tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
    return tok


def cpu_session(onnx_path: Path, threads: int, spin: bool | None = None):
    """An ONNX Runtime CPU session on ``threads`` intra-op threads, fully optimised, quiet;
    ``spin``: its idle threads spin-wait for work (see ``SPIN``)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    spin = SPIN if spin is None else spin
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Tokenise with the model's own ``tokenizer.json`` and run the exported graph."""

    def __init__(self, model_dir: Path, onnx_path: Path, threads: int) -> None:
        self.max_len = _max_seq_length(model_dir)
        self.tok = padded_tokenizer(model_dir, self.max_len)
        self.session = cpu_session(onnx_path, threads)
        self._inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = []
        for i in range(0, len(texts), batch_size):
            encs = self.tok.encode_batch(texts[i: i + batch_size])
            feeds = {
                "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
            }
            hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
            out.append(_mean_pool(hidden, feeds["attention_mask"]))
        return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)
