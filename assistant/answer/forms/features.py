"""Features of the forms' learned choices: pure functions of the question's evidence
(``Evidence``: its analysis, the retrieved passages' scored sentences, the corpus
statistics) and of one candidate. Training (``assistant.evaluation.training.forms``) and
answering call the same functions, so a model sees at run time what it was fitted on.

Each ``*_FEATURES`` tuple names a model's inputs in a fixed order; ``FALLBACK`` names the
feature a form ranks by when no model has been trained.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.antecedents import asked_entities
from assistant.answer.corpus import Corpus, idf, related, weight
from assistant.answer.evidence import (
    REQUIRED_LABELS,
    Evidence,
    Sent,
    name_keys,
    name_present,
    paragraph_of,
    required_names,
    stems,
)
from assistant.answer.forms import claims as C
from assistant.models import Document
from assistant.text.folding import fold
from assistant.text.lexicon import FRAME_STOPWORDS, SPEECH_VERBS
from assistant.text.tokens import tokenize

#: Evidence sentences (best first) a form's ranker reads. A sentence holding the gold reason
#: of a natural-train why/how question stands within the first 33 in 51 of 54 (measured).
CANDIDATES = 40
#: Top evidence sentences whose documents count for ``doc_share``.
DOC_WINDOW = 10
#: Top evidence sentences that state the asked event (a reason often follows them).
TOP_EVENT = 3
#: A word the corpus never uses weighs like one in one chunk of twenty (as ``reason`` did).
UNSEEN_WEIGHT = 3.0

#: The rarest missing word's weight is divided by this (the corpus's weight of a word it
#: never uses, ``corpus.UNSEEN_WORD_WEIGHT``) and capped at 1.
WEIGHT_SCALE = 8.0
#: A missing word is named in the refusal when it weighs at least this share of the rarest
#: missing one (common words such as "come" or "look" are not what the question asks about).
NAMED_SHARE = 0.6


def rare_gap(corpus: Corpus, want: Sequence[str], have: set[str]) -> tuple[float, list[str]]:
    """The rarest of ``want`` that ``have`` lacks (its weight, scaled), and the rare words it
    lacks, rarest first (those weighing at least ``NAMED_SHARE`` of the rarest: a refusal names
    "turnout", not "come")."""
    have_r = {related(t) for t in have}
    miss = [t for t in dict.fromkeys(want) if t not in have and related(t) not in have_r]
    weights = {t: weight(corpus, t) for t in miss}
    top = max(weights.values(), default=0.0)
    named = sorted((t for t in miss if weights[t] >= NAMED_SHARE * top), key=lambda t: -weights[t])
    return min(top / WEIGHT_SCALE, 1.0), named


# -- shared word lists -------------------------------------------------------------------------------
_NEGATION_WORDS = (
    "not no never cannot none nobody nothing neither nor without refuse refused refuses refusal refusing "
    "reject rejected rejects rejecting deny denied denies denial denying fail failed fails unable lack lacks "
    "lacked won't don't doesn't didn't isn't aren't wasn't weren't hasn't haven't hadn't can't couldn't "
    "wouldn't shouldn't n't")
#: Words that negate what they govern (NegEx-style triggers; Chapman et al. 2001).
NEGATIONS = frozenset(_NEGATION_WORDS.split())
#: Negations and contractions say how a question is asked, not what about.
_FRAME_NEG = frozenset(["not", "no", "never", "cannot", "none", "nobody", "nothing", "neither", "nor", "without", "won't", "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "hasn't", "haven't", "hadn't", "can't", "couldn't", "wouldn't", "shouldn't"])
#: Light and cognition verbs: the question's frame, not its event ("why does X *think* ...").
LIGHT_VERBS = frozenset(["get", "gets", "got", "make", "makes", "made", "take", "takes", "took", "go", "goes", "went", "come", "comes", "came", "give", "gives", "gave", "put", "let", "keep", "keeps", "kept", "seem", "seems", "think", "thinks", "thought", "believe", "believes", "believed", "feel", "feels", "felt", "actually", "really", "still", "even", "so"])

#: Connectives of cause (Penn Discourse Treebank's Contingency.Cause connectives, Prasad et
#: al. 2008, plus the news idioms of attribution "blamed ... on", "citing").
_CAUSE = re.compile(
    r"\b(?:because|due to|owing to|as a result|thanks to|on the grounds that|the reason|reasons? (?:for|why|is|was)|"
    r"that is why|which is why|that's why|this is why|explains?|explained|blamed?|blaming|citing|cited|"
    r"stems? from|result of|caused by|driven by|fueled by|fuelled by|led to|leads to|prompted|triggered|"
    r"so (?:that|as to)|since)\b", re.I)
#: Purpose ("in order to", "to + verb" after a main verb).
_PURPOSE = re.compile(r"\b(?:in order to|in an effort to|in a bid to|aimed at|designed to|intended to|meant to|"
                      r"so as to|in hopes? of|hoping to|seeking to|trying to|to (?:help|ensure|avoid|prevent|stop|"
                      r"protect|keep|win|get|make|force|push|boost|reduce|attract|gain))\b", re.I)
#: Response and circumstance (weaker: "after", "amid", "following", "in response to").
_RESPONSE = re.compile(r"\b(?:after|following|amid|in response to|in retaliation|in reaction to|in protest|"
                       r"angered by|over (?:the|his|her|its|their)|in the wake of|as)\b", re.I)
#: Means ("by + -ing", "through", "using", "with the help of").
_MEANS = re.compile(r"\b(?:by \w+ing|by means of|through|using|with the help of|in cooperation with|worked with|"
                    r"via|thanks to)\b", re.I)
#: Evaluation and reported reasons ("seen as", "argue", "fear", "worried", "concern").
_STANCE = re.compile(r"\b(?:fear|fears|feared|worr(?:y|ied|ies)|concern(?:ed|s)?|argu(?:e|es|ed)|warn(?:s|ed)?|"
                     r"believ(?:e|es|ed)|contend(?:s|ed)?|insist(?:s|ed)?|seen as|view(?:s|ed)? as|because of)\b",
                     re.I)
#: Sentence openers that only link to the sentence before ("By contrast", "But", "Still").
_DANGLING = re.compile(r"^\W*(?:but|and|or|so|yet|still|however|by contrast|in contrast|meanwhile|instead|also|"
                       r"moreover|furthermore|in addition|that|this|these|those|it|he|she|they|such|then|even so|"
                       r"at the same time|on the other hand|as a result|otherwise|likewise|similarly)\b", re.I)
#: A dateline ("RANGOON, Burma -", "FARGO, N.D. —", "PHILADELPHIA, July 25 (UPI) —",
#: "LOS ANGELES (AP) —").
_DATELINE = re.compile(r"^\W*[A-Z][A-Z .'-]{2,}(?:,\s*[^—–-]{1,40})?\s*(?:\([A-Za-z .&-]{1,20}\)\s*)?[—–-]{1,2}\s")
_SPEECH = frozenset(tokenize(" ".join(SPEECH_VERBS | {"says", "said", "according"})))


def dateline_end(text: str) -> int:
    """Where the dateline that opens ``text`` ends ("TRENTON, N.J. (AP) — "), 0 when none:
    its place and agency name where the story was filed, not what it reports."""
    m = _DATELINE.match(text)
    return m.end() if m else 0


def words(text: str) -> list[str]:
    """Lower-case words of ``text``, apostrophes kept and made straight ("won't")."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("’", "'"))


