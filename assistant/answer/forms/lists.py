"""Lists of several items ("which states did X lose", "who all went after Y", "what numbers
does the article give for A, B and C"): the learned choices behind them.

- **Routing** (``route``): whether a question the rules read as a factoid (an entity, a
  figure, a speaker, other) asks for several items. A logistic model (``list_route`` in
  ``forms.json``) over the question's wording alone (``route_features``), fitted by ``make
  train`` on natural-train (a comparison/list question whose gold has several items is a
  list; every other question is not) and the seed form cases; its threshold is learned too.
- **Which sentences** (``ranked``): a conditional logit (``list_sentence``) over the evidence
  sentences (``list_features``): the shared sentence features plus how many entities of the
  asked type a sentence names that the question does not (an enumeration), fitted on the same
  questions (a sentence is right when it holds a gold item).
- **Which items** (``typed_items``): the spaCy entities stored at ingest in the chosen
  sentences, of the labels the question's head noun asks for (``wanted_labels``): people only
  when people are asked. A question whose head noun names no entity type gets the sentences.

Pure functions of the question and its evidence; training
(``assistant.evaluation.training.lists``) calls the same ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from assistant.answer.evidence import Evidence, Sent
from assistant.answer.forms import features as F
from assistant.answer.forms.model import Choice, choice, load
from assistant.answer.question import (
    ENTITY_NOUNS,
    NOUN_LABEL,
    QuestionAnalysis,
    analyse,
    classify,
    singular_noun,
)
from assistant.models import Mention, QuestionKind
from assistant.text.folding import fold

#: Question kinds the router may turn into a list (the forms with their own cue keep it:
#: a "why", a yes/no, a summary, a comparison of two sides, a rule-read list).
ROUTABLE = (QuestionKind.OTHER, QuestionKind.ENTITY, QuestionKind.SPEAKER, QuestionKind.FIGURE)
#: The router's inputs (the question's wording; ``route_features``).
ROUTE_FEATURES = (
    "wh_plural", "who_all", "else", "and_n", "commas", "numeral", "both", "figures_word", "or_word", "comparative",
    "k_other", "k_entity", "k_speaker", "k_figure", "log_words", "what_are", "person_plural", "tail_or", "and_wh",
)
#: The sentence ranker's inputs (the shared sentence features and the enumeration's).
LIST_FEATURES = (
    "ev_score", "ev_rel", "after_top", "near_top", "ev_lex", "ev_prior", "ev_rank", "doc_share", "doc_first", "pos",
    "lead", "headline", "log_words", "short", "names", "novel", "event", "quoted", "speech", "dangling",
    "typed_n", "typed_any", "enum", "untyped", "enum_untyped", "typed_enum",
)
#: Labels each entity kind of head noun asks for. People are people only (an organisation
#: listed as a person is the failure issue 24 names); "who" without a noun may be a group.
PEOPLE_LABELS = ("PERSON",)
WHO_LABELS = ("PERSON", "ORG")
PLACE_LABELS = ("GPE", "LOC", "FAC")
#: "What numbers does the article give for ...": the figures stored at ingest.
FIGURE_LABELS = ("FIGURE",)
#: Labels of proper names: an item of one is written with a capital.
_NAME_LABELS = frozenset(PEOPLE_LABELS + WHO_LABELS + PLACE_LABELS)
#: Nouns of people that ``question.ENTITY_NOUNS`` lacks, common in news lists ("which
#: activist investors", "which delegates", "which justices", "which activists").
EXTRA_PEOPLE = frozenset(["people", "persons", "investor", "investors", "delegate", "delegates", "justice", "justices", "member", "members", "activist", "activists", "voter", "voters", "lawmaker", "lawmakers", "donor", "donors"])
#: Head nouns of a list of figures. ("figures" is not among them: "media figures" are people.)
_FIGURE_HEADS = frozenset(["numbers", "statistics", "stats", "percentages", "amounts", "totals", "counts"])
_PEOPLE_NOUNS = frozenset(ENTITY_NOUNS["PERSON"].split())
_NUMERALS = re.compile(r"\b(?:two|three|four|five|several|all|every|each|various|multiple)\b", re.I)
#: "which/what" and up to two modifiers, then a plural noun: the items asked for. Not across an
#: auxiliary ("what did *voters* decide" asks what was decided, not for voters), nor a verb that
#: ends in -s: a word an article or a possessive follows is a verb ("which country *calls* the
#: crisis ...", "which party *wants* its ..."), a plural noun is followed by what it did.
_AUX = r"(?:did|does|do|is|are|was|were|has|have|had|will|would|can|could|should|may|might)"
_WH_PLURAL = re.compile(rf"\b(?:which|what)\s+(?:(?!{_AUX}\b)[\w'’-]+\s+){{0,2}}?(?!{_AUX}\b)([a-z][\w-]*?(?:s|people))\b"
                        r"(?!\s+(?:of|is|was|the|a|an|its|his|her|their)\b)")
_WHO_ALL = re.compile(r"\bwho (?:all|else)\b|\bwho (?:were|are) (?:the|all)\b|\bwho was on\b|\beveryone\b")
_ELSE = re.compile(r"\b(?:else|besides|other than|apart from|instead of|in addition to|as well as)\b")
_FIGURES = re.compile(r"\b(?:figures?|numbers?|statistics|stats|percentages?|%)\b")
_COMPARATIVE = re.compile(r"\b(?:more|less|fewer|bigger|larger|higher|lower|better|worse|ahead|first|most|least)\b")
#: The question ends with two short alternatives after a clause break (", A or B?", "- A or B").
_TAIL_OR = re.compile(r"(?:[,:;–—]|\s-)\s*(?:the\s+)?[\w.'/-]+(?:\s+[\w.'/-]+){0,3}\s+or\s+(?:the\s+)?"
                      r"[\w.'/-]+(?:\s+[\w.'/-]+){0,3}\s*\??\s*$")
_ENUM = re.compile(r",[^,]{1,60},|,\s*(?:and|or)\b|\b(?:and|as well as)\b")


def _head(text: str) -> str:
    """The plural noun a "which/what ..." question asks for ("which GOP *senators*"), "" if none."""
    m = _WH_PLURAL.search(text.lower().replace("’", "'"))
    return m.group(1) if m else ""


def wanted_labels(question: str) -> tuple[str, ...]:
    """The entity labels a list question's items carry: its head noun's (``question.NOUN_LABEL``;
    people only for people), a "who" question's people or groups, a "where" question's
    places; () when the head noun names no entity type ("what lines of attack")."""
    s = question.lower().replace("’", "'")
    head = _head(s)
    noun = singular_noun(head) if head else ""
    if head in EXTRA_PEOPLE or noun in _PEOPLE_NOUNS:
        return PEOPLE_LABELS
    if head in _FIGURE_HEADS or re.search(r"\bhow (?:many|much)\b|\bwhat (?:%|percent)", s):
        return FIGURE_LABELS
    if noun in NOUN_LABEL:
        lab = NOUN_LABEL[noun]
        return PLACE_LABELS if lab in ("GPE", "LOC") else (lab,)
    if not head and re.search(r"^\s*(?:[\w,' ]{0,40}\s)?who\b|\bwho(?:'s| is| was| were| are| all| else| did)\b", s):
        return WHO_LABELS
    if not head and re.search(r"^\s*where\b|\bwhere (?:did|do|does|is|are|was|were)\b", s):
        return PLACE_LABELS
    return ()


def route_features(question: str) -> dict[str, float]:
    """The router's inputs: how the question is worded (a plural head noun, "who all",
    "besides", enumerated asks joined by "and" and commas, a number of items), and the kind
    the rules read it as."""
    s = question.lower().replace("’", "'")
    kind, _ = classify(question)
    head = _head(s)
    return {
        "wh_plural": float(bool(head)), "who_all": float(bool(_WHO_ALL.search(s))), "else": float(bool(_ELSE.search(s))),
        "and_n": float(min(3, len(re.findall(r"\band\b", s)))), "commas": float(min(3, s.count(","))),
        "numeral": float(bool(_NUMERALS.search(s))), "both": float(bool(re.search(r"\bboth\b", s))),
        "figures_word": float(bool(_FIGURES.search(s))), "or_word": float(bool(re.search(r"\bor\b", s))),
        "comparative": float(bool(_COMPARATIVE.search(s))),
        "k_other": float(kind == QuestionKind.OTHER), "k_entity": float(kind == QuestionKind.ENTITY),
        "k_speaker": float(kind == QuestionKind.SPEAKER), "k_figure": float(kind == QuestionKind.FIGURE),
        "log_words": math.log1p(len(s.split())), "what_are": float(bool(re.search(r"\bwhat (?:are|were)\b", s))),
        "person_plural": float(wanted_labels(question) == PEOPLE_LABELS),
        "tail_or": float(bool(_TAIL_OR.search(s))),
        # A second question joined on ("who did X appoint and which justices ...", "and over how long").
        "and_wh": float(bool(re.search(r"\band (?:\w+ ){0,2}(?:what|which|who|how|where|when)\b", s))),
    }


def routable(question: str) -> bool:
    """The rules read the question as a kind the router may turn into a list."""
    return classify(question)[0] in ROUTABLE


#: The learned routes: a question the rules read as a factoid is re-read as the kind of the
#: route whose model (``forms.json``) gives it the most above that route's threshold (meta
#: ``<route>_threshold``, learned by ``make train``). A list; or a comparison of two sides
#: whose wording the comparison rule misses ("in recent polls who's doing better, A or B").
ROUTES = {
    "list_route": (QuestionKind.LIST, {"items": "enumeration"}),
    "winner_route": (QuestionKind.COMPARISON, {"form": "winner"}),
}
#: Off unless trained: no question is routed before ``make train`` fitted the router.
UNTRAINED_THRESHOLD = 1.01
#: Off while ``make train`` asks its questions: every choice's rows come from the questions as
#: the rules read them, not from a previous fit's routes (with them, the near-miss guard's rows
#: changed with each refit, and so did its refusals).
ENABLED = [True]


def route(qa: QuestionAnalysis, models: dict[str, tuple[Choice | None, float]] | None = None) -> QuestionAnalysis:
    """``qa``, or the question re-read as the kind of the route that claims it most
    (``models``: route name -> (model, threshold); the committed ones by default)."""
    if qa.kind not in ROUTABLE or not ENABLED[0]:
        return qa
    if models is None:
        meta = load().meta
        models = {name: (choice(name), float(meta.get(f"{name}_threshold", UNTRAINED_THRESHOLD))) for name in ROUTES}
    x = route_features(qa.text)
    margins = [(model.raw(x) - thr, name) for name, (model, thr) in models.items() if model is not None]
    best = max(margins, default=(-1.0, ""))
    if best[0] < 0:
        return qa
    kind, info = ROUTES[best[1]]
    out = analyse(qa.text, as_kind=(kind, dict(info)))
    out.asked_on, out.period = qa.asked_on, qa.period
    return out


def _own(ev: Evidence) -> set[str]:
    """Folded words of the question (its names however typed: "christie", "other than trump"):
    a list's items are not what the question itself names."""
    return set(_words(ev.qa.text)) | {w for n in ev.qa.names for w in _words(n)}


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def in_dateline(st: Sent, m: Mention) -> bool:
    """Whether ``m`` stands in the dateline that opens ``st`` ("LOS ANGELES (AP) —")."""
    return st.start <= m.start < st.start + F.dateline_end(st.doc.text[st.start:st.end])


