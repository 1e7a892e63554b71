"""Token scores of an extractive reader: how likely each token of a sentence starts or
ends the answer to the question, from all-MiniLM-L6-v2 fine-tuned for it.

Why: the span features (``features``) type a candidate by its entity label and the
question's wh-word, which misses most of what a question asks ("which capital" -> a city,
"what prompted" -> an event). A transformer reading the question and the sentence together
scores every span in context, SQuAD-style (start and end logits, and a null score on the
[CLS] token for "no answer here"). Its score is one more span feature; the learned ranker
and the confidence model decide how much it counts.

What is committed is small: a low-rank adapter (LoRA, Hu et al. 2021) of the bundled
MiniLM's linear layers, its layer norms and the start/end head, fitted by ``make train``
(``assistant.evaluation.training.extractive``). At first use the adapter is merged into
the bundled weights and exported to ONNX once, cached under ``<cache dir>/models`` keyed by
both files, like the embedder's export (``assistant.index.onnx``); questions then run under
ONNX Runtime without torch.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import ConfigError
from assistant.index.onnx import OPSET, export_graph

#: The committed adapter, beside the other learned models.
ADAPTER = "reader-tokens.npz"
#: Bump when the export recipe changes (forces a fresh export).
EXPORT_VERSION = 1
#: Question plus sentence, in word pieces: a longer sentence is cut (the same length the
#: adapter was fitted with; 99% of the training sentences fit).
MAX_TOKENS = 160
#: LoRA's scale (alpha / rank), as fitted.
LORA_SCALE = 2.0
#: Threads one question's sentences run on, at most (fewer where the process has fewer
#: CPUs). Measured on the 2-core machine, 3 seed sentences a question: 30 ms on one thread,
#: 20 ms on two (OnnxTokenScorer.logits, median of 30); three short sentences give more
#: threads little to split.
MAX_THREADS = 2


@dataclass(frozen=True)
class SentenceLogits:
    """The reader's scores over one sentence's word pieces."""

    #: Start and end logits, one per word piece of the sentence.
    start: np.ndarray
    end: np.ndarray
    #: Each word piece's (start, end) character offsets in the sentence.
    offsets: np.ndarray
    #: The [CLS] start + end logits: the score of "the answer is not here".
    null: float


class TokenScorer(Protocol):
    """Scores the word pieces of each sentence as the answer's start and end."""

    def logits(self, question: str, sentences: Sequence[str]) -> list[SentenceLogits]: ...


def span_score(lg: SentenceLogits, start: int, end: int) -> float | None:
    """Log-odds-like score of the characters ``start:end`` of the sentence being the answer:
    the start logit of the piece holding ``start`` plus the end logit of the piece holding
    ``end - 1``, less the null score. None when the span lies past the cut."""
    off = lg.offsets
    if not len(off) or end <= start:
        return None
    s = np.nonzero((off[:, 0] <= start) & (start < off[:, 1]))[0]
    if not len(s):
        s = np.nonzero(off[:, 0] >= start)[0][:1]
    e = np.nonzero((off[:, 0] < end) & (end <= off[:, 1]))[0]
    if not len(e):
        e = np.nonzero((off[:, 1] <= end) & (off[:, 1] > 0))[0][-1:]
    if not len(s) or not len(e) or e[0] < s[0]:
        return None
    return float(lg.start[s[0]] + lg.end[e[0]] - lg.null)


def adapter_path() -> Path | None:
    """The committed adapter, or None when this install has none (``make train`` writes it)."""
    p = Path(str(resources.files("assistant.answer.models").joinpath(ADAPTER)))
    return p if p.is_file() else None


def _key(model_dir: Path, adapter: Path) -> str:
    h = hashlib.sha256()
    for p in (model_dir / "config.json", model_dir / "tokenizer.json", adapter):
        h.update(p.read_bytes() if p.is_file() else b"-")
    h.update(str((model_dir / "model.safetensors").stat().st_size
                 if (model_dir / "model.safetensors").is_file() else 0).encode())
    h.update(f"reader-v{EXPORT_VERSION}-opset{OPSET}".encode())
    return h.hexdigest()[:16]


