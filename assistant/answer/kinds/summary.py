"""Summaries ("summarise the article about X", "what is this story about", key
points): the article the question describes, and its 2-4 most central sentences,
each cited, in the article's order.

Which article: the one a learned article model (``summary_article`` in ``forms.json``,
a conditional logit fitted by ``make train`` on natural-train's and the seeds' summary
questions) ranks first over the retrieved articles, from how their headline, lead, text
and best sentence cover the question's words, their retrieval score and rank, and the
publisher or date the question names (``article_rows``). Which sentences: centrality over
tf-idf word vectors (cosine to the article's centroid; Radev et al. 2004, "Centroid-
based summarization") with a lead bias (news puts the gist first; the lead baseline
is hard to beat on news, Nenkova 2005) and a bonus for a paragraph's first sentence,
chosen greedily with a redundancy penalty (maximal marginal relevance; Carbonell &
Goldstein 1998). Headlines repeated in the text, photo captions and short lines
(datelines, "2 min read") are not key points.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from assistant.answer.corpus import coverage, idf
from assistant.answer.evidence import Candidate, Evidence, doc_words, name_present, required_names
from assistant.answer.forms.features import summary_features
from assistant.answer.forms.model import Choice, choice
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.parts import multi, quoted
from assistant.answer.kinds.registry import register
from assistant.models import Document, QuestionKind
from assistant.text.dates import show_date
from assistant.text.folding import fold
from assistant.text.tokens import tokenize

#: Key sentences: 3 by default, 2 for a short article (under ``SHORT`` usable
#: sentences), 4 for a long one (``LONG`` or more). The issue's range (2-4).
KEY_SENTENCES, SHORT, LONG = 3, 6, 20
#: Four key points from an article with this many usable sentences (the issue's 3-4 points;
#: news articles of the polnear corpus have 20-60).
MANY = 12
#: A sentence shorter than this many words is furniture (a dateline, "2 min read").
MIN_WORDS = 6
#: Weights of a sentence: centrality; position: the article's first sentence (the lead),
#: a paragraph's first (its topic sentence), or ``W_INNER / (1 + its place in the
#: paragraph)``; redundancy (cosine to an already chosen sentence) is taken off. Set by
#: hand on the seed articles' structure (lead, paragraphs), not their wording; a decay
#: with the paragraph's place in the article was tried and lost on both eval sets.
W_CENTRAL, W_LEAD, W_PARAGRAPH, W_INNER, W_REDUNDANT = 1.0, 0.5, 0.3, 0.15, 0.7
#: Weight of a sentence's coverage of the question's words. Set by hand.
W_QUERY = 0.3
#: Which article: weight of its coverage of the question's words (headline and lead,
#: the whole text, its best single sentence: a description such as "the speech at the
#: security conference" is often one sentence of the article) and of its best passage's
#: retrieval score; a publisher or a date the question names adds ``W_META``. Set by hand.
#: They order the articles only untrained (the learned ``summary_article`` does), but still
#: give the chosen article's score, the reply's confidence and ``policy.ABSTAIN_BELOW``'s input.
W_TITLE, W_TEXT, W_SENTENCE, W_PRIOR, W_META = 0.3, 0.25, 0.25, 0.2, 0.2
#: A key point is quoted whole up to this many characters (longer is a run-on, not a sentence).
WHOLE = 1000
#: Characters of the lead that count as "the lead" for choosing the article.
LEAD_CHARS = 600

_CAPTION = re.compile(r"\((?:[^()]*/[^()]*|[^()]*\b(?:Getty|AFP|Reuters|AP Photo|Photo|Images)\b[^()]*)\)\s*$")


def _vector(corpus, text: str) -> dict[str, float]:
    tf = Counter(tokenize(text))
    return {t: c * (idf(corpus, t) or 1.0) for t, c in tf.items()}


def _cos(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(t, 0.0) for t, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def usable(doc: Document, s: int, e: int) -> bool:
    """A sentence that can be a key point: long enough, not the headline, not a photo
    caption (one that ends with a credit, or is followed by one: "(Name / AFP)")."""
    text = " ".join(doc.text[s:e].split())
    if len(text.split()) < MIN_WORDS or _CAPTION.search(text):
        return False
    nxt = next(((a, b) for a, b in doc.sentences if a >= e), None)
    if nxt is not None and not doc.text[e: nxt[0]].strip() and re.fullmatch(r"\s*" + _CAPTION.pattern, doc.text[nxt[0]: nxt[1]]):
        return False
    return not (doc.title and _bare_words(text) == _bare_words(doc.title))


def _bare_words(text: str) -> str:
    """Folded words only: the headline repeated with other punctuation ("… dies at 92;") is the headline."""
    return " ".join(re.findall(r"\w+", fold(text)))


def key_point_rows(corpus, doc: Document, focus: Sequence[str] = ()) -> list[tuple[int, int, int, dict[str, float],
                                                                              dict[str, float]]]:
    """(index, start, end, features, tf-idf vector) of each usable sentence of ``doc``."""
    sents = [(i, s, e) for i, (s, e) in enumerate(doc.sentences) if usable(doc, s, e)]
    vecs = {i: _vector(corpus, doc.text[s:e]) for i, s, e in sents}
    centroid: dict[str, float] = {}
    for v in vecs.values():
        for t, x in v.items():
            centroid[t] = centroid.get(t, 0.0) + x
    title = set(tokenize(doc.title))
    rows = []
    inner, para = 0, -2
    for rank, (i, s, e) in enumerate(sents):
        p = doc.text.rfind("\n", 0, s)
        inner = 0 if p != para else inner + 1
        para = p
        x = summary_features(doc, i, s, e, rank=rank, inner=inner, central=_cos(vecs[i], centroid),
                             query=coverage(corpus, focus, set(vecs[i])) if focus else 0.0,
                             title_cover=len(title & set(vecs[i])) / len(title) if title else 0.0)
        rows.append((i, s, e, x, vecs[i]))
    return rows


def _hand_score(x: dict[str, float]) -> float:
    """The untrained fallback: centrality, position and the question's words (the weights above)."""
    position = W_LEAD if x["lead"] else W_PARAGRAPH if x["para_first"] else W_INNER * x["inner"]
    return W_CENTRAL * x["central"] + position + W_QUERY * x["query"]


