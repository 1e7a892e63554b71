"""The page's API (``gradio_client``: ``/ask``, ``/timeline``, ``/who_said``) and the
Timeline & quotes tab: each calls the library and hands back JSON, or the view drawn
for the page. Errors reach an API caller as ``gr.Error`` messages without server paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from assistant.errors import AssistantError, ConfigError
from assistant.interfaces.views_html import speakers_html, timeline_html
from assistant.interfaces.web import scrub_paths, status_html
from chatui.chat import filters_of
from chatui.context import Ctx

#: The views by name: the ``Assistant`` method that finds the items, and what draws them
#: for the page.
VIEWS: dict[str, tuple[str, Callable[..., str]]] = {"timeline": ("timeline", timeline_html),
                                                    "who_said": ("who_said_what", speakers_html)}


def _parse_json(value: str | None, what: str) -> Any:
    if value is None or not str(value).strip():
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc}", fix=f"pass {what} as a JSON string, or leave it empty") from exc


def ask_endpoint(ctx: Ctx) -> Callable[..., dict]:
    """The ``/ask`` API over ``ctx``'s assistant."""
    asst = ctx.asst

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

    return api_ask


def view(ctx: Ctx, kind: str, topic: str, docs: Sequence[str] | None, pubs: Sequence[str] | None,
         date_from: str | None, date_to: str | None) -> str:
    """The ``kind`` view of ``topic`` under the chat's filters."""
    topic = (topic or "").strip()
    if not topic:
        return status_html("Type a topic first, e.g. a person, a place or an event.", "hint")
    method, draw = VIEWS[kind]
    try:
        return draw(topic, getattr(ctx.asst, method)(topic, filters=filters_of(docs, pubs, date_from, date_to)))
    except AssistantError as exc:
        return ctx.err(exc)


def view_endpoint(ctx: Ctx, kind: str) -> Callable[..., list[dict]]:
    """The ``kind`` view as an API: its items as JSON."""
    find = getattr(ctx.asst, VIEWS[kind][0])

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
