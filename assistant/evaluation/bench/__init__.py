"""``assistant bench``: speed and quality at several corpus sizes, each against its floor
(see ``run`` for what is measured and ``scale`` for the synthetic-vector sizes)."""

from assistant.evaluation.bench.corpus import build_corpus, planted_fact, sentence_pool
from assistant.evaluation.bench.measure import percentile, recall_at
from assistant.evaluation.bench.query import recall_within
from assistant.evaluation.bench.run import main_bench

__all__ = ["build_corpus", "main_bench", "percentile", "planted_fact", "recall_at", "recall_within",
           "sentence_pool"]
