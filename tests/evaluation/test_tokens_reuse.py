"""``assistant train --reuse-tokens``: the out-of-fold adapters a run left behind are reused
instead of refitted, and token scores are cached under each adapter's fingerprint (fakes
stand in for torch and ONNX Runtime, so this runs in a second)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from assistant.evaluation.training import extractive as ex


def _reply(n: int) -> SimpleNamespace:
    doc = SimpleNamespace(text=f"Sentence one of {n}. Sentence two of {n}.", doc_id=f"d{n}")
    ranked = [SimpleNamespace(doc=doc, start=0, end=18), SimpleNamespace(doc=doc, start=19, end=len(doc.text))]
    item = SimpleNamespace(fold=n, qa=SimpleNamespace(text=f"Question {n}?"), rec={"set": "s", "id": str(n)})
    return SimpleNamespace(item=item, ranked=ranked)


class _Scorer:
    def __init__(self, calls: list) -> None:
        self.calls = calls

    def logits(self, question, sentences):
        self.calls.extend((question, s) for s in sentences)
        return [f"{question}|{s}" for s in sentences]


@pytest.fixture
def fakes(monkeypatch):
    """Counts of adapter fits and of (question, sentence) pairs scored, by adapter name."""
    fits, scored = [], {}

    def fit_adapter(exs, model_dir, log=print, seed=0, epochs=None):
        fits.append(ex.EPOCHS if epochs is None else epochs)
        return {"w": np.full(3, float(len(fits)), dtype=np.float32)}

    monkeypatch.setattr(ex, "fit_adapter", fit_adapter)
    monkeypatch.setattr(ex, "examples", lambda *a, **k: [])
    monkeypatch.setattr(ex, "_scorer", lambda adapter, md, work, name: _Scorer(scored.setdefault(name, [])))
    return fits, scored


def _run(tmp_path, reuse: bool, adapter=None):
    replies = [_reply(n) for n in range(6)]
    train = np.array([True, True, True, True, False, False])
    return replies, ex.fit_tokens(replies, [], [], [], 2, train, tmp_path, tmp_path, lambda m: None,
                                  adapter, reuse=reuse)


def test_every_reply_gets_its_sentences_scores_once(tmp_path, fakes):
    fits, scored = fakes
    replies, (_, logits) = _run(tmp_path, reuse=False)
    assert len(fits) == 3  # two out-of-fold adapters and the final one
    assert fits == [ex.FOLD_EPOCHS] * ex.TOKEN_FOLDS + [ex.EPOCHS]  # the parts' epochs, then the final one's
    for r, got in zip(replies, logits, strict=True):
        assert got == [f"{r.item.qa.text}|{x.doc.text[x.start:x.end]}" for x in r.ranked]
    assert sum(len(v) for v in scored.values()) == 12  # 6 replies x 2 sentences, each scored once


def test_reuse_takes_the_fold_adapters_left_behind_and_their_cached_scores(tmp_path, fakes):
    fits, scored = fakes
    _, (first_adapter, first) = _run(tmp_path, reuse=False)
    for f in range(ex.TOKEN_FOLDS):  # what a real run leaves: _scorer writes each adapter there
        np.savez(tmp_path / f"fold{f}.npz", w=np.full(3, float(f + 1), dtype=np.float32))
    fits.clear()
    scored.clear()
    _, (adapter, again) = _run(tmp_path, reuse=True, adapter=first_adapter)
    assert fits == []  # nothing refitted: the fold adapters were reused, the final one given
    assert scored == {}  # and every score came from the cache
    assert again == first and adapter is first_adapter


def test_scores_cached_for_another_adapter_are_not_used(tmp_path, fakes):
    _, scored = fakes
    _run(tmp_path, reuse=False)
    scored.clear()
    other = {"w": np.full(3, 9.0, dtype=np.float32)}
    _run(tmp_path, reuse=False, adapter=other)  # refitted folds get new weights; the final one differs
    assert len(scored["final"]) == 4 and sum(len(v) for v in scored.values()) == 12  # all scored anew
    assert ex.fingerprint(other) != ex.fingerprint({"w": np.full(3, 3.0, dtype=np.float32)})
    assert ex.fingerprint(other) == ex.fingerprint({"w": np.full(3, 9.0, dtype=np.float32)})
