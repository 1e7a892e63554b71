"""The reader with hand-set models on made-up articles: span candidates, their features,
the reply that leads with the short answer, "not sure" below the threshold, and the
answers no sentence gives alone (a byline, sources that differ, the asked quantity)."""

from __future__ import annotations

import pytest
from fakes import Q, entity, fake_answerer, figure, make_doc

from assistant.answer.learned import Isotonic, Linear, ReaderModels, SelectionModels
from assistant.answer.question import analyse
from assistant.answer.reader.features import (
    CONF_FEATURES,
    FEATURES,
    MANY_ITEMS,
    items_asked,
    question_frame,
    span_features,
)
from assistant.answer.reader.reader import agreement, collect
from assistant.answer.reader.reply import NOT_SURE
from assistant.answer.reader.spans import (
    Span,
    as_country,
    as_province,
    coordinated,
    empty,
    noun_phrase_spans,
    phrase_spans,
    whole_words,
    with_region,
)
from assistant.answer.selection import Ranked
from assistant.models import Answer, Citation


def lin(bias: float = 0.0, **w: float) -> Linear:
    return Linear(tuple(w), tuple(w.values()), bias)


def selection(**kw) -> SelectionModels:
    base = dict(
        doc_stage1=lin(r_inv=1.0), doc_stage2=lin(z0=1.0), sentence=lin(s_first=1.0, s_cov=3.0, doc_p=2.0),
        reply_sentence=lin(sent_p=4.0, s_cov=2.0), calibration=Isotonic((0.0, 1.0), (0.0, 1.0)),
        abstain_below=0.0, abstain_below_nodate=0.0, abstain_below_long=0.0, k=20, top_docs=3,
        kinds=("date", "figure", "entity", "speaker", "other"))
    base.update(kw)
    return SelectionModels(**base)


#: A reader that follows the rules' vote and the asked quantity, trusts a quote's speaker,
#: and never answers with the question's own words; it states what beats the rest clearly.
READER = ReaderModels(
    span=lin(rule_same=3.0, rule_key=1.0, unit_ok=2.0, unit_bad=-6.0, meta=4.0, g_speaker=2.0, sp_frag=2.0,
             label_first=1.0, x_count_figure=1.0, q_all=-5.0, sent_p=1.0),
    confidence=lin(-1.0, soft=4.0), calibration=Isotonic((0.0, 1.0), (0.0, 1.0)), state_at=0.5, sentences=3)


def answerer(docs, **kw):
    """Hand-set selection and reader models; the confidence a reply shows is the reader's own
    unless a ``confidence`` model is given (``test_confidence``)."""
    return fake_answerer(docs, models=selection(), reader=kw.pop("reader", READER),
                         confidence=kw.pop("confidence", None), **kw)


REPAIRS = make_doc("repairs", "Officials said 1,240 ferries were repaired in March. Work went on at night.",
                   publisher="City Desk", mentions=[figure("1,240", "1240", "ferry", frame=["ferries", "repaired"])])
UNION = make_doc("union", "A union report said 1,100 ferries were repaired in March.", publisher="Union Weekly",
                 mentions=[figure("1,100", "1100", "ferry", frame=["ferries", "repaired"])])
BARRIER = make_doc("barrier", "The council voted to fund a 4.2-kilometre flood barrier along the docks. "
                              "The barrier will cost 312 million euros, the mayor said.",
                   mentions=[figure("4.2-kilometre", "4.2", "kilometre", frame=["barrier", "fund"]),
                             figure("312 million euros", "312000000", "euro", frame=["barrier", "cost"],
                                    extra={"currency": "EUR"})])
WAGES = make_doc("wages", "Union leader Ana Ruiz spoke outside the plant on Monday. “Wages will rise by spring,” "
                          "she said.",
                 mentions=[entity("PERSON", "Ana Ruiz")],
                 quotes=[Q("Ana Ruiz", "Wages will rise by spring", speaker_text="she")])


# -- the reply ----------------------------------------------------------------------------------
def test_the_reply_leads_with_the_short_answer_then_its_sentence():
    tr = answerer([REPAIRS]).explain("How many ferries were repaired in March?")
    ans = tr.answer
    assert ans.text.startswith("1,240 [1] — “Officials said 1,240 ferries were repaired in March.”")
    assert ans.answer == "1,240" and ans.calibrated
    c = ans.citations[0]
    assert REPAIRS.text[c.answer_start:c.answer_end] == "1,240"  # highlighted inside the cited sentence
    assert ans.confidence == tr.reading.confidence  # the confidence is about the stated answer


def test_below_the_threshold_the_reply_says_it_is_not_sure():
    cautious = ReaderModels(READER.span, READER.confidence, READER.calibration, state_at=0.999, sentences=3)
    tr = answerer([REPAIRS], reader=cautious).explain("How many ferries were repaired in March?")
    assert tr.answer.text.startswith(f"{NOT_SURE} “Officials said 1,240 ferries")
    assert tr.answer.confidence == tr.selection.confidence  # the sentence's, not the span's


