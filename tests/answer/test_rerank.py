"""The second look at the reader's best spans (``reader.rerank``): its features on made-up
articles, the re-ordering a hand-set model makes, that it leaves the confidence and
who-said questions alone, and the committed model."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import MemoryCorpus, Q, entity, make_doc

from assistant.answer.learned import Isotonic, Linear, ReaderModels, load_rerank
from assistant.answer.question import analyse
from assistant.answer.reader.features import head_phrase, question_frame
from assistant.answer.reader.reader import Reading, collect, read
from assistant.answer.reader.rerank import RERANK_FEATURES, RERANK_K, features, head_sims, reorder, votes_of
from assistant.answer.reader.spans import Span
from assistant.answer.selection import Ranked
from assistant.models import Answer

NO_RULE = Answer(text="", answer="", kind="other", abstained=True)


def lin(bias: float = 0.0, **w: float) -> Linear:
    return Linear(tuple(w), tuple(w.values()), bias)


def span(text: str, sent: int = 0, *sources: str, doc_id: str = "a") -> Span:
    return Span(doc_id, 0, len(text), text, sent, set(sources) or {"PHRASE"})


STORM = make_doc("a", "Storm Henk hit Britain on Tuesday, the Met Office said.",
                 mentions=[entity("EVENT", "Storm Henk"), entity("GPE", "Britain"), entity("ORG", "Met Office")],
                 phrases=["Storm Henk", "Britain", "the Met Office"])
OTHER = make_doc("b", "Rail lines closed as Storm Henk brought floods.", mentions=[entity("EVENT", "Storm Henk")])
THIRD = make_doc("c", "Floods in Wales closed roads.", mentions=[entity("GPE", "Wales")])


def test_a_value_several_retrieved_documents_write_gets_their_vote():
    qf = question_frame(analyse("Which storm hit Britain this week?"))
    scored = [(2.0, span("Met Office", 0, "ORG")), (1.0, span("Storm Henk", 0, "EVENT"))]
    votes = votes_of([("a", STORM.text, 0.9), ("b", OTHER.text, 0.6), ("c", THIRD.text, 0.2)])
    rows = features(qf, scored, [{}, {}], [Ranked(STORM, 0, *STORM.sentences[0], 0.9, 0.9)], votes)
    office, henk = rows
    assert henk["docs_p"] == 0.9 + 0.6 and henk["docs_other"] == 1.0
    assert office["docs_p"] == 0.9 and office["docs_other"] == 0.0
    assert office["top"] == 1.0 and henk["gap"] < 0.0 and henk["r_inv"] == 0.5


def test_variants_of_one_answer_know_of_each_other():
    qf = question_frame(analyse("Who won the Iowa caucuses?"))
    scored = [(3.0, span("Trump", 0, "PERSON")), (2.0, span("Former President Donald Trump", 0, "PERSON")),
              (1.0, span("President", 0))]
    rows = features(qf, scored, [{}, {}, {}], [], [])
    assert rows[1]["around_better"] == 1.0 and rows[1]["inside_better"] == 0.0
    assert rows[2]["inside_better"] == 1.0  # "President" is part of a better span
    assert rows[0]["fit"] == 1.0 and rows[2]["fit"] == 0.0  # a person was asked for


def test_a_span_of_the_wrong_kind_is_marked():
    qf = question_frame(analyse("How many ferries were repaired?"))
    rows = features(qf, [(1.0, span("March", 0, "DATE")), (0.5, span("1,240", 0, "FIGURE"))], [{}, {}], [], [])
    assert rows[0]["misfit"] == 1.0 and rows[1]["fit"] == 1.0


def test_the_spans_meaning_is_weighed_against_the_asked_noun_phrase():
    """With an embedder, each span gets its cosine to the question's wh-phrase and its
    distance below the closest; without one (or without a phrase) the features are off."""
    qf = question_frame(analyse("Which storm was named after it hit Britain?"))
    assert qf.phrase == "storm"
    scored = [(2.0, span("Met Office", 0, "ORG")), (1.0, span("Storm Henk", 0, "EVENT"))]

    def embed(texts):  # "storm" and "Storm Henk" share a direction; "Met Office" does not
        return np.array([[1.0, 0.0] if "storm" in t.lower() else [0.6, 0.8] for t in texts])

    sims = head_sims(qf.phrase, [sp for _, sp in scored], embed)
    assert sims == [0.6, 1.0]
    # an embedder whose vectors are not unit length gives the same cosines
    assert head_sims(qf.phrase, [sp for _, sp in scored], lambda t: 3.0 * embed(t)) == sims
    rows = features(qf, scored, [{}, {}], [], [], sims)
    assert rows[1]["h_sim"] == 1.0 and rows[1]["h_gap"] == 0.0 and rows[0]["h_gap"] == pytest.approx(-0.4)
    assert rows[0]["h_has"] == rows[1]["h_has"] == 1.0
    assert head_sims("", [sp for _, sp in scored], embed) is None
    assert head_sims(qf.phrase, [sp for _, sp in scored], None) is None
    off = features(qf, scored, [{}, {}], [], [], None)
    assert all(r["h_has"] == r["h_sim"] == r["h_gap"] == 0.0 for r in off)


def test_the_noun_phrase_a_question_asks_about_is_read_as_written():
    assert head_phrase("Flash flooding in which US national park prompted rescues?") == "US national park"
    assert head_phrase("In which branch of the military does she serve?") == "branch of the military"
    assert head_phrase("Which award show recently announced its nominees?") == "award show"
    assert head_phrase("What is the capital of Peru?") == ""  # "what is": no noun phrase
    assert head_phrase("Who won the vote?") == ""


def test_the_second_look_reads_the_retrievers_embedder():
    """The answerer hands the re-ranker its retriever's query embedder, in one batch where
    the embedder has ``embed_queries``, one text at a time where it has only ``embed_query``."""
    from assistant.answer.answerer import Answerer

    class One:
        def embed_query(self, text):
            return np.array([1.0, float(len(text))])

    class Retriever:
        embedder = One()

    got = Answerer(Retriever(), MemoryCorpus([STORM]), models=None).embed
    assert got is not None and got(["a", "abc"]).tolist() == [[1.0, 1.0], [1.0, 3.0]]
    assert Answerer(object(), MemoryCorpus([STORM]), models=None).embed is None


def test_only_the_first_spans_are_reordered_and_the_rest_stay_below():
    scored = [(5.0 - i, span(f"s{i}")) for i in range(RERANK_K + 2)]
    rows = [{"i": float(i)} for i in range(len(scored))]
    feats = [{"docs_p": 1.0 if i == 3 else 0.0} for i in range(RERANK_K)]
    new, new_rows = reorder(lin(docs_p=4.0), scored, rows, feats)
    assert [sp.text for _, sp in new][:2] == ["s3", "s0"]
    assert new_rows[0] == {"i": 3.0}  # the rows follow their spans
    assert [sp.text for _, sp in new[RERANK_K:]] == [f"s{i}" for i in range(RERANK_K, RERANK_K + 2)]
    head_floor = min(z for z, _ in new[:RERANK_K])
    assert all(z <= head_floor for z, _ in new[RERANK_K:])


#: A span model that prefers the span the rules name, and a confidence from its margin.
READER = ReaderModels(span=lin(label_first=1.0, sent_p=1.0, g_org=2.0), confidence=lin(-1.0, soft=4.0),
                      calibration=Isotonic((0.0, 1.0), (0.0, 1.0)), state_at=0.5, sentences=3)


def _read(question: str, rerank: Linear | None) -> Reading:
    corpus = MemoryCorpus([STORM, OTHER, THIRD])
    ranked = [Ranked(STORM, 0, *STORM.sentences[0], 0.9, 0.9)]
    return read(READER, corpus, analyse(question), ranked, NO_RULE, 0.8, None, frozenset(), rerank,
                [("a", 0.9), ("b", 0.6), ("c", 0.2)])


def test_the_second_look_changes_the_span_not_the_confidence():
    first = _read("Which storm hit Britain this week?", None)
    assert first.span is not None and first.span.text == "Met Office"
    second = _read("Which storm hit Britain this week?", lin(docs_other=10.0, inside_better=-5.0))
    assert second.span is not None and second.span.text != "Met Office"
    assert second.span.key == "storm henk"  # the value another retrieved article writes too
    assert second.confidence == first.confidence  # the thresholds were fitted on the first look's
    assert [sp.text for _, sp in second.first_look] == [sp.text for _, sp in first.scored]


def test_a_who_said_question_keeps_the_span_models_order():
    doc = make_doc("q", "“Wages will rise by spring,” Ana Ruiz said at the plant in Leeds.",
                   mentions=[entity("PERSON", "Ana Ruiz"), entity("GPE", "Leeds")],
                   quotes=[Q("Ana Ruiz", "Wages will rise by spring")])
    ranked = [Ranked(doc, 0, *doc.sentences[0], 0.9, 0.9)]
    qa = analyse("Who said \"Wages will rise by spring\"?")
    spans = collect(ranked, NO_RULE, 3)
    assert any(sp.text == "Ana Ruiz" for sp in spans)
    plain = read(READER, MemoryCorpus([doc]), qa, ranked, NO_RULE, 0.8)
    again = read(READER, MemoryCorpus([doc]), qa, ranked, NO_RULE, 0.8, None, frozenset(),
                 lin(misfit=9.0, n_words=-9.0), [("q", 0.9)])
    assert again.first_look == [] and again.span == plain.span


def test_the_committed_reranker_reads_only_features_that_exist():
    m = load_rerank()
    assert m is not None, "run `assistant train --stage rerank` to fit assistant/answer/models/rerank.json"
    assert set(m.features) <= set(RERANK_FEATURES)
    assert m.standardised["z"] > 0  # the span model's own score still counts for most


def test_fitting_learns_the_vote_out_of_fold():
    from assistant.evaluation.training.rerank import Group, fit

    groups = []
    for q in range(60):
        right = q % RERANK_K
        rows = [{"z": 0.5 - 0.1 * i, "gap": -0.1 * i, "docs_p": 1.0 if i == right else 0.1 * (q % 3)}
                for i in range(RERANK_K)]
        groups.append(Group("realtimeqa", f"q{q}", rows, [int(i == right) for i in range(RERANK_K)], "other"))
    model, figures = fit(groups, log=lambda _m: None)
    fig = figures["realtimeqa/final"]
    first = 60 // RERANK_K + (60 % RERANK_K > 0)  # the questions whose right span is first
    assert fig["first_right_before"] == first and fig["first_right_after_oof"] == 60
    assert model.standardised["docs_p"] > 0 and fig["moved"] == fig["moved_new_right"] == 60 - first
