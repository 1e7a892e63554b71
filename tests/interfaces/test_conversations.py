"""The conversation store: per-owner conversations that outlive the process, titled by
their first question, renamed and deleted only by their owner, answers kept whole."""

from __future__ import annotations

import pytest

from assistant.errors import ConfigError
from assistant.interfaces.conversations import ConversationStore, title_from
from assistant.interfaces.render import answer_from_dict, answer_to_html, confidence_words
from assistant.models import Answer, Citation


def _answer(conf: float = 0.52) -> dict:
    c = Citation(1, "d1.txt", "Ferry season", "Coastal Wire", "2025-03-03", "48,215 passengers crossed the bay.",
                 10, 45, 0.9, 10, 16)
    return Answer(question="How many?", text="48,215 passengers [1]", answer="48,215 passengers", kind="figure",
                  abstained=False, citations=[c], confidence=conf, calibrated=True).to_dict()


def test_a_conversation_survives_closing_the_store_and_keeps_its_answers_whole(tmp_path):
    path = tmp_path / "conversations.sqlite"
    store = ConversationStore(path)
    conv = store.create("browser:abc")
    assert conv.title == "New conversation"
    store.append("browser:abc", conv.id, "How many ferry passengers crossed the bay in 2024?", _answer())
    store.append("browser:abc", conv.id, "And in 2023?", _answer(0.91))
    store.close()

    again = ConversationStore(path)
    (listed,) = again.list("browser:abc")
    assert listed.title == "How many ferry passengers crossed the bay in 2024?" and listed.turns == 2
    turns = again.turns("browser:abc", conv.id)
    assert [q for q, _ in turns] == ["How many ferry passengers crossed the bay in 2024?", "And in 2023?"]
    _, a = turns[0]
    assert confidence_words(answer_from_dict(a)) == "uncertain (52%)"
    html = answer_to_html(a)
    assert "uncertain (52%)" in html and 'href="#cite=' in html  # the citation still opens its sentence


def test_owners_see_only_their_own_conversations(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite")
    mine = store.create("user:ana")
    store.append("user:ana", mine.id, "q", _answer())
    assert store.list("user:bob") == []
    assert store.turns("user:bob", mine.id) == []
    with pytest.raises(ConfigError):
        store.append("user:bob", mine.id, "q2", _answer())
    with pytest.raises(ConfigError):
        store.rename("user:bob", mine.id, "stolen")
    assert store.delete("user:bob", mine.id) is False
    assert [c.title for c in store.list("user:ana")] == ["q"]


def test_rename_delete_and_order(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite")
    a = store.create("u")
    store.append("u", a.id, "first question", _answer())
    b = store.create("u")
    store.append("u", b.id, "second question", _answer())
    assert [c.id for c in store.list("u")] == [b.id, a.id]  # most recently used first
    store.append("u", a.id, "a follow-up", _answer())
    assert [c.id for c in store.list("u")] == [a.id, b.id]
    assert store.rename("u", a.id, "  Ferry   numbers ").title == "Ferry numbers"
    store.append("u", a.id, "more", _answer())
    assert store.get("u", a.id).title == "Ferry numbers"  # a title once given is kept
    with pytest.raises(ConfigError):
        store.rename("u", a.id, "   ")
    assert store.delete("u", a.id) is True
    assert [c.id for c in store.list("u")] == [b.id] and store.turns("u", a.id) == []


def test_titles_from_long_questions_end_at_a_word():
    q = "What did the harbour board chair say about the record ferry season and the new timetable for winter?"
    t = title_from(q, 60)
    assert len(t) <= 60 and t.endswith("…") and q.startswith(t[:-1]) and q[len(t) - 1] == " "