def test_a_keyword_query_gets_the_sentence_not_a_forced_span():
    ans = answerer([REPAIRS]).ask("ferries repaired March")
    assert ans.text.startswith("“Officials said 1,240") and not ans.text.startswith(NOT_SURE)


def test_an_author_from_the_byline_is_a_span_no_sentence_states():
    doc = make_doc("a", "The council closed the bridge, an engineer wrote in an article for the city.",
                   title="Bridge closed", author="Jan Novak")
    ans = answerer([doc]).ask("Who wrote the article about the bridge?")
    assert ans.answer == "Jan Novak" and "(from the article's byline)" in ans.text
    assert ans.text.startswith("Jan Novak [1]")


def test_sources_that_differ_on_the_stated_value_stay_side_by_side():
    tr = answerer([REPAIRS, UNION]).explain("How many ferries were repaired in March?")
    ans = tr.answer
    assert ans.text.startswith("Sources differ:")
    assert {c.doc_id for c in ans.citations} == {"repairs", "union"} and ans.calibrated
    # The short answer is the value the reader chose, whichever source the listing names first.
    assert ans.answer == tr.reading.span.text


def test_the_short_answer_among_differing_sources_is_the_one_the_reader_chose():
    from assistant.answer.reader.reply import chosen_value
    from assistant.models import Conflict

    older = Conflict("11,000 employees", 1, "a", "CNN", "2022-11-10")
    newer = Conflict("More than 75,000 unionized employees", 2, "b", "CNN", "2023-10-05")
    assert chosen_value([older, newer], "75000") is newer  # the span stands in the value
    assert chosen_value([older, newer], "11000 employees") is older
    assert chosen_value([older, newer], "40%") is None and chosen_value([older, newer], "") is None


def test_the_asked_quantity_wins_over_a_figure_of_another_kind():
    tr = answerer([BARRIER]).explain("How much will the flood barrier cost?")
    assert tr.answer.answer == "312 million euros"
    assert tr.answer.text.startswith("312 million euros [1] — “The barrier will cost")


def test_a_speaker_behind_a_pronoun_is_named_and_both_sentences_cited():
    ans = answerer([WAGES]).ask("Who said “wages will rise by spring”?")
    assert ans.answer == "Ana Ruiz"
    assert ans.text.startswith("Ana Ruiz [1][2] — ““Wages will rise by spring,” she said.”")
    assert [WAGES.text[c.start:c.end][:5] for c in ans.citations] == ["“Wage", "Union"]


# -- candidates -----------------------------------------------------------------------------------
def test_content_runs_cut_at_function_words_and_punctuation():
    text = "Customs found 2,000 packages of baby wipes in Laredo, officials said."
    doc = make_doc("d", text)
    got = {text[s:e] for s, e in phrase_spans(doc, 0, len(text))}
    assert {"Customs found 2,000 packages", "baby wipes", "Laredo", "officials said",
            "Customs found 2,000 packages of baby wipes"} <= got
    assert "wipes in Laredo" not in got


def test_noun_phrases_come_with_and_without_their_determiner():
    text = "The tech giant Apple reached a deal."
    doc = make_doc("d", text, phrases=["The tech giant", "Apple", "a deal"])
    assert [text[s:e] for s, e in noun_phrase_spans(doc, 0, len(text))] == [
        "The tech giant", "tech giant", "Apple", "a deal", "deal"]
    assert noun_phrase_spans(make_doc("d", text), 0, len(text)) is None  # annotated before phrases were kept


def test_the_same_span_from_several_sources_is_one_candidate():
    doc = make_doc("d", "Apple reached a deal with the union.", mentions=[entity("ORG", "Apple")],
                   phrases=["Apple", "a deal", "the union"])
    s, e = doc.sentences[0]
    ranked = [Ranked(doc, 0, s, e, 0.9, 0.9)]
    rule = Answer(text="Apple [1]", answer="Apple", kind="entity", abstained=False,
                  citations=[Citation(1, "d", "", "", "", doc.text[s:e], s, e, answer_start=0, answer_end=5)])
    spans = collect(ranked, rule, 3)
    apple = [sp for sp in spans if sp.text == "Apple"]
    assert len(apple) == 1 and apple[0].sources == {"ORG", "PHRASE", "RULE"}
    assert not any(empty(sp.text) for sp in spans)
    assert agreement(spans, ranked)["apple"] == (0.9, 1)


# -- features -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "asks", "head"), [
    ("Which capital was named Europe's most congested city?", "place", "capit"),
    ("To which country were the detainees transferred?", "place", "countri"),
    ("How many ferries were repaired?", "count", ""),
    ("Who said the plan was reckless?", "person", ""),
    ("Which tech company signed the deal?", "org", "compani"),
    ("The president threatened to send 20,000 of which animal to Germany?", "thing", "anim"),
    ("ferries repaired March", "none", ""),
])
def test_what_the_question_asks_for(question, asks, head):
    qf = question_frame(analyse(question))
    assert (qf.asks, qf.head) == (asks, head)


