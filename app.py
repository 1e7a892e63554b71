"""The chat: a Gradio page over ``assistant`` (``python app.py`` or ``assistant serve``).

This file only lays out the page and calls the library: answering lives in
``assistant.api``, rendering in ``assistant.render``, upload safety in
``assistant.uploads``. It binds 127.0.0.1:7860 unless told otherwise, and makes
no public link unless ``--share`` is given.

API (``gradio_client``)::

    from gradio_client import Client
    client = Client("http://127.0.0.1:7860/")             # auth=("user", "pass") if --auth
    answer = client.predict("How many ...?", "", "", api_name="/ask")
    answer["answer"], answer["citations"][0]["quote"]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import unquote

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing may phone home
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr

import chatui.conversations as convs
import chatui.documents as docs_ui
from assistant.api import Assistant
from assistant.config import ENV_AUTH, default_seeds_dir
from assistant.errors import AssistantError, ConfigError, IndexMissing
from assistant.ingest.uploads import ALLOWED_SUFFIXES, MAX_UPLOAD_BYTES, default_upload_dir, stage_uploads
from assistant.interfaces.conversations import ConversationStore
from assistant.interfaces.invocation import as_invoked
from assistant.interfaces.options import add_index_args, add_llm_args, llm_from, settings_from
from assistant.interfaces.render import (
    CITE_PREFIX,
    answer_from_dict,
    citation_key,
    conversation_to_markdown,
    display_title,
    document_html,
    ingest_results_html,
    parse_citation_key,
    question_html,
    show_date,
    stats_html,
)
from assistant.interfaces.streaming import TokenStreamingLLM, draft_html, reply_frames
from assistant.interfaces.views_html import speakers_html, timeline_html
from assistant.interfaces.web import (
    CSS,
    PAGE_JS,
    SHOW_SOURCE_JS,
    pending_html,
    scrub_paths,
    status_html,
)
from chatui.context import INTERNAL, Ctx

TITLE = "News assistant"
#: Questions answered at once. The answerer is read-only, but the machine it targets has few cores.
ASK_CONCURRENCY = int(os.environ.get("ASSISTANT_ASK_CONCURRENCY", "2"))
#: How often (seconds) the page and a waiting question check whether the models are loaded:
#: often enough that "ready" shows within a moment, rare enough to cost nothing.
WARM_POLL_SECONDS = 0.5
#: Pause (seconds) between the frames of a streamed reply (verdict, each cited sentence,
#: each source): long enough for the browser to draw each, short enough that a reply of
#: five frames is whole within a quarter of a second.
STREAM_DELAY = 0.04
#: How often (seconds) an open page checks whether the corpus changed (an upload or a
#: delete in another session, or another process): the documents table, the corpus summary
#: and the filters then show it. A check reads one generation token: nothing when unchanged.
CORPUS_POLL_SECONDS = 5.0
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
def _filters(docs: Sequence[str] | None, pubs: Sequence[str] | None, date_from: str | None,
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


def _parse_json(value: str | None, what: str) -> Any:
    if value is None or not str(value).strip():
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc}", fix=f"pass {what} as a JSON string, or leave it empty") from exc


def _link_key(value: str) -> str:
    """The citation key in a clicked link's value ("#cite=<key> <timestamp>"): the page
    script appends the time so that clicking the same link twice still fires."""
    key = (value or "").rsplit(" ", 1)[0]
    key = key[1:] if key.startswith("#") else key
    return unquote(key[len(CITE_PREFIX):]) if key.startswith(CITE_PREFIX) else key


def _answer_in_thread(asst: Assistant, question: str, kwargs: dict[str, Any]) -> Iterator[tuple[str, Any]]:
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


def build_app(asst: Assistant, *, upload_dir: str | Path | None = None, stream_delay: float = STREAM_DELAY,
              warmup: Warmup | None = None, conversations: ConversationStore | None = None) -> gr.Blocks:
    """The chat page over an open ``Assistant``. Launch it with ``launch(demo, ...)``.

    The models start loading in the background at once (``warmup``, if given, is used
    instead and may already be running). Conversations are kept in ``conversations``
    (default: ``conversations.sqlite`` beside the index's caches)."""
    updir = Path(upload_dir) if upload_dir is not None else default_upload_dir(asst.settings)
    warm = warmup or Warmup(asst).start()
    store = conversations or ConversationStore.beside(asst.settings)
    ctx = Ctx(asst, updir, store, warm, stream_delay)
    err = ctx.err
    #: Milliseconds from a question's arrival to its first reply frame leaving the handler
    #: (the server's share of the first visible token; ``tools/bench_stream.py`` reads it).
    server_first_frame_ms: list[float] = []

    def status_now() -> str:
        return "" if warm.ready.is_set() else status_html(f"{LOADING} {warm.elapsed()} s", "loading")

    def open_key(key: str) -> str:
        """The viewer showing a citation (``citation_key``), or why it cannot."""
        parsed = parse_citation_key(key or "")
        if parsed is None:
            return document_html(None)
        doc_id, s, e, a_s, a_e = parsed
        try:
            return document_html(asst.document(doc_id), s, e, a_s, a_e)
        except AssistantError as exc:
            return err(exc)

    # -- handlers ----------------------------------------------------------------------------------
    def respond(message: str, chat: list[dict[str, Any]], turns: list[dict[str, Any]], conv: str, browser_id: str,
                docs: list[str], pubs: list[str], date_from: str, date_to: str,
                request: gr.Request) -> Iterator[tuple[Any, ...]]:
        # outputs: question box, chat, turns, sources of the last answer, viewer, status line,
        # conversation id, conversation list
        started = time.perf_counter()
        first_frame_ms = server_first_frame_ms  # the first frame's time is noted once (bench_stream)
        keep = (gr.update(), gr.update())
        question = message or ""
        chat = list(chat or [])
        if not question.strip():
            yield ("", chat, turns, gr.update(), gr.update(),
                   status_html("Type a question first, e.g. one of the examples below.", "hint"), *keep)
            return
        chat += [{"role": "user", "content": question_html(question)},
                 {"role": "assistant", "content": pending_html()}]
        yield "", chat, turns, gr.update(), gr.update(), status_now(), *keep
        while not warm.ready.wait(WARM_POLL_SECONDS):
            chat[-1] = {"role": "assistant", "content": pending_html(f"{LOADING} {warm.elapsed()} s")}
            yield "", chat, turns, gr.update(), gr.update(), status_now(), *keep
        ans = None
        model = str(getattr(asst.llm, "model", "") or "")
        kwargs = {"history": _history(turns or []), "filters": _filters(docs, pubs, date_from, date_to)}
        for kind, value in _answer_in_thread(asst, question, kwargs):
            if kind == "draft":  # an LLM's tokens, as it writes them
                chat[-1] = {"role": "assistant", "content": draft_html(value, model)}
                yield "", chat, turns, gr.update(), gr.update(), "", *keep
            elif kind == "answer":
                ans = value
            else:
                if isinstance(value, AssistantError):
                    chat[-1] = {"role": "assistant", "content": err(value)}
                else:  # never a traceback in the chat: log it, say so, keep serving
                    log.error("answering %r failed", question[:200], exc_info=value)
                    chat[-1] = {"role": "assistant", "content": err(INTERNAL)}
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
            if stream_delay:
                time.sleep(stream_delay)
            frame = following
        chat[-1] = {"role": "assistant", "content": frame}
        record = ans.to_dict()
        turns = [*(turns or []), {"question": question, "answer": record}]
        try:
            conv, listing = convs.save_turn(ctx, convs.owner_of(request, browser_id), conv, question, record)
        except Exception:  # the answer stands; saving it failed (a full disk, a locked file)
            log.exception("saving the conversation failed")
            listing = gr.update()
        # The Document tab follows the newest answer: its sources, the first one open. An
        # abstention's passages do not answer the question, so none is opened.
        choices = [(f"[{c.n}] {display_title(c.title, c.doc_id, ctx.doc_text(c.doc_id))} · {c.publisher or '-'}"
                    f" · {show_date(c.date) or '-'}", citation_key(c)) for c in ans.citations]
        if ans.citations and not ans.abstained:
            first = citation_key(ans.citations[0])
            pick, view = gr.update(choices=choices, value=first), open_key(first)
        else:
            pick = gr.update(choices=choices, value=None)
            view = document_html(None, empty=(
                "The last question was not answered from the corpus; click a passage under it to read "
                "its article." if ans.abstained else "The last answer cites no article."))
        yield "", chat, turns, pick, view, "", conv, listing

    def open_source(key: str) -> tuple[str, Any]:
        return open_key(key), gr.Tabs(selected="doc-tab")

    def open_link(value: str, turns: list[dict[str, Any]]) -> tuple[str, Any, Any]:
        key = _link_key(value)
        view, tab = open_source(key)
        # The picker lists the last answer's sources: it shows the one opened, or none when
        # the link was in an earlier answer.
        last = answer_from_dict(turns[-1]["answer"]).citations if turns else []
        return view, tab, gr.update(value=key if key in {citation_key(c) for c in last} else None)

    def ingest_files(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        paths = [str(f) for f in (files or [])]
        if not paths:
            return (ingest_results_html([], "no files chosen"), *ctx.side_panel())
        rows: list[dict[str, Any]] = []
        try:
            staged = stage_uploads([(Path(p).name, p) for p in paths], updir)
        except AssistantError as exc:
            return (err(exc), *ctx.side_panel())
        rows += [{"file": name, "status": "rejected", "reason": why} for name, why in staged.rejected]
        summary = ""
        if staged.saved:
            names = {str(p): name for name, p in staged.saved}
            total = len(staged.saved)
            done = [0]
            progress(0.0, desc=f"ingesting {total} file(s)")

            def tick(kind: str, res: Any) -> None:
                if res is not None:
                    done[0] += 1
                    progress(min(done[0], total) / total, desc=f"{res.status}: {res.doc_id or Path(res.source).name}")

            try:
                report = asst.ingest(staged.paths, progress=tick, wait=False)
            except AssistantError as exc:
                return (err(exc), *ctx.side_panel())
            except Exception:
                log.exception("ingesting uploads failed")
                return (err(INTERNAL), *ctx.side_panel())
            for r in report.results:
                rows.append({"file": names.get(str(Path(r.source).resolve()), names.get(r.source, Path(r.source).name)),
                             "status": r.status, "doc_id": r.doc_id, "chunks": r.chunks,
                             "reason": scrub_paths(r.reason, ctx.known)})
            summary = report.summary()
        return (ingest_results_html(rows, summary), *ctx.side_panel())

    def export(turns: list[dict[str, Any]], conv: str, browser_id: str, request: gr.Request) -> Any:
        if not turns:
            return gr.File(value=None, visible=False)
        saved = store.get(convs.owner_of(request, browser_id), conv) if conv else None
        md = conversation_to_markdown([(t["question"], t["answer"]) for t in turns],
                                      title=saved.title if saved else TITLE, doc_text=ctx.doc_text,
                                      scanned=ctx.scanned)
        out = Path(tempfile.mkdtemp(prefix="conversation-")) / "conversation.md"
        out.write_text(md, encoding="utf-8")
        return gr.File(value=str(out), visible=True)

    def api_ask(question: str, history: str = "", filters: str = "") -> dict:
        """Answer ``question``; ``history`` is an optional JSON list of earlier turns
        (questions, or {"question", "answer"}), ``filters`` an optional JSON object
        (doc_id, publisher, date_from, date_to). Returns the Answer as JSON."""
        try:
            hist = _parse_json(history, "history") or []
            flt = _parse_json(filters, "filters")
            if not isinstance(hist, list) or (flt is not None and not isinstance(flt, dict)):
                raise ConfigError("history must be a JSON list and filters a JSON object",
                                  fix='e.g. history=["When did X start?"], filters={"publisher": "Reuters"}')
            return asst.ask(question, history=hist, filters=flt).to_dict()
        except AssistantError as exc:
            raise gr.Error(scrub_paths(str(exc), ctx.known)) from exc

    # The views by name: what finds the items, and what draws them for the chat.
    views: dict[str, tuple[Any, Any]] = {"timeline": (asst.timeline, timeline_html),
                                         "who_said": (asst.who_said_what, speakers_html)}

    def view(kind: str, topic: str, docs: Sequence[str] | None, pubs: Sequence[str] | None,
             date_from: str | None, date_to: str | None) -> str:
        """The ``kind`` view of ``topic`` under the chat's filters."""
        topic = (topic or "").strip()
        if not topic:
            return status_html("Type a topic first, e.g. a person, a place or an event.", "hint")
        find, draw = views[kind]
        try:
            return draw(topic, find(topic, filters=_filters(docs, pubs, date_from, date_to)))
        except AssistantError as exc:
            return err(exc)

    def api_view(kind: str) -> Any:
        find = views[kind][0]

        def run(topic: str, filters: str = "") -> list[dict]:
            try:
                flt = _parse_json(filters, "filters")
                if flt is not None and not isinstance(flt, dict):
                    raise ConfigError("filters must be a JSON object", fix='e.g. filters={"publisher": "Reuters"}')
                return [x.to_dict() for x in find(topic, filters=flt)]
            except AssistantError as exc:
                raise gr.Error(scrub_paths(str(exc), ctx.known)) from exc
        run.__doc__ = find.__doc__  # the library's own description of the view
        return run

    def status_tick() -> tuple[str, Any]:
        return status_now(), gr.Timer(active=not warm.ready.is_set())

    # -- layout ------------------------------------------------------------------------------------
    doc_choices, pubs = ctx.corpus_choices()
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        turns = gr.State([])
        conv_id = gr.State("")
        pending = gr.State([])
        # This browser's id, for its conversations when there is no --auth: kept in its local
        # storage under a fixed key, sealed with a key kept beside the conversations.
        browser_id = gr.BrowserState("", storage_key=convs.BROWSER_KEY,
                                     secret=convs.browser_secret(asst.settings.cache_dir))
        # Closed at first, so that a phone shows the chat; the page script opens it on a wide screen.
        with gr.Sidebar(label="Conversations", open=False, elem_id="conversations", width=280):
            new_btn = gr.Button("New conversation", size="sm", elem_id="conv-new", variant="primary")
            conv_list = gr.Radio(choices=[], label="Conversations", show_label=False, elem_id="conv-list",
                                 container=False)
            conv_title = gr.Textbox(label="Title", elem_id="conv-title", max_lines=1,
                                    placeholder="saved with the first question")
            with gr.Row():
                rename_btn = gr.Button("Rename", size="sm", elem_id="conv-rename")
                delete_btn = gr.Button("Delete", size="sm", elem_id="conv-delete", variant="stop")
            with gr.Column(visible=False, elem_id="conv-confirm") as conv_confirm:
                conv_confirm_text = gr.Markdown("", elem_id="conv-confirm-text")
                with gr.Row():
                    conv_yes = gr.Button("Delete it", size="sm", variant="stop", elem_id="conv-yes")
                    conv_no = gr.Button("Keep it", size="sm", elem_id="conv-no")
            conv_note = gr.Markdown("", elem_id="conv-note")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                gr.Markdown(f"## {TITLE}\nAnswers come only from the indexed articles, and each cites the "
                            "sentence it is taken from. Click a source or a [n] marker to read the article.")
                # No label: at 390 px the "Chat" badge sat over the first question's first letter.
                chatbot = gr.Chatbot(show_label=False, height=560, elem_id="chat", sanitize_html=True,
                                     latex_delimiters=[], render_markdown=True, line_breaks=False,
                                     feedback_options=None, group_consecutive_messages=False,
                                     autoscroll=False)  # the page script keeps the newest question in view
                with gr.Row():
                    msg = gr.Textbox(placeholder="Ask about the articles…", show_label=False, scale=5,
                                     elem_id="question", max_lines=4, submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-btn")
                status = gr.HTML(status_now(), elem_id="status", js_on_load=None)
                example_ds = gr.Dataset(components=[msg], samples=ctx.examples(), label="Example questions",
                                        elem_id="examples", type="values")
                with gr.Row():
                    export_btn = gr.Button("Export as Markdown", size="sm", elem_id="export-btn")
                export_file = gr.File(label="Conversation (Markdown)", interactive=False, elem_id="export-file",
                                      height=80, visible=False)
            with gr.Column(scale=2, min_width=320), gr.Tabs(elem_id="side-tabs") as tabs:
                with gr.Tab("Corpus", id="corpus-tab") as corpus_tab:
                    summary = gr.HTML(stats_html(asst.stats()), elem_id="corpus-stats", js_on_load=None)
                    with gr.Accordion("Filters", open=True):
                        f_docs = gr.Dropdown(choices=doc_choices, multiselect=True, label="Documents",
                                             elem_id="filter-docs")
                        f_pubs = gr.Dropdown(choices=pubs, multiselect=True, label="Publishers",
                                             elem_id="filter-pubs")
                        with gr.Row():
                            f_from = gr.Textbox(label="Date from", placeholder="YYYY[-MM[-DD]]")
                            f_to = gr.Textbox(label="Date to", placeholder="YYYY[-MM[-DD]]")
                    with gr.Accordion("Add documents", open=True):
                        # The limits as a line of their own: as the File's label they sat on its icon.
                        gr.HTML(f"{' '.join(ALLOWED_SUFFIXES)} files, up to {MAX_UPLOAD_BYTES // 1_000_000} MB each",
                                elem_id="upload-hint", js_on_load=None)
                        files = gr.File(file_count="multiple", file_types=list(ALLOWED_SUFFIXES), show_label=False,
                                        elem_id="upload", height=120)
                        ingest_btn = gr.Button("Add to corpus", elem_id="ingest-btn")
                        ingest_out = gr.HTML("", elem_id="ingest-results", js_on_load=None)
                    with gr.Accordion("Documents", open=True, elem_id="docs-section"):
                        with gr.Row():
                            docs_search = gr.Textbox(label="Search", placeholder="title, publisher, date, id…",
                                                     elem_id="docs-search", max_lines=1, scale=3)
                            docs_sort = gr.Dropdown(choices=list(docs_ui.SORTS), value=next(iter(docs_ui.SORTS)),
                                                    label="Sort", elem_id="docs-sort", scale=2)
                        with gr.Row():
                            docs_refresh = gr.Button("Refresh", size="sm", elem_id="docs-refresh")
                            docs_bulk = gr.Button("Delete all shown…", size="sm", variant="stop", elem_id="docs-bulk")
                        with gr.Column(visible=False, elem_id="docs-confirm") as docs_confirm:
                            docs_confirm_text = gr.HTML("", elem_id="docs-confirm-text", js_on_load=None)
                            with gr.Row():
                                docs_yes = gr.Button("Delete", size="sm", variant="stop", elem_id="docs-yes")
                                docs_no = gr.Button("Cancel", size="sm", elem_id="docs-no")
                        docs_result = gr.HTML("", elem_id="docs-result", js_on_load=None)
                        docs_table = gr.HTML(docs_ui.table(ctx, "", next(iter(docs_ui.SORTS))), elem_id="docs-table",
                                             js_on_load=None)
                with gr.Tab("Timeline & quotes", id="views-tab"):
                    topic = gr.Textbox(label="Topic", placeholder="a person, a place or an event",
                                       elem_id="view-topic", max_lines=1)
                    with gr.Row():
                        timeline_btn = gr.Button("Timeline", elem_id="timeline-btn", size="sm")
                        who_btn = gr.Button("Who said what", elem_id="who-btn", size="sm")
                    view_out = gr.HTML("", elem_id="view-out", js_on_load=None)
                with gr.Tab("Document", id="doc-tab"):
                    source_pick = gr.Dropdown(choices=[], label="Sources of the last answer",
                                              elem_id="source-pick")
                    viewer = gr.HTML(document_html(None), elem_id="doc-viewer", js_on_load=None)
        src_key = gr.Textbox(elem_id="src-key", show_label=False, container=False)
        doc_action = gr.Textbox(elem_id="doc-action", show_label=False, container=False)
        timer = gr.Timer(WARM_POLL_SECONDS, active=not warm.ready.is_set())
        corpus_timer = gr.Timer(CORPUS_POLL_SECONDS)
        corpus_seen = gr.State("")  # the index generation this page last showed

        hidden: dict[str, Any] = {"api_visibility": "undocumented"}
        chat_inputs = [msg, chatbot, turns, conv_id, browser_id, f_docs, f_pubs, f_from, f_to]
        chat_outputs = [msg, chatbot, turns, source_pick, viewer, status, conv_id, conv_list]
        for trigger in (msg.submit, send.click):
            trigger(respond, chat_inputs, chat_outputs, show_progress="hidden", concurrency_limit=ASK_CONCURRENCY,
                    concurrency_id="ask", **hidden)
        example_ds.click(lambda row: row[0] if row else "", example_ds, msg, **hidden)
        export_btn.click(export, [turns, conv_id, browser_id], export_file, **hidden)
        src_key.change(open_link, [src_key, turns], [viewer, tabs, source_pick], **hidden).then(None, js=SHOW_SOURCE_JS)
        source_pick.input(open_source, source_pick, [viewer, tabs], **hidden).then(None, js=SHOW_SOURCE_JS)
        side = [summary, f_docs, f_pubs, example_ds]
        # The progress shows on the results alone (on every output it covered the stats and filters).
        ingested = ingest_btn.click(ingest_files, files, [ingest_out, *side], api_name="upload",
                                    concurrency_limit=1, show_progress_on=[ingest_out])
        timer.tick(status_tick, None, [status, timer], show_progress="hidden", concurrency_limit=None, **hidden)

        # Conversations: reopened on load, switched, made, renamed and deleted in the sidebar.
        # (Handlers that need the request are functions here: Gradio finds ``gr.Request`` by
        # the parameter's annotation.)
        def conv_start(b: str, request: gr.Request) -> tuple[Any, ...]:
            return convs.start(ctx, b, request)

        def conv_reopen(c: str, b: str, request: gr.Request) -> tuple[Any, ...]:
            return convs.reopen(ctx, c, b, request)

        def conv_new(b: str, request: gr.Request) -> tuple[Any, ...]:
            return convs.new(ctx, b, request)

        def conv_rename(c: str, t: str, b: str, request: gr.Request) -> tuple[Any, ...]:
            return convs.rename(ctx, c, t, b, request)

        def conv_ask_delete(c: str, b: str, request: gr.Request) -> tuple[Any, ...]:
            return convs.ask_delete(ctx, c, b, request)

        def conv_delete(c: str, b: str, request: gr.Request) -> tuple[Any, ...]:
            return convs.delete(ctx, c, b, request)

        loaded = [chatbot, turns, conv_id, conv_list, conv_title, source_pick, viewer]
        demo.load(conv_start, [browser_id], [browser_id, *loaded], show_progress="hidden", **hidden)
        conv_list.input(conv_reopen, [conv_list, browser_id], loaded, **hidden)
        new_btn.click(conv_new, [browser_id], loaded, **hidden)
        for ev in (rename_btn.click, conv_title.submit):
            ev(conv_rename, [conv_id, conv_title, browser_id], [conv_list, conv_title, conv_note], **hidden)
        delete_btn.click(conv_ask_delete, [conv_id, browser_id], [conv_confirm, conv_confirm_text], **hidden)
        conv_yes.click(conv_delete, [conv_id, browser_id], [conv_confirm, *loaded], **hidden)
        conv_no.click(lambda: gr.update(visible=False), None, conv_confirm, **hidden)

        # Documents: the table follows the search and the order; it is read again whenever the
        # Corpus tab is opened, so a delete in another session shows.
        docs_in = [docs_search, docs_sort]
        for ev in (docs_search.change, docs_search.submit, docs_sort.change, docs_refresh.click, ingested.then):
            ev(lambda q, s: docs_ui.table(ctx, q, s), docs_in, docs_table, show_progress="hidden", **hidden)

        def corpus_shown(q: str, s: str) -> tuple[Any, ...]:
            return (*ctx.side_panel(), docs_ui.table(ctx, q, s))

        corpus_tab.select(corpus_shown, docs_in, [*side, docs_table], show_progress="hidden", **hidden)

        def corpus_changed(q: str, s: str, seen: str) -> tuple[Any, ...]:
            asst.refresh(force=True)
            gen = asst.local.generation
            if gen == seen:
                return (*(gr.update(),) * (len(side) + 1), seen)
            return (*corpus_shown(q, s), gen)

        corpus_timer.tick(corpus_changed, [*docs_in, corpus_seen], [*side, docs_table, corpus_seen],
                          show_progress="hidden", concurrency_limit=None, **hidden)
        doc_action.change(lambda v, q, s: docs_ui.act(ctx, v, q, s), [doc_action, *docs_in],
                          [viewer, tabs, docs_confirm, docs_confirm_text, pending, docs_result, docs_table, *side],
                          concurrency_limit=1, concurrency_id="write", **hidden)
        docs_bulk.click(lambda q, s: docs_ui.ask_bulk(ctx, q, s), docs_in,
                        [docs_confirm, docs_confirm_text, pending, docs_result], **hidden)
        docs_yes.click(lambda p, q, s: docs_ui.confirm(ctx, p, q, s), [pending, *docs_in],
                       [docs_confirm, pending, docs_result, docs_table, *side], concurrency_limit=1,
                       concurrency_id="write", **hidden)
        docs_no.click(docs_ui.cancel, None, [docs_confirm, pending, docs_result], **hidden)

        demo.load(status_now, None, status, show_progress="hidden", concurrency_limit=None, **hidden)
        gr.api(api_ask, api_name="ask", concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
        view_inputs = [topic, f_docs, f_pubs, f_from, f_to]
        for btn, kind in ((timeline_btn, "timeline"), (who_btn, "who_said")):
            btn.click(lambda *a, kind=kind: view(kind, *a), view_inputs, view_out,
                      concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask", **hidden)
            gr.api(api_view(kind), api_name=kind, concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
    demo.warmup = warm  # type: ignore[attr-defined]  (tests and callers can wait on it)
    demo.conversations = store  # type: ignore[attr-defined]
    demo.first_frame_ms = server_first_frame_ms  # type: ignore[attr-defined]
    return demo


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
           share: bool = False, block: bool = True) -> Any:
    """Start the server (``block=False`` returns at once, for tests)."""
    demo.queue(default_concurrency_limit=ASK_CONCURRENCY)
    return demo.launch(server_name=host, server_port=port, auth=auth, share=share, css=CSS, js=PAGE_JS,
                       max_file_size=MAX_UPLOAD_BYTES, prevent_thread_lock=not block, ssr_mode=False,
                       show_error=True, quiet=not block, footer_links=["api"], mcp_server=False)


# -- command line -------------------------------------------------------------------------------------
def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:password`` -> (user, password); None when not set."""
    if value is None or not value.strip():
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("--auth / ASSISTANT_AUTH must look like user:password",
                          fix="e.g. --auth analyst:'a long passphrase'")
    return user, password


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="app.py", description="Chat with the news corpus (Gradio).")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", default=None, help=f"user:password required to use the chat (env {ENV_AUTH})")
    p.add_argument("--share", action="store_true", help="also create a public gradio.live link (off by default)")
    add_index_args(p)
    add_llm_args(p)
    p.add_argument("--no-build", action="store_true", help="fail instead of building a missing index from seeds/")
    return p


def open_assistant(args: argparse.Namespace) -> Assistant:
    """Open the index; if it does not exist yet, build it from ``seeds/`` first."""
    settings = settings_from(args)
    llm = llm_from(args)
    if llm is not None:  # the chat streams the model's tokens as it writes
        llm = TokenStreamingLLM(llm)
    try:
        return Assistant.open(settings=settings, llm=llm)
    except IndexMissing:
        if args.no_build:
            raise
    seeds = default_seeds_dir()
    print(f"no index at {settings.where}: building it from {seeds} (first run only)…", file=sys.stderr)
    asst = Assistant.open(settings=settings, llm=llm, create=True)
    report = asst.ingest([seeds])
    print(report.summary(), file=sys.stderr)
    return asst


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        auth = parse_auth(args.auth if args.auth is not None else os.environ.get(ENV_AUTH))
        asst = open_assistant(args)
    except AssistantError as exc:
        print(f"error: {as_invoked(exc.message)}", file=sys.stderr)
        if exc.fix:
            print(f"  fix: {as_invoked(exc.fix)}", file=sys.stderr)
        return exc.exit_code
    demo = build_app(asst)
    launch(demo, host=args.host, port=args.port, auth=auth, share=args.share, block=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
