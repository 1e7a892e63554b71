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
import dataclasses
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing may phone home
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr

from assistant.api import Assistant
from assistant.config import ENV_AUTH, default_seeds_dir
from assistant.errors import AssistantError, ConfigError, IndexMissing
from assistant.ingest.uploads import ALLOWED_SUFFIXES, MAX_UPLOAD_BYTES, default_upload_dir, stage_uploads
from assistant.interfaces.options import add_index_args, add_llm_args, llm_from, settings_from
from assistant.interfaces.render import (
    answer_to_html,
    citation_key,
    conversation_to_markdown,
    document_html,
    example_questions,
    ingest_results_html,
    parse_citation_key,
    question_html,
    show_date,
    stats_html,
)

TITLE = "News assistant"
#: Questions answered at once. The answerer is read-only, but the machine it targets has few cores.
ASK_CONCURRENCY = int(os.environ.get("ASSISTANT_ASK_CONCURRENCY", "2"))

CSS = """
.question { white-space: pre-wrap; }
.answer .reply { font-size: 1.05em; margin-bottom: .4em; }
.answer mark.sent { background: #fff3b0; color: inherit; padding: 0 .1em; }
.answer mark.ans, .doc-view mark.ans { background: #ffd166; font-weight: 600; color: inherit; }
.abstain-head { border-left: 4px solid #c0392b; padding: .3em .6em; background: #fdecea; color: #7b241c;
  font-weight: 600; }
.answer.abstained .sources { opacity: .85; }
.conflict-head { font-weight: 600; margin-bottom: .3em; }
.conflicts { display: flex; flex-wrap: wrap; gap: .6em; }
.conflict { flex: 1 1 14em; border: 1px solid #d0d7de; border-radius: 6px; padding: .4em .6em; }
.conflict-value { font-weight: 700; font-size: 1.1em; }
.conflict-src { color: #57606a; font-size: .9em; }
.sources-head { font-weight: 600; margin-top: .5em; font-size: .9em; color: #57606a; }
.source { border-top: 1px solid #e5e7eb; padding: .3em 0; font-size: .92em; }
.source-head { color: #57606a; }
.passage { margin-top: .15em; }
a.src-link { cursor: pointer; text-decoration: none; }
a.src-link.marker { font-weight: 600; }
.notice, .rewritten { font-size: .9em; color: #57606a; }
.error-msg { border-left: 4px solid #b35900; padding: .3em .6em; background: #fff4e5; }
.doc-view { max-height: 560px; overflow-y: auto; }
.doc-title { font-weight: 700; font-size: 1.1em; }
.doc-meta { color: #57606a; font-size: .9em; margin-bottom: .5em; }
.doc-text { white-space: pre-wrap; line-height: 1.5; }
.doc-view mark.sent { background: #fff3b0; color: inherit; scroll-margin: 120px; }
.ingest-results table { font-size: .85em; width: 100%; }
.ingest-results .st-failed, .ingest-results .st-rejected { color: #b00020; }
#src-key { display: none !important; }
"""

# A click on a [n] marker or a source title (rendered inside chat messages, where
# Gradio strips event attributes) is caught here and forwarded to the hidden
# ``src-key`` textbox, whose input event opens the document viewer.
JS = """
() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.src-link');
    if (!a) return;
    ev.preventDefault();
    const box = document.querySelector('#src-key textarea, #src-key input');
    if (!box) return;
    box.value = (a.getAttribute('href') || '') + ' ' + Date.now();
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }, true);
}
"""
SCROLL_JS = """
() => { const go = () => {
  const m = document.getElementById('cited-sentence'); if (!m) return;
  const box = m.closest('.doc-view'); if (!box) return;
  box.scrollTop += m.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
};
  // The viewer may still be rendering or switching tabs: try again as it settles.
  for (const t of [150, 500, 1200, 2500]) setTimeout(go, t); }
"""


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


def _error_html(exc: AssistantError) -> str:
    from html import escape

    fix = f"<div>fix: {escape(exc.fix)}</div>" if exc.fix else ""
    return f'<div class="error-msg">{escape(exc.message)}{fix}</div>'


def _history(turns: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"question": t["question"], "answer": t["answer"]} for t in turns]


def _parse_json(value: str | None, what: str) -> Any:
    if value is None or not str(value).strip():
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc}", fix=f"pass {what} as a JSON string, or leave it empty") from exc


