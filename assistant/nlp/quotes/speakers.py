"""Speaker resolution: from a cue's source token to the name of who spoke.

Like the deterministic coreference sieves of Lee et al. (2013, Computational
Linguistics): a name goes to the fullest spelling of that name in the article; a
pronoun goes to the previous speaker when the quote continues, otherwise to the most
recent compatible subject; a definite description ("the minister", "the agency")
goes to an entity the article gave that title or head noun. A document or finding
speaks for its owner. A quote with no cue of its own continues the previous speaker
(the two-stage sieve of Muzny et al. 2017, EACL).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from assistant.nlp.quotes.context import Context, Event, Mention, Speaker
from assistant.nlp.quotes.cues import owner_of, phrase_span, within_line
from assistant.text.folding import fold
from assistant.text.lexicon import ORG_NOUNS, PERSON_NOUNS, SOURCE_NOUNS
from assistant.text.names import name_tokens, name_word_key, strip_possessive

if TYPE_CHECKING:
    from spacy.tokens import Token

_PERSON_PRONOUNS = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f"}
_GROUP_PRONOUNS = {"they", "them", "it", "its", "their"}
#: "it" stands for one organisation or place, never a nationality ("the Syrian crisis ...
#: it gets better" is no Syrian speaking); "they" may stand for a people.
_SINGULAR_PRONOUNS = {"it", "its"}
_STATE_NOUNS = {"government", "administration", "regime", "cabinet", "authorities", "authority", "state",
                "country", "ministry", "parliament"}
_NON_AGENT_ENTS = {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "CARDINAL", "ORDINAL"}
_NAME_PARTICLES = {"de", "da", "del", "van", "von", "der", "bin", "al", "la", "le", "du", "of"}

# Speaker confidences. All are hand-set: no measurement or tuning of these values is
# on record (code, commit history, README). Higher means more direct evidence: a
# name the NER model tagged scores highest, a pronoun with no antecedent lowest.
#: A person named in the article (spelled in full from its fullest mention).
_PERSON_NAME_CONF = 1.0
#: An organisation, place or group named in the article.
_OTHER_NAME_CONF = 0.95
#: Several speakers joined by a conjunction ("X and Y said"), kept as one phrase.
_CONJOINED_CONF = 0.8
#: A capitalised name the NER model did not tag and no person in the article shares.
_UNLISTED_NAME_CONF = 0.8
#: A role noun the article gave someone earlier ("Foreign Minister X" ... "the minister").
_TITLE_HOLDER_CONF = 0.8
#: A description matched to a named organisation ("the service", "Ukraine's
#: intelligence service").
_NAMED_ORG_CONF = 0.8
#: A plural or indefinite description kept as it stands ("officials", "a spokesman").
_PHRASE_CONF = 0.8
#: A role noun back to the last speaker of a compatible kind.
_ROLE_PREVIOUS_SPEAKER_CONF = 0.7
#: A role noun back to the last person or organisation mentioned.
_ROLE_LAST_MENTION_CONF = 0.6
#: A definite description nothing resolved, kept as it stands.
_ROLE_UNRESOLVED_CONF = 0.7
#: he/she/they as the previous speaker, in the same or the next paragraph / further back.
_PRONOUN_PREVIOUS_CONF = 0.9
_PRONOUN_PREVIOUS_FAR_CONF = 0.7
#: he/she/they as a subject named after the previous speaker's attribution.
_PRONOUN_NEWER_SUBJECT_CONF = 0.75
#: he/she/they as the most recent compatible mention when there is no previous speaker.
_PRONOUN_ANTECEDENT_CONF = 0.65
#: he/she/they with no antecedent at all, kept as the pronoun.
_PRONOUN_UNRESOLVED_CONF = 0.2
#: I / we / you: the writer or an addressee, kept as the pronoun.
_DEICTIC_PRONOUN_CONF = 0.3
#: A quote with no cue continuing the previous speaker in the same / the next paragraph.
_CONTINUE_SAME_PARA_CONF = 0.85
_CONTINUE_NEXT_PARA_CONF = 0.75

# Windows (hand-set; no measurement on record).
#: A pronoun's antecedent (previous speaker or mention) is at most this many
#: paragraphs back.
_PRONOUN_MAX_PARAS = 3
#: Hops from a source to the name it stands for (appositive name, document owner).
_MAX_REDIRECTS = 2
#: A quote embedded in running text and shorter than this is a scare quote or a title,
#: never a continuation of speech.
_SCARE_QUOTE_MAX_CHARS = 40


def namelike(name: str) -> bool:
    """"Mayor Ana Ruiz": a capitalised multi-word name the NER model did not tag (a
    person for he/she when nothing better precedes)."""
    words = name.split()
    return len(words) >= 2 and all(w[:1].isupper() for w in words if w.lower() not in _NAME_PARTICLES)


def not_a_source(src: Token, left: int, right: int, titles: Mapping[str, object]) -> bool:
    """A lone singular common noun that names no role or body ("use", "oil", "turn"),
    with no determiner or modifier: the parser's subject of a clause that a quote
    follows, not who spoke ("The rationale these liars *use* ... is ...:"). A role or a
    body ("spokesman", "police", a title the article gave someone) may speak bare. In the
    polnear corpus this drops 22 of 19,558 records: "history says", "experience", "use"...
    and one real speaker, "His ex-wife agreed" ("wife" is no ``PERSON_NOUNS`` entry)."""
    if src.pos_ != "NOUN" or src.tag_ != "NN" or left != right or not src.text.islower():
        return False
    if any(c.dep_ in ("det", "poss") for c in src.children):
        return False
    lemma = src.lemma_.lower()
    return lemma not in PERSON_NOUNS and lemma not in ORG_NOUNS and lemma not in titles


#: A title's abbreviation before its full stop ("Lt", "Sgt", "Col").
_ABBREVIATION = re.compile(r"[A-Z][a-z]{1,3}")


def name_after_title(src: Token, right: int) -> Token | None:
    """The head of a person's name that follows ``src``'s phrase (ending at token
    ``right``) after an abbreviation's full stop, when the parser made both subjects of
    one verb: "said Army Capt. Christian Pardo" parses as "Capt" and "Pardo" each the
    subject of "said" (the full stop read as the end of a name), and the title alone is
    no speaker. None otherwise."""
    doc = src.doc
    dot = right + 1
    if dot < len(doc) and _ABBREVIATION.fullmatch(doc[dot].text):
        dot += 1  # "Air Force 1st *Lt*. Tyler Livingston": another title's abbreviation
    if dot + 1 >= len(doc) or doc[dot].text != "." or doc[right].ent_type_ == "PERSON":
        return None
    first = doc[dot + 1]
    if first.ent_type_ != "PERSON" or first.ent_iob_ != "B":
        return None
    end = dot + 1
    while end + 1 < len(doc) and doc[end + 1].ent_iob_ == "I" and doc[end + 1].ent_type_ == "PERSON":
        end += 1
    head = doc[end]
    # The name is a second subject of the verb, or the parser began a sentence at the dot.
    same_role = head.dep_ == src.dep_ and head.head.i == src.head.i
    return head if same_role or (head.dep_ == "ROOT" and head.sent.start > src.i) else None


class Resolver:
    """Turns a source token into a speaker name (see the module docstring)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def mention_of(self, tok: Token) -> Mention | None:
        ctx = self.ctx
        i = bisect.bisect_right(ctx.mention_starts, tok.idx) - 1
        while i >= 0 and ctx.mentions[i].end >= tok.idx:
            m = ctx.mentions[i]
            if m.start <= tok.idx < m.end + 1:
                return m
            i -= 1
        return None

    def resolve(self, src: Token | None, at: int, depth: int = 0) -> tuple[Speaker | None, str, int, int]:
        """Speaker, mention text, mention offsets for the source token ``src``."""
        if src is None:
            return None, "", -1, -1
        ctx = self.ctx
        low = src.lower_
        left, right = phrase_span(src)
        misread = self._misread_name(src, left, right, at, depth)
        if misread is not None:
            return misread
        if src.ent_type_ in _NON_AGENT_ENTS or src.pos_ in ("NUM", "VERB", "AUX", "ADJ", "ADV", "SYM"):
            return None, "", -1, -1  # a time, number or misparse cannot speak
        if src.pos_ == "PRON" or low in _PERSON_PRONOUNS or low in _GROUP_PRONOUNS:
            sp = self.pronoun(src, at)
            return sp, src.text, src.idx, src.idx + len(src.text)
        if src.pos_ == "NOUN" and depth < _MAX_REDIRECTS:
            # "rights group Civic Shield", "the spokesman, John Doe,": the name speaks.
            name = next((c for c in src.children if c.dep_ == "appos" and c.pos_ == "PROPN" and c.i > src.i), None)
            if name is not None:
                return self.resolve(name, at, depth + 1)
        if src.lemma_.lower() in SOURCE_NOUNS and src.pos_ == "NOUN" and depth < _MAX_REDIRECTS:
            # A document or finding speaks for its owner; without one it names no speaker.
            owner = owner_of(src)
            if owner is None:
                return None, "", -1, -1
            return self.resolve(owner, at, depth + 1)
        if src.pos_ == "PROPN" and (src.text.islower() or self._is_bare_title(src)):
            # A role noun mis-tagged as a name ("the minister", "the Agency").
            return self.nominal(src, left, right, at), src.text, src.idx, src.idx + len(src.text)
        # The speaker is a conjunction? Keep the first conjunct's phrase plus the others.
        doc = ctx.doc
        conj_end = right
        for c in src.rights:
            if c.dep_ == "conj":
                conj_end = max(conj_end, c.right_edge.i)
        conj_end = within_line(doc, src.i, left, conj_end)[1]
        if src.pos_ == "PROPN":
            # "human rights group Civic Shield": the name, not its descriptor.
            first_cap = next((t.i for t in doc[left: right + 1] if t.text[:1].isupper()), left)
            if all(t.text[:1].islower() or t.is_punct for t in doc[left:first_cap]):
                left = first_cap
        s_char = doc[left].idx
        e_char = doc[right].idx + len(doc[right].text)
        m = self.mention_of(src)
        rest = ctx.text[e_char:m.end].split() if m is not None else []
        if m is not None and m.label == "PERSON" and s_char <= m.start < e_char < m.end and len(rest) == 1 \
                and name_word_key(rest[0]) == m.last_key and "\n" not in ctx.text[e_char:m.end]:
            # "Columnist George Will wrote": the surname the parser read as a modal is still
            # the name's (only the surname: a headline tagged as one long name is not).
            e_char = m.end
        mention_text = ctx.text[s_char:e_char]
        # Appositive name: "the spokesman, John Doe, said".
        if m is None and src.pos_ == "NOUN":
            for c in src.children:
                if c.dep_ == "appos" and c.pos_ == "PROPN":
                    m = self.mention_of(c)
                    if m:
                        break
        if conj_end > right:
            e2 = doc[conj_end].idx + len(doc[conj_end].text)
            text = ctx.text[s_char:e2]
            label = m.label if m else "OTHER"
            return Speaker(text, label, _CONJOINED_CONF), text, s_char, e2
        if m is not None:
            return self.named(m, at), mention_text, s_char, e_char
        if src.pos_ == "PROPN":
            words = name_tokens(mention_text)
            if words:
                key = name_word_key(words[-1])
                pseudo = Mention(s_char, e_char, mention_text, "PERSON", key, name_word_key(words[0]),
                                 len(words), True)
                if ctx.person_group_exists(key):
                    return self.named(pseudo, at), mention_text, s_char, e_char
                label = "PERSON" if any(t.pos_ == "NOUN" for t in doc[left:right]) else "OTHER"
                name = " ".join(strip_possessive(w) for w in mention_text.split())
                return Speaker(name, label, _UNLISTED_NAME_CONF), mention_text, s_char, e_char
        if not_a_source(src, left, right, self.ctx.titles):
            return None, "", -1, -1
        return self.nominal(src, left, right, at), mention_text, s_char, e_char

    def _misread_name(self, src: Token, left: int, right: int, at: int, depth: int
                      ) -> tuple[Speaker | None, str, int, int] | None:
        """``resolve`` for a name the parser misread: a surname read as a modal or a month
        (``surname``), or a name after a title's abbreviation ("Army Capt. Christian
        Pardo": the name speaks, written with its title); None for any other source.
        ``left``..``right``: the tokens of ``src``'s phrase (``cues.phrase_span``)."""
        surname = self.surname(src)
        if surname is not None:
            return self.named(surname, at), src.text, surname.start, surname.end
        name = name_after_title(src, right)
        if name is None or depth >= _MAX_REDIRECTS:
            return None
        sp, _text, _s, e = self.resolve(name, at, depth + 1)
        if sp is None:
            return None
        s = self.ctx.doc[left].idx
        return sp, self.ctx.text[s:e], s, e

    def surname(self, src: Token) -> Mention | None:
        """A person's surname the parser read as something else: a modal ("Will wrote",
        ``cues.modal_as_name``) or a month ("May told reporters") standing as a subject,
        spelt as the surname of a person the article names (George Will, Theresa May);
        as a mention of that surname, else None."""
        word = src.text
        if not (word[:1].isupper() and word[1:].islower()):
            return None
        misread = (src.dep_ == "aux" and src.tag_ == "MD") or (src.ent_type_ == "DATE" and src.dep_ == "nsubj")
        key = name_word_key(word)
        if not misread or not self.ctx.person_group_exists(key):
            return None
        return Mention(src.idx, src.idx + len(word), word, "PERSON", key, key, 1, True)

    def _is_bare_title(self, src: Token) -> bool:
        """"the Minister" / "the Agency": a definite role noun standing alone."""
        lemma = src.lemma_.lower()
        if not any(c.dep_ == "det" and c.lower_ == "the" for c in src.children):
            return False
        if any(c.pos_ == "PROPN" for c in src.children if c.dep_ in ("compound", "poss")):
            return False
        return lemma in PERSON_NOUNS or lemma in ORG_NOUNS or lemma in self.ctx.titles

    def named(self, m: Mention, at: int) -> Speaker:
        ctx = self.ctx
        label = m.label
        if label != "PERSON" and ctx.person_group_exists(m.last_key):
            label = "PERSON"
        if label == "PERSON":
            return Speaker(ctx.fullest(m, at), "PERSON", _PERSON_NAME_CONF)
        return Speaker(m.text, label if label in ("ORG", "GPE", "NORP") else "OTHER", _OTHER_NAME_CONF)

    def pronoun(self, src: Token, at: int) -> Speaker | None:
        """he/she: the previous speaker if no new person became a subject since, else the
        most recent person subject; it/they: the same over organisations and groups."""
        ctx = self.ctx
        low = src.lower_
        if low in _PERSON_PRONOUNS:
            want: tuple[str, ...] = ("PERSON",)
        elif low in _SINGULAR_PRONOUNS:
            want = ("ORG", "GPE", "OTHER")
        elif low in _GROUP_PRONOUNS:
            want = ("ORG", "NORP", "GPE", "OTHER")
        else:
            return Speaker(src.text, "OTHER", _DEICTIC_PRONOUN_CONF)  # I / we / you: the writer or an addressee
        para = ctx.para_of(at)
        prev = ctx.previous(para)
        person_like = prev is not None and prev.speaker.label == "OTHER" and namelike(prev.speaker.name)
        if prev is not None and ((prev.speaker.label not in want and not (want == ("PERSON",) and person_like))
                                 or (want != ("PERSON",) and person_like) or para - prev.para > _PRONOUN_MAX_PARAS):
            # "it"/"they" never stand for the last speaker when that one reads as a person.
            prev = None
        candidates = [m for m in ctx.mentions_before(src.idx)
                      if (m.label in want or (want == ("PERSON",) and ctx.person_group_exists(m.last_key)))
                      and ctx.para_of(m.start) >= para - _PRONOUN_MAX_PARAS and not self._inside_any_quote(m.start)]
        if prev is not None:
            newer = [m for m in candidates if m.start >= prev.end and m.subject]
            if not newer:
                return Speaker(prev.speaker.name, prev.speaker.label,
                               _PRONOUN_PREVIOUS_CONF if para - prev.para <= 1 else _PRONOUN_PREVIOUS_FAR_CONF)
            return self.named(newer[-1], at).capped(_PRONOUN_NEWER_SUBJECT_CONF)
        subj = [m for m in candidates if m.subject]
        pick = subj[-1] if subj else (candidates[-1] if candidates else None)
        if pick is None:
            return Speaker(src.text, "OTHER", _PRONOUN_UNRESOLVED_CONF)
        return self.named(pick, at).capped(_PRONOUN_ANTECEDENT_CONF)

    def _inside_any_quote(self, char: int) -> bool:
        tok = self.ctx.token_at(char)
        return tok is not None and self.ctx.in_quote(tok)

    def nominal(self, src: Token, left: int, right: int, at: int) -> Speaker:
        """A description as speaker: resolve definite role nouns, else keep the phrase."""
        ctx = self.ctx
        doc = ctx.doc
        phrase = ctx.text[doc[left].idx: doc[right].idx + len(doc[right].text)]
        lemma = src.lemma_.lower()
        dets = [c.lower_ for c in src.children if c.dep_ in ("det", "poss")]
        mods = [t for t in doc[left:right + 1] if t.i != src.i and not t.is_punct
                and t.dep_ != "case"]
        definite = "the" in dets or (not dets and not mods and src.tag_ == "NN")
        plural = src.tag_ in ("NNS", "NNPS")
        # 1. A title the article gave someone ("Foreign Minister X" -> "the minister").
        if lemma in ctx.titles and (definite or mods):
            cands = [(p, n) for p, n in ctx.titles[lemma] if p < at]
            if cands and all(fold(t.text) in fold(" ".join(n for _, n in cands[-1:]) + " " +
                                                  self._title_context(lemma, cands[-1][0]))
                             for t in mods if t.pos_ in ("PROPN", "ADJ", "NOUN")):
                name = cands[-1][1]
                m = self._mention_by_text(name)
                return self.named(m, at).capped(_TITLE_HOLDER_CONF) if m else Speaker(name, "PERSON", _TITLE_HOLDER_CONF)
        poss = [c for c in src.children if c.dep_ == "poss"]
        if not plural and (definite or poss) and lemma in ORG_NOUNS:
            # "Ukraine's intelligence service" -> the organisation named with those words.
            words = {fold(t.text) for t in mods if t.pos_ in ("NOUN", "PROPN", "ADJ") and t.dep_ != "poss"
                     and not any(p.i == t.i for p in poss)}
            for m in reversed(ctx.mentions_before(src.idx + 1)):
                names = set(fold(self._org_name(m)).split())
                if m.label == "ORG" and lemma in names and words <= names:
                    return Speaker(m.text, "ORG", _NAMED_ORG_CONF)
        if plural or not definite:
            return Speaker(" ".join(strip_possessive(w) if i == 0 else w
                                    for i, w in enumerate(phrase.split())), "OTHER", _PHRASE_CONF)
        # 2. An organisation whose name holds the head noun ("the service").
        for m in reversed(ctx.mentions_before(src.idx)):
            if m.label == "ORG" and lemma in fold(m.text).split():
                return Speaker(self._org_name(m), "ORG", _NAMED_ORG_CONF)
        # 3. A role noun back to the last compatible speaker.
        if lemma in PERSON_NOUNS:
            for h in reversed(ctx.history):
                if h.speaker.label == "PERSON":
                    return Speaker(h.speaker.name, "PERSON", _ROLE_PREVIOUS_SPEAKER_CONF)
            persons = [m for m in ctx.mentions_before(src.idx) if m.label == "PERSON"]
            if persons:
                return self.named(persons[-1], at).capped(_ROLE_LAST_MENTION_CONF)
        if lemma in ORG_NOUNS:
            # Governments are named by place ("Warsaw said"); other bodies are organisations.
            labels = ("ORG", "GPE", "NORP") if lemma in _STATE_NOUNS else ("ORG",)
            for h in reversed(ctx.history):
                if h.speaker.label in labels:
                    return Speaker(h.speaker.name, h.speaker.label, _ROLE_PREVIOUS_SPEAKER_CONF)
            orgs = [m for m in ctx.mentions_before(src.idx) if m.label == "ORG"
                    and not self._inside_any_quote(m.start)]
            if orgs:
                subj = [m for m in orgs if m.subject]
                return Speaker(self._org_name((subj or orgs)[-1]), "ORG", _ROLE_LAST_MENTION_CONF)
        return Speaker(phrase, "OTHER", _ROLE_UNRESOLVED_CONF)

    def _title_context(self, lemma: str, pos: int) -> str:
        tok = self.ctx.token_at(pos)
        if tok is None:
            return ""
        sent = tok.sent
        return sent.text

    def _mention_by_text(self, name: str) -> Mention | None:
        for m in self.ctx.mentions:
            if m.text == name:
                return m
        return None

    def _org_name(self, m: Mention) -> str:
        """An organisation's name with its possessor ("Ukraine's Foreign Intelligence Service")."""
        ctx = self.ctx
        span = ctx.doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is None:
            return m.text
        left = span.start
        for c in span.root.lefts:
            if c.dep_ == "poss":
                left = min(left, c.left_edge.i)
        return ctx.text[ctx.doc[left].idx: m.end]


def continue_speaker(ctx: Context, ev: Event) -> Speaker | None:
    """A quote with no cue of its own continues the previous speaker, if it stands
    alone (not a scare quote) and follows that speaker within a paragraph."""
    q = ev.qspan
    if q is None:
        return None
    if not q.standalone and q.end - q.start < _SCARE_QUOTE_MAX_CHARS:
        return None  # an embedded scare quote or title, not speech
    prev = ctx.previous(q.para)
    if prev is None:
        return None
    gap = q.para - prev.para
    if gap <= 1:
        return Speaker(prev.speaker.name, prev.speaker.label,
                       min(prev.speaker.confidence, _CONTINUE_NEXT_PARA_CONF if gap else _CONTINUE_SAME_PARA_CONF))
    return None
