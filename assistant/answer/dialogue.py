"""Multi-turn: rewrite a follow-up ("And Lithuania?", "What else did he say?")
into a standalone question before retrieval.

Rules in the spirit of ellipsis and pronoun resolution in conversational QA
(CoQA/QuAC query rewriting; Elgohary et al. 2019, "Can You Unpack That?"),
done with the corpus's own entity labels instead of a model:

- an elliptical turn naming an entity ("And Lithuania?", "What about Latvia?")
  re-asks the previous question with the entity of the same NER label replaced;
- a pronoun (he/she/his/her, it/its, they/their) is replaced by the previous
  answer's person (for he/she) or by the previous question's subject;
- "else" excludes what the previous answer already cited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from assistant.answer.question import ENTITY_NOUNS, analyse, extract_names
from assistant.models import Answer, QuestionKind

if TYPE_CHECKING:
    from assistant.index.aliases import AliasTable

#: Answers an earlier question again: (question, the questions before it) -> Answer.
AskFn = Callable[[str, list[str]], Answer]

_ELLIPSIS = re.compile(r"^\s*(?:and|what about|how about|and what about|what of|and how about|same for|"
                       r"and for|and in|and via|what about in)\s+(.+?)\s*\??\s*$", re.I)
_PERSON_PRON = re.compile(r"\b(he|she|him|his|her|hers)\b", re.I)
#: Nouns of offices and roles ("minister", "secretary", "spokesman").
_ROLE_NOUNS = frozenset(ENTITY_NOUNS["PERSON"].split()) - {"person", "man", "woman"}
_THING_PRON = re.compile(r"\b(it|its)\b", re.I)
_GROUP_PRON = re.compile(r"\b(they|them|their)\b", re.I)


def _history_items(history: Sequence[Any]) -> list[tuple[str, Answer | dict | None]]:
    """Normalise the accepted history shapes to (question, answer-or-None), oldest first.

    Accepted: strings (earlier questions); dicts ``{"question", "answer"?}``; chat
    messages ``{"role": "user"|"assistant", "content"}``; (question, answer) pairs.
    """
    out: list[tuple[str, Any]] = []
    for h in history or []:
        if isinstance(h, str):
            out.append((h, None))
        elif isinstance(h, dict) and "role" in h:
            if h.get("role") == "user":
                out.append((str(h.get("content", "")), None))
            elif out and h.get("role") == "assistant":
                meta = h.get("metadata") or {}
                out[-1] = (out[-1][0], meta.get("answer") if isinstance(meta, dict) else None)
        elif isinstance(h, dict):
            out.append((str(h.get("question", "")), h.get("answer")))
        elif isinstance(h, (list, tuple)) and h:
            out.append((str(h[0]), h[1] if len(h) > 1 and not isinstance(h[1], str) else None))
    return [(q, a) for q, a in out if q.strip()]


def _answer_field(a: Answer | dict | None, key: str) -> Any:
    if a is None:
        return None
    return getattr(a, key, None) if not isinstance(a, dict) else a.get(key)


def _subject_np(question: str) -> str:
    """The subject of a wh-question: "When did [the crisis on the border] begin?"."""
    m = re.match(r"^\s*(?:when|how|why|where|what|which \w+)\s+(?:did|does|do|is|was|were|are|has|have|had|will|would)"
                 r"\s+(.+?)\s+(\w+)(?:\s+\w+){0,3}\s*\?\s*$", question, re.I)
    if m:
        np = m.group(1)
        return np if len(np.split()) <= 10 else ""
    return ""


def _is_role(text: str) -> bool:
    """A title or office ("state secretary of the Security Council"), not a name: it
    contains a role noun or starts lower-case."""
    words = re.findall(r"[^\W\d_]+", text)
    return not words or not words[0][:1].isupper() or any(w.lower() in _ROLE_NOUNS for w in words)


def rewrite(question: str, history: Sequence[Any], ask: AskFn | None = None,
            aliases: AliasTable | None = None) -> tuple[str, dict[str, Any]]:
    """(standalone question, context) for ``question`` given earlier turns. ``ask``
    re-answers an earlier question whose answer the history lacks; ``aliases`` tells
    which names are of one kind ("And Lithuania?" after a question about Poland)."""
    items = _history_items(history)
    ctx: dict[str, Any] = {}
    if not items:
        return question, ctx
    prev_q, prev_a = items[-1]
    if prev_a is None and ask is not None and (
            _PERSON_PRON.search(question) or re.search(r"\belse\b", question, re.I) or _THING_PRON.search(question)):
        # Earlier answers were not passed in: re-derive the previous one (cheap, deterministic).
        try:
            prev_a = ask(prev_q, [q for q, _ in items[:-1]])
        except Exception:
            prev_a = None
    q = question.strip()

    m = _ELLIPSIS.match(q)
    if m and len(m.group(1).split()) <= 6 and not re.search(r"\b(did|does|do|is|was|were|say|said)\b", m.group(1), re.I):
        new = m.group(1).strip()
        new_label = aliases.label(new) if aliases else ""
        names = extract_names(prev_q)
        same = [n for n in names if aliases and new_label and aliases.label(n) == new_label]
        target = same[-1] if same else ""
        if target:
            out = re.sub(re.escape(target), new, prev_q, count=1)
        else:
            out = prev_q.rstrip(" ?") + f", for {new}?"
        ctx["carried_from"] = prev_q
        return out, ctx

    out = q
    person = ""
    pa = analyse(prev_q)
    if prev_a is not None and _answer_field(prev_a, "kind") in (QuestionKind.SPEAKER.value, QuestionKind.ENTITY.value) \
            and not _answer_field(prev_a, "abstained") and pa.unit != "role":
        # The previous answer is the person "he" means, unless it is not a person: "Who is
        # X?" is answered with X's title, and "he" is X, not the title.
        answer = str(_answer_field(prev_a, "answer") or "")
        if not _is_role(answer) and (aliases is None or aliases.label(answer) in ("PERSON", "")):
            person = answer
    if not person:
        if pa.subject:
            person = pa.subject.strip()
            # Keep the original capitalisation from the question text.
            i = prev_q.lower().find(person.lower())
            person = prev_q[i: i + len(person)] if i >= 0 else person
        else:
            people = [n for n in extract_names(prev_q) if aliases is None or aliases.label(n) in ("PERSON", "")]
            person = people[-1] if people else ""
    if person and _PERSON_PRON.search(out):
        def repl(mm: re.Match) -> str:
            w = mm.group(1).lower()
            return f"{person}'s" if w in ("his", "hers") else person
        out = _PERSON_PRON.sub(repl, out, count=1)
    elif _THING_PRON.search(out):
        thing = ""
        if prev_a is not None and _answer_field(prev_a, "kind") == QuestionKind.ENTITY.value \
                and not _answer_field(prev_a, "abstained"):
            thing = str(_answer_field(prev_a, "answer") or "")
        thing = thing or _subject_np(prev_q)
        if thing:
            out = _THING_PRON.sub(lambda mm: thing + ("'s" if mm.group(1).lower() == "its" else ""), out, count=1)
    elif _GROUP_PRON.search(out):
        thing = _subject_np(prev_q)
        if thing:
            out = _GROUP_PRON.sub(thing, out, count=1)
    if re.search(r"\belse\b", out, re.I) and prev_a is not None:
        cites = [(c["doc_id"], c["start"], c["end"]) if isinstance(c, dict) else (c.doc_id, c.start, c.end)
                 for c in _answer_field(prev_a, "citations") or []]
        # The main citation is what was answered; the others were context around it, which
        # a follow-up may still show when nothing new is left.
        ctx["exclude_quotes"] = set(cites[:1])
        ctx["seen_quotes"] = set(cites[1:])
    if out != q or len(q.split()) <= 6:
        ctx["carried_from"] = prev_q
        if re.search(r"\b(that|this|those|these)\s*\??\s*$", q, re.I) or len(q.split()) <= 4:
            ctx["carry_focus"] = True
    return out, ctx
