"""The chat column: the models loading in the background (``Warmup``), a question
answered in a thread of its own while an LLM's tokens stream (``answer_in_thread``), and
the handlers of the chat (``ChatHandlers``: ask, with the reply streamed frame by frame;
open a cited source; export the conversation). ``app.py`` lays the page out and wires
them to its widgets.
"""

from __future__ import annotations

import logging
import queue
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import gradio as gr

import chatui.conversations as convs
from assistant.api import Assistant
from assistant.errors import AssistantError
from assistant.interfaces.render import (
    CITE_PREFIX,
    answer_from_dict,
    citation_key,
    conversation_to_markdown,
    display_title,
    document_html,
    parse_citation_key,
    question_html,
    show_date,
)
from assistant.interfaces.streaming import TokenStreamingLLM, draft_html, reply_frames
from assistant.interfaces.web import pending_html, status_html
from chatui.context import INTERNAL, Ctx

TITLE = "News assistant"
#: How often (seconds) the page and a waiting question check whether the models are loaded:
#: often enough that "ready" shows within a moment, rare enough to cost nothing.
WARM_POLL_SECONDS = 0.5
#: Pause (seconds) between the frames of a streamed reply (verdict, each cited sentence,
#: each source): long enough for the browser to draw each, short enough that a reply of
#: five frames is whole within a quarter of a second.
STREAM_DELAY = 0.04
#: Least time (seconds) between two drafts of an LLM reply sent to the page: tokens come
#: faster than a page redraws; this keeps the draft moving without flooding the socket.
DRAFT_EVERY = 0.05
LOADING = "Loading the language models (first start only)…"
log = logging.getLogger("app")


class Warmup:
    """Loads the models in a background thread as soon as the server starts, so the first
    question does not wait in silence; the page says so until they are ready."""

    def __init__(self, asst: Assistant) -> None:
        self.asst = asst
        self.ready = threading.Event()
        self.t0 = time.monotonic()
        self.seconds = 0.0

    def start(self) -> Warmup:
        threading.Thread(target=self._run, name="warm-up", daemon=True).start()
        return self

    def _run(self) -> None:
        try:
            self.asst.warm_up()
        except Exception:  # the first question will meet the same problem and report it
            log.exception("warming up the models failed")
        finally:
            self.seconds = time.monotonic() - self.t0
            self.ready.set()

    def elapsed(self) -> int:
        return int(time.monotonic() - self.t0)


# -- glue between widgets and the library ----------------------------------------------------------
def filters_of(docs: Sequence[str] | None, pubs: Sequence[str] | None, date_from: str | None,
              date_to: str | None) -> dict[str, Any] | None:
    f: dict[str, Any] = {}
    if docs:
        f["doc_id"] = list(docs)
    if pubs:
        f["publisher"] = list(pubs)
    if date_from and date_from.strip():
        f["date_from"] = date_from.strip()
    if date_to and date_to.strip():
        f["date_to"] = date_to.strip()
    return f or None


def _history(turns: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"question": t["question"], "answer": t["answer"]} for t in turns]


def _link_key(value: str) -> str:
    """The citation key in a clicked link's value ("#cite=<key> <timestamp>"): the page
    script appends the time so that clicking the same link twice still fires."""
    key = (value or "").rsplit(" ", 1)[0]
    key = key[1:] if key.startswith("#") else key
    return unquote(key[len(CITE_PREFIX):]) if key.startswith(CITE_PREFIX) else key


