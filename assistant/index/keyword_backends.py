"""The keyword index backends, by name (one Protocol: ``keyword.KeywordIndex``).

- ``tantivy`` (the default: ``config.DEFAULT_KEYWORD_BACKEND``): Tantivy's segments, BM25
  and background merges, fed the project's tokens (``keyword_tantivy.py``).
- ``segments``: the same design on numpy arrays, with exact Lucene BM25 and exact
  corpus statistics after deletions; no native dependency (``keyword.py``).
- ``postgres``: a PostgreSQL server at ``ASSISTANT_KEYWORD_URL`` (``keyword_pg.py``;
  needs ``psycopg``, the ``[postgres]`` extra), one set of tables per local cache.

Both keep their files in the local cache, beside the annotation store, under
``keyword-<name>``. ``docs/scaling.md`` has the measurements behind the default.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.errors import ConfigError
from assistant.index.keyword import KeywordIndex, SegmentedIndex


def _tantivy(path: Path) -> KeywordIndex:
    from assistant.index.keyword_tantivy import TantivyIndex

    return TantivyIndex(path)


def _postgres(path: Path) -> KeywordIndex:
    import os

    from assistant.index.keyword_pg import PostgresKeywordIndex

    url = os.environ.get(ENV_KEYWORD_URL, "")
    if not url:
        raise ConfigError("the postgres keyword backend needs the server's address",
                          fix=f"set {ENV_KEYWORD_URL}=postgresql://USER@HOST:PORT/DB")
    try:
        return PostgresKeywordIndex(url, str(path.resolve()))
    except ImportError as exc:
        raise ConfigError(f"the postgres keyword backend needs psycopg ({exc})",
                          fix="pip install 'news-assistant[postgres]'") from exc
    except Exception as exc:
        from assistant.errors import ServerUnavailable

        raise ServerUnavailable(f"cannot reach the keyword server at {url} ({type(exc).__name__}: {exc})", url=url,
                                fix=f"start it, or check {ENV_KEYWORD_URL}") from exc


#: Where the postgres backend's server is.
ENV_KEYWORD_URL = "ASSISTANT_KEYWORD_URL"

KEYWORD_BACKENDS: dict[str, Callable[[Path], KeywordIndex]] = {
    "tantivy": _tantivy,
    "segments": SegmentedIndex,
    "postgres": _postgres,
}


def open_keyword(name: str, cache_dir: Path) -> KeywordIndex:
    """The backend ``name`` over its files in ``cache_dir``."""
    make = KEYWORD_BACKENDS.get(name)
    if make is None:
        raise ConfigError(f"unknown keyword backend {name!r}",
                          fix=f"set ASSISTANT_KEYWORD_BACKEND to one of {', '.join(KEYWORD_BACKENDS)}")
    return make(Path(cache_dir) / f"keyword-{name}")
