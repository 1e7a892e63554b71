"""The chat: a Gradio page over ``assistant`` (``python app.py`` or ``assistant serve``).

This file only lays out the page and wires its widgets to the handlers in ``chatui``
(the chat, the API, conversations, documents), which call the library: answering lives
in ``assistant.api``, rendering in ``assistant.interfaces.render``, upload safety in
``assistant.ingest.uploads``. It binds 127.0.0.1:7860 unless told otherwise, and makes
no public link unless ``--share`` is given.

API (``gradio_client``)::

    from gradio_client import Client
    client = Client("http://127.0.0.1:7860/")             # auth=("user", "pass") if --auth
    answer = client.predict("How many ...?", "", "", api_name="/ask")
    answer["answer"], answer["citations"][0]["quote"]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing may phone home
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr

import chatui.conversations as convs
import chatui.documents as docs_ui
import chatui.endpoints as endpoints
from assistant.api import Assistant
from assistant.config import ENV_AUTH, default_seeds_dir
from assistant.errors import AssistantError, ConfigError, IndexMissing
from assistant.ingest.uploads import ALLOWED_SUFFIXES, MAX_UPLOAD_BYTES, default_upload_dir
from assistant.interfaces.conversations import ConversationStore
from assistant.interfaces.invocation import as_invoked
from assistant.interfaces.options import add_index_args, add_llm_args, llm_from, settings_from
from assistant.interfaces.render import document_html, stats_html
from assistant.interfaces.streaming import TokenStreamingLLM
from assistant.interfaces.web import CSS, PAGE_JS, SHOW_SOURCE_JS
from chatui.chat import STREAM_DELAY, TITLE, WARM_POLL_SECONDS, ChatHandlers, Warmup
from chatui.context import Ctx

#: Questions answered at once. The answerer is read-only, but the machine it targets has few cores.
ASK_CONCURRENCY = int(os.environ.get("ASSISTANT_ASK_CONCURRENCY", "2"))
#: How often (seconds) an open page checks whether the corpus changed (an upload or a
#: delete in another session, or another process): the documents table, the corpus summary
#: and the filters then show it. A check reads one generation token: nothing when unchanged.
CORPUS_POLL_SECONDS = 5.0


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
    chat = ChatHandlers(ctx)

    # Handlers that need the request or report progress are functions here: Gradio finds
    # ``gr.Request`` and ``gr.Progress`` by the parameter's annotation and default.
    def ingest_files(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        return docs_ui.upload(ctx, files, progress)

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
                status = gr.HTML(chat.status_now(), elem_id="status", js_on_load=None)
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
            trigger(chat.respond, chat_inputs, chat_outputs, show_progress="hidden", concurrency_limit=ASK_CONCURRENCY,
                    concurrency_id="ask", **hidden)
        example_ds.click(lambda row: row[0] if row else "", example_ds, msg, **hidden)
        export_btn.click(chat.export, [turns, conv_id, browser_id], export_file, **hidden)
        src_key.change(chat.open_link, [src_key, turns], [viewer, tabs, source_pick], **hidden).then(None, js=SHOW_SOURCE_JS)
        source_pick.input(chat.open_source, source_pick, [viewer, tabs], **hidden).then(None, js=SHOW_SOURCE_JS)
        side = [summary, f_docs, f_pubs, example_ds]
        # The progress shows on the results alone: the upload's only output (the upload API
        # returns the results table and nothing else). The side panel is redrawn after it by
        # an event that shows no progress.
        ingested = ingest_btn.click(ingest_files, files, ingest_out, api_name="upload", concurrency_limit=1)
        ingested.then(ctx.side_panel, None, side, show_progress="hidden", **hidden)
        timer.tick(chat.status_tick, None, [status, timer], show_progress="hidden", concurrency_limit=None, **hidden)

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
        # Corpus tab is opened, so a delete in another session shows. Every such redraw runs
        # in one queue, one at a time in the order asked ("docs-table"): a redraw that read
        # the search box before it changed can then never land after the newer search's.
        docs_in = [docs_search, docs_sort]
        redraw: dict[str, Any] = {"concurrency_id": "docs-table", "concurrency_limit": 1, **hidden}
        for ev in (docs_search.change, docs_search.submit, docs_sort.change, docs_refresh.click, ingested.then):
            ev(lambda q, s: docs_ui.table(ctx, q, s), docs_in, docs_table, show_progress="hidden", **redraw)

        def corpus_shown(q: str, s: str) -> tuple[Any, ...]:
            return (*ctx.side_panel(), docs_ui.table(ctx, q, s))

        corpus_tab.select(corpus_shown, docs_in, [*side, docs_table], show_progress="hidden", **redraw)

        def corpus_changed(seen: str) -> tuple[Any, ...]:
            asst.refresh(force=True)
            gen = asst.local.generation
            if gen == seen:
                return (*(gr.update(),) * len(side), seen)
            return (*ctx.side_panel(), gen)

        # The poll reloads (slow under an ingest, so outside the redraw queue) and only notes
        # a new generation; the table is redrawn from the search box as it is then. (It
        # redrew with the text the poll started with, and could overwrite a newer search's
        # table, a likely cause of the Documents browser test's occasional failure.)
        corpus_timer.tick(corpus_changed, [corpus_seen], [*side, corpus_seen], show_progress="hidden",
                          concurrency_limit=None, **hidden)
        corpus_seen.change(lambda q, s: docs_ui.table(ctx, q, s), docs_in, docs_table, show_progress="hidden",
                           **redraw)
        doc_action.change(lambda v, q, s: docs_ui.act(ctx, v, q, s), [doc_action, *docs_in],
                          [viewer, tabs, docs_confirm, docs_confirm_text, pending, docs_result, docs_table, *side],
                          concurrency_limit=1, concurrency_id="write", **hidden)
        docs_bulk.click(lambda q, s: docs_ui.ask_bulk(ctx, q, s), docs_in,
                        [docs_confirm, docs_confirm_text, pending, docs_result], **hidden)
        docs_yes.click(lambda p, q, s: docs_ui.confirm(ctx, p, q, s), [pending, *docs_in],
                       [docs_confirm, pending, docs_result, docs_table, *side], concurrency_limit=1,
                       concurrency_id="write", **hidden)
        docs_no.click(docs_ui.cancel, None, [docs_confirm, pending, docs_result], **hidden)

        demo.load(chat.status_now, None, status, show_progress="hidden", concurrency_limit=None, **hidden)
        gr.api(endpoints.ask_endpoint(ctx), api_name="ask", concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
        view_inputs = [topic, f_docs, f_pubs, f_from, f_to]
        for btn, kind in ((timeline_btn, "timeline"), (who_btn, "who_said")):
            btn.click(lambda *a, kind=kind: endpoints.view(ctx, kind, *a), view_inputs, view_out,
                      concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask", **hidden)
            gr.api(endpoints.view_endpoint(ctx, kind), api_name=kind, concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
    demo.warmup = warm  # type: ignore[attr-defined]  (tests and callers can wait on it)
    demo.conversations = store  # type: ignore[attr-defined]
    demo.first_frame_ms = chat.first_frame_ms  # type: ignore[attr-defined]
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
