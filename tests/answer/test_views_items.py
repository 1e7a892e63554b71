"""Who said what and the timeline list only what belongs there (issue #27): no headline
and no narrator's description of a speaker among their statements; no date that only
bounds a period ("sanctions imposed after 2020") as an event. And a clipped quotation ends
at a word, with an ellipsis."""

from __future__ import annotations

import pytest

from assistant.answer.kinds.base import clip
from assistant.answer.views import BOUND_QUALIFIERS, MIN_REPORTED_CONFIDENCE, is_headline


@pytest.fixture(scope="module")
def asst(seed_index_fake):
    from assistant.api import Assistant

    a = Assistant.open(index_dir=seed_index_fake)
    yield a
    a.close()


TOPICS = ["the Minsk conference", "the migration crisis", "sanctions on Belarus", "illegal migration"]


@pytest.mark.parametrize("topic", TOPICS)
def test_who_said_lists_no_headline_and_no_narrators_description(asst, topic):
    speakers = asst.who_said_what(topic)
    assert speakers
    for sp in speakers:
        for said in sp.statements:
            doc = asst.document(said.doc_id)
            assert not is_headline(doc, said.start, said.end), (sp.name, said.sentence)
            records = [q for q in doc.quotes if said.start <= q.start < said.end and q.speaker == said.speaker]
            assert any(q.kind == "direct" or q.confidence >= MIN_REPORTED_CONFIDENCE for q in records), said.sentence


def test_the_seed_headline_quote_is_what_was_excluded(asst):
    """The corpus has what the rule is for: a headline that reports speech ("X says ...")."""
    heads = [(d, q) for d in (asst.document(r["doc_id"]) for r in asst.stats()["docs"]) for q in d.quotes
             if is_headline(d, *d.sentence_at(q.start))]
    assert heads


@pytest.mark.parametrize("topic", TOPICS)
def test_timeline_dates_are_never_bounds(asst, topic):
    for ev in asst.timeline(topic):
        doc = asst.document(ev.doc_id)
        (m,) = [m for m in doc.mentions if m.kind == "DATE" and (m.start, m.end) == (ev.date_start, ev.date_end)]
        assert m.qualifier.lower() not in BOUND_QUALIFIERS, (ev.when, ev.sentence)


def test_a_clipped_quote_ends_at_a_word_with_an_ellipsis():
    s = ("As soon as they imposed the rules, I told them we would not be catching anyone,” the minister said, "
         "speaking at the annual Northern Regional Forum on Fisheries on October 28.")
    out = clip(s, 120)
    assert len(out) <= 120 and out.endswith("…")
    head = out[:-1]
    assert s.startswith(head) and s[len(head)] == " "  # cut between words, never inside one
    assert clip("short", 120) == "short"
    assert clip("x" * 50, 20) == "x" * 19 + "…"  # one word longer than the limit is cut
