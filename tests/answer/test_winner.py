"""Which side of "X or Y?" a sentence supports (``kinds.winner``): pure functions, made-up
sentences."""

from __future__ import annotations

import pytest

from assistant.answer.kinds.winner import mention, pick, side_words


def side(question, left, right, text):
    p = pick(question, left, right, text)
    return None if p is None else (p.side, p.by)


def test_side_words_leave_out_what_both_sides_share():
    assert side_words("chinese steel", "chinese truck tires") == ["steel"]
    assert side_words("the north pier", "the south pier") == ["north"]


def test_a_mention_is_a_whole_word_in_any_case():
    text = "The Ruritania team beat Borduria."
    assert mention("ruritania", "borduria", text) == (4, 13)
    assert mention("rita", "borduria", text) is None


@pytest.mark.parametrize("question,text,want", [
    # Time order: the years near each side decide, whichever is named first.
    ("which opened first, the north pier or the south pier?",
     "The south pier, which opened in 2002, and the north pier, opened in 1999, both need repairs.", ("north", "years")),
    ("which opened last, the north pier or the south pier?",
     "The south pier, which opened in 2002, and the north pier, opened in 1999, both need repairs.", ("south", "years")),
    # A side after "ahead of" / "than" is the lesser one.
    ("who finished ahead, vos or quell?", "Her second place, just two points ahead of Piet Vos, surprised Mara Quell.",
     ("Quell", "cue")),
    ("do voters trust her more as a mayor or as an engineer?",
     "Voters trust her more as a mayor than for the role of engineer, a survey found.", ("mayor", "cue")),
    # ... and a "less" question wants it.
    ("who got fewer votes, vos or quell?", "Quell won more votes than Vos.", ("Vos", "cue")),
    # A side after "behind" or "preceded by" is the greater (or earlier) one.
    ("who is leading, vos or quell?", "Vos is now well behind Quell in the polls.", ("Quell", "cue")),
    # No cue: a sentence that compares puts its winner first.
    ("who do riders rate more highly, the ferry or the tram?",
     "62 percent of riders rate the ferry well, compared with 40 percent for the tram.", ("ferry", "order")),
])
def test_the_sentence_decides_the_side(question, text, want):
    assert side(question, *_sides(question), text) == want


def _sides(question):
    from assistant.answer.kinds.comparison import parse_sides

    s = parse_sides(question)
    return s.left, s.right


def test_no_side_unless_the_sentence_names_both_and_compares_them():
    # One side only: the sentence does not say which wins.
    assert pick("who finished ahead, vos or quell?", "vos", "quell", "Vos finished the race.") is None
    # Both named, nothing compared ("a group backing Vos has been attacking Quell").
    assert pick("who is doing better, vos or quell?", "vos", "quell",
                "A group backing Vos has been attacking Quell.") is None
