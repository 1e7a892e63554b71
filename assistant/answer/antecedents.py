"""What a follow-up's pronoun means: the entities of the previous *answer* as well as
those of the previous question (issue 24).

"Who said Libya is the biggest trouble spot?" — "Michael O'Hanlon [1] — …" — "Where does
*he* work?": "he" is the answer. "What did Anne-Marie Slaughter email Hillary about Libya?"
— a cited sentence — "When did *she* send that?": "she" is the person the question named,
written as the cited sentence writes her. Users type in lower case, so the question's
names are found by matching its words against the cited sentence's entity mentions (from
ingest), which also gives each its NER label and its spelling in the article.

Pure functions over a document's annotations: no index, no model.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.models import Document
from assistant.text.folding import fold
from assistant.text.lexicon import STOPWORDS

#: The NER labels each kind of pronoun can stand for ("he" a person; "it" an
#: organisation, a product, a law, a place; "they" a group or an organisation).
PRONOUN_LABELS: Mapping[str, frozenset[str]] = {
    "person": frozenset({"PERSON"}),
    "thing": frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "FAC", "GPE", "LOC"}),
    "group": frozenset({"ORG", "NORP"}),
}
#: Labels of the cited sentence's mentions that can be antecedents at all.
ENTITY_LABELS = frozenset().union(*PRONOUN_LABELS.values())
#: Mentions of a person read for "he"/"she" (the first ones): enough to decide, and bounded
#: however long the article (a design bound, not fitted).
MAX_GENDER_MENTIONS = 50
#: Shortest question word matched against a name ("al", "de" match too much). Three
#: letters keep surnames such as "Rao" or "Fox".
MIN_MATCH_LEN = 3


@dataclass(frozen=True)
class Antecedent:
    """One thing a pronoun may mean, as the cited article writes it."""

    text: str
    label: str
    #: It is the previous short answer.
    is_answer: bool = False
    #: Where the previous question names it (index of its first matching word), -1 if not.
    asked_at: int = -1
    #: Its position among the cited sentence's entities (the answer itself: 0).
    order: int = 0
    #: "he" or "she" as the article refers to this person ("" unknown or not a person).
    gender: str = ""

    @property
    def asked(self) -> bool:
        return self.asked_at >= 0


def words(text: str) -> list[str]:
    """Folded words of ``text`` (letters only, apostrophe-s dropped)."""
    return [w.removesuffix("'s").removesuffix("’s") for w in re.findall(r"[^\W\d_][\w'’-]*", fold(text))]


def asked_at(name: str, question: str) -> int:
    """Index of the first word of ``question`` that is a word of ``name`` ("anne-marie
    slaughter" names "Anne-Marie Slaughter"; "hillary" does not name "Clinton"); -1 if none."""
    parts = {p for w in words(name) for p in (w, *w.split("-"))
             if len(p) >= MIN_MATCH_LEN and p not in STOPWORDS}
    for i, w in enumerate(words(question)):
        if w in parts or any(p in parts for p in w.split("-")):
            return i
    return -1


def _get(obj: Any, key: str, default: Any = None) -> Any:
    return obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)


def cited_entities(doc: Document, citation: Any) -> list[tuple[str, str]]:
    """(text, label) for the entity mentions and quote speakers of the cited sentence, in
    reading order, each name once."""
    start, end = int(_get(citation, "start", 0)), int(_get(citation, "end", 0))
    found: list[tuple[int, str, str]] = []
    for m in doc.mentions:
        if start <= m.start and m.end <= end and m.kind in ENTITY_LABELS:
            found.append((m.start, m.text, m.kind))
    for q in doc.quotes:
        if q.start < end and q.end > start and q.speaker:
            found.append((q.speaker_start if q.speaker_start >= 0 else q.start, q.speaker, "PERSON"))
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for _, text, label in sorted(found, key=lambda f: f[0]):
        if fold(text) not in seen:
            seen.add(fold(text))
            out.append((text, label))
    return out


