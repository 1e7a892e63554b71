"""The soak under ingest, reduced for the suite (``tools/soak_ingest.py`` runs the full one:
500 questions from 8 clients while 100 documents are ingested): the real chat server
(``app.py``) asked through ``gradio_client`` by 8 clients while another process ingests
new articles into its index in two runs, after the issue's two decompression bombs were
uploaded through the chat beside a good file."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.server]


def test_chat_under_ingest_has_no_errors_flat_memory_and_every_new_document(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    import soak_ingest

    args = argparse.Namespace(clients=8, questions=100, docs=6, batches=2, baseline=16, embedder="hashing", chroma=False,
                              bombs=True, cases=str(ROOT / "eval" / "seeds.jsonl"), seed=1, fresh_timeout=60.0,
                              max_seconds=900.0)
    with tempfile.TemporaryDirectory(prefix="soak-ingest-") as tmp:
        monkeypatch.setenv("ASSISTANT_CACHE_DIR", f"{tmp}/cache")  # the tool points it there; restored after
        res = soak_ingest.run(args, Path(tmp))
    print("\n" + res.summary())
    bombs = res.bombs
    print(f"bombs through the chat: {bombs['seconds']} s, server peak RSS {bombs['server_peak_rss_mb_after']:.0f} MB")
    assert res.errors == 0 and res.cross_talk == 0, res.samples
    assert res.questions >= 100 and res.questions_during_ingest > 0
    assert res.answerable_at_end == res.docs
    assert all(s < args.fresh_timeout for s in res.freshness_s), res.freshness_s
    assert res.rss_end_mb < res.rss_start_mb * 1.3 + 100, (res.rss_start_mb, res.rss_end_mb)
    # The bombs fail alone with their caps, the good file lands, the server stays bounded.
    stream = bombs["stream"]
    assert stream.count("st-failed") == 2 and "inflates past 32 MB" in stream and "word/document.xml" in stream
    assert "st-added" in stream and "ferry.txt" in stream
    assert bombs["server_peak_rss_mb_after"] < 1500