def event_words(ev: Evidence, drop_names: bool = True) -> list[str]:
    """The question's words that say what it asks about, without filler, negations and
    light verbs; ``drop_names``: also without its names, leaving the event ("why did
    *Lithuania* close its border" -> close, border)."""
    filler = {t for w in (*FRAME_STOPWORDS, *_FRAME_NEG, *LIGHT_VERBS) for t in tokenize(w, keep_stopwords=True)}
    filler |= C.contraction_stems(ev.qa.text)
    if drop_names:
        filler |= {t for n in ev.qa.names for t in tokenize(n)}
    return [t for t in ev.qa.focus if t not in filler]


def weighted_cover(ev: Evidence, want: Sequence[str], have: set[str]) -> float:
    """idf-weighted share of ``want`` in ``have`` (related forms count; a word the corpus
    never uses weighs ``UNSEEN_WEIGHT``)."""
    weights = {t: idf(ev.corpus, t) or UNSEEN_WEIGHT for t in dict.fromkeys(want)}
    total = sum(weights.values())
    have_r = {related(t) for t in have}
    return sum(w for t, w in weights.items() if t in have or related(t) in have_r) / total if total else 0.0


def is_headline(st: Sent) -> bool:
    """The sentence is the article's headline (its title repeated in the text)."""
    t = " ".join(st.text.split()).rstrip(".")
    return bool(st.doc.title) and t == " ".join(st.doc.title.split()).rstrip(".")


