"""Entity and ordinal mentions: spaCy's named entities and ranking ordinals, with their frames.

Entities are trimmed of a leading article and a possessive ending. Ordinals
("his seventh term") are kept apart from figures: they rank, they do not count.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.models import Mention
from assistant.nlp.mentions.context import ENTITY_KINDS
from assistant.nlp.mentions.frames import frame_words, governor, phrase, verb_roles
from assistant.nlp.mentions.units import unit_of
from assistant.text.numbers import ordinal_value

if TYPE_CHECKING:
    from spacy.tokens import Token

    from assistant.nlp.mentions.context import Ctx

#: Nouns passed on the way from an entity or ordinal to its verb that join its frame. Origin of
#: the value not recorded.
_CHAIN_NOUNS = 1


def _clean_entity(text: str, start: int) -> tuple[int, int]:
    """Offsets of the entity without a leading article or a possessive ending."""
    s, e = 0, len(text)
    m = re.match(r"(?i)the\s+", text)
    if m and m.end() < e:
        s = m.end()
    m = re.search(r"(?:['’]s|['’])$", text[s:e])
    if m and e - len(m.group(0)) > s:
        e -= len(m.group(0))
    while e > s and text[e - 1] in " \t\n.,;:\"“”'‘’)-–—":
        e -= 1
    while s < e and text[s] in " \t\n\"“”'‘’(":
        s += 1
    return start + s, start + e


def extract_entities(ctx: Ctx) -> list[Mention]:
    """Named-entity mentions of the kinds in ``ENTITY_KINDS``, with their frames."""
    doc = ctx.doc
    out: list[Mention] = []
    for ent in doc.ents:
        if ent.label_ not in ENTITY_KINDS:
            continue
        s, e = _clean_entity(ent.text, ent.start_char)
        if e <= s:
            continue
        toks = list(range(ent.start, ent.end))
        own = set(toks)
        root = ent.root
        roles: list[tuple[str, list[Token]]] = []
        if root.dep_ in ("compound", "poss", "amod", "nmod") and root.head.i not in own:
            roles.append(("head", phrase(root.head, own, 0)))
        elif root.dep_ == "pobj" and root.head.head.i != root.head.i and root.head.head.pos_ in ("NOUN", "PROPN"):
            roles.append(("head", phrase(root.head.head, own, 0)))
        gov, chain = governor(root)
        roles.extend(("chain", phrase(c, own, 0)) for c in chain[:_CHAIN_NOUNS])
        if gov is not None:
            roles.extend(verb_roles(gov, own))
        label = ent.label_
        value = " ".join(ctx.text[s:e].split())
        out.append(Mention(kind=label, start=s, end=e, text=ctx.text[s:e], value=value,
                           frame=frame_words(ctx, roles, own)))
    return out


def extract_ordinals(ctx: Ctx) -> list[Mention]:
    """Ordinals that rank a noun ("his seventh term", "the 11th win"), kind ``ORDINAL``.

    Kept apart from figures: "third" in "the third quarter" or "finished third" counts
    nothing. Adverbs ("first proposed") and ordinals inside dates are skipped.
    """
    doc = ctx.doc
    out: list[Mention] = []
    for ent in doc.ents:
        if ent.label_ != "ORDINAL" or any(i in ctx.date_tok for i in range(ent.start, ent.end)):
            continue
        root = ent.root
        if root.pos_ not in ("ADJ", "NUM", "NOUN"):
            continue
        s, e = _clean_entity(ent.text, ent.start_char)
        v = ordinal_value(ctx.text[s:e])
        if v is None:
            continue
        own = set(range(ent.start, ent.end))
        roles: list[tuple[str, list[Token]]] = []
        if root.dep_ in ("amod", "nummod", "compound") and root.head.i not in own:
            roles.append(("head", phrase(root.head, own, 1)))
        gov, chain = governor(root)
        roles.extend(("chain", phrase(c, own, 0)) for c in chain[:_CHAIN_NOUNS])
        if gov is not None:
            roles.extend(verb_roles(gov, own))
        out.append(Mention(kind="ORDINAL", start=s, end=e, text=ctx.text[s:e], value=str(v),
                           unit=unit_of(root.head) if root.head.i not in own and root.head.pos_ == "NOUN" else "",
                           frame=frame_words(ctx, roles, own)))
    return out
