"""Example questions for an empty chat, drawn from the corpus's own annotations (the
people it quotes most, the things it counts), so they work on any news corpus."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.text.folding import fold

__all__ = ["example_questions"]


def _plural(word: str) -> str:
    """English plural of a noun lemma by the regular spelling rules."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _figure_question(text: str, row: Sequence[Any]) -> str:
    """"How many <words after the number, up to its unit> ...?" from a FIGURE mention row
    (kind, start, end, text, value, unit, qualifier, frame, extra)."""
    unit = str(row[5] or "")
    if not unit.isalpha() or len(unit) < 3:
        return ""
    words = re.findall(r"[^\W\d_][\w’'-]*", text[int(row[2]): int(row[2]) + 60])[:3]
    phrase: list[str] = []
    for w in words:
        phrase.append(w)
        if fold(w).startswith(fold(unit)[:-1] if len(unit) > 3 else fold(unit)):
            break
    else:
        return ""
    if fold(phrase[-1]) == fold(unit):  # written in the singular: "1 crossing"
        phrase[-1] = _plural(phrase[-1])
    years = [f for f in row[7] if re.fullmatch(r"(1[89]|20)\d\d", str(f))]
    return f"How many {' '.join(phrase)} were there{' in ' + years[0] if years else ''}?"


def example_questions(docs: Iterable[Any], n: int = 4, aliases: Iterable[Sequence[str]] = ()) -> list[str]:
    """Questions the corpus can answer, drawn from its own annotations.

    Speaker questions come from the people quoted most often (directly quoted
    first); figure questions from counted things ("How many <unit> ..."). ``docs``
    are ``Document``-like objects with ``text`` and ``annotations``; ``aliases`` are
    groups of spellings of one name, so one person is not suggested twice.
    """
    group_of = {fold(name): i for i, grp in enumerate(aliases) for name in grp}
    speakers: dict[str, float] = {}
    figures: list[str] = []
    for doc in docs:
        ann = getattr(doc, "annotations", None) or {}
        for q in ann.get("quotes", []):
            if q.get("speaker_label") == "PERSON" and len(str(q.get("speaker", "")).split()) >= 2:
                speakers[q["speaker"]] = speakers.get(q["speaker"], 0.0) + (1.0 if q.get("kind") == "direct" else 0.5)
        for row in ann.get("mentions", []):
            if row and row[0] == "FIGURE":
                fq = _figure_question(doc.text, row)
                if fq and fq not in figures:
                    figures.append(fq)
                    break  # one per document, for variety
    ranked: list[str] = []
    seen: set[Any] = set()
    for name, _ in sorted(speakers.items(), key=lambda kv: (-kv[1], kv[0])):
        key = group_of.get(fold(name), fold(name))
        if key not in seen:
            seen.add(key)
            ranked.append(f"What did {name} say?")
    out: list[str] = []
    for pair in zip(ranked, figures, strict=False):
        out.extend(pair)
    rest = ranked[len(figures):] + figures[len(ranked):]
    return (out + rest)[:n]
