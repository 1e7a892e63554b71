"""``text.terms``: the stems and name keys stored at ingest give exactly what tokenising the
whole article at question time gave (the learned models' features must not move)."""

from __future__ import annotations

from assistant.index.cache import LocalIndex
from assistant.text.terms import article_name_keys, article_stems, name_keys, text_terms


def test_stored_terms_equal_the_ones_computed_from_the_text(seed_index_fake):
    local = LocalIndex(seed_index_fake / "assistant")
    assert local.load()
    ids = list(local.records())
    assert len(ids) >= 5
    for doc_id in ids:
        doc = local.doc(doc_id)
        assert {"stems", "lead_stems", "name_keys"} <= set(doc.annotations), "ingest stores them"
        stored = article_stems(doc.title, doc.text, doc.sentences, doc.annotations)
        computed = article_stems(doc.title, doc.text, doc.sentences, {})
        assert stored == computed and stored[1] <= stored[0] and len(stored[1]) < len(stored[0])
        assert article_name_keys(doc.title, doc.text, doc.annotations) == name_keys(doc.title + "\n" + doc.text)
    local.close()


def test_title_and_text_never_join_into_one_word():
    title, text = "Council backs 4.2", "5 billion plan\nSecond line. Third."
    sents = [(0, 14), (15, 27), (28, 34)]
    stored = text_terms(text, sents)
    assert article_stems(title, text, sents, stored) == article_stems(title, text, sents, {})
    assert article_name_keys(title, text, stored) == name_keys(title + "\n" + text)
