"""``answer.spelling``: a name typed in another transliteration is read as the corpus writes it."""

from __future__ import annotations

from fakes import entity, fake_answerer, make_doc

from assistant.answer.spelling import respelled
from assistant.text.folding import name_key

#: A corpus that knows one person, "Maksim Ryžankoŭ" (folded "ryzankou"), and the word "report".
KNOWN = {"mksm rzhnkv": "PERSON"}
SPELLINGS = {"rzhnkv": ["ryzankou"], "rprt": ["report"]}
DF = {"maksim": 2, "ryzankou": 2, "report": 9, "job": 1}


def label(name: str) -> str:
    return KNOWN.get(" ".join(name_key(w) for w in name.split()), "")


def variants(word: str) -> list[str]:
    return [v for v in SPELLINGS.get(name_key(word), []) if v != word.lower()]


def df(token: str) -> int:
    return DF.get(token, 0)


def test_a_name_the_corpus_knows_is_written_as_the_corpus_spells_it():
    assert respelled("What is Maksim Ryzhenkov's job?", label, variants, df) == "What is Maksim Ryzankou's job?"
    # A capitalised word before the name is no part of it.
    assert respelled("Did Maksim Ryzhenkov speak?", label, variants, df) == "Did Maksim Ryzankou speak?"


def test_a_lone_word_an_unknown_name_and_a_quote_stay_as_typed():
    assert respelled("Who is Ryzhenkov?", label, variants, df) == "Who is Ryzhenkov?"  # a lone key is a skeleton
    assert respelled("Who is Rupert Murdoch?", label, variants, df) == "Who is Rupert Murdoch?"  # not "report"
    assert respelled("Who said “Maksim Ryzhenkov is here”?", label, variants, df) == \
        "Who said “Maksim Ryzhenkov is here”?"


def test_a_word_the_corpus_writes_is_never_respelled():
    assert respelled("What is Maksim Ryzankou's job?", label, variants, df) == "What is Maksim Ryzankou's job?"


def test_the_answerer_reads_the_question_in_the_corpus_spelling():
    doc = make_doc("m", "“Work with them,” Foreign Minister Maksim Ryžankoŭ noted on Friday.",
                   mentions=[entity("PERSON", "Maksim Ryžankoŭ")])
    tr = fake_answerer([doc]).explain("What did Maksim Ryzhenkov say?")
    assert tr.standalone == "What did Maksim Ryzankou say?"
    assert tr.answer.rewritten == "What did Maksim Ryzankou say?"  # shown: "understood as"
