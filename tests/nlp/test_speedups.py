"""The sped-up attribute ruler and lemmatizer give exactly what spaCy's own do, on real
articles: every attribute the extractors read, token by token."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, SEEDS

pytestmark = pytest.mark.slow  # two spaCy pipelines


def _signature(doc) -> list[tuple]:
    return [(t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_, t.head.i, t.ent_iob_, t.ent_type_,
             t.is_sent_start) for t in doc]


@pytest.fixture(scope="module")
def pipelines():
    import spacy

    from assistant.nlp.model import MODEL
    from assistant.nlp.speedups import install

    plain, fast = spacy.load(MODEL), spacy.load(MODEL)
    assert install(fast) == ["attribute_ruler", "lemmatizer"]
    return plain, fast


@pytest.fixture(scope="module")
def texts() -> list[str]:
    from assistant.ingest.loaders import LoadFailure
    from assistant.ingest.stages import clean, load
    from assistant.nlp.annotate import nlp_slice
    from assistant.nlp.model import segments

    docs = [clean(r) for r in load([SEEDS, FIXTURES]) if not isinstance(r, LoadFailure)]
    return [s for d in docs for s in segments(nlp_slice(d.text))]


def test_rule_matcher_returns_the_matchers_matches(pipelines, texts):
    from assistant.nlp.speedups import RuleMatcher

    plain, _ = pipelines
    ruler = plain.get_pipe("attribute_ruler")
    fast = RuleMatcher(ruler)
    n = 0
    with plain.select_pipes(disable=["attribute_ruler", "lemmatizer", "ner"]):
        for doc in plain.pipe(texts):
            assert fast(doc) == ruler.match(doc)
            n += len(doc)
    assert n > 2000


def test_sped_up_pipeline_annotates_identically(pipelines, texts):
    plain, fast = pipelines
    for _ in range(2):  # the second round runs on the memos
        for a, b in zip(plain.pipe(texts, batch_size=8), fast.pipe(texts, batch_size=8), strict=True):
            assert _signature(a) == _signature(b)


def test_words_the_rules_single_out():
    """The ruler's special cases (contractions, two-token patterns, spaces) survive."""
    from assistant.nlp.model import load_nlp

    doc = load_nlp()("We ain't gonna wait, y'all.  He gets what he got; let's go.")
    lemmas = {t.text: t.lemma_ for t in doc}
    assert lemmas["ai"] == "be" and lemmas["gon"] == "go" and lemmas["na"] == "to"
    assert lemmas["gets"] == "get" and lemmas["got"] == "get" and lemmas["'s"] == "us"
    assert [t.pos_ for t in doc if t.is_space] == ["SPACE"]