def typed_items(ev: Evidence, st: Sent, labels: Sequence[str]) -> list[Mention]:
    """The entities of ``labels`` that ``st`` names (spaCy's, stored at ingest), in order, each
    once, without those the question itself names or its dateline names (the city and the
    agency a story was filed from are not items of what it reports)."""
    own = _own(ev)
    out, seen = [], set()
    for m in sorted(st.doc.mentions, key=lambda m: m.start):
        if m.kind not in labels or not (st.start <= m.start and m.end <= st.end) or in_dateline(st, m):
            continue
        if m.kind in _NAME_LABELS and not any(c.isupper() for c in m.text):
            continue  # "state": the tagger's error on a common noun, not a name
        key = " ".join(_words(m.text))
        if not key or key in seen or set(key.split()) <= own:
            continue
        seen.add(key)
        out.append(m)
    return out


def list_features(ev: Evidence, cx: F.Context, st: Sent, rank: int, labels: Sequence[str]) -> dict[str, float]:
    """One candidate sentence of a list question."""
    x = F.sentence_base(ev, cx, st, rank)
    n = len(typed_items(ev, st, labels)) if labels else 0
    enum = float(bool(_ENUM.search(st.text)))
    untyped = float(not labels)
    x.update({"typed_n": math.log1p(n), "typed_any": float(n > 0), "enum": enum, "untyped": untyped,
              "enum_untyped": enum * untyped, "typed_enum": float(n >= 2)})
    return x


def ranked(ev: Evidence, model: Choice | None, labels: Sequence[str]) -> list[tuple[float, Sent]]:
    """(ranker probability, sentence) of the candidate sentences, best first (by the evidence
    score when untrained)."""
    cx = F.context(ev)
    out = []
    for rank, st in F.candidates(ev):
        x = list_features(ev, cx, st, rank, labels)
        out.append((model.raw(x) if model is not None else x[F.FALLBACK], st))
    out.sort(key=lambda t: -t[0])
    return out
