"""Lists of several items (``assistant.answer.forms.lists`` and the list kind's enumeration):
the asked item type, typed items, routing, and the enumerated reply."""

from __future__ import annotations

import pytest
from fakes import entity, fake_answerer, make_doc

from assistant.answer.evidence import Evidence, candidate_sentences
from assistant.answer.forms import lists as L
from assistant.answer.forms.model import Choice
from assistant.answer.kinds import listing
from assistant.answer.learned import Linear
from assistant.answer.question import analyse
from assistant.models import QuestionKind

PANEL = make_doc(
    "panel",
    "Senators rebuke Vane over remarks\n"
    "Senators Ana Ruiz and Piet Vos, along with the Harlow Policy Institute, criticised Mayor Olaf Vane on Sunday. "
    "The dispute began in Harlow last week.\n"
    "Vane said he would not apologise.",
    title="Senators rebuke Vane over remarks", date="2024-03-05",
    mentions=[entity("PERSON", "Ana Ruiz"), entity("PERSON", "Piet Vos"), entity("ORG", "Harlow Policy Institute"),
              entity("PERSON", "Olaf Vane"), entity("GPE", "Harlow", after="dispute")])


@pytest.mark.parametrize("q,labels", [
    ("which GOP senators came out against the mayor", L.PEOPLE_LABELS),
    ("which activist investors were behind the merger", L.PEOPLE_LABELS),
    ("which states did the senator lose in april", L.PLACE_LABELS),
    ("what numbers does the article give for the population and voters", L.FIGURE_LABELS),
    ("who all went after the mayor for his remarks", L.WHO_LABELS),
    ("what lines of attack are his rivals using", ()),
    ("which organisations backed the plan", ("ORG",)),
])
def test_the_item_type_is_the_head_nouns(q, labels):
    assert L.wanted_labels(q) == labels


def _evidence(question: str) -> Evidence:
    corpus = fake_answerer([PANEL]).corpus
    qa = analyse(question, as_kind=(QuestionKind.LIST, {"items": "enumeration"}))
    passages = fake_answerer([PANEL]).retriever.retrieve(question, k=4)
    return Evidence(qa=qa, corpus=corpus, passages=passages, sents=candidate_sentences(corpus, qa, passages))


def test_typed_items_are_people_only_when_people_are_asked_and_not_the_questions_own_names():
    ev = _evidence("Which senators criticised Mayor Olaf Vane?")
    st = next(s for s in ev.sents if "criticised" in s.text)
    people = [m.text for m in L.typed_items(ev, st, L.PEOPLE_LABELS)]
    assert people == ["Ana Ruiz", "Piet Vos"]  # not the institute, not the asked-about mayor
    assert "Harlow Policy Institute" in [m.text for m in L.typed_items(ev, st, L.WHO_LABELS)]
    typed = _evidence("who all criticised olaf vane, the mayor?")  # a name typed in lower case, before a comma
    st = next(s for s in typed.sents if "criticised" in s.text)
    assert "Olaf Vane" not in [m.text for m in L.typed_items(typed, st, L.WHO_LABELS)]


def _router(weight: float) -> Choice:
    return Choice(Linear(("who_all",), (weight,), -1.0))


def test_the_router_reads_a_factoid_worded_list_as_a_list_and_leaves_other_forms_alone():
    qa = analyse("who all went after the mayor for his remarks")
    assert qa.kind != QuestionKind.LIST
    routed = L.route(qa, {"list_route": (_router(4.0), 0.5)})
    assert routed.kind == QuestionKind.LIST and routed.cue["items"] == "enumeration"
    assert L.route(qa, {"list_route": (_router(0.0), 0.5)}).kind == qa.kind  # below the threshold: as read
    why = analyse("why did the senators go after the mayor")
    assert L.route(why, {"list_route": (_router(4.0), 0.0)}).kind == QuestionKind.REASON
    # The route that claims it most, above its own threshold, wins.
    both = {"list_route": (_router(4.0), 0.9), "winner_route": (_router(4.0), 0.5)}
    assert L.route(qa, both).kind == QuestionKind.COMPARISON


def test_the_tail_alternatives_feature():
    assert L.route_features("in recent polls who's doing better, rubio or jeb bush")["tail_or"] == 1.0
    assert L.route_features("per the piece, which premiered first - the sopranos or the wire?")["tail_or"] == 1.0
    assert L.route_features("which states did he lose or win in april and may")["tail_or"] == 0.0
    assert L.route_features("who did obama appoint and which justices were they replacing")["and_wh"] == 1.0
    # A verb in -s after the noun is no plural head ("calls" is followed by "the"): one country is asked.
    assert L.route_features("besides latvia and lithuania, which country calls the crisis a hybrid attack")[
        "wh_plural"] == 0.0
    assert L.route_features("which GOP senators came out against the mayor")["wh_plural"] == 1.0


