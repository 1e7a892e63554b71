"""Hybrid retrieval: dense (Chroma) + BM25, fused, with exact citation spans.

The public entry point for apps that embed the retriever:

    from assistant import Assistant
    asst = Assistant.open(index_dir="index")
    passages = asst.retriever.retrieve("question", k=5, filters={"publisher": "Reuters"})
    lli = asst.retriever.as_llama_index()   # a llama_index BaseRetriever
    lc = asst.retriever.as_langchain()      # a langchain_core BaseRetriever (the [langchain] extra)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError, InvalidQuestion
from assistant.models import Passage, RetrievalMode, date_to_int
from assistant.retrieval.fusion import convex, normalise_dense, rrf
from assistant.retrieval.phrases import MIN_COVER, cover, quoted_phrases
from assistant.text.folding import fold
from assistant.text.tokens import tokenize

if TYPE_CHECKING:
    from assistant.index.cache import Document, LocalIndex
    from assistant.index.embedding import Embedder
    from assistant.index.store import Store
    from assistant.index.tables import ChunkSpan

FILTER_KEYS = ("doc_id", "publisher", "date_from", "date_to")
#: Weight of the dense score in the convex fusion. Chosen with tools/retrieval_eval.py
#: --sweep (recall of the gold document per passage rank, MiniLM + BM25):
#:   seeds (113 answerable): a=0.2..0.5 MRR .966-.968, a=0.6 .969 (R@3 .991), a=0.7 .951, a=0.8 .933
#:   realtimeqa (2081):      a=0.5 MRR .745, a=0.6 .754, a=0.7 .764, a=0.8 .768
#: Word-overlap questions (seeds) want BM25, paraphrased quiz questions want dense; 0.6 is
#: the best on seeds and better than 0.5 on realtimeqa for every metric, while 0.7+ costs
#: seeds 3-6 points of R@1. RRF (any k, weighted or not) was lower on both sets.
DEFAULT_ALPHA = 0.6
#: Chunks the keyword search of a quoted phrase's own words proposes, checked for the
#: words in order. On the 853 polnear training questions (``tools/phrase_cover.py``) the
#: quoted chunk is among the first 5 for 99.2%, the first 20 for 99.9%, 50 for all.
PHRASE_CANDIDATES = 20
#: When the phrase's own proposals hold none of it, a chunk among the question's own
#: candidates must hold the whole phrase. Measured with ``tools/phrase_cover.py
#: --query-candidates 80``: on realtimeqa's 21 training questions quoting a phrase (quiz
#: epithets, often not in the snippet) a partial share there picked another article more
#: often than the quoted one (at 0.5: 4 questions against 2; at 1.0: 2 against 1); on
#: polnear's 853 training questions a quoted chunk holds the whole phrase for 86.9%, and no
#: other article's chunk is ever the only one that does.
FALLBACK_COVER = 1.0
LANGCHAIN_INSTALL_FIX = 'pip install "news-assistant[langchain]"  (or: pip install "langchain-core>=0.3")'


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple, set, frozenset)) else [str(v)]


def _date_bound(v: Any, *, upper: bool) -> int:
    """ISO date (full or partial) or YYYYMMDD int -> inclusive YYYYMMDD bound."""
    if isinstance(v, int):
        return v
    s = str(v).strip()
    n = date_to_int(s)
    if not n:
        raise ConfigError(f"cannot read the date {v!r} in a date filter", fix="use YYYY, YYYY-MM or YYYY-MM-DD")
    if upper:
        y, m, d = n // 10000, (n // 100) % 100, n % 100
        n = y * 10000 + (m or 12) * 100 + (d or 31)
    return n


def _mode(mode: RetrievalMode | str) -> RetrievalMode:
    try:
        return RetrievalMode(mode)
    except ValueError:
        raise ConfigError(f"unknown retrieval mode {mode!r}",
                          fix=f"use one of {', '.join(m.value for m in RetrievalMode)}") from None


class Retriever:
    """Dense + BM25 retrieval over one index. Thread-safe for concurrent queries."""

    def __init__(self, store: Store, local: LocalIndex, embedder: Embedder, *,
                 mode: RetrievalMode | str = RetrievalMode.HYBRID, alpha: float = DEFAULT_ALPHA,
                 candidates: int = 40, fusion: str = "convex") -> None:
        self.store = store
        self.local = local
        self._embedder = embedder
        self.mode = _mode(mode)
        self.alpha = alpha
        self.candidates = candidates
        self.fusion = fusion

    @property
    def embedder(self) -> Embedder:
        e = self._embedder
        return e() if callable(e) and not hasattr(e, "embed_query") else e  # lazy factory support

    # -- filters -------------------------------------------------------------------------
    def resolve_filters(self, filters: Mapping[str, Any] | None) -> tuple[dict[str, Any] | None, set[str] | None]:
        """(Chroma ``where``, allowed doc_ids or None for all)."""
        if not filters:
            return None, None
        unknown = set(filters) - set(FILTER_KEYS)
        if unknown:
            raise ConfigError(f"unknown filter(s) {sorted(unknown)}", fix=f"use {', '.join(FILTER_KEYS)}")
        records = self.local.records()
        allowed = set(records)
        clauses: list[dict[str, Any]] = []
        docs = _as_list(filters.get("doc_id"))
        if docs:
            allowed &= set(docs)
            clauses.append({"doc_id": {"$in": docs}})
        pubs = {fold(p).strip() for p in _as_list(filters.get("publisher")) if p.strip()}
        if pubs:
            # Match case- and accent-insensitively, then filter Chroma on the stored spellings.
            spellings = sorted({r.get("publisher", "") for r in records.values()
                                if fold(r.get("publisher", "")).strip() in pubs})
            allowed &= {d for d, r in records.items() if r.get("publisher", "") in spellings}
            clauses.append({"publisher": {"$in": spellings or ["\x00none"]}})
        lo = filters.get("date_from")
        hi = filters.get("date_to")
        if lo not in (None, "") or hi not in (None, ""):
            lo_i = _date_bound(lo, upper=False) if lo not in (None, "") else 1
            hi_i = _date_bound(hi, upper=True) if hi not in (None, "") else 99991231
            clauses.append({"date_int": {"$gte": max(lo_i, 1)}})
            clauses.append({"date_int": {"$lte": hi_i}})
            allowed &= {d for d, r in records.items() if lo_i <= int(r.get("date_int", 0) or 0) <= hi_i
                        and int(r.get("date_int", 0) or 0) > 0}
        where: dict[str, Any] | None
        where = clauses[0] if len(clauses) == 1 else {"$and": clauses} if clauses else None
        return where, allowed

    # -- query analysis ----------------------------------------------------------------------
    def query_tokens(self, query: str) -> list[str]:
        """BM25 tokens of the query plus corpus spellings of the names in it."""
        toks = tokenize(query)
        words = re.findall(r"[^\W\d_]{3,}", query)
        extra = self.local.aliases.expand(words)
        return toks + [t for v in extra for t in tokenize(v)]

    # -- retrieval -----------------------------------------------------------------------------
    def retrieve(self, query: str, k: int = 5, filters: Mapping[str, Any] | None = None,
                 mode: RetrievalMode | str | None = None) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first."""
        if not query or not query.strip():
            raise InvalidQuestion("the query is empty", fix="type a question or some keywords")
        if k < 1:
            raise ConfigError(f"k={k} must be at least 1", fix="pass k=5 for example")
        mode = _mode(mode or self.mode)
        where, allowed = self.resolve_filters(filters)
        if allowed is not None and not allowed:
            return []
        n = max(self.candidates, 4 * k)
        qtoks = self.query_tokens(query)
        dense: dict[str, float] = {}
        if mode in (RetrievalMode.DENSE, RetrievalMode.HYBRID):
            vec = self.embedder.embed_query(query)
            dense = dict(self.store.query(vec, n, where))
        lexical: dict[str, float] = {}
        phrases = quoted_phrases(query) if mode != RetrievalMode.DENSE else []
        proposed: list[str] = []
        if mode in (RetrievalMode.BM25, RetrievalMode.HYBRID):
            lexical = dict(self.local.keyword_search(qtoks, n, allowed))
            for words in phrases:
                proposed += [c for c, _ in self.local.keyword_search(tokenize(" ".join(words)), PHRASE_CANDIDATES,
                                                                     allowed)]
        # Committed chunks only (a chunk without its stored document is an ingest killed
        # half-way), with their exact offsets: one lookup for every candidate.
        spans = self.local.spans(set(dense) | set(lexical) | set(proposed))
        dense = {cid: s for cid, s in dense.items() if cid in spans}
        if mode == RetrievalMode.DENSE:
            fused = {i: normalise_dense(s) for i, s in dense.items()}
        elif mode == RetrievalMode.BM25:
            top = max(lexical.values(), default=1.0) or 1.0
            fused = {i: s / top for i, s in lexical.items()}
        elif self.fusion == "rrf":
            fused = rrf({"dense": sorted(dense, key=lambda i: -dense[i]),
                         "bm25": sorted(lexical, key=lambda i: -lexical[i])})
        else:
            fused = convex(dense, lexical, self.alpha)
        held = self._phrase_hits(phrases, proposed, MIN_COVER) if phrases else {}
        if phrases and max(held.values(), default=0.0) < FALLBACK_COVER:
            # Then the question's own candidates, for a chunk that holds the whole phrase:
            # a phrase of words the keyword index drops ("Not going to go into that")
            # proposes only chunks that share a few of them.
            held = self._phrase_hits(phrases, [*dense, *lexical], FALLBACK_COVER) or held
        if held:
            # The chunks that hold most of the quoted words come first, at the top score:
            # the others keep their order and scale.
            top = max(fused.values(), default=1.0)
            fused.update({cid: top for cid in held})
        ranked = sorted(fused, key=lambda i: (-held.get(i, 0.0), -fused[i], i))
        qset = set(qtoks)
        out: list[Passage] = []
        for cid in ranked:
            p = self._passage(cid, spans.get(cid), qset)
            if p is None:
                continue
            p.score = fused[cid]
            p.scores = {"dense": dense.get(cid, 0.0), "bm25": lexical.get(cid, 0.0), "fused": fused[cid],
                        "phrase": held.get(cid, 0.0)}
            p.rank = len(out) + 1
            out.append(p)
            if len(out) >= k:
                break
        return out

    def _phrase_hits(self, phrases: list[list[str]], proposed: list[str], at_least: float) -> dict[str, float]:
        """Of the chunks ``proposed`` (by the phrases' own keyword search and the query's):
        those holding the most of a phrase's words in order (``phrases.cover``), at least
        ``at_least`` of them, with the share held. Only the best share: a chunk that holds
        half of a short phrase ("going to go") is no match when another holds all of it."""
        held: dict[str, float] = {}
        for cid, text in self.local.chunk_texts(set(proposed)).items():
            share = max(cover(w, text, at_least) for w in phrases)
            if share >= at_least:
                held[cid] = share
        best = max(held.values(), default=0.0)
        return {cid: share for cid, share in held.items() if share == best}

    def _passage(self, cid: str, span: ChunkSpan | None, qtoks: set[str]) -> Passage | None:
        if span is None:
            return None
        doc = self.local.doc(span.doc_id)
        if doc is None or doc.content_hash != span.content_hash:
            # Gone, or rewritten since the chunk table was read (by another process, or
            # before this question pinned the document): these offsets cut another text.
            return None
        start, end = span[1], span[2]
        s, e = self.best_sentence(doc, start, end, qtoks)
        return Passage(
            doc_id=doc.doc_id, chunk_id=cid, text=doc.text[start:end], start=start, end=end, title=doc.title,
            publisher=doc.publisher, date=doc.date, sentence=doc.text[s:e], sentence_start=s, sentence_end=e,
        )

    def idf(self, token: str) -> float:
        """Robertson-Sparck Jones idf of a BM25 token over chunks (0 if unknown)."""
        bm = self.local.bm25
        if bm is None or bm.empty:
            return 0.0
        df = bm.df(token)
        n = bm.n_chunks
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0

    def best_sentence(self, doc: Document, start: int, end: int, qtoks: set[str]) -> tuple[int, int]:
        """The sentence of ``doc[start:end]`` sharing the most idf-weighted words with the query."""
        best, best_score = (start, end), -1.0
        for s, e in doc.sentences_in(start, end):
            s, e = max(s, start), min(e, end)
            stoks = set(tokenize(doc.text[s:e]))
            score = sum(self.idf(t) for t in stoks & qtoks)
            if score > best_score:
                best, best_score = (s, e), score
        return best

    # -- adapters (llama-index, LangChain) -----------------------------------------------------
    def as_llama_index(self, k: int = 5, filters: Mapping[str, Any] | None = None):
        """This retriever as a ``llama_index.core.retrievers.BaseRetriever``."""
        from assistant.retrieval.adapters.llamaindex import LlamaIndexRetriever

        return LlamaIndexRetriever(self, k=k, filters=filters)

    def as_langchain(self, k: int = 5, filters: Mapping[str, Any] | None = None):
        """This retriever as a ``langchain_core.retrievers.BaseRetriever`` (needs the
        ``[langchain]`` extra): one ``Document`` per passage, the citation fields in its metadata."""
        try:
            from assistant.retrieval.adapters.langchain import LangChainRetriever
        except ImportError as exc:
            if not (exc.name or "").startswith("langchain"):
                raise
            raise ConfigError(f"as_langchain() needs langchain-core, which is not installed here ({exc})",
                              fix=LANGCHAIN_INSTALL_FIX) from None
        return LangChainRetriever(self, k=k, filters=filters)
