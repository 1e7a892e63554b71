"""The keyword index on a PostgreSQL server: the ``KeywordIndex`` Protocol over the
network, as the Chroma server serves the vectors (``ASSISTANT_KEYWORD_BACKEND=postgres``
and ``ASSISTANT_KEYWORD_URL=postgresql://...``).

An inverted index in three tables (chunks with their lengths, postings with term
frequencies, terms with their document frequencies) and one row of corpus statistics,
all updated in the transaction that adds or deletes documents, so every reader sees a
whole commit and the same exact BM25 as the local segments (Lucene's, with the project's
tokens; ``tests/index/test_keyword_pg.py`` checks the scores against them). The scoring
is one SQL statement: the query's postings joined with their terms' idf and their
chunks' lengths, summed per chunk.

This is the seam for a keyword engine on other machines, not a tuned one: every query
reads the full postings of its terms, so at a million chunks a common word costs what it
costs the local segments (``docs/scaling.md``). Past one machine the same Protocol would
sit in front of a sharded engine (OpenSearch, or Postgres with Citus/ParadeDB).
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

from assistant.index.bm25 import K1, B
from assistant.index.keyword import CountedView, KeywordChunk, LazyView

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}chunks (row BIGSERIAL PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL,
                                      doc_id TEXT NOT NULL, len INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS {p}chunks_doc ON {p}chunks(doc_id);
CREATE TABLE IF NOT EXISTS {p}postings (term TEXT COLLATE "C" NOT NULL, row BIGINT NOT NULL, tf INTEGER NOT NULL,
                                        PRIMARY KEY (term, row));
CREATE INDEX IF NOT EXISTS {p}postings_row ON {p}postings(row);
CREATE TABLE IF NOT EXISTS {p}terms (term TEXT COLLATE "C" PRIMARY KEY, df INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS {p}stats (id INTEGER PRIMARY KEY, n BIGINT NOT NULL, total_len BIGINT NOT NULL,
                                     version BIGINT NOT NULL);
"""

_SEARCH = """
WITH q(term, times) AS (SELECT * FROM unnest(%(terms)s::text[], %(times)s::int[])),
     s AS (SELECT n, total_len::float8 / GREATEST(n, 1) AS avg_len FROM {p}stats WHERE id = 1)
SELECT c.chunk_id,
       SUM(q.times * ln(1 + (s.n - t.df + 0.5) / (t.df + 0.5))
           * p.tf / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * c.len / s.avg_len))) AS score
FROM q JOIN {p}terms t ON t.term = q.term AND t.df > 0
       JOIN {p}postings p ON p.term = q.term
       JOIN {p}chunks c ON c.row = p.row
       CROSS JOIN s
{where}
GROUP BY c.chunk_id ORDER BY score DESC, c.chunk_id LIMIT %(k)s
"""


def table_prefix(namespace: str) -> str:
    """Tables of one index on a shared server: ``kw_<hash of the namespace>_``."""
    return f"kw_{hashlib.sha1(namespace.encode()).hexdigest()[:10]}_"


class PostgresView(CountedView):
    """The index as of one commit (``KeywordSearch``); queries run on the server."""

    def __init__(self, owner: PostgresKeywordIndex, n: int, version: int) -> None:
        self._owner = owner
        self.n_chunks = n
        self.version = version
        self.n_segments = 1

    def df(self, token: str) -> int:
        row = self._owner.fetch(f"SELECT df FROM {self._owner.p}terms WHERE term = %s", (token,))
        return int(row[0][0]) if row else 0

    def prefix_df(self, prefix: str) -> int:
        row = self._owner.fetch(f"SELECT count(*) FROM (SELECT 1 FROM {self._owner.p}terms WHERE term >= %s"
                                f" AND term < %s AND df > 0 LIMIT 1000) x", (prefix, prefix + "\U0010ffff"))
        return int(row[0][0])

    def search(self, tokens: list[str], k: int, docs: Collection[str] | None = None) -> list[tuple[str, float]]:
        times = Counter(t for t in tokens if t)
        if not times or self.empty or (docs is not None and not docs):
            return []
        args: dict[str, Any] = {"terms": list(times), "times": list(times.values()), "k": k, "k1": K1, "b": B}
        where = ""
        if docs is not None:
            where, args["docs"] = "WHERE c.doc_id = ANY(%(docs)s::text[])", sorted(docs)
        rows = self._owner.fetch(_SEARCH.format(p=self._owner.p, where=where), args)
        return [(cid, float(score)) for cid, score in rows if score > 0]


