"""The confidence a reader's reply shows (``reader.confidence``): its row on made-up
readings, that a model changes the number and nothing else, the committed model, and the
training stage learning from the re-ranker's evidence out of fold."""

from __future__ import annotations

import math

import pytest
from test_reader import READER, REPAIRS, answerer, lin

from assistant.answer.learned import ConfidenceModel, Isotonic, ReaderModels, load_confidence
from assistant.answer.reader.confidence import CONFIDENCE_FEATURES, features, hedged, logit, share
from assistant.answer.reader.reader import Reading
from assistant.answer.reader.reply import GUESS, NOT_SURE
from assistant.answer.reader.spans import Span
from assistant.answer.selection import Selection

IDENTITY = Isotonic((0.0, 1.0), (0.0, 1.0))


def span(text: str) -> Span:
    return Span("a", 0, len(text), text, 0, {"PHRASE"})


def reading(conf: float, moved: bool = False) -> Reading:
    henk, office = span("Storm Henk"), span("Met Office")
    first = [(2.0, office), (1.0, henk)]
    scored = [(3.0, henk), (0.5, office)] if moved else [(3.0, office), (0.5, henk)]
    top = scored[0][1]
    return Reading(span=top, confidence=conf, scored=scored, rows=[{"agree": 2.0, "doc_p": 0.9}, {}],
                   first_look=first, look={"docs_p": 1.5, "fit": 1.0, "z": 0.3})


def test_the_row_says_what_the_reply_does_with_the_span():
    sel = Selection(confidence=0.8)
    reader = ReaderModels(READER.span, READER.confidence, IDENTITY, state_at=0.6, sentences=3, guess_at=0.3)
    stated = features("entity", reading(0.7), sel, reader)
    assert stated["guessed"] == stated["sentence"] == 0.0 and stated["k_entity"] == 1.0
    guess = features("other", reading(0.4), sel, reader)
    assert guess["guessed"] == 1.0 and guess["sentence"] == 0.0 and guess["k_entity"] == 0.0
    withheld = features("other", reading(0.1), sel, reader)
    assert withheld["sentence"] == 1.0 and withheld["guessed"] == 0.0
    assert stated["span_logit"] == pytest.approx(math.log(0.7 / 0.3))
    assert stated["sent_logit"] == pytest.approx(math.log(0.8 / 0.2))
    assert set(stated) == set(CONFIDENCE_FEATURES)


def test_the_row_carries_how_the_second_look_ranked_the_span():
    sel = Selection(confidence=0.8)
    kept, moved = features("other", reading(0.7), sel, READER), features("other", reading(0.7, moved=True), sel, READER)
    assert kept["moved"] == 0.0 and moved["moved"] == 1.0
    assert kept["look_docs_p"] == 1.5 and kept["look_fit"] == 1.0 and "look_z" not in kept
    assert kept["span_agree"] == 2.0 and kept["span_doc_p"] == 0.9
    assert kept["look_p"] == pytest.approx(1 / (1 + math.exp(-2.5)))
    assert kept["n_words"] == pytest.approx(math.log1p(2))


def test_probabilities_and_shares_stay_finite():
    assert logit(0.0) == pytest.approx(-logit(1.0)) and abs(logit(1.0)) < 10
    assert share([]) == (0.0, 0.0)
    soft, gap = share([4.0])
    assert soft == 1.0 and gap > 0
    assert share([30.0, 0.0])[1] == 10.0  # the gap is capped


def test_a_model_sure_of_the_stated_answer_changes_its_number_not_its_words():
    """The same reply, word for word, with the model's probability as its confidence; a
    model that doubts it offers the same span as a guess."""
    question = "How many ferries were repaired in March?"
    plain = answerer([REPAIRS]).explain(question)
    assert plain.answer.confidence == plain.reading.confidence
    again = answerer([REPAIRS], confidence=ConfidenceModel(lin(2.0, look_p=0.0), IDENTITY)).explain(question)
    assert again.answer.text == plain.answer.text and again.answer.citations == plain.answer.citations
    assert again.answer.confidence == pytest.approx(1 / (1 + math.exp(-2.0)), abs=1e-4)
    assert again.confidence_row is not None and set(again.confidence_row) == set(CONFIDENCE_FEATURES)
    doubt = answerer([REPAIRS], confidence=ConfidenceModel(lin(-2.0), IDENTITY)).ask(question)
    assert doubt.text == f"{GUESS} {plain.answer.text}" and doubt.answer == plain.answer.answer


def test_an_abstention_keeps_its_own_confidence():
    model = ConfidenceModel(lin(5.0), IDENTITY)
    tr = answerer([REPAIRS], confidence=model).explain("Which airline bought the shipyard?")
    if not tr.answer.abstained:
        pytest.skip("the hand-set models answered")
    assert tr.confidence_row is None and tr.answer.confidence != pytest.approx(model({}))


