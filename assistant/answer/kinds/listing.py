"""Lists across articles: "everyone who commented on X" (the quote index, ``views``),
"every figure given for Y" (figures bound to Y), "which countries ..." (names of the
asked kind bound to the question's words). Each item once (spelling-insensitive),
each cited.

Items are the typed candidates the factoid kinds would give (``parts.ask_typed``),
kept while they stay close to the best one: a list is the factoid answer and its
near equals, not everything of the type in the passages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistant.answer.evidence import Candidate, Evidence, name_in_paragraph, required_names
from assistant.answer.forms import lists as L
from assistant.answer.forms.model import choice, load
from assistant.answer.kinds.base import TypedKind, clip
from assistant.answer.kinds.parts import ask_typed, cited, multi, quoted
from assistant.answer.kinds.reason import odds_share
from assistant.answer.kinds.registry import register
from assistant.answer.policy import ABSTAIN_BELOW, why_not
from assistant.answer.views import VIEW_PASSAGES, Speaker, statements
from assistant.models import QuestionKind
from assistant.text.folding import fold, fold_answer
from assistant.text.lexicon import QUESTION_SPEECH_FORMS
from assistant.text.tokens import tokenize

#: An item stays in the list while its score is within this much of the best item's.
#: Set by hand on eval/seeds.jsonl.
LIST_MARGIN = 0.3
#: Most items a list shows.
MAX_ITEMS = 12
#: An item in the same sentence as a listed one (an enumeration: "ambassadors from A, B
#: and C") is kept down to this share of the abstention threshold. Set by hand.
ENUMERATION_FLOOR = 0.5
_PERCENT = ("percent", "%", "percentage point", "percentage points")
#: Characters of a statement's sentence shown after a speaker's name.
STATEMENT_CLIP = 200
#: Speaker labels when the question asks for people ("officials", "who").
PEOPLE = frozenset({"PERSON"})
_PEOPLE_WORDS = re.compile(r"\b(?:who|whom|people|persons|officials|experts|politicians|leaders|ministers|"
                           r"everyone|everybody|anyone|anybody)\b", re.I)

#: Sentences an enumerated list cites: the best one and those the ranker finds nearly as likely
#: (at least a share of its probability), up to a number, from any retrieved article or only the
#: best sentence's. All three are learned by ``make train`` (``forms.json`` meta
#: ``list_extra_share``, ``list_max_sentences``, ``list_same_article``: the grid values with the
#: most out-of-fold natural-train lists holding every gold item, fewest sentences on a tie); these
#: are the untrained fallbacks.
EXTRA_SHARE, MAX_SENTENCES, SAME_ARTICLE = 0.5, 3, False
SHARE_GRID, MAX_SENTENCES_GRID = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), (2, 3, 5)
#: Whether a list the rules read ("which countries ...") is also answered by the learned
#: enumeration (sentences ranked by ``list_sentence``, typed items in them) rather than by
#: the entity kind's candidates. Off: measured with the forms stage's models (twice: with up to 3
#: sentences from any article, and with the learned reach), it answered no more natural-train
#: lists (13 -> 13 and 14 -> 14 comparison/list questions right) and lost a seed list whose items
#: stand in many sentences of several articles ("where do the migrants come from, according to
#: all the articles").
ENUMERATE_RULE_LISTS = False


def list_reach() -> tuple[float, int, bool]:
    """The learned (share, most sentences, same article only); the fallbacks untrained."""
    meta = load().meta
    return (float(meta.get("list_extra_share", EXTRA_SHARE)), int(meta.get("list_max_sentences", MAX_SENTENCES)),
            bool(meta.get("list_same_article", SAME_ARTICLE)))


def extend(scored: Sequence[tuple[float, Any]], share: float, most: int, same_article: bool,
           logits: bool = False) -> list[Any]:
    """The best of ``scored`` ((ranker probability, or log-odds with ``logits``, and sentence),
    best first) and those that join it."""
    p0, top = scored[0]
    chosen = [top]
    for p, st in scored[1:]:
        ratio = math.exp(p - p0) if logits else odds_share(p, p0)
        if len(chosen) >= most or ratio < share:
            break
        if not same_article or st.doc.doc_id == top.doc.doc_id:
            chosen.append(st)
    return chosen


_SPEECH = re.compile(rf"\b(?:{QUESTION_SPEECH_FORMS}|comment(?:ed|s|ing)?|react(?:ed|s)?|respond(?:ed|s)?|quoted)\b",
                     re.I)
#: What a list question says about the list rather than its topic.
_LIST_CUES = re.compile(
    r"^\s*(?:please\s+)?(?:can you\s+|could you\s+)?(?:list|name|enumerate|give me|tell me|what are|which are)\s+"
    r"|\b(?:all|every|each)\s+(?:single\s+)?(?:of\s+)?(?:the\s+)?"
    r"|\b(?:figures?|numbers?|estimates?|counts?|totals?|amounts?)\s+(?:that (?:were|are) )?"
    r"(?:given|reported|cited|mentioned|stated|quoted)?\s*(?:for|of|on|about|in)?\s*"
    r"|,?\s*according to (?:all )?(?:the )?(?:articles|reports|sources|stories)\b", re.I)


def topic_text(question: str) -> str:
    """The question without its list cues: "List every figure given for crossings" ->
    "crossings"; "death tolls" -> "deaths"; "where do migrants come from" -> "where do
    migrants from" (coming from is what "where" asks, not a word to find)."""
    t = _LIST_CUES.sub(" ", question.strip().rstrip("?"))
    t = re.sub(r"\b(\w+?)s? tolls?\b", lambda m: m.group(1) + "s", t)
    t = re.sub(r"\b(?:come|comes|came|coming|originate|originates|originated|hail|hails)\s+(?=from\b)", "", t,
               flags=re.I)
    return " ".join(t.split())


