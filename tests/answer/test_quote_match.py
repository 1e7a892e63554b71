"""Finding the quote a question cites in the quote index."""

from __future__ import annotations

from assistant.answer.quote_match import match_quote
from assistant.models import QuoteRecord


def test_match_quote_ellipsis_and_cut_last_word() -> None:
    rec = QuoteRecord(doc_id="d", speaker="Maria Olsen", speaker_text="Olsen", cue="say",
                      quote="We will cut taxes for every family in this state next year", start=0, end=59)
    assert match_quote("We will cut taxes … next ye", [rec])
    assert not match_quote("We will raise taxes", [rec])
