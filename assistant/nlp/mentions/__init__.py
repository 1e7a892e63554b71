"""Typed mentions (dates, figures, named entities) with the words they are bound to.

Computed once per document at ingest, so that answering a "when"/"how many"
question is a lookup: pick the mention whose ``frame`` best matches the
question's words, instead of "the first number in the sentence".

Methods, in the order the package applies them:

* **Dates** are found by a rule grammar in the style of TIMEX2/TIMEX3 taggers
  (HeidelTime, SUTime; Strötgen & Gertz 2010, Chang & Manning 2012): explicit
  dates, months, years, seasons, parts of periods and relative expressions.
  Values use ISO 8601 with reduced precision (``2021-06``, ``2021``, ``--10-28``
  for a day without a year, ``199`` for a decade, ``2025-W45`` for a week,
  ``P1Y/2025-11-15`` for "the past year"), plus ``2021-spring`` for seasons and
  ``2024-Q1`` for quarters. Relative expressions are resolved against the
  document date only when its year is known (HeidelTime's "news" mode); a year is
  never invented. Durations ("two years in prison") are not dates; they are figures.
* **Figures** are number phrases (digits, number words, vague magnitudes such as
  "hundreds of") with currency, magnitude and percent/measure units, an optional
  qualifier ("at least") and the counted noun (from the dependency parse).
* **Entities** are spaCy's named entities, trimmed of a leading article and a
  possessive ending.
* **Frames** follow the predicate-argument view of semantic role labelling
  (PropBank; Palmer et al. 2005) approximated on the dependency tree: a figure is
  bound to its counted noun and the noun's modifiers, then to the governing
  verb, the verb's subject, objects and prepositional objects. Coordinated
  elliptical remnants ("5,200 via Latvia", gapping such as "A reported 10 attempts
  and B, 14") inherit the verb and noun of their antecedent but not the
  argument they replace (the "parallelism" account of ellipsis; Hobbs & Kehler
  1997). Frame words are folded lemmas without function words, listed from the
  most to the least tightly bound.

Layout (each module imports only modules listed before it; the pure number and
date readers live in ``assistant.text.numbers`` / ``assistant.text.datetimes``,
outside nlp/, so that question time can use them without spaCy):

* ``context``: the parse as the passes share it (``Ctx``), span roots.
* ``frames``: lemmas, governing verb, verb roles, frame words, clause tense.
* ``units``: currencies, measure units, percent words, label nouns.
* ``dates``: the date grammar, its context filters and date frames.
* ``figures``: number grouping, units, qualifiers, ranges, values.
* ``figure_roles``: counted noun, ages, elliptical antecedents, figure frames.
* ``entities``: named entities and ordinals.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from assistant.models import Mention
from assistant.nlp.mentions.context import Ctx
from assistant.nlp.mentions.dates import date_frames, extract_dates
from assistant.nlp.mentions.entities import extract_entities, extract_ordinals
from assistant.nlp.mentions.figure_roles import analyse_figures, figure_frames
from assistant.nlp.mentions.figures import extract_figures

if TYPE_CHECKING:
    from spacy.tokens import Doc

__all__ = ["extract_mentions", "figures_equal"]

#: Tolerances of ``figures_equal``'s numeric comparison: equal up to float rounding noise.
#: Origin of the exact values not recorded.
_REL_TOL = 1e-9
_ABS_TOL = 1e-12


def extract_mentions(text: str, doc: Doc, doc_date: str = "") -> list[Mention]:
    """All DATE, FIGURE and named-entity mentions of ``text`` with their frames, in text order.

    ``doc`` is ``assistant.nlp.parse(text)`` (same character offsets). ``doc_date``
    is the article's ISO date as far as known; it anchors relative dates only
    when it has a year. For every mention ``text[m.start:m.end] == m.text``.
    Figure spans hold the number with its currency sign, magnitude and
    percent/measure unit ("$35 billion", "20.5 percent"); the qualifier and the
    counted noun are outside the span (``extra["qualifier_start"]`` gives the
    offset where the qualifier begins).
    """
    if doc.text != text:
        raise ValueError("doc must be parse(text): offsets would not map back")
    ctx = Ctx(text, doc, doc_date)
    dates = extract_dates(ctx)
    figs = extract_figures(ctx)
    analyse_figures(ctx, figs)
    figure_frames(ctx, figs)
    date_frames(ctx, dates)
    out: list[Mention] = list(dates)
    for f in figs:
        if not f.value:
            continue
        extra = {k: v for k, v in f.extra.items() if not k.startswith("_")}
        if f.qualifier_start >= 0:
            extra["qualifier_start"] = f.qualifier_start
        out.append(Mention(kind="FIGURE", start=f.start, end=f.end, text=text[f.start:f.end],
                           value=f.value, unit=f.unit, qualifier=f.qualifier,
                           frame=f.extra.get("_frame", []), extra=extra))
    out.extend(extract_entities(ctx))
    out.extend(extract_ordinals(ctx))
    out.sort(key=lambda m: (m.start, m.end))
    return out


def figures_equal(a: Mention, b: Mention) -> bool:
    """Do two figure mentions state the same quantity (equal value, compatible unit)?

    Units are compatible when equal or when one is unstated (a remnant or a bare
    number); values compare numerically, ranges as written.
    """
    if a.kind != "FIGURE" or b.kind != "FIGURE":
        return False
    if a.unit and b.unit and a.unit != b.unit:
        return False
    if a.value == b.value:
        return True
    try:
        va, vb = float(a.value), float(b.value)
    except ValueError:
        return False
    return math.isclose(va, vb, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)
