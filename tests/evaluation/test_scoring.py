"""Scoring an answer against gold answers."""

from __future__ import annotations

from assistant.evaluation.eval import contains_answer


def test_a_gold_name_matches_another_romanisation_but_not_a_short_collision():
    assert contains_answer("Alaksandar Lukashenko", "Łukašenka")
    assert contains_answer("Лукашенко said so", "Lukashenko")
    assert not contains_answer("Bob Smith", "Bay")  # keys under four letters must match as written
    assert not contains_answer("President Biden", "Joe Biden")  # every word of the gold name