def asked_entities(doc: Document, question: str, labels: frozenset[str]) -> list[tuple[str, str]]:
    """(text, label) for the entities of ``doc`` with one of ``labels`` that ``question``
    names, the fullest spelling of each, in the order the question names them ("hillary"
    finds "Hillary Clinton" though the cited sentence only says "Clinton")."""
    best: dict[int, tuple[str, str]] = {}
    for m in doc.mentions:
        if m.kind not in labels:
            continue
        at = asked_at(m.text, question)
        if at >= 0 and len(m.text) > len(best.get(at, ("", ""))[0]):
            best[at] = (m.text, m.kind)
    return [best[at] for at in sorted(best)]


def asked_people(doc: Document, prev_question: str) -> list[tuple[str, str]]:
    """(text, "PERSON") for the people of ``doc`` the previous question names (``asked_entities``)."""
    return asked_entities(doc, prev_question, PRONOUN_LABELS["person"])


def candidates(prev_question: str, answer: str, answer_label: str,
               entities: Sequence[tuple[str, str]], doc: Document | None = None) -> list[Antecedent]:
    """Antecedents from the previous turn: its short ``answer`` when it is a name
    (``answer_label``: its label, "" when it is not one), and the cited sentence's
    ``entities`` (``cited_entities``), each marked with where the question names it and,
    for a person, how ``doc`` refers to them (``gender``)."""
    out: list[Antecedent] = []

    def add(text: str, label: str, is_answer: bool, order: int) -> None:
        g = gender(doc, text) if doc is not None and label == "PERSON" else ""
        out.append(Antecedent(text, label, is_answer, asked_at(text, prev_question), order, g))

    if answer and answer_label:
        add(answer, answer_label, True, 0)
    seen = {fold(answer)} | {w for a in out for w in words(a.text)}
    for i, (text, label) in enumerate(entities, start=1):
        if fold(text) not in seen:
            seen.add(fold(text))
            add(text, label, False, i)
    # People the question names that the cited sentence does not (after its own entities).
    for text, label in asked_people(doc, prev_question) if doc is not None else []:
        if fold(text) not in seen:
            seen.add(fold(text))
            add(text, label, False, len(entities) + 1)
    return out


_HONORIFIC = {"mr": "he", "mrs": "she", "ms": "she"}
_SUBJECT_PRONOUN = re.compile(r"\b(he|she)\b", re.I)


def gender(doc: Document, name: str) -> str:
    """"he" or "she" as ``doc`` refers to the person: an honorific before their last name
    ("Mr. Coleman"), and the first "he"/"she" after a mention of it, in its sentence or the
    next, when no other person is named in between (the nearest antecedent). The majority
    of these, "" on a tie or when the article never names them."""
    key = _calling_word(doc, name)
    if not key:
        return ""
    text, votes = doc.text, {"he": 0, "she": 0}
    people = sorted(m.start for m in doc.mentions if m.kind == "PERSON")
    starts = [s for s, _ in doc.sentences]
    for m in itertools.islice(re.finditer(rf"\b{re.escape(key)}\b", text, re.I), MAX_GENDER_MENTIONS):
        title = re.search(r"\b(mrs|mr|ms)\.?\s+(?:[A-Z]\w*\.?\s+)*$", text[max(0, m.start() - 30): m.start()], re.I)
        if title:
            votes[_HONORIFIC[title.group(1).lower()]] += 1
        end = _sentence_end(doc, starts, m.end(), following=1)
        p = _SUBJECT_PRONOUN.search(text, m.end(), end)
        if p and bisect.bisect_right(people, m.end()) == bisect.bisect_left(people, p.start()):
            votes[p.group(1).lower()] += 1
    return "he" if votes["he"] > votes["she"] else "she" if votes["she"] > votes["he"] else ""


