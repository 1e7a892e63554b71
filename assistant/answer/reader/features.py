"""Features of the reader's span model: pure functions of the question, one span
candidate, the ranked sentences it competes across and the rule pipeline's answer.

The same functions build the training rows (``assistant.evaluation.training.reader``)
and score spans at run time, so the model sees at run time what it was fitted on.

What the question asks for is read without a model: the answer kind of the rule table
(``question.classify``), the wh-word, and the head noun after "which"/"what" ("which
*capital*", "what NFL *star*"), mapped to an entity label where the noun names one.
What the span is comes from its sources (a mention's label, a quote's speaker, a content
run). The model learns which pairs fit from the cross features ``x_<asks>_<is>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.answer.corpus import Corpus, idf
from assistant.answer.evidence import name_keys
from assistant.answer.kinds.figure import unit_score
from assistant.answer.question import NOUN_LABEL, QuestionAnalysis, singular_noun
from assistant.answer.reader.extractive import SentenceLogits, span_score
from assistant.answer.reader.spans import Span
from assistant.answer.selection.selector import Ranked
from assistant.models import Answer, Document, QuestionKind
from assistant.text.folding import fold
from assistant.text.lexicon import STOPWORDS
from assistant.text.numbers import UNIT_WORDS
from assistant.text.tokens import tokenize

#: What a question can ask for (``asks``), and what a span can be (``group``).
ASKS = ("person", "org", "place", "norp", "date", "count", "money", "percent", "thing", "none")
GROUPS = ("person", "org", "place", "norp", "thing", "date", "figure", "speaker", "caps", "phrase")
#: Mention labels -> span group.
LABEL_GROUP = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place", "NORP": "norp",
               "EVENT": "thing", "PRODUCT": "thing", "WORK_OF_ART": "thing", "LAW": "thing", "LANGUAGE": "norp",
               "DATE": "date", "FIGURE": "figure", "SPEAKER": "speaker"}
#: Entity label of the head noun -> what the question asks for.
LABEL_ASKS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place", "NORP": "norp",
              "EVENT": "thing"}
#: Question kinds whose answer is a statement, not a span: "what did X say about Y"
#: (the quote is the answer), why/how, a summary. The reply gives sentences for them.
STATEMENT_KINDS = frozenset({QuestionKind.QUOTE, QuestionKind.REASON, QuestionKind.SUMMARY})
#: Longest wh-phrase ``head_phrase`` reads, in words ("branch of the US military").
PHRASE_WORDS = 5
#: Words after "which"/"what" that never head the asked noun ("which *of* these", "what
#: *kind of* product": the noun after "of" is the head).
_HEAD_SKIP = frozenset({"kind", "type", "sort", "brand", "make", "one", "ones", "of", "form", "variety", "name"})
#: Verbs that end the noun group after "which"/"what" ("which country *has* ...").
_AUX_VERBS = frozenset({"has", "have", "had", "did", "does", "do", "is", "are", "was", "were", "will", "would",
                        "can", "could", "should", "may", "might", "must"})
#: Words around a span (each side) searched for the asked head noun in apposition
#: ("the virus monkeypox", "Oklahoma's state legislature"). The usual width of an
#: appositive or pre-modifier; not tuned.
HEAD_WINDOW = 4
#: Words around a span searched for the question's words.
NEAR_WINDOW = 8
#: Content words on each side of the wh-phrase, and of a span, compared for alignment (a
#: clause's worth; not tuned).
ALIGN_WINDOW = 3
#: Characters over which proximity to the question's words halves (as ``binding.PROXIMITY_SCALE``).
PROXIMITY_SCALE = 25.0


@dataclass(frozen=True)
class QuestionFrame:
    """What the span features need of the question (computed once per question)."""

    asks: str
    wh: str
    head: str  # the head noun's stem ("" if none)
    labels: tuple[str, ...]
    stems: frozenset[str]
    focus: frozenset[str]
    keys: frozenset[str]
    quoted: frozenset[str]
    #: Content stems just before and just after the wh-phrase ("send 20,000 | of which
    #: animal | to Germany"): an answer in a sentence stands between the same words.
    left: frozenset[str] = frozenset()
    right: frozenset[str] = frozenset()
    #: The noun phrase a which/what question asks about, as written ("US national park" in
    #: "which US national park"; ``head_phrase``); "" without one.
    phrase: str = ""
    #: How many items the question asks for (``items_asked``): 1, the number it names
    #: ("which two companies"), or ``MANY_ITEMS`` for a plural head noun without one.
    items: int = 1


def head_noun(text: str) -> str:
    """The noun the question asks about after "which"/"what" ("which tech *company*",
    "what biological *materials*"), lower-cased and unstemmed, or "". Without a tagger: the
    last of up to four words before a function word, a verb-like ending (-ed, -ing, -ly)
    or punctuation; "kind of", "type of" pass on to the noun after them."""
    m = re.search(r"\b(?:which|what|whose)\s+([^?.,;:!]*)", text.lower())
    if not m:
        return ""
    head = ""
    for w in re.findall(r"[\w'’-]+", m.group(1))[:4]:
        w = w.strip("'’")
        if w in _HEAD_SKIP:
            head = ""
            continue
        if w in STOPWORDS or w.endswith(("ed", "ing", "ly")) or w in _AUX_VERBS:
            break
        head = w
    return head


#: "which two companies", "what three countries", "which both": a number of items asked for.
_COUNTED = re.compile(r"\b(?:which|what)\s+(two|three|four|five|six|seven|eight|nine|ten|both)\s", re.I)
#: A negated auxiliary ("won't", "don’t"): it ends the asked noun group as "does" would.
_NEGATED = re.compile(r"\b\w+n[’']t\b", re.I)
#: Prepositions a plural noun group ends with ("which facilities *in* the US").
_PLURAL_FOLLOWERS = frozenset({"in", "of", "at", "from", "on", "for", "with", "by", "across", "near", "does"})
#: Items a plural head noun without a number asks for at most ("which countries"): a
#: coordination in a news sentence rarely names more.
MANY_ITEMS = 5
#: Head nouns ending in -s that are not plurals ("which series", "what news").
_NOT_PLURAL = frozenset({"news", "series", "species", "means", "headquarters", "gas", "bias", "canvas", "atlas",
                         "lens", "whereabouts", "odds"})


def items_asked(text: str) -> int:
    """How many items a question asks for: the number it names after "which"/"what"
    ("which *two* automakers" -> 2, "both" -> 2), ``MANY_ITEMS`` when the asked noun is a
    plural ("which *countries* did ...", "what *sports* won't ..."), else 1. Without a
    tagger a plural is an -s head noun (not -ss, -us, -is, -ics, -ous, nor an invariant
    noun) followed by what follows a plural subject or object: an auxiliary, a past
    tense, a preposition or the end. "Which airline *plans* to", "which airport *says* it":
    an -s verb is followed by something else."""
    m = _COUNTED.search(text)
    if m:
        w = m.group(1).lower()
        return 2 if w == "both" else UNIT_WORDS[w]
    plain = _NEGATED.sub(" does ", text)  # "what sports won't appear": "sports" + an auxiliary
    head = head_noun(plain)
    if (len(head) <= 3 or not head.endswith("s") or head in _NOT_PLURAL
            or head.endswith(("ss", "us", "is", "ics", "ous", "'s", "’s"))):
        return 1
    m = re.search(r"\b(?:which|what|whose)\b.*?\b" + re.escape(head) + r"\b\W*(\w*)", plain.lower())
    after = m.group(1) if m else ""
    return MANY_ITEMS if (not after or after in _AUX_VERBS or after in _PLURAL_FOLLOWERS
                          or after.endswith("ed")) else 1


def head_phrase(text: str) -> str:
    """The noun phrase a "which"/"what" question asks about, as written ("US national
    park" in "in which US national park recently ...", "branch of the military"); "" when
    the wh-word is not followed by one. Without a tagger: up to ``PHRASE_WORDS`` words after
    the wh-word, ended by punctuation, an auxiliary, a verb-like ending (-ed, -ing, -ly) or a
    lower-case function word other than "of"/"the" inside the phrase. A verb without such an
    ending runs on ("storm hit Britain" in "which storm hit Britain"); the re-ranker that
    reads it was fitted with those (``rerank.head_sims``)."""
    m = re.search(r"\b(?:which|what|whose)\s+", text, re.I)
    if not m:
        return ""
    words: list[str] = []
    for w in re.findall(r"[\w'’&.-]+|[^\w\s]", text[m.end():])[:PHRASE_WORDS]:
        low = w.lower()
        if not re.match(r"\w", w) or low in _AUX_VERBS or (w.islower() and low.endswith(("ed", "ing", "ly"))):
            break
        if w.islower() and low in STOPWORDS and not (words and low in ("of", "the")):
            break
        words.append(w)
    while words and words[-1].lower() in ("of", "the"):
        words.pop()
    return " ".join(words)


def _wh_context(text: str, head: str) -> tuple[frozenset[str], frozenset[str]]:
    """Stems of the ``ALIGN_WINDOW`` content words before the wh-word and after the
    wh-phrase (the wh-word and its head noun)."""
    m = re.search(r"\b(?:which|what|whose|whom|who|where|when|how (?:many|much))\b", text, re.I)
    if not m:
        return frozenset(), frozenset()
    end = m.end()
    if head:
        h = text.lower().find(head, end)
        if 0 <= h - end <= 40:
            end = h + len(head)
    before = tokenize(text[:m.start()])[-ALIGN_WINDOW:]
    after = tokenize(text[end:])[:ALIGN_WINDOW]
    return frozenset(before), frozenset(after)


def question_frame(qa: QuestionAnalysis) -> QuestionFrame:
    text = qa.text
    low = text.lower()
    wh = next((w for w in ("how many", "how much", "who", "whom", "whose", "when", "where", "which", "what")
               if re.search(r"\b" + w + r"\b", low)), "")
    head = singular_noun(head_noun(text))
    label = NOUN_LABEL.get(head, "")
    kind = qa.kind
    if kind in STATEMENT_KINDS:
        asks = "none"
    elif kind == QuestionKind.SPEAKER:
        asks = "person"
    elif kind == QuestionKind.DATE or (wh == "when" and kind == QuestionKind.OTHER):
        asks = "date"
    elif kind == QuestionKind.FIGURE or wh in ("how many", "how much"):
        asks = {"percent": "percent", "money": "money"}.get(qa.unit, "count")
    elif kind == QuestionKind.ENTITY and qa.labels:
        asks = LABEL_ASKS.get(qa.labels[0], "thing")
    elif label:
        asks = LABEL_ASKS.get(label, "thing")
    elif wh in ("who", "whom", "whose"):
        asks = "person"
    elif wh == "where":
        asks = "place"
    elif wh in ("which", "what"):
        asks = "thing"
    else:
        asks = "none"
    labels = tuple(qa.labels) or ((label,) if label else ())
    head_stem = tokenize(head)[0] if head and tokenize(head) else ""
    left, right = _wh_context(text, head_noun(text))
    return QuestionFrame(asks, wh, head_stem, labels, frozenset(tokenize(text)), frozenset(qa.focus),
                         frozenset(name_keys(" ".join(qa.names)) | name_keys(text)),
                         frozenset(tokenize(qa.quoted)) if qa.quoted else frozenset(), left, right,
                         head_phrase(text), items_asked(text))


#: Span features, before the cross features.
BASE_FEATURES = (
    "sent_p", "sent_rinv", "sent_top", "doc_p", "outside",
    *(f"g_{g}" for g in GROUPS), "label_first", "label_listed",
    "unit_ok", "unit_bad", "frame", "gran_bad",
    "q_share", "q_all", "q_name", "prox", "near",
    "head_near", "head_in", "align_left", "align_right", "at_start", "rel_pos", "n_words", "long", "caps", "digit", "quoted", "rarity",
    "agree", "agree_n", "rule_same", "rule_in", "rule_key", "rule_conf", "meta",
    "sp_frag", "sp_conf", "sp_in_sent",
)
#: Cross features: what the question asks for x what the span is.
CROSS_FEATURES = tuple(f"x_{a}_{g}" for a in ASKS for g in GROUPS)
#: The extractive reader's score of the span (``extractive``): its own, its gap to the best
#: span's, whether it is the best, and whether it could be scored at all.
TOKEN_FEATURES = ("tk", "tk_gap", "tk_top", "tk_has")
FEATURES = (*BASE_FEATURES, *TOKEN_FEATURES, *CROSS_FEATURES)
#: The reader's scores are log-odds-like sums of two logits; beyond +-TOKEN_CAP they say no
#: more (fitted scores fall within about +-15), and /TOKEN_CAP keeps them near unit scale.
TOKEN_CAP = 20.0


def _groups(span: Span) -> set[str]:
    out = {LABEL_GROUP[s] for s in span.sources if s in LABEL_GROUP}
    if span.sources & {"PHRASE", "RULE"} and not out:
        words = [w for w in span.text.split() if w.lower() not in STOPWORDS]
        out.add("caps" if words and all(w[:1].isupper() or w[:1].isdigit() for w in words) else "phrase")
    return out


def _near(doc: Document, span: Span, r: Ranked, qf: QuestionFrame) -> tuple[float, float, float, float]:
    """(proximity to the nearest question word, share of question words within
    NEAR_WINDOW words, the head noun within HEAD_WINDOW words, the head noun inside)."""
    text = doc.text
    words = [(m.start() + r.start, m.end() + r.start, m.group(0)) for m in re.finditer(r"\w[\w'’-]*", text[r.start:r.end])]
    best, near, head_near = 10_000, set(), 0.0
    inside = [i for i, (s, e, _) in enumerate(words) if s >= span.start and e <= span.end]
    lo, hi = (inside[0], inside[-1]) if inside else (0, -1)
    for i, (s, e, w) in enumerate(words):
        if span.start <= s < span.end:
            continue
        toks = set(tokenize(w))
        if toks & qf.focus:
            d = span.start - e if e <= span.start else s - span.end
            best = min(best, max(0, d))
            if inside and (lo - NEAR_WINDOW <= i <= hi + NEAR_WINDOW):
                near |= toks & qf.focus
        if qf.head and qf.head in toks and inside and (lo - HEAD_WINDOW <= i <= hi + HEAD_WINDOW):
            head_near = 1.0
    head_in = float(bool(qf.head) and qf.head in set(tokenize(span.text)))
    share = len(near) / len(qf.focus) if qf.focus else 0.0
    return 1.0 / (1.0 + best / PROXIMITY_SCALE), share, head_near, head_in


def span_features(corpus: Corpus, qa: QuestionAnalysis, qf: QuestionFrame, span: Span, ranked: Sequence[Ranked],
                  rule: Answer, agreement: Mapping[str, tuple[float, int]]) -> dict[str, float]:
    """One row for ``span``; ``agreement``: per value key, the summed probability and count
    of the ranked sentences that hold a span with that value."""
    r = ranked[span.sent] if 0 <= span.sent < len(ranked) else None
    groups = _groups(span)
    row: dict[str, float] = {f"g_{g}": float(g in groups) for g in GROUPS}
    row["sent_p"] = r.p if r else 0.0
    row["sent_rinv"] = 1.0 / (span.sent + 1) if r else 0.0
    row["sent_top"] = float(span.sent == 0)
    row["doc_p"] = r.doc_p if r else 0.0
    row["outside"] = float(r is None)
    labels = [s for s in span.sources if s in LABEL_GROUP]
    row["label_first"] = float(bool(qf.labels) and qf.labels[0] in labels)
    row["label_listed"] = float(any(lab in qf.labels for lab in labels))
    m = span.mention
    if m is not None and m.kind == "FIGURE" and qa.kind == QuestionKind.FIGURE:
        us = unit_score(qa, m)
        row["unit_ok"], row["unit_bad"] = (0.0, 1.0) if us is None else (us, 0.0)
    if m is not None and m.kind == "DATE" and qa.granularity == "year":
        row["gran_bad"] = float(not re.search(r"\b\d{4}\b", m.text))
    if m is not None and m.frame and qf.focus:
        frame = {t for w in m.frame for t in tokenize(w)}
        row["frame"] = len(frame & qf.focus) / len(qf.focus)
    own = set(tokenize(span.text))
    row["q_share"] = len(own & qf.stems) / len(own) if own else 0.0
    row["q_all"] = float(bool(own) and own <= qf.stems)
    sk = name_keys(span.text)
    row["q_name"] = float(bool(sk) and sk <= qf.keys)
    if r is not None and span.start >= 0:
        row["prox"], row["near"], row["head_near"], row["head_in"] = _near(r.doc, span, r, qf)
        lead = r.doc.text[r.start:span.start]
        if qf.left:
            row["align_left"] = len(qf.left & set(tokenize(lead)[-ALIGN_WINDOW:])) / len(qf.left)
        if qf.right:
            tail = tokenize(r.doc.text[span.end:r.end])[:ALIGN_WINDOW]
            row["align_right"] = len(qf.right & set(tail)) / len(qf.right)
        row["at_start"] = float(len(lead.split()) <= 1)
        row["rel_pos"] = (span.start - r.start) / max(1, r.end - r.start)
        before, after = r.doc.text[max(0, span.start - 1):span.start], r.doc.text[span.end:span.end + 1]
        row["quoted"] = float(before in "“\"‘'" and before != "" and after in "”\"’'" and after != "")
    n = span.words
    row["n_words"] = math.log1p(n)
    row["long"] = float(n > 4)
    words = [w for w in span.text.split() if w.lower() not in STOPWORDS]
    row["caps"] = float(bool(words) and all(w[:1].isupper() for w in words))
    row["digit"] = float(any(c.isdigit() for c in span.text))
    top = math.log(1 + (max(corpus.n_chunks, 2) - 0.5) / 1.5)
    row["rarity"] = min(1.0, max((idf(corpus, t) for t in own), default=0.0) / top) if own else 0.0
    p_agree, n_agree = agreement.get(span.key, (0.0, 0))
    own_p = r.p if r else 0.0
    row["agree"] = max(0.0, p_agree - own_p)
    row["agree_n"] = math.log1p(max(0, n_agree - (1 if r else 0)))
    _rule_features(row, span, rule)
    q = span.quote
    if q is not None:
        row["sp_conf"] = q.confidence
        if qf.quoted:
            row["sp_frag"] = len(qf.quoted & set(tokenize(q.quote))) / len(qf.quoted)
        row["sp_in_sent"] = float(r is not None and r.start <= span.start < r.end)
    for g in groups:
        row[f"x_{qf.asks}_{g}"] = 1.0
    return row


def token_features(rows: Sequence[dict[str, float]], spans: Sequence[Span], ranked: Sequence[Ranked],
                   logits: Sequence[SentenceLogits]) -> None:
    """Add the extractive reader's features to each span's row; ``logits``: the reader's
    scores over the first ``len(logits)`` ranked sentences."""
    scores: list[float | None] = []
    for sp in spans:
        j = sp.sent
        ok = 0 <= j < len(logits) and sp.start >= ranked[j].start and sp.end <= ranked[j].end
        scores.append(span_score(logits[j], sp.start - ranked[j].start, sp.end - ranked[j].start) if ok else None)
    known = [min(TOKEN_CAP, max(-TOKEN_CAP, z)) for z in scores if z is not None]
    best = max(known, default=0.0)
    for row, z in zip(rows, scores, strict=True):
        if z is None:
            row["tk"], row["tk_gap"] = -1.0, -1.0
            continue
        z = min(TOKEN_CAP, max(-TOKEN_CAP, z))
        row["tk"] = z / TOKEN_CAP
        row["tk_gap"] = (z - best) / TOKEN_CAP
        row["tk_top"] = float(z >= best)
        row["tk_has"] = 1.0


def _rule_features(row: dict[str, float], span: Span, rule: Answer) -> None:
    """The rule pipeline's vote: its typed answer is this span, overlaps it, or says the
    same value elsewhere; its own (uncalibrated) confidence; an answer from metadata."""
    if rule.abstained or not rule.citations or not rule.answer:
        return
    c = rule.citations[0]
    same_doc = c.doc_id == span.doc_id
    row["rule_same"] = float(same_doc and c.answer_start == span.start and c.answer_end == span.end
                             and span.start >= 0)
    row["rule_in"] = float(same_doc and span.start >= 0 and c.answer_start < span.end and span.start < c.answer_end)
    row["rule_key"] = float(fold(rule.answer).strip() == fold(span.text).strip())
    row["rule_conf"] = float(rule.confidence) * max(row["rule_same"], row["rule_key"])
    row["meta"] = float("META" in span.sources)


#: What the confidence model reads about the best span: how far it beats the others (its
#: softmax share and log-odds gap), how sure selection is of its sentence, the rules' vote,
#: and what kind of answer was asked for and given.
TOP_COPIED = ("sent_p", "doc_p", "agree", "tk", "tk_top", "rule_same", "rule_key", "meta", "q_share", "label_first", "unit_ok",
              *(f"g_{g}" for g in GROUPS))
CONF_FEATURES = ("soft", "gap", "n_log", "sel_p", *TOP_COPIED, *(f"a_{a}" for a in ASKS))
#: Cap on the log-odds gap between the best and the second span (beyond it, no news).
GAP_CAP = 10.0


def confidence_features(qf: QuestionFrame, scores: Sequence[float], top: Mapping[str, float],
                        sel_p: float) -> dict[str, float]:
    """One row per question: ``scores`` are the spans' log-odds (best first), ``top`` the
    best span's features, ``sel_p`` selection's probability that its sentence holds the answer."""
    z1 = scores[0]
    z2 = scores[1] if len(scores) > 1 else z1 - GAP_CAP
    soft = 1.0 / sum(math.exp(max(-50.0, z - z1)) for z in scores)
    row = {"soft": soft, "gap": min(GAP_CAP, z1 - z2), "n_log": math.log1p(len(scores)), "sel_p": sel_p}
    row.update({k: float(top.get(k, 0.0)) for k in TOP_COPIED})
    row[f"a_{qf.asks}"] = 1.0
    return row
