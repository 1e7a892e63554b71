"""The forms stage's list choices (``assistant.evaluation.training.lists``)."""

from __future__ import annotations

import numpy as np

from assistant.answer.kinds import listing
from assistant.evaluation.eval import Case
from assistant.evaluation.training.lists import enumerated, is_list, route_threshold
from assistant.evaluation.training.rows import Asked


def _asked(form: str, answers: list[str], type_: str = "other", set_: str = "natural-train") -> Asked:
    return Asked(set_, Case("t1", "which states did he lose", type_, answers, [], form=form), None, None)


def test_a_list_is_a_question_whose_gold_has_several_items():
    assert is_list(_asked("comparison", ["Maryland", "Delaware"]))
    assert not is_list(_asked("comparison", ["Clinton"]))  # a comparison's winner
    assert is_list(_asked("list", ["Poland"], set_="seeds"))
    assert not is_list(_asked("comparison", [], type_="unanswerable"))
    assert not is_list(_asked("why-how", ["because", "after"]))


def test_the_route_threshold_misroutes_fewest_and_sits_between_probabilities():
    p = np.asarray([0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
    y = np.asarray([0, 0, 1, 1, 0, 1])
    t = route_threshold(p, y)
    assert 0.2 < t < 0.3  # one other routed (0.7), none left: the fewest misrouted
    assert route_threshold(np.asarray([0.2, 0.8]), np.asarray([0, 1])) == 0.5


def test_only_questions_the_enumeration_answers_are_ranked():
    assert enumerated("who all went after the mayor")
    assert enumerated("which countries curtailed cooperation") == listing.ENUMERATE_RULE_LISTS
    assert not enumerated("List everyone who commented on the closure")  # the quote index answers it
    assert not enumerated("why did the council close the bridge")
