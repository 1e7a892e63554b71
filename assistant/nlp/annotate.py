"""Ingest-time language analysis of one cleaned document.

Everything the answering layer needs that costs spaCy time is computed here,
once per document version, and stored with it: sentence spans, typed mentions
(dates, figures, entities, each with the words it is bound to) and the quote
index (who said what). Questions then never run spaCy.
"""

from __future__ import annotations

from typing import Any

from assistant.config import MAX_NLP_CHARS
from assistant.models import Mention, QuoteRecord, mention_to_row, quote_to_row
from assistant.text.sentences import split_sentences
from assistant.text.terms import text_terms

#: 3: noun phrases (``phrases``) for the reader's span candidates. 4: the text's search stems,
#: its lead's, and its name keys (``text.terms``); questions compute them for older versions.
ANNOTATION_VERSION = 4


def annotate(doc_id: str, text: str, date: str, spacy_doc: Any | None,
             sentences: list[tuple[int, int]] | None = None) -> dict[str, Any]:
    """Annotations for ``text`` given its spaCy parse (of ``text[:MAX_NLP_CHARS]``)."""
    from assistant.nlp.mentions import extract_mentions
    from assistant.nlp.phrases import noun_phrases
    from assistant.nlp.quotes import extract_quotes

    sents = sentences if sentences is not None else split_sentences(text)
    mentions: list[Mention] = []
    quotes: list[QuoteRecord] = []
    phrases: list[list[int]] = []
    nlp_chars = 0
    if spacy_doc is not None:
        nlp_text = spacy_doc.text
        nlp_chars = len(nlp_text)
        mentions = extract_mentions(nlp_text, spacy_doc, date)
        quotes = extract_quotes(doc_id, nlp_text, spacy_doc)
        phrases = noun_phrases(spacy_doc)
    return {
        "v": ANNOTATION_VERSION,
        "sentences": [list(s) for s in sents],
        "mentions": [mention_to_row(m) for m in mentions],
        "quotes": [quote_to_row(q) for q in quotes],
        "phrases": phrases,
        "nlp_chars": nlp_chars,
        "truncated_nlp": len(text) > nlp_chars and spacy_doc is not None,
        **text_terms(text, sents),
    }


def nlp_slice(text: str) -> str:
    """The prefix of ``text`` that spaCy analyses (cut at a paragraph break)."""
    if len(text) <= MAX_NLP_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_NLP_CHARS)
    return text[: cut if cut > MAX_NLP_CHARS // 2 else MAX_NLP_CHARS]
