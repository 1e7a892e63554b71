"""BM25 scoring (Robertson & Zaragoza 2009, the Lucene variant that ``bm25s`` calls
``method="lucene"``), as pure functions over raw term frequencies.

The keyword index (``keyword.py``) stores raw term frequencies and chunk lengths, not
precomputed scores, so a score is computed at question time from the corpus-wide
statistics of that moment (live chunks, their mean length, each term's document
frequency over all segments). That is what lets documents be added and deleted without
touching the rest of the index, while a chunk's score means the same as if the whole
corpus had been indexed at once (``tests/index/test_keyword.py`` checks it against
``bm25s`` built from scratch).
"""

from __future__ import annotations

import numpy as np

#: Term-frequency saturation and length normalisation: the Lucene/Elasticsearch
#: defaults (also bm25s's), from Robertson & Zaragoza (2009), section 3.
K1 = 1.2
B = 0.75


def idf(n_docs: int, df: int | np.ndarray) -> np.ndarray | float:
    """Lucene's idf: ``log(1 + (N - df + 0.5) / (df + 0.5))`` (never negative)."""
    return np.log1p((n_docs - np.asarray(df, np.float64) + 0.5) / (np.asarray(df, np.float64) + 0.5))


def term_scores(tf: np.ndarray, doc_len: np.ndarray, avg_len: float, term_idf: float) -> np.ndarray:
    """One term's BM25 contribution for the chunks of its postings (float32):
    ``idf * tf / (tf + k1 * (1 - b + b * len / avg_len))``."""
    tf = tf.astype(np.float32)
    norm = np.float32(K1 * (1 - B)) + np.float32(K1 * B / avg_len) * doc_len.astype(np.float32)
    return np.float32(term_idf) * tf / (tf + norm)
