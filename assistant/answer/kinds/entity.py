"""Who / which / where: a named entity of the expected label, bound to the asked
words; a person's title ("Who is X?"); an article's author."""

from __future__ import annotations

import math
import re

from assistant.answer.binding import frame_score, mentions_in, proximity
from assistant.answer.corpus import idf
from assistant.answer.evidence import Candidate, Evidence, Sent, name_keys, name_present, stems
from assistant.answer.kinds.base import TypedKind
from assistant.answer.kinds.registry import register
from assistant.answer.question import QuestionAnalysis
from assistant.models import Mention, QuestionKind
from assistant.text.folding import fold
from assistant.text.lexicon import STOPWORDS
from assistant.text.tokens import tokenize

#: Labels of entity mentions an entity answer may come from.
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "NORP", "PRODUCT", "WORK_OF_ART", "LAW"})
#: A run of capitalised words (a name NER may have missed).
_PROPER = re.compile(r"\b[A-Z][\w\-]*[A-Za-z](?:\s+(?:of\s+|the\s+)?[A-Z][\w\-]*[A-Za-z])*")
#: Sentences (best first) searched for an entity, and for an author's byline. Set by hand.
ENTITY_SENTENCES, AUTHOR_SENTENCES = 12, 5
#: Weights of an entity candidate beyond its sentence's evidence score: frame match,
#: nearness to the question's words, the asked noun in apposition, rarity. Set by hand on
#: eval/seeds.jsonl.
W_FRAME, W_PROXIMITY, W_APPOSITION, W_RARITY = 0.3, 0.1, 0.12, 0.15
#: Per rank of the mention's label in the expected labels; a mention of an unexpected
#: label (NER often mislabels news names); a capitalised run NER missed. Set by hand.
LABEL_STEP, OTHER_LABEL, UNLABELLED = 0.06, 0.15, 0.2
#: The asked noun counts as apposition within this many characters, on its first letters.
APPOSITION_WINDOW, NOUN_PREFIX = 40, 5
#: Author candidates: base and coverage weight of the headline match; a byline name that
#: was cleaned out of the text ranks just below one that stands in it. Set by hand.
AUTHOR_BASE, AUTHOR_W_TITLE, AUTHOR_FROM_METADATA = 0.3, 0.5, 0.02
#: Role candidates: an apposition after the name outranks title words before it. Set by hand.
ROLE_APPOSITION, ROLE_TITLE = 0.2, 0.1


def entity_candidate(ev: Evidence, st: Sent, value: str, s: int, e: int, lab: float, noun: str,
                     m: Mention | None) -> Candidate:
    """Score an entity: its sentence, what it is bound to (frame), nearness to the
    question's words, and whether the asked noun stands next to it ("rights group X",
    "X nuclear plant": apposition, the commonest way news introduces a name)."""
    qa, corpus = ev.qa, ev.corpus
    fs = frame_score(corpus, qa, m) if m is not None else 0.0
    prox = proximity(qa, st, (s, e))
    near = 0.0
    if noun:
        text = st.doc.text
        window = fold(text[max(st.start, s - APPOSITION_WINDOW): s] + " " + text[e: min(st.end, e + APPOSITION_WINDOW)])
        if re.search(r"\b" + re.escape(noun[:NOUN_PREFIX]), window):
            near = W_APPOSITION
    # A name that occurs everywhere in the corpus (its main subject) is rarely what a
    # question asks for: weight by idf (Sparck Jones 1972), relative to the rarest word.
    toks = tokenize(value)
    n = max(corpus.n_chunks, 2)
    top = math.log(1 + (n - 0.5) / 1.5)
    rarity = min(1.0, max((idf(corpus, t) for t in toks), default=0.0) / top) if toks else 0.0
    score = st.score + W_FRAME * fs + W_PROXIMITY * prox + lab + near + W_RARITY * rarity
    return Candidate(value, st, s, e, score, key=fold(value), mention=m)


