"""Destructive index operations, kept apart from everyday code paths."""

from __future__ import annotations

import shutil

from assistant.config import Settings


def delete_index(settings: Settings) -> None:
    """Remove the collections (server) or the index directory (embedded), and the caches."""
    if settings.chroma_url:
        from assistant.index.store import connect

        client = connect(settings)
        for name in (f"{settings.collection}_chunks", f"{settings.collection}_docs"):
            try:
                client.delete_collection(name)
            except Exception:
                pass  # not there: nothing to delete
        shutil.rmtree(settings.cache_dir, ignore_errors=True)
        return
    d = settings.index_dir
    if d.exists():
        if any(d.iterdir()) and not (d / "chroma.sqlite3").exists() and not (d / "assistant").exists():
            from assistant.errors import ConfigError

            raise ConfigError(f"{d} does not look like an index (no chroma.sqlite3); not deleting it",
                              fix="pass the right --index-dir")
        shutil.rmtree(d)
