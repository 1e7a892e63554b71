"""Features of learned answer selection: pure functions of the question (its analysis and
asked-on date), the retrieved passages, the documents and the corpus statistics.

The same functions build the training rows (``assistant.evaluation.training``) and score a
question at run time, so a model sees at run time exactly what it was fitted on.

Three levels: ``doc_features`` (one row per retrieved document, for the document
re-ranker), ``sentence_features`` (one row per sentence of a top document's retrieved
passages, for the sentence ranker), ``reply_features`` (one row per question: the top
sentence against the rule pipeline's typed answer, for the reply decision).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.corpus import UNSEEN_WORD_WEIGHT, Corpus, coverage, related, weight
from assistant.answer.evidence import doc_words, name_keys, name_present, paragraph_of
from assistant.answer.kinds.entity import ENTITY_LABELS
from assistant.answer.question import NOUN_LABEL, QuestionAnalysis
from assistant.models import Answer, Document, Passage, QuestionKind
from assistant.text.folding import fold
from assistant.text.terms import article_stems
from assistant.text.tokens import tokenize

#: Date buckets, in days between the document's date and the asked-on date. A document dated
#: up to DAY_SLACK days after it still counts as that week (time zones; a publication date that
#: is not the event's). WEEK_DAYS: weekly news quizzes ask about "this week"; MONTH_DAYS and
#: YEAR_DAYS are calendar scales. None was tuned.
DAY_SLACK, WEEK_DAYS, MONTH_DAYS, YEAR_DAYS = 1, 7, 31, 365
#: The asked-on date counts only if some retrieved document lies within this many days of it;
#: otherwise (an archive question, or today's date on an old corpus) every date feature is off
#: and ``d_noinfo`` is on, exactly as with no date. Without this, today's date on an archive made
#: the re-ranker prefer the newest articles (realtimeqa validation R@1 0.13 instead of 0.65).
USABLE_DAYS = MONTH_DAYS
#: Mention labels that can answer a who-said-what question.
SPEAKER_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE"})
#: Cap on the count of new (not-in-question) mentions in a sentence.
NEW_MENTION_CAP = 3
#: A document with more sentences than this is an article, not a brief: realtimeqa snippets
#: have 1-6 sentences, 95% of polnear articles 9 or more, the seed articles 15-22. Lead
#: position means less in an article and the typed pick more (the ``*_long`` interactions).
LONG_DOC_SENTENCES = 8
#: Sentence features that also enter multiplied by ``doc_long``.
LONG_INTERACTIONS = ("s_first", "s_pos", "s_cov", "s_type", "typed_in")
#: Product kinds, one-hot in the reply features.
KINDS = ("date", "figure", "entity", "speaker", "quote", "other")


# -- small pure helpers -------------------------------------------------------------------------------
def missing_idf(corpus: Corpus, want: Sequence[str], have: set[str]) -> float:
    """The rarest question word the text lacks, as its weight over ``UNSEEN_WORD_WEIGHT``
    (0: nothing missing; 1: a word the corpus never uses). A near-miss story differs in one
    rare word."""
    have_c = {related(t) for t in have}
    miss = [weight(corpus, t) for t in want if t not in have and related(t) not in have_c]
    return min(max(miss, default=0.0), UNSEEN_WORD_WEIGHT) / UNSEEN_WORD_WEIGHT


def parse_date(s: str | None) -> dt.date | None:
    """An ISO date, full or partial (YYYY-MM -> the 15th, YYYY -> July 1); None otherwise,
    including ``--MM-DD`` (a day whose year is not stated)."""
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", (s or "").strip())
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2) or 7), int(m.group(3) or (15 if m.group(2) else 1))
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def days_before(doc_date: str, asked_on: str | None) -> int | None:
    """Asked-on date minus document date, in days (positive: the document is older)."""
    a, d = parse_date(asked_on), parse_date(doc_date)
    return None if a is None or d is None else (a - d).days


def date_bucket(days: int | None) -> str:
    """'future' | 'week' | 'month' | 'year' | 'old' | 'none'."""
    if days is None:
        return "none"
    if days < -DAY_SLACK:
        return "future"
    if days <= WEEK_DAYS:
        return "week"
    if days <= MONTH_DAYS:
        return "month"
    return "year" if days <= YEAR_DAYS else "old"


def question_names(qa: QuestionAnalysis) -> list[str]:
    """The question's names minus words that only describe the answer ("which *African* country")."""
    desc = set(qa.descriptors)
    out = []
    for n in qa.names:
        words = [w for w in n.split() if w not in desc]
        if words:
            out.append(" ".join(words))
    return out


