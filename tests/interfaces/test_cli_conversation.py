"""The command line's conversation and views: ``ask --history``, ``chat``, ``timeline``,
``who-said``, and filter notices (on the hashing-embedder seed index)."""

from __future__ import annotations

import io
import json

import pytest

from assistant.interfaces.cli import main

pytestmark = pytest.mark.slow  # the seed index is built with spaCy


def run(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_ask_with_history_reads_a_follow_up(seed_index_fake, capsys):
    out = run(capsys, "ask", "What did he say about negotiations?", "--history", "Who is Alaksandar Valfovič?",
              "--index-dir", str(seed_index_fake))
    assert "(understood as: What did Alaksandar Valfovič say about negotiations?)" in out


def test_chat_keeps_the_conversation(seed_index_fake, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Who is Juryj Nazaranka?\nWhat did he say in his address?\n\n"))
    out = run(capsys, "chat", "--index-dir", str(seed_index_fake))
    assert "understood as: What did Juryj Nazaranka say in his address?" in out


def test_every_reply_under_a_filter_says_so(seed_index_fake, capsys):
    out = run(capsys, "ask", "When did the migration crisis begin?", "--publisher", "Pozirk",
              "--index-dir", str(seed_index_fake))
    assert out.startswith("note: Filtered: only publisher Pozirk.")
    out = run(capsys, "ask", "When did the migration crisis begin?", "--date-from", "2025-01-01",
              "--index-dir", str(seed_index_fake))
    assert "The date filter also left out 5 articles that give no year." in out


def test_timeline_and_who_said_views(seed_index_fake, capsys):
    events = json.loads(run(capsys, "timeline", "the migration crisis", "--json", "--index-dir", str(seed_index_fake)))
    assert len(events) >= 2 and {"when", "value", "doc_id", "start", "end", "sentence"} <= set(events[0])
    keys = [tuple(int(x) for x in e["value"].replace("spring", "03").split("-")[:2] if x.isdigit()) for e in events]
    assert keys == sorted(keys)
    text = run(capsys, "timeline", "the migration crisis", "--index-dir", str(seed_index_fake))
    assert "spring 2021" in text
    speakers = json.loads(run(capsys, "who-said", "the Minsk conference on illegal migration", "--json",
                              "--index-dir", str(seed_index_fake)))
    names = [s["name"] for s in speakers]
    assert "Juryj Nazaranka" in names and all(s["statements"] for s in speakers)
