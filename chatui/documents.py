"""Documents in the page: files added ("Add documents": ``upload``), and the corpus as a
table (title, publisher, date, where each came from), searched and sorted; per document open, re-ingest and delete, and a delete of every
document the search shows. A delete is asked first, then goes through the ingest's one
writer (``Assistant.delete``, as ``--prune``), so BM25, aliases and caches stay in step;
a file uploaded through the page goes with its document.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.ingest.uploads import stage_uploads
from assistant.interfaces.documents import (
    SORTS,
    confirm_html,
    documents_html,
    filter_rows,
    parse_action,
    rows_from_stats,
    sort_rows,
)
from assistant.interfaces.render import document_html, ingest_results_html
from assistant.interfaces.web import scrub_paths, status_html
from chatui.context import INTERNAL, Ctx

log = logging.getLogger("app")


def rows(ctx: Ctx, query: str | None, sort: str | None) -> tuple[list, int]:
    """(the rows the search shows, in the chosen order; the corpus's size)."""
    ctx.asst.refresh(force=True)  # another session, or another process, may have changed it
    every = rows_from_stats(ctx.asst.stats()["docs"])
    return sort_rows(filter_rows(every, query or ""), SORTS.get(sort or "", "added")), len(every)


def table(ctx: Ctx, query: str | None, sort: str | None) -> str:
    shown, total = rows(ctx, query, sort)
    return documents_html(shown, total, query or "")


def act(ctx: Ctx, value: str, query: str, sort: str) -> tuple[Any, ...]:
    """A row's link was clicked: (viewer, tabs, confirm panel, confirm text, pending ids,
    result line, table, *side panel)."""
    parsed = parse_action(value)
    keep = (gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
    nothing = (gr.update(),) * 4
    if parsed is None:
        return (*keep, *nothing)
    action, doc_id = parsed
    if action == "open":
        try:
            view = document_html(ctx.asst.document(doc_id))
        except AssistantError as exc:
            view = ctx.err(exc)
        return (view, gr.Tabs(selected="doc-tab"), *keep[2:], *nothing)
    if action == "delete":
        found = [r for r in rows(ctx, "", "")[0] if r.doc_id == doc_id]
        if not found:
            return (*keep[:5], status_html(f"{doc_id} is no longer in the index.", "hint"), table(ctx, query, sort),
                    *nothing)
        return (gr.update(), gr.update(), gr.update(visible=True), confirm_html(found), [doc_id], "",
                gr.update(), *nothing)
    # re-ingest
    try:
        report = ctx.asst.reingest([doc_id])
    except AssistantError as exc:
        return (*keep[:5], ctx.err(exc), gr.update(), *nothing)
    except Exception:
        log.exception("re-ingesting %r failed", doc_id)
        return (*keep[:5], ctx.err(INTERNAL), gr.update(), *nothing)
    res = report.results[0] if report.results else None
    line = (f"{doc_id}: {res.status}" + (f" ({scrub_paths(res.reason, ctx.known)})" if res.reason else "")
            if res is not None else f"{doc_id}: nothing to do")
    kind = "error" if res is not None and res.status == "failed" else "done"
    return (*keep[:5], status_html(line, kind), table(ctx, query, sort), *ctx.side_panel())


def ask_bulk(ctx: Ctx, query: str, sort: str) -> tuple[Any, Any, Any, Any]:
    """Delete every document the search shows: (confirm panel, its text, pending ids, result line)."""
    shown, _ = rows(ctx, query, sort)
    if not shown:
        return gr.update(visible=False), "", [], status_html("No document matches the search.", "hint")
    return gr.update(visible=True), confirm_html(shown, query or ""), [r.doc_id for r in shown], ""


def confirm(ctx: Ctx, pending: list[str], query: str, sort: str) -> tuple[Any, ...]:
    """The delete, once confirmed: (confirm panel, pending, result line, table, *side panel)."""
    if not pending:
        return (gr.update(visible=False), [], "", table(ctx, query, sort), *ctx.side_panel())
    records = ctx.asst.local.records()
    sources = {d: (records.get(d) or {}).get("source", "") for d in pending}
    try:
        report = ctx.asst.delete(pending)
    except AssistantError as exc:
        return (gr.update(visible=False), [], ctx.err(exc), table(ctx, query, sort), *ctx.side_panel())
    except Exception:
        log.exception("deleting %r failed", pending[:5])
        return (gr.update(visible=False), [], ctx.err(INTERNAL), table(ctx, query, sort), *ctx.side_panel())
    _drop_uploads(ctx, sources)
    removed = report.count("removed")
    line = f"Deleted {removed} document{'s' if removed != 1 else ''}; the index holds {report.total_docs}."
    return (gr.update(visible=False), [], status_html(line, "done"), table(ctx, query, sort), *ctx.side_panel())


def cancel() -> tuple[Any, Any, Any]:
    return gr.update(visible=False), [], status_html("Nothing was deleted.", "hint")


def upload(ctx: Ctx, files: list[str] | None, progress: Any) -> str:
    """Files chosen in the page, staged (``ingest.uploads``: type and size checked) and
    ingested with ``progress`` (a ``gr.Progress``) following each file: the results table.
    (The side panel is redrawn by an event of its own that shows no progress.)"""
    paths = [str(f) for f in (files or [])]
    if not paths:
        return ingest_results_html([], "no files chosen")
    rows: list[dict[str, Any]] = []
    try:
        staged = stage_uploads([(Path(p).name, p) for p in paths], ctx.updir)
    except AssistantError as exc:
        return ctx.err(exc)
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
            report = ctx.asst.ingest(staged.paths, progress=tick, wait=False)
        except AssistantError as exc:
            return ctx.err(exc)
        except Exception:
            log.exception("ingesting uploads failed")
            return ctx.err(INTERNAL)
        for r in report.results:
            rows.append({"file": names.get(str(Path(r.source).resolve()), names.get(r.source, Path(r.source).name)),
                         "status": r.status, "doc_id": r.doc_id, "chunks": r.chunks,
                         # A failure names its stage, as the CLI's "failed: FILE (at STAGE): ...".
                         "reason": scrub_paths((f"at {r.stage}: " if r.status == "failed" and r.stage else "")
                                               + r.reason, ctx.known)})
        summary = report.summary()
    return ingest_results_html(rows, summary)


def _drop_uploads(ctx: Ctx, sources: dict[str, str]) -> None:
    """Remove the uploaded copies of deleted documents that no other document comes from:
    a file on the server's disk that someone else put there is never touched."""
    still = {(r or {}).get("source", "") for r in ctx.asst.local.records().values()}
    up = ctx.updir.resolve()
    for src in set(sources.values()) - still:
        if not src:
            continue
        path = Path(src)
        try:
            if path.resolve().is_relative_to(up) and path.is_file():
                path.unlink()
        except OSError:
            log.warning("could not remove the uploaded file %s", path)