def test_an_answer_stands_between_the_words_around_the_wh_phrase():
    qa = analyse("The president threatened to send 20,000 of which animal to Germany?")
    qf = question_frame(qa)
    doc = make_doc("d", "The president threatened to send 20,000 elephants to Germany.",
                   phrases=["The president", "elephants", "Germany"])
    s, e = doc.sentences[0]
    ranked = [Ranked(doc, 0, s, e, 0.8, 0.8)]
    rule = Answer(text="", answer="", kind="other", abstained=True)
    spans = {sp.text: sp for sp in collect(ranked, rule, 3)}
    from fakes import MemoryCorpus

    row = span_features(MemoryCorpus([doc]), qa, qf, spans["elephants"], ranked, rule, {})
    assert row["align_left"] > 0.5 and row["align_right"] == 1.0
    assert row["x_thing_phrase"] == 1.0 and row["q_all"] == 0.0
    own = span_features(MemoryCorpus([doc]), qa, qf, spans["Germany"], ranked, rule, {})
    assert own["q_all"] == 1.0  # the question's own word is no answer


def test_reader_models_round_trip_through_json():
    assert ReaderModels.from_dict(READER.to_dict()) == READER


def test_the_committed_reader_reads_only_features_that_exist():
    from assistant.answer.learned import load_reader

    m = load_reader()
    assert m is not None, "run `make train` to fit assistant/answer/models/reader.json"
    assert set(m.span.features) <= set(FEATURES) and set(m.confidence.features) <= set(CONF_FEATURES)
    assert 0.0 <= m.state_at <= 1.0 and m.sentences >= 1
    assert list(m.calibration.xs) == sorted(m.calibration.xs)


def test_a_figures_short_answer_carries_what_it_counts_and_its_rate():
    from assistant.answer.reader.spans import unit_end

    def longest(text: str, figure: str, unit: str) -> str:
        i = text.find(figure)
        return text[i: unit_end(text, i + len(figure), unit)]

    assert longest("This search turned up four documents.", "four", "document") == "four documents"
    assert longest("Cruz released a 45-second Web ad.", "45", "second") == "45-second"
    assert longest("In 2000, they killed 17 American sailors.", "17", "sailor") == "17 American sailors"
    assert longest("It cost $600,000 a day in donations.", "$600,000", "USD") == "$600,000 a day"
    assert longest("He won 12 of the 40 states.", "12", "state") == "12"  # the noun is not next to it
    assert longest("Turnout was 57 percent in May.", "57 percent", "percent") == "57 percent"


def test_a_figures_short_answer_keeps_the_qualifier_it_was_written_with():
    from assistant.answer.reader.reply import with_unit

    doc = make_doc("h", "Hulu paid nearly $1 million an episode to stream the show.",
                   mentions=[figure("$1 million", "1000000", "USD", qualifier="nearly")])
    start = doc.text.index("$1 million")
    got = with_unit(Span("h", start, start + len("$1 million"), "$1 million", 0, {"FIGURE"}), doc)
    assert got.text == "nearly $1 million an episode" and doc.text[got.start:got.end] == got.text
    plain = make_doc("p", "Hulu paid $1 million.", mentions=[figure("$1 million", "1000000", "USD")])
    start = plain.text.index("$1")
    assert with_unit(Span("p", start, start + 10, "$1 million", 0, {"FIGURE"}), plain).text == "$1 million"
    only = make_doc("o", "Only 9% is recycled.", mentions=[figure("9%", "9", "percent", qualifier="Only")])
    assert with_unit(Span("o", 5, 7, "9%", 0, {"FIGURE"}), only).text == "9%"  # emphasis, not a bound
    spread = make_doc("s", "It offered $30 billion over 10 years.", mentions=[figure("10 years", "10", "year",
                                                                                      qualifier="over")])
    start = spread.text.index("10 years")
    assert with_unit(Span("s", start, start + 8, "10 years", 0, {"FIGURE"}), spread).text == "10 years"


# -- several items asked ------------------------------------------------------------------------
@pytest.mark.parametrize("question, items", [
    ("Which two automakers are discussing a merger?", 2),
    ("What three countries signed the pact?", 3),
    ("What sports won’t appear at the Olympics?", MANY_ITEMS),  # a plural head, a contraction after it
    ("Which countries did NATO invite?", MANY_ITEMS),
    ("Which country won?", 1),
    ("Which series is getting a spinoff?", 1),  # -s, yet singular
    ("Who won the vote?", 1),
])
def test_how_many_items_a_question_asks_for(question, items):
    assert items_asked(question) == items


