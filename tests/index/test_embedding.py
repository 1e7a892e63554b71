"""The embedding backends: ONNX Runtime must give PyTorch's vectors, fall back cleanly,
and keep torch out of a process that only asks questions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ConfigError
from assistant.evaluation.bench import recall_within

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
    from assistant.index.embedding import MiniLMEmbedder

    with pytest.raises(ConfigError, match="backend"):
        MiniLMEmbedder(backend="tpu")


def test_auto_backend_is_onnx_only_for_fp32():
    from assistant.index.embedding import resolve_backend

    assert resolve_backend("torch", "fp32") == "torch"
    assert resolve_backend("auto", "int8") == "torch"
    assert resolve_backend("auto", "bf16") == "torch"


@pytest.mark.slow
def test_onnx_vectors_match_pytorch(tmp_path):
    from assistant.index.embedding import MiniLMEmbedder

    ort = MiniLMEmbedder(backend="onnx", precision="fp32", model_cache=tmp_path)
    pt = MiniLMEmbedder(backend="torch", precision="fp32")
    a, b = ort.embed_documents(TEXTS), pt.embed_documents(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert float((a * b).sum(axis=1).min()) > 0.9999
    assert (ort.backend, ort.query_backend, pt.backend, pt.query_backend) == ("onnx", "onnx", "torch", "torch")
    q = ort.embed_query("how many people tried to cross the border?")
    assert np.isclose(np.linalg.norm(q), 1.0, atol=1e-4)
    # the ranking of the documents is the same as PyTorch's
    assert list(np.argsort(-(a @ q))) == list(np.argsort(-(b @ pt.embed_query("how many people tried to cross the border?"))))
    assert list(tmp_path.glob("minilm-*.onnx")), "the export is cached for the next process"


#: CPU flags of the two machine kinds this project runs on; every test below that
#: depends on the kind runs for both, whatever CPU it is on.
AVX2 = frozenset({"avx2", "fma"})
BF16 = frozenset({"avx2", "fma", "avx512f", "avx512_bf16"})
CPU_KINDS = pytest.mark.parametrize("flags", [AVX2, BF16], ids=["avx2", "avx512-bf16"])


class FakeEngine:
    """Stands in for a model engine: fixed vectors, counts its calls."""

    def __init__(self, name: str, tilt: float = 0.0) -> None:
        self.name, self.tilt, self.calls = name, tilt, 0

    def encode(self, texts, batch_size):
        self.calls += 1
        rows = []
        for t in texts:
            v = np.zeros(384, dtype=np.float32)
            v[len(t) % 384] = 1.0
            v[(len(t) + 1) % 384] = self.tilt  # a different engine may lean off the reference
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows) if rows else np.zeros((0, 384), dtype=np.float32)


@pytest.fixture
def fake_engines(monkeypatch):
    """Replace both real engines; returns the engines loaded, by (backend, precision)."""
    from assistant.index import embedding

    loaded: dict[tuple[str, str], FakeEngine] = {}
    tilt = {"fp32": 0.0, "bf16": 0.001, "int8": 0.4}  # int8 vectors disagree, like the real ones

    def factory(backend):
        def make(precision, threads, cache):
            e = FakeEngine(f"{backend}-{precision}", tilt[precision])
            loaded[(backend, precision)] = e
            return e
        return make

    monkeypatch.setattr(embedding, "ENGINES", {"onnx": factory("onnx"), "torch": factory("torch")})
    return loaded


@CPU_KINDS
def test_queries_always_use_onnx_fp32(fake_engines, flags):
    from assistant.index.embedding import MiniLMEmbedder

    e = MiniLMEmbedder(flags=flags)
    assert not fake_engines, "nothing loads before it is used"
    e.embed_query("how many ferries were repaired?")
    assert list(fake_engines) == [("onnx", "fp32")] and e.query_backend == "onnx"


def test_embed_queries_is_embed_query_for_each_text_in_one_batch_of_the_uncached(fake_engines):
    from assistant.index.embedding import HashingEmbedder, MiniLMEmbedder

    e = MiniLMEmbedder(flags=AVX2)
    one = e.embed_query("a question")
    engine = fake_engines[("onnx", "fp32")]
    engine.calls = 0
    texts = ["a question", "first sentence here", "the second, longer sentence", "first sentence here"]
    rows = e.embed_queries(texts)
    assert engine.calls == 1, "the two texts not cached go in one batch"
    assert rows.shape == (4, 384) and np.allclose(rows[0], one) and np.allclose(rows[1], rows[3])
    assert np.allclose(rows[2], e.embed_query("the second, longer sentence")) and engine.calls == 1  # now cached
    assert e.embed_queries([]).shape == (0, 384)
    h = HashingEmbedder()
    assert np.allclose(h.embed_queries(["x y", "z"]), np.stack([h.embed_query("x y"), h.embed_query("z")]))


@CPU_KINDS
def test_batches_use_bf16_only_where_the_cpu_has_it(fake_engines, flags):
    from assistant.index.embedding import MiniLMEmbedder

    e = MiniLMEmbedder(flags=flags)
    e.embed_documents(["one text", "another text"])
    want = ("torch", "bf16") if "avx512_bf16" in flags else ("onnx", "fp32")
    assert (e.backend, e.precision) == want
    assert fake_engines[want].calls >= 1
    assert e.query_backend == "onnx" and e.backend_note == ""


def test_auto_batch_engine_that_disagrees_falls_back_to_the_query_engine(fake_engines, monkeypatch):
    from assistant.index import embedding

    monkeypatch.setattr(embedding, "resolve_precision", lambda p, flags=None: "int8")  # a disagreeing auto pick
    e = embedding.MiniLMEmbedder(flags=BF16)
    e.embed_documents(["a text"])
    assert (e.backend, e.precision, e.query_backend) == ("onnx", "fp32", "onnx")
    assert "below 0.9999" in e.backend_note and "documents use onnx-fp32" in e.backend_note


def test_explicit_precision_that_disagrees_makes_queries_follow(fake_engines):
    from assistant.index.embedding import MiniLMEmbedder

    e = MiniLMEmbedder(precision="int8", flags=AVX2)
    q_before = e.embed_query("a question")
    e.embed_documents(["a text"])
    assert (e.backend, e.precision, e.query_backend) == ("torch", "int8", "torch")
    assert "queries use torch-int8 too" in e.backend_note
    # the cached query vector from the old engine is gone: the same question is re-embedded
    fake_engines[("torch", "int8")].calls = 0
    e.embed_query("a question")
    assert fake_engines[("torch", "int8")].calls == 1
    assert q_before.shape == (384,)


def test_agreement_is_the_worst_pair():
    from assistant.index.embedding import agreement

    a = np.eye(3, dtype=np.float32)
    b = a.copy()
    b[2] = [0, 0.6, 0.8]
    assert agreement(a, a) == pytest.approx(1.0)
    assert agreement(a, b) == pytest.approx(0.8)


def test_onnx_refuses_a_precision_it_cannot_run():
    from assistant.index.embedding import load_engine

    with pytest.raises(ConfigError, match="fp32 only"):
        load_engine("onnx", "bf16")
    with pytest.raises(ConfigError, match="unknown embedding backend"):
        load_engine("tpu")


@pytest.mark.slow
@CPU_KINDS
def test_ingest_and_query_vectors_agree_on_either_cpu(tmp_path, flags):
    """Documents embedded at ingest and questions embedded at query time share one space
    (cosine >= 0.9999), whichever engine ingest picks on this kind of CPU."""
    from assistant.index.embedding import MIN_AGREEMENT, MiniLMEmbedder

    e = MiniLMEmbedder(flags=flags, model_cache=tmp_path)
    docs = e.embed_documents(TEXTS)
    queries = np.stack([e.embed_query(t) for t in TEXTS])
    assert e.query_backend == "onnx"
    assert e.backend == ("torch" if "avx512_bf16" in flags else "onnx")
    assert float((docs * queries).sum(axis=1).min()) >= MIN_AGREEMENT


@pytest.mark.slow
@CPU_KINDS
def test_failed_export_falls_back_to_pytorch_or_explains(tmp_path, monkeypatch, flags):
    from assistant.index import onnx as onnxmodel
    from assistant.index.embedding import MiniLMEmbedder

    def broken(model_dir, cache_dir):
        raise RuntimeError("exporter crashed")

    monkeypatch.setattr(onnxmodel, "ensure_exported", broken)
    e = MiniLMEmbedder(model_cache=tmp_path, flags=flags)  # auto
    assert e.embed_documents(TEXTS[:1]).shape == (1, 384)
    assert e.query_backend == "torch" and e.backend == "torch" and "exporter crashed" in e.backend_note
    with pytest.raises(ConfigError, match="ASSISTANT_EMBED_BACKEND=torch"):
        MiniLMEmbedder(backend="onnx", model_cache=tmp_path, flags=flags).embed_query("a question")


@pytest.mark.slow
@CPU_KINDS
def test_asking_does_not_import_torch(seed_index, tmp_path, flags):
    """With the ONNX files exported (the embedder's, the extractive reader's), answering a question never loads PyTorch (most of a
    cold start), on a CPU with native bf16 as on one without (faked flags)."""
    from assistant.answer.reader.extractive import load_scorer
    from assistant.index.embedding import MiniLMEmbedder

    MiniLMEmbedder(backend="onnx", model_cache=tmp_path / "models").embed_query("export once")
    load_scorer(tmp_path / "models")  # the extractive reader's export, once
    code = (
        "import sys\n"
        "import assistant.index.embedding as embedding\n"
        f"embedding.cpu_flags = lambda: frozenset({sorted(flags)!r})\n"
        "from assistant import Assistant\n"
        f"a = Assistant.open(index_dir={str(seed_index)!r})\n"
        "ans = a.ask('How many migrants died?')\n"
        "print(bool(ans.citations), 'torch' in sys.modules)\n"
    )
    env = {"ASSISTANT_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False"]


#: How far one fp32 component of a unit vector may move when ONNX Runtime runs on another
#: thread count. Its kernels split each matrix product by thread, so the float32 sums are
#: added in another order: each rounding is ~6e-8 (half an ulp of 1.0) and the six layers and
#: LayerNorms carry a few hundred of them, depending on the CPU's vector width (AVX2, AVX512)
#: and the runtime version. 1e-5 (~170 ulps) covers that with room and is still 10x tighter
#: than what would move a ranking: cosines this close differ by < 1e-6, and MIN_AGREEMENT,
#: the bar between engines, allows 1e-4. Measured here (2 cores, AVX2): bit-identical.
THREAD_TOLERANCE = 1e-5
TEXTS_40 = [f"{i} permits were approved in district {i} on Tuesday, the council said." * (1 + i % 5)
            for i in range(40)]


@pytest.mark.slow
def test_batch_thread_count_keeps_the_vectors_in_one_space(minilm_embedder):
    """Ingest switches the embedder between 1 thread and every core batch by batch (the
    cores annotation leaves). ONNX Runtime rounds alike within ``THREAD_TOLERANCE``; PyTorch's
    bf16 kernels may round differently (measured: 3 of these 40 rows, cosine 0.999997), far
    within the agreement already required between the batch and query engines."""
    from assistant.index.embedding import MIN_AGREEMENT

    every = minilm_embedder.embed_documents(TEXTS_40)
    minilm_embedder.set_batch_threads(1)
    try:
        one = minilm_embedder.embed_documents(TEXTS_40)
    finally:
        minilm_embedder.set_batch_threads(None)
    assert float((every * one).sum(axis=1).min()) >= MIN_AGREEMENT
    if minilm_embedder.backend == "onnx":
        assert float(np.abs(every - one).max()) <= THREAD_TOLERANCE


@pytest.mark.slow
def test_onnx_vectors_agree_across_thread_counts_whatever_the_cores():
    """The same check at thread counts chosen here, not this machine's (on one core the test
    above compares one thread with one): 1, 4 and 16 intra-op threads, on 10 of the texts
    (16 threads on 2 busy cores spin: all 40 took 22 s)."""
    from assistant.index.embedding import load_engine

    texts = TEXTS_40[:10]
    engine = load_engine("onnx", "fp32", threads=1)
    one = engine.encode(texts, 32, threads=1)
    for n in (4, 16):
        many = engine.encode(texts, 32, threads=n)
        assert many.shape == one.shape == (10, 384)
        assert float(np.abs(many - one).max()) <= THREAD_TOLERANCE, n


def test_onnx_sessions_sleep_instead_of_spinning():
    """Every ONNX session the assistant makes (the query embedder's, the extractive
    reader's) lets its idle threads sleep: spinning made whole asks 1.7-3x slower beside
    other work (tools/bench_onnx_threads.py, eval/reports/onnx-threads.json). A caller may
    still ask for spinning."""
    from assistant.config import default_cache_dir
    from assistant.index.embedding import minilm_path
    from assistant.index.onnx import SPIN, cpu_session, ensure_exported

    path = ensure_exported(Path(minilm_path()), default_cache_dir() / "models")
    entry = "session.intra_op.allow_spinning"
    assert SPIN is False
    assert cpu_session(path, 2).get_session_options().get_session_config_entry(entry) == "0"
    assert cpu_session(path, 2, spin=True).get_session_options().get_session_config_entry(entry) == "1"