class PostgresKeywordIndex(LazyView[PostgresView]):
    """``KeywordIndex`` on a PostgreSQL server at ``url``, in tables named for ``namespace``."""

    def __init__(self, url: str, namespace: str) -> None:
        import psycopg

        self.url = url
        self.p = table_prefix(namespace)
        self._conn = psycopg.connect(url, autocommit=True)
        self._lock = threading.RLock()
        self._view: PostgresView | None = None
        with self._lock, self._conn.transaction():
            self._conn.execute(f"SELECT pg_advisory_xact_lock({int(self.p[3:13], 16) % (2**31)})")
            self._conn.execute(_SCHEMA.format(p=self.p))

    def fetch(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def exists(self) -> bool:
        return bool(self.fetch(f"SELECT 1 FROM {self.p}stats WHERE id = 1"))

    def refresh(self) -> bool:
        with self._lock:
            row = self.fetch(f"SELECT n, version FROM {self.p}stats WHERE id = 1")
            if not row:
                changed, self._view = self._view is not None, None
                return changed
            n, version = int(row[0][0]), int(row[0][1])
            if self._view is not None and self._view.version == version:
                return False
            self._view = PostgresView(self, n, version)
            return True

    def apply(self, remove_docs: Sequence[str], add: Sequence[KeywordChunk]) -> None:
        p = self.p
        gone = sorted(set(remove_docs) | {c.doc_id for c in add})
        with self._lock, self._conn.transaction():
            cur = self._conn.cursor()
            cur.execute(f"INSERT INTO {p}stats VALUES (1, 0, 0, 0) ON CONFLICT (id) DO NOTHING")
            cur.execute(f"SELECT n, total_len FROM {p}stats WHERE id = 1 FOR UPDATE")
            n, total = cur.fetchone()
            if gone:
                cur.execute(f"SELECT row, len FROM {p}chunks WHERE doc_id = ANY(%s)", (gone,))
                old = cur.fetchall()
                rows = [r for r, _ in old]
                if rows:
                    cur.execute(f"UPDATE {p}terms t SET df = t.df - x.c FROM (SELECT term, count(*) AS c FROM "
                                f"{p}postings WHERE row = ANY(%s) GROUP BY term) x WHERE t.term = x.term", (rows,))
                    cur.execute(f"DELETE FROM {p}postings WHERE row = ANY(%s)", (rows,))
                    cur.execute(f"DELETE FROM {p}chunks WHERE row = ANY(%s)", (rows,))
                    n, total = n - len(rows), total - sum(ln for _, ln in old)
            df: Counter[str] = Counter()
            for c in add:
                toks = [t for t in c.tokens if t]
                cur.execute(f"INSERT INTO {p}chunks (chunk_id, doc_id, len) VALUES (%s, %s, %s) RETURNING row",
                            (c.chunk_id, c.doc_id, max(len(toks), 1)))
                row = cur.fetchone()[0]
                tf = Counter(toks)
                df.update(tf.keys())
                cur.executemany(f"INSERT INTO {p}postings VALUES (%s, %s, %s)", [(t, row, f) for t, f in tf.items()])
                n, total = n + 1, total + max(len(toks), 1)
            cur.executemany(f"INSERT INTO {p}terms VALUES (%s, %s) ON CONFLICT (term) DO UPDATE "
                            f"SET df = {p}terms.df + excluded.df", list(df.items()))
            cur.execute(f"UPDATE {p}stats SET n = %s, total_len = %s, version = version + 1 WHERE id = 1", (n, total))
        self.refresh()

    def reset(self) -> None:
        with self._lock, self._conn.transaction():
            for t in ("postings", "chunks", "terms"):
                self._conn.execute(f"TRUNCATE {self.p}{t}")
            self._conn.execute(f"INSERT INTO {self.p}stats VALUES (1, 0, 0, 0) ON CONFLICT (id) DO UPDATE "
                               f"SET n = 0, total_len = 0, version = {self.p}stats.version + 1")
        self.refresh()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
