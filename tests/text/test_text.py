"""Folding, name keys, sentence splitting, BM25 tokens, aliases and fusion (pure functions)."""

import pytest

from assistant.index.aliases import AliasTable
from assistant.index.keyword import KeywordChunk, SegmentedIndex
from assistant.retrieval.fusion import convex, normalise_dense, normalise_max, rrf
from assistant.text.folding import fold, fold_answer, name_key
from assistant.text.sentences import split_sentences
from assistant.text.tokens import tokenize


@pytest.mark.parametrize("a,b", [
    ("Łukašenka", "Lukashenko"), ("Lukashenka", "Lukashenko"), ("Valfovič", "Valfovich"),
    ("Ryžankoŭ", "Ryzhenkov"), ("Ryžankoŭ", "Ryzhankou"), ("Alaksandar", "Alexander"),
    ("Zelensky", "Zelenskyy"), ("Nazaranka", "Nazarenko"),
])
def test_transliteration_variants_share_a_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize("a,b", [("Poland", "Polish"), ("Ivan", "Ivanov"), ("Merkel", "Macron"), ("Biden", "Bedin")])
def test_different_names_differ(a: str, b: str) -> None:
    assert name_key(a) != name_key(b) or a[:2] != b[:2]


def test_fold_and_fold_answer() -> None:
    assert fold("Łukašenka’s “noose”") == "lukasenka's \"noose\""
    assert fold_answer("At least 40,549.") == "at least 40549"
    assert fold_answer("10.970") == "10970"
    assert fold_answer("20.5 percent") == "20.5 percent"
    assert fold_answer("1,415") == fold_answer("1415")


def test_sentences_offsets_and_rules() -> None:
    text = ("Sen. John Smith arrived on Oct. 13, 2023. “It is over,” he said. “We go.” "
            "The U.S. envoy, J. R. Doe, left at 3.5 p.m. sharp!\nNew paragraph without end\nAnother one.")
    spans = split_sentences(text)
    sents = [text[s:e] for s, e in spans]
    assert sents == [
        "Sen. John Smith arrived on Oct. 13, 2023.",
        "“It is over,” he said.",
        "“We go.”",
        "The U.S. envoy, J. R. Doe, left at 3.5 p.m. sharp!",
        "New paragraph without end",
        "Another one.",
    ]


def test_tokenize_folds_and_normalises_numbers() -> None:
    assert tokenize("Łukašenka’s 40,549 crossings") == ["lukasenka", "40549", "cross"]
    assert tokenize("10.970 attempts") == ["10970", "attempt"]
    assert "the" not in tokenize("the border")


def test_bm25_ranks_and_filters(tmp_path) -> None:
    idx = SegmentedIndex(tmp_path / "kw")
    idx.apply([], [KeywordChunk(d, d, 0, 1, tokenize(t)) for d, t in (
        ("a", "Poland border crossings rose"), ("b", "a cake recipe with sugar"), ("c", "border talks"))])
    view = idx.view()
    assert view.search(tokenize("crossings at the Polish border"), 3)[0][0] == "a"
    assert [cid for cid, _ in view.search(tokenize("border"), 3, docs={"b", "c"})] == ["c"]
    assert view.search(tokenize("unknownword"), 3) == []


def test_alias_table_groups_spellings_without_a_name_list() -> None:
    t = AliasTable.build([("Alaksandar Łukašenka", "PERSON"), ("Alexander Lukashenko", "PERSON"),
                          ("Valfovič", "PERSON"), ("Poland", "GPE"), ("Polish", "NORP"), ("40", "CARDINAL")])
    assert set(t.variants("Lukashenka")) == {"lukasenka", "lukashenko"}
    assert t.variants("Valfovich") == ["valfovic"]
    assert t.variants("Poland") == [] and t.variants("Polish") == []
    assert ["Alexander Lukashenko", "Alaksandar Łukašenka"] in [sorted(g, reverse=True) for g in t.groups()]


def test_fusion_functions() -> None:
    assert rrf({"a": ["x", "y"], "b": ["y", "z"]})["y"] > rrf({"a": ["x", "y"], "b": ["y", "z"]})["x"]
    assert normalise_dense(0.9) == 1.0 and normalise_dense(0.0) == 0.0
    assert normalise_max({"a": 2.0, "b": 1.0}) == {"a": 1.0, "b": 0.5}
    fused = convex({"x": 0.8, "y": 0.3}, {"y": 10.0, "z": 5.0}, alpha=0.5)
    assert fused["y"] > fused["z"] and set(fused) == {"x", "y", "z"}
    assert convex({"x": 0.8}, {}, alpha=1.0)["x"] == 1.0


@pytest.mark.parametrize("text", [
    "Sens. Ann Lee and Reps. Bo Park voted no. Then they left.",
    "Former President George H.W. Bush died. He was 94.",
    "ORLANDO, Fla. (Reuters) - A gunman killed 49 people. Police said so.",
    "It rained in Boston, Mass., on Monday. The game went on.",
])
def test_titles_initials_and_state_abbreviations_do_not_end_a_sentence(text) -> None:
    spans = split_sentences(text)
    assert len(spans) == 2, [text[s:e] for s, e in spans]


def test_a_state_abbreviation_that_is_also_a_word_still_ends_a_sentence() -> None:
    text = "He went to Mass. Then he ate."
    assert [text[s:e] for s, e in split_sentences(text)] == ["He went to Mass.", "Then he ate."]


def test_name_keys_match_across_scripts() -> None:
    assert name_key("Лукашенко") == name_key("Lukashenko") == name_key("Łukašenka")
    assert name_key("Зеленский") == name_key("Zelensky")
    assert name_key("Александр") == name_key("Alaksandar")


@pytest.mark.parametrize(("text", "named"), [
    ("October 28", "October 28"), ("spring 2021", "spring 2021"), ("the past year", "the past year"),
    ("Monday", "Monday"), ("2000", "2000"), ("May", "May"),
    ("may", ""), ("Ireland", ""), ("most salaried workers", ""), ("28,164", ""), ("A few weeks", ""),
])
def test_a_date_expression_is_named_as_a_whole(text: str, named: str) -> None:
    from assistant.text.datetimes import date_named

    assert date_named(text) == named