MERGER = make_doc("merger", "Japanese automakers Honda and Nissan are in merger talks, the Nikkei said. "
                            "Shares of Honda, the larger firm, rose. Regulators named “Peach” and “Blossom” too.",
                  mentions=[entity("ORG", "Honda"), entity("ORG", "Nissan"), entity("ORG", "Nikkei")])


def _spans(doc, *texts):
    out = []
    for t in texts:
        at = doc.text.index(t, out[-1].end if out and t == out[-1].text else 0)
        out.append(Span(doc.doc_id, at, at + len(t), t, 0, {"ORG"}))
    return out


def test_a_coordination_joins_the_best_span_with_the_items_beside_it():
    honda, nissan, nikkei = _spans(MERGER, "Honda", "Nissan", "Nikkei")
    both = coordinated(honda, [honda, nissan, nikkei], MERGER, 2)
    assert both.text == "Honda and Nissan" and MERGER.text[both.start:both.end] == both.text
    assert coordinated(nissan, [honda, nissan, nikkei], MERGER, 2).text == "Honda and Nissan"  # from the last item
    assert coordinated(honda, [honda, nissan], MERGER, 1) is honda  # one item asked: nothing joined
    assert coordinated(nikkei, [honda, nissan, nikkei], MERGER, 2) is nikkei  # no coordination around it
    # "Honda, the larger firm": a comma alone is an apposition, not a list
    second = Span("merger", MERGER.text.index("Honda, the"), MERGER.text.index("Honda, the") + 5, "Honda", 0, {"ORG"})
    firm = Span("merger", MERGER.text.index("the larger"), MERGER.text.index("the larger") + 16, "the larger firm", 0,
                {"PHRASE"})
    assert coordinated(second, [second, firm], MERGER, 2) is second
    # quoted items keep their marks
    peach, blossom = (Span("merger", MERGER.text.index(w), MERGER.text.index(w) + len(w), w, 0, {"PHRASE"})
                      for w in ("Peach", "Blossom"))
    assert coordinated(blossom, [peach, blossom], MERGER, 2).text == "“Peach” and “Blossom”"


def test_the_reply_to_which_two_names_both():
    docs = [make_doc("m", "Japanese automakers Honda and Nissan are in merger talks, the Nikkei said.",
                     mentions=[entity("ORG", "Honda"), entity("ORG", "Nissan"), entity("ORG", "Nikkei")])]
    reader = ReaderModels(lin(g_org=2.0, n_words=-1.0, rel_pos=-2.0), READER.confidence, READER.calibration, state_at=0.0,
                          sentences=3)
    one = answerer(docs, reader=reader).explain("Which automaker is in merger talks?").answer
    two = answerer(docs, reader=reader).explain("Which two automakers are in merger talks?").answer
    assert one.answer == "Honda"
    assert two.answer == "Honda and Nissan" and two.text.startswith("Honda and Nissan [1] — ")


def test_which_country_is_answered_with_the_country_its_people_name():
    doc = make_doc("hack", "The US concluded that the Iranian government is behind the hack. Talks went on in Hanoi.",
                   mentions=[entity("NORP", "Iranian"), entity("GPE", "Hanoi")])
    gov = Span("hack", doc.text.index("the Iranian"), doc.text.index(" is behind"), "the Iranian government", 0,
               {"PHRASE"})
    iran = as_country(gov, doc)
    assert iran.text == "Iran" and doc.text[iran.start:iran.end] == "Iranian"
    hanoi = Span("hack", doc.text.index("Hanoi"), doc.text.index("Hanoi") + 5, "Hanoi", 0, {"GPE"})
    vietnam = as_country(hanoi, doc)  # a capital names its country
    assert vietnam.text == "Vietnam" and doc.text[vietnam.start:vietnam.end] == "Hanoi"
    us = Span("hack", doc.text.index("US"), doc.text.index("US") + 2, "The US", 0, {"GPE"})
    assert as_country(us, doc) is us  # neither a demonym nor a capital: left alone
    talks = Span("hack", doc.text.index("Talks"), doc.text.index("Talks") + 5, "Talks", 0, {"PHRASE"})
    assert as_country(talks, doc) is talks
    coast = make_doc("coast", "Hurricane Roslyn made landfall on Mexico’s Pacific coast.")
    at = coast.text.index("Mexico")
    mexico = as_country(Span("coast", at, at + len("Mexico’s Pacific"), "Mexico’s Pacific", 0, {"PHRASE"}), coast)
    assert mexico.text == "Mexico" and coast.text[mexico.start:mexico.end] == "Mexico"  # the possessor
    reader = ReaderModels(lin(g_norp=3.0, n_words=-1.0), READER.confidence, READER.calibration, state_at=0.0,
                          sentences=3)
    ans = answerer([doc], reader=reader).explain("Which country is behind the hack?").answer
    assert ans.answer == "Iran" and ans.text.startswith("Iran [1] (the article says “Iranian”) — ")
    c = ans.citations[0]
    assert doc.text[c.answer_start:c.answer_end] == "Iranian"  # the word it was read from is marked


