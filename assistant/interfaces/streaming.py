"""A reply as it is composed, for the chat to stream: the verdict first, then each cited
sentence, then its sources; and, with an LLM, the model's own tokens as they come.

``reply_frames(answer)`` cuts a finished ``Answer`` into the HTML the chat shows step by
step: the verdict (the reply up to its first citation marker, or "The corpus does not
say", or "Sources differ" with every value) with its confidence, then the reply grown by
one cited sentence at a time, then the source cards one by one, and last the full reply.
Whatever ``Answer.text`` holds is streamed as written: nothing here composes answers.

``TokenStreamingLLM`` wraps the llama-index LLM given to ``Assistant`` so that the checked
synthesis (``answer.llm.synthesise``, which calls ``llm.chat``) streams the model's
tokens to whoever listens on the calling thread, while still returning the whole reply
to be checked; the chat shows them as a draft until the checked answer replaces it.
"""

from __future__ import annotations

import contextlib
import html
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from assistant.interfaces.render import DocText, Scanned, answer_from_dict, answer_to_html
from assistant.models import Answer

__all__ = ["TokenStreamingLLM", "draft_html", "reply_frames", "reply_pieces"]

#: The end of a cited piece of a reply: one or more markers ("[1]", "[1][2]"), with the
#: closing quotation mark or punctuation that belongs to the sentence before them.
_CITED = re.compile(r"(?:\[\d{1,3}\])+[”\"’)\].,;:!?]*")
#: The end of a sentence inside a reply (a quoted one too), before the space that follows.
_SENTENCE_END = re.compile(r"[.!?…][”\"’)\]]*(?=\s)")


def reply_pieces(text: str) -> list[str]:
    """``text`` cut after each run of citation markers and at each sentence end: the
    verdict ("at least 40,549 crossings [1]"), then each sentence in turn (a cited
    sentence's markers stay with it). Joined, the pieces are ``text``."""
    marks = {m.end() for m in _CITED.finditer(text)}
    # A sentence end whose markers follow ("… in 2024.” [1]") is cut after the markers.
    ends = {m.end() for m in _SENTENCE_END.finditer(text) if not re.match(r"\s?\[\d", text[m.end():])}
    pieces, start = [], 0
    for cut in sorted(marks | ends):
        if cut > start:
            pieces.append(text[start:cut])
            start = cut
    if start < len(text):
        if pieces and not text[start:].strip():
            pieces[-1] += text[start:]
        else:
            pieces.append(text[start:])
    return pieces or [text]


def reply_frames(ans: Answer | Mapping[str, Any], *, doc_text: DocText | None = None,
                 scanned: Scanned | None = None) -> Iterator[str]:
    """The HTML of ``ans`` as it is revealed, frame by frame; the last frame is the full reply."""
    ans = answer_from_dict(ans)
    if ans.abstained or ans.conflicts:
        # The verdict is one block ("The corpus does not say", or every value side by side).
        yield answer_to_html(ans, doc_text=doc_text, with_sources=False, streaming=True, scanned=scanned)
    else:
        pieces = reply_pieces(ans.text)
        for i in range(1, len(pieces) + 1):
            part = replace(ans, text="".join(pieces[:i]).rstrip())
            yield answer_to_html(part, doc_text=doc_text, with_sources=False, streaming=True, scanned=scanned)
    for k in range(1, len(ans.citations)):
        yield answer_to_html(ans, doc_text=doc_text, streaming=True, scanned=scanned, sources_shown=k)
    yield answer_to_html(ans, doc_text=doc_text, scanned=scanned)


def draft_html(text: str, model: str = "") -> str:
    """An LLM's reply while it is being written: shown as a draft, to be checked."""
    who = f" ({html.escape(model)})" if model else ""
    body = "<br>".join(html.escape(line) for line in text.strip().split("\n")) or "…"
    return (f'<div class="answer streaming draft"><div class="reply verdict">{body}</div>'
            f'<div class="notice">Written by the LLM{who}; checked against the sources when it is done.</div></div>')


class TokenStreamingLLM:
    """A llama-index LLM whose ``chat`` streams its tokens to the listener of the calling
    thread (``listening``), and returns the whole reply as ``chat`` would. Everything else
    is the wrapped LLM's (its model name, URL and timeout, for the messages about it)."""

    def __init__(self, llm: Any) -> None:
        self._llm = llm
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)

    @contextlib.contextmanager
    def listening(self, on_text: Callable[[str], None]) -> Iterator[None]:
        """While inside, ``chat`` calls on this thread pass the reply so far to ``on_text``
        after every token (a new call starts from ""; a follow-up may ask twice)."""
        self._local.listener = on_text
        try:
            yield
        finally:
            self._local.listener = None

    def chat(self, messages: Any, **kwargs: Any) -> Any:
        listener = getattr(self._local, "listener", None)
        stream = getattr(self._llm, "stream_chat", None)
        if listener is None or stream is None:
            return self._llm.chat(messages, **kwargs)
        from llama_index.core.llms import ChatMessage, ChatResponse

        text = ""
        listener(text)
        for part in stream(messages, **kwargs):
            delta = part.delta if part.delta is not None else ""
            text = text + delta if delta else str(part.message.content or text)
            listener(text)
        return ChatResponse(message=ChatMessage(role="assistant", content=text))
