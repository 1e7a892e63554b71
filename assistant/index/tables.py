"""The annotation store's tables (``SCHEMA``), the rows read from them (``StoredChunks``,
``ChunkSpan``), and what a batch of stored or removed documents changes in the alias
and summary counts (``CountDelta``), for ``cache.LocalIndex``."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

from assistant.index.aliases import AliasIndex, EntityCounts, document_entities
from assistant.text.tokens import tokenize

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, content_hash TEXT, record TEXT, text TEXT, annotations TEXT);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT, idx INTEGER, start INTEGER, end INTEGER);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
-- ``LocalIndex.spans`` joins every retrieval candidate to its document's hash: read from
-- this index (10 MB at 1M chunks) instead of the rows beside their texts (0.7 GB of pages),
-- 16 -> 6 ms per question from a cold page cache (the bench's 1M index).
CREATE INDEX IF NOT EXISTS docs_hash ON docs(doc_id, content_hash);
-- An ingest asks which stored document has a new one's content (``owner_of``).
CREATE INDEX IF NOT EXISTS docs_content ON docs(content_hash, doc_id);
CREATE TABLE IF NOT EXISTS pending (doc_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS summary_dates (date TEXT PRIMARY KEY, n INTEGER);
CREATE TABLE IF NOT EXISTS summary_tokens (token TEXT PRIMARY KEY, n INTEGER);
"""


class StoredChunks:
    """The chunk table as lists: ``ids``, ``doc_ids``, ``starts``, ``ends`` by row, and
    ``row_of`` (chunk id -> row)."""

    def __init__(self, rows: Sequence[tuple[str, str, int, int]]) -> None:
        self.ids = [r[0] for r in rows]
        self.doc_ids = [r[1] for r in rows]
        self.starts = [r[2] for r in rows]
        self.ends = [r[3] for r in rows]
        self.row_of = {cid: n for n, cid in enumerate(self.ids)}


def _summary_counts(record: dict[str, Any]) -> tuple[list[str], set[str]]:
    """What one document adds to the corpus summary: its date (if it has a year) and the
    search tokens of its publisher and author."""
    d = str(record.get("date", "") or "")
    return ([d] if d[:4].isdigit() else []), set(tokenize(f"{record.get('publisher', '')} {record.get('author', '')}"))


class CountDelta:
    """What a batch of stored and removed documents changes in the alias and summary
    counts, written in one go (``write``, inside the batch's transaction)."""

    def __init__(self) -> None:
        self.entities = EntityCounts()
        self.dates: Counter[str] = Counter()
        self.tokens: Counter[str] = Counter()

    def add(self, record: dict[str, Any], annotations: dict[str, Any], sign: int) -> None:
        self.entities.add(EntityCounts.of(document_entities(annotations)), sign)
        dates, toks = _summary_counts(record)
        for c, keys in ((self.dates, dates), (self.tokens, toks)):
            if sign > 0:
                c.update(keys)
            else:
                c.subtract(keys)

    def write(self, db: sqlite3.Connection) -> None:
        AliasIndex.apply(db, self.entities)
        up = "ON CONFLICT DO UPDATE SET n = n + excluded.n"
        for table, col, c in (("summary_dates", "date", self.dates), ("summary_tokens", "token", self.tokens)):
            db.executemany(f"INSERT INTO {table} VALUES (?, ?) {up}", [(k, n) for k, n in c.items() if n])
            db.executemany(f"DELETE FROM {table} WHERE {col} = ? AND n <= 0", [(k,) for k, n in c.items() if n < 0])


class ChunkSpan(NamedTuple):
    """Where a stored chunk lies: its document, offsets, and the content hash of the
    document version those offsets were cut from."""

    doc_id: str
    start: int
    end: int
    content_hash: str


def stored_record(db: sqlite3.Connection, doc_id: str) -> dict[str, Any] | None:
    """The stored record of ``doc_id`` (``DocRecord`` fields), read by primary key."""
    row = db.execute("SELECT record, content_hash FROM docs WHERE doc_id=?", (doc_id,)).fetchone()
    return None if row is None else {**json.loads(row[0]), "content_hash": row[1]}


def owner_of(db: sqlite3.Connection, content_hash: str) -> str | None:
    """The first (by id) stored document with this cleaned content, if any."""
    row = db.execute("SELECT min(doc_id) FROM docs WHERE content_hash=?", (content_hash,)).fetchone()
    return row[0] if row else None