def in_direct_quote(doc: Document, s: int, e: int) -> bool:
    return any(r.kind == "direct" and r.start < e and s < r.end for r in doc.quotes)


def previous_sentence(doc: Document, s: int) -> str:
    """The sentence before ``s`` in its paragraph ("" at a paragraph's start)."""
    ps, _ = paragraph_of(doc, s)
    before = [(a, b) for a, b in doc.sentences if ps <= a and b <= s]
    return doc.text[before[-1][0]: before[-1][1]] if before else ""


@dataclass
class Context:
    """What every candidate of one question shares."""

    qwords: set[str]
    event: list[str]
    names: list[str]
    doc_share: dict[str, float]
    doc_rank: dict[str, int]
    #: (document, sentence index) of the top evidence sentences, best first.
    top: list[tuple[str, int]]
    top_score: float


def context(ev: Evidence) -> Context:
    top = ev.sents[:DOC_WINDOW]
    share: dict[str, float] = {}
    for st in top:
        share[st.doc.doc_id] = share.get(st.doc.doc_id, 0.0) + 1.0 / max(1, len(top))
    rank: dict[str, int] = {}
    for st in ev.sents:
        rank.setdefault(st.doc.doc_id, len(rank) + 1)
    return Context(stems(ev.qa.text), event_words(ev), required_names(ev.corpus, ev.qa), share, rank,
                   [(st.doc.doc_id, st.index) for st in ev.sents[:TOP_EVENT]],
                   ev.sents[0].score if ev.sents else 0.0)


def _names_share(names: Sequence[str], text: str) -> float:
    if not names:
        return 1.0
    keys, folded = name_keys(text), fold(text)
    return sum(name_present(n, keys, folded) for n in names) / len(names)


def sentence_base(ev: Evidence, cx: Context, st: Sent, rank: int) -> dict[str, float]:
    """Features any form's sentence ranker shares: the evidence score and its parts, the
    document's standing among the retrieved ones, position, length, names, novelty."""
    own = stems(st.text)
    n = max(1, len(st.doc.sentences))
    here = [i for d, i in cx.top if d == st.doc.doc_id]
    nw = len(st.text.split())
    return {
        "ev_score": st.score, "ev_rel": st.score - cx.top_score, "ev_lex": st.lex,
        "after_top": float(any(st.index == i + 1 for i in here)),
        "near_top": float(any(0 < abs(st.index - i) <= 2 for i in here)), "ev_prior": st.prior, "ev_rank": 1.0 / (1 + rank),
        "doc_share": cx.doc_share.get(st.doc.doc_id, 0.0), "doc_first": float(cx.doc_rank.get(st.doc.doc_id) == 1),
        "pos": st.index / n, "lead": float(st.index <= 1), "headline": float(is_headline(st)),
        "log_words": math.log1p(nw), "short": float(nw < 8),
        "names": _names_share(cx.names, st.doc.text[slice(*paragraph_of(st.doc, st.start))] + " " + st.doc.title),
        "novel": len(own - cx.qwords) / len(own) if own else 0.0,
        "event": weighted_cover(ev, cx.event, own) if cx.event else st.lex,
        "quoted": float(in_direct_quote(st.doc, st.start, st.end)),
        "speech": float(bool(set(tokenize(st.text)) & _SPEECH)),
        "dangling": float(bool(_DANGLING.match(st.text))),
    }


# -- why / how ------------------------------------------------------------------------------------------
#: The reason ranker's inputs.
REASON_FEATURES = (
    "ev_score", "ev_rel", "after_top", "near_top", "ev_lex", "ev_prior", "ev_rank", "doc_share", "doc_first", "pos", "lead", "headline", "log_words",
    "short", "names", "novel", "event", "quoted", "speech", "dangling",
    "cause", "purpose", "response", "means", "stance", "how", "means_how", "purpose_how", "event_prev", "restates",
)
#: What a form ranks by when untrained: the rule evidence score.
FALLBACK = "ev_score"

_HOW = re.compile(r"\W*(?:and |so |but )?how (?:did|does|do|can|could|will|would|has|have|had|is|was|were|are)\b",
                  re.I)