def key_sentences(corpus, doc: Document, n: int | None = None, focus: Sequence[str] = (),
                  model: Choice | None = None) -> list[tuple[int, int]]:
    """The article's key points (document order): the sentences the learned key-point model
    (``forms.features.summary_features``, fitted on natural-train's summaries) rates likeliest
    to hold a key point, chosen greedily with a redundancy penalty; ``focus``: the question's
    words, which a key point may also cover (query-focused summarisation, as in DUC 2005)."""
    rows = key_point_rows(corpus, doc, focus)
    if not rows:
        return []
    sents = [(i, s, e) for i, s, e, _, _ in rows]
    if n is None:
        n = 2 if len(sents) < SHORT else 4 if len(sents) >= MANY else KEY_SENTENCES
    model = model or choice("summary")
    base = {i: (model.raw(x) if model is not None else _hand_score(x)) for i, _, _, x, _ in rows}
    vecs = {i: v for i, _, _, _, v in rows}
    chosen: list[int] = []
    while len(chosen) < min(n, len(sents)):
        best = max((i for i, _, _ in sents if i not in chosen),
                   key=lambda i: base[i] - W_REDUNDANT * max((_cos(vecs[i], vecs[j]) for j in chosen), default=0.0))
        chosen.append(best)
    spans = {i: (s, e) for i, s, e in sents}
    return [spans[i] for i in sorted(chosen)]


def _meta_match(qa_text: str, doc: Document) -> float:
    """The question names the article's publisher or its date ("Pozirk's October 28 report")."""
    q = fold(qa_text)
    hit = 0.0
    if doc.publisher and fold(doc.publisher) in q:
        hit += 1.0
    shown = show_date(doc.date).split(", year")[0] if doc.date else ""
    if shown and fold(shown) in q:
        hit += 1.0
    return min(hit, 1.0)


#: The article model's inputs (``article_rows``): coverage of the question's words by the
#: headline alone, by the headline and lead, by the whole text, and by its best evidence
#: sentence; its best passage's retrieval score (as a share of the best) and the article's
#: retrieval rank; a publisher or date the question names.
ARTICLE_FEATURES = ("title", "head", "text", "sentence", "prior", "first", "rank", "meta")


