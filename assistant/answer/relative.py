"""Relative dates in a question ("this year", "last year", "in October") read against
each candidate article's own date, and the period a figure is for.

A reader of an article takes "this year" to mean the year the article was written, so a
question asking for "this year's figure" is answered, article by article, with the
figure for that article's year; a figure for another period is never an answer, nor a
conflict with one ("Sources differ" only compares like with like).

An article's year is its metadata date's, or, when the date gives none, the year it
counts "since the start of" or "so far in" (news convention: "Since the start of 2025,
the EU has thwarted ..." is written in 2025). A year is otherwise never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.answer.evidence import MISSING_YEAR_PENALTY, Candidate, Evidence, Sent, paragraph_of
from assistant.models import Document
from assistant.text.dates import MONTHS

_REL = re.compile(r"\b(this|last|previous|next) (year|month)\b|\bin ("
                  + "|".join(m for m in MONTHS if len(m) > 3) + r")\b(?!\s*,?\s*\d{4})", re.I)
#: "Since the start of 2025, ...", "so far in 2025", "in 2025 so far": the year the article
#: is written in.
_CURRENT_YEAR = re.compile(r"\b(?:since the (?:start|beginning) of|so far in|so far this year,? \(?|year to date,? )"
                           r"\s*(\d{4})\b|\bin (\d{4}) so far\b", re.I)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")



@dataclass(frozen=True)
class Relative:
    """A relative date in a question: ``unit`` "year" or "month", ``offset`` from the
    article's (0 this, -1 last, +1 next), or a named ``month`` ("in October")."""

    label: str
    unit: str
    offset: int = 0
    month: int = 0


def relative_in(question: str) -> Relative | None:
    """The first relative date of ``question`` that needs an article's date to read."""
    m = _REL.search(question)
    if not m:
        return None
    if m.group(3):
        return Relative(m.group(0).lower(), "month", month=MONTHS[m.group(3).lower()])
    offset = {"this": 0, "last": -1, "previous": -1, "next": 1}[m.group(1).lower()]
    return Relative(m.group(0).lower(), m.group(2).lower(), offset)


def article_year(doc: Document) -> int | None:
    """The year ``doc`` was written: its date's, else the year it counts "since the start
    of" (the latest such), else None."""
    if doc.year:
        return doc.year
    years = [int(y) for m in _CURRENT_YEAR.finditer(doc.text) for y in m.groups() if y]
    return max(years) if years else None


def target(rel: Relative, doc: Document) -> tuple[str, ...]:
    """What ``rel`` means in ``doc``: the year(s) as written in text ("2024"), or () when
    the article gives no year to count from."""
    year = article_year(doc)
    if year is None:
        return ()
    if rel.unit == "year":
        return (str(year + rel.offset),)
    month = int(doc.date[5:7]) if len(doc.date) >= 7 and doc.date[5:7].isdigit() else 0
    if rel.month:
        # "In October": the latest October up to the article's date.
        return (str(year if not month or rel.month <= month else year - 1),)
    if month:
        return (str((year * 12 + month - 1 + rel.offset) // 12),)
    return (str(year),)


def sentence_year(st: Sent) -> str:
    """The year a sentence is about: the first it writes ("Since the start of 2025, ...
    more than all of 2024" is about 2025), else the first written before it in its
    paragraph (news states the period once, then gives figures); "" when neither."""
    doc = st.doc
    m = _YEAR.search(doc.text, st.start, st.end)
    if m:
        return m.group(1)
    ps, _ = paragraph_of(doc, st.start)
    m = _YEAR.search(doc.text, ps, st.start)
    return m.group(1) if m else ""


def apply(ev: Evidence) -> None:
    """Mark the evidence sentences that are not about the period the question's relative
    date means in their own article (as a missing asked year is marked): "this year" in
    an article of 2024 is 2024; a sentence about 2023 there is about another period."""
    if ev.qa.years:
        return  # an explicit year already binds the evidence
    rel = relative_in(ev.qa.text)
    if rel is None:
        return
    for st in ev.sents:
        want = target(rel, st.doc)
        year = sentence_year(st)
        if not want or not st.years_ok or not year or year in want or rel.label in st.text.lower():
            continue
        st.years_ok = False
        st.score -= MISSING_YEAR_PENALTY
    ev.sents.sort(key=lambda x: -x.score)


def latest_first(ev: Evidence, cands: list[Candidate]) -> list[Candidate]:
    """Where candidates read the question's "this year" in articles of different years,
    the latest is what the asker means: the others (and an undated article's figure
    stated for another year) are about another period, as a missing asked year is."""
    rel = None if ev.qa.years else relative_in(ev.qa.text)
    if rel is None:
        return cands
    readings = {id(c): target(rel, c.sent.doc) for c in cands if c.sent.years_ok}
    known = [int(t[0]) for t in readings.values() if t]
    if not known:
        return cands
    latest = str(max(known))
    for c in cands:
        if id(c) not in readings:
            continue
        reading = readings[id(c)]
        year = sentence_year(c.sent)
        older = bool(reading) and reading[0] != latest
        other = not reading and bool(year) and year != latest and rel.label not in c.sent.text.lower()
        if older or other:
            c.sent = replace(c.sent, years_ok=False)
            c.score -= MISSING_YEAR_PENALTY
    return cands


def period_of(c: Candidate) -> frozenset[str]:
    """The year a typed answer is stated for (``sentence_year`` of its sentence); empty
    when the text gives none."""
    year = sentence_year(c.sent)
    return frozenset({year}) if year else frozenset()


def same_period(conflicts: Sequence[Candidate]) -> list[Candidate]:
    """The conflicting values that are for the same period as the first (the answer):
    a figure for another period is not a disagreement. [] when none is left."""
    if len(conflicts) < 2:
        return list(conflicts)
    want = period_of(conflicts[0])
    out = [conflicts[0]] + [c for c in conflicts[1:] if not want or not period_of(c) or period_of(c) == want]
    return out if len(out) > 1 else []
