"""The reader: the short answer inside the evidence learned selection chose.

Span candidates (``spans``) from the best few ranked sentences, and the rule pipeline's
typed answer, are scored by one learned linear model over ``features``; the best span's
probability is calibrated (isotonic) into the confidence that *this answer* is right.
Pure given the models: no index, no clock.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answer.antecedents import only_given
from assistant.answer.corpus import Corpus
from assistant.answer.kinds.quote import speaker_mention
from assistant.answer.learned import Linear, ReaderModels, sigmoid
from assistant.answer.question import QuestionAnalysis
from assistant.answer.reader.asked import as_asked, asked_type
from assistant.answer.reader.extractive import TokenScorer
from assistant.answer.reader.features import (
    QuestionFrame,
    confidence_features,
    head_noun,
    question_frame,
    span_features,
    token_features,
)
from assistant.answer.reader.rerank import (
    DOC_VOTES,
    FIRST_LOOK_KINDS,
    RERANK_K,
    Embed,
    head_sims,
    reorder,
    votes_of,
)
from assistant.answer.reader.rerank import features as rerank_features
from assistant.answer.reader.spans import (
    MAX_SPAN_WORDS,
    Span,
    coordinated,
    empty,
    named_instance,
    noun_phrase_spans,
    phrase_spans,
    with_name_s,
    with_region,
)
from assistant.answer.selection.selector import Ranked
from assistant.models import Answer

#: What a question asks for (``features.ASKS``) whose answer is one value even for a plural
#: noun ("what percentage of adults"): a figure or a date is not joined with the next one.
_NOT_LISTED = frozenset({"count", "money", "percent", "date"})
#: "Which type of product", "what kind of weather event": the category is the answer.
_CATEGORY_ASKED = re.compile(r"\b(?:type|kind|sort|form|category)s?\s+of\b", re.I)
#: Mention labels a span may come from (ordinals rank, they do not answer).
SPAN_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW",
                         "LANGUAGE", "DATE", "FIGURE"})


@dataclass
class Reading:
    """What the reader found for one question."""

    #: The best span, or None when there was none to score.
    span: Span | None = None
    #: Its calibrated probability of being right (the answer's confidence).
    confidence: float = 0.0
    #: Every scored span, best first (log-odds, span): for ``explain`` and tests.
    scored: list[tuple[float, Span]] = field(default_factory=list)
    #: Whether the question asks for a short answer at all (a keyword query does not).
    wants_span: bool = True
    #: The span model's feature rows, aligned with ``scored``.
    rows: list[dict[str, float]] = field(default_factory=list)
    #: The span model's own order, before the re-ranker (``rerank``), when it ran.
    first_look: list[tuple[float, Span]] = field(default_factory=list)
    #: The re-ranker's feature row of the span it put first ({} when it did not run).
    look: dict[str, float] = field(default_factory=dict)


def collect(ranked: Sequence[Ranked], rule: Answer, n: int) -> list[Span]:
    """Span candidates of the first ``n`` ranked sentences, plus the rule pipeline's
    answer; the same span from several sources is one candidate with all of them."""
    found: dict[tuple[str, int, int], Span] = {}
    docs = {r.doc.doc_id: r.doc for r in ranked}

    def add(doc_id: str, s: int, e: int, text: str, j: int, source: str, **kw) -> None:
        key = (doc_id, s, e)
        sp = found.get(key)
        if sp is None:
            found[key] = sp = Span(doc_id, s, e, text, j, {source})
        else:
            sp.sources.add(source)
            sp.sent = min(sp.sent, j) if sp.sent >= 0 and j >= 0 else max(sp.sent, j)
        for k, v in kw.items():
            if getattr(sp, k) is None:
                setattr(sp, k, v)

    for j, r in enumerate(ranked[:n]):
        doc, text = r.doc, r.doc.text
        for m in doc.mentions:
            if r.start <= m.start and m.end <= r.end and m.kind in SPAN_LABELS:
                add(doc.doc_id, m.start, m.end, m.text, j, m.kind, mention=m)
        for q in doc.quotes:
            if q.start < r.end and q.end > r.start and q.speaker:
                _, ns, ne = speaker_mention(doc, q)
                # The person's whole name where the mention is part of one ("Ruiz" in "Ana Ruiz").
                m = next((m for m in doc.mentions if m.kind == "PERSON" and m.start <= ns and ne <= m.end), None)
                ns, ne = (m.start, m.end) if m is not None else (ns, ne)
                if ns < ne:
                    add(doc.doc_id, ns, ne, text[ns:ne], j, "SPEAKER", quote=q)
        nps = noun_phrase_spans(doc, r.start, r.end)
        for s, e in phrase_spans(doc, r.start, r.end) if nps is None else nps:
            add(doc.doc_id, s, e, text[s:e], j, "PHRASE")
    if not rule.abstained and rule.citations and rule.answer:
        marked = next((c for c in rule.citations if c.answer_start >= 0), None)
        if marked is not None:
            j = next((i for i, r in enumerate(ranked[:n])
                      if r.doc.doc_id == marked.doc_id and r.start <= marked.answer_start < r.end), -1)
            add(marked.doc_id, marked.answer_start, marked.answer_end, rule.answer, j, "RULE")
        elif (d := docs.get(rule.citations[0].doc_id)) is None or rule.answer not in d.text:
            # An answer no sentence states (an author from the byline metadata).
            c = rule.citations[0]
            add(c.doc_id, -1, -1, rule.answer, -1, "RULE")
            found[(c.doc_id, -1, -1)].sources.add("META")
    return [sp for sp in found.values() if sp.words <= MAX_SPAN_WORDS and not empty(sp.text)]


def new_spans(spans: list[Span], given: frozenset[str]) -> list[Span]:
    """``spans`` without those that only repeat ``given`` words (all of them when none is left)."""
    fresh = [sp for sp in spans if not only_given(sp.text, given)] if given else spans
    return fresh or spans


def agreement(spans: Sequence[Span], ranked: Sequence[Ranked]) -> dict[str, tuple[float, int]]:
    """Per value key: the summed probability and the number of ranked sentences that
    hold a span with that value (the same answer found by several sentences)."""
    sents: dict[str, set[int]] = defaultdict(set)
    for sp in spans:
        if sp.sent >= 0:
            sents[sp.key].add(sp.sent)
    return {k: (sum(ranked[j].p for j in js), len(js)) for k, js in sents.items()}


def sentences(ranked: Sequence[Ranked], n: int) -> list[str]:
    """The texts of the first ``n`` ranked sentences (what the extractive reader reads)."""
    return [r.doc.text[r.start:r.end] for r in ranked[:n]]


def wants_span(qf: QuestionFrame) -> bool:
    """A question with an answer type; a keyword query or a statement gets sentences."""
    return qf.asks != "none"


def read(models: ReaderModels, corpus: Corpus, qa: QuestionAnalysis, ranked: Sequence[Ranked],
         rule: Answer, sel_p: float, tokens: TokenScorer | None = None,
         given: frozenset[str] = frozenset(), rerank: Linear | None = None,
         documents: Sequence[tuple[str, float]] = (), embed: Embed | None = None) -> Reading:
    """Score the spans of ``ranked`` (best sentence first) and keep the best; ``sel_p``:
    selection's probability that its best sentence holds the answer; ``tokens``: the
    extractive reader (without it, its features read as unscored); ``given``: in a
    follow-up, the words the conversation already established (``antecedents.given``),
    whose spans are no answer to it while another span is left. ``rerank``: the second
    look at the best spans (``reader.rerank``), with ``documents`` (selection's, best
    first, with their probabilities) voting and ``embed`` weighing the spans' meaning."""
    qf = question_frame(qa)
    out = Reading(wants_span=wants_span(qf))
    spans = new_spans(collect(ranked, rule, models.sentences), given)
    if not spans:
        return out
    agree = agreement(spans, ranked)
    rows = [span_features(corpus, qa, qf, sp, ranked, rule, agree) for sp in spans]
    if tokens is not None:
        token_features(rows, spans, ranked, tokens.logits(qa.text, sentences(ranked, models.sentences)))
    order = rank(spans, [models.span(r) for r in rows], len(ranked))
    out.scored = [(z, spans[i]) for z, i in order]
    out.rows = [rows[i] for _, i in order]
    out.span = out.scored[0][1]
    conf = confidence_features(qf, [z for z, _ in out.scored], out.rows[0], sel_p)
    # The confidence is the span model's in its own best span, also when the re-ranker puts
    # another first: the one it moves up is right at least as often (``rerank.MOVED_RIGHT``),
    # and the thresholds for stating, guessing and abstaining were fitted on this confidence.
    out.confidence = round(models.calibration(sigmoid(models.confidence(conf))), 4)
    if rerank is not None and qa.kind not in FIRST_LOOK_KINDS:
        out.first_look = list(out.scored)
        feats = second_look(corpus, qf, out, ranked, documents, embed)
        out.scored, out.rows = reorder(rerank, out.scored, out.rows, feats)
        out.span = out.scored[0][1]
        out.look = next((f for f, (_, sp) in zip(feats, out.first_look, strict=False) if sp is out.span), {})
    typed = asked_type(qa.text)
    if typed is None and qf.asks not in _NOT_LISTED and not _CATEGORY_ASKED.search(qa.text):
        # "Which band ...?" answered by "American rock band": the band it names, "KISS".
        out.span = named_instance(out.span, [sp for _, sp in out.scored], corpus.doc(out.span.doc_id),
                                  head_noun(qa.text))
    if typed is not None:
        # "Which country ...?" answered by "Iranian lawmakers" or "President Daniel Noboa",
        # "which state" by "Oregon Gov. Kate Brown": the best span that names one, as one.
        out.span = as_asked(out.span, out.scored, corpus, typed, qa.text,
                            [(r.doc, r.start, r.end) for r in ranked[:models.sentences]])
    elif qf.asks == "place":
        # "Where ...?" answered by a city the sentence writes with its state or country
        # ("Montgomery, Alabama"): the place as written, region and all.
        out.span = with_region(out.span, corpus.doc(out.span.doc_id))
    # "McDonald’s, which ...": the name's own "’s", which the tagger left out.
    out.span = with_name_s(out.span, corpus.doc(out.span.doc_id))
    if qf.items > 1 and qf.asks not in _NOT_LISTED:
        # "Which two automakers ...?": the answer is the coordination the best span stands
        # in ("Honda and Nissan"), not its first item.
        out.span = coordinated(out.span, [sp for _, sp in out.scored], corpus.doc(out.span.doc_id), qf.items)
    return out


def second_look(corpus: Corpus, qf: QuestionFrame, reading: Reading, ranked: Sequence[Ranked],
                documents: Sequence[tuple[str, float]], embed: Embed | None = None) -> list[dict[str, float]]:
    """The re-ranker's rows for the best spans of ``reading`` (``rerank.features``);
    ``embed``: the query embedder's vectors for texts, for the spans' meaning against the
    question's wh-phrase (``rerank.head_sims``)."""
    texts = []
    for doc_id, p in documents[:DOC_VOTES]:
        doc = corpus.doc(doc_id)
        if doc is not None:
            texts.append((doc_id, doc.text, p))
    sims = head_sims(qf.phrase, [sp for _, sp in reading.scored[:RERANK_K]], embed)
    return rerank_features(qf, reading.scored, reading.rows, ranked, votes_of(texts), sims)


def rank(spans: Sequence[Span], scores: Sequence[float], n_ranked: int) -> list[tuple[float, int]]:
    """(score, index) best first; ties go to the better sentence, then the earlier span."""
    key = [(-z, sp.sent if sp.sent >= 0 else n_ranked, sp.start) for z, sp in zip(scores, spans, strict=True)]
    return [(scores[i], i) for i in sorted(range(len(spans)), key=lambda i: key[i])]
