"""What answering reads from the index, behind one small Protocol.

The answerer needs documents (text, metadata, ingest-time annotations), the name
alias table, and word statistics (document frequency, idf). ``IndexCorpus`` reads
them from an open index; tests pass an in-memory corpus of made-up articles, so
every answer kind is tested in milliseconds without spaCy or Chroma.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from assistant.models import Document

if TYPE_CHECKING:
    from assistant.index.aliases import AliasTable
    from assistant.index.cache import LocalIndex

#: Weight of a question word the corpus never uses: its absence from the evidence is
#: strong evidence of a miss, so it weighs like a very rare word (idf of a word in one
#: chunk of ~3,000). Set by hand.
UNSEEN_WORD_WEIGHT = 8.0

#: Stems a stemmer leaves apart but a reader treats as one word: irregular derivations and
#: the commonest news synonyms (a tiny hand-made thesaurus of general English, not of any corpus).
_RELATED_GROUPS = [
    "die death dead deadli fatal", "begin began begun start", "speech spoke speak spoken said say",
    "stop thwart prevent block halt", "rise rose risen increas grow grew surg jump",
    "fall fell drop declin decreas", "arrest detain", "negoti talk", "injur wound hurt",
    "elect vote", "meet met meeting", "leav left", "buy bought", "sell sold", "win won", "lose lost",
    "build built", "hold held", "send sent", "seiz captur", "migrant migrat", "kill killed",
]
_RELATED = {w: g.split()[0] for g in _RELATED_GROUPS for w in g.split()}


def related(stem: str) -> str:
    """A canonical stem for a word and its irregular or synonymous forms."""
    return _RELATED.get(stem, stem)


class Corpus(Protocol):
    """The index as answering sees it."""

    @property
    def aliases(self) -> AliasTable: ...

    @property
    def has_vocabulary(self) -> bool:
        """Whether word statistics exist (an empty index has none)."""
        ...

    @property
    def n_chunks(self) -> int: ...

    def doc(self, doc_id: str) -> Document | None: ...

    def df(self, token: str) -> int:
        """Chunks that contain the search token ``token``."""
        ...

    def dates(self) -> list[str]:
        """The documents' dates (ISO, as precise as each states it), oldest first; undated
        documents are left out."""
        ...

    def metadata_tokens(self) -> frozenset[str]:
        """Search tokens of every document's publisher and author (which the text may never
        name, but which the corpus does mention)."""
        ...

    def prefix_df(self, prefix: str) -> int:
        """Chunks that contain a search token starting with ``prefix``."""
        ...


def idf(corpus: Corpus, token: str) -> float:
    """Robertson-Sparck Jones idf of a search token over chunks (0 if unknown)."""
    if not corpus.has_vocabulary:
        return 0.0
    df = corpus.df(token)
    n = corpus.n_chunks
    return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0


def weight(corpus: Corpus, stem: str) -> float:
    """How much a question word counts: its idf, or ``UNSEEN_WORD_WEIGHT`` if unused."""
    w = idf(corpus, stem)
    return w if w > 0 else UNSEEN_WORD_WEIGHT


def coverage(corpus: Corpus, want: Sequence[str], have: set[str]) -> float:
    """idf-weighted share of ``want`` found in ``have`` (the BM25 idf; Robertson 2004),
    counting derived forms of the same word as found ("died" ~ "deaths")."""
    want = list(dict.fromkeys(want))
    total = sum(weight(corpus, t) for t in want)
    if total <= 0:
        return 0.0
    have_c = {related(t) for t in have}
    return sum(weight(corpus, t) for t in want if t in have or related(t) in have_c) / total


class IndexCorpus:
    """``Corpus`` over an open index's local half (documents, BM25, aliases)."""

    def __init__(self, local: LocalIndex) -> None:
        self._local = local
        #: Document frequencies already looked up, for the BM25 index they came from (a
        #: question asks the same few words' df hundreds of times; a re-synced index resets it).
        self._df: tuple[object, dict[str, int]] = (None, {})

    @property
    def aliases(self) -> AliasTable:
        return self._local.aliases

    @property
    def has_vocabulary(self) -> bool:
        return self._local.bm25 is not None

    @property
    def n_chunks(self) -> int:
        bm = self._local.bm25
        return len(bm.ids) if bm is not None else 0

    def doc(self, doc_id: str) -> Document | None:
        return self._local.doc(doc_id)

    def dates(self) -> list[str]:
        return self._local.summary()[0]

    def records(self) -> dict[str, dict[str, Any]]:
        """Each document's metadata (publisher, date, ``date_int``, ...) by id."""
        return self._local.records()

    def metadata_tokens(self) -> frozenset[str]:
        return self._local.summary()[1]

    def df(self, token: str) -> int:
        bm = self._local.bm25
        if bm is None:
            return 0
        owner, seen = self._df
        if owner is not bm:
            seen = {}
            self._df = (bm, seen)
        n = seen.get(token)
        if n is None:
            n = seen[token] = bm.df(token)
        return n

    def prefix_df(self, prefix: str) -> int:
        bm = self._local.bm25
        return bm.prefix_df(prefix) if bm is not None else 0
