"""Person and organisation names as news writes them: the head of a speaker span,
spelling-insensitive comparison of two names, and their word keys. Used to build
the quote index at ingest and to match speakers at question time."""

from __future__ import annotations

import re

from assistant.text.folding import fold, name_key
from assistant.text.lexicon import NAME_SUFFIXES, PERSON_NOUNS, TITLE_ABBREVIATIONS

_CUT_WORDS = {"of", "from", "at", "in", "inside", "outside", "within", "near", "behind", "across", "with", "for", "on", "to", "by", "about", "who", "whom",
              "which", "that", "whose", "like", "as", "among", "under", "after", "before",
              "during", "when", "where", "while", "said", "says", "told", "and", "or"}
_NAMEISH = re.compile(r"^[A-ZÀ-ÖØ-ÞĀ-ſ][^\s]*$")


def strip_possessive(word: str) -> str:
    return re.sub(r"(?:['’‘`]s|['’‘`])$", "", word)


def _np_head(words: list[str]) -> str:
    """Last word of a noun phrase, skipping name suffixes and possessive markers."""
    while len(words) > 1 and words[-1].lower().strip(".,") in NAME_SUFFIXES:
        words = words[:-1]
    return strip_possessive(words[-1]).strip(".,;:") if words else ""


def speaker_head(name: str) -> str:
    """The head word of a speaker span: the name or noun that identifies the speaker.

    Rule-based head finding for English noun phrases (the right-headed NP rule of
    Collins 1999, head rules, applied after cutting post-modifiers): the span is
    cut at its first comma, bracket or post-modifier (a preposition, relative
    pronoun or participle clause), and the head is the last word of what is
    left, minus name suffixes (Jr., III) and the possessive. When a common-noun
    description stands in apposition to a proper name ("Clinton's campaign
    chairman, John Podesta") the name is the head, since it is what identifies
    the speaker.
    """
    text = " ".join(name.replace("\u00a0", " ").split()).strip(" ,;:.\"'“”‘’")
    if not text:
        return ""
    segments = [s.strip() for s in re.split(r"[,(;:\[—–]|\s-\s", text) if s.strip()]
    first = _cut_postmodifiers(segments[0]) if segments else []
    if first and segments and first[-1].lower() in PERSON_NOUNS:
        # "Secretary of State Jane Doe": a title with an of-phrase, then the name.
        rest = segments[0].split()[len(first):]
        run: list[str] = []
        for w in reversed(rest):
            if not _NAMEISH.match(w.strip("\"'“”‘’")):
                break
            run.append(w)
        if len(run) >= 3 and len(run) < len(rest):  # of-object + given name + surname
            return _np_head(list(reversed(run)))
    if not first:
        words = text.split()
        return _np_head(words) if words else ""
    head = _np_head(first)
    if head and head[:1].islower() and len(segments) > 1:
        second = [w.strip("\"'“”‘’") for w in _cut_postmodifiers(segments[1])]
        # "..., actress Jane Doe": a lower-case descriptor may precede the name.
        while second and second[0][:1].islower():
            second = second[1:]
        if second and 1 <= len(second) <= 5 and all(_NAMEISH.match(w) for w in second if w):
            return _np_head([w for w in second if w])
    return head


def _cut_postmodifiers(segment: str) -> list[str]:
    words = segment.split()
    out: list[str] = []
    for i, w in enumerate(words):
        lw = w.lower()
        # A lower-case preposition or clause word after the first word ends the head NP;
        # "Bank of America" keeps "Bank" as its head, which is the syntactic answer.
        if i > 0 and lw in _CUT_WORDS and w.islower():
            break
        if i > 0 and lw.endswith("ing") and w.islower() and len(lw) > 5 and out and out[-1][:1].isupper():
            break  # participle clause after a name: "Bill Eastland wearing ..."
        out.append(w)
    return out


def name_word_key(word: str) -> str:
    """Spelling-insensitive key of a name word; short keys collide (Bob/Bay, Will/Wall),
    so names whose key is under four letters must match exactly (folded)."""
    k = name_key(word)
    if len(k) < 4:
        return "=" + fold(strip_possessive(word)).strip(".")
    # Keep whether the name ends in a vowel (Christ/Christie), after folding the Slavic
    # -ov/-ou/-oŭ ending that name_key already treats as one sound.
    w = re.sub(r"[^a-z]", "", fold(strip_possessive(word)))
    w = re.sub(r"([aeo])[uvw]$", r"\1v", w)
    return k + ("~" if w[-1:] in ("a", "e", "i", "o", "u", "y") else "")


def name_tokens(name: str) -> list[str]:
    words = [strip_possessive(w).strip(".,") for w in name.replace("\u00a0", " ").split()]
    words = [w for w in words if w and w.lower().strip(".") not in TITLE_ABBREVIATIONS]
    return [w for w in words if w.lower() not in NAME_SUFFIXES]


def speakers_match(a: str, b: str) -> bool:
    """Same speaker across spellings, partial names and titles?

    Compares the head names with the transliteration-insensitive ``name_key``
    (exact folded spelling for short names, whose keys collide)
    (so Łukašenka ~ Lukashenko) and, when both spans also give a first name,
    requires the first names to agree too (Hillary vs Bill Clinton); an initial
    agrees with any name it abbreviates.
    """
    ha, hb = speaker_head(a), speaker_head(b)
    if not ha or not hb:
        return False
    if name_word_key(ha) != name_word_key(hb) and fold(ha) != fold(hb):
        return False
    ta, tb = name_tokens(a), name_tokens(b)
    fa = _first_name(ta, ha)
    fb = _first_name(tb, hb)
    if fa and fb:
        ka, kb = fold(fa).rstrip("."), fold(fb).rstrip(".")
        if len(ka) == 1 or len(kb) == 1:
            return ka[0] == kb[0]
        return name_word_key(fa) == name_word_key(fb)
    return True


def _first_name(words: list[str], head: str) -> str:
    """The word just before the head name, if it looks like a given name."""
    idx = [i for i, w in enumerate(words) if strip_possessive(w).strip(".,") == head]
    if not idx or idx[0] == 0:
        return ""
    w = words[idx[0] - 1]
    return w if _NAMEISH.match(w) and w.lower() not in TITLE_ABBREVIATIONS else ""
