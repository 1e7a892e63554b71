"""The extractive answerer: a short typed answer, numbered citations to exact
sentences, or a plain "the corpus does not say".

Pipeline per question (no model runs here; spaCy's work was done at ingest):

1. sanitise the text, rewrite a follow-up into a standalone question (``dialogue``);
2. analyse it (``question``): answer kind, focus words, names, years, fragment;
3. retrieve passages, expand them to candidate sentences and score each one
   (``evidence_score``);
4. pick the answer of the asked type from the best sentences using the
   ingest-time annotations: a date or figure *bound to* the asked words
   (its ``frame``), an entity of the expected label, a quote-index lookup for
   who-said-what;
5. abstain when the evidence lacks a name or year the question is about, when
   it is weak, or when nothing of the asked type is found;
6. compose the reply with ``[n]`` markers; sources that disagree on a figure
   are all shown.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.answer.dialogue import rewrite
from assistant.answer.question import NOUN_LABEL, QuestionAnalysis, analyse
from assistant.config import MAX_QUESTION_CHARS
from assistant.errors import InvalidQuestion
from assistant.models import Answer, Citation, Conflict, Mention, Passage, QuestionKind, QuoteRecord
from assistant.text.dates import show_date
from assistant.text.folding import fold, fold_answer, name_key
from assistant.text.tokens import STOPWORDS, tokenize

if TYPE_CHECKING:
    from assistant.index.cache import LocalIndex
    from assistant.models import Document
    from assistant.retrieval.retriever import Retriever

#: Weights of the evidence score (tuned on eval/seeds.jsonl and the benchmarks).
W_LEX, W_CTX, W_PRIOR, W_NAMES = 0.5, 0.15, 0.2, 0.15
#: Below this evidence score an answer is withheld (calibrated on eval/seeds.jsonl).
ABSTAIN_BELOW = 0.36
#: Candidate passages examined per question.
PASSAGES = 8
#: A "what did X say" answer: at most this many sentences of one continuous statement,
#: and no sentence is added once it runs past this many words.
QUOTE_SENTENCES, QUOTE_WORDS = 2, 60


# -- small value types -----------------------------------------------------------------------
@dataclass
class Sent:
    """A candidate evidence sentence."""

    doc: Document
    start: int
    end: int
    index: int
    prior: float
    rank: int
    score: float = 0.0
    lex: float = 0.0
    names_ok: float = 1.0
    years_ok: bool = True

    @property
    def text(self) -> str:
        return self.doc.text[self.start: self.end]


@dataclass
class Candidate:
    """A typed answer candidate bound to the sentence that states it."""

    value: str  # the short answer, verbatim from the text
    sent: Sent
    start: int  # offsets of the answer span in the document
    end: int
    score: float
    key: str = ""  # normalised value (for conflicts)
    mention: Mention | None = None
    quote: QuoteRecord | None = None
    extra_cites: list[tuple[Document, int, int]] = field(default_factory=list)
    note: str = ""
    seen: bool = False  # already shown by the previous answer (a "what else" follow-up)


# -- derived forms ---------------------------------------------------------------------------------
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


# -- question hygiene ------------------------------------------------------------------------------
_TAG = re.compile(r"<[^>]{0,200}>")


def sanitise(question: str) -> tuple[str, str]:
    """Clean a raw question; returns (text, notice). Raises InvalidQuestion when nothing is left."""
    if question is None or not str(question).strip():
        raise InvalidQuestion("the question is empty", fix="type a question about the news corpus")
    q = str(question)
    notice = ""
    if len(q) > MAX_QUESTION_CHARS:
        q = q[:MAX_QUESTION_CHARS]
        notice = f"Your question was {len(question):,} characters long; only the first {MAX_QUESTION_CHARS:,} were used."
    q = "".join(c if unicodedata.category(c)[0] != "C" or c in "\n\t" else " " for c in q)
    q = html.unescape(_TAG.sub(" ", q))
    q = " ".join(q.split())
    if not re.search(r"\w", q):
        raise InvalidQuestion("the question has no words in it", fix="type a question about the news corpus")
    return q, notice


# -- per-document annotation access (cached on the Document) ------------------------------------
def doc_words(doc: Document) -> tuple[set[str], str]:
    """Name keys and folded text of a whole article (title included), computed once per
    loaded document rather than on every question that touches it."""
    cached = doc.annotations.get("_words")
    if cached is None:
        t = doc.title + "\n" + doc.text
        cached = (_keys(t), fold(t))
        doc.annotations["_words"] = cached
    return cached


def paragraph_of(doc: Document, pos: int) -> tuple[int, int]:
    """The line (paragraph) around ``pos``; news text keeps one paragraph per line."""
    s = doc.text.rfind("\n", 0, pos) + 1
    e = doc.text.find("\n", pos)
    return s, (len(doc.text) if e < 0 else e)


def _stems(text: str) -> set[str]:
    return set(tokenize(text))


def _keys(text: str) -> set[str]:
    return {name_key(w) for w in re.findall(r"[^\W\d_]{2,}", text)}


def _name_present(name: str, keys: set[str], folded: str) -> bool:
    """The name appears (by transliteration key) in the text: every content word of a
    one-word or lower-case name; for a multi-word proper name its last word (the surname
    or head), since given names are transliterated too freely to require ("Yuri"/"Juryj")."""
    words = [w for w in re.findall(r"[^\W\d_]{2,}", name) if w.lower() not in STOPWORDS]
    if not words:
        return True
    if len(words) > 1 and all(w[:1].isupper() for w in words):
        acronym = "".join(w[0] for w in words).lower()
        if re.search(r"\b" + acronym + r"\b", folded):
            return True  # "European Union" ~ "EU"
        if not any(w.lower() in NOUN_LABEL for w in words):
            words = words[-1:]
    return all(_word_present(w, keys, folded) for w in words)


def _word_present(w: str, keys: set[str], folded: str) -> bool:
    if name_key(w) in keys or fold(w) in folded:
        return True
    # Derived forms of a place name ("Africa"/"African", "Europe"/"European").
    f = fold(w)
    return len(f) >= 6 and f[:5] in folded and re.search(r"\b" + re.escape(f[:5]), folded) is not None


#: Words of attribution that add nothing to what was said.
_FRAMING = frozenset(tokenize("earlier later also said says told responded reacted commented replied added noted "
                              "stated claimed claim accusations remarks"))
_VAGUE = re.compile(r"\b(?:hundreds|thousands|millions|billions|dozens|scores|several|many|numerous|tens)\b", re.I)
#: Units that answer "how long / how far": lengths and durations.
_LENGTH_UNITS = frozenset(tokenize("km kilometre kilometer kilometres kilometers mile miles metre meter metres meters "
                                   "feet foot yard yards year years month months week weeks day days hour hours"))
#: Labels of entity mentions an entity answer may come from.
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "NORP", "PRODUCT", "WORK_OF_ART", "LAW"})
#: A run of capitalised words (a name NER may have missed).
_PROPER = re.compile(r"\b[A-Z][\w\-]*[A-Za-z](?:\s+(?:of\s+|the\s+)?[A-Z][\w\-]*[A-Za-z])*")

#: Entity labels a question's name must keep in the evidence (a nationality adjective need not).
REQUIRED_LABELS = frozenset({"PERSON", "GPE", "ORG", "LOC", "FAC", "EVENT"})


# -- the answerer -------------------------------------------------------------------------------------
class Answerer:
    """Answers questions from an index with an extractive, typed strategy."""

    def __init__(self, retriever: Retriever, local: LocalIndex, llm: Any = None, passages: int = PASSAGES) -> None:
        self.retriever = retriever
        self.local = local
        self.llm = llm
        self.passages = passages

    # -- weights --------------------------------------------------------------------------------
    def _weight(self, stem: str) -> float:
        w = self.retriever.idf(stem)
        # A word the corpus never uses still counts (its absence is evidence of a miss).
        return w if w > 0 else 8.0

    def coverage(self, want: Sequence[str], have: set[str]) -> float:
        """idf-weighted share of ``want`` found in ``have`` (the BM25 idf; Robertson 2004),
        counting derived forms of the same word as found ("died" ~ "deaths")."""
        want = list(dict.fromkeys(want))
        total = sum(self._weight(t) for t in want)
        if total <= 0:
            return 0.0
        have_c = {related(t) for t in have}
        return sum(self._weight(t) for t in want if t in have or related(t) in have_c) / total

    # -- evidence -------------------------------------------------------------------------------
    def candidate_sentences(self, qa: QuestionAnalysis, passages: Sequence[Passage]) -> list[Sent]:
        seen: dict[tuple[str, int], Sent] = {}
        top = max((p.score for p in passages), default=1.0) or 1.0
        for p in passages:
            doc = self.local.doc(p.doc_id)
            if doc is None:
                continue
            for idx, (s, e) in enumerate(doc.sentences):
                if e <= p.start or s >= p.end:
                    continue
                key = (doc.doc_id, s)
                prior = p.score / top
                if key in seen:
                    seen[key].prior = max(seen[key].prior, prior)
                    continue
                seen[key] = Sent(doc, s, e, idx, prior, p.rank)
        sents = list(seen.values())
        for st in sents:
            self.score_sentence(qa, st)
        sents.sort(key=lambda x: -x.score)
        return sents

    def score_sentence(self, qa: QuestionAnalysis, st: Sent) -> None:
        doc = st.doc
        own = _stems(st.text)
        ps, pe = paragraph_of(doc, st.start)
        ctx_text = doc.text[ps:pe] + "\n" + doc.title
        ctx = _stems(ctx_text) | own
        st.lex = self.coverage(qa.focus, own)
        ctx_cov = self.coverage(qa.focus, ctx)
        names = self.required_names(qa)
        if names:
            keys, folded = _keys(ctx_text), fold(ctx_text)
            st.names_ok = sum(_name_present(n, keys, folded) for n in names) / len(names)
        if qa.years:
            # "the 2019 strike" is often dated by the paragraph before the one quoted.
            prev = paragraph_of(doc, max(0, ps - 1))[0] if ps > 0 else ps
            prev = paragraph_of(doc, max(0, prev - 1))[0] if prev > 0 and not doc.text[prev:ps].strip() else prev
            window = doc.text[prev:pe] + "\n" + doc.title + " " + doc.date
            st.years_ok = all(y in window for y in qa.years)
        st.score = W_LEX * st.lex + W_CTX * ctx_cov + W_PRIOR * st.prior + W_NAMES * st.names_ok
        if not st.years_ok:
            st.score -= 0.15

    # -- entry point ----------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Any] | None = None,
            filters: Mapping[str, Any] | None = None, k: int = 5) -> Answer:
        q, notice = sanitise(question)
        standalone, context = rewrite(q, history or [], lambda prev, hist: self.ask(prev, history=hist),
                                      self.local.aliases)
        qa = analyse(standalone)
        search_text = standalone if not qa.quoted else f"{qa.quoted} {standalone}"
        if context.get("carry_focus"):
            # "When did it say that?": the previous question says what "that" is.
            prev = analyse(context["carried_from"])
            qa.focus += [t for t in prev.focus if t not in qa.focus]
            search_text = f"{standalone} {context['carried_from']}"
        missing = self.absent_names(qa)
        passages = self.retriever.retrieve(search_text, k=max(k, self.passages), filters=filters)
        retrieved = list(dict.fromkeys(p.doc_id for p in passages))
        base = dict(question=q, rewritten=standalone if standalone != q else "", notice=notice,
                    retrieved=retrieved, kind=qa.kind.value)
        if not passages:
            return self._abstain(qa, [], "nothing in the corpus matches the question", **base)
        missing += self.absent_phrases(qa, passages)
        if missing:
            return self._abstain(qa, passages[:3], f"the corpus never mentions {', '.join(missing)}", **base)
        sents = self.candidate_sentences(qa, passages)
        cand: Candidate | None = None
        alts: list[Candidate] = []
        if qa.kind in (QuestionKind.SPEAKER, QuestionKind.QUOTE):
            cands = self.quote_candidates(qa, passages, sents, exclude=context.get("exclude_quotes", set()),
                                          seen=context.get("seen_quotes", set()))
        elif qa.kind == QuestionKind.DATE:
            cands = self.date_candidates(qa, sents)
        elif qa.kind == QuestionKind.FIGURE:
            cands = self.figure_candidates(qa, sents)
        elif qa.kind == QuestionKind.ENTITY:
            cands = self.entity_candidates(qa, sents)
        else:
            cands = [self.sentence_candidate(s) for s in sents[:3]]
        cands.sort(key=lambda c: -c.score)
        # "What else": something not shown yet, if anything good enough is left.
        fresh = [c for c in cands if not c.seen and c.score >= ABSTAIN_BELOW]
        if fresh and len(fresh) < len(cands):
            cands = fresh + [c for c in cands if c not in fresh]
        if qa.kind != QuestionKind.QUOTE:
            # The best candidate whose evidence keeps the question's names and years; a
            # stronger one that drops them is about something else.
            valid = [c for c in cands if c.sent.names_ok >= 1.0 and c.sent.years_ok]
            top = cands[0] if cands else None
            # ... unless the strongest is far ahead and misses only part of the names
            # (metonymy: "the French government" for "Paris").
            if valid and not (top is not None and top.sent.years_ok and top.sent.names_ok >= 0.5
                              and top.score >= valid[0].score + 0.3):
                cands = valid + [c for c in cands if c not in valid]
        if cands:
            cand = cands[0]
            alts = cands[1:]
        if cand is None:
            why = f"no {qa.kind.value} of the kind asked for appears in the closest passages"
            return self._abstain(qa, passages[:3], why, **base)
        # Every name the question is about must be in the answer's article, and most of them
        # around the answer (a long quiz-style question names more context than one
        # paragraph holds).
        need = 1.0 if len(self.required_names(qa)) < 3 else 0.5
        if qa.kind != QuestionKind.QUOTE and (cand.sent.names_ok < need
                                              or not self._names_in_doc(qa, cand.sent.doc)):
            return self._abstain(qa, passages[:3], "the closest passages do not mention "
                                 + ", ".join(n for n in self.required_names(qa) if not self._name_in_sent(n, cand.sent)),
                                 **base)
        if not cand.sent.years_ok:
            return self._abstain(qa, passages[:3], f"the closest passages do not concern {', '.join(qa.years)}", **base)
        if cand.score < ABSTAIN_BELOW:
            return self._abstain(qa, passages[:3], "the evidence found is too weak", **base)
        conflicts = self.conflicts(qa, cand, alts) if qa.kind == QuestionKind.FIGURE else []
        ans = self.compose(qa, cand, conflicts, **base)
        if self.llm is not None:
            from assistant.answer.llm import synthesise

            ans = synthesise(self.llm, ans, passages)
        return ans

    def required_names(self, qa: QuestionAnalysis) -> list[str]:
        """Question names the evidence must mention: people, places, organisations (by
        the label the corpus's NER gave them), not nationality adjectives."""
        cached = getattr(qa, "_required", None)
        if cached is not None:
            return cached
        aliases = self.local.aliases
        out = []
        desc = set(qa.descriptors)
        for name in qa.names:
            for part in re.split(r"[-–/]", name):
                words = [w for w in part.split() if w not in desc]
                # The longest known form: "Besides Latvia" -> "Latvia" when only that is an entity.
                for form in (words, words[1:], words[-1:]):
                    f = " ".join(form).strip()
                    if f and aliases.label(f) in REQUIRED_LABELS:
                        out.append(f)
                        break
        qa._required = out  # type: ignore[attr-defined]
        return out

    def _name_in_sent(self, name: str, st: Sent) -> bool:
        ps, pe = paragraph_of(st.doc, st.start)
        t = st.doc.text[ps:pe] + "\n" + st.doc.title
        return _name_present(name, _keys(t), fold(t))

    def absent_names(self, qa: QuestionAnalysis) -> list[str]:
        """Names in the question that no document contains, in any spelling."""
        bm = self.local.bm25
        if bm is None:
            return []
        out = []
        desc = set(qa.descriptors)
        first = (re.match(r"\W*([^\W\d_]+)", qa.text) or [None, ""])[1]

        def absent(w: str) -> bool:
            toks = tokenize(w)
            if not toks:
                return False
            variants = [t for v in self.local.aliases.variants(w) for t in tokenize(v)]
            if bm.df(toks[0]) or any(bm.df(v) for v in variants):
                return False
            # "African" when the corpus says "Africa": a derived form is not a new name.
            return not (len(toks[0]) >= 6 and bm.prefix_df(toks[0][:5]))

        for name in qa.names:
            for part in re.split(r"[-–/]", name):
                words = [w for w in re.findall(r"[^\W\d_]{3,}", part)
                         if w.lower() not in STOPWORDS and w[:1].isupper() and w not in desc]
                if words and words[0] == first and part.lstrip().startswith(first) \
                        and qa.text.lstrip().startswith(first) and not self.local.aliases.label(first):
                    words = words[1:]  # a capitalised first word of the question is not a name
                if not words:
                    continue
                if len(words) > 1 and not any(w.lower() in NOUN_LABEL for w in words):
                    # A full name is missing only if its surname is: given names vary too much.
                    if absent(words[-1]):
                        out.append(" ".join(words))
                    continue
                missing = [w for w in words if absent(w)]
                if missing:
                    out.append(" ".join(words) if len(words) > 1 else missing[0])
                continue
                if absent(words[0]):
                    out.append(words[0])
        return list(dict.fromkeys(out))

    def absent_phrases(self, qa: QuestionAnalysis, passages: Sequence[Passage]) -> list[str]:
        """Names of bodies and offices ("State Border Committee") whose words all occur in
        the corpus but never together: the phrase must appear in a retrieved document (a
        corpus that has it ranks it first, since its words are rare)."""
        out = []
        docs = [d for d in (self.local.doc(i) for i in dict.fromkeys(p.doc_id for p in passages)) if d is not None]
        folded = [doc_words(d)[1] for d in docs]
        for name in qa.names:
            words = [w for w in re.findall(r"[^\W\d_]+", name) if w[:1].isupper()]
            if len(words) < 2 or not any(w.lower() in NOUN_LABEL for w in words):
                continue
            # Only the office or body: up to its last noun ("Foreign Minister", not the
            # minister's name, whose spelling varies), without a leading place
            # ("Ruritania's State Border Committee").
            last = max(i for i, w in enumerate(words) if w.lower() in NOUN_LABEL)
            words = words[: last + 1]
            while len(words) > 2 and self.local.aliases.label(words[0]) in ("GPE", "LOC", "NORP"):
                words = words[1:]
            if len(words) < 2:
                continue
            phrase = r"\W+".join(re.escape(fold(w)) for w in words)
            if not any(re.search(phrase, f) for f in folded):
                out.append(" ".join(words))
        return out

    # -- typed candidates -------------------------------------------------------------------------
    def sentence_candidate(self, st: Sent) -> Candidate:
        return Candidate(st.text, st, st.start, st.end, st.score)

    def _mentions_in(self, st: Sent, kinds: set[str]) -> list[Mention]:
        return [m for m in st.doc.mentions if m.kind in kinds and st.start <= m.start and m.end <= st.end]

    def _frame_score(self, qa: QuestionAnalysis, m: Mention) -> float:
        """How well what the mention is bound to matches the question: recall of the
        question's words in the frame, minus a penalty when the mention's own head words
        (the first frame entries: its noun and verb) are content words the question lacks
        ("63 others *injured*" for a question about people killed)."""
        frame = {t for w in m.frame for t in tokenize(w)}
        if not qa.focus:
            return 0.0
        cov = self.coverage(qa.focus, frame)
        want = {related(t) for t in qa.focus}
        heads = [t for w in m.frame[:2] for t in tokenize(w) if not t.isdigit()]
        miss = sum(1 for t in heads if related(t) not in want and self.retriever.idf(t) > 1.0)
        return cov - 0.6 * min(miss, 2)

    def _proximity(self, qa: QuestionAnalysis, st: Sent, m: Mention | tuple[int, int]) -> float:
        """1 when a question word sits right next to the mention, falling with distance."""
        if isinstance(m, tuple):
            m = Mention(kind="", start=m[0], end=m[1], text="")
        text = st.doc.text
        best = 10_000
        focus = set(qa.focus)
        for wm in re.finditer(r"\w+", text[st.start: st.end]):
            ws = st.start + wm.start()
            if set(tokenize(wm.group(0))) & focus:
                d = m.start - (ws + len(wm.group(0))) if ws < m.start else ws - m.end
                best = min(best, max(0, d))
        return 1.0 / (1.0 + best / 25.0)

    def date_candidates(self, qa: QuestionAnalysis, sents: Sequence[Sent]) -> list[Candidate]:
        out: list[Candidate] = []
        for st in sents[:12]:
            ms = self._mentions_in(st, {"DATE"})
            for m in ms:
                if any(fold(m.text) == fold(y) for y in qa.years) or fold(m.text) in fold(qa.text):
                    continue  # restating the question's own date is not an answer
                if qa.granularity == "year" and not re.search(r"\b\d{4}\b", m.text):
                    continue
                if qa.granularity in ("day", "month") and not re.search(
                        r"january|february|march|april|may|june|july|august|september|october|november|december|"
                        r"jan\.|feb\.|mar\.|apr\.|jun\.|jul\.|aug\.|sep\.|sept\.|oct\.|nov\.|dec\.",
                        m.text.lower()):
                    continue
                fs = self._frame_score(qa, m)
                score = st.score + 0.25 * fs + 0.1 * self._proximity(qa, st, m)
                out.append(Candidate(m.text, st, m.start, m.end, score, key=m.value or fold(m.text), mention=m))
            if not ms and st.index <= 3:
                dl = self._dateline(st.doc)
                if dl is not None:
                    dst, m = dl
                    # The dateline dates the events of the lead paragraph (news convention).
                    out.append(Candidate(m.text, dst, m.start, m.end, st.score - 0.05, key=m.value, mention=m,
                                         extra_cites=[(st.doc, st.start, st.end)],
                                         note="the article's dateline"))
        return out

    def _dateline(self, doc: Document) -> tuple[Sent, Mention] | None:
        for idx, (s, e) in enumerate(doc.sentences[:4]):
            for m in doc.mentions:
                if m.kind == "DATE" and s <= m.start < e and m.start - s < 5 and e - s < 80:
                    return Sent(doc, s, e, idx, 0.0, 0), m
        return None

    def figure_candidates(self, qa: QuestionAnalysis, sents: Sequence[Sent]) -> list[Candidate]:
        out: list[Candidate] = []
        qnums = {fold_answer(n) for n in qa.numbers}
        for st in sents[:12]:
            for m in self._mentions_in(st, {"FIGURE"}):
                if fold_answer(m.text) in qnums or (m.value and fold_answer(m.value) in qnums):
                    continue  # never answer with a number that is only in the question
                unit = fold(m.unit)
                unit_stems = set(tokenize(unit)) if unit else set()
                is_pct = unit in ("percent", "%", "percentage point", "percentage points") or "%" in m.text
                is_money = bool(m.extra.get("currency")) or unit in ("usd", "eur", "gbp", "rub", "dollar", "euro")
                us = 0.0
                # A share, a sum of money or a length is a different quantity from a count:
                # never answer one with the other.
                if qa.unit == "percent":
                    if not is_pct:
                        continue
                    us = 1.0
                elif qa.unit == "money":
                    if not is_money:
                        continue
                    us = 1.0
                elif qa.unit == "length":
                    if not (unit_stems & _LENGTH_UNITS or set(tokenize(m.text)) & _LENGTH_UNITS):
                        continue
                    us = 1.0
                elif qa.unit:
                    us = 1.0 if qa.unit in unit_stems or qa.unit in {t for w in m.frame for t in tokenize(w)} else 0.0
                    if is_pct:
                        us = -0.6
                if not self._places_near(qa, st):
                    continue
                bind = self._place_binding(qa, m)
                if bind <= -1.0:
                    continue  # bound to other places only
                fs = self._frame_score(qa, m) + bind
                # "hundreds of migrants" is an order of magnitude, not a figure to cite.
                vague = -0.1 if _VAGUE.search(m.text) and not re.search(r"\d", m.text) else 0.0
                score = st.score + 0.3 * fs + 0.2 * us + 0.1 * self._proximity(qa, st, m) + vague
                out.append(Candidate(self._figure_span(st, m), st, *self._figure_offsets(st, m), score,
                                     key=m.value or fold_answer(m.text), mention=m))
        return out

    def _place_binding(self, qa: QuestionAnalysis, m: Mention) -> float:
        """+ when the figure is bound to a place the question names, - when it is bound only
        to other places ("28,668 via Poland" for a question about Lithuania)."""
        aliases = self.local.aliases
        fplaces = {name_key(w) for w in m.frame if aliases.label(w) in ("GPE", "LOC")}
        if not fplaces:
            return 0.0
        qplaces = {name_key(w): w for n in self.required_names(qa) if aliases.label(n) in ("GPE", "LOC")
                   for w in n.split()}
        if not qplaces:
            return 0.0
        if not fplaces & set(qplaces):
            return -1.0
        # The question's rarer place is the specific one ("Ghent" in "from Belgium to Ghent").
        w = {k: max((self.retriever.idf(t) for t in tokenize(v)), default=0.0) for k, v in qplaces.items()}
        total = sum(w.values()) or 1.0
        return 0.3 * sum(v for k, v in w.items() if k in fplaces) / total

    def _places_near(self, qa: QuestionAnalysis, st: Sent) -> bool:
        """A figure about a place must be stated with that place: in its sentence or the
        one before (news often names the place once, then gives figures)."""
        places = [n for n in self.required_names(qa) if self.local.aliases.label(n) in ("GPE", "LOC")]
        if not places:
            return True
        s = st.doc.sentences[st.index - 1][0] if st.index > 0 else st.start
        # The headline names what the whole article is about ("... from Ruritania").
        text = st.doc.text[s: st.end] + "\n" + st.doc.title
        keys, folded = _keys(text), fold(text)
        return all(_name_present(n, keys, folded) for n in places)

    def _figure_offsets(self, st: Sent, m: Mention) -> tuple[int, int]:
        s, e = m.start, m.end
        text = st.doc.text
        q = m.qualifier
        if q:
            i = fold(text[max(st.start, s - len(q) - 2): s]).rfind(fold(q))
            if i >= 0:
                s = max(st.start, s - len(q) - 2) + i
        if m.unit and fold(m.unit) not in fold(text[s:e]):
            # Extend to the counted noun when it follows within a few words.
            tail = text[e: min(st.end, e + 40)]
            um = re.search(r"\b" + re.escape(fold(m.unit)[:5]), fold(tail))
            if um and len(tail[: um.start()].split()) <= 3:
                end_word = re.match(r"[\w\-]+", tail[um.start():])
                e = e + um.start() + (end_word.end() if end_word else 0)
        return s, e

    def _figure_span(self, st: Sent, m: Mention) -> str:
        s, e = self._figure_offsets(st, m)
        return st.doc.text[s:e].strip(" ,;–—-")

    def entity_candidates(self, qa: QuestionAnalysis, sents: Sequence[Sent]) -> list[Candidate]:
        if qa.unit == "author":
            return self._author_candidates(qa, sents)
        if qa.unit == "role":
            return self._role_candidates(qa, sents)
        labels = qa.labels or ["PERSON", "ORG", "GPE"]
        strict = qa.unit == "person" and labels[0] == "PERSON"  # "who ...?" wants a person
        out: list[Candidate] = []
        qkeys = _keys(" ".join(qa.names)) | _keys(qa.text)
        noun = qa.unit if qa.unit and qa.unit not in ("person", "place", "kind") else ""
        for st in sents[:12]:
            covered: list[tuple[int, int]] = []
            for m in self._mentions_in(st, ENTITY_LABELS):
                covered.append((m.start, m.end))
                mk = _keys(m.text)
                if mk and mk <= qkeys:
                    continue  # the question's own names are not the answer
                if m.kind in labels:
                    lab = -0.06 * labels.index(m.kind)
                elif strict:
                    continue
                else:
                    # NER often mislabels news names (an agency as a person); keep them, lower.
                    lab = -0.15
                out.append(self._entity_candidate(qa, st, m.text, m.start, m.end, lab, noun, m))
            if strict:
                continue
            # Capitalised names NER missed ("obtained by NEWSWIRE"), as a last resort.
            for cm in _PROPER.finditer(st.text):
                s0, e0 = st.start + cm.start(), st.start + cm.end()
                if cm.start() == 0 or any(a < e0 and s0 < b for a, b in covered):
                    continue
                if _keys(cm.group(0)) <= qkeys or cm.group(0).lower() in STOPWORDS:
                    continue
                out.append(self._entity_candidate(qa, st, cm.group(0), s0, e0, -0.2, noun, None))
        return out

    def _entity_candidate(self, qa: QuestionAnalysis, st: Sent, value: str, s: int, e: int, lab: float,
                          noun: str, m: Mention | None) -> Candidate:
        """Score an entity: its sentence, what it is bound to (frame), nearness to the
        question's words, and whether the asked noun stands next to it ("rights group X",
        "X nuclear plant": apposition, the commonest way news introduces a name)."""
        fs = self._frame_score(qa, m) if m is not None else 0.0
        prox = self._proximity(qa, st, (s, e))
        near = 0.0
        if noun:
            text = st.doc.text
            window = fold(text[max(st.start, s - 40): s] + " " + text[e: min(st.end, e + 40)])
            if re.search(r"\b" + re.escape(noun[:5]), window):
                near = 0.12
        # A name that occurs everywhere in the corpus (its main subject) is rarely what a
        # question asks for: weight by idf (Sparck Jones 1972), relative to the rarest word.
        toks = tokenize(value)
        n = max(len(self.local.bm25.ids), 2) if self.local.bm25 is not None else 2
        top = math.log(1 + (n - 0.5) / 1.5)
        rarity = min(1.0, max((self.retriever.idf(t) for t in toks), default=0.0) / top) if toks else 0.0
        score = st.score + 0.3 * fs + 0.1 * prox + lab + near + 0.15 * rarity
        return Candidate(value, st, s, e, score, key=fold(value), mention=m)

    def _author_candidates(self, qa: QuestionAnalysis, sents: Sequence[Sent]) -> list[Candidate]:
        out = []
        for st in sents[:5]:
            a = st.doc.author
            if a:
                # "Who wrote the article about X": the headline says best which article.
                score = max(st.score, 0.3 + 0.5 * self.coverage(qa.focus, _stems(st.doc.title)))
                i = st.doc.text.find(a)
                if i >= 0:
                    s, e = st.doc.sentence_at(i)
                    ast = Sent(st.doc, s, e, 0, st.prior, st.rank, st.score)
                    out.append(Candidate(a, ast, i, i + len(a), score, key=fold(a)))
                else:
                    # The byline was page furniture and cleaned away; the name is the
                    # article's metadata. Cite the headline and say where the name is from.
                    s, e = st.doc.sentence_at(0)
                    ast = Sent(st.doc, s, e, 0, st.prior, st.rank, st.score)
                    out.append(Candidate(a, ast, -1, -1, score - 0.02, key=fold(a),
                                         note="the article's byline"))
        return out

    def _role_candidates(self, qa: QuestionAnalysis, sents: Sequence[Sent]) -> list[Candidate]:
        """A person's title: an apposition after the name ("X, state secretary of Y,") or
        title words before it ("Foreign Minister X")."""
        out = []
        for st in sents[:12]:
            for m in self._mentions_in(st, {"PERSON"}):
                if not any(_name_present(n, _keys(m.text), fold(m.text)) or
                           _keys(n) & _keys(m.text) for n in qa.names):
                    continue
                text = st.doc.text
                after = re.match(r",\s+((?:an?\s+|the\s+)?[^,;.“”\"]{3,90}?),", text[m.end: st.end])
                if after:
                    s = m.end + after.start(1)
                    out.append(Candidate(after.group(1), st, s, s + len(after.group(1)), st.score + 0.2))
                before = re.search(r"((?:[A-Z][\w\-]+\s+){1,5})$", text[st.start: m.start])
                if before:
                    words = before.group(1).split()
                    while words and words[0].lower() in STOPWORDS:
                        words.pop(0)
                    if words:
                        span = " ".join(words)
                        s = text.rfind(span, st.start, m.start)
                        if s >= 0:
                            out.append(Candidate(span, st, s, s + len(span), st.score + 0.1))
        return out

    def quote_candidates(self, qa: QuestionAnalysis, passages: Sequence[Passage], sents: Sequence[Sent],
                         exclude: set[tuple[str, int, int]] | None = None,
                         seen: set[tuple[str, int, int]] | None = None) -> list[Candidate]:
        """Quote-index records as answers. ``exclude``: spans a "what else" follow-up must
        not repeat (the previous answer's main sentence); ``seen``: spans it showed as
        context, used only when nothing new is left."""
        from assistant.answer.quote_match import match_quote
        from assistant.text.names import speakers_match

        exclude = exclude or set()
        seen = seen or set()
        docs: dict[str, Document] = {}
        for p in passages:
            d = self.local.doc(p.doc_id)
            if d is not None:
                docs.setdefault(p.doc_id, d)
        prior = {}
        for p in passages:
            prior.setdefault(p.doc_id, p.score / (passages[0].score or 1.0))
        records = [(d, r) for d in docs.values() for r in d.quotes
                   if not any(x[0] == d.doc_id and x[1] < r.end and x[2] > r.start for x in exclude)]
        out: list[Candidate] = []
        by_pos = {(s.doc.doc_id, s.start): s for s in sents}
        if qa.kind == QuestionKind.SPEAKER and qa.quoted:
            matched = match_quote(qa.quoted, [r for _, r in records])
            for r, sc in matched[:5]:
                d = docs[r.doc_id]
                out.append(self._quote_candidate(qa, d, r, 0.4 + 0.6 * sc, by_pos, speaker=True))
            if out:
                return out
        subject = qa.subject or ""
        # "First Deputy Interior Minister Doe": the name without its title.
        sw = subject.split()
        subjects = [subject]
        if len(sw) > 1 and sw[-1] not in NOUN_LABEL and any(w in NOUN_LABEL for w in sw[:-1]):
            subjects.append(sw[-1])
        qnames = [n for n in qa.names]
        for d, r in records:
            if qa.kind == QuestionKind.QUOTE:
                # Only the asked speaker's words (other names in the question are the topic).
                if subject and not any(speakers_match(r.speaker, x) or speakers_match(r.speaker_text, x)
                                       for x in subjects):
                    continue
                topic = qa.topic or qa.focus
                cov = self.coverage(topic, _stems(r.quote)) if topic else 0.5
                score = 0.45 + 0.4 * cov + 0.15 * prior.get(d.doc_id, 0.0)
            else:
                cov = self.coverage(qa.focus, _stems(r.quote) | _stems(r.speaker_text))
                own = [n for n in qnames if speakers_match(r.speaker, n)]
                score = 0.25 + 0.6 * cov + 0.15 * prior.get(d.doc_id, 0.0) - (0.2 if own else 0.0)
            cand = self._quote_candidate(qa, d, r, score * (0.7 + 0.3 * r.confidence), by_pos,
                                         speaker=qa.kind == QuestionKind.SPEAKER)
            cand.seen = any(x[0] == d.doc_id and x[1] < r.end and x[2] > r.start for x in seen)
            out.append(cand)
        return out

    def _quote_candidate(self, qa: QuestionAnalysis, d: Document, r: QuoteRecord, score: float,
                         by_pos: dict[tuple[str, int], Sent], *, speaker: bool) -> Candidate:
        s, e = d.sentence_at(r.start)
        if qa.kind == QuestionKind.QUOTE:
            # The sentence of the quote that best matches the topic.
            best, best_cov = (s, e), -1.0
            for ss, ee in d.sentences_in(r.start, r.end):
                cov = self.coverage(qa.topic or qa.focus, _stems(d.text[ss:ee]))
                if cov > best_cov:
                    best, best_cov = (ss, ee), cov
            s, e = best
            # A sentence that only restates the question ("X responded to the claim that
            # ...") frames the answer; what was said follows in the same paragraph.
            own = _stems(d.text[s:e])
            novel = own - set(_stems(qa.text)) - _stems(r.speaker) - _FRAMING
            framing = bool(own) and len(novel) / len(own) < 0.5
            extra = self._statement_run(d, r, s, e, QUOTE_SENTENCES if framing else QUOTE_SENTENCES - 1)
            if framing and not extra:
                nxt = [(ss, ee) for ss, ee in d.sentences_in(e, paragraph_of(d, s)[1]) if ss >= e]
                extra = [(d, *nxt[0])] if nxt else []
            st = self._sent_at(by_pos, d, s, e, score)
            value = d.text[s: extra[-1][2] if extra else e]
            return Candidate(value, st, s, e, score, key=f"{d.doc_id}:{r.start}", quote=r, extra_cites=extra)
        st = self._sent_at(by_pos, d, s, e, score)
        if not speaker:
            return Candidate(d.text[s:e], st, s, e, score, key=f"{d.doc_id}:{r.start}", quote=r)
        # The short answer is the speaker's name as written in a sentence we can cite.
        name, ns, ne = self._speaker_mention(d, r)
        extra = []
        if not (s <= ns < e):
            cs, ce = d.sentence_at(ns)
            extra.append((d, cs, ce))
        return Candidate(name, st, ns, ne, score, key=fold(r.speaker), quote=r, extra_cites=extra)

    @staticmethod
    def _sent_at(by_pos: dict[tuple[str, int], Sent], d: Document, s: int, e: int, score: float) -> Sent:
        st = by_pos.get((d.doc_id, s))
        if st is None or st.end != e:
            st = Sent(d, s, e, st.index if st else 0, st.prior if st else 0.0, st.rank if st else 0,
                      st.score if st else 0.0)
        st.score = max(st.score, score)
        return st

    def _statement_run(self, d: Document, r: QuoteRecord, s: int, e: int,
                       limit: int) -> list[tuple[Document, int, int]]:
        """The sentences right after ``s:e`` that carry on the same speaker's statement
        (attributed to the same speaker by the quote index, in the same paragraph), at most
        ``limit``: what someone said about a topic often runs over a few sentences
        ("X warned that ... He asserted that ..."), and a framing sentence ("Turning to
        ..., X said") is no answer without the next."""
        from assistant.text.names import speakers_match

        if limit <= 0:
            return []
        pe = paragraph_of(d, s)[1]
        spans = [(q.start, q.end) for q in d.quotes
                 if q.start < pe and q.end > e and speakers_match(q.speaker, r.speaker)]
        out: list[tuple[Document, int, int]] = []
        words = len(d.text[s:e].split())
        for ss, ee in d.sentences_in(e, pe):
            if ss < e:
                continue
            if len(out) >= limit or words > QUOTE_WORDS or not any(a < ee and b > ss for a, b in spans):
                break
            out.append((d, ss, ee))
            words += len(d.text[ss:ee].split())
        return out

    def _speaker_mention(self, d: Document, r: QuoteRecord) -> tuple[str, int, int]:
        """The fullest written form of the speaker nearest the quote (before it if possible)."""
        text = d.text
        if r.speaker_start >= 0 and fold(r.speaker_text) == fold(r.speaker):
            return text[r.speaker_start: r.speaker_end], r.speaker_start, r.speaker_end
        cands = []
        for form in dict.fromkeys([r.speaker, r.speaker_text, r.speaker.split()[-1] if r.speaker else ""]):
            if not form or fold(form) in {"he", "she", "they", "it", "we", "i"}:
                continue
            for m in re.finditer(re.escape(form), text):
                dist = abs(m.start() - r.start)
                cands.append((-len(form) // 8, dist, m.start(), m.end()))
        if cands:
            _, _, s, e = min(cands)
            return text[s:e], s, e
        if r.speaker_start >= 0:
            return text[r.speaker_start: r.speaker_end], r.speaker_start, r.speaker_end
        return r.speaker, r.start, r.start

    # -- conflicts ---------------------------------------------------------------------------------
    def conflicts(self, qa: QuestionAnalysis, best: Candidate, alts: Sequence[Candidate]) -> list[Candidate]:
        """Other sources giving a different value for the same thing (same unit, close score)."""
        out = [best]
        seen_docs = {best.sent.doc.doc_id}
        for c in alts:
            if c.sent.doc.doc_id in seen_docs or c.key == best.key:
                continue
            if c.score < best.score - 0.15 or not c.sent.years_ok or not self._names_in_doc(qa, c.sent.doc):
                continue
            if best.mention and c.mention and self._frame_score(qa, c.mention) < self._frame_score(qa, best.mention) - 0.2:
                continue  # a figure about something else in the same sentence
            if best.mention and c.mention and fold(best.mention.unit) and fold(c.mention.unit) \
                    and set(tokenize(best.mention.unit)) != set(tokenize(c.mention.unit)):
                continue
            out.append(c)
            seen_docs.add(c.sent.doc.doc_id)
        return out if len(out) > 1 else []

    def _names_in_doc(self, qa: QuestionAnalysis, doc: Document) -> bool:
        """Another source may name the place differently in its sentence ("Warsaw" for
        Poland) but its article must still be about the question's names."""
        keys, folded = doc_words(doc)
        return all(_name_present(n, keys, folded) for n in self.required_names(qa))

    # -- replies ----------------------------------------------------------------------------------
    def _citation(self, n: int, doc: Document, s: int, e: int, score: float,
                  span: tuple[int, int] | None = None) -> Citation:
        a_s, a_e = span if span and s <= span[0] and span[1] <= e else (-1, -1)
        return Citation(n=n, doc_id=doc.doc_id, title=doc.title, publisher=doc.publisher, date=doc.date,
                        quote=doc.text[s:e], start=s, end=e, score=round(score, 4), answer_start=a_s,
                        answer_end=a_e)

    def compose(self, qa: QuestionAnalysis, cand: Candidate, conflicts: Sequence[Candidate], **base: Any) -> Answer:
        citations: list[Citation] = []

        def cite(doc: Document, s: int, e: int, score: float, span: tuple[int, int] | None = None) -> int:
            for c in citations:
                if c.doc_id == doc.doc_id and c.start == s:
                    return c.n
            citations.append(self._citation(len(citations) + 1, doc, s, e, score, span))
            return len(citations)

        st = cand.sent
        confidence = max(0.0, min(1.0, cand.score))
        if conflicts:
            parts = []
            conf_list = []
            for c in conflicts:
                n = cite(c.sent.doc, c.sent.start, c.sent.end, c.score, (c.start, c.end))
                src = ", ".join(x for x in (c.sent.doc.publisher or c.sent.doc.title or c.sent.doc.doc_id,
                                            show_date(c.sent.doc.date)) if x)
                parts.append(f"{c.value} ({src}) [{n}]")
                conf_list.append(Conflict(value=c.value, citation=n, doc_id=c.sent.doc.doc_id,
                                          publisher=c.sent.doc.publisher, date=c.sent.doc.date))
            text = "Sources differ: " + "; ".join(parts) + "."
            return Answer(text=text, answer=cand.value, citations=citations, abstained=False,
                          confidence=round(confidence, 3), conflicts=conf_list, **base)
        n = cite(st.doc, st.start, st.end, cand.score, (cand.start, cand.end))
        extra_ns = [cite(d, s, e, cand.score, (cand.start, cand.end)) for d, s, e in cand.extra_cites]
        markers = "".join(f"[{i}]" for i in [n, *extra_ns])
        if qa.kind in (QuestionKind.QUOTE, QuestionKind.OTHER):
            if cand.quote is not None and qa.kind == QuestionKind.QUOTE:
                # The speaker's own words go in quotation marks; reported speech is the
                # article's wording, not the speaker's, and is shown as written.
                pieces, direct = [], True
                for (ps, pe), m in zip([(st.start, st.end), *[(s, e) for _, s, e in cand.extra_cites]],
                                       [n, *extra_ns], strict=True):
                    words = _quoted_words(st.doc, cand.quote.speaker, ps, pe)
                    if len(words) < 0.4 * (pe - ps):
                        words = ""  # a quoted word or phrase inside reported speech ("called the plan “reckless”")
                    direct = direct and bool(words)
                    pieces.append(f"“{words}” [{m}]" if words else f"{st.doc.text[ps:pe]} [{m}]")
                lead = f"{cand.quote.speaker} said:" if direct else f"{cand.quote.speaker}, as reported:"
                text = f"{lead} {' '.join(pieces)}"
            else:
                text = f"“{cand.value}” {markers}"
        elif qa.kind == QuestionKind.SPEAKER and cand.quote is not None:
            text = f"{cand.value} {markers} — “{_clip(cand.quote.quote, 160)}”"
        else:
            text = f"{cand.value} {markers}"
            if cand.mention is not None and cand.mention.extra.get("relative"):
                text += _relative_note(cand.mention, st.doc)
            if cand.note:
                text += f" (from {cand.note})"
            text += f" — “{_clip(st.text, 220)}”"
        return Answer(text=text, answer=cand.value, citations=citations, abstained=False,
                      confidence=round(confidence, 3), **base)

    def _abstain(self, qa: QuestionAnalysis, passages: Sequence[Passage], why: str, **base: Any) -> Answer:
        citations = []
        lines = [f"The corpus does not say: {why}."]
        if passages:
            lines.append("Closest passages:")
        for i, p in enumerate(passages, start=1):
            doc = self.local.doc(p.doc_id)
            if doc is None:
                continue
            citations.append(self._citation(i, doc, p.sentence_start, p.sentence_end, p.score))
            lines.append(f"[{i}] “{_clip(p.sentence, 160)}” ({doc.publisher or doc.title or doc.doc_id})")
        return Answer(text="\n".join(lines), answer="", abstained=True, citations=citations, confidence=0.0,
                      passages=list(passages), **base)


def _quoted_words(doc: Document, speaker: str, start: int, end: int) -> str:
    """The speaker's directly quoted words inside ``doc.text[start:end]`` ("" if none)."""
    from assistant.text.names import speakers_match

    parts = [doc.text[max(start, r.start): min(end, r.end)].strip("“”\"‘’ ,")
             for r in doc.quotes
             if r.kind == "direct" and r.start < end and r.end > start and speakers_match(r.speaker, speaker)]
    return " … ".join(p for p in parts if p)


def _clip(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def _relative_note(m: Mention, doc: Document) -> str:
    if m.value and not m.extra.get("as_written"):
        return f" (i.e. {m.value}, counted from the article's date {doc.date})"
    if doc.date:
        return f" (as written; the article is dated {show_date(doc.date)})"
    return " (as written; the article gives no date to count from)"