def names_share(names: Sequence[str], text: str, words: tuple[set[str], str] | None = None) -> float:
    """Share of ``names`` present in ``text``; ``words``: its name keys and folded form when
    already at hand (a whole article's, ``evidence.doc_words``)."""
    if not names:
        return 0.0
    keys, folded = words or (name_keys(text), fold(text))
    return sum(name_present(n, keys, folded) for n in names) / len(names)


def share_present(items: Sequence[str], text: str) -> float:
    """Share of literal strings (years, numbers) in ``text`` on digit boundaries."""
    if not items:
        return 0.0
    t = fold(text).replace(",", "")
    return sum(bool(re.search(r"(?<!\d)" + re.escape(fold(x).replace(",", "")) + r"(?!\d)", t))
               for x in items) / len(items)


def doc_stems(doc: Document) -> tuple[set[str], set[str]]:
    """Search stems of the whole article (title included) and of its lead (title and first two
    sentences), computed once per loaded document."""
    cached = doc.annotations.get("_stems")
    if cached is None:
        cached = article_stems(doc.title, doc.text, doc.sentences, doc.annotations)
        doc.annotations["_stems"] = cached
    return cached


# -- documents ----------------------------------------------------------------------------------
@dataclass
class DocCand:
    """A retrieved document: its best passage's rank and scores, and its passages' spans."""

    doc_id: str
    best_rank: int
    fused: float
    dense: float
    bm25: float
    spans: list[tuple[int, int]] = field(default_factory=list)


def group_passages(passages: Sequence[Passage]) -> list[DocCand]:
    """Ranked passages grouped by document, in the retriever's order."""
    out: dict[str, DocCand] = {}
    for p in passages:
        c = out.get(p.doc_id)
        sc = p.scores
        if c is None:
            out[p.doc_id] = DocCand(p.doc_id, p.rank, sc.get("fused", p.score), sc.get("dense", 0.0),
                                    sc.get("bm25", 0.0), [(p.start, p.end)])
        else:
            c.spans.append((p.start, p.end))
            c.dense, c.bm25 = max(c.dense, sc.get("dense", 0.0)), max(c.bm25, sc.get("bm25", 0.0))
    return list(out.values())


#: Document features that do not depend on the asked-on date (stage 1 of the re-ranker).
DOC_FEATURES = (
    "r_inv", "r_top1", "fused", "fused_gap", "dense", "dense_gap", "bm25_rel", "dense_top1", "bm25_top1",
    "n_pass", "has_title", "title_cov", "doc_cov", "lead_cov", "has_names", "names_doc", "has_years",
    "years_doc", "has_nums", "nums_doc", "miss_idf",
)
#: Those that do (stage 2 adds them to stage 1's score).
DATE_FEATURES = ("d_noinfo", "d_week", "d_month", "d_year", "d_old", "d_future", "d_nearest", "d_week_top1")


def doc_features(corpus: Corpus, qa: QuestionAnalysis, cands: Sequence[DocCand], docs: dict[str, Document],
                 asked_on: str | None, usable_days: float = USABLE_DAYS) -> list[dict[str, float]]:
    """One row per candidate document (each must be in ``docs``)."""
    if not cands:
        return []
    top_f = max(c.fused for c in cands)
    top_d = max(c.dense for c in cands)
    top_b = max(c.bm25 for c in cands) or 1.0
    d_top = max(cands, key=lambda c: c.dense).doc_id
    b_top = max(cands, key=lambda c: c.bm25).doc_id
    names = question_names(qa)
    days = [days_before(docs[c.doc_id].date, asked_on) for c in cands]
    usable = asked_on is not None and any(d is not None and abs(d) <= usable_days for d in days)
    near = min((abs(d) for d in days if d is not None), default=None)
    week = [c for c, d in zip(cands, days, strict=True) if usable and date_bucket(d) == "week"]
    week_top = max(week, key=lambda c: c.fused).doc_id if week else None
    rows = []
    for c, dd in zip(cands, days, strict=True):
        doc = docs[c.doc_id]
        full = doc.title + "\n" + doc.text
        stems, lead = doc_stems(doc)
        b = date_bucket(dd) if usable else "none"
        rows.append({
            "r_inv": 1.0 / c.best_rank, "r_top1": float(c.best_rank == 1),
            "fused": c.fused, "fused_gap": top_f - c.fused,
            "dense": c.dense, "dense_gap": top_d - c.dense, "bm25_rel": c.bm25 / top_b,
            "dense_top1": float(c.doc_id == d_top), "bm25_top1": float(c.doc_id == b_top),
            "n_pass": math.log1p(len(c.spans)),
            "has_title": float(bool(doc.title.strip())),
            "title_cov": coverage(corpus, qa.focus, set(tokenize(doc.title))) if doc.title else 0.0,
            "doc_cov": coverage(corpus, qa.focus, stems), "lead_cov": coverage(corpus, qa.focus, lead),
            "has_names": float(bool(names)), "names_doc": names_share(names, full, doc_words(doc)) if names else 0.0,
            "has_years": float(bool(qa.years)), "years_doc": share_present(qa.years, full + " " + doc.date),
            "has_nums": float(bool(qa.numbers)), "nums_doc": share_present(qa.numbers, full),
            "miss_idf": missing_idf(corpus, qa.focus, stems),
            "d_noinfo": float(b == "none"), "d_week": float(b == "week"), "d_month": float(b == "month"),
            "d_year": float(b == "year"), "d_old": float(b == "old"), "d_future": float(b == "future"),
            "d_nearest": float(usable and dd is not None and abs(dd) == near),
            "d_week_top1": float(c.doc_id == week_top),
        })
    return rows