def author_candidates(ev: Evidence) -> list[Candidate]:
    """"Who wrote the article about X": the byline of the article whose headline matches."""
    out = []
    for st in ev.sents[:AUTHOR_SENTENCES]:
        a = st.doc.author
        if a:
            # "Who wrote the article about X": the headline says best which article.
            score = max(st.score, AUTHOR_BASE + AUTHOR_W_TITLE * ev.coverage(ev.qa.focus, stems(st.doc.title)))
            i = st.doc.text.find(a)
            if i >= 0:
                s, e = st.doc.sentence_at(i)
                ast = Sent(st.doc, s, e, 0, st.prior, st.rank, st.score)
                out.append(Candidate(a, ast, i, i + len(a), score, key=fold(a)))
            else:
                # The byline was page furniture and cleaned away; the name is the
                # article's metadata. Cite the headline and say where the name is from.
                s, e = st.doc.sentence_at(0)
                ast = Sent(st.doc, s, e, 0, st.prior, st.rank, st.score)
                out.append(Candidate(a, ast, -1, -1, score - AUTHOR_FROM_METADATA, key=fold(a),
                                     note="the article's byline"))
    return out


def role_candidates(ev: Evidence) -> list[Candidate]:
    """A person's title: an apposition after the name ("X, state secretary of Y,") or
    title words before it ("Foreign Minister X")."""
    qa: QuestionAnalysis = ev.qa
    out = []
    for st in ev.sents[:ENTITY_SENTENCES]:
        for m in mentions_in(st, {"PERSON"}):
            if not any(name_present(n, name_keys(m.text), fold(m.text)) or
                       name_keys(n) & name_keys(m.text) for n in qa.names):
                continue
            text = st.doc.text
            after = re.match(r",\s+((?:an?\s+|the\s+)?[^,;.“”\"]{3,90}?),", text[m.end: st.end])
            if after:
                s = m.end + after.start(1)
                out.append(Candidate(after.group(1), st, s, s + len(after.group(1)), st.score + ROLE_APPOSITION))
            before = re.search(r"((?:[A-Z][\w\-]+\s+){1,5})$", text[st.start: m.start])
            if before:
                words = before.group(1).split()
                while words and words[0].lower() in STOPWORDS:
                    words.pop(0)
                if words:
                    span = " ".join(words)
                    s = text.rfind(span, st.start, m.start)
                    if s >= 0:
                        out.append(Candidate(span, st, s, s + len(span), st.score + ROLE_TITLE))
    return out


@register(QuestionKind.ENTITY)
class EntityKind(TypedKind):
    def candidates(self, ev: Evidence) -> list[Candidate]:
        qa = ev.qa
        if qa.unit == "author":
            return author_candidates(ev)
        if qa.unit == "role":
            return role_candidates(ev)
        labels = qa.labels or ["PERSON", "ORG", "GPE"]
        strict = qa.unit == "person" and labels[0] == "PERSON"  # "who ...?" wants a person
        out: list[Candidate] = []
        qkeys = name_keys(" ".join(qa.names)) | name_keys(qa.text)
        noun = qa.unit if qa.unit and qa.unit not in ("person", "place", "kind") else ""
        for st in ev.sents[:ENTITY_SENTENCES]:
            covered: list[tuple[int, int]] = []
            for m in mentions_in(st, ENTITY_LABELS):
                covered.append((m.start, m.end))
                mk = name_keys(m.text)
                if mk and mk <= qkeys:
                    continue  # the question's own names are not the answer
                if m.kind in labels:
                    lab = -LABEL_STEP * labels.index(m.kind)
                elif strict:
                    continue
                else:
                    # NER often mislabels news names (an agency as a person); keep them, lower.
                    lab = -OTHER_LABEL
                out.append(entity_candidate(ev, st, m.text, m.start, m.end, lab, noun, m))
            if strict:
                continue
            # Capitalised names NER missed ("obtained by NEWSWIRE"), as a last resort.
            for cm in _PROPER.finditer(st.text):
                s0, e0 = st.start + cm.start(), st.start + cm.end()
                if cm.start() == 0 or any(a < e0 and s0 < b for a, b in covered):
                    continue
                if name_keys(cm.group(0)) <= qkeys or cm.group(0).lower() in STOPWORDS:
                    continue
                out.append(entity_candidate(ev, st, cm.group(0), s0, e0, -UNLABELLED, noun, None))
        return out
