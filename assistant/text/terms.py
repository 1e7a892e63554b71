"""The search stems and name keys of a whole article: stored with its annotations at ingest
(``nlp.annotate``), so a question reads them instead of tokenising every article it weighs
(tokenising and name-keying the candidates' texts was 30-40 ms of each question's
selection, profiled on the bench's 1M index). Articles annotated before they were stored
get them computed, as before."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.text.folding import name_key
from assistant.text.tokens import tokenize


def name_keys(text: str) -> set[str]:
    """Transliteration keys of the words of ``text`` (``folding.name_key``)."""
    return {name_key(w) for w in re.findall(r"[^\W\d_]{2,}", text)}


def _lead_end(text: str, sentences: Sequence[Sequence[int]]) -> int:
    """Where the lead (the first two sentences) ends."""
    return sentences[1][1] if len(sentences) > 1 else len(text)


def text_terms(text: str, sentences: Sequence[Sequence[int]]) -> dict[str, list[str]]:
    """What ``nlp.annotate`` stores: stems of the text and of its lead, and its name keys."""
    return {"stems": sorted(set(tokenize(text))),
            "lead_stems": sorted(set(tokenize(text[:_lead_end(text, sentences)]))),
            "name_keys": sorted(name_keys(text))}


def article_stems(title: str, text: str, sentences: Sequence[Sequence[int]],
                  annotations: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """Stems of the whole article and of its lead, each with the title's (a line of its own,
    so no word spans the two: the same sets as tokenising ``title + "\\n" + text``)."""
    if "stems" in annotations and "lead_stems" in annotations:
        head = set(tokenize(title))
        return head | set(annotations["stems"]), head | set(annotations["lead_stems"])
    lead = text[:_lead_end(text, sentences)]
    return set(tokenize(title + "\n" + text)), set(tokenize(title + "\n" + lead))


def article_name_keys(title: str, text: str, annotations: Mapping[str, Any]) -> set[str]:
    """Name keys of the title and text (as ``name_keys(title + "\\n" + text)``)."""
    if "name_keys" in annotations:
        return name_keys(title) | set(annotations["name_keys"])
    return name_keys(title + "\n" + text)
