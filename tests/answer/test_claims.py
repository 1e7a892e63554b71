"""How a sentence lines up with a yes/no question's claim (``assistant.answer.forms.claims``)
and the features built on it (``forms.features``)."""

from __future__ import annotations

from fakes import MemoryCorpus, make_doc

from assistant.answer.evidence import Evidence, candidate_sentences
from assistant.answer.forms import claims as C
from assistant.answer.forms import features as F
from assistant.answer.question import analyse
from assistant.models import Passage
from assistant.text.tokens import tokenize


def _evidence(question: str, text: str) -> Evidence:
    doc = make_doc("p", text)
    corpus = MemoryCorpus([doc])
    qa = analyse(question)
    p = Passage(doc_id="p", chunk_id="p:0", text=doc.text, start=0, end=len(doc.text), sentence=doc.text,
                sentence_start=0, sentence_end=len(doc.text), score=1.0)
    return Evidence(qa=qa, corpus=corpus, passages=[p], sents=candidate_sentences(corpus, qa, [p]))


def test_the_claim_span_is_the_densest_stretch_of_matches():
    sentence = "cruz is the only contender to visit every county and he mocks rivals for not doing it the iowa way"
    words = sentence.split()
    match = [w in {"cruz", "only", "visit", "county", "iowa"} for w in words]
    lo, hi = C.claim_span(words, match, [1.0] * len(words))
    assert " ".join(words[lo:hi]) == "cruz is the only contender to visit every county"
    assert C.claim_span(words, [False] * len(words), [1.0] * len(words)) == (0, 0)


def test_a_negation_in_another_clause_does_not_deny_the_claim():
    q = "Is Cruz the only candidate pledging to visit every county?"
    far = _evidence(q, "Cruz is the only candidate pledging to visit every county, and he mocks his rivals for "
                       "not campaigning the old way.")
    near = _evidence(q, "Cruz is not the only candidate pledging to visit every county.")
    assert F.polarity_features(far, far.sents[0])["neg_claim"] == 0.0
    assert F.polarity_features(near, near.sents[0])["neg_claim"] == 1.0


def test_a_substitution_names_something_the_question_does_not_ask():
    asked = set(tokenize("did jeanne shaheen endorse bernie"))
    assert C.swapped("Jeanne Shaheen had already endorsed Clinton.", asked)
    assert not C.swapped("Jeanne Shaheen had already endorsed Bernie.", asked)
    assert C.swapped("The syringe was actually a small flashlight.", set(tokenize("was it actually a syringe")))
    # "would rather X than Y" is a preference, not a correction
    assert not C.swapped("She would rather vote for Clinton than Trump.", set(tokenize("would she pick trump")))


def test_a_comparison_turned_round_is_a_swap():
    q = "do voters trust republicans more than clinton on foreign policy"
    assert C.than_swapped(q, "Polls show voters trust Clinton more than any of the Republican candidates.")
    assert not C.than_swapped(q, "Polls show voters trust Republicans more than Clinton.")
    assert not C.than_swapped(q, "Polls show voters trust Clinton.")


def test_a_misspelt_or_clipped_question_word_finds_the_articles_word():
    vocab = {"favorability", "executives", "millennials", "fell", "cat"}
    assert C.near_word("favorabilty", vocab) == "favorability"
    assert C.near_word("millenials", vocab) == "millennials"
    assert C.near_word("execs", vocab) == "executives"
    assert C.near_word("outspend", vocab) == ""
    assert C.near_word("cot", vocab) == ""  # too short to guess


def test_the_claim_gap_forgives_a_typo_but_not_a_missing_word():
    text = "Clinton's favorability among Hispanics fell in August from 71 percent to 55 percent."
    ev = _evidence("did hillary's favorabilty with hispanics go up in august", text)
    assert "favorabilti" not in F.claim_gap(ev, ev.sents[0])[1]
    ev = _evidence("did hillary's popularity with hispanics go up in august", text)
    assert "popular" in F.claim_gap(ev, ev.sents[0])[1]


def test_a_pronoun_contraction_is_not_an_event_word():
    assert C.contraction_stems("has trump said he'd label china a manipulator") == set(tokenize("he'd"))
    ev = _evidence("has trump said he'd label china a manipulator", "Trump will label China a manipulator.")
    assert set(tokenize("he'd")).isdisjoint(F.event_words(ev))
