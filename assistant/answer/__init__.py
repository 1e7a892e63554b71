"""Answering: question analysis, evidence, answer kinds, abstention and the reply."""

from assistant.answer.answerer import Answerer, Trace
from assistant.answer.corpus import Corpus, IndexCorpus

__all__ = ["Answerer", "Corpus", "IndexCorpus", "Trace"]