def figure_kind(c: Candidate) -> str:
    """What a figure measures, for telling apart values that cannot be listed or compared
    together: a share, a sum of money (by currency), or a count."""
    m = c.mention
    if m is None:
        return "count"
    if fold(m.unit) in _PERCENT or "%" in m.text:
        return "share"
    if m.extra.get("currency"):
        return f"money ({m.extra.get('currency')})"
    return "count"


def keep_items(ev: Evidence, cands: Sequence[Candidate], same=lambda c: fold_answer(c.value),
               margin: float = LIST_MARGIN) -> list[Candidate]:
    """The candidates close to the best one, and the rest of the enumerations they stand
    in (a sentence naming several items of the same kind), valid (the question's names
    around them, its years), of the best one's kind, one per value."""
    valid = [c for c in cands if c.sent.years_ok and all(name_in_paragraph(n, c.sent)
                                                        for n in required_names(ev.corpus, ev.qa))]
    if not valid:
        return []
    best = valid[0]
    floor = max(ABSTAIN_BELOW, best.score - margin)
    out: list[Candidate] = []
    seen: set[str] = set()
    for c in valid:
        k = same(c)
        if k in seen or figure_kind(c) != figure_kind(best):
            continue
        enumerated = any(o.sent.doc.doc_id == c.sent.doc.doc_id and o.sent.start == c.sent.start for o in out)
        if c.score < floor and not (enumerated and c.score >= ABSTAIN_BELOW * ENUMERATION_FLOOR):
            continue
        seen.add(k)
        out.append(c)
    return out[:MAX_ITEMS]


@dataclass(frozen=True)
class Enumerated:
    """One item of an enumerated list: its text ("" for a sentence given whole) and which of
    the cited sentences names it."""

    text: str
    part: int


def _enumeration_reply(cand: Candidate, items: Sequence[Enumerated], cite_ns: Sequence[int]) -> str:
    """The items first, each cited, then the sentences they come from."""
    parts = list(zip(cited(cand), cite_ns, strict=False))
    if not items[0].text:
        lines = [f"{len(parts)} found:"] + [f"- {quoted(d, s, e)} [{n}]" for (d, s, e), n in parts]
        return "\n".join(lines)
    lines = [f"{len(items)} found:"] + [f"- {it.text} [{parts[it.part][1]}]" for it in items if it.part < len(parts)]
    lines.append("From: " + " ".join(f"{quoted(d, s, e)} [{n}]" for (d, s, e), n in parts))
    return "\n".join(lines)