def answer_in_thread(asst: Assistant, question: str, kwargs: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Answer in a thread of its own, yielding ("draft", text) while an LLM writes (its
    tokens, at most every ``DRAFT_EVERY`` s) and then ("answer", Answer) or ("error", exc)."""
    events: queue.Queue = queue.Queue()
    llm = asst.llm if isinstance(asst.llm, TokenStreamingLLM) else None

    def work() -> None:
        try:
            ctx = llm.listening(lambda text: events.put(("draft", text))) if llm is not None else nullcontext()
            with ctx:
                events.put(("answer", asst.ask(question, **kwargs)))
        except BaseException as exc:  # handed to the page's thread, which reports it
            events.put(("error", exc))

    threading.Thread(target=work, name="ask", daemon=True).start()
    last = 0.0
    while True:
        kind, value = events.get()
        if kind == "draft":
            while not events.empty():  # only the newest draft matters
                nxt = events.get()
                if nxt[0] != "draft":
                    events.put(nxt)  # keep the answer for the next round
                    break
                value = nxt[1]
            if events.empty() and time.monotonic() - last < DRAFT_EVERY:
                time.sleep(DRAFT_EVERY - (time.monotonic() - last))
            last = time.monotonic()
            yield kind, value
            continue
        yield kind, value
        return


class ChatHandlers:
    """The chat's handlers over one page's shared state (``Ctx``)."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        #: Milliseconds from a question's arrival to its first reply frame leaving the handler
        #: (the server's share of the first visible token; ``tools/bench_stream.py`` reads it).
        self.first_frame_ms: list[float] = []

    def status_now(self) -> str:
        warm = self.ctx.warm
        return "" if warm.ready.is_set() else status_html(f"{LOADING} {warm.elapsed()} s", "loading")

    def open_key(self, key: str) -> str:
        """The viewer showing a citation (``citation_key``), or why it cannot."""
        parsed = parse_citation_key(key or "")
        if parsed is None:
            return document_html(None)
        doc_id, s, e, a_s, a_e = parsed
        try:
            return document_html(self.ctx.asst.document(doc_id), s, e, a_s, a_e)
        except AssistantError as exc:
            return self.ctx.err(exc)

    def respond(self, message: str, chat: list[dict[str, Any]], turns: list[dict[str, Any]], conv: str,
                browser_id: str, docs: list[str], pubs: list[str], date_from: str, date_to: str,
                request: gr.Request) -> Iterator[tuple[Any, ...]]:
        # outputs: question box, chat, turns, sources of the last answer, viewer, status line,
        # conversation id, conversation list
        started = time.perf_counter()
        ctx, warm = self.ctx, self.ctx.warm
        first_frame_ms = self.first_frame_ms  # the first frame's time is noted once (bench_stream)
        keep = (gr.update(), gr.update())
        question = message or ""
        chat = list(chat or [])
        if not question.strip():
            yield ("", chat, turns, gr.update(), gr.update(),
                   status_html("Type a question first, e.g. one of the examples below.", "hint"), *keep)
            return
        chat += [{"role": "user", "content": question_html(question)},
                 {"role": "assistant", "content": pending_html()}]
        yield "", chat, turns, gr.update(), gr.update(), self.status_now(), *keep
        while not warm.ready.wait(WARM_POLL_SECONDS):
            chat[-1] = {"role": "assistant", "content": pending_html(f"{LOADING} {warm.elapsed()} s")}
            yield "", chat, turns, gr.update(), gr.update(), self.status_now(), *keep
        ans = None
        model = str(getattr(ctx.asst.llm, "model", "") or "")
        kwargs = {"history": _history(turns or []), "filters": filters_of(docs, pubs, date_from, date_to)}
        for kind, value in answer_in_thread(ctx.asst, question, kwargs):
            if kind == "draft":  # an LLM's tokens, as it writes them
                chat[-1] = {"role": "assistant", "content": draft_html(value, model)}
                yield "", chat, turns, gr.update(), gr.update(), "", *keep
            elif kind == "answer":
                ans = value
            else:
                if isinstance(value, AssistantError):
                    chat[-1] = {"role": "assistant", "content": ctx.err(value)}
                else:  # never a traceback in the chat: log it, say so, keep serving
                    log.error("answering %r failed", question[:200], exc_info=value)
                    chat[-1] = {"role": "assistant", "content": ctx.err(INTERNAL)}
                yield "", chat, turns, gr.update(), gr.update(), "", *keep
                return
        # The reply as it is composed: the verdict, each cited sentence, each source (each
        # frame drawn only when it is sent, so the verdict goes out first).
        frames = reply_frames(ans, doc_text=ctx.doc_text, scanned=ctx.scanned)
        frame = next(frames)
        for following in frames:
            chat[-1] = {"role": "assistant", "content": frame}
            if first_frame_ms is not None:
                first_frame_ms.append((time.perf_counter() - started) * 1000)
                first_frame_ms = None
            yield "", chat, turns, gr.update(), gr.update(), "", *keep
            if ctx.stream_delay:
                time.sleep(ctx.stream_delay)
            frame = following
        chat[-1] = {"role": "assistant", "content": frame}
        record = ans.to_dict()
        turns = [*(turns or []), {"question": question, "answer": record}]
        try:
            conv, listing = convs.save_turn(self.ctx, convs.owner_of(request, browser_id), conv, question, record)
        except Exception:  # the answer stands; saving it failed (a full disk, a locked file)
            log.exception("saving the conversation failed")
            listing = gr.update()
        # The Document tab follows the newest answer: its sources, the first one open. An
        # abstention's passages do not answer the question, so none is opened.
        choices = [(f"[{c.n}] {display_title(c.title, c.doc_id, ctx.doc_text(c.doc_id))} · {c.publisher or '-'}"
                    f" · {show_date(c.date) or '-'}", citation_key(c)) for c in ans.citations]
        if ans.citations and not ans.abstained:
            first = citation_key(ans.citations[0])
            pick, view = gr.update(choices=choices, value=first), self.open_key(first)
        else:
            pick = gr.update(choices=choices, value=None)
            view = document_html(None, empty=(
                "The last question was not answered from the corpus; click a passage under it to read "
                "its article." if ans.abstained else "The last answer cites no article."))
        yield "", chat, turns, pick, view, "", conv, listing

    def open_source(self, key: str) -> tuple[str, Any]:
        return self.open_key(key), gr.Tabs(selected="doc-tab")

    def open_link(self, value: str, turns: list[dict[str, Any]]) -> tuple[str, Any, Any]:
        key = _link_key(value)
        view, tab = self.open_source(key)
        # The picker lists the last answer's sources: it shows the one opened, or none when
        # the link was in an earlier answer.
        last = answer_from_dict(turns[-1]["answer"]).citations if turns else []
        return view, tab, gr.update(value=key if key in {citation_key(c) for c in last} else None)

    def export(self, turns: list[dict[str, Any]], conv: str, browser_id: str, request: gr.Request) -> Any:
        if not turns:
            return gr.File(value=None, visible=False)
        saved = self.ctx.store.get(convs.owner_of(request, browser_id), conv) if conv else None
        md = conversation_to_markdown([(t["question"], t["answer"]) for t in turns],
                                      title=saved.title if saved else TITLE, doc_text=self.ctx.doc_text,
                                      scanned=self.ctx.scanned)
        out = Path(tempfile.mkdtemp(prefix="conversation-")) / "conversation.md"
        out.write_text(md, encoding="utf-8")
        return gr.File(value=str(out), visible=True)

    def status_tick(self) -> tuple[str, Any]:
        return self.status_now(), gr.Timer(active=not self.ctx.warm.ready.is_set())
