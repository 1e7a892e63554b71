"""The synthetic copies of ``bench --synthetic-vectors``: the query path at 100k-1M chunks
without a day of ingest.

A real base index is ingested (the recombined corpus with planted questions) or copied
(``--base-index``, never written to). Chroma, the annotation cache and BM25 are then
filled directly with perturbed copies of its documents, the way ingest would write them:

- **text**: every proper noun (a word the base writes capitalised and never in lower
  case) is replaced by a made-up word of the same length, a different one in every
  copy. Offsets, sentences and annotations stay valid, common words keep their
  statistics, and the vocabulary grows with the copies as an archive's names do.
- **annotations**: the same replacement, applied to every string they hold.
- **vectors**: the original chunk's vector plus noise, normalised. The embedder is run
  on the renamed text of a sample of chunks first: the noise is a Gaussian combination
  of those real shifts (renamed vector - original vector), scaled so a copy lies as
  far (mean cosine) from its original as a renamed chunk does (``synthetic_copy_cosine``).
  Isotropic noise of that size would scatter copies off the region of the space that
  real text occupies.

Copies are written copy by copy (every document of copy 1, then of copy 2, ...),
chunks before their document record as ingest does, and each copy is committed to the
keyword index, aliases and summary incrementally as an ingest of it would be. A full
rebuild of those is then timed on its own (what every ingest cost before).
"""

from __future__ import annotations

import math
import random
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_WORD = re.compile(r"[^\W\d_]+")
_CONSONANTS = "bcdfghklmnprstvz"
_VOWELS = "aeiou"
#: Chunks of the base whose renamed text is embedded to measure how far a copy lies
#: from its original (more costs seconds of embedding and moves the mean little).
CALIBRATION_CHUNKS = 96


@dataclass
class BaseDoc:
    doc_id: str
    record: dict[str, Any]
    text: str
    annotations: dict[str, Any]
    #: (chunk_id, index, start, end)
    chunks: list[tuple[str, int, int, int]]
    chunk_meta: list[dict[str, Any]]


@dataclass
class Base:
    docs: list[BaseDoc]
    vectors: np.ndarray  # one row per chunk, in docs' chunk order
    proper: frozenset[str] = field(default_factory=frozenset)

    @property
    def n_chunks(self) -> int:
        return len(self.vectors)


def proper_nouns(texts: list[str]) -> frozenset[str]:
    """Words (folded to lower case) written capitalised and never in lower case."""
    upper, lower = set(), set()
    for t in texts:
        for w in _WORD.findall(t):
            if len(w) < 3:
                continue
            if w[0].isupper() and not w.isupper():
                upper.add(w.lower())
            elif w.islower():
                lower.add(w)
    return frozenset(upper - lower)


class Renamer:
    """Replaces the proper nouns of a text by made-up words of the same length (and the
    same case pattern), the same word for the same name within one copy."""

    def __init__(self, proper: frozenset[str], copy: int) -> None:
        self.proper = proper
        self.copy = copy
        self._made: dict[str, str] = {}

    def _word(self, low: str) -> str:
        made = self._made.get(low)
        if made is None:
            rng = random.Random(zlib.crc32(f"{self.copy}\x00{low}".encode()))
            made = "".join(rng.choice(_CONSONANTS if i % 2 == 0 else _VOWELS) for i in range(len(low)))
            self._made[low] = made
        return made

    def _sub(self, m: re.Match[str]) -> str:
        w = m.group(0)
        return self.cased(w) if w.lower() in self.proper else w

    def cased(self, w: str) -> str:
        """The made-up word for the proper noun ``w``, in ``w``'s case pattern."""
        made = self._word(w.lower())
        if w.isupper():
            return made.upper()
        return made.capitalize() if w[0].isupper() else made

    def __call__(self, s: str) -> str:
        return _WORD.sub(self._sub, s)

    def deep(self, obj: Any) -> Any:
        """``obj`` with every string in it renamed (dict keys are field names: kept)."""
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, list):
            return [self.deep(v) for v in obj]
        if isinstance(obj, dict):
            return {k: self.deep(v) for k, v in obj.items()}
        return obj


#: In JSON text: an escape (kept whole, so ``\\nPoland`` is a newline and a word) or a word.
_JSON_WORD = re.compile(r"\\.|[^\W\d_]+")


