"""The contract every answer kind meets, and the behaviour most kinds share.

A kind turns the evidence for a question into scored candidates of its type
(a date, a figure, a name, what someone said, ...) and writes the reply line for
the chosen one. Kinds are looked up by the question's kind in the registry
(``assistant.answer.kinds``), never chosen by an if/elif.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from assistant.answer.evidence import Candidate, Evidence
from assistant.models import Answer, Document, Mention
from assistant.text.dates import show_date

#: Characters of the evidence sentence quoted after a short answer.
SENTENCE_CLIP = 220


def clip(s: str, n: int) -> str:
    """``s`` on one line, cut to at most ``n`` characters at a word boundary, with an
    ellipsis (a word is cut only when it alone is longer than half of ``n``)."""
    s = " ".join(s.split())
    if len(s) <= n:
        return s
    cut = s[: n - 1]
    if not s[n - 1].isspace():
        head = cut.rsplit(" ", 1)[0]
        if len(head) >= n // 2:
            cut = head
    return cut.rstrip(" ,;:–—-") + "…"


class AnswerKind(Protocol):
    #: Whether the chosen evidence must keep the question's names and years (a
    #: "what did X say about Y" answer is bound to X by the quote index instead).
    binds_names: bool

    def candidates(self, ev: Evidence) -> list[Candidate]:
        """Candidates of this kind from the evidence (any order; the caller sorts)."""
        ...

    def conflicts(self, ev: Evidence, best: Candidate, alts: Sequence[Candidate]) -> list[Candidate]:
        """Other sources that give a different value for the same thing ([] if none)."""
        ...

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        """The reply line for ``cand``; ``markers`` is "[1][2]" for its citations, whose
        numbers are ``cite_ns`` (the main sentence first, then ``cand.extra_cites``)."""
        ...

    # Optional (``TypedKind`` has defaults; the answerer reads them with ``getattr``):
    #: ``passages``: how many passages the kind wants examined (a list or a timeline
    #: gathers across articles); 0 for the answerer's default.
    #: ``why_none(ev) -> str``: why there is no candidate, when the kind can say more than
    #: "nothing of the kind asked for" (a comparison across periods).
    #: ``finish(ev, cand, answer) -> Answer``: the composed answer, adjusted (a yes/no
    #: question the evidence neither states nor negates is not answered).


class TypedKind:
    """Defaults: names and years are binding, no conflicts, and the reply is the short
    answer with its markers and the sentence it comes from."""

    binds_names = True
    passages = 0

    def candidates(self, ev: Evidence) -> list[Candidate]:
        raise NotImplementedError

    def why_none(self, ev: Evidence) -> str:
        return ""

    def finish(self, ev: Evidence, cand: Candidate, answer: Answer) -> Answer:
        return answer

    def conflicts(self, ev: Evidence, best: Candidate, alts: Sequence[Candidate]) -> list[Candidate]:
        return []

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        text = f"{cand.value} {markers}"
        text += relative_note(cand.mention, cand.sent.doc)
        if cand.note:
            text += f" (from {cand.note})"
        return text + f" — “{clip(cand.sent.text, SENTENCE_CLIP)}”"


def relative_note(m: Mention | None, doc: Document) -> str:
    """How a relative date ("last week") was read: against the article's date."""
    if m is None or not m.extra.get("relative"):
        return ""
    if m.value and not m.extra.get("as_written"):
        return f" (i.e. {m.value}, counted from the article's date {doc.date})"
    if doc.date:
        return f" (as written; the article is dated {show_date(doc.date)})"
    return " (as written; the article gives no date to count from)"