def _calling_word(doc: Document, name: str) -> str:
    """The word that names this person in ``doc``: the last name, or the first name when the
    article names someone else by the same last name (Hillary and Bill Clinton)."""
    ws = [w for w in re.findall(r"[^\W\d_][\w'’-]*", name) if len(w) >= MIN_MATCH_LEN]
    if not ws:
        return ""
    last, first = fold(ws[-1]), fold(ws[0])
    others = {fold(n[0]) for m in doc.mentions if m.kind == "PERSON"
              for n in [re.findall(r"[^\W\d_][\w'’-]*", m.text)] if len(n) > 1 and fold(n[-1]) == last}
    if not others - {first}:
        return ws[-1]
    # Another person shares the last name: only a first name tells them apart.
    return ws[0] if len(ws) > 1 else ""


def _sentence_end(doc: Document, starts: Sequence[int], at: int, following: int) -> int:
    """The end of the sentence holding offset ``at`` (``starts``: the sentences' starts), or
    of the ``following``-th one after it; the text's end when there are no sentences."""
    if not doc.sentences:
        return len(doc.text)
    i = max(0, bisect.bisect_right(starts, at) - 1)
    return doc.sentences[min(i + following, len(doc.sentences) - 1)][1]


def preference(a: Antecedent) -> tuple[int, int, int, int]:
    """Sort key, best first: the previous answer ("who said X?" — "where does *he* work?"),
    then what the previous question named, earliest first (its subject comes first: "what
    did *Slaughter* email *Hillary* …"), then the cited sentence's order. An entity only in
    the cited sentence is a last resort. This order resolved the most natural-train
    follow-ups (``tests/answer/test_antecedents.py`` pins each rule)."""
    return (not a.is_answer, not a.asked, a.asked_at if a.asked else 0, a.order)


def resolve(pronoun: str, cands: Sequence[Antecedent], said: str = "") -> str:
    """The text a pronoun of kind ``pronoun`` ("person", "thing", "group") stands for,
    "" when no candidate has a fitting label or only the cited sentence names one.
    ``said``: "he" or "she" for a person pronoun, which rules out a person the article
    refers to the other way."""
    labels = PRONOUN_LABELS[pronoun]
    other = {"he": "she", "she": "he"}.get(said, "")
    fit = sorted((a for a in cands if a.label in labels and (a.is_answer or a.asked) and not (other and a.gender == other)),
                 key=preference)
    return fit[0].text if fit else ""


def said_as(pronoun: str) -> str:
    """"he" for he/him/his, "she" for she/her/hers, "" otherwise."""
    p = pronoun.lower()
    return "he" if p in ("he", "him", "his") else "she" if p in ("she", "her", "hers") else ""


def person_words(doc: Document) -> frozenset[str]:
    """Folded words of the people ``doc`` names (its PERSON mentions and quote speakers)."""
    names = [m.text for m in doc.mentions if m.kind == "PERSON"] + [q.speaker for q in doc.quotes if q.speaker]
    return frozenset(w for n in names for w in words(n) if len(w) >= MIN_MATCH_LEN and w not in STOPWORDS)


def names_someone(text: str, people: frozenset[str]) -> bool:
    """Whether ``text`` (a question before its pronoun) names one of ``people``
    (``person_words`` of the conversation's article): "who did *kasich* send as his
    surrogate" names Kasich; "which *network* is he with" names no one, though NER once
    tagged "Network" a person somewhere in the corpus (the corpus-wide labels are too noisy
    for lower-case questions: "What", "Does" and "Work" are among its people)."""
    return any(w in people for w in words(text))


def content_words(text: str) -> frozenset[str]:
    """Folded words and numbers of ``text`` that carry content (no stopwords)."""
    return frozenset(w for w in re.findall(r"\w+", fold(text).replace("’", "'")) if w not in STOPWORDS)


def given(prev_question: str, prev_answer: str) -> frozenset[str]:
    """What the conversation already established: the previous question's and short
    answer's content words. A follow-up asks something new ("where does he work" after
    "who said Libya is the biggest trouble spot?" is not answered "Libya")."""
    return content_words(prev_question) | content_words(prev_answer)


def only_given(text: str, known: frozenset[str]) -> bool:
    """Whether every content word of ``text`` is already ``known`` (and it has one)."""
    ws = content_words(text)
    return bool(ws) and ws <= known