class Template:
    """A string cut at its proper nouns, so renaming it for a copy is one join (the same
    result as ``Renamer.__call__``; ``json`` for a JSON text, whose escapes are skipped)."""

    def __init__(self, s: str, proper: frozenset[str], *, json_text: bool = False) -> None:
        self.pieces: list[str] = []
        self.slots: list[tuple[int, str]] = []
        pos = 0
        for m in (_JSON_WORD if json_text else _WORD).finditer(s):
            w = m.group(0)
            key = json_text and s.startswith('":', m.end())  # a field name: kept, as ``Renamer.deep`` keeps it
            if w[0] != "\\" and not key and w.lower() in proper:
                self.pieces.append(s[pos:m.start()])
                self.slots.append((len(self.pieces), w))
                self.pieces.append(w)
                pos = m.end()
        self.pieces.append(s[pos:])

    def render(self, ren: Renamer) -> str:
        out = list(self.pieces)
        for i, w in self.slots:
            out[i] = ren.cased(w)
        return "".join(out)


def read_base(asst: Any) -> Base:
    """Documents, annotations, chunks and vectors of an open index."""
    records = asst.local.records()
    ids = sorted(records)
    docs: list[BaseDoc] = []
    vecs: list[np.ndarray] = []
    for i in range(0, len(ids), 200):
        part = ids[i: i + 200]
        got = asst.store.chunks.get(where={"doc_id": {"$in": part}}, include=["embeddings", "metadatas"])
        by_doc: dict[str, list[tuple[dict[str, Any], str, np.ndarray]]] = {}
        for cid, meta, vec in zip(got["ids"], got["metadatas"], got["embeddings"], strict=False):
            by_doc.setdefault(meta["doc_id"], []).append((meta, cid, np.asarray(vec, np.float32)))
        for did in part:
            doc = asst.local.doc(did)
            rows = sorted(by_doc.get(did, []), key=lambda r: int(r[0]["index"]))
            if doc is None or not rows:
                continue
            docs.append(BaseDoc(did, dict(records[did]), doc.text, doc.annotations,
                                [(cid, int(m["index"]), int(m["start"]), int(m["end"])) for m, cid, _ in rows],
                                [m for m, _, _ in rows]))
            vecs.extend(v for _, _, v in rows)
    m = np.stack(vecs).astype(np.float32)
    m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return Base(docs, m, proper_nouns([d.text for d in docs]))


@dataclass
class Noise:
    """Perturbations shaped like real renaming shifts: Gaussian combinations of the
    measured shifts ``renamed vector - original vector``, scaled so a perturbed copy
    lies, on average, at the measured cosine from its original."""

    shifts: np.ndarray  # (m, dim): measured shifts
    scale: float
    cosine: float

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        g = rng.standard_normal((n, len(self.shifts)), dtype=np.float32)
        return (g @ self.shifts) * np.float32(self.scale / math.sqrt(len(self.shifts)))

    def apply(self, vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = vectors + self.draw(rng, len(vectors))
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


def calibrate_noise(base: Base, embedder: Any, seed: int = 5) -> Noise:
    """Embed the renamed text of a sample of base chunks: the shifts from their original
    vectors give the noise's directions, their mean cosine its size."""
    rng = random.Random(seed)
    rows: list[tuple[int, str, str]] = []
    pos = 0
    for d in base.docs:
        for _, _, s, e in d.chunks:
            rows.append((pos, d.record.get("title", ""), d.text[s:e]))
            pos += 1
    sample = rng.sample(rows, min(CALIBRATION_CHUNKS, len(rows)))
    ren = Renamer(base.proper, 1)
    got = embedder.embed_documents([f"{ren(t)}\n{ren(x)}" if t else ren(x) for _, t, x in sample])
    orig = base.vectors[[p for p, _, _ in sample]]
    cosine = float(np.mean((got * orig).sum(axis=1)))
    noise = Noise((got - orig).astype(np.float32), 1.0, cosine)
    if cosine > 0.9999:  # nothing to rename: copies are the originals
        noise.scale = 0.0
        return noise
    # Bisection on the scale, with one fixed draw (several per chunk): the mean cosine of
    # perturbed copies falls as the scale grows.
    reps = max(1, 1024 // len(orig))
    unit = Noise(noise.shifts, 1.0, cosine).draw(np.random.default_rng(seed), len(orig) * reps)
    tiled = np.tile(orig, (reps, 1))
    lo, hi = 0.0, 8.0
    for _ in range(30):
        mid = (lo + hi) / 2
        moved = tiled + mid * unit
        got_cos = float(np.mean((moved * tiled).sum(axis=1) / np.linalg.norm(moved, axis=1)))
        lo, hi = (mid, hi) if got_cos > cosine else (lo, mid)
    noise.scale = (lo + hi) / 2
    return noise
