"""What a follow-up's pronoun means (``assistant.answer.antecedents``, ``dialogue.rewrite``):
the previous answer's entities as well as the previous question's, on made-up articles."""

from __future__ import annotations

from fakes import MemoryCorpus, entity, make_doc

from assistant.answer import antecedents as A
from assistant.answer.dialogue import rewrite
from assistant.models import Answer, Citation

EMAILS = make_doc(
    "emails",
    "Former planning director Nadia Brandt wrote to Senator Helen Moss on March 19, 2011, praising the vote. "
    "She said the vote had been a turning point. Ms. Brandt later left the department. "
    "Senator Moss replied two days later. Her husband, Tom Moss, was not consulted.",
    mentions=[entity("PERSON", "Nadia Brandt"), entity("PERSON", "Helen Moss"), entity("PERSON", "Moss", after="department. Senator "),
              entity("PERSON", "Tom Moss")])
FORUM = make_doc(
    "forum",
    "The veterans forum was moderated by Carl Dietz, a presenter at the Northline Network. "
    "Mr. Dietz pressed both candidates on health care. He said the network would host another forum. "
    "Critics at the network said the questions were soft.",
    mentions=[entity("PERSON", "Carl Dietz"), entity("ORG", "Northline Network"), entity("PERSON", "Dietz", after="Mr. ")])

#: NER's slips elsewhere in the corpus: common words tagged as people.
NOISE = make_doc("noise", "Network said What.", mentions=[entity("PERSON", "Network"), entity("PERSON", "What")])


def cite(doc, sentence: int, answer: str = "") -> Citation:
    s, e = doc.sentences[sentence]
    text = doc.text[s:e]
    a = doc.text.find(answer, s) if answer else -1
    return Citation(1, doc.doc_id, "", "", "", text, s, e, answer_start=a, answer_end=a + len(answer) if a >= 0 else -1)


def test_a_lower_case_question_names_the_person_the_cited_sentence_writes():
    assert A.asked_at("Nadia Brandt", "what did nadia brandt email the senator about") == 2
    assert A.asked_at("Helen Moss", "what did nadia brandt email the senator about") == -1
    assert A.asked_at("Anne-Marie Slaughter", "what did anne-marie slaughter say") == 2


def test_the_cited_sentences_entities_come_in_reading_order_each_once():
    assert A.cited_entities(EMAILS, cite(EMAILS, 0)) == [("Nadia Brandt", "PERSON"), ("Helen Moss", "PERSON")]


def test_the_previous_answer_comes_before_what_the_question_named():
    cands = A.candidates("who moderated the forum with moss", "Carl Dietz", "PERSON",
                         [("Carl Dietz", "PERSON"), ("Helen Moss", "PERSON")])
    assert A.resolve("person", cands) == "Carl Dietz"
    # Not a name (a figure, a sentence): the person the question named instead.
    cands = A.candidates("what did nadia brandt write to the senator", "", "", A.cited_entities(EMAILS, cite(EMAILS, 0)))
    assert A.resolve("person", cands) == "Nadia Brandt"


def test_an_entity_only_the_cited_sentence_names_is_no_antecedent():
    cands = A.candidates("when was the vote", "", "", A.cited_entities(EMAILS, cite(EMAILS, 0)))
    assert A.resolve("person", cands) == ""


def test_a_pronoun_takes_an_entity_of_its_own_kind():
    cands = A.candidates("who moderated the forum", "Carl Dietz", "PERSON",
                         [("Carl Dietz", "PERSON"), ("Northline Network", "ORG")])
    assert A.resolve("thing", cands) == ""  # the network was never asked about
    cands = A.candidates("who moderated the forum on northline network", "Carl Dietz", "PERSON",
                         [("Carl Dietz", "PERSON"), ("Northline Network", "ORG")])
    assert A.resolve("thing", cands) == "Northline Network"


def test_the_article_tells_he_from_she_and_namesakes_by_first_name():
    assert A.gender(EMAILS, "Nadia Brandt") == "she"  # "She said" after her, "Ms. Brandt"
    assert A.gender(FORUM, "Carl Dietz") == "he"  # "Mr. Dietz", "He said"
    # Helen and Tom Moss share a last name: her first name decides ("Her husband" follows "Senator Moss").
    assert A.gender(EMAILS, "Tom Moss") != "she"
    assert A.gender(EMAILS, "Moss") == ""  # which Moss: unknown


def test_she_never_resolves_to_a_man():
    cands = A.candidates("what did carl dietz ask nadia brandt", "", "",
                         [("Carl Dietz", "PERSON"), ("Nadia Brandt", "PERSON")])
    cands = [A.Antecedent(a.text, a.label, a.is_answer, a.asked_at, a.order, g)
             for a, g in zip(cands, ("he", "she"), strict=True)]
    assert A.resolve("person", cands, "he") == "Carl Dietz"
    assert A.resolve("person", cands, "she") == "Nadia Brandt"
    assert A.said_as("Her") == "she" and A.said_as("his") == "he" and A.said_as("it") == ""


def test_a_common_word_is_not_a_person_though_ner_once_said_so():
    people = A.person_words(FORUM)
    assert A.names_someone("who did dietz send ", people)
    assert not A.names_someone("which network is ", people)


