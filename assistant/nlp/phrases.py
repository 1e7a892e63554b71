"""Noun phrases of a parsed document: the spans a short answer is usually made of
("frozen embryos", "20,000 elephants", "the tech giant"), with each phrase's head noun.

spaCy's ``noun_chunks`` (base noun phrases from the dependency parse: a noun with its
determiners and pre-modifiers; Ramshaw & Marcus 1995 call them base NPs), kept once per
document at ingest so that questions never run spaCy. Pronouns alone are left out: they
never answer a question and the quote index resolves the ones that name a speaker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc


def noun_phrases(doc: Doc) -> list[list[int]]:
    """``[start, end, head_start, head_end]`` character offsets of each base noun phrase,
    in text order (``doc.text[start:end]`` is the phrase, ``[head_start:head_end]`` its head)."""
    out = []
    try:
        chunks = list(doc.noun_chunks)
    except ValueError:  # a pipeline without a parser: no phrases
        return []
    for ch in chunks:
        if len(ch) == 1 and ch.root.pos_ == "PRON":
            continue
        root = ch.root
        out.append([ch.start_char, ch.end_char, root.idx, root.idx + len(root.text)])
    return out