def test_confidence_models_round_trip_through_json():
    m = ConfidenceModel(lin(0.5, look_p=2.0), Isotonic((0.1, 0.9), (0.2, 0.8)), {"realtimeqa": {"replies": 3}})
    again = ConfidenceModel.from_dict(m.to_dict())
    assert again == m and again({"look_p": 0.3}) == m({"look_p": 0.3})


def test_the_committed_model_reads_only_features_that_exist_and_beats_the_first_look():
    m = load_confidence()
    assert m is not None, "run `assistant train --stage confidence` to fit assistant/answer/models/confidence.json"
    assert set(m.linear.features) == set(CONFIDENCE_FEATURES)
    rt = m.meta["realtimeqa/final"]
    assert rt["auroc_after_oof"] > rt["auroc_before"]  # out of fold, on the training questions
    assert m.calibration.ys == tuple(sorted(m.calibration.ys))


def test_fitting_learns_the_reranker_vote_out_of_fold():
    """Replies whose value many retrieved documents write are right; the first look's own
    confidence says nothing: the model learns the vote, out of fold."""
    from assistant.evaluation.training.confidence import Row, fit

    rows = []
    for q in range(200):
        right = q % 3 == 0
        x = dict.fromkeys(CONFIDENCE_FEATURES, 0.0)
        x["look_docs_p"] = 2.0 + 0.01 * (q % 7) if right else 0.2 + 0.01 * (q % 5)
        x["span_logit"] = 0.5
        rows.append(Row("realtimeqa", f"q{q}", x, right, 0.5))
    model, figures = fit(rows, log=lambda _m: None)
    fig = figures["realtimeqa/final"]
    assert fig["auroc_before"] == 0.5 and fig["auroc_after_oof"] > 0.95
    assert model.linear.standardised["look_docs_p"] > 0
    assert model({**rows[0].x}) > 0.9 > 0.1 > model({**rows[1].x})


@pytest.mark.parametrize("lead", [GUESS, NOT_SURE])
def test_the_reply_forms_that_get_a_row_are_the_readers(lead):
    """A hedged reply is still a reader's reply: its row says which form it took."""
    reader = ReaderModels(READER.span, READER.confidence, IDENTITY, state_at=0.999, sentences=3,
                          guess_at=0.0 if lead == GUESS else 0.999)
    tr = answerer([REPAIRS], reader=reader, confidence=ConfidenceModel(lin(0.0), IDENTITY)).explain(
        "How many ferries were repaired in March?")
    assert tr.answer.text.startswith(lead)
    row = tr.confidence_row
    assert row is not None and row["guessed" if lead == GUESS else "sentence"] == 1.0
    assert tr.answer.confidence == 0.5


def test_the_span_is_stated_or_offered_by_the_confidence_shown():
    reader = ReaderModels(READER.span, READER.confidence, IDENTITY, state_at=0.5, sentences=3, guess_at=0.3)
    span_reply, sentence_reply = {"sentence": 0.0}, {"sentence": 1.0}
    assert hedged("Henk [1] — “…”", "Henk", span_reply, 0.4, reader) == f"{GUESS} Henk [1] — “…”"
    assert hedged(f"{GUESS} Henk [1] — “…”", "Henk", span_reply, 0.7, reader) == "Henk [1] — “…”"
    assert hedged(f"{GUESS} Henk [1] — “…”", "Henk", span_reply, 0.4, reader) == f"{GUESS} Henk [1] — “…”"
    assert hedged("Henk [1] — “…”", "Henk", span_reply, 0.5, reader) == "Henk [1] — “…”"
    assert hedged(f"{NOT_SURE} “…” [1]", "“…”", sentence_reply, 0.9, reader) == f"{NOT_SURE} “…” [1]"
    assert hedged("Henk [1]", "Henk", span_reply, 0.1, None) == "Henk [1]"
    # sources that differ on the value are shown side by side, never hedged as one answer
    differ = "Sources differ: 1,240 (City Desk) [1]; 1,100 (Union Weekly) [2]."
    assert hedged(differ, "1,240", span_reply, 0.1, reader) == differ


def test_a_guess_the_model_is_sure_of_is_stated():
    reader = ReaderModels(READER.span, READER.confidence, IDENTITY, state_at=0.999, sentences=3, guess_at=0.0)
    question = "How many ferries were repaired in March?"
    assert answerer([REPAIRS], reader=reader).ask(question).text.startswith(GUESS)
    sure = answerer([REPAIRS], reader=reader, confidence=ConfidenceModel(lin(-1.0), Isotonic((0.0, 1.0), (0.9995, 0.9995))))
    ans = sure.ask(question)
    assert ans.text.startswith("1,240 [1] — “Officials said") and ans.confidence == 0.9995
