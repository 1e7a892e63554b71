"""Learned selection with hand-set models on made-up articles: the document re-ranker,
the sentence ranker and calibrated abstention, without any fitting (the reader, which
states the short answer, is tested in ``test_reader``)."""

from __future__ import annotations

import pytest
from fakes import RULES_ONLY, FakeRetriever, MemoryCorpus, fake_answerer, figure, make_doc

from assistant.answer.answerer import Answerer
from assistant.answer.learned import Isotonic, Linear, SelectionModels, sigmoid
from assistant.answer.selection.features import (
    date_bucket,
    days_before,
    doc_features,
    group_passages,
    missing_idf,
    parse_date,
)


def lin(**w: float) -> Linear:
    return Linear(tuple(w), tuple(w.values()), 0.0)


def models(**kw) -> SelectionModels:
    base = dict(
        doc_stage1=lin(r_inv=1.0), doc_stage2=lin(z0=1.0, d_week=4.0, d_future=-4.0),
        sentence=lin(s_first=2.0, s_cov=3.0, doc_p=2.0), reply_sentence=lin(sent_p=4.0, s_cov=2.0),
        calibration=Isotonic((0.0, 1.0), (0.0, 1.0)),
        abstain_below=0.5, abstain_below_nodate=0.5, abstain_below_long=0.5, k=20, top_docs=3,
        kinds=("date", "figure", "entity", "speaker", "other"))
    base.update(kw)
    return SelectionModels(**base)


OLD = make_doc("old", "Voters in Harlow approved a new library tax in a referendum. Turnout was low.",
               date="2023-05-02")
NEW = make_doc("new", "Voters in Harlow rejected a new pool tax in a referendum. Turnout was high.",
               date="2024-06-12")


def test_linear_and_isotonic_are_plain_arithmetic():
    m = Linear(("a", "b"), (2.0, -1.0), 0.5)
    assert m({"a": 1.0, "b": 3.0}) == pytest.approx(-0.5)
    assert m({}) == 0.5  # a missing feature is 0
    iso = Isotonic((0.2, 0.6), (0.1, 0.9))
    assert iso(0.0) == 0.1 and iso(1.0) == 0.9 and iso(0.4) == pytest.approx(0.5)
    assert sigmoid(0.0) == 0.5


def test_models_round_trip_through_json():
    m = models()
    assert SelectionModels.from_dict(m.to_dict()) == m


def test_dates_bucket_against_the_asked_day():
    assert parse_date("2024-06") .isoformat() == "2024-06-15" and parse_date("--06-01") is None
    assert days_before("2024-06-12", "2024-06-13") == 1
    assert [date_bucket(d) for d in (None, -5, 3, 20, 200, 900)] == ["none", "future", "week", "month", "year", "old"]


def test_the_asked_date_counts_only_near_some_document():
    corpus = MemoryCorpus([OLD, NEW])
    passages = FakeRetriever(corpus).retrieve("referendum tax Harlow", k=5)
    cands = group_passages(passages)
    docs = {d.doc_id: d for d in (OLD, NEW)}
    from assistant.answer.question import analyse

    qa = analyse("What did voters in Harlow decide in the referendum this week?")
    near = doc_features(corpus, qa, cands, docs, "2024-06-13")
    assert {c.doc_id: r["d_week"] for c, r in zip(cands, near, strict=True)} == {"new": 1.0, "old": 0.0}
    far = doc_features(corpus, qa, cands, docs, "2030-01-01")  # nothing near: as if undated
    assert all(r["d_noinfo"] == 1.0 and r["d_week"] == 0.0 for r in far)


def test_missing_idf_names_the_rarest_word_the_text_lacks():
    corpus = MemoryCorpus([OLD, NEW])
    assert missing_idf(corpus, ["harlow"], {"harlow"}) == 0.0
    assert missing_idf(corpus, ["zeppelin"], set()) == 1.0  # never used by the corpus


def test_the_date_picks_the_document_and_the_reply_is_its_sentence():
    a = fake_answerer([OLD, NEW], models=models(), fetch=20, reader=None)
    ans = a.ask("What did voters in Harlow decide in the referendum?", asked_on="2024-06-13")
    assert not ans.abstained and ans.citations[0].doc_id == "new"
    assert ans.answer.startswith("Voters in Harlow rejected")  # the sentence is the reply (no reader)
    assert not ans.text.startswith("Not sure")
    assert 0.5 <= ans.confidence <= 1.0
    assert ans.retrieved[0] == "new"  # the re-ranked order
    ans = a.ask("What did voters in Harlow decide in the referendum?", asked_on="2023-05-03")
    assert ans.citations[0].doc_id == "old"


def test_low_confidence_abstains_with_the_reason():
    a = fake_answerer([OLD, NEW], models=models(abstain_below=0.999, abstain_below_nodate=0.999, abstain_below_long=0.999))
    ans = a.ask("What did voters in Harlow decide in the referendum?", asked_on="2024-06-13")
    assert ans.abstained and "too weak (confidence" in ans.text


def test_kinds_without_training_keep_the_rule_answer():
    a = fake_answerer([OLD, NEW], models=models(kinds=()))
    tr = a.explain("What did voters in Harlow decide in the referendum?", asked_on="2024-06-13")
    assert tr.selection is None and tr.answer is tr.rule_answer


def test_no_models_means_rules_alone():
    corpus = MemoryCorpus([OLD, NEW])
    a = Answerer(FakeRetriever(corpus), corpus, models=None)
    tr = a.explain("What did voters in Harlow decide in the referendum?")
    assert tr.selection is None and tr.answer is tr.rule_answer


def test_the_committed_models_read_only_features_that_exist():
    from assistant.answer.learned import load
    from assistant.answer.selection.features import (
        DATE_FEATURES,
        DOC_FEATURES,
        REPLY_FEATURES,
        SENT_MODEL_FEATURES,
    )

    m = load()
    assert m is not None, "run `make train` to fit assistant/answer/models/selection.json"
    assert set(m.doc_stage1.features) <= set(DOC_FEATURES)
    assert set(m.doc_stage2.features) <= {"z0", *DATE_FEATURES}
    assert set(m.sentence.features) <= set(SENT_MODEL_FEATURES)
    assert set(m.reply_sentence.features) <= set(REPLY_FEATURES)
    assert 0.0 <= m.abstain_below_nodate <= 1.0 and 0.0 <= m.abstain_below <= 1.0
    xs = m.calibration.xs
    assert list(xs) == sorted(xs) and list(m.calibration.ys) == sorted(m.calibration.ys)  # a monotone map
    assert m.meta["validation"]["realtimeqa/on"]["n"] > 0  # the report travels with the models


REPAIRS = make_doc("repairs", "Officials said 1,240 ferries were repaired in March. Work went on at night.",
                   publisher="City Desk", mentions=[figure("1,240", "1240", "ferry", frame=["ferries", "repaired"])])


def test_the_fast_answer_tests_run_the_shipped_configuration(monkeypatch):
    """``fake_answerer`` answers as ``Assistant.open`` does by default: learned selection on,
    with the committed models (a fast test on the rules alone says ``RULES_ONLY``)."""
    from assistant.answer.learned import load
    from assistant.config import ENV_LEARNED, Settings

    monkeypatch.delenv(ENV_LEARNED, raising=False)
    assert Settings().learned_selection  # what ships
    a = fake_answerer([REPAIRS])
    assert a.models is not None and a.models is load()
    tr = a.explain("How many ferries were repaired in March?")
    assert tr.selection is not None  # learned selection ran, not the rules alone
    assert fake_answerer([REPAIRS], models=RULES_ONLY).models is None
