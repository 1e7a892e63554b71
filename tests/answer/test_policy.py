"""Abstention on made-up articles: what the corpus never mentions, evidence that drops
the question's names or years, nothing of the asked type."""

from __future__ import annotations

import pytest
from fakes import configurations, date, entity, fake_answerer, figure, make_doc

from assistant.answer.evidence import Candidate, Sent, name_keys, name_present
from assistant.answer.policy import order_candidates
from assistant.text.folding import fold

#: Why today's learned configuration fails a case (strict xfails: they fail once it is fixed).
ANSWERS_OVER_REASONED_ABSTENTION = (
    "learned selection replies with the closest sentence (calibrated confidence above its threshold) where "
    "the rules abstain with a reason the reader needs: a name the corpus never mentions, evidence for "
    "another year, nothing of the asked kind")

PERMITS = make_doc(
    "p", "Ruritania issued 500 building permits in 2023, the housing ministry said.",
    mentions=[entity("GPE", "Ruritania"), figure("500", "500", "permit", frame=["permits", "issued"]),
              date("2023", "2023", frame=["issued"])])


@pytest.mark.parametrize("models", configurations(ANSWERS_OVER_REASONED_ABSTENTION))
def test_a_name_the_corpus_never_mentions_is_said_plainly(models):
    ans = fake_answerer([PERMITS], models=models).ask("How many permits did Syldavia issue in 2023?")
    assert ans.abstained and "never mentions Syldavia" in ans.text
    assert ans.citations and ans.citations[0].doc_id == "p"  # the closest passage, for the reader to judge


@pytest.mark.parametrize("models", configurations(ANSWERS_OVER_REASONED_ABSTENTION))
def test_evidence_for_another_year_is_not_an_answer(models):
    ans = fake_answerer([PERMITS], models=models).ask("How many permits did Ruritania issue in 2019?")
    assert ans.abstained and "do not concern 2019" in ans.text


@pytest.mark.parametrize("models", configurations(ANSWERS_OVER_REASONED_ABSTENTION))
def test_nothing_of_the_asked_type_abstains_with_the_reason(models):
    ans = fake_answerer([PERMITS], models=models).ask("Who leads the housing ministry of Ruritania?")
    assert ans.abstained and "no entity of the kind asked for" in ans.text


def test_names_match_across_spellings_and_acronyms():
    text = "The European Union and Alaksandar Łukašenka met."
    keys, folded = name_keys(text), fold(text)
    assert name_present("European Union", name_keys("the EU said"), fold("the EU said"))
    assert name_present("Lukashenka", keys, folded)
    assert not name_present("Warsaw", keys, folded)


def test_candidates_that_keep_the_names_outrank_stronger_ones_that_drop_them():
    doc = make_doc("d", "One. Two.")
    strong = Candidate("x", Sent(doc, 0, 4, 0, 1.0, 1, names_ok=0.0), 0, 1, score=0.9)
    kept = Candidate("y", Sent(doc, 5, 9, 1, 1.0, 1), 5, 6, score=0.6)
    assert [c.value for c in order_candidates([strong, kept], binds_names=True)] == ["y", "x"]
    assert [c.value for c in order_candidates([strong, kept], binds_names=False)] == ["x", "y"]


@pytest.mark.parametrize("models", configurations())
def test_a_publisher_the_text_never_names_is_not_absent_from_the_corpus(models):
    doc = make_doc("p", "Ruritania issued 500 building permits in 2023, the housing ministry said.",
                   publisher="Harbour Ledger", mentions=[entity("GPE", "Ruritania")])
    ans = fake_answerer([doc], models=models).ask("What did the Harbour Ledger report about permits?")
    assert "never mentions" not in ans.text
