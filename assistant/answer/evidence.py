"""Evidence for one question: the candidate sentences of the retrieved passages,
each scored by how well it and its paragraph cover the question, and whether it
keeps the names and years the question is about.

Also the small value types every answer kind shares (``Sent``, ``Candidate``,
``Evidence``) and the name-presence checks (spelling-insensitive, by
transliteration key).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.corpus import Corpus, coverage
from assistant.answer.question import NOUN_LABEL, QuestionAnalysis
from assistant.models import Document, Mention, Passage, QuoteRecord
from assistant.text.folding import fold, name_key
from assistant.text.lexicon import STOPWORDS
from assistant.text.terms import article_name_keys, name_keys
from assistant.text.tokens import tokenize

#: Weights of the evidence score of a sentence: coverage of the question's words by the
#: sentence (lex) and by its paragraph and headline (ctx), the retrieval score of its
#: passage (prior), and the share of the question's names present. Set by hand on
#: eval/seeds.jsonl and the benchmarks.
W_LEX, W_CTX, W_PRIOR, W_NAMES = 0.5, 0.15, 0.2, 0.15
#: Taken off the evidence score of a sentence whose surroundings lack a year the question
#: names. Set by hand on eval/seeds.jsonl.
MISSING_YEAR_PENALTY = 0.15
#: Entity labels a question's name must keep in the evidence (a nationality adjective need not).
REQUIRED_LABELS = frozenset({"PERSON", "GPE", "ORG", "LOC", "FAC", "EVENT"})
#: Shortest folded prefix that counts as a derived form of a place name ("Africa" in
#: "African", "Europe" in "European"): 5 letters, on names of 6 or more. Set by hand.
DERIVED_PREFIX, DERIVED_MIN_LEN = 5, 6


# -- value types ------------------------------------------------------------------------------
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


@dataclass
class Evidence:
    """Everything an answer kind reads to propose candidates for one question."""

    qa: QuestionAnalysis
    corpus: Corpus
    passages: list[Passage]
    sents: list[Sent]
    #: What the conversation so far adds (``dialogue.rewrite``'s context).
    dialogue: dict[str, Any] = field(default_factory=dict)

    def coverage(self, want: Sequence[str], have: set[str]) -> float:
        return coverage(self.corpus, want, have)


# -- text helpers -----------------------------------------------------------------------------
def stems(text: str) -> set[str]:
    return set(tokenize(text))



def paragraph_of(doc: Document, pos: int) -> tuple[int, int]:
    """The line (paragraph) around ``pos``; news text keeps one paragraph per line."""
    s = doc.text.rfind("\n", 0, pos) + 1
    e = doc.text.find("\n", pos)
    return s, (len(doc.text) if e < 0 else e)


def doc_words(doc: Document) -> tuple[set[str], str]:
    """Name keys and folded text of a whole article (title included), computed once per
    loaded document rather than on every question that touches it."""
    cached = doc.annotations.get("_words")
    if cached is None:
        cached = (article_name_keys(doc.title, doc.text, doc.annotations), fold(doc.title + "\n" + doc.text))
        doc.annotations["_words"] = cached
    return cached


def name_present(name: str, keys: set[str], folded: str) -> bool:
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
    return (len(f) >= DERIVED_MIN_LEN and f[:DERIVED_PREFIX] in folded
            and re.search(r"\b" + re.escape(f[:DERIVED_PREFIX]), folded) is not None)


def name_in_paragraph(name: str, st: Sent) -> bool:
    """The name stands in the sentence's paragraph or the article's headline."""
    ps, pe = paragraph_of(st.doc, st.start)
    t = st.doc.text[ps:pe] + "\n" + st.doc.title
    return name_present(name, name_keys(t), fold(t))


def names_in_doc(corpus: Corpus, qa: QuestionAnalysis, doc: Document) -> bool:
    """Another source may name the place differently in its sentence ("Warsaw" for
    Poland) but its article must still be about the question's names."""
    keys, folded = doc_words(doc)
    return all(name_present(n, keys, folded) for n in required_names(corpus, qa))


def required_names(corpus: Corpus, qa: QuestionAnalysis) -> list[str]:
    """Question names the evidence must mention: people, places, organisations (by
    the label the corpus's NER gave them), not nationality adjectives."""
    if qa.required is not None:
        return qa.required
    aliases = corpus.aliases
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
    qa.required = out
    return out


# -- scoring ----------------------------------------------------------------------------------
def candidate_sentences(corpus: Corpus, qa: QuestionAnalysis, passages: Sequence[Passage]) -> list[Sent]:
    """The sentences of ``passages``, scored (``score_sentence``), best first."""
    seen: dict[tuple[str, int], Sent] = {}
    top = max((p.score for p in passages), default=1.0) or 1.0
    for p in passages:
        doc = corpus.doc(p.doc_id)
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
        score_sentence(corpus, qa, st)
    sents.sort(key=lambda x: -x.score)
    return sents


def score_sentence(corpus: Corpus, qa: QuestionAnalysis, st: Sent) -> None:
    doc = st.doc
    own = stems(st.text)
    ps, pe = paragraph_of(doc, st.start)
    ctx_text = doc.text[ps:pe] + "\n" + doc.title
    ctx = stems(ctx_text) | own
    st.lex = coverage(corpus, qa.focus, own)
    ctx_cov = coverage(corpus, qa.focus, ctx)
    names = required_names(corpus, qa)
    if names:
        keys, folded = name_keys(ctx_text), fold(ctx_text)
        st.names_ok = sum(name_present(n, keys, folded) for n in names) / len(names)
    if qa.years:
        # "the 2019 strike" is often dated by the paragraph before the one quoted.
        prev = paragraph_of(doc, max(0, ps - 1))[0] if ps > 0 else ps
        prev = paragraph_of(doc, max(0, prev - 1))[0] if prev > 0 and not doc.text[prev:ps].strip() else prev
        window = doc.text[prev:pe] + "\n" + doc.title + " " + doc.date
        st.years_ok = all(y in window for y in qa.years)
    st.score = W_LEX * st.lex + W_CTX * ctx_cov + W_PRIOR * st.prior + W_NAMES * st.names_ok
    if not st.years_ok:
        st.score -= MISSING_YEAR_PENALTY
