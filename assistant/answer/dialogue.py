"""Multi-turn: rewrite a follow-up ("And Lithuania?", "What else did he say?")
into a standalone question before retrieval.

Rules in the spirit of ellipsis and pronoun resolution in conversational QA
(CoQA/QuAC query rewriting; Elgohary et al. 2019, "Can You Unpack That?"),
done with the corpus's own entity labels instead of a model:

- an elliptical turn naming an entity ("And Lithuania?", "What about Latvia?")
  re-asks the previous question with the entity of the same NER label replaced;
- a pronoun (he/she/his/her, it/its, they/them/their) is replaced by the previous
  answer's person or entity, else by the previous question's names or its subject; a
  pronoun whose person the question itself names first ("who did Kasich send as *his*
  surrogate") is left alone;
- "else" excludes what the previous answer already cited;
- the conversation stays in its article: the previous answer's article is searched
  first (``keep_article``) unless the question names something that article lacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from assistant.answer import antecedents as A
from assistant.answer.question import ENTITY_NOUNS, QuestionAnalysis, analyse, extract_names
from assistant.models import Answer, Document, Passage, QuestionKind
from assistant.text.lexicon import STOPWORDS

if TYPE_CHECKING:
    from assistant.answer.corpus import Corpus
    from assistant.index.aliases import AliasTable

#: Answers an earlier question again: (question, the questions before it) -> Answer.
AskFn = Callable[[str, list[str]], Answer]

#: An elliptical turn: a cue, then what replaces the earlier question's entity (longest
#: cues first, so "and what about X" leaves "X", not "what about X").
_ELLIPSIS = re.compile(r"^\s*(?:and what about|and how about|what about in|what about|how about|what of|same for|"
                       r"and for|and in|and via|and)\s+(.+?)\s*\??\s*$", re.I)
#: What an elliptical turn's remainder never is: a question of its own ("and who owns it",
#: "and who's paying") or a clause with a verb of its own ("and what did he say").
_NOT_ELLIPSIS = re.compile(r"^(?:who|whom|whose|what|which|when|where|why|how)\b|\b(?:did|does|do|is|was|were|say|said)\b",
                           re.I)
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


#: Longest noun phrase taken as a question's subject, in words.
MAX_SUBJECT_WORDS = 6


def _subject_np(question: str) -> str:
    """The subject of a wh-question: "When did [the crisis on the border] begin?". Without a
    parser: the shortest run of words after the auxiliary that ends on a content word and is
    followed by one (the verb); "" when there is none (never a lone "the")."""
    m = re.match(r"^\s*(?:when|how|why|where|what|which \w+)\s+(?:did|does|do|is|was|were|are|has|have|had|will|"
                 r"would)\s+(.+?)\s*\?*\s*$", question, re.I)
    if not m:
        return ""
    ws = m.group(1).split()
    for n in range(1, min(MAX_SUBJECT_WORDS, len(ws) - 1) + 1):
        last, nxt = ws[n - 1].lower().strip(",.'’"), ws[n].lower()
        if last in STOPWORDS or nxt in STOPWORDS or not re.search(r"[a-z]", last):
            continue
        return " ".join(ws[:n])
    return ""


#: NER labels of the names an elliptical turn swaps for one another ("and bernie's?").
_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC"})
_POSSESSIVE = re.compile(r"^([^\W\d_][\w-]*)(?:'s|’s)$")


def swap_possessive(prev_q: str, new: str, label: Callable[[str], str]) -> str:
    """"and bernie's?" after "what did X compare hillary's policies to": the previous
    question with its first possessive name replaced by the new one, or "" when the new
    turn does not start with a possessive name or the question has none. Lower-case
    questions hide names from capitalisation; the corpus's labels (``label``) tell a name."""
    m = _POSSESSIVE.match(new.split()[0]) if new.split() else None
    if m is None or label(m.group(1).capitalize()) not in _NAME_LABELS:
        return ""
    for tok in re.finditer(r"\b([^\W\d_][\w-]*)(?:'s|’s)(?![\w'])", prev_q):
        if tok.group(1).lower() != m.group(1).lower() and label(tok.group(1).capitalize()) in _NAME_LABELS:
            return prev_q[: tok.start()] + m.group(0) + prev_q[tok.end():]
    return ""


def _is_role(text: str) -> bool:
    """A title or office ("state secretary of the Security Council"), not a name: it
    contains a role noun or starts lower-case."""
    words = re.findall(r"[^\W\d_]+", text)
    return not words or not words[0][:1].isupper() or any(w.lower() in _ROLE_NOUNS for w in words)


