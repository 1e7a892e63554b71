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
