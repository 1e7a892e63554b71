"""The conversations sidebar: every conversation of this user (``--auth``) or this browser
(an id kept in its local storage), newest first; new, rename, delete (asked first),
reopen. A reopened conversation is drawn from the stored answers, so its citations open
their sentences as they did.
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.interfaces.render import answer_to_html, question_html
from chatui.context import Ctx

#: The key under which a browser keeps its id (local storage), and the file holding the
#: key that seals it: both fixed, so that the id outlives a server restart.
BROWSER_KEY = "news-assistant-browser-id"
SECRET_FILE = "browser-state.key"


def browser_secret(cache_dir: Path) -> str:
    """The secret that seals browser ids in local storage, made once and kept beside the
    conversations (readable by this user only)."""
    path = Path(cache_dir) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as fh:  # first start: make it (one process wins)
            fh.write(secrets.token_urlsafe(24))
        path.chmod(0o600)
    except FileExistsError:
        pass
    return path.read_text(encoding="utf-8").strip()


def owner_of(request: gr.Request | None, browser_id: str) -> str:
    """Whose conversations these are: the signed-in user, else this browser."""
    user = getattr(request, "username", None) if request is not None else None
    if user:
        return f"user:{user}"
    return f"browser:{browser_id}" if browser_id else ""


def messages(ctx: Ctx, turns: list[tuple[str, dict[str, Any]]]) -> list[dict[str, str]]:
    """The chat's messages for stored turns, drawn as the chat drew them."""
    out: list[dict[str, str]] = []
    for question, answer in turns:
        out.append({"role": "user", "content": question_html(question)})
        out.append({"role": "assistant", "content": answer_to_html(answer, doc_text=ctx.doc_text,
                                                                   scanned=ctx.scanned)})
    return out


def choices(ctx: Ctx, owner: str) -> list[tuple[str, str]]:
    return [(c.title, c.id) for c in ctx.store.list(owner)] if owner else []


def list_update(ctx: Ctx, owner: str, current: str | None) -> Any:
    return gr.update(choices=choices(ctx, owner), value=current or None)


def _empty_viewer() -> Any:
    from assistant.interfaces.render import document_html

    return document_html(None)


def load(ctx: Ctx, owner: str, conv: str | None) -> tuple[Any, ...]:
    """(chatbot, turns, conversation id, list, title box, source picker, viewer) for ``conv``
    (None: an empty, new conversation)."""
    c = ctx.store.get(owner, conv) if owner and conv else None  # gone, or someone else's: a new one
    turns = ctx.store.turns(owner, c.id) if c is not None else []
    conv, title = (c.id, c.title) if c is not None else ("", "")
    state = [{"question": q, "answer": a} for q, a in turns]
    return (messages(ctx, turns), state, conv, list_update(ctx, owner, conv), title,
            gr.update(choices=[], value=None), _empty_viewer())


def start(ctx: Ctx, browser_id: str, request: gr.Request) -> tuple[Any, ...]:
    """On page load: this browser's id (made on its first visit), and its newest
    conversation reopened: (browser id, *load outputs)."""
    browser_id = browser_id or uuid.uuid4().hex
    owner = owner_of(request, browser_id)
    convs = ctx.store.list(owner)
    return (browser_id, *load(ctx, owner, convs[0].id if convs else None))


def reopen(ctx: Ctx, conv: str, browser_id: str, request: gr.Request) -> tuple[Any, ...]:
    return load(ctx, owner_of(request, browser_id), conv or None)


def new(ctx: Ctx, browser_id: str, request: gr.Request) -> tuple[Any, ...]:
    """An empty conversation; it is saved with its first question (no empty ones listed)."""
    return load(ctx, owner_of(request, browser_id), None)


def rename(ctx: Ctx, conv: str, title: str, browser_id: str, request: gr.Request) -> tuple[Any, str, str]:
    """(list, title box, note)."""
    owner = owner_of(request, browser_id)
    if not conv:
        return gr.update(), "", "Ask a question first: the conversation is saved with it."
    try:
        c = ctx.store.rename(owner, conv, title)
    except AssistantError as exc:
        return gr.update(), title, f"{exc.message}; {exc.fix}"
    return list_update(ctx, owner, conv), c.title, ""


def ask_delete(ctx: Ctx, conv: str, browser_id: str, request: gr.Request) -> tuple[Any, Any]:
    """(the confirmation panel, its text)."""
    c = ctx.store.get(owner_of(request, browser_id), conv) if conv else None
    if c is None:
        return gr.update(visible=False), ""
    return gr.update(visible=True), f"Delete “{c.title}” and its {c.turns} question(s)? This cannot be undone."


def delete(ctx: Ctx, conv: str, browser_id: str, request: gr.Request) -> tuple[Any, ...]:
    """(confirmation panel, *load outputs for an empty conversation)."""
    owner = owner_of(request, browser_id)
    if conv:
        ctx.store.delete(owner, conv)
    return (gr.update(visible=False), *load(ctx, owner, None))


def save_turn(ctx: Ctx, owner: str, conv: str, question: str, answer: dict[str, Any]) -> tuple[str, Any]:
    """Store a turn (making the conversation on its first question): (conversation id, list)."""
    if not owner:
        return conv, gr.update()
    if not conv or ctx.store.get(owner, conv) is None:
        conv = ctx.store.create(owner).id
    ctx.store.append(owner, conv, question, answer)
    return conv, list_update(ctx, owner, conv)
