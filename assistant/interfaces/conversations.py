"""Conversations kept on the server: each user's chats, in a small SQLite file beside the
index's local caches (``conversations.sqlite``), so they survive a reload and a restart.

    store = ConversationStore.beside(settings)
    conv = store.create("user:ana")
    store.append("user:ana", conv.id, "When did it start?", answer.to_dict())
    store.list("user:ana")                     # newest first
    store.turns("user:ana", conv.id)           # [(question, answer dict)], oldest first

Every call names its owner (``user:NAME`` under ``--auth``, ``browser:ID`` otherwise), and a
conversation is found only under its own owner: one user can neither list, read, rename nor
delete another's. Answers are kept whole (``Answer.to_dict()``: text, citations with their
offsets, confidence, notices), so a reopened conversation shows what the chat showed, with
every citation still clickable. The cache folder holds derived files that may be deleted;
this one is not derived, and nothing that cleans the caches removes it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import ConfigError

__all__ = ["Conversation", "ConversationStore", "title_from"]

FILE_NAME = "conversations.sqlite"
#: Longest title made from a conversation's first question (characters): one line of the sidebar.
TITLE_CHARS = 60
#: Longest title a user may give (characters).
MAX_TITLE_CHARS = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, created REAL, updated REAL);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations(owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    n INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, created REAL,
    PRIMARY KEY (conversation, n));
"""


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created: float
    updated: float
    turns: int


def title_from(question: str, limit: int = TITLE_CHARS) -> str:
    """A sidebar title from a question: one line, cut at a word with an ellipsis."""
    q = " ".join(str(question).split())
    if len(q) <= limit:
        return q
    cut = q[: limit - 1].rsplit(" ", 1)[0] if " " in q[: limit - 1] else q[: limit - 1]
    return cut.rstrip(" ,;:–—-") + "…"


class ConversationStore:
    """Conversations per owner in one SQLite file (safe across threads of one server and
    across processes: SQLite's own locking, WAL journal)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    @classmethod
    def beside(cls, settings: Settings) -> ConversationStore:
        """The store beside ``settings``' index caches."""
        return cls(settings.cache_dir / FILE_NAME)

    # -- reading ---------------------------------------------------------------------------
    def list(self, owner: str) -> list[Conversation]:
        """``owner``'s conversations, the most recently used first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT c.id, c.title, c.created, c.updated, count(t.n) FROM conversations c"
                " LEFT JOIN turns t ON t.conversation = c.id WHERE c.owner=?"
                " GROUP BY c.id ORDER BY c.updated DESC, c.created DESC", (owner,)).fetchall()
        return [Conversation(*r) for r in rows]

    def get(self, owner: str, conversation: str) -> Conversation | None:
        return next((c for c in self.list(owner) if c.id == conversation), None)

    def turns(self, owner: str, conversation: str) -> list[tuple[str, dict[str, Any]]]:
        """The conversation's (question, answer dict) pairs, oldest first; [] when it is not
        ``owner``'s (or does not exist)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT t.question, t.answer FROM turns t JOIN conversations c ON c.id = t.conversation"
                " WHERE c.id=? AND c.owner=? ORDER BY t.n", (conversation, owner)).fetchall()
        return [(q, json.loads(a)) for q, a in rows]

    # -- writing -----------------------------------------------------------------------------
    def create(self, owner: str, title: str = "") -> Conversation:
        if not owner:
            raise ConfigError("a conversation needs an owner", fix="pass the user's or the browser's id")
        now = time.time()
        conv = Conversation(uuid.uuid4().hex, _title(title) or "New conversation", now, now, 0)
        with self._lock, self._db:
            self._db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                             (conv.id, owner, conv.title, conv.created, conv.updated))
        return conv

    def append(self, owner: str, conversation: str, question: str, answer: Mapping[str, Any]) -> Conversation:
        """Add a turn; a conversation still called "New conversation" takes its first
        question as its title. Raises ``ConfigError`` when it is not ``owner``'s."""
        now = time.time()
        with self._lock, self._db:
            row = self._owned(owner, conversation)
            n = self._db.execute("SELECT coalesce(max(n), 0) FROM turns WHERE conversation=?",
                                 (conversation,)).fetchone()[0] + 1
            self._db.execute("INSERT INTO turns VALUES (?, ?, ?, ?, ?)",
                             (conversation, n, question, json.dumps(dict(answer), ensure_ascii=False), now))
            title = row[0] if n > 1 or row[0] != "New conversation" else title_from(question) or row[0]
            self._db.execute("UPDATE conversations SET updated=?, title=? WHERE id=?", (now, title, conversation))
        return self.get(owner, conversation)  # type: ignore[return-value]

    def rename(self, owner: str, conversation: str, title: str) -> Conversation:
        title = _title(title)
        if not title:
            raise ConfigError("a conversation's title cannot be empty", fix="type a title, then rename")
        with self._lock, self._db:
            self._owned(owner, conversation)
            self._db.execute("UPDATE conversations SET title=? WHERE id=?", (title, conversation))
        return self.get(owner, conversation)  # type: ignore[return-value]

    def delete(self, owner: str, conversation: str) -> bool:
        """Delete the conversation and its turns; False when ``owner`` has no such one."""
        with self._lock, self._db:
            cur = self._db.execute("DELETE FROM conversations WHERE id=? AND owner=?", (conversation, owner))
        return cur.rowcount > 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _owned(self, owner: str, conversation: str) -> tuple[str]:
        row = self._db.execute("SELECT title FROM conversations WHERE id=? AND owner=?",
                               (conversation, owner)).fetchone()
        if row is None:
            raise ConfigError("no such conversation (it was deleted, or it is someone else's)",
                              fix="start a new conversation")
        return row


def _title(title: str) -> str:
    return " ".join(str(title or "").split())[:MAX_TITLE_CHARS]