def build_app(asst: Assistant, *, upload_dir: str | Path | None = None, stream_delay: float = 0.02) -> gr.Blocks:
    """The chat page over an open ``Assistant``. Launch it with ``launch(demo, ...)``."""
    updir = Path(upload_dir) if upload_dir is not None else default_upload_dir(asst.settings)

    def doc_text(doc_id: str) -> str | None:
        try:
            return asst.document(doc_id).text
        except AssistantError:
            return None

    def corpus_choices() -> tuple[list[tuple[str, str]], list[str]]:
        docs = asst.stats()["docs"]
        doc_choices = [(f"{d['title'] or d['doc_id']} ({d['doc_id']})", d["doc_id"]) for d in docs]
        pubs = sorted({d["publisher"] for d in docs if d["publisher"]}, key=str.casefold)
        return doc_choices, pubs

    def examples() -> list[list[str]]:
        st = asst.stats()
        docs = st["docs"]
        # A spread of at most 40 documents: enough variety, bounded cost on a big corpus.
        picked = docs[:: max(1, len(docs) // 40)][:40]
        views = []
        for d in picked:
            try:
                views.append(asst.document(d["doc_id"]))
            except AssistantError:
                continue
        return [[q] for q in example_questions(views, n=4, aliases=st.get("alias_groups", []))]

    def side_panel() -> tuple[Any, ...]:
        doc_choices, pubs = corpus_choices()
        return (stats_html(asst.stats()), gr.update(choices=doc_choices), gr.update(choices=pubs),
                gr.update(samples=examples()))

    # -- handlers ----------------------------------------------------------------------------------
    def respond(message: str, chat: list[dict[str, Any]], turns: list[dict[str, Any]],
                docs: list[str], pubs: list[str], date_from: str, date_to: str) -> Iterator[tuple[Any, ...]]:
        question = message or ""
        chat = [*(chat or []), {"role": "user", "content": question_html(question)},
                {"role": "assistant", "content": '<div class="answer pending">…</div>'}]
        yield "", chat, turns, gr.update()
        try:
            ans = asst.ask(question, history=_history(turns or []), filters=_filters(docs, pubs, date_from, date_to))
        except AssistantError as exc:
            chat[-1] = {"role": "assistant", "content": _error_html(exc)}
            yield "", chat, turns, gr.update()
            return
        if not ans.abstained and not ans.conflicts:
            # Reveal the reply a few words at a time, then swap in the full rendering.
            words = ans.text.split(" ")
            step = max(1, len(words) // 8)
            for i in range(step, len(words), step):
                partial = dataclasses.replace(ans, text=" ".join(words[:i]), citations=[])
                chat[-1] = {"role": "assistant", "content": answer_to_html(partial, with_sources=False)}
                yield "", chat, turns, gr.update()
                time.sleep(stream_delay)
        chat[-1] = {"role": "assistant", "content": answer_to_html(ans, doc_text=doc_text)}
        turns = [*(turns or []), {"question": question, "answer": ans.to_dict()}]
        choices = [(f"[{c.n}] {c.title or c.doc_id} · {c.publisher or '-'} · {show_date(c.date) or '-'}",
                    citation_key(c)) for c in ans.citations]
        yield "", chat, turns, gr.update(choices=choices, value=None)

    def open_source(key: str) -> tuple[str, Any]:
        parsed = parse_citation_key(key or "")
        if parsed is None:
            return document_html(None), gr.update()
        doc_id, s, e, a_s, a_e = parsed
        try:
            return document_html(asst.document(doc_id), s, e, a_s, a_e), gr.Tabs(selected="doc-tab")
        except AssistantError as exc:
            return _error_html(exc), gr.Tabs(selected="doc-tab")

    def open_link(value: str) -> tuple[str, Any]:
        # The page script appends " <timestamp>" so that clicking the same link twice still fires.
        return open_source((value or "").rsplit(" ", 1)[0])

    def ingest_files(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        paths = [str(f) for f in (files or [])]
        if not paths:
            return (ingest_results_html([], "no files chosen"), *side_panel())
        rows: list[dict[str, Any]] = []
        try:
            staged = stage_uploads([(Path(p).name, p) for p in paths], updir)
        except AssistantError as exc:
            return (_error_html(exc), *side_panel())
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
                    progress(min(done[0], total) / total, desc=f"{res.status}: {res.doc_id or res.source}")

            try:
                report = asst.ingest(staged.paths, progress=tick, wait=False)
            except AssistantError as exc:
                return (_error_html(exc), *side_panel())
            asst.refresh(force=True)
            for r in report.results:
                rows.append({"file": names.get(str(Path(r.source).resolve()), names.get(r.source, Path(r.source).name)),
                             "status": r.status, "doc_id": r.doc_id, "chunks": r.chunks, "reason": r.reason})
            summary = report.summary()
        return (ingest_results_html(rows, summary), *side_panel())

    def export(turns: list[dict[str, Any]]) -> Any:
        if not turns:
            return gr.File(value=None, visible=False)
        md = conversation_to_markdown([(t["question"], t["answer"]) for t in turns], title=TITLE)
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
            raise gr.Error(str(exc)) from exc

    # -- layout ------------------------------------------------------------------------------------
    doc_choices, pubs = corpus_choices()
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        turns = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                gr.Markdown(f"## {TITLE}\nAnswers come only from the indexed articles, and each cites the "
                            "sentence it is taken from. Click a source or a [n] marker to read the article.")
                chatbot = gr.Chatbot(label="Chat", height=560, elem_id="chat", sanitize_html=True,
                                     latex_delimiters=[], render_markdown=True, line_breaks=False,
                                     feedback_options=None, group_consecutive_messages=False)
                with gr.Row():
                    msg = gr.Textbox(placeholder="Ask about the articles…", show_label=False, scale=5,
                                     elem_id="question", max_lines=4, submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-btn")
                example_ds = gr.Dataset(components=[msg], samples=examples(), label="Example questions",
                                        elem_id="examples", type="values")
                with gr.Row():
                    clear = gr.Button("New conversation", size="sm")
                    export_btn = gr.Button("Export as Markdown", size="sm", elem_id="export-btn")
                export_file = gr.File(label="Conversation (Markdown)", interactive=False, elem_id="export-file",
                                      height=80, visible=False)
            with gr.Column(scale=2, min_width=320), gr.Tabs(elem_id="side-tabs") as tabs:
                with gr.Tab("Corpus", id="corpus-tab"):
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
                        files = gr.File(file_count="multiple", file_types=list(ALLOWED_SUFFIXES),
                                        label=f"{' '.join(ALLOWED_SUFFIXES)} · up to "
                                              f"{MAX_UPLOAD_BYTES // 1_000_000} MB each",
                                        elem_id="upload", height=120)
                        ingest_btn = gr.Button("Add to corpus", elem_id="ingest-btn")
                        ingest_out = gr.HTML("", elem_id="ingest-results", js_on_load=None)
                with gr.Tab("Document", id="doc-tab"):
                    source_pick = gr.Dropdown(choices=[], label="Sources of the last answer",
                                              elem_id="source-pick")
                    viewer = gr.HTML(document_html(None), elem_id="doc-viewer", js_on_load=None)
        src_key = gr.Textbox(elem_id="src-key", show_label=False, container=False)

        chat_inputs = [msg, chatbot, turns, f_docs, f_pubs, f_from, f_to]
        chat_outputs = [msg, chatbot, turns, source_pick]
        for trigger in (msg.submit, send.click):
            trigger(respond, chat_inputs, chat_outputs, api_visibility="undocumented",
                    concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
        example_ds.click(lambda row: row[0] if row else "", example_ds, msg, api_visibility="undocumented")
        clear.click(lambda: ([], [], gr.update(choices=[], value=None), document_html(None)), None,
                    [chatbot, turns, source_pick, viewer], api_visibility="undocumented")
        export_btn.click(export, turns, export_file, api_visibility="undocumented")
        src_key.change(open_link, src_key, [viewer, tabs], api_visibility="undocumented").then(None, js=SCROLL_JS)
        source_pick.input(open_source, source_pick, [viewer, tabs],
                          api_visibility="undocumented").then(None, js=SCROLL_JS)
        ingest_btn.click(ingest_files, files, [ingest_out, summary, f_docs, f_pubs, example_ds], api_name="upload",
                         concurrency_limit=1)
        gr.api(api_ask, api_name="ask", concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
    return demo


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
           share: bool = False, block: bool = True) -> Any:
    """Start the server (``block=False`` returns at once, for tests)."""
    demo.queue(default_concurrency_limit=ASK_CONCURRENCY)
    return demo.launch(server_name=host, server_port=port, auth=auth, share=share, css=CSS, js=JS,
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
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.fix:
            print(f"  fix: {exc.fix}", file=sys.stderr)
        return exc.exit_code
    demo = build_app(asst)
    launch(demo, host=args.host, port=args.port, auth=auth, share=args.share, block=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