@pytest.mark.parametrize("text, place, expected", [
    ("The first Mardi Gras was held in 1703 in Mobile, Alabama.", "Mobile", "Mobile, Alabama"),
    ("The coldest city in the world is Yakutsk, Russia.", "Yakutsk", "Yakutsk, Russia"),
    ("It took place in Washington, D.C. The crowd was large.", "Washington", "Washington, D.C."),
    ("It took place in Washington, DC, on Tuesday.", "Washington", "Washington, DC"),
    ("Top picks are Vancouver, British Columbia, followed by Rome.", "Vancouver", "Vancouver, British Columbia"),
    ("Fans flew to Rome, London, Paris and Dublin.", "Rome", "Rome"),  # a list of places
    ("Fans flew to Rome, Italy and Dublin.", "Rome", "Rome"),  # a list that holds a country
    ("It was said by Smith, Texas Republican.", "Smith", "Smith"),  # a name's description
    ("It was Paris, the capital.", "Paris", "Paris"),  # no region after it
    ("Leaders of France, Germany met.", "France", "France"),  # a country has no region after it
])
def test_a_place_is_read_with_the_region_written_after_it(text, place, expected):
    doc = make_doc("p", text)
    at = doc.text.index(place)
    span = Span("p", at, at + len(place), place, 0, {"GPE"})
    got = with_region(span, doc)
    assert got.text == expected and doc.text[got.start:got.end] == expected


def test_the_reply_to_where_names_the_place_with_its_region():
    doc = make_doc("dock", "A brawl broke out at a riverfront dock in Montgomery, Alabama, on Saturday.",
                   mentions=[entity("GPE", "Montgomery"), entity("GPE", "Alabama")])
    reader = ReaderModels(lin(g_place=2.0, n_words=-1.0, rel_pos=-2.0), READER.confidence, READER.calibration,
                          state_at=0.0, sentences=3)
    where = answerer([doc], reader=reader).explain("Where did the brawl break out?").answer
    assert where.answer == "Montgomery, Alabama" and where.text.startswith("Montgomery, Alabama [1] — ")
    who = answerer([doc], reader=reader).explain("Which team broke out the brawl?").answer
    assert who.answer != "Montgomery, Alabama"  # only a place is read with its region


@pytest.mark.parametrize("text, part, expected", [
    ("Rental e-scooters are to be outlawed.", "scooters", "e-scooters"),
    ("NASA said exoplanet K2-18b may hold water.", "exoplanet K2", "exoplanet K2-18b"),
    ("A well-known man spoke.", "known man", "well-known man"),
    ("The vote - a close one - passed.", "vote", "vote"),  # a dash between spaces joins no word
])
def test_a_noun_phrase_never_cuts_a_hyphenated_word(text, part, expected):
    at = text.index(part)
    s, e = whole_words(text, at, at + len(part))
    assert text[s:e] == expected


@pytest.mark.parametrize("text, part, expected", [
    ("Outgoing Oregon Gov. Kate Brown commuted 17 sentences.", "Outgoing Oregon Gov. Kate Brown", "Oregon"),
    ("Five were missing in a Virginia county on Thursday.", "Virginia county", "Virginia"),
    ("Stations closed in Fort Lauderdale, Florida, this week.", "Fort Lauderdale", "Florida"),
    ("Cases rose in Los Angeles County on Monday.", "Los Angeles County", "Los Angeles County"),  # no state named
    ("Georgia voters went to the polls.", "Georgia", "Georgia"),  # a state already
])
def test_which_state_is_answered_with_the_state_a_span_names(text, part, expected):
    doc = make_doc("s", text)
    at = doc.text.index(part)
    got = as_province(Span("s", at, at + len(part), part, 0, {"PHRASE"}), doc)
    assert got.text == expected and doc.text[got.start:got.end] == expected


def test_the_reply_to_which_state_names_the_state_unless_state_qualifies_another_noun():
    doc = make_doc("gov", "Outgoing Oregon Gov. Kate Brown commuted the sentences of 17 inmates.",
                   mentions=[entity("PERSON", "Kate Brown")])
    reader = ReaderModels(lin(n_words=0.5, rel_pos=-2.0), READER.confidence, READER.calibration, state_at=0.0,
                          sentences=3)
    state = answerer([doc], reader=reader).explain("Which US state's governor commuted the sentences?").answer
    assert state.answer == "Oregon" and state.text.startswith("Oregon [1] — ")
    senator = answerer([doc], reader=reader).explain("Which state senator commuted the sentences?").answer
    assert senator.answer != "Oregon"  # "state" qualifies the noun asked for


