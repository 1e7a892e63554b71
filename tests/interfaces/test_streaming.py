"""Replies streamed as they are composed: the verdict first, then each cited sentence, then
each source; with an LLM, its tokens as they arrive from a real (fake) HTTP stream."""

from __future__ import annotations

import itertools
import time

from llm_server import FakeLLMServer

from assistant.answer.llm import make_llm, synthesise
from assistant.interfaces.render import answer_to_html
from assistant.interfaces.streaming import TokenStreamingLLM, draft_html, reply_frames, reply_pieces
from assistant.models import Answer, Citation

TEXT = ("at least 48,215 passengers [1] — “48,215 ferry passengers crossed the bay in 2024.” "
        "The union counted 51,300 [2].")


def _answer(text: str = TEXT) -> Answer:
    cites = [Citation(1, "a.txt", "Ferry season", "Coastal Wire", "2025-03-03",
                      "48,215 ferry passengers crossed the bay in 2024.", 0, 49, 0.9, 0, 6),
             Citation(2, "b.txt", "Union count", "Bay Herald", "2025-03-09",
                      "The union said 51,300 ferry passengers crossed the bay.", 0, 55, 0.8)]
    return Answer(question="How many ferry passengers crossed the bay in 2024?", text=text,
                  answer="48,215 passengers", kind="figure", abstained=False, citations=cites, confidence=0.78,
                  calibrated=True)


def test_pieces_cut_after_each_citation_and_join_back():
    pieces = reply_pieces(TEXT)
    assert pieces[0] == "at least 48,215 passengers [1]"
    assert "".join(pieces) == TEXT and len(pieces) == 3
    assert reply_pieces('He said: “We will.” [1] “Soon.” [2]') == ['He said: “We will.” [1]', ' “Soon.” [2]']
    assert reply_pieces("no marker") == ["no marker"]


def test_frames_show_the_verdict_first_then_each_sentence_then_each_source():
    ans = _answer()
    frames = list(reply_frames(ans))
    assert frames[-1] == answer_to_html(ans)
    first = frames[0]
    assert "at least 48,215 passengers" in first and "Confidence: likely right (78%)" in first
    assert "crossed the bay in 2024" not in first and 'class="source"' not in first  # the verdict alone
    assert "streaming" in first
    assert "crossed the bay in 2024" in frames[1] and "51,300" not in frames[1]
    assert "51,300" in frames[2] and 'class="source"' not in frames[2]
    sources = [f.count('class="source"') for f in frames]
    assert sources == sorted(sources) and sources[-1] == 2 and sources[3] == 1  # one card at a time
    assert all("streaming" in f for f in frames[:-1]) and "streaming" not in frames[-1]


def test_an_abstention_streams_its_verdict_before_its_passages():
    ans = _answer("The corpus does not say: nothing about 2023.")
    ans.abstained = True
    frames = list(reply_frames(ans))
    assert "The corpus does not say" in frames[0] and 'class="source"' not in frames[0]
    assert frames[-1] == answer_to_html(ans)


def test_llm_tokens_stream_from_the_server_before_the_reply_is_complete():
    reply = "At least 48,215 ferry passengers crossed the bay in 2024 [1], while the union counted 51,300 [2]."
    with FakeLLMServer(reply, pause=0.04) as srv:
        llm = TokenStreamingLLM(make_llm("openai-like", url=srv.url, model="fake-model", timeout=10))
        seen: list[tuple[float, str]] = []
        ans = _answer()
        with llm.listening(lambda text: seen.append((time.monotonic(), text))):
            out = synthesise(llm, ans, [])
    assert srv.requests and srv.requests[0]["stream"] is True
    assert out.text == reply and "checked against the cited passages" in out.notice  # checked as before
    texts = [t for _, t in seen if t]
    assert len(texts) >= 10 and all(b.startswith(a) for a, b in itertools.pairwise(texts))
    assert texts[-1] == reply
    first_seen, last_sent = seen[1][0], srv.sent[-1][0]
    assert first_seen < last_sent  # the first words were shown while the model was still writing
    assert "fake-model" in draft_html("At least", "fake-model")


def test_without_a_listener_the_llm_is_asked_as_before():
    reply = "At least 48,215 ferry passengers crossed the bay in 2024 [1]; the union counted 51,300 [2]."
    with FakeLLMServer(reply, pause=0.0) as srv:
        llm = TokenStreamingLLM(make_llm("openai-like", url=srv.url, model="m", timeout=10))
        out = synthesise(llm, _answer(), [])
    assert srv.requests[0].get("stream") in (None, False) and out.text == reply
