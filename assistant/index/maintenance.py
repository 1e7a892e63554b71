"""Destructive index operations, kept apart from everyday code paths."""

from __future__ import annotations

import shutil

from assistant.config import Settings


def delete_index(settings: Settings) -> None:
    """Remove the collections (server) or the index directory (embedded), and the caches.

    On a server, only a collection that is not there is passed over (NotFoundError: never
    built, or already deleted). Any other failure (the server went away, refused the delete)
    stops the rebuild with ServerUnavailable: passing over it, as a bare ``except`` did,
    would re-ingest into the old collections and report a rebuild that never happened."""
    if settings.chroma_url:
        from chromadb.errors import NotFoundError

        from assistant.errors import ServerUnavailable
        from assistant.index.store import connect

        client = connect(settings)
        for name in (f"{settings.collection}_chunks", f"{settings.collection}_docs"):
            try:
                client.delete_collection(name)
            except NotFoundError:
                pass  # not there: nothing to delete
            except Exception as exc:
                raise ServerUnavailable(
                    f"could not delete collection {name!r} on the Chroma server at {settings.chroma_url} "
                    f"({type(exc).__name__}: {exc}); nothing was rebuilt",
                    url=settings.chroma_url,
                    fix="check that the server is running and lets this client delete collections, then run "
                        "the same `assistant ingest --rebuild ...` command again",
                ) from exc
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