def test_a_which_country_or_state_question_takes_the_best_span_of_the_asked_type():
    from fakes import MemoryCorpus

    from assistant.answer.reader.asked import asked_type, first_named

    doc = make_doc("t", "President Daniel Noboa declared an internal armed conflict in Ecuador. "
                        "Cases rose in Los Angeles County, the California health agency said. "
                        "The International Chess Federation wore a gray check mark.")
    corpus = MemoryCorpus([doc])

    def span(text):
        at = doc.text.index(text)
        return Span("t", at, at + len(text), text, 0, {"PHRASE"})

    scored = [(3.0, span("President Daniel Noboa")), (2.0, span("Ecuador")), (1.0, span("Los Angeles County")),
              (0.5, span("California health agency")), (0.4, span("International Chess Federation")),
              (0.3, span("a gray check mark"))]
    country = asked_type("Which country declared an internal armed conflict?")
    state = asked_type("Which US state saw cases rise?")
    sport = asked_type("Which women's professional sport is it?")
    colour = asked_type("Which color is the check mark?")
    assert (country.name, state.name, sport.name, colour.name) == ("country", "province", "sport", "colour")
    assert first_named(scored, corpus, country).text == "Ecuador"
    assert first_named(scored, corpus, state).text == "California"
    assert first_named(scored, corpus, sport).text == "International Chess Federation"  # as written
    assert first_named(scored, corpus, colour).text == "gray"
    assert first_named(scored[:1], corpus, country) is None  # none of the type: the span model's choice stands


@pytest.mark.parametrize("question, sentence, spans, expected", [
    ("The rule expires in which month?", "Officials said the rule expires on May 11.", ["Officials", "May 11"], "May"),
    ("In which month was the deal suspended?", "The deal was suspended in June 2021.", ["The deal", "June 2021"],
     "June 2021"),  # a month with its year is a month
    ("Where did the capsule splash down, in which ocean?", "It splashed down off Mexico’s Baja California "
     "in the Pacific Ocean.", ["Mexico’s Baja California", "the Pacific Ocean"], "Pacific Ocean"),
    ("Which continent has the fewest cases?", "Cases in Europe fell; Africa has the fewest.", ["Cases", "Africa"],
     "Africa"),
    ("When did he give the speech?", "Speaking in Minsk on October 28, Łukašenka said so.", ["Łukašenka", "Minsk",
     "October 28"], "October 28"),  # a date for "when", not the span model's name
    ("Heart attacks are most likely to happen on what day?", "Ireland's study found most happen on Monday.",
     ["Ireland", "Monday"], "Monday"),
])
def test_which_month_ocean_or_continent_is_answered_with_one(question, sentence, spans, expected):
    from fakes import MemoryCorpus

    from assistant.answer.reader.asked import as_asked, asked_type

    doc = make_doc("m", sentence)
    scored = [(float(-i), Span("m", doc.text.index(t), doc.text.index(t) + len(t), t, 0, {"PHRASE"}))
              for i, t in enumerate(spans)]
    got = as_asked(scored[0][1], scored, MemoryCorpus([doc]), asked_type(question))
    assert got.text == expected and doc.text[got.start:got.end] == expected


@pytest.mark.parametrize("question", [
    "Which state fair is the largest in the US?", "Which sports league is back?", "What colour scheme won?",
    "Which team won?", "What statement did he make?", "At what time did the quake hit?",
    "Fox News rocked the world when it announced it would part ways with which host?",
    "Who said \"Another horrific attack. Many dead and injured. When will\"?",
])
def test_a_question_that_names_no_checkable_type_has_none(question):
    from assistant.answer.reader.asked import asked_type

    assert asked_type(question) is None


@pytest.mark.parametrize("question, continents", [
    ("Which country declared an internal armed conflict?", set()),
    ("Russia reassured which West African country?", {"Africa"}),
    ("Which Southeast Asian nation saw the deaths?", {"Asia"}),
    ("which african nation postponed its elections", {"Africa"}),
    ("Which Caribbean nation's prime minister resigned?", {"Americas"}),
    ("Which Pacific island nation joined the pact?", {"Oceania"}),
    ("Which European Union country vetoed it?", {"Europe"}),
])
def test_a_which_country_question_may_place_its_country_on_a_continent(question, continents):
    from assistant.answer.reader.asked import asked_continents, asked_type

    typed = asked_type(question)
    assert typed is not None and typed.name == "country"
    assert asked_continents(question, typed) == continents


@pytest.mark.parametrize("question", ["What is the country's capital?", "What happened in the nation last week?"])
def test_a_country_named_after_other_words_is_not_asked_for(question):
    from assistant.answer.reader.asked import asked_type

    assert asked_type(question) is None


