"""The keyword index backends, by name (one Protocol: ``keyword.KeywordIndex``).

- ``tantivy`` (default): Tantivy's segments, BM25 and background merges, fed the
  project's tokens (``keyword_tantivy.py``).
- ``segments``: the same design on numpy arrays, with exact Lucene BM25 and exact
  corpus statistics after deletions; no native dependency (``keyword.py``).

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


KEYWORD_BACKENDS: dict[str, Callable[[Path], KeywordIndex]] = {
    "tantivy": _tantivy,
    "segments": SegmentedIndex,
}
DEFAULT_KEYWORD_BACKEND = "tantivy"


def open_keyword(name: str, cache_dir: Path) -> KeywordIndex:
    """The backend ``name`` over its files in ``cache_dir``."""
    make = KEYWORD_BACKENDS.get(name)
    if make is None:
        raise ConfigError(f"unknown keyword backend {name!r}",
                          fix=f"set ASSISTANT_KEYWORD_BACKEND to one of {', '.join(KEYWORD_BACKENDS)}")
    return make(Path(cache_dir) / f"keyword-{name}")