def asks_how(question: str) -> bool:
    """"How did X manage ..." asks for the means; "why" and "how come" for the cause."""
    return bool(_HOW.match(question.strip())) and not re.match(r"\W*how come\b", question.strip(), re.I)


def reason_features(ev: Evidence, cx: Context, st: Sent, rank: int) -> dict[str, float]:
    """One candidate sentence of a why/how question."""
    x = sentence_base(ev, cx, st, rank)
    text = st.text
    how = float(asks_how(ev.qa.text))
    prev = previous_sentence(st.doc, st.start)
    x.update({
        "cause": float(bool(_CAUSE.search(text))), "purpose": float(bool(_PURPOSE.search(text))),
        "response": float(bool(_RESPONSE.search(text))), "means": float(bool(_MEANS.search(text))),
        "stance": float(bool(_STANCE.search(text))), "how": how,
        "means_how": how * float(bool(_MEANS.search(text))), "purpose_how": how * float(bool(_PURPOSE.search(text))),
        "event_prev": weighted_cover(ev, cx.event, stems(prev)) if cx.event and prev else 0.0,
        "restates": float(x["novel"] < 0.35),
    })
    return x


def candidates(ev: Evidence, n: int = CANDIDATES) -> list[tuple[int, Sent]]:
    """(evidence rank, sentence) of the sentences a ranker reads, best evidence first; one
    per text (a headline repeated in the text counts once)."""
    out, seen = [], set()
    for i, st in enumerate(ev.sents):
        key = (st.doc.doc_id, " ".join(st.text.split()))
        if key in seen:
            continue
        seen.add(key)
        out.append((i, st))
        if len(out) >= n:
            break
    return out


# -- yes / no -------------------------------------------------------------------------------------------
#: The claim ranker's inputs: which sentence states (or denies) what the question asks.
CLAIM_FEATURES = (
    "ev_score", "ev_rel", "after_top", "near_top", "ev_lex", "ev_prior", "ev_rank", "doc_share", "doc_first", "pos",
    "lead", "headline", "log_words", "short", "names", "novel", "event", "quoted", "speech", "dangling",
    "claim", "claim_all", "numbers", "negation",
)
#: The polarity model's inputs: whether the chosen sentence says "no" to the question.
POLARITY_FEATURES = (
    "neg_scope", "neg_any", "q_neg", "neg_xor", "few_most", "name_miss", "other_name", "number_miss", "antonym",
    "contrast", "claim", "refute", "neg_claim", "swap", "than_swap",
)
#: General English antonym pairs (WordNet-style direct antonyms of news verbs and adjectives):
#: a sentence saying one of the pair answers a question asking the other with "No".
_ANTONYMS = (
    "up:down up:fall up:fell up:drop up:decline rise:fell rise:fall rise:drop rise:decline increase:decrease increase:fall increase:drop grow:shrink gain:lose "
    "win:lose won:lost more:less more:fewer higher:lower above:below agree:disagree support:oppose back:oppose "
    "endorse:oppose accept:reject approve:reject admit:deny confirm:deny include:exclude allow:ban allow:prohibit "
    "pass:fail succeed:fail success:failure real:fictitious real:fake true:false similar:different same:different "
    "open:closed start:end begin:end leave:stay join:leave hire:fire buy:sell like:dislike praise:criticize "
    "trust:distrust legal:illegal majority:minority most:few always:never before:after first:last early:late "
    "strong:weak rich:poor positive:negative good:bad better:worse best:worst popular:unpopular guilty:innocent "
    "disagree:behind attack:defend more:diminish empower:diminish increase:reduce strengthen:weaken expand:limit")
ANTONYM_PAIRS = frozenset((a, b) for pair in _ANTONYMS.split() for a, b in [pair.split(":")])
_CONTRAST = re.compile(r"\b(?:but|however|instead|rather than|actually|in fact|though|although|only|not only)\b",
                       re.I)
#: Verbs and phrases that deny or undo what they govern beyond plain negation.
_REFUTE = re.compile(r"\b(?:cautioned against|warned against|dismiss(?:ed|es)?|refus(?:ed|es)|denied|denies|"
                     r"rejected|rejects|declined|fictitious|false|myth|not true|no evidence|ruled out|"
                     r"backed away|walked back|instead)\b", re.I)
_MOST = re.compile(r"\b(?:most|majority|mostly|mainly|largely|all|every)\b", re.I)
_FEW = re.compile(r"\bonly (?:a )?(?:small|tiny|few|fraction|minority|handful|some)\b|\ba (?:small )?minority\b"
                  r"|\bonly a (?:small )?part\b|\bfew of\b", re.I)