def test_a_country_on_another_continent_than_the_one_asked_is_not_the_answer():
    from fakes import MemoryCorpus

    from assistant.answer.reader.asked import as_asked, asked_type

    doc = make_doc("w", "Moscow sought to reassure the junta in Bamako that Wagner forces would stay. "
                        "Ukraine said Russia would keep fighting.")
    corpus = MemoryCorpus([doc])

    def span(text):
        at = doc.text.index(text)
        return Span("w", at, at + len(text), text, 0, {"PHRASE"})

    scored = [(3.0, span("Moscow")), (2.0, span("Bamako")), (1.0, span("Ukraine"))]
    african = "Russia reassured which West African country that Wagner would stay?"
    got = as_asked(scored[0][1], scored, corpus, asked_type(african), african)
    assert got.text == "Mali"  # Bamako's country; Moscow's (Russia) is not in Africa
    anywhere = "Which country did Wagner reassure?"
    assert as_asked(scored[0][1], scored, corpus, asked_type(anywhere), anywhere).text == "Russia"
    asian = "Which Southeast Asian country did Wagner reassure?"
    # None of the spans names a country in Asia (Russia lies on two continents, Mali on one):
    # Russia is one.
    assert as_asked(scored[0][1], scored, corpus, asked_type(asian), asian).text == "Russia"
    south_american = "Which South American country did Wagner reassure?"
    # None is in the Americas: the span model's choice stands, not read as Russia.
    assert as_asked(scored[0][1], scored, corpus, asked_type(south_american), south_american).text == "Moscow"


def test_countries_lie_on_their_continents():
    from assistant.text.countries import country_continents, country_named

    assert country_continents(country_named("Kenya")) == {"Africa"}
    assert country_continents(country_named("Georgia")) == {"Asia", "Europe"}  # transcontinental
    assert country_continents(country_named("Haiti")) == {"Americas"}
    assert country_continents(country_named("Scotland")) == {"Europe"}
    assert country_continents("Atlantis") == frozenset()


@pytest.mark.parametrize("sentence, chosen, expected", [
    ("A volcano erupted on the Italian island of Stromboli.", "Italian island", "Stromboli"),
    ("Members of the American rock band KISS said goodbye.", "American rock band", "KISS"),
    ("Patrons at Dolly Parton’s theme park, Dollywood, waded through water.", "Dolly Parton’s theme park",
     "Dollywood"),
    # A name that holds the asked noun is the answer itself.
    ("A fine was issued against Grand Canyon University Tuesday.", "Grand Canyon University",
     "Grand Canyon University"),
    # Nothing named after the category: it stands.
    ("The island was evacuated on Monday.", "island", "island"),
])
def test_a_span_that_is_the_asked_category_gives_way_to_the_name_after_it(sentence, chosen, expected):
    from assistant.answer.reader.spans import named_instance

    doc = make_doc("c", sentence)
    words = [w for w in ("Stromboli", "KISS", "Dollywood", "Tuesday", "Monday", chosen) if w in doc.text]
    cands = [Span("c", doc.text.index(w), doc.text.index(w) + len(w), w, 0, {"PHRASE"}) for w in words]
    span = next(sp for sp in cands if sp.text == chosen)
    head = {"Italian island": "island", "American rock band": "band", "Dolly Parton’s theme park": "park",
            "Grand Canyon University": "university", "island": "island"}[chosen]
    assert named_instance(span, cands, doc, head).text == expected


def test_a_title_after_its_category_is_named_without_the_quotation_mark_its_phrase_took():
    from assistant.answer.reader.spans import named_instance

    doc = make_doc("t", "A show based on the wildly popular series “Squid Game” will stream next month.")
    category, title = "the wildly popular series", "“Squid Game"
    cands = [Span("t", doc.text.index(w), doc.text.index(w) + len(w), w, 0, {"PHRASE"}) for w in (category, title)]
    got = named_instance(cands[0], cands, doc, "series")
    assert got.text == "Squid Game" and doc.text[got.start:got.end] == "Squid Game"


@pytest.mark.parametrize("text, part, expected", [
    ("The word of the year was “Goblin mode” says the dictionary.", "“Goblin mode", "“Goblin mode”"),
    ("Fans of “Top Gun” star Tom Cruise waited.", "Top Gun” star Tom Cruise", "“Top Gun” star Tom Cruise"),
    ('The new "rugby-style" blue cards were tested.', 'rugby-style" blue cards', '"rugby-style" blue cards'),
    ("A “Succession spinoff is planned.", "“Succession", "Succession"),  # never closed: the stray mark goes
    ("The “Squid Game” series", "“Squid Game”", "“Squid Game”"),  # paired already
])
def test_a_short_answer_keeps_its_quotation_marks_paired(text, part, expected):
    from assistant.answer.reader.spans import with_quotes_closed

    doc = make_doc("q", text)
    at = doc.text.index(part)
    got = with_quotes_closed(Span("q", at, at + len(part), part, 0, {"PHRASE"}), doc)
    assert got.text == expected and doc.text[got.start:got.end] == expected


