"""Fitting the extractive reader's adapter, and merging it into the bundled MiniLM: the
exported ONNX graph computes what the adapted PyTorch model does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _model_dir() -> Path:
    from assistant.index.embedding import minilm_path

    return Path(minilm_path())


def test_the_exported_reader_equals_the_adapted_model(tmp_path):
    import torch
    from transformers import AutoModel, AutoTokenizer

    from assistant.answer.reader.extractive import LORA_SCALE, OnnxTokenScorer, export

    md = _model_dir()
    rng = np.random.default_rng(0)
    enc = AutoModel.from_pretrained(str(md))
    adapter = {"head.weight": rng.normal(0, 0.1, (2, 384)).astype(np.float32), "head.bias": np.ones(2, np.float32)}
    for name, m in enc.named_modules():
        if isinstance(m, torch.nn.Linear) and name.endswith(("attention.self.query", "intermediate.dense")):
            adapter[f"enc.{name}.lora_A"] = rng.normal(0, 0.05, (8, m.in_features)).astype(np.float32)
            adapter[f"enc.{name}.lora_B"] = rng.normal(0, 0.05, (m.out_features, 8)).astype(np.float32)
    np.savez(tmp_path / "a.npz", **adapter)
    export(md, tmp_path / "a.npz", tmp_path / "a.onnx")
    q, s = "Who won the vote?", "Ana Ruiz won the vote on Tuesday."
    got = OnnxTokenScorer(md, tmp_path / "a.onnx").logits(q, [s, "Short one."])
    with torch.no_grad():
        for name, m in enc.named_modules():
            if f"enc.{name}.lora_A" in adapter:
                m.weight += LORA_SCALE * torch.from_numpy(adapter[f"enc.{name}.lora_B"]) @ torch.from_numpy(
                    adapter[f"enc.{name}.lora_A"])
        t = AutoTokenizer.from_pretrained(str(md))([q], [s], return_tensors="pt")
        z = enc(**t).last_hidden_state[0].numpy() @ adapter["head.weight"].T + 1.0
    ctx = [i for i, sid in enumerate(t.sequence_ids(0)) if sid == 1]
    assert np.abs(z[ctx, 0] - got[0].start).max() < 1e-3
    assert np.abs(z[ctx, 1] - got[0].end).max() < 1e-3
    assert got[0].null == pytest.approx(float(z[0, 0] + z[0, 1]), abs=1e-3)
    assert got[0].offsets[:2].tolist() == [[0, 3], [4, 8]]
    assert len(got[1].start) == 3  # the shorter sentence's padding is not scored


def test_fit_adapter_learns_to_point_at_the_answer(monkeypatch):
    """A few dozen steps on one made-up pattern move the start logit onto the answer."""
    from assistant.evaluation.training import extractive as ex

    monkeypatch.setattr(ex, "EPOCHS", 6)
    monkeypatch.setattr(ex, "WARMUP", 1)
    names = ["Ana Ruiz", "Tom Berg", "Lia Moreau", "Omar Haddad"]
    exs = [ex.Example(f"Who opened the {w}?", f"{n} opened the {w} on Monday.", {(0, len(n))})
           for n in names for w in ("library", "bridge", "school", "museum")]
    adapter = ex.fit_adapter(exs, _model_dir(), log=lambda m: None)
    assert {k for k in adapter if k.startswith("head.")} == {"head.weight", "head.bias"}
    assert sum(k.endswith(".lora_A") for k in adapter) == 6 * len(ex.ADAPTED)
    import tempfile

    import torch  # noqa: F401  (the fit ran on torch)

    from assistant.answer.reader.extractive import OnnxTokenScorer, export, span_score

    with tempfile.TemporaryDirectory() as d:
        np.savez(Path(d) / "a.npz", **adapter)
        export(_model_dir(), Path(d) / "a.npz", Path(d) / "a.onnx")
        lg = OnnxTokenScorer(_model_dir(), Path(d) / "a.onnx").logits(
            "Who opened the park?", ["Nia Okafor opened the park on Friday."])[0]
    assert span_score(lg, 0, 10) > span_score(lg, 31, 37)
