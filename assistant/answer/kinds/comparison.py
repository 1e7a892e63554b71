"""Comparisons: "which is larger, X or Y", "did X or Y have more ...": a figure for each
side (asked as a figure question of its own, so it is bound to that side as a factoid
answer is), compared, both cited. Figures of different kinds (a share and a count, two
currencies) or for different periods are not compared: the reply says why. "How do the
figures differ across articles" (no sides) lists each source's figure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.evidence import Candidate, Evidence, Sent, paragraph_of
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.figure import unit_score
from assistant.answer.kinds.listing import figure_kind, keep_items, topic_text
from assistant.answer.kinds.parts import ask_typed, multi
from assistant.answer.kinds.registry import kind_for, register
from assistant.answer.kinds.winner import Pick, mention, pick
from assistant.answer.policy import why_not
from assistant.answer.question import CUE_WORDS, extract_names
from assistant.answer.relative import period_of
from assistant.models import QuestionKind
from assistant.text.dates import show_date
from assistant.text.folding import fold, fold_answer
from assistant.text.lexicon import STOPWORDS
from assistant.text.tokens import tokenize

_LESS = re.compile(r"\b(?:less|fewer|smaller|lower|shorter|least|smallest|lowest|fewest|younger|earlier)\b", re.I)
_COMPARATIVE = re.compile(r"\b(?:more|less|fewer|larger|bigger|higher|lower|greater|smaller|longer|shorter|most|"
                          r"least|largest|biggest|highest|lowest|smallest|fewest)\b", re.I)
#: "How do the figures differ across articles": each article's best figure counts while
#: within this much of the best of all (wider than a list's: one per source). Set by hand.
VALUES_MARGIN = 0.5
_ACROSS = re.compile(r"\b(?:across|between|among|in different|from different)\s+(?:the\s+)?(?:articles|sources|reports|"
                     r"outlets|stories|papers|publications)\b", re.I)
#: What a "how do the figures differ" question says about comparing, not about what.
_VALUES_CUES = re.compile(r"^\s*(?:how|in what way|where)\s+(?:do|does|did)\s+|\b(?:differ|vary|compare|disagree)\b.*$"
                          r"|^\s*(?:compare|what is the difference between)\s+", re.I)
#: Words of a quantity side that do not say what is counted.
_GENERIC = frozenset(tokenize("number total count amount figure share"))
_WH = frozenset(["which", "what", "who", "whom", "whose", "where", "when", "how"])
_PREPS = ("in", "at", "for", "from", "during", "by", "via", "to", "into", "on", "with")
#: Evidence sentences (best first) searched for one naming both sides, when the sides have no
#: figures. Measured on natural-train's comparison questions: 1, 3, 5, 10 and 20 all answer 12
#: of 39 right; 5 (the sentence kind's reach, ``SENTENCES`` and a little more) is kept.
BOTH_WINDOW = 5
#: Sentences offered when the sides have no figures (as the sentence kind's ``SENTENCES``).
WINNER_SENTENCES = 3
_AUX = frozenset(["is", "are", "was", "were", "do", "does", "did", "has", "have", "had", "will", "would", "can",
                  "could", "saw", "see", "sees", "get", "got"])


@dataclass(frozen=True)
class Sides:
    left: str
    right: str
    #: The question without its sides: what is compared ("crossing attempts in 2025").
    measure: str


def parse_sides(question: str) -> Sides | None:
    """The two sides of "which ..., X or Y?", "X or Y: which ...?", "did X or Y ...?",
    "compare X and/with Y", "the difference between X and Y"."""
    q = question.strip().rstrip("?").strip()
    m = re.search(r"\b(?:compare|comparing|between)\s+(.+?)\s+(?:and|with|to|vs\.?|versus)\s+(.+?)(?:[,;:]|$)", q, re.I) \
        or re.search(r"(?:^|[,;:]\s*)([^,;:]+?)\s+(?:vs\.?|versus)\s+([^,;:]+)", q, re.I)
    if m:
        rest = (q[: m.start()] + " " + q[m.end():]).strip()
        return Sides(_trim(m.group(1)), _trim(m.group(2)), _measure(rest))
    clauses = re.split(r"\s*[,;:]\s*|\s+[-–—]\s+", q)
    idx = next((i for i, c in enumerate(clauses) if re.search(r"\bor\b", c, re.I)), None)
    if idx is None:
        return None
    clause = clauses[idx]
    left, right = re.split(r"\s+or\s+", clause, maxsplit=1, flags=re.I)
    rest_of_clause = ""
    prep = ""
    rw = right.split()
    if rw and rw[0].lower() in _PREPS:
        prep, right = rw[0].lower(), " ".join(rw[1:])
    # The right side ends where the question goes on ("Latvia have more attempts ...").
    rw = right.split()
    cut = next((i for i, w in enumerate(rw) if w.lower() in _AUX or _COMPARATIVE.fullmatch(w) or w.lower() == "than"),
               len(rw))
    right, rest_of_clause = " ".join(rw[:cut]), " ".join(rw[cut:])
    names = extract_names(right)
    if right[:1].isupper() and names and right.startswith(names[0]) and names[0] != right:
        # "Did A or B issue more permits": the side is the name; the rest is the measure.
        rest_of_clause = right[len(names[0]):] + " " + rest_of_clause
        right = names[0]
    lw = left.split()
    if prep and prep in [w.lower() for w in lw]:
        i = max(i for i, w in enumerate(lw) if w.lower() == prep)
        rest_of_clause = " ".join(lw[:i]) + " " + rest_of_clause
        left = " ".join(lw[i + 1:])
    else:
        # The left side starts after the last question word, auxiliary or comparative.
        starts = [i + 1 for i, w in enumerate(lw) if w.lower() in _AUX or w.lower() in _WH
                  or _COMPARATIVE.fullmatch(w)]
        start = max(starts, default=0)
        rest_of_clause = " ".join(lw[:start]) + " " + rest_of_clause
        left = " ".join(lw[start:])
        names = extract_names(left)
        if right[:1].isupper() and names and not left[:1].isupper():
            left = names[-1]  # "which had more attempts Latvia or Lithuania"
    others = " ".join(c for i, c in enumerate(clauses) if i != idx)
    left, right = _trim(left), _trim(right)
    if not left or not right:
        return None
    return Sides(left, right, _measure(f"{others} {rest_of_clause}" + (f" {prep}" if prep else "")))


#: Evidence sentences (best first) searched for how the articles write a side typed in lower
#: case. Set by hand: the evidence the sentence kinds read (``features.CANDIDATES`` is 40) is
#: more than a side needs; half of it.
SIDE_WINDOW = 20


def written_side(side: str, sents: Sequence[Sent]) -> str:
    """A side typed in lower case ("new york or florida") as the evidence writes it when the
    articles write it capitalised ("New York"), not at a sentence's start: a name, asked and
    shown as one. Else as typed."""
    if not side or side[:1].isupper():
        return side
    pat = re.compile(rf"(?<!\w){re.escape(side)}(?!\w)", re.I)
    for st in sents[:SIDE_WINDOW]:
        for m in pat.finditer(st.text):
            if m.start() > 0 and m.group(0)[:1].isupper():
                return m.group(0)
    return side


def evidence_sides(ev: Evidence) -> Sides | None:
    """``parse_sides`` of the question, each side as the evidence writes it (``written_side``)."""
    sides = parse_sides(ev.qa.text)
    if sides is None:
        return None
    return Sides(written_side(sides.left, ev.sents), written_side(sides.right, ev.sents), sides.measure)


def _trim(side: str) -> str:
    words = side.strip(" .,;:?").split()
    while words and words[0].lower() in ("the", "a", "an", "did", "does", "do", "is", "was", "were", "are"):
        words = words[1:]
    return " ".join(words)


def _measure(text: str) -> str:
    """What is compared: the words after the comparative ("more *crossing attempts in
    2025*"), then those before it that are not question words."""
    m = _COMPARATIVE.search(text)
    after, before = (text[m.end():], text[: m.start()]) if m else (text, "")
    keep = [w for w in before.split() if w.lower() not in CUE_WORDS and w.lower() not in STOPWORDS
            and w.lower() not in _AUX]
    return " ".join(f"{after} {' '.join(keep)}".split())


def _side_question(side: str, measure: str) -> str:
    """A figure question for one side: "How many crossing attempts in 2025, for Latvia?",
    or "What was the number of suspects arrested?" when the side is itself a quantity."""
    s = side.strip()
    m = re.match(r"(?i)(?:the )?(?:number|total|count|amount) of (.+)", s)
    if m:
        return f"What was the number of {m.group(1)} {measure}?".replace("  ", " ")
    if not s[:1].isupper():
        return f"How many {s} {measure}?"
    return f"How many {measure}, for {s}?"


def _value(c: Candidate) -> float | None:
    """The figure's number; of a range or a score ("71 percent to 27 percent") its first."""
    if c.mention is None or not c.mention.value:
        return None
    try:
        return float(c.mention.value)
    except ValueError:
        m = re.match(r"\s*(-?\d+(?:\.\d+)?)", c.mention.value)
        return float(m.group(1)) if m else None


def same_measure(sides: Sides, a: Candidate, b: Candidate) -> bool:
    """Two named sides' figures count the same thing (their units agree: "95 retired generals"
    and "88 generals"). Sides that are themselves quantities ("the number of rings or the number
    of suspects") count different things by design."""
    if not (sides.left[:1].isupper() or is_name(sides.left, a)) or not (sides.right[:1].isupper()
                                                                       or is_name(sides.right, b)):
        return True
    if a.mention is None or b.mention is None:
        return True
    return fold(a.mention.unit) == fold(b.mention.unit)


def incomparable(a: Candidate, b: Candidate) -> str:
    """Why two figures cannot be compared ("" when they can)."""
    ka, kb = figure_kind(a), figure_kind(b)
    if ka != kb:
        return f"{a.value} is a {ka} and {b.value} a {kb}"
    if _value(a) is None or _value(b) is None:
        return f"{a.value if _value(a) is None else b.value} is not a number that can be compared"
    same_paragraph = a.sent.doc.doc_id == b.sent.doc.doc_id and \
        paragraph_of(a.sent.doc, a.sent.start) == paragraph_of(b.sent.doc, b.sent.start)
    pa, pb = period_of(a), period_of(b)
    if not same_paragraph and pa != pb:
        said = [f"{c.value} is for {', '.join(sorted(p))}" if p else f"{c.value} gives no period"
                for c, p in ((a, pa), (b, pb))]
        return f"they are for different periods ({'; '.join(said)})"
    return ""


@register(QuestionKind.COMPARISON)
class ComparisonKind(TypedKind):
    #: Each side is bound to its own name by its figure question.
    binds_names = False

    def _sides(self, ev: Evidence) -> tuple[Sides, Candidate, Candidate] | str:
        sides = evidence_sides(ev)
        if sides is None:
            return ""
        found = []
        for side in (sides.left, sides.right):
            sev, cands = ask_typed(ev, _side_question(side, sides.measure), QuestionKind.FIGURE)
            # A side that is a quantity ("the number of suspects arrested") must be what the
            # figure counts: one of its words among the words the figure is bound to.
            own = set() if side[:1].isupper() else {t for t in tokenize(side) if t not in _GENERIC}
            ok = [c for c in cands if not why_not(ev.corpus, sev.qa, c, True)
                  and (unit_score(sev.qa, c.mention) or 0.0) >= 0.0
                  and (not own or own & {t for w in (c.mention.frame if c.mention else []) for t in tokenize(w)})]
            if not ok:
                return f"the closest passages give no figure for {side}"
            found.append(ok[0])
        return sides, found[0], found[1]

    def candidates(self, ev: Evidence) -> list[Candidate]:
        got = self._sides(ev)
        if isinstance(got, str):
            if got:
                # No figure for a side: not a comparison of numbers ("which came first, A or
                # B?"); the sentences that speak of both answer it, the side they support first.
                return self._named(ev, evidence_sides(ev))  # type: ignore[arg-type]
            return [] if evidence_sides(ev) else self._values(ev)
        sides, a, b = got
        if incomparable(a, b):
            return []
        if (a.sent.doc.doc_id == b.sent.doc.doc_id and a.start == b.start) or not same_measure(sides, a, b):
            # One figure for both sides, or two named sides' figures counting different things
            # ("Lachlan, 44" and "two sons"): not theirs to compare; the sentences may still
            # say which side wins ("asked who would bring change, Trump led").
            return self._named(ev, sides)
        va, vb = _value(a), _value(b)
        less = bool(_LESS.search(ev.qa.text))
        a_wins = (va < vb) if less else (va > vb)  # type: ignore[operator]
        win, lose = ((sides.left, a), (sides.right, b)) if a_wins else ((sides.right, b), (sides.left, a))
        score = min(win[1].score, lose[1].score)
        parts = [(win[1].sent.doc, win[1].sent.start, win[1].sent.end),
                 (lose[1].sent.doc, lose[1].sent.start, lose[1].sent.end)]
        cand = multi(f"{win[0]}: {win[1].value}", parts, score, span=(win[1].start, win[1].end),
                     items=[win, lose, "less" if less else "more"])
        cand.sent = win[1].sent
        cand.mention = win[1].mention
        return [cand]

    def _named(self, ev: Evidence, sides: Sides) -> list[Candidate]:
        """Sides without figures: the best sentences that name both (else the best ones),
        each as the side it supports (``winner.pick``). Held to the question's names and
        years here, since sides are not."""
        pool = [st for st in ev.sents[:BOTH_WINDOW] if st.names_ok >= 1.0 and st.years_ok]
        both = [st for st in pool if mention(sides.left, sides.right, st.text) and mention(sides.right, sides.left,
                                                                                          st.text)]
        out: list[Candidate] = []
        for st in (both or pool)[:WINNER_SENTENCES]:
            p = pick(ev.qa.text, sides.left, sides.right, st.text)
            if p is None:
                out.append(Candidate(st.text, st, st.start, st.end, st.score))
                continue
            shown = _with_article(st.text, p)
            cand = multi(shown.side, [(st.doc, st.start, st.end)], st.score,
                         span=(st.start + shown.start, st.start + shown.end), items=[shown])
            cand.sent = st
            out.append(cand)
        return out

    def _values(self, ev: Evidence) -> list[Candidate]:
        """No sides ("how do the figures differ across articles"): each source's figure."""
        what = _VALUES_CUES.sub(" ", topic_text(ev.qa.text)).strip() or topic_text(ev.qa.text)
        _, cands = ask_typed(ev, f"How many {what}?", QuestionKind.FIGURE)
        if _ACROSS.search(ev.qa.text):
            # Each source's figure: its best one.
            valid = keep_items(ev, cands, same=lambda c: f"{c.sent.doc.doc_id}:{c.key or fold_answer(c.value)}",
                               margin=VALUES_MARGIN)
            kept = [c for i, c in enumerate(valid)
                    if all(o.sent.doc.doc_id != c.sent.doc.doc_id for o in valid[:i])]
        else:
            kept = keep_items(ev, cands, same=lambda c: c.key or fold_answer(c.value))
        if not kept:
            return []
        parts = [(c.sent.doc, c.sent.start, c.sent.end) for c in kept]
        cand = multi("; ".join(c.value for c in kept), parts, kept[0].score, span=(kept[0].start, kept[0].end),
                     items=[(c.sent.doc.publisher or c.sent.doc.title or c.sent.doc.doc_id, c) for c in kept])
        cand.sent = kept[0].sent
        return [cand]

    def why_none(self, ev: Evidence) -> str:
        got = self._sides(ev)
        if isinstance(got, str):
            return got or "the question names no two things to compare"
        sides, a, b = got
        why = incomparable(a, b)
        if why:
            return f"{sides.left} ({a.value}) and {sides.right} ({b.value}) cannot be compared: {why}"
        return f"the closest passages give one figure for both {sides.left} and {sides.right}"

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        items = getattr(cand, "items", [])
        if not items:
            return kind_for(QuestionKind.OTHER).reply(ev, cand, markers, cite_ns)
        if isinstance(items[0], Pick):
            # The side the sentence supports leads, then the sentence that says so.
            return f"{items[0].side} — “{cand.sent.text.strip()}” {markers}"
        if len(items) == 3 and isinstance(items[2], str):
            (wn, wc), (ln, lc), how = items
            n1, n2 = (list(cite_ns) + list(cite_ns))[:2]
            # The winner leads, then both values, each cited: a named side as the article
            # writes it ("Clinton (95 …)"); a side that is itself a quantity ("the number of
            # suspects arrested") by its number, which is then the answer.
            if is_name(wn, wc):
                # Each value in quotation marks, as its cited sentence writes it (traceable).
                return (f"{as_written(wn, wc)} (“{wc.value}”) [{n1}] — {how} than {as_written(ln, lc)} (“{lc.value}”) "
                        f"[{n2}].")
            return f"{_bare(wc)} ({wn}: “{wc.value}”) [{n1}] — {how} than {_bare(lc)} ({ln}: “{lc.value}”) [{n2}]."
        lines = ["The sources give:"]
        for (src, c), n in zip(items, cite_ns, strict=False):
            # Each with its source and the period it is for: figures for different periods
            # differ without disagreeing.
            period = sorted(period_of(c))
            about = ", ".join(x for x in (src, show_date(c.sent.doc.date),
                                          f"for {' and '.join(period)}" if period else "") if x)
            lines.append(f"- {c.value} [{n}] ({about})")
        return "\n".join(lines)


def _written(side: str, c: Candidate) -> list[tuple[str, str]]:
    """Each word of ``side`` and how its cited sentence writes it ("" when it does not)."""
    out = []
    for w in side.split():
        m = re.search(rf"(?<!\w){re.escape(w)}(?!\w)", c.sent.text, re.I)
        out.append((w, m.group(0) if m else ""))
    return out


def is_name(side: str, c: Candidate) -> bool:
    """The side is a name (capitalised in the question, or a word of it capitalised in its
    cited sentence: "bill clinton in 1996" where the sentence says "Clinton"), not a quantity."""
    if side[:1].isupper():
        return True
    m = re.search(re.escape(side), c.sent.text, re.I)
    if m:
        return m.group(0)[:1].isupper()
    return any(v[:1].isupper() and w.lower() not in STOPWORDS for w, v in _written(side, c))


def as_written(side: str, c: Candidate) -> str:
    """A side as its cited sentence writes it ("clinton" -> "Clinton"; word by word when the
    sentence does not hold it whole), else capitalised."""
    m = re.search(re.escape(side), c.sent.text, re.I)
    if m:
        return m.group(0)
    words = [v if v[:1].isupper() else w for w, v in _written(side, c)]
    out = " ".join(words)
    return out[:1].upper() + out[1:]


def _with_article(text: str, p: Pick) -> Pick:
    """The pick as its sentence names it: with the capitalised words right after the matched
    word and a "The" right before it ("Hillary" -> "Hillary Clinton"; "Sopranos" -> "The
    Sopranos"). Words before it are not taken: the side's own words start at the match."""
    a, b = p.start, p.end
    if text[a:b][:1].isupper():
        if m := re.search(r"\b[Tt]he\s+$", text[:a]):
            a = m.start()
        while m := re.match(r"\s+([A-Z][\w’'-]*)", text[b:]):
            b += m.end(1)
    return Pick(text[a:b].strip(" ,.'’‘“”"), a, b, p.by)


def _bare(c: Candidate) -> str:
    """The number as written, without its qualifier and noun ("170" of "more than 170 suspects")."""
    return c.mention.text if c.mention is not None else c.value
