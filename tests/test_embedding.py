"""The embedding backends: ONNX Runtime must give PyTorch's vectors, fall back cleanly,
and keep torch out of a process that only asks questions."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from assistant.bench import recall_within
from assistant.errors import ConfigError

TEXTS = [
    "The border guard service said 1,240 people tried to cross in March.",
    "Officials declined to comment on the report.",
    "Inflation slowed to 2.9 percent in October, the statistics office said, the lowest in three years.",
    "",
]


def test_recall_within_counts_ties_as_hits():
    # exact 10th neighbour at 0.80: approximate results at 0.80 (a tie) count, 0.70 does not
    assert recall_within(0.80, [0.9, 0.85, 0.80, 0.80, 0.70], k=5) == pytest.approx(0.8)
    assert recall_within(0.5, [], k=0) == 1.0


def test_unknown_backend_is_a_config_error():
    from assistant.embedding import MiniLMEmbedder

    with pytest.raises(ConfigError, match="backend"):
        MiniLMEmbedder(backend="tpu")


def test_auto_backend_is_onnx_only_for_fp32():
    from assistant.embedding import resolve_backend

    assert resolve_backend("torch", "fp32") == "torch"
    assert resolve_backend("auto", "int8") == "torch"
    assert resolve_backend("auto", "bf16") == "torch"


@pytest.mark.slow
def test_onnx_vectors_match_pytorch(tmp_path):
    from assistant.embedding import MiniLMEmbedder

    ort = MiniLMEmbedder(backend="onnx", model_cache=tmp_path)
    pt = MiniLMEmbedder(backend="torch")
    assert ort.backend == "onnx" and pt.backend == "torch"
    a, b = ort.embed_documents(TEXTS), pt.embed_documents(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert float((a * b).sum(axis=1).min()) > 0.9999
    q = ort.embed_query("how many people tried to cross the border?")
    assert np.isclose(np.linalg.norm(q), 1.0, atol=1e-4)
    # the ranking of the documents is the same as PyTorch's
    assert list(np.argsort(-(a @ q))) == list(np.argsort(-(b @ pt.embed_query("how many people tried to cross the border?"))))
    assert list(tmp_path.glob("minilm-*.onnx")), "the export is cached for the next process"


@pytest.mark.slow
def test_failed_export_falls_back_to_pytorch_or_explains(tmp_path, monkeypatch):
    from assistant import onnxmodel
    from assistant.embedding import MiniLMEmbedder

    def broken(model_dir, cache_dir):
        raise RuntimeError("exporter crashed")

    monkeypatch.setattr(onnxmodel, "ensure_exported", broken)
    e = MiniLMEmbedder(model_cache=tmp_path)  # auto
    assert e.backend == "torch" and "exporter crashed" in e.backend_note
    assert e.embed_documents(TEXTS[:1]).shape == (1, 384)
    with pytest.raises(ConfigError, match="ASSISTANT_EMBED_BACKEND=torch"):
        MiniLMEmbedder(backend="onnx", model_cache=tmp_path)


@pytest.mark.slow
def test_asking_does_not_import_torch(seed_index, tmp_path):
    """With the ONNX file exported, answering a question never loads PyTorch (most of a
    cold start)."""
    from assistant.embedding import MiniLMEmbedder

    MiniLMEmbedder(backend="onnx", model_cache=tmp_path / "models")  # export once
    code = (
        "import sys\n"
        "from assistant import Assistant\n"
        f"a = Assistant.open(index_dir={str(seed_index)!r})\n"
        "ans = a.ask('How many migrants died?')\n"
        "print(bool(ans.citations), 'torch' in sys.modules)\n"
    )
    env = {"ASSISTANT_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False"]
