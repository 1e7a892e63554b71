"""Filters that never mislead: every reply under a filter says so, a date filter says
how many undated articles it left out, and a filtered question passes the same checks
as the unfiltered one (``hold_to_unfiltered``), on the same evidence scale.

Why the scale matters: a sentence's evidence score includes its passage's retrieval
score relative to the best passage retrieved (``evidence.candidate_sentences``). Under
a filter the best passage *inside the filter* becomes the yardstick, so a weak match
(the only Pozirk sentence near "since when has X ruled") looks as strong as the best
match of the whole corpus and passes checks it would fail unfiltered. ``Reference``
keeps the unfiltered yardstick: the filtered passages are scored against the best
passage of the whole corpus, as they would be without the filter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from assistant.answer.compose import abstain
from assistant.answer.corpus import Corpus
from assistant.answer.evidence import Evidence, score_sentence
from assistant.models import Answer, Passage, date_to_int
from assistant.retrieval.types import PassageRetriever
from assistant.text.folding import fold
from assistant.text.periods import Period

#: A filtered answer that is not the unfiltered one stands only if it scores within this
#: much of the unfiltered answer: as another source's value is shown beside the answer
#: only within this margin (``kinds.figure.CONFLICT_MARGIN``), the same judgement of
#: "as good an answer".
FILTER_MARGIN = 0.15
#: Passages retrieved without the filter to find the corpus-wide yardstick and the
#: unfiltered scores of the filtered passages: a few times what a question examines, so
#: most filtered passages are among them. Set by hand (cost: one more retrieval, only
#: under a filter).
REFERENCE_FACTOR = 3
#: Passages searched for inside the period a question names ("this week", "recently":
#: ``text.periods.asked_period``) and added after the ones found in the whole corpus: a
#: week's news is often out-ranked by older articles on the same subject ("Which state was
#: hammered by an atmospheric river this week?"). Measured on realtimeqa training (the
#: 2022-23 quizzes, 902 questions, product path, short answer right): 0.7572 without, 0.7661
#: with 3 as ``within_period`` adds them. The count was swept on a first version that kept
#: the period search's own ranks and scores: 1, 2, 3 or 5 passages 0.7627, 0.7594, 0.7683,
#: 0.7661 (5 put first: 0.7639). README "Seventh pass" has the noanswer and validation figures.
PERIOD_K = 3


def describe(filters: Mapping[str, Any] | None) -> str:
    """The active filters in words ("" when none): "publisher Pozirk; dated from 2025-01-01"."""
    if not filters:
        return ""
    parts = []
    docs = _as_list(filters.get("doc_id"))
    if docs:
        parts.append(("article " if len(docs) == 1 else "articles ") + ", ".join(docs))
    pubs = _as_list(filters.get("publisher"))
    if pubs:
        parts.append(("publisher " if len(pubs) == 1 else "publishers ") + ", ".join(pubs))
    lo, hi = filters.get("date_from"), filters.get("date_to")
    if lo and hi:
        parts.append(f"dated {lo} to {hi}")
    elif lo:
        parts.append(f"dated from {lo}")
    elif hi:
        parts.append(f"dated up to {hi}")
    return "; ".join(parts)


def _as_list(v: Any) -> list[str]:
    if v in (None, ""):
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple, set, frozenset)) else [str(v)]


def undated_excluded(corpus: Corpus, filters: Mapping[str, Any] | None) -> int:
    """How many articles a date filter leaves out only because they carry no year (they
    pass every other filter). 0 without a date filter, or when the corpus cannot list
    its documents' metadata."""
    if not filters or not (filters.get("date_from") or filters.get("date_to")):
        return 0
    records = getattr(corpus, "records", None)
    if records is None:
        return 0
    docs = set(_as_list(filters.get("doc_id")))
    pubs = {fold(p).strip() for p in _as_list(filters.get("publisher"))}
    n = 0
    for doc_id, r in records().items():
        if docs and doc_id not in docs:
            continue
        if pubs and fold(str(r.get("publisher", ""))).strip() not in pubs:
            continue
        if not (int(r.get("date_int", 0) or 0) or date_to_int(str(r.get("date", "")))):
            n += 1
    return n


def notice(corpus: Corpus, filters: Mapping[str, Any] | None) -> str:
    """What a reply under ``filters`` must say about them ("" when there are none)."""
    said = describe(filters)
    if not said:
        return ""
    out = f"Filtered: only {said}."
    undated = undated_excluded(corpus, filters)
    if undated:
        out += (f" The date filter also left out {undated} article{'s' if undated != 1 else ''} that give"
                f"{'s' if undated == 1 else ''} no year.")
    return out