def merged_state(base: dict, adapter: dict[str, np.ndarray]) -> dict:
    """The bundled weights with the adapter applied: W + scale * B @ A for every adapted
    linear layer, the fitted layer norms and head as they are."""
    import torch

    out = dict(base)
    for k, v in adapter.items():
        if k.endswith(".lora_A"):
            name = k[: -len(".lora_A")]
            b = torch.from_numpy(adapter[f"{name}.lora_B"])
            out[f"{name}.weight"] = base[f"{name}.weight"] + LORA_SCALE * (b @ torch.from_numpy(v))
        elif not k.endswith(".lora_B"):
            out[k] = torch.from_numpy(v)
    return out


def export(model_dir: Path, adapter: Path, out: Path) -> None:
    """Merge ``adapter`` into the model of ``model_dir`` and export it to ``out``."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    class _Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = AutoModel.from_pretrained(str(model_dir))
            self.head = torch.nn.Linear(self.enc.config.hidden_size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.enc(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids).last_hidden_state
            z = self.head(h)
            return z[..., 0], z[..., 1]

    model = _Reader().eval()
    weights = dict(np.load(adapter))
    state = merged_state({k: v.detach().clone() for k, v in model.state_dict().items()}, weights)
    model.load_state_dict(state)
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    enc = tok(["Who won?"], ["Ana Ruiz won the vote on Tuesday."], return_tensors="pt")
    export_graph(model, enc, out, ["start_logits", "end_logits"])


class OnnxTokenScorer:
    """The merged reader under ONNX Runtime; the question and each sentence are one pair."""

    def __init__(self, model_dir: Path, onnx_path: Path, threads: int = 1) -> None:
        from assistant.index.onnx import cpu_session, padded_tokenizer

        # Longest first: a question longer than the limit is cut too (a 100 KB question).
        self.tok = padded_tokenizer(model_dir, MAX_TOKENS, "longest_first")
        #: The exported graph it runs (a bench may open another session on it).
        self.path = onnx_path
        self.session = cpu_session(onnx_path, threads)
        self._inputs = {i.name for i in self.session.get_inputs()}

    def logits(self, question: str, sentences: Sequence[str]) -> list[SentenceLogits]:
        if not sentences:
            return []
        encs = self.tok.encode_batch([(question, s) for s in sentences])
        feeds = {"input_ids": np.array([e.ids for e in encs], dtype=np.int64),
                 "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
                 "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64)}
        zs, ze = self.session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        out = []
        for i, e in enumerate(encs):
            ctx = np.array([t for t, sid in enumerate(e.sequence_ids) if sid == 1], dtype=int)
            off = np.array(e.offsets, dtype=np.int64).reshape(-1, 2)[ctx] if len(ctx) else np.zeros((0, 2), np.int64)
            out.append(SentenceLogits(zs[i][ctx], ze[i][ctx], off, float(zs[i][0] + ze[i][0])))
        return out


_lock = threading.Lock()
_shared: dict[str, OnnxTokenScorer] = {}


def load_scorer(cache_dir: Path | None = None) -> OnnxTokenScorer | None:
    """The committed reader, exported on first use and shared by the process; None when
    no adapter is committed."""
    adapter = adapter_path()
    if adapter is None:
        return None
    from assistant.config import default_cache_dir
    from assistant.index.embedding import default_threads, minilm_path

    model_dir = Path(minilm_path())
    out = (cache_dir or default_cache_dir() / "models") / f"reader-{_key(model_dir, adapter)}.onnx"
    with _lock:
        if str(out) not in _shared:
            if not out.is_file():
                try:
                    export(model_dir, adapter, out)
                except ImportError as exc:  # pragma: no cover - install problem
                    raise ConfigError("exporting the reader needs torch and transformers",
                                      fix="run `make install`") from exc
            _shared[str(out)] = OnnxTokenScorer(model_dir, out, min(MAX_THREADS, default_threads()))
        return _shared[str(out)]
