"""The extractive answerer: a short typed answer, numbered citations to exact
sentences, or a plain "the corpus does not say".

Pipeline per question (no model runs here; spaCy's work was done at ingest):

1. sanitise the text, rewrite a follow-up into a standalone question (``dialogue``);
2. analyse it (``question``): answer kind, focus words, names, years, fragment;
3. retrieve passages, expand them to candidate sentences and score each one
   (``evidence``);
4. the answer kind registered for the question's kind (``kinds``) proposes typed
   candidates from the ingest-time annotations: a date or figure bound to the asked
   words, an entity of the expected label, a quote-index lookup for who-said-what;
5. abstain when the evidence lacks a name or year the question is about, when it is
   weak, or when nothing of the asked type is found (``policy``);
6. compose the reply with ``[n]`` markers; sources that disagree are all shown
   (``compose``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np

from assistant.answer import relative, scope
from assistant.answer.compose import abstain, compose
from assistant.answer.corpus import Corpus
from assistant.answer.dialogue import keep_article, missing_in, rewrite
from assistant.answer.evidence import Candidate, Evidence, Sent, candidate_sentences
from assistant.answer.forms.guard import guard
from assistant.answer.forms.lists import route as route_list
from assistant.answer.kinds.registry import kind_for
from assistant.answer.learned import (
    ConfidenceModel,
    Linear,
    ReaderModels,
    SelectionModels,
    load,
    load_confidence,
    load_reader,
    load_rerank,
)
from assistant.answer.policy import absent_names, absent_phrases, order_candidates, why_not
from assistant.answer.question import QuestionAnalysis, analyse, sanitise
from assistant.answer.reader import Reading, read, reply
from assistant.answer.reader.confidence import features as answer_row
from assistant.answer.reader.confidence import hedged, shown
from assistant.answer.reader.extractive import TokenScorer, load_scorer
from assistant.answer.reader.rerank import FIRST_LOOK_KINDS, Embed
from assistant.answer.selection import Selection, select
from assistant.answer.spelling import respelled
from assistant.models import Answer, Passage
from assistant.retrieval.types import PassageRetriever
from assistant.text.periods import as_iso_date, asked_period, covered

#: Candidate passages examined per question. Set by hand on eval/seeds.jsonl.
PASSAGES = 8
#: Closest passages shown under an abstention.
SHOWN_WHEN_ABSTAINING = 3


@dataclass
class Trace:
    """How one question was answered, step by step (``Answerer.explain``)."""

    question: str
    standalone: str = ""
    dialogue: dict[str, Any] = field(default_factory=dict)
    analysis: QuestionAnalysis | None = None
    absent: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    sentences: list[Sent] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    #: Everything retrieved (the rule pipeline reads the first ``passages``), and what
    #: learned selection decided over it; the rule pipeline's own answer before it.
    fetched: list[Passage] = field(default_factory=list)
    selection: Selection | None = None
    #: The short answers the reader found in the selected sentences, best first.
    reading: Reading | None = None
    rule_answer: Answer | None = None
    answer: Answer | None = None
    #: The row the shown confidence of a reader reply is read from (``reader.confidence``).
    confidence_row: dict[str, float] | None = None


class Answerer:
    """Answers questions from a corpus with an extractive, typed strategy.

    ``retriever`` finds passages; ``corpus`` gives the documents and word statistics
    (``IndexCorpus`` over an index, or any object meeting ``Corpus``); ``llm``, if
    given, rewrites the extractive answer, checked against the passages.
    """

    def __init__(self, retriever: PassageRetriever, corpus: Corpus, llm: Any = None,
                 passages: int = PASSAGES, models: SelectionModels | bool | None = True,
                 fetch: int | None = None, reader: ReaderModels | bool | None = True,
                 tokens: TokenScorer | bool | None = True, rerank: Linear | bool | None = True,
                 confidence: ConfidenceModel | bool | None = True) -> None:
        self.retriever = retriever
        self.corpus = corpus
        self.llm = llm
        self.passages = passages
        #: Learned selection's models (True: the committed ones; None/False: rules alone).
        self.models = load() if models is True else (models or None)
        #: The reader's model (True: the committed one); only with learned selection.
        self.reader = None if self.models is None else (load_reader() if reader is True else (reader or None))
        #: The re-ranker of the reader's best spans (True: the committed one, if any).
        self.rerank = (load_rerank() if rerank is True else (rerank or None)) if self.reader is not None else None
        #: The model of a reader reply's shown confidence (True: the committed one, if any).
        self.confidence = (load_confidence() if confidence is True else (confidence or None)) \
            if self.reader is not None else None
        #: The extractive reader the span model reads (True: the committed one, loaded at the
        #: first question; None/False: none, its features read as unscored).
        self._tokens = tokens
        #: Passages retrieved for learned selection (its models' depth; training sets it to dump).
        self.fetch = fetch if fetch is not None else (self.models.k if self.models is not None else 0)

    @property
    def tokens(self) -> TokenScorer | None:
        """The extractive reader (``reader.extractive``), loaded once when first needed."""
        if self._tokens is True:
            self._tokens = load_scorer()
        return self._tokens or None

    @property
    def embed(self) -> Embed | None:
        """The retriever's query embedder over many texts (``embed_queries``; one text at a
        time for an embedder without it), or None when the retriever exposes none."""
        embedder = getattr(self.retriever, "embedder", None)
        if embedder is None:
            return None
        many = getattr(embedder, "embed_queries", None)
        return many if many is not None else (lambda texts: np.stack([embedder.embed_query(t) for t in texts]))

    def ask(self, question: str, history: Sequence[Any] | None = None,
            filters: Mapping[str, Any] | None = None, k: int = 5,
            asked_on: str | date | None = None) -> Answer:
        """Answer ``question`` (a follow-up of ``history``, oldest first), or abstain.
        ``asked_on``: the date the question is asked (today by default); "this week" or
        "recently" are read against it."""
        return self.explain(question, history, filters, k, asked_on).answer  # type: ignore[return-value]

    def explain(self, question: str, history: Sequence[Any] | None = None,
                filters: Mapping[str, Any] | None = None, k: int = 5,
                asked_on: str | date | None = None) -> Trace:
        """``ask``, keeping every intermediate step (for tools and debugging)."""
        tr = self._explain(question, history, filters, k, asked_on)
        if filters:
            # A filtered answer must pass the checks the unfiltered question does (scope).
            unfiltered = self._explain(question, history, None, k, asked_on, synthesise=False)
            tr.answer = scope.hold_to_unfiltered(self.corpus, tr, unfiltered)
        return tr

    def _explain(self, question: str, history: Sequence[Any] | None, filters: Mapping[str, Any] | None,
                 k: int, asked_on: str | date | None, synthesise: bool = True) -> Trace:
        tr = self._rules(question, history, filters, k, asked_on)
        tr.rule_answer = tr.answer
        qa, models = tr.analysis, self.models
        # Learned selection decides even where the rules abstained: their reasons are among
        # its features (a name the rules call absent is often spelt another way).
        if models is not None and qa is not None and qa.kind.value in models.kinds and tr.fetched:
            tr.selection = select(models, self.corpus, qa, tr.answer, tr.fetched, qa.asked_on)
            tr.reading = read(self.reader, self.corpus, qa, tr.selection.ranked, tr.answer, tr.selection.p_sentence,
                              self.tokens, tr.dialogue.get("given", frozenset()), self.rerank,
                              tr.selection.documents, self.embed) \
                if self.reader is not None else Reading(wants_span=False)
            tr.answer = reply(models, self.reader, tr.selection, tr.reading, tr.answer, self.corpus,
                              tr.fetched[:SHOWN_WHEN_ABSTAINING])
            if self.reader is not None and tr.answer.calibrated and not tr.answer.abstained \
                    and qa.kind not in FIRST_LOOK_KINDS:
                # A reader reply: its confidence is read again from all the reader saw, and its
                # span is stated or offered as a guess by that confidence (not for a who-said
                # question, which the re-ranker leaves to the span model too).
                tr.confidence_row = answer_row(qa.kind.value, tr.reading, tr.selection, self.reader)
                conf = shown(self.confidence, tr.confidence_row, tr.answer.confidence)
                tr.answer = replace(tr.answer, confidence=conf,
                                    text=hedged(tr.answer.text, tr.answer.answer, tr.confidence_row, conf,
                                                self.reader))
        if tr.answer is not None and models is not None and models is load():
            # A near-miss question (a detail no article gives) is refused, with the model's reason.
            # (Fitted on the committed selection models' confidences: not applied over others.)
            tr.answer = guard(self.corpus, qa, tr.answer, tr.fetched[:SHOWN_WHEN_ABSTAINING])
        if self.llm is not None and synthesise and tr.answer is not None and not tr.answer.abstained:
            from assistant.answer.llm import synthesise as llm_synthesise

            tr.answer = llm_synthesise(self.llm, tr.answer, tr.passages)
        return tr

    def _rules(self, question: str, history: Sequence[Any] | None, filters: Mapping[str, Any] | None,
               k: int, asked_on: str | date | None) -> Trace:
        """The rule pipeline: typed candidates from the ingest-time annotations, or a
        reasoned abstention. Retrieves enough passages for learned selection too."""
        corpus = self.corpus
        asked = as_iso_date(asked_on)
        q, notice = sanitise(question)
        standalone, context = rewrite(q, history or [],
                                      lambda prev, hist: self.ask(prev, history=hist, asked_on=asked),
                                      corpus.aliases, corpus)
        if corpus.has_vocabulary:
            # "Nazarenko" where the corpus writes "Nazaranka": selection weighs words as written.
            standalone = respelled(standalone, corpus.aliases.label, corpus.aliases.variants, corpus.df)
        qa = route_list(analyse(standalone))
        qa.asked_on = asked
        qa.period = asked_period(standalone, asked)
        if qa.period is not None:
            dates = corpus.dates()
            if dates and not covered(qa.period, dates):
                p = qa.period
                notice = " ".join(x for x in (notice, f"Nothing in the corpus is dated {p.label} ({p.start} to "
                                                      f"{p.end}); its newest article is dated {dates[-1]}.") if x)
        tr = Trace(question=q, standalone=standalone, dialogue=context, analysis=qa)
        search_text = standalone if not qa.quoted else f"{qa.quoted} {standalone}"
        if context.get("carry_focus"):
            # "When did it say that?": the previous question says what "that" is.
            prev = analyse(context["carried_from"])
            qa.focus += [t for t in prev.focus if t not in qa.focus]
            search_text = f"{standalone} {context['carried_from']}"
        missing = absent_names(corpus, qa)
        kind = kind_for(qa.kind)
        want = max(k, self.passages, getattr(kind, "passages", 0))
        models = self.models
        selected = models is None or qa.kind.value in models.kinds
        fetch = max(want, self.fetch) if selected else want
        tr.fetched = self.retriever.retrieve(search_text, k=fetch, filters=filters)
        if context.get("article"):
            # A follow-up stays in the conversation's article unless it moves away (``dialogue``).
            tr.fetched = keep_article(self.retriever.retrieve, search_text, fetch, filters, context["article"],
                                      tr.fetched, lambda d: bool(missing_in(corpus, qa, d)))
        if qa.period is not None and covered(qa.period, corpus.dates()):
            # "this week": that week's news is searched too (``scope.within_period``).
            tr.fetched = scope.within_period(self.retriever.retrieve, search_text, qa.period, filters, tr.fetched)
        passages = tr.passages = tr.fetched[:want]
        # -- filters never mislead (scope): the reply says so; scores keep the unfiltered scale
        notice = " ".join(x for x in (scope.notice(corpus, filters), notice) if x)
        reference = scope.reference(self.retriever, search_text, want, filters) if passages else None
        # --
        base = dict(question=q, rewritten=standalone if standalone != q else "", notice=notice,
                    retrieved=list(dict.fromkeys(p.doc_id for p in passages)), kind=qa.kind.value)
        shown = passages[:SHOWN_WHEN_ABSTAINING]
        if not passages:
            why = "nothing in the corpus matches the question" + (" under the filter" if filters else "")
            tr.answer = abstain(corpus, [], why, **base)
            return tr
        missing += absent_phrases(corpus, qa, passages)
        tr.absent = missing
        if missing:
            tr.answer = abstain(corpus, shown, f"the corpus never mentions {', '.join(missing)}", **base)
            return tr
        ev = Evidence(qa=qa, corpus=corpus, passages=passages, sents=candidate_sentences(corpus, qa, passages),
                      dialogue=context)
        scope.rescale(ev, reference)
        relative.apply(ev)  # "this year" means each article's own year
        tr.sentences = ev.sents
        cands = order_candidates(relative.latest_first(ev, kind.candidates(ev)), kind.binds_names)
        tr.candidates = cands
        if not cands:
            why = (getattr(kind, "why_none", None) or (lambda _: ""))(ev) \
                or f"no {qa.kind.value} of the kind asked for appears in the closest passages"
            tr.answer = abstain(corpus, shown, why, **base)
            return tr
        cand, alts = cands[0], cands[1:]
        # A form with a learned abstention judges its own candidate (``forms``).
        judge = getattr(kind, "why_not", None)
        why = judge(ev, cand) if judge is not None else why_not(corpus, qa, cand, kind.binds_names)
        if why:
            tr.answer = abstain(corpus, shown, why, **base)
            return tr
        ans = compose(ev, kind, cand, relative.same_period(kind.conflicts(ev, cand, alts)), **base)
        finish = getattr(kind, "finish", None)
        if finish is not None:
            ans = finish(ev, cand, ans)
        tr.answer = ans
        return tr