@dataclass
class Reference:
    """The unfiltered yardstick: the best passage score of the whole corpus, and the
    unfiltered scores of the passages it retrieved (by chunk)."""

    top: float
    scores: dict[str, float]
    floor: float

    def score(self, p: Passage) -> float:
        """``p``'s score on the unfiltered scale. A passage the unfiltered retrieval did not
        reach scored at most its last passage (and a filter only raises a score: BM25 is
        scaled by the best match inside the filter), so the smaller of the two bounds it."""
        return self.scores.get(p.chunk_id, min(p.score, self.floor))


def reference(retriever: PassageRetriever, query: str, k: int,
              filters: Mapping[str, Any] | None) -> Reference | None:
    """The unfiltered yardstick for a filtered question (None without a filter)."""
    if not filters:
        return None
    wide = retriever.retrieve(query, k=k * REFERENCE_FACTOR, filters=None)
    if not wide:
        return None
    return Reference(top=max(p.score for p in wide) or 1.0, scores={p.chunk_id: p.score for p in wide},
                     floor=min(p.score for p in wide))


def rescale(ev: Evidence, ref: Reference | None) -> None:
    """Score the evidence sentences as the unfiltered question would: each passage prior
    relative to the corpus-wide best passage, not the best inside the filter."""
    if ref is None or not ev.passages:
        return
    for st in ev.sents:
        # A sentence keeps the prior of the best passage it stands in.
        priors = [min(1.0, ref.score(p) / ref.top) for p in ev.passages
                  if p.doc_id == st.doc.doc_id and st.start < p.end and st.end > p.start]
        if priors:
            st.prior = max(priors)
        score_sentence(ev.corpus, ev.qa, st)
    ev.sents.sort(key=lambda x: -x.score)


def hold_to_unfiltered(corpus: Corpus, filtered: Any, unfiltered: Any) -> Answer:
    """The filtered trace's answer, or an abstention when the unfiltered system would
    reject it: it abstains on the question, or its answer is a different one that the
    filtered answer falls well short of (the filtered articles match the question only
    weakly: "since when has X ruled" answered from an article about something else)."""
    ans: Answer = filtered.answer
    ref: Answer = unfiltered.answer
    if ans is None or ref is None:
        return ans
    base = dict(question=ans.question, rewritten=ans.rewritten, notice=ans.notice, retrieved=ans.retrieved,
                kind=ans.kind)
    shown = filtered.passages[:3]
    if ans.abstained:
        # Say where the answer is when the unfiltered system finds it in an article the
        # filter leaves out.
        cited = ref.citations[0].doc_id if ref.citations else ""
        doc = corpus.doc(cited) if cited and not ref.abstained and ref.answer else None
        if doc is None or cited in ans.retrieved:
            return ans
        src = doc.publisher or doc.title or doc.doc_id
        why = ans.text.split("\n", 1)[0].removeprefix("The corpus does not say: ").rstrip(".")
        return replace(abstain(corpus, shown, f"{why}; outside the filter, {src} gives “{ref.answer}”", **base),
                       confidence=ans.confidence, calibrated=ans.calibrated)
    if ref.abstained:
        why = ref.text.split("\n", 1)[0].removeprefix("The corpus does not say: ").rstrip(".")
        return abstain(corpus, shown, f"{why} (without the filter too)", **base)
    mine, best = filtered.candidates[0], unfiltered.candidates[0] if unfiltered.candidates else None
    if best is None or (mine.sent.doc.doc_id == best.sent.doc.doc_id and mine.start == best.start):
        return ans
    if mine.score >= best.score - FILTER_MARGIN:
        return ans
    src = best.sent.doc.publisher or best.sent.doc.title or best.sent.doc.doc_id
    return abstain(corpus, shown, f"the articles the filter keeps do not answer it; outside the filter, "
                                  f"{src} gives “{ref.answer}”", **base)


def within_period(retrieve: Callable[..., list[Passage]], search_text: str, period: Period,
                  filters: Mapping[str, Any] | None, fetched: list[Passage]) -> list[Passage]:
    """``fetched`` (retrieved from the whole corpus, under ``filters``) and after them the
    best ``PERIOD_K`` passages dated in ``period`` that it lacks. They are ranked after
    ``fetched`` and scored as ``Reference.score`` scores what a filter found: at most the
    last passage of the unfiltered retrieval, which did not reach them (inside the period
    BM25 is scaled by the period's best match, so their own scores overstate them).
    Learned selection then weighs them with the others (its date features know the
    asked-on date). A filter with dates of its own has already said which days to read."""
    if filters and (filters.get("date_from") or filters.get("date_to")):
        return fetched
    scoped = {**(filters or {}), "date_from": period.start, "date_to": period.end}
    seen = {p.chunk_id for p in fetched}
    floor = min((p.score for p in fetched), default=0.0)
    added = [p for p in retrieve(search_text, k=PERIOD_K, filters=scoped) if p.chunk_id not in seen]
    return fetched + [replace(p, rank=len(fetched) + i, score=min(p.score, floor),
                              scores={**p.scores, "fused": min(p.scores.get("fused", p.score), floor)})
                      for i, p in enumerate(added, start=1)]
