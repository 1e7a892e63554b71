"""Text folding for matching names and answers across spellings.

``fold`` removes case, diacritics and typographic variation (curly quotes,
dashes, thousands separators are left to ``fold_answer``).
``name_key`` goes further, for transliterated names: it maps the digraph
spellings of Slavic letters onto one form and keeps a consonant skeleton, so
Łukašenka / Lukashenko, Valfovič / Valfovich, Ryžankoŭ / Ryzhenkov share a key.
This is the classic idea behind phonetic keys such as Soundex and NYSIIS
(Knuth, TAOCP vol. 3, 6; Taft 1970), specialised to romanisation variants.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters NFKD does not decompose into ASCII + combining mark.
_SPECIAL = str.maketrans(
    {
        "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ß": "ss",
        "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "ð": "d", "þ": "th",
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "«": '"',
        "»": '"', "–": "-", "—": "-", "‒": "-", "―": "-", "−": "-", "\u00a0": " ",
        "…": "...",
    }
)

# Romanisations of the same Cyrillic letters: the Belarusian/Czech-style carons
# versus English digraphs.
_TRANSLIT = str.maketrans({"ž": "zh", "Ž": "Zh", "š": "sh", "Š": "Sh", "č": "ch", "Č": "Ch",
                           "ŭ": "u", "Ŭ": "U", "ć": "ch", "ś": "sh", "ź": "zh"})


def strip_diacritics(text: str) -> str:
    text = text.translate(_SPECIAL)
    if text.isascii():  # nothing to decompose (most news text): the per-character pass is most of BM25's build
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, diacritic-free, typographically plain text (same length not kept)."""
    return strip_diacritics(text).lower()


_ANSWER_PUNCT = re.compile(r"[^\w\s%$.]")


def fold_answer(text: str) -> str:
    """Fold for answer comparison: case, diacritics, thousands separators, punctuation.

    ``40,549`` and ``40 549`` and ``40.549`` (a thousands dot) all become ``40549``;
    a decimal point stays (``20.5``).
    """
    t = fold(text)
    t = re.sub(r"(?<=\d)[,\u202f ](?=\d{3}\b)", "", t)
    t = re.sub(r"(?<=\d)\.(?=\d{3}(?!\d))", "", t)
    t = _ANSWER_PUNCT.sub(" ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)
    return " ".join(t.split())


_VOWELS = re.compile(r"[aeiouy]+")


#: Letters beyond Latin Extended-B: another script (Cyrillic, Greek, ...) to romanise first.
_NON_LATIN = re.compile(r"[^\W\d_\u0000-\u024F]")


@lru_cache(maxsize=65536)
def name_key(word: str) -> str:
    """Transliteration-insensitive key of one name token (see module docstring). A name
    in another script is romanised first (anyascii), so Лукашенко ~ Lukashenko."""
    if _NON_LATIN.search(word):
        from anyascii import anyascii

        word = anyascii(word)
    w = strip_diacritics(word.translate(_TRANSLIT)).lower()
    w = re.sub(r"[^a-z]", "", w)
    if not w:
        return ""
    # Slavic surname endings -ov / -ou / -ow (Belarusian -oŭ) are one sound.
    w = re.sub(r"([aeo])[uvw]$", r"\1v", w)
    w = (w.replace("x", "ks").replace("kh", "h").replace("w", "v").replace("ck", "k")
         .replace("ph", "f").replace("q", "k").replace("j", "y"))
    head, tail = w[0], w[1:]
    # Vowels carry most transliteration noise (Alaksandar/Alexander, -enka/-enko).
    tail = _VOWELS.sub("", tail)
    key = head + tail
    return re.sub(r"(.)\1+", r"\1", key)


_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Folded word tokens."""
    return _TOKEN.findall(fold(text))