def article_rows(ev: Evidence) -> list[tuple[dict[str, float], Document]]:
    """(features, article) of each retrieved article, in retrieval order."""
    top = max((p.score for p in ev.passages), default=1.0) or 1.0
    prior: dict[str, float] = {}
    for p in ev.passages:
        prior[p.doc_id] = max(prior.get(p.doc_id, 0.0), p.score / top)
    best_sentence: dict[str, float] = {}
    for st in ev.sents:
        best_sentence[st.doc.doc_id] = max(best_sentence.get(st.doc.doc_id, 0.0), st.lex)
    out = []
    for rank, (doc_id, pr) in enumerate(prior.items()):
        doc = ev.corpus.doc(doc_id)
        if doc is None:
            continue
        focus = ev.qa.focus
        title = set(tokenize(doc.title))
        head = set(tokenize(doc.title + "\n" + doc.text[:LEAD_CHARS]))
        whole = set(tokenize(doc.title + "\n" + doc.text + "\n" + doc.publisher))
        x = {"title": ev.coverage(focus, title) if focus else 0.0, "head": ev.coverage(focus, head) if focus else 0.0,
             "text": ev.coverage(focus, whole) if focus else 0.0, "sentence": best_sentence.get(doc_id, 0.0),
             "prior": pr, "first": float(rank == 0), "rank": 1.0 / (1 + rank), "meta": _meta_match(ev.qa.text, doc)}
        out.append((x, doc))
    return out


def hand_article_score(x: dict[str, float], has_focus: bool) -> float:
    """The untrained fallback: the hand-set weights above."""
    if not has_focus:
        return x["prior"]
    return (W_TITLE * x["head"] + W_TEXT * x["text"] + W_SENTENCE * x["sentence"] + W_PRIOR * x["prior"]
            + W_META * x["meta"])


def article_scores(ev: Evidence, model: Choice | None = None) -> list[tuple[float, Document]]:
    """The retrieved articles, best match for the question's description first, each with
    its hand-weighted score (the reply's confidence, as before the model). The order is the
    article model's that ``make train`` fits on natural-train's summaries (a conditional logit
    over each question's retrieved articles, ``summary_article``); untrained, the hand score's."""
    model = model or choice("summary_article")
    has_focus = bool(ev.qa.focus)
    rows = article_rows(ev)
    rows.sort(key=lambda r: -(model.raw(r[0]) if model is not None else hand_article_score(r[0], has_focus)))
    return [(hand_article_score(x, has_focus), doc) for x, doc in rows]


@register(QuestionKind.SUMMARY)
class SummaryKind(TypedKind):
    #: The article must hold the question's names (checked here, on the whole article).
    binds_names = False

    def candidates(self, ev: Evidence) -> list[Candidate]:
        names = required_names(ev.corpus, ev.qa)
        out = []
        for score, doc in article_scores(ev):
            keys, folded = doc_words(doc)
            if not all(name_present(n, keys, folded) for n in names):
                continue
            spans = key_sentences(ev.corpus, doc, focus=ev.qa.focus)
            if not spans:
                continue
            # The articles stay in the model's order (candidates are sorted by score later): no
            # article scores above one the model ranks before it.
            score = min(score, out[-1].score) if out else score
            cand = multi(doc.title or doc.doc_id, [(doc, s, e) for s, e in spans], score, key=doc.doc_id)
            out.append(cand)
        return out

    def why_none(self, ev: Evidence) -> str:
        names = required_names(ev.corpus, ev.qa)
        return f"no article found is about {', '.join(names)}" if names else ""

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        doc = cand.sent.doc
        src = ", ".join(x for x in (doc.publisher, show_date(doc.date)) if x)
        head = f'Key points of "{doc.title}"' if doc.title else f"Key points of the article {doc.doc_id}"
        lines = [head + (f" ({src}):" if src else ":")]
        parts = [(cand.sent.start, cand.sent.end), *[(s, e) for _, s, e in cand.extra_cites]]
        for i, ((s, e), n) in enumerate(zip(parts, cite_ns, strict=True), start=1):
            # Whole sentences: a key point is never cut mid-sentence.
            lines.append(f"{i}. {quoted(doc, s, e, n=WHOLE)} [{n}]")
        return "\n".join(lines)