def _answer(text: str, kind: str, citation: Citation, abstained: bool = False) -> Answer:
    return Answer(text=text, answer=text, kind=kind, abstained=abstained, citations=[citation])


def test_a_follow_up_pronoun_becomes_the_previous_answers_person():
    corpus = MemoryCorpus([FORUM, NOISE])
    assert corpus.aliases.label("Network") == "PERSON"
    prev = _answer("Carl Dietz", "speaker", cite(FORUM, 0, "Carl Dietz"))
    out, ctx = rewrite("which network is he with", [("who moderated the veterans forum", prev)],
                       aliases=corpus.aliases, corpus=corpus)
    assert out == "which network is Carl Dietz with" and ctx["article"] == ["forum"]


def test_a_follow_up_pronoun_becomes_the_person_the_previous_question_named_as_the_article_writes_them():
    corpus = MemoryCorpus([EMAILS])
    prev = _answer("praising the vote", "other", cite(EMAILS, 0))
    out, _ = rewrite("when did she send that", [("what did nadia brandt write to helen moss", prev)],
                     aliases=corpus.aliases, corpus=corpus)
    assert out == "when did Nadia Brandt send that"


def test_a_pronoun_after_a_person_the_question_names_is_left_alone():
    corpus = MemoryCorpus([FORUM])
    prev = _answer("Northline Network", "entity", cite(FORUM, 0, "Northline Network"))
    out, _ = rewrite("who did dietz send as his deputy", [("which network hosted the forum", prev)],
                     aliases=corpus.aliases, corpus=corpus)
    assert "his deputy" in out


def test_an_elliptical_cue_before_a_question_of_its_own_is_no_ellipsis():
    corpus = MemoryCorpus([FORUM])
    prev = _answer("Northline Network", "entity", cite(FORUM, 0, "Northline Network"))
    out, _ = rewrite("and who owns it", [("which network hosted the forum", prev)], aliases=corpus.aliases,
                     corpus=corpus)
    assert out == "and who owns Northline Network"
    out, ctx = rewrite("And what about Latvia?", ["How many attempts did Poland report?"])
    assert out.startswith("How many attempts") and "Latvia" in out and ctx["carried_from"]


def test_a_follow_ups_answer_is_something_the_conversation_has_not_said():
    from assistant.answer.reader.reader import new_spans
    from assistant.answer.reader.spans import Span

    known = A.given("who said libya is the biggest trouble spot", "Michael O'Hanlon")
    spans = [Span("d", 0, 5, "Libya", 0), Span("d", 6, 18, "Michael O'Hanlon", 0),
             Span("d", 20, 42, "the Brookings Institution", 0), Span("d", 50, 52, "17", 0)]
    assert [sp.text for sp in new_spans(spans, known)] == ["the Brookings Institution", "17"]
    # Nothing new left: every span stays (the reader's own doubt decides).
    assert new_spans(spans[:2], known) == spans[:2]
    assert new_spans(spans, frozenset()) == spans


def test_a_sentence_long_previous_answer_establishes_no_value():
    corpus = MemoryCorpus([EMAILS])
    prev = _answer("Former planning director Nadia Brandt wrote to Senator Helen Moss on March 19, 2011.", "quote",
                   cite(EMAILS, 0))
    _, ctx = rewrite("when did she send that", [("what did nadia brandt write to helen moss", prev)],
                     aliases=corpus.aliases, corpus=corpus)
    assert "2011" not in ctx["given"] and {"nadia", "brandt", "helen", "moss"} <= ctx["given"]
    prev = _answer("March 19, 2011", "date", cite(EMAILS, 0, "March 19, 2011"))
    _, ctx = rewrite("and who replied", [("when did nadia brandt write to the senator", prev)],
                     aliases=corpus.aliases, corpus=corpus)
    assert "2011" in ctx["given"]


def test_an_elliptical_possessive_swaps_the_previous_questions_possessive_name():
    from assistant.answer.dialogue import swap_possessive

    label = {"Bernie": "PERSON", "Hillary": "PERSON", "Policies": ""}.get

    def lab(w: str) -> str:
        return label(w) or ""

    prev = "what did the panel compare hillary's policies to on the show"
    assert swap_possessive(prev, "bernie's", lab) == "what did the panel compare bernie's policies to on the show"
    assert swap_possessive(prev, "policies's", lab) == ""  # not a name
    assert swap_possessive(prev, "bernie", lab) == ""  # not a possessive: the usual ellipsis
    assert swap_possessive("what did the panel say", "bernie's", lab) == ""


def test_a_lower_case_question_names_what_its_article_names():
    assert A.asked_entities(FORUM, "did dietz leave the northline network", frozenset({"PERSON", "ORG"})) == [
        ("Carl Dietz", "PERSON"), ("Northline Network", "ORG")]
    assert A.asked_entities(FORUM, "did dietz leave the network", frozenset({"ORG"})) == [("Northline Network", "ORG")]
    assert A.asked_entities(FORUM, "did the host leave", frozenset({"PERSON", "ORG"})) == []