def test_which_type_of_question_keeps_the_category():
    doc = make_doc("k", "Members of the American rock band, KISS, said goodbye at their final concert.")
    reader = ReaderModels(lin(n_words=0.5, rel_pos=-2.0), READER.confidence, READER.calibration, state_at=0.0,
                          sentences=3)
    band = answerer([doc], reader=reader).explain("Which iconic band played its final concert?").reading
    kind = answerer([doc], reader=reader).explain("Which type of band played its final concert?").reading
    assert band.scored[0][1].text == kind.scored[0][1].text == "the American rock band"  # the span model's choice
    assert (band.span.text, kind.span.text) == ("KISS", "the American rock band")


@pytest.mark.parametrize("question, sentence, spans, expected", [
    # No span holds the month or the colour: the words of the sentence do.
    ("The rule is set to expire in which month?", "The rule, which lets federal officials expel migrants, is set "
     "to expire in May.", ["federal officials", "The rule"], "May"),
    ("Supporters showed it by wearing which color?", "Many people wore purple on Wednesday in honor of the day.",
     ["Many people", "Wednesday"], "purple"),
    ("Which college sport set a record?", "Over 92,000 people watched a cross between tennis and squash.",
     ["92,000 people"], "tennis"),  # the sport alone, not the words around it
    ("Which African country was it?", "The capsule was found in Western Australia and flown to Kenya.",
     ["The capsule"], "Kenya"),  # Australia is not in Africa
])
def test_a_value_of_the_asked_type_no_span_holds_is_read_from_the_sentence(question, sentence, spans, expected):
    from fakes import MemoryCorpus

    from assistant.answer.reader.asked import as_asked, asked_type

    doc = make_doc("s", sentence)
    scored = [(float(-i), Span("s", doc.text.index(t), doc.text.index(t) + len(t), t, 0, {"PHRASE"}))
              for i, t in enumerate(spans)]
    got = as_asked(scored[0][1], scored, MemoryCorpus([doc]), asked_type(question), question,
                   [(doc, 0, len(doc.text))])
    assert got.text == expected and doc.text[got.start:got.end] == expected
    assert as_asked(scored[0][1], scored, MemoryCorpus([doc]), asked_type(question), question).text != expected


def test_a_country_the_question_names_itself_is_no_answer_while_another_is_named():
    from fakes import MemoryCorpus

    from assistant.answer.reader.asked import as_asked, asked_type

    doc = make_doc("q", "North Korean leader Kim Jong Un may travel to Moscow to discuss supplying weapons.")
    corpus = MemoryCorpus([doc])

    def span(text):
        at = doc.text.index(text)
        return Span("q", at, at + len(text), text, 0, {"PHRASE"})

    scored = [(3.0, span("Moscow")), (2.0, span("North Korean leader Kim Jong Un"))]
    q = "Russia may be looking to which country to replenish its ammunition?"
    assert as_asked(scored[0][1], scored, corpus, asked_type(q), q).text == "North Korea"
    only = "Which country may Kim Jong Un travel to?"
    assert as_asked(scored[0][1], scored[:1], corpus, asked_type(only), only).text == "Russia"
    # The question's own country, when no other is named, is still read as one.
    own = "Russia may be looking to which country?"
    assert as_asked(scored[0][1], scored[:1], corpus, asked_type(own), own).text == "Russia"


def test_a_province_is_not_read_as_its_peoples_country():
    doc = make_doc("b", "A Sikh separatist was shot in British Columbia last year.")
    at = doc.text.index("British Columbia")
    bc = Span("b", at, at + len("British Columbia"), "British Columbia", 0, {"GPE"})
    assert as_country(bc, doc) is bc


@pytest.mark.parametrize("word, head, expected", [
    ("island", "island", True), ("bands", "band", True), ("subvariant", "variant", True),
    ("countries", "country", True), ("start", "art", False), ("woman", "man", False), ("scar", "car", False),
])
def test_a_category_word_is_the_asked_noun_its_plural_or_a_compound_of_a_long_one(word, head, expected):
    from assistant.answer.reader.spans import _is_noun

    assert _is_noun(word, head) is expected


@pytest.mark.parametrize("text, name, sources, expected", [
    ("McDonald’s, which has been upgrading its core items, is rolling out changes.", "McDonald", {"ORG"},
     "McDonald’s"),
    ("Wendy's is adding a new breakfast menu.", "Wendy", {"ORG", "PHRASE"}, "Wendy's"),
    ("McDonald’s burgers are getting softer buns.", "McDonald", {"ORG"}, "McDonald"),  # a possessive
    ("The plan was Biden’s.", "Biden", {"PERSON"}, "Biden"),  # only an organisation's name
])
def test_an_organisations_own_s_stays_with_its_name(text, name, sources, expected):
    from assistant.answer.reader.spans import with_name_s

    doc = make_doc("b", text)
    at = text.index(name)
    got = with_name_s(Span("b", at, at + len(name), name, 0, set(sources)), doc)
    assert got.text == expected and text[got.start:got.end] == expected