#: A negation counts when it stands within this many words before the first matched word,
#: or anywhere between the matched words (NegEx uses a window of 5).
NEG_WINDOW = 4


def _antonym_stems() -> frozenset[tuple[str, str]]:
    out = set()
    for a, b in ANTONYM_PAIRS:
        ta, tb = tokenize(a, keep_stopwords=True), tokenize(b, keep_stopwords=True)
        if ta and tb:
            out |= {(ta[0], tb[0]), (tb[0], ta[0])}
    return frozenset(out)


ANTONYM_STEMS = _antonym_stems()


def has_negation(ws: Sequence[str]) -> bool:
    """Whether any of the lower-case words ``ws`` (``words``) negates: "not", "never", "no", a "-n't"."""
    return any(w in NEGATIONS or w.endswith("n't") for w in ws)


def negated(text: str, focus: set[str]) -> bool:
    """A negation governs the words of ``text`` that match ``focus``."""
    ws = words(text)
    hits = [i for i, w in enumerate(ws) if set(tokenize(w)) & focus]
    if not hits:
        return False
    lo, hi = max(0, hits[0] - NEG_WINDOW), hits[-1]
    return has_negation(ws[lo: hi + 1])


def claim_features(ev: Evidence, cx: Context, st: Sent, rank: int) -> dict[str, float]:
    """One candidate sentence of a yes/no question: how fully it states the claim."""
    x = sentence_base(ev, cx, st, rank)
    own = stems(st.text)
    focus = [t for t in ev.qa.focus if t not in {t2 for w in _FRAME_NEG for t2 in tokenize(w, keep_stopwords=True)}]
    nums = ev.qa.numbers + ev.qa.years
    x.update({
        "claim": weighted_cover(ev, cx.event, own) if cx.event else st.lex,
        "claim_all": weighted_cover(ev, focus, own) if focus else st.lex,
        "numbers": (sum(n in st.text for n in nums) / len(nums)) if nums else 1.0,
        "negation": float(has_negation(words(st.text))),
    })
    return x


def claim_rows(ev: Evidence) -> list[tuple[Sent, dict[str, float]]]:
    """Each candidate sentence of a yes/no question (``candidates``) with its claim features."""
    cx = context(ev)
    return [(st, claim_features(ev, cx, st, rank)) for rank, st in candidates(ev)]


def claim_gap(ev: Evidence, st: Sent) -> tuple[float, list[str]]:
    """How rare a word of the asked claim (its event words, names aside: names are checked as
    names) the article of ``st`` never uses is (``rare_gap``), and those words: "did the council
    sell the bridge to a *museum*" is not answered, yes or no, by an article that never
    mentions a museum."""
    have = stems(st.doc.title + " " + st.doc.text)
    gap, lacked = rare_gap(ev.corpus, event_words(ev), have)
    if not lacked:
        return gap, lacked
    # A word the question misspells or clips ("favorabilty", "execs") is the article's word.
    vocab = doc_vocabulary(st.doc)
    for w in words(ev.qa.text):
        if set(tokenize(w)) & set(lacked) and (near := C.near_word(w, vocab)):
            have |= set(tokenize(w)) | set(tokenize(near))
    return rare_gap(ev.corpus, event_words(ev), have)


def doc_vocabulary(doc: Document) -> set[str]:
    """The lower-case words of an article and its title (``words``), once per loaded document."""
    cached = doc.annotations.get("_vocabulary")
    if cached is None:
        cached = set(words(doc.title + " " + doc.text))
        doc.annotations["_vocabulary"] = cached
    return cached


