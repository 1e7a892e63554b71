"""How long has X ...: the date the state began ("since 1994", "started in spring
2021", "in June 2021 ... suspended"), and the years from it to the article's date:
"since 1994, 31 years as of the article's date (2025-07-26)". An article without a
year says so instead of counting to a guessed date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.evidence import Candidate, Evidence
from assistant.answer.kinds.base import SENTENCE_CLIP, TypedKind, clip
from assistant.answer.kinds.parts import ask_typed
from assistant.answer.kinds.registry import register
from assistant.answer.relative import article_year
from assistant.models import Answer, QuestionKind
from assistant.text.dates import show_date
from assistant.text.tokens import tokenize

#: Bonus of a date that opens a state ("since 1994", "started in", "began in") over any
#: date bound to the asked event. Set by hand.
W_SINCE = 0.3
_SINCE = frozenset({"since", "from"})
_START_VERBS = frozenset(tokenize("start started begin began begun launch launched erupt erupted open opened "
                                  "take took assume assumed come came"))
#: Idioms of holding a position, and the verb news most often uses for it ("in power"
#: ~ "ruled"; one verb, since each word the corpus lacks weighs as a rare one).
_HOLDING = re.compile(r"\b(?:been )?(?:in power|in office|at the helm|in charge|in control|at the top)\b", re.I)
_HOLDING_VERB = "ruled"
#: Units of a length of time.
_TIME_UNIT = re.compile(r"\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centur(?:y|ies))\b|"
                        r"-(?:second|minute|hour|day|week|month|year)\b", re.I)


def _years_between(start: str, end: str) -> int | None:
    """Whole years from an ISO value with a year to an ISO date (None without both years)."""
    m1, m2 = re.match(r"(\d{4})(?:-(\d{2}))?", start), re.match(r"(\d{4})(?:-(\d{2}))?", end)
    if not m1 or not m2:
        return None
    years = int(m2.group(1)) - int(m1.group(1))
    if m1.group(2) and m2.group(2) and int(m2.group(2)) < int(m1.group(2)):
        years -= 1
    return max(0, years)


@register(QuestionKind.DURATION)
class DurationKind(TypedKind):
    def candidates(self, ev: Evidence) -> list[Candidate]:
        text = ev.qa.text
        if _HOLDING.search(text):
            text = _HOLDING.sub(" " + _HOLDING_VERB + " ", text)
        text = re.sub(r"\bhow long\b|\bfor how long\b|\bhow many years\b", "since when", text, flags=re.I)
        _, cands = ask_typed(ev, text, QuestionKind.DATE, {"granularity": "year"})
        out = []
        for c in cands:
            m = c.mention
            if m is None or not re.match(r"\d{4}", m.value or ""):
                continue  # a state's start needs a year to count from
            frame = {t for w in m.frame[:3] for t in tokenize(w)}
            opens = fold_q(m.qualifier) in _SINCE or bool(frame & _START_VERBS)
            c.score += W_SINCE if opens else 0.0
            out.append(c)
        if not out:
            # No start date: a stated length of time answers it ("more than three hours long",
            # "for 36 years"), a figure in units of time bound to the asked words.
            _, figs = ask_typed(ev, re.sub(r"\bhow long\b", "how many hours", ev.qa.text, flags=re.I),
                                QuestionKind.FIGURE)
            for c in figs:
                if _TIME_UNIT.search(c.value) or (c.mention is not None and _TIME_UNIT.search(c.mention.unit or "")):
                    c.note = "length"
                    out.append(c)
        return out

    def why_none(self, ev: Evidence) -> str:
        return "no date with a year for when it began appears in the closest passages"

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        if cand.note == "length":
            return f"{cand.value} {markers} — “{clip(cand.sent.text, SENTENCE_CLIP)}”"
        m = cand.mention
        value = m.value if m is not None else ""
        doc = cand.sent.doc
        since = cand.value if re.match(r"(?i)since\b", cand.value) else f"since {cand.value}"
        if doc.year and len(doc.date) >= 4:
            years = _years_between(value, doc.date)
            count = f", {years} year{'s' if years != 1 else ''} as of the article's date ({show_date(doc.date)})"
        elif article_year(doc):
            years = _years_between(value, str(article_year(doc)))
            count = (f", about {years} year{'s' if years != 1 else ''} as of the year the article counts from "
                     f"({article_year(doc)})")
        else:
            asked = ev.qa.asked_on
            years = _years_between(value, asked) if asked else None
            count = " (the article gives no date to count the years to" + (
                f"; to {asked}, the date asked, it would be {years} years" if years is not None else "") + ")"
        return f"{since[0].upper()}{since[1:]} {markers}{count} — “{clip(cand.sent.text, SENTENCE_CLIP)}”"

    def finish(self, ev: Evidence, cand: Candidate, answer: Answer) -> Answer:
        if cand.note == "length":
            return answer
        value = cand.value if re.match(r"(?i)since\b", cand.value) else f"since {cand.value}"
        return replace(answer, answer=value)


def fold_q(s: str) -> str:
    return (s or "").strip().lower()
