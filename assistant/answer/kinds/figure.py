"""How many / how much: a figure of the asked unit, bound to the asked thing and
place; sources that disagree on it are all shown."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.binding import frame_score, mentions_in, proximity
from assistant.answer.corpus import Corpus, idf
from assistant.answer.evidence import (
    Candidate,
    Evidence,
    Sent,
    name_keys,
    name_present,
    names_in_doc,
    required_names,
)
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.registry import register
from assistant.answer.question import QuestionAnalysis
from assistant.models import Mention, QuestionKind
from assistant.text.folding import fold, fold_answer, name_key
from assistant.text.tokens import tokenize

#: Sentences (best first) searched for a figure. Set by hand.
FIGURE_SENTENCES = 12
#: Weights of a figure candidate beyond its sentence's evidence score: frame match (plus
#: place binding), unit match, nearness to the question's words. Set by hand on
#: eval/seeds.jsonl.
W_FRAME, W_UNIT, W_PROXIMITY = 0.3, 0.2, 0.1
#: Taken off a vague quantity in words ("hundreds of migrants"). Set by hand.
VAGUE_PENALTY = 0.1
#: Most a figure gains from being bound to the question's (rarest) place. Set by hand.
W_PLACE = 0.3
#: Another source's figure is a conflict only within this much of the best score, and if
#: its frame is not this much worse. Set by hand on eval/seeds.jsonl.
CONFLICT_MARGIN, CONFLICT_FRAME_MARGIN = 0.15, 0.2
#: The counted noun is looked for this many characters (and words) after the number.
UNIT_LOOKAHEAD_CHARS, UNIT_LOOKAHEAD_WORDS, UNIT_PREFIX = 40, 3, 5

_VAGUE = re.compile(r"\b(?:hundreds|thousands|millions|billions|dozens|scores|several|many|numerous|tens)\b", re.I)
#: Units that answer "how long / how far": lengths and durations.
_LENGTH_UNITS = frozenset(tokenize("km kilometre kilometer kilometres kilometers mile miles metre meter metres meters "
                                   "feet foot yard yards year years month months week weeks day days hour hours "
                                   "minute minutes second seconds"))
_PERCENT_UNITS = ("percent", "%", "percentage point", "percentage points")
_MONEY_UNITS = ("usd", "eur", "gbp", "rub", "dollar", "euro")


def place_binding(corpus: Corpus, qa: QuestionAnalysis, m: Mention) -> float:
    """+ when the figure is bound to a place the question names, - when it is bound only
    to other places ("28,668 via Poland" for a question about Lithuania)."""
    aliases = corpus.aliases
    fplaces = {name_key(w) for w in m.frame if aliases.label(w) in ("GPE", "LOC")}
    if not fplaces:
        return 0.0
    qplaces = {name_key(w): w for n in required_names(corpus, qa) if aliases.label(n) in ("GPE", "LOC")
               for w in n.split()}
    if not qplaces:
        return 0.0
    if not fplaces & set(qplaces):
        return -1.0
    # The question's rarer place is the specific one ("Ghent" in "from Belgium to Ghent").
    w = {k: max((idf(corpus, t) for t in tokenize(v)), default=0.0) for k, v in qplaces.items()}
    total = sum(w.values()) or 1.0
    return W_PLACE * sum(v for k, v in w.items() if k in fplaces) / total


def places_near(corpus: Corpus, qa: QuestionAnalysis, st: Sent) -> bool:
    """A figure about a place must be stated with that place: in its sentence or the
    one before (news often names the place once, then gives figures)."""
    places = [n for n in required_names(corpus, qa) if corpus.aliases.label(n) in ("GPE", "LOC")]
    if not places:
        return True
    s = st.doc.sentences[st.index - 1][0] if st.index > 0 else st.start
    # The headline names what the whole article is about ("... from Ruritania").
    text = st.doc.text[s: st.end] + "\n" + st.doc.title
    keys, folded = name_keys(text), fold(text)
    return all(name_present(n, keys, folded) for n in places)


def qualifier_start(text: str, m: Mention, floor: int = 0) -> int:
    """Where the figure ``m`` starts with the qualifier ingest recorded before it ("*nearly*
    $1 million"), not before ``floor``; ``m.start`` when the text does not write it there."""
    q = m.qualifier
    if not q:
        return m.start
    lo = max(floor, m.start - len(q) - 2)
    i = fold(text[lo:m.start]).rfind(fold(q))
    return lo + i if i >= 0 else m.start


def figure_offsets(st: Sent, m: Mention) -> tuple[int, int]:
    """The figure's span with its qualifier ("nearly") and counted noun ("attempts")."""
    text = st.doc.text
    s, e = qualifier_start(text, m, st.start), m.end
    if m.unit and fold(m.unit) not in fold(text[s:e]):
        # Extend to the counted noun when it follows within a few words.
        tail = text[e: min(st.end, e + UNIT_LOOKAHEAD_CHARS)]
        um = re.search(r"\b" + re.escape(fold(m.unit)[:UNIT_PREFIX]), fold(tail))
        if um and len(tail[: um.start()].split()) <= UNIT_LOOKAHEAD_WORDS:
            end_word = re.match(r"[\w\-]+", tail[um.start():])
            e = e + um.start() + (end_word.end() if end_word else 0)
    return s, e


def unit_score(qa: QuestionAnalysis, m: Mention) -> float | None:
    """How well the figure's unit fits the question's; None when it cannot answer it (a
    share, a sum of money or a length is a different quantity from a count)."""
    unit = fold(m.unit)
    unit_stems = set(tokenize(unit)) if unit else set()
    is_pct = unit in _PERCENT_UNITS or "%" in m.text
    is_money = bool(m.extra.get("currency")) or unit in _MONEY_UNITS
    if qa.unit == "percent":
        return 1.0 if is_pct else None
    if qa.unit == "money":
        return 1.0 if is_money else None
    if qa.unit == "length":
        return 1.0 if unit_stems & _LENGTH_UNITS or set(tokenize(m.text)) & _LENGTH_UNITS else None
    if qa.unit:
        # "How many people were surveyed?" is a count: of the 70 training questions that
        # ask how many of a unit (realtimeqa 2022-23, natural-train), no gold is a share.
        if is_pct:
            return None
        return 1.0 if qa.unit in unit_stems or qa.unit in {t for w in m.frame for t in tokenize(w)} else 0.0
    return 0.0


@register(QuestionKind.FIGURE)
class FigureKind(TypedKind):
    def candidates(self, ev: Evidence) -> list[Candidate]:
        qa, corpus = ev.qa, ev.corpus
        out: list[Candidate] = []
        qnums = {fold_answer(n) for n in qa.numbers}
        for st in ev.sents[:FIGURE_SENTENCES]:
            for m in mentions_in(st, {"FIGURE"}):
                if fold_answer(m.text) in qnums or (m.value and fold_answer(m.value) in qnums):
                    continue  # never answer with a number that is only in the question
                us = unit_score(qa, m)
                if us is None:
                    continue
                if not places_near(corpus, qa, st):
                    continue
                bind = place_binding(corpus, qa, m)
                if bind <= -1.0:
                    continue  # bound to other places only
                fs = frame_score(corpus, qa, m) + bind
                # "hundreds of migrants" is an order of magnitude, not a figure to cite.
                vague = -VAGUE_PENALTY if _VAGUE.search(m.text) and not re.search(r"\d", m.text) else 0.0
                score = st.score + W_FRAME * fs + W_UNIT * us + W_PROXIMITY * proximity(qa, st, m) + vague
                s, e = figure_offsets(st, m)
                out.append(Candidate(st.doc.text[s:e].strip(" ,;–—-"), st, s, e, score,
                                     key=m.value or fold_answer(m.text), mention=m))
        return out

    def conflicts(self, ev: Evidence, best: Candidate, alts: Sequence[Candidate]) -> list[Candidate]:
        """Other sources giving a different value for the same thing (same unit, close score)."""
        qa, corpus = ev.qa, ev.corpus
        out = [best]
        seen_docs = {best.sent.doc.doc_id}
        for c in alts:
            if c.sent.doc.doc_id in seen_docs or c.key == best.key:
                continue
            if c.score < best.score - CONFLICT_MARGIN or not c.sent.years_ok or not names_in_doc(corpus, qa, c.sent.doc):
                continue
            if best.mention and c.mention and \
                    frame_score(corpus, qa, c.mention) < frame_score(corpus, qa, best.mention) - CONFLICT_FRAME_MARGIN:
                continue  # a figure about something else in the same sentence
            if best.mention and c.mention and fold(best.mention.unit) and fold(c.mention.unit) \
                    and set(tokenize(best.mention.unit)) != set(tokenize(c.mention.unit)):
                continue
            out.append(c)
            seen_docs.add(c.sent.doc.doc_id)
        return out if len(out) > 1 else []
