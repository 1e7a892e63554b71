"""Questions about "this week" are read against the date they are asked on."""

from __future__ import annotations

from fakes import fake_answerer, make_doc

DOCS = [make_doc("old", "The harbour authority closed the northern pier for repairs.", date="2024-03-01"),
        make_doc("new", "The harbour authority reopened the northern pier.", date="2024-06-12")]


def test_the_asked_period_is_on_the_analysis():
    tr = fake_answerer(DOCS).explain("What did the harbour authority do this week?", asked_on="2024-06-13")
    assert tr.analysis.asked_on == "2024-06-13"
    assert (tr.analysis.period.start, tr.analysis.period.end) == ("2024-06-10", "2024-06-13")
    assert tr.answer.notice == ""  # the corpus has an article from that week


def test_a_period_the_corpus_has_nothing_from_is_said_with_its_newest_date():
    ans = fake_answerer(DOCS).ask("What did the harbour authority do this week?", asked_on="2025-02-20")
    assert "Nothing in the corpus is dated this week (2025-02-17 to 2025-02-20)" in ans.notice
    assert "newest article is dated 2024-06-12" in ans.notice


# -- the named period is searched too (scope.within_period) ---------------------------------------
def _piers() -> list:
    """25 older articles that match the question better than the one from the asked week."""
    old = [make_doc(f"old{i:02d}", f"The harbour authority closed pier {i} of the northern harbour for repairs.",
                    date=f"2023-{i % 12 + 1:02d}-{i % 27 + 1:02d}") for i in range(25)]
    return [*old, make_doc("new", "The authority shut the eastern pier on Tuesday.", date="2024-06-11")]


def test_a_question_about_this_week_also_searches_that_week():
    ans = fake_answerer(_piers())
    tr = ans.explain("Which pier did the harbour authority close this week?", asked_on="2024-06-13")
    assert "new" in [p.doc_id for p in tr.fetched]
    assert any(f and (f.get("date_from"), f.get("date_to")) == ("2024-06-10", "2024-06-13")
               for _, _, f in ans.retriever.calls)


def test_without_a_named_period_the_corpus_alone_is_searched():
    ans = fake_answerer(_piers())
    tr = ans.explain("Which pier did the harbour authority close?", asked_on="2024-06-13")
    assert "new" not in [p.doc_id for p in tr.fetched]  # out-ranked by the 25 older articles
    assert not any(f and f.get("date_from") for _, _, f in ans.retriever.calls)


def test_a_period_the_corpus_has_nothing_from_costs_no_second_search():
    ans = fake_answerer(_piers())
    ans.explain("Which pier did the harbour authority close this week?", asked_on="2025-02-20")
    assert not any(f and f.get("date_from") for _, _, f in ans.retriever.calls)


def test_a_date_filter_of_the_users_own_is_left_as_it_is():
    ans = fake_answerer(_piers())
    mine = {"date_from": "2023-01-01", "date_to": "2023-12-31"}
    tr = ans.explain("Which pier did the harbour authority close this week?", filters=mine, asked_on="2024-06-13")
    assert "new" not in [p.doc_id for p in tr.fetched]  # the filter's year, not the question's week
    assert all(p.doc_id.startswith("old") for p in tr.fetched)


def test_within_period_adds_only_what_was_not_found_ranked_and_scored_after_the_rest():
    from assistant.answer.scope import PERIOD_K, within_period
    from assistant.models import Passage
    from assistant.text.periods import Period

    def passage(doc_id: str, score: float, rank: int) -> Passage:
        return Passage(doc_id=doc_id, chunk_id=f"{doc_id}:0", text="x", start=0, end=1, score=score,
                       scores={"fused": score, "bm25": 2.0}, rank=rank)

    asked: list = []

    def retrieve(query: str, k: int, filters: dict) -> list[Passage]:
        asked.append((k, filters))
        # Inside the period BM25 is scaled by the period's own best match: scores look high.
        return [passage("a", 1.0, 1), passage("c", 0.9, 2), passage("d", 0.2, 3)]

    out = within_period(retrieve, "q", Period("this week", "2024-06-10", "2024-06-13"), {"publisher": "P"},
                        [passage("a", 0.8, 1), passage("b", 0.5, 2)])
    assert [p.doc_id for p in out] == ["a", "b", "c", "d"]
    assert asked == [(PERIOD_K, {"publisher": "P", "date_from": "2024-06-10", "date_to": "2024-06-13"})]
    assert [p.rank for p in out] == [1, 2, 3, 4]
    assert [p.score for p in out] == [0.8, 0.5, 0.5, 0.2]  # never above the last passage found corpus-wide
    assert [p.scores["fused"] for p in out[2:]] == [0.5, 0.2] and out[2].scores["bm25"] == 2.0