def test_route_features_read_the_wording():
    x = L.route_features("Which conservative media figures have started pushing back, besides Hannity?")
    assert x["wh_plural"] == 1.0 and x["else"] == 1.0 and x["who_all"] == 0.0
    assert set(x) == set(L.ROUTE_FEATURES)
    assert L.route_features("What did voters in Harlow decide in the referendum?")["wh_plural"] == 0.0
    assert L.route_features("which two baltic states closed crossings?")["wh_plural"] == 1.0


def test_an_enumerated_list_leads_with_its_typed_items_then_cites_the_sentence(monkeypatch):
    monkeypatch.setattr(L, "choice", lambda name: _router(4.0) if name == "list_route" else None)
    monkeypatch.setattr(L, "load", lambda: type("M", (), {"meta": {"list_route_threshold": 0.5}})())
    monkeypatch.setattr(listing, "choice", lambda name: None)
    ans = fake_answerer([PANEL]).ask("Who all criticised Mayor Olaf Vane?")
    assert ans.kind == "list" and not ans.abstained
    lines = ans.text.split("\n")
    assert lines[0] == "3 found:"
    assert lines[1:4] == ["- Ana Ruiz [1]", "- Piet Vos [1]", "- Harlow Policy Institute [1]"]
    assert lines[-1].startswith("From: “Senators Ana Ruiz and Piet Vos") and "Olaf Vane [1]" not in ans.text


def test_a_list_of_an_untyped_thing_gives_the_sentences(monkeypatch):
    monkeypatch.setattr(listing, "choice", lambda name: None)
    ev = _evidence("What lines of attack did the senators use against Vane?")
    (cand,) = listing.ListKind()._enumerated(ev)
    assert all(not it.text for it in cand.items)
    ns = list(range(1, len(cand.items) + 1))
    reply = listing.ListKind().reply(ev, cand, "", ns)
    assert reply.startswith(f"{len(cand.items)} found:\n- “")
    assert all(f"” [{n}]" in reply for n in ns)


def test_more_sentences_join_the_best_within_the_learned_reach():
    class S:
        def __init__(self, doc_id):
            self.doc = type("D", (), {"doc_id": doc_id})()

    a1, b1, a2, a3 = S("a"), S("b"), S("a"), S("a")
    scored = [(0.0, a1), (-0.5, b1), (-1.0, a2), (-5.0, a3)]  # log-odds, best first
    assert listing.extend(scored, 0.3, 5, False, logits=True) == [a1, b1, a2]  # exp(-1) >= 0.3 > exp(-5)
    assert listing.extend(scored, 0.3, 5, True, logits=True) == [a1, a2]  # the best sentence's article only
    assert listing.extend(scored, 0.3, 2, False, logits=True) == [a1, b1]
    assert listing.extend(scored, 1.0, 5, False, logits=True) == [a1]


def test_a_rule_read_list_of_people_lists_people_only():
    ans = fake_answerer([PANEL]).ask("Which senators criticised the mayor?")
    assert ans.kind == "list" and not ans.abstained
    assert "Ana Ruiz" in ans.text and "Piet Vos" in ans.text
    assert "Harlow Policy Institute" not in ans.text  # an organisation is not a senator


WIRE = make_doc(
    "wire",
    "Rivals rebuke Vane\n"
    "LOS ANGELES (AP) — Senators Ana Ruiz and Piet Vos criticised Mayor Olaf Vane in the state capital on Sunday.",
    title="Rivals rebuke Vane", date="2024-03-05",
    mentions=[entity("GPE", "LOS ANGELES"), entity("ORG", "AP"), entity("PERSON", "Ana Ruiz"),
              entity("PERSON", "Piet Vos"), entity("PERSON", "Olaf Vane"), entity("GPE", "state", after="the ")])


@pytest.mark.parametrize("text,prefix", [
    ("LOS ANGELES (AP) — Senators met.", "LOS ANGELES (AP) — "),
    ("TRENTON, N.J. (AP) — Was that really him?", "TRENTON, N.J. (AP) — "),
    ("FARGO, N.D. — Cruz won.", "FARGO, N.D. — "),
    ("Senators met in Los Angeles — again.", ""),
])
def test_a_dateline_is_the_place_and_agency_before_the_dash(text, prefix):
    from assistant.answer.forms.features import dateline_end

    assert text[:dateline_end(text)] == prefix


def test_list_items_skip_the_dateline_and_lower_case_tags():
    corpus = fake_answerer([WIRE]).corpus
    q = "who all criticised the mayor"
    qa = analyse(q, as_kind=(QuestionKind.LIST, {"items": "enumeration"}))
    passages = fake_answerer([WIRE]).retriever.retrieve(q, k=4)
    ev = Evidence(qa=qa, corpus=corpus, passages=passages, sents=candidate_sentences(corpus, qa, passages))
    st = next(s for s in ev.sents if "criticised" in s.text)
    assert [m.text for m in L.typed_items(ev, st, L.WHO_LABELS)] == ["Ana Ruiz", "Piet Vos", "Olaf Vane"]
    assert [m.text for m in L.typed_items(ev, st, L.PLACE_LABELS)] == []  # not LOS ANGELES, not "state"