# -- sentences ----------------------------------------------------------------------------------
#: Sentence features (before the document context and long-article interactions are added).
SENT_FEATURES = (
    "s_first", "s_second", "s_pos", "s_para_first", "s_cov", "p_cov", "s_names", "p_names", "s_years",
    "s_novel", "s_len", "s_type", "s_newent", "s_quote", "s_quote_frag", "s_speaker_in", "s_speaker_q",
)
#: What the sentence ranker reads: the above, the document's re-ranked standing, whether the
#: rule pipeline's typed answer stands in it, and the long-article interactions.
SENT_MODEL_FEATURES = (*SENT_FEATURES, "doc_p", "doc_pgap", "doc_rinv", "typed_in", "doc_long",
                       *(f"{f}_long" for f in LONG_INTERACTIONS))


@dataclass(frozen=True)
class QuestionContext:
    """Per-question values the sentence features need (computed once per question)."""

    stems: frozenset[str]
    keys: frozenset[str]
    want: frozenset[str]
    names: tuple[str, ...]
    fragment: frozenset[str]


def question_context(qa: QuestionAnalysis) -> QuestionContext:
    if qa.kind == QuestionKind.DATE:
        want = frozenset({"DATE"})
    elif qa.kind == QuestionKind.FIGURE:
        want = frozenset({"FIGURE"})
    elif qa.kind == QuestionKind.ENTITY:
        want = frozenset(qa.labels) or ENTITY_LABELS
    elif qa.kind == QuestionKind.SPEAKER:
        want = SPEAKER_LABELS
    else:
        want = ENTITY_LABELS | {"DATE", "FIGURE"}
    return QuestionContext(frozenset(tokenize(qa.text)), frozenset(name_keys(qa.text)), want,
                           tuple(question_names(qa)), frozenset(tokenize(qa.quoted)) if qa.quoted else frozenset())