def polarity_features(ev: Evidence, st: Sent) -> dict[str, float]:
    """Whether ``st`` answers the yes/no question ``ev.qa`` with "No": negation in the scope
    of the matched words, a negated question, "few" against "most", a different name or
    number than the one asked, an antonym of the asked word, contrast and refutation."""
    q, text = ev.qa.text, st.text
    focus = set(event_words(ev, drop_names=False)) or set(ev.qa.focus)
    qw = words(q)
    q_neg = has_negation(qw)
    scope = negated(text, focus)
    # A lower-case question hides its names from capitalisation: those its article's
    # entities show it names ("did jeanne shaheen endorse bernie").
    found = {} if ev.qa.names else dict(asked_entities(st.doc, q, REQUIRED_LABELS))
    names = required_names(ev.corpus, ev.qa) or list(found)
    keys, folded = name_keys(text), fold(text)
    missing = [n for n in names if not name_present(n, keys, folded)]
    asked = {fold(n) for n in names}
    labels = {found.get(n) or ev.corpus.aliases.label(n) for n in missing}
    others = [m for m in st.doc.mentions if st.start <= m.start and m.end <= st.end and m.kind in labels
              and fold(m.text) not in asked]
    nums = ev.qa.numbers
    sent_nums = re.findall(r"\d[\d,.]*", text)
    qs, ss = set(tokenize(q, keep_stopwords=True)), set(tokenize(text, keep_stopwords=True))
    return {
        "neg_scope": float(scope), "neg_any": float(has_negation(words(text))),
        "q_neg": float(q_neg), "neg_xor": float(scope != q_neg),
        "few_most": float(bool(_MOST.search(q) and _FEW.search(text))),
        "name_miss": len(missing) / len(names) if names else 0.0,
        "other_name": float(bool(missing and others)),
        "number_miss": float(bool(nums and sent_nums and not any(n in text for n in nums))),
        "antonym": float(any((a, b) in ANTONYM_STEMS for a in qs for b in ss if a not in ss and b not in qs)),
        "contrast": float(bool(_CONTRAST.search(text))),
        "claim": weighted_cover(ev, list(focus), stems(text)) if focus else st.lex,
        "refute": float(bool(_REFUTE.search(text))),
        "neg_claim": float(negated_claim(ev, text, focus)),
        # A substitution replaces something asked: a word of the claim the sentence lacks.
        "swap": float(C.swapped(text, set(tokenize(q))) and weighted_cover(ev, list(focus), stems(text)) < 1.0),
        "than_swap": float(C.than_swapped(q, text)),
    }


def negated_claim(ev: Evidence, text: str, focus: set[str]) -> bool:
    """A negation stands in the stretch of ``text`` that states the claim (``claims.claim_span``
    over the words matching ``focus``, idf-weighted) or within ``NEG_WINDOW`` words before it:
    a "not" in another clause of a long sentence does not deny the claim."""
    ws = words(text)
    match = [bool(set(tokenize(w)) & focus) for w in ws]
    weights = [max((idf(ev.corpus, t) or UNSEEN_WEIGHT for t in tokenize(w)), default=0.0) for w in ws]
    lo, hi = C.claim_span(ws, match, weights)
    return hi > lo and has_negation(ws[max(0, lo - NEG_WINDOW): hi])


# -- summary --------------------------------------------------------------------------------------------
#: The key-point ranker's inputs, for one usable sentence of the summarised article.
SUMMARY_FEATURES = (
    "central", "lead", "para_first", "inner", "pos", "query", "figure", "quote", "speech", "log_words", "short",
    "dangling", "dateline", "question", "title_overlap", "names_n",
)


def summary_features(doc: Document, idx: int, s: int, e: int, *, rank: int, inner: int, central: float,
                     query: float, title_cover: float) -> dict[str, float]:
    """One candidate key point: how central it is (cosine to the article's centroid), where
    it stands (the lead, a paragraph's first sentence, its place inside the paragraph, its
    place in the article), whether it carries a figure, a direct quote or a speaker, and
    whether it is furniture (a dateline, a dangling connective, a question, a fragment)."""
    text = " ".join(doc.text[s:e].split())
    nw = len(text.split())
    return {
        "central": central, "lead": float(rank == 0), "para_first": float(inner == 0), "inner": 1.0 / (1 + inner),
        "pos": idx / max(1, len(doc.sentences)), "query": query,
        "figure": float(any(m.kind == "FIGURE" and s <= m.start < e for m in doc.mentions)),
        "quote": float(in_direct_quote(doc, s, e)), "speech": float(bool(set(tokenize(text)) & _SPEECH)),
        "log_words": math.log1p(nw), "short": float(nw < 10), "dangling": float(bool(_DANGLING.match(text))),
        "dateline": float(bool(_DATELINE.match(text))), "question": float(text.rstrip("”\"' ").endswith("?")),
        "title_overlap": title_cover,
        "names_n": min(3.0, float(sum(1 for m in doc.mentions if m.kind in ("PERSON", "ORG", "GPE") and s <= m.start < e))),
    }
