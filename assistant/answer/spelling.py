"""A name the question spells otherwise than the corpus, respelled as the corpus writes it.

Journalists type "Maksim Ryzhenkov" where a Belarusian outlet writes "Maksim Ryžankoŭ".
Retrieval already finds such articles (the alias table's variants expand the keyword query),
and the rules match names by transliteration key; but learned selection weighs the question's
words as written, so the sentence that names the person in the corpus's spelling shares no
word with the question and is not chosen. Before answering, a name of two or more capitalised
words that the corpus knows as one entity by transliteration key (``AliasTable.label``) has
each of its words that no chunk of the corpus contains written as the corpus spells it
(``AliasTable.variants``: same name key, a similar spelling; the most frequent first).

Only whole names the corpus knows: a lone word's key is a consonant skeleton, and "Rupert"
shares one with "report", "Brittney" with "Britain". Words the corpus contains and
quoted stretches (a quote is searched as written) stay as typed.

Pure given the aliases and the corpus's document frequencies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from assistant.text.tokens import tokenize

#: A name as typed: two or more capitalised words ("Maksim Ryzhenkov", "Ryzhenkov's").
_NAME = re.compile(r"\b[^\W\d_a-z][\w-]*(?:\s+[^\W\d_a-z][\w-]*)+")
#: Quoted stretches of a question, left as written.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_POSSESSIVE = re.compile(r"['’]s$")


def _search_token(word: str) -> str:
    toks = tokenize(word)
    return toks[0] if len(toks) == 1 else ""


def _respell_word(word: str, variants: Callable[[str], Iterable[str]], df: Callable[[str], int]) -> str:
    tok = _search_token(word)
    if not tok or df(tok) > 0:
        return word
    seen = [(df(t), v) for v in variants(word) if (t := _search_token(v)) and df(t) > 0]
    if not seen:
        return word
    best = max(seen, key=lambda s: s[0])[1]
    return best[:1].upper() + best[1:]


def respelled(question: str, label: Callable[[str], str], variants: Callable[[str], Iterable[str]],
              df: Callable[[str], int]) -> str:
    """``question`` with each name the corpus knows as an entity (``label`` non-empty) written
    word by word as the corpus spells it, where it never writes the typed word (``df`` of its
    search token 0) and ``variants`` (folded spellings) gives it another; quoted stretches
    unchanged."""

    def name(m: re.Match[str]) -> str:
        words = m.group(0).split()
        bare = [_POSSESSIVE.sub("", w) for w in words]
        i = 0
        while i < len(words) - 1:
            # The longest known name from here: a capitalised word before one ("Did Maksim
            # Ryzhenkov") is no part of it.
            end = next((j for j in range(len(words), i + 1, -1) if label(" ".join(bare[i:j]))), 0)
            for k in range(i, end):
                words[k] = _respell_word(bare[k], variants, df) + words[k][len(bare[k]):]
            i = max(end, i + 1)
        return " ".join(words)

    out, at = [], 0
    for q in _QUOTED.finditer(question):
        out += [_NAME.sub(name, question[at:q.start()]), q.group(0)]
        at = q.end()
    out.append(_NAME.sub(name, question[at:]))
    return "".join(out)
