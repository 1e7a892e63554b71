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
        if not d.is_dir() or (any(d.iterdir()) and not (d / "chroma.sqlite3").exists()
                              and not (d / "assistant").exists()):
            from assistant.errors import ConfigError
            from assistant.index.store import fresh_index_dir, ingest_command

            what = "a file" if not d.is_dir() else "a directory of other files (no chroma.sqlite3)"
            raise ConfigError(f"{d.absolute()} is {what}, not an index; not deleting it",
                              fix="pass the index directory, or build a new index beside it: "
                                  f"{ingest_command(settings, fresh_index_dir(d))}")
        shutil.rmtree(d)
