"""Scoring an answer against gold answers."""

from __future__ import annotations

from assistant.evaluation.eval import contains_answer


def test_a_gold_name_matches_another_romanisation_but_not_a_short_collision():
    assert contains_answer("Alaksandar Lukashenko", "Łukašenka")
    assert contains_answer("Лукашенко said so", "Lukashenko")
    assert not contains_answer("Bob Smith", "Bay")  # keys under four letters must match as written
    assert not contains_answer("President Biden", "Joe Biden")  # every word of the gold name


# -- scoring by form ------------------------------------------------------------------------
from assistant.evaluation.eval import Case, form_correct, in_order, polarity, score_case  # noqa: E402
from assistant.models import Answer  # noqa: E402


def test_summary_needs_two_key_points():
    golds = ["closed the bridge", "repairs will take two years", "traffic moves to the ferry", "cost 3 million"]
    assert form_correct("summary", golds, "The council closed the bridge. Repairs will take two years.")
    assert not form_correct("summary", golds, "The council closed the bridge on Monday.")
    assert form_correct("summary", ["closed the bridge"], "It closed the bridge.")  # fewer golds: all of them


def test_list_and_comparison_need_every_item():
    assert form_correct("list", ["Ana Ruiz", "Piet Vos"], "Ana Ruiz [1]; Piet Vos [2]")
    assert not form_correct("list", ["Ana Ruiz", "Piet Vos"], "Ana Ruiz [1]")
    assert form_correct("comparison", ["Ruritania"], "Ruritania (500 permits)")
    assert not form_correct("comparison", ["Ruritania"], "Borduria (300 permits)")
    # naming both sides is no verdict: the winner must lead the reply
    assert not form_correct("comparison", ["Ruritania"], "In 2024, Borduria issued 300 permits and Ruritania 500.")
    assert form_correct("comparison", ["500"], "The permits issued by Ruritania, 500, outnumber Borduria's.") is False
    assert form_correct("comparison", ["500"], "The permits issued by Ruritania (500) outnumber Borduria's 300.") \
        is False
    assert form_correct("comparison", ["Ruritania"], "Ruritania, with 500 permits, more than Borduria (300)")


def test_yes_no_needs_the_polarity_first_and_a_supporting_phrase():
    golds = ["No", "did not reopen the bridge"]
    assert polarity("No. The council did not reopen the bridge.") == "No"
    assert polarity("Nobody knows") == ""
    assert form_correct("yes-no", golds, "No. The council did not reopen the bridge [1].")
    assert not form_correct("yes-no", golds, "Yes. The council did not reopen the bridge [1].")
    assert not form_correct("yes-no", golds, "No. The weather was fine.")
    assert not form_correct("yes-no", golds, "The articles don't say directly; they say: did not reopen the bridge")


def test_timeline_needs_every_item_in_order():
    assert in_order("1994: elected. 2020: re-elected. February 2022: war.", ["1994", "2020", "February 2022"])
    assert not in_order("2020: re-elected. 1994: elected.", ["1994", "2020"])
    assert not form_correct("timeline", ["1994", "2020"], "1994: elected.")


def test_factoid_and_follow_up_keep_their_type_scoring():
    assert form_correct("factoid", ["1994"], "1994") is None
    case = Case(id="f", question="And Latvia?", type="figure", answers=["5,200"], sources=["a"], form="follow-up")
    assert score_case(case, Answer(text="", answer="5,200 attempts", kind="figure", abstained=False))["correct"]
    why = Case(id="w", question="Why?", type="other", answers=["angered by sanctions"], sources=["a"], form="why-how")
    assert score_case(why, Answer(text="He was angered by sanctions [1].", answer="", kind="why",
                                 abstained=False))["correct"]
    assert not score_case(why, Answer(text="", answer="", kind="why", abstained=True))["correct"]


def test_a_reply_of_several_parts_is_supported_when_all_it_quotes_and_lists_is_cited():
    from assistant.evaluation.eval import quotes_supported
    from assistant.models import Citation

    c1 = Citation(n=1, doc_id="a", title="Bridge “closed”", publisher="", date="", quote="The bridge closed in May.",
                  start=0, end=25)
    c2 = Citation(n=2, doc_id="b", title="", publisher="", date="", quote="Ferries carried 1,240 people.",
                  start=0, end=29)
    ok = Answer(text='Key points of "Bridge “closed”":\n1. “The bridge closed in May.” [1]\n- 1,240 people [2]',
                answer="", kind="summary", abstained=False, citations=[c1, c2])
    assert quotes_supported(ok)
    made_up = Answer(text="1. “The bridge reopened in June.” [1]", answer="", kind="summary", abstained=False,
                     citations=[c1])
    assert not quotes_supported(made_up)
    wrong_source = Answer(text="- 1,240 people [1]", answer="", kind="list", abstained=False, citations=[c1, c2])
    assert not quotes_supported(wrong_source)
    assert not quotes_supported(Answer(text="Yes.", answer="", kind="yesno", abstained=False, citations=[c1]))


def test_an_exact_short_answer_is_the_gold_itself_and_a_longer_one_only_holds_it():
    from assistant.evaluation.eval import exact_answer, summarise

    assert exact_answer("the Pantheon", "The Pantheon") and exact_answer("Pantheon", "The Pantheon")
    assert exact_answer("umbrella", "An umbrella") and exact_answer("40,549", "40 549")
    assert not exact_answer("Outgoing Oregon Gov. Kate Brown", "Oregon")
    case = Case(id="s", question="Which state?", type="entity", answers=["Oregon"], sources=["a"])
    long = score_case(case, Answer(text="", answer="Oregon Gov. Kate Brown", kind="entity", abstained=False))
    bare = score_case(case, Answer(text="", answer="Oregon", kind="entity", abstained=False))
    assert long["short_correct"] and not long["exact_correct"] and bare["exact_correct"]
    who = Case(id="p", question="Who said it?", type="speaker", answers=["President Joe Biden"], sources=["a"])
    assert score_case(who, Answer(text="", answer="Biden", kind="speaker", abstained=False))["exact_correct"]
    rows = [{**r, "id": i, "type": "entity", "abstained": False, "latency_ms": 1.0, "form": ""}
            for i, r in enumerate((long, bare))]
    assert summarise(rows)["exact_accuracy"] == 0.5 and summarise(rows)["short_accuracy"] == 1.0