def doc_sentences(doc: Document, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(index, start, end) of the document's sentences that overlap the retrieved spans."""
    return [(i, s, e) for i, (s, e) in enumerate(doc.sentences) if any(s < pe and e > ps for ps, pe in spans)]


def sentence_features(corpus: Corpus, qa: QuestionAnalysis, qc: QuestionContext, doc: Document, idx: int,
                      start: int, end: int) -> dict[str, float]:
    """Features of the sentence ``doc.text[start:end]``, the ``idx``-th of its document."""
    sent = doc.text[start:end]
    own = set(tokenize(sent))
    ps, pe = paragraph_of(doc, start)
    para = doc.text[ps:pe] + "\n" + doc.title
    mentions = [m for m in doc.mentions if start <= m.start and m.end <= end]
    new = [m for m in mentions if not ((k := name_keys(m.text)) and k <= qc.keys)]
    quotes = [r for r in doc.quotes if r.start < end and r.end > start]
    ntok = len(own)
    speaker_in = float(any(start <= r.speaker_start < end for r in quotes))
    return {
        "s_first": float(idx == 0), "s_second": float(idx == 1), "s_pos": math.log1p(idx),
        "s_para_first": float(start <= ps + 1),
        "s_cov": coverage(corpus, qa.focus, own),
        "p_cov": coverage(corpus, qa.focus, own | set(tokenize(para))),
        "s_names": names_share(qc.names, sent), "p_names": names_share(qc.names, para),
        "s_years": share_present(qa.years, para + " " + doc.date),
        "s_novel": len(own - qc.stems) / ntok if ntok else 0.0, "s_len": math.log1p(ntok),
        "s_type": float(any(m.kind in qc.want for m in new)),
        "s_newent": min(len(new), NEW_MENTION_CAP) / NEW_MENTION_CAP,
        "s_quote": float(bool(quotes)),
        "s_quote_frag": len(qc.fragment & own) / len(qc.fragment) if qc.fragment else 0.0,
        "s_speaker_in": speaker_in,
        # The same, only for who-said-what questions (where the speaker's name is the answer).
        "s_speaker_q": speaker_in if qa.kind == QuestionKind.SPEAKER else 0.0,
    }


def with_context(row: dict[str, float], doc_p: float, doc_pgap: float, doc_rank: int, typed_in: bool,
                 n_sentences: int) -> dict[str, float]:
    """Add the document's standing, ``typed_in`` and the long-article interactions."""
    row = dict(row, doc_p=doc_p, doc_pgap=doc_pgap, doc_rinv=1.0 / doc_rank, typed_in=float(typed_in))
    long = float(n_sentences > LONG_DOC_SENTENCES)
    row["doc_long"] = long
    for f in LONG_INTERACTIONS:
        row[f"{f}_long"] = row[f] * long
    return row


# -- the reply ----------------------------------------------------------------------------------
#: What the reply models read.
REPLY_FEATURES = (
    "sent_p", "sent_pgap", "doc_p", "doc_pgap", "s_cov", "p_cov", "s_names", "p_names", "s_type", "s_first",
    "names_doc", "has_names", "doc_cov", "d_noinfo", "d_week", "dense", "fused_gap", "r_inv",
    "q_quoted", "q_noun_known", "doc_nsent", "doc_long", "p_conf_long", "p_abst", "p_conf",
    "typed_in_top", "typed_same_doc", "r_never", "r_names", "r_years", "r_weak", "r_nokind",
    "years_missing", "names_missing", *(f"k_{k}" for k in KINDS),
)


def reason_flags(reason: str) -> dict[str, float]:
    """Which of the rule pipeline's abstention reasons it gave ("" when it answered)."""
    return {"r_never": float("never mentions" in reason), "r_names": float("do not mention" in reason),
            "r_years": float("do not concern" in reason), "r_weak": float("too weak" in reason),
            "r_nokind": float("of the kind asked" in reason)}


def typed_in(rule: Answer, doc_id: str, start: int, end: int) -> bool:
    """The rule pipeline's typed answer (its first citation) lies in this sentence."""
    c = rule.citations[0] if rule.citations and not rule.abstained else None
    return c is not None and c.doc_id == doc_id and start <= c.start < end


def reply_features(qa: QuestionAnalysis, rule: Answer, top: dict[str, float], second_p: float,
                   top_doc: dict[str, float], doc_id: str, start: int, end: int, doc_nsent: int,
                   sent_p: float) -> dict[str, float]:
    """One row per question: the top sentence (``top``: its sentence-model row; ``sent_p``
    its probability; ``second_p`` the runner-up's), its document's row, and the rule answer."""
    c = rule.citations[0] if rule.citations and not rule.abstained else None
    reason = rule.text.split("\n")[0] if rule.abstained else ""
    conf = float(rule.confidence)
    return {
        "sent_p": sent_p, "sent_pgap": sent_p - second_p,
        **{k: top[k] for k in ("doc_p", "doc_pgap", "s_cov", "p_cov", "s_names", "p_names", "s_type", "s_first")},
        **{k: top_doc[k] for k in ("names_doc", "has_names", "doc_cov", "d_noinfo", "d_week", "dense",
                                   "fused_gap", "r_inv")},
        "q_quoted": float(bool(qa.quoted)), "q_noun_known": float(qa.unit in NOUN_LABEL),
        "doc_nsent": math.log1p(doc_nsent), "doc_long": top["doc_long"], "p_conf_long": conf * top["doc_long"],
        "p_abst": float(rule.abstained), "p_conf": conf,
        "typed_in_top": float(typed_in(rule, doc_id, start, end)),
        "typed_same_doc": float(c is not None and c.doc_id == doc_id),
        **reason_flags(reason), **{f"k_{k}": float(qa.kind.value == k) for k in KINDS},
        # A near miss: the question names a year, or a name, that the chosen sentence's
        # paragraph does not (another year's figure, another country's).
        "years_missing": top_doc["has_years"] * (1.0 - top["s_years"]),
        "names_missing": top_doc["has_names"] * (1.0 - top["p_names"]),
    }


def as_rows(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> list[list[float]]:
    return [[float(r.get(n, 0.0)) for n in names] for r in rows]
