"""Quoted phrases in a query (assistant.retrieval.phrases): which fragments count, and
how much of one a text holds in order."""

from __future__ import annotations

import pytest

from assistant.retrieval.phrases import MIN_PHRASE_WORDS, cover, longest_run, quoted_phrases, words


def test_quoted_fragments_in_any_quotation_marks_long_enough_to_search() -> None:
    q = 'Who said “We will not back down” and "freak out" or «la ville ne paiera pas»?'
    assert quoted_phrases(q) == [["we", "will", "not", "back", "down"], ["la", "ville", "ne", "paiera", "pas"]]
    assert all(len(w) >= MIN_PHRASE_WORDS for w in quoted_phrases(q))
    assert quoted_phrases("What did the mayor say about the bridge?") == []


def test_apostrophes_and_case_do_not_split_a_word() -> None:
    assert words("He’s NOT going") == words("he's not going") == ["he's", "not", "going"]


@pytest.mark.parametrize(("phrase", "text", "run"), [
    ("a b c d", "x a b c d y", 4),
    ("a b c d", "d c b a", 1),
    ("a b a b c", "a b a b a b c", 5),
    ("a b c", "", 0),
])
def test_longest_run_counts_consecutive_words_in_order(phrase, text, run) -> None:
    assert longest_run(phrase.split(), text.split()) == run


def test_a_quote_with_its_attribution_dropped_is_mostly_held() -> None:
    # The asker joins two parts of a sentence and drops the tag between them.
    phrase = words("Of Carson He's flat-out scary. I think he's a wonderful man")
    text = "Of Carson, Ana Levine, who backs another candidate, said, “He’s flat-out scary. I think he’s a wonderful man.”"
    assert 0.5 <= cover(phrase, text) < 1.0
    assert cover(phrase, "Carson is a man, and I think a wonderful one.") < 0.5


def test_the_shortcut_only_drops_texts_that_cannot_reach_the_threshold() -> None:
    phrase = ["a", "a", "a", "a", "b", "c"]
    assert cover(phrase, "a a a x") == 0.5  # repeated words count as often as they stand
    assert cover(phrase, "b x c") == 0.0 and cover(phrase, "b x c", at_least=0.0) == pytest.approx(1 / 6)
