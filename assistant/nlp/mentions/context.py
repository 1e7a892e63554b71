"""The parse of one document as the extraction passes share it.

``Ctx`` maps characters to tokens and tokens to their entity label and sentence,
and collects which tokens the date and figure passes have taken (so that later
passes and the frames skip them). No extraction rules live here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from assistant.models import Mention

#: spaCy entity labels kept as entity mentions (and treated as names by the figure rules).
ENTITY_KINDS = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
)


class Ctx:
    """Per-document state shared by the extraction passes."""

    def __init__(self, text: str, doc: Doc, doc_date: str):
        self.text = text
        self.doc = doc
        self.doc_date = doc_date
        self.n = len(doc)
        # Token index of each character, for span -> token mapping without Span objects.
        self.char_tok: list[int] = [-1] * (len(text) + 1)
        for t in doc:
            for c in range(t.idx, t.idx + len(t.text)):
                self.char_tok[c] = t.i
        self.ent_of: list[str] = [""] * self.n
        for e in doc.ents:
            for i in range(e.start, e.end):
                self.ent_of[i] = e.label_
        self.sent_of: list[int] = [0] * self.n
        self.sents: list[tuple[int, int]] = []
        for k, s in enumerate(doc.sents):
            self.sents.append((s.start, s.end))
            for i in range(s.start, s.end):
                self.sent_of[i] = k
        self.date_tok: dict[int, Mention] = {}  # token -> the date mention holding it
        self.fig_tok: dict[int, int] = {}  # token -> figure number

    def tokens_in(self, start: int, end: int) -> list[int]:
        """Indices of the tokens overlapping characters ``start:end``, in order."""
        out: list[int] = []
        for c in range(start, end):
            i = self.char_tok[c]
            if i >= 0 and (not out or out[-1] != i):
                out.append(i)
        return out


def span_root(doc: Doc, idxs: list[int]) -> Token:
    """The token of a span whose head lies outside it (the first such)."""
    sset = set(idxs)
    for i in idxs:
        t = doc[i]
        if t.head.i not in sset or t.head.i == t.i:
            return t
    return doc[idxs[0]]
