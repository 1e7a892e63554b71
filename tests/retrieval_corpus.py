"""A small invented corpus for retrieval tests, and the checks every passage must pass
(shared by the embedded and the Chroma-server tests)."""

from __future__ import annotations

from assistant import Assistant, Passage

# Invented articles: two name one person in two romanisations (Belarusian Latin with
# diacritics, English-style digraphs); the others are distractors with distinct
# publishers and dates (one undated).
CORPUS = [
    {"id": "bridge", "title": "New river bridge to open in spring", "publisher": "Northern Ledger",
     "date": "2023-03-14",
     "text": "Mayor Mikalaj Ščarbakoŭ said on Tuesday that the new river bridge in Hrodna will open to traffic "
             "in May. Ščarbakoŭ told reporters the project cost 41 million euros, well above the first "
             "estimate. Residents have waited six years for the crossing."},
    {"id": "port", "title": "Dock workers strike at the eastern port", "publisher": "Harbour Times",
     "date": "2024-07-02",
     "text": "About 2,300 dock workers walked off the job at the eastern port on Monday, halting container "
             "traffic. The union said wages had fallen behind inflation for three years. Shipping firms "
             "diverted vessels to other harbours."},
    {"id": "club", "title": "City club wins the regional cup", "publisher": "northern ledger",
     "date": "2024-11-20",
     "text": "The city football club won the regional cup on Sunday after beating its rivals 3-1 in the final. "
             "The coach praised the young squad and the supporters who travelled to the match."},
    {"id": "vote", "title": "Turnout rises in municipal vote", "publisher": "Harbour Times",
     "date": "2025-01-05",
     "text": "Turnout in the municipal election rose to 58 percent, the electoral commission said. Officials "
             "counted ballots through the night and published the results on Monday morning."},
    {"id": "council", "title": "Council session opens with transport plan", "publisher": "Harbour Times",
     "date": "2022-05-01",
     "text": "Deputy mayor Mikalai Shcharbakov opened the council session in Hrodna on Wednesday. Shcharbakov "
             "promised four new bus routes before the winter."},
    {"id": "undated", "title": "Library extends opening hours", "publisher": "Harbour Times",
     "text": "The central library will stay open until 10 p.m. on weekdays, the culture department announced. "
             "The change follows a petition signed by students."},
]


def check_passage(asst: Assistant, p: Passage) -> None:
    """Every citation field is present and every offset maps back to the document."""
    assert isinstance(p, Passage)
    doc = asst.document(p.doc_id)
    assert p.chunk_id and p.text.strip()
    assert doc.text[p.start:p.end] == p.text
    assert (p.title, p.publisher, p.date) == (doc.title, doc.publisher, doc.date)
    assert p.start <= p.sentence_start < p.sentence_end <= p.end
    assert doc.text[p.sentence_start:p.sentence_end] == p.sentence
    assert p.sentence.strip() and p.sentence in p.text
    assert set(p.scores) == {"dense", "bm25", "fused", "phrase"}
    assert p.score == p.scores["fused"]