@register(QuestionKind.LIST)
class ListKind(TypedKind):
    passages = VIEW_PASSAGES
    #: Each item is bound to the question's names on its own.
    binds_names = False

    def candidates(self, ev: Evidence) -> list[Candidate]:
        items = ev.qa.cue.get("items", "entities")
        if items == "enumeration" or (items == "entities" and ENUMERATE_RULE_LISTS and choice("list_sentence")):
            return self._enumerated(ev)
        if items == "speakers":
            return self._speakers(ev)
        if items == "figures":
            # The question's names bind the list around each item (``_keep``), not inside the
            # figure question, which wants a place in the figure's own sentence.
            _, cands = ask_typed(ev, f"How many {topic_text(ev.qa.text)}?", QuestionKind.FIGURE, drop_names=True)
            kept = keep_items(ev, cands, same=lambda c: c.key or fold_answer(c.value))
        else:
            info = {"noun": ev.qa.cue["noun"]} if ev.qa.cue.get("noun") else {}
            sev, cands = ask_typed(ev, topic_text(ev.qa.text), QuestionKind.ENTITY, info)
            labels = set(sev.qa.labels)
            if L.wanted_labels(ev.qa.text) == L.PEOPLE_LABELS:
                labels &= set(L.PEOPLE_LABELS)  # people only where people are asked ("which candidates")
            cands = [c for c in cands if c.mention is not None and c.mention.kind in labels
                     and not L.in_dateline(c.sent, c.mention)]
            kept = keep_items(ev, cands, same=lambda c: fold(c.value))
        if not kept:
            return []
        parts = [(c.sent.doc, c.sent.start, c.sent.end) for c in kept]
        value = "; ".join(c.value for c in kept)
        best = kept[0]
        cand = multi(value, parts, best.score, span=(best.start, best.end), items=[c.value for c in kept])
        cand.sent = best.sent
        return [cand]

    def _enumerated(self, ev: Evidence) -> list[Candidate]:
        """The sentences the learned ranker puts first (``forms.lists``), and the entities of
        the asked type they name; the sentences themselves when the question asks no type or
        they name none."""
        model = choice("list_sentence")
        labels = L.wanted_labels(ev.qa.text)
        scored = L.ranked(ev, model, labels)
        if not scored:
            return []
        p0, top = scored[0]
        chosen = extend(scored, *list_reach())
        items = [(m, i) for i, st in enumerate(chosen) for m in (L.typed_items(ev, st, labels) if labels else [])]
        seen: set[str] = set()
        items = [(m, i) for m, i in items if not (fold(m.text) in seen or seen.add(fold(m.text)))][:MAX_ITEMS]
        conf = model.calibration(p0) if model is not None else top.score
        parts = [(st.doc, st.start, st.end) for st in chosen]
        shown = [m.text for m, _ in items] or [" ".join(st.text.split()) for st in chosen]
        cand = multi("; ".join(shown), parts, conf, items=[Enumerated(m.text, i) for m, i in items] or
                     [Enumerated("", i) for i in range(len(chosen))])
        cand.sent = top
        return [cand]

    def why_not(self, ev: Evidence, cand: Candidate) -> str:
        """The learned abstention of an enumerated list; the answerer's checks for the others."""
        items = getattr(cand, "items", [])
        model = choice("list_sentence")
        if items and isinstance(items[0], Enumerated):
            if model is not None and cand.score < model.abstain_below:
                return f"no sentence found lists what was asked (confidence {cand.score:.2f})"
            return ""
        return why_not(ev.corpus, ev.qa, cand, self.binds_names)

    def _speakers(self, ev: Evidence) -> list[Candidate]:
        labels = PEOPLE if _PEOPLE_WORDS.search(ev.qa.text) else None
        # The topic is what they commented on: not the speech verb, not "officials".
        said = {t for w in _SPEECH.findall(ev.qa.text) + _PEOPLE_WORDS.findall(ev.qa.text) for t in tokenize(w)}
        topic = replace(ev.qa, focus=[t for t in ev.qa.focus if t not in said] or ev.qa.focus)
        found: list[Speaker] = statements(ev.corpus, topic, ev.passages, **({"labels": labels} if labels else {}))
        found = found[:MAX_ITEMS]
        if not found:
            return []
        docs = {s.doc_id: ev.corpus.doc(s.doc_id) for sp in found for s in sp.statements[:1]}
        parts = [(docs[sp.statements[0].doc_id], sp.statements[0].start, sp.statements[0].end) for sp in found
                 if docs.get(sp.statements[0].doc_id) is not None]
        score = found[0].statements[0].relevance
        return [multi("; ".join(sp.name for sp in found), parts, score, items=found)]

    def why_none(self, ev: Evidence) -> str:
        what = {"speakers": "statement", "figures": "figure"}.get(ev.qa.cue.get("items", ""), "item")
        return f"no {what} about it appears in the closest passages"

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        items = getattr(cand, "items", [])
        if items and isinstance(items[0], Enumerated):
            return _enumeration_reply(cand, items, cite_ns)
        if items and isinstance(items[0], Speaker):
            lines = [f"{len(items)} quoted on it:"]
            for sp, n in zip(items, cite_ns, strict=False):
                said = sp.statements[0]
                lines.append(f"- {sp.name}: “{clip(said.sentence, STATEMENT_CLIP)}” [{n}]")
            return "\n".join(lines)
        lines = [f"{len(items)} found:"]
        for item, n in zip(items, cite_ns, strict=False):
            lines.append(f"- {item} [{n}]")
        return "\n".join(lines)