def rewrite(question: str, history: Sequence[Any], ask: AskFn | None = None,
            aliases: AliasTable | None = None, corpus: Corpus | None = None) -> tuple[str, dict[str, Any]]:
    """(standalone question, context) for ``question`` given earlier turns. ``ask``
    re-answers an earlier question whose answer the history lacks; ``aliases`` tells
    which names are of one kind ("And Lithuania?" after a question about Poland);
    ``corpus`` gives the previous answer's article, whose cited sentence names what a
    pronoun may mean (``antecedents``)."""
    items = _history_items(history)
    ctx: dict[str, Any] = {}
    if not items:
        return question, ctx
    prev_q, prev_a = items[-1]
    if prev_a is None and ask is not None:
        # Earlier answers were not passed in: re-derive the previous one (cheap, deterministic);
        # its entities resolve pronouns and its article is where the conversation is.
        try:
            prev_a = ask(prev_q, [q for q, _ in items[:-1]])
        except Exception:
            prev_a = None
    q = question.strip()
    article = _answer_article(prev_a)
    if article:
        ctx["article"] = article

    m = _ELLIPSIS.match(q)
    if m and len(m.group(1).split()) <= 6 and not _NOT_ELLIPSIS.search(m.group(1)):
        new = m.group(1).strip()
        new_label = aliases.label(new) if aliases else ""
        names = extract_names(prev_q)
        same = [n for n in names if aliases and new_label and aliases.label(n) == new_label]
        target = same[-1] if same else ""
        swapped = swap_possessive(prev_q, new, aliases.label if aliases else lambda _: "")
        if target:
            out = re.sub(re.escape(target), new, prev_q, count=1)
        elif swapped:
            out = swapped
        else:
            out = prev_q.rstrip(" ?") + f", for {new}?"
        ctx["carried_from"] = prev_q
        ctx["given"] = _given(prev_q, prev_a, [])
        return out, ctx

    out = q
    pa = analyse(prev_q)
    doc = corpus.doc(article[0]) if corpus is not None and article else None
    cands = _antecedents(prev_q, prev_a, pa, aliases, doc)
    pron = _PERSON_PRON.search(out)
    said = A.said_as(pron.group(1)) if pron else ""
    person = A.resolve("person", cands, said) or _asked_person(prev_q, pa, aliases)
    if person and said and doc is not None and A.gender(doc, person) not in ("", said):
        person = ""  # the article calls the previous question's subject the other way
    before = out[: pron.start()] if pron else ""
    if pron and (any(n in before for n in extract_names(out) if aliases is None or aliases.label(n) in ("PERSON", ""))
                 or (doc is not None and A.names_someone(before, A.person_words(doc)))):
        person = ""  # the question names the person its pronoun means ("Kasich ... his surrogate")
    if person and pron:
        def repl(mm: re.Match) -> str:
            w = mm.group(1).lower()
            return f"{person}'s" if w in ("his", "hers") else person
        out = _PERSON_PRON.sub(repl, out, count=1)
    elif _THING_PRON.search(out):
        thing = A.resolve("thing", cands) or _subject_np(prev_q)
        if thing:
            out = _THING_PRON.sub(lambda mm: thing + ("'s" if mm.group(1).lower() == "its" else ""), out, count=1)
    elif _GROUP_PRON.search(out):
        thing = A.resolve("group", cands) or _subject_np(prev_q)
        if thing:
            # "their" is a possessive: "the sanctions'"; "they"/"them": the phrase itself.
            out = _GROUP_PRON.sub(lambda mm: thing + ("'s" if mm.group(1).lower() == "their" else ""), out, count=1)
    if re.search(r"\belse\b", out, re.I) and prev_a is not None:
        cites = [(c["doc_id"], c["start"], c["end"]) if isinstance(c, dict) else (c.doc_id, c.start, c.end)
                 for c in _answer_field(prev_a, "citations") or []]
        # The main citation is what was answered; the others were context around it, which
        # a follow-up may still show when nothing new is left.
        ctx["exclude_quotes"] = set(cites[:1])
        ctx["seen_quotes"] = set(cites[1:])
    if out != q or len(q.split()) <= 6:
        ctx["carried_from"] = prev_q
        ctx["given"] = _given(prev_q, prev_a, cands)
        if re.search(r"\b(that|this|those|these)\s*\??\s*$", q, re.I) or len(q.split()) <= 4:
            ctx["carry_focus"] = True
    return out, ctx


def _answer_label(prev_a: Answer | dict | None, pa: QuestionAnalysis, aliases: AliasTable | None) -> str:
    """The NER label of the previous short answer when it names someone or something ("" when
    it is not a name: a figure, a sentence, an abstention, or a title such as "the chief
    engineer" that "Who is X?" is answered with — "he" is X, not the title)."""
    if prev_a is None or _answer_field(prev_a, "abstained") or pa.unit == "role":
        return ""
    kind = _answer_field(prev_a, "kind")
    answer = str(_answer_field(prev_a, "answer") or "")
    if kind not in (QuestionKind.SPEAKER.value, QuestionKind.ENTITY.value) or not answer:
        return ""
    label = aliases.label(answer) if aliases is not None else ""
    if kind == QuestionKind.SPEAKER.value or label == "PERSON":
        return "" if _is_role(answer) else "PERSON"
    # An entity the corpus never labelled is taken for a thing ("NGP VAN"), as before.
    return label or "ORG"


def _antecedents(prev_q: str, prev_a: Answer | dict | None, pa: QuestionAnalysis, aliases: AliasTable | None,
                 doc: Document | None) -> list[A.Antecedent]:
    """What a pronoun may mean: the previous answer, and the entities of its cited sentence
    that the previous question names (``antecedents``)."""
    cites = _answer_field(prev_a, "citations") or []
    entities = A.cited_entities(doc, cites[0]) if doc is not None and cites else []
    answer = str(_answer_field(prev_a, "answer") or "")
    return A.candidates(prev_q, answer, _answer_label(prev_a, pa, aliases), entities, doc)


#: Previous answers that are a short answer (a sentence-long one is context, not a value given).
_SHORT_KINDS = frozenset(k.value for k in (QuestionKind.DATE, QuestionKind.FIGURE, QuestionKind.ENTITY,
                                           QuestionKind.SPEAKER, QuestionKind.LIST))


def _given(prev_q: str, prev_a: Answer | dict | None, cands: Sequence[A.Antecedent]) -> frozenset[str]:
    """The words the previous turn established (``antecedents.given``), and the names its
    question asked about as the article writes them: a follow-up's short answer says
    something new."""
    short = not _answer_field(prev_a, "abstained") and _answer_field(prev_a, "kind") in _SHORT_KINDS
    answer = str(_answer_field(prev_a, "answer") or "") if short else ""
    return A.given(prev_q, answer).union(*(A.content_words(a.text) for a in cands if a.asked))


def _asked_person(prev_q: str, pa: QuestionAnalysis, aliases: AliasTable | None) -> str:
    """The previous question's subject or last capitalised person name, as it writes it."""
    if pa.subject:
        person = pa.subject.strip()
        i = prev_q.lower().find(person.lower())
        return prev_q[i: i + len(person)] if i >= 0 else person
    people = [n for n in extract_names(prev_q) if aliases is None or aliases.label(n) in ("PERSON", "")]
    return people[-1] if people else ""


def _answer_article(a: Answer | dict | None) -> list[str]:
    """The article the previous answer cites first ([] when it abstained or cites none)."""
    if a is None or _answer_field(a, "abstained"):
        return []
    cites = _answer_field(a, "citations") or []
    if not cites:
        return []
    c = cites[0]
    doc = c.get("doc_id") if isinstance(c, dict) else getattr(c, "doc_id", None)
    return [doc] if doc else []


def keep_article(retrieve: Callable[..., list[Passage]], search_text: str, k: int, filters: Any,
                 article: Sequence[str], fetched: list[Passage], moved: Callable[[str], bool]) -> list[Passage]:
    """The retrieved passages with the conversation's article searched first: a follow-up
    ("how many sailors were killed") is about the article of the answer before it, unless
    the question moves away (``moved(doc_id)``: it names something that article lacks)."""
    if not article or any(moved(d) for d in article):
        return fetched
    scoped = dict(filters or {})
    if scoped.get("doc_id"):
        wanted = scoped["doc_id"] if isinstance(scoped["doc_id"], (list, tuple)) else [scoped["doc_id"]]
        article = [d for d in article if d in wanted]
        if not article:
            return fetched
    scoped["doc_id"] = list(article)
    within = retrieve(search_text, k=k, filters=scoped)
    seen = {p.chunk_id for p in within}
    return within + [p for p in fetched if p.chunk_id not in seen]


def missing_in(corpus: Any, qa: Any, doc_id: str) -> list[str]:
    """The question's names (people, places, organisations) that article ``doc_id`` never
    mentions: a follow-up naming one has moved to another article."""
    from assistant.answer.evidence import doc_words, name_present, required_names

    doc = corpus.doc(doc_id)
    if doc is None:
        return ["(the article is gone)"]
    keys, folded = doc_words(doc)
    return [n for n in required_names(corpus, qa) if not name_present(n, keys, folded)]
