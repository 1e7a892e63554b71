"""Files and directories -> sources for the loaders, in a deterministic order.

Bad input never stops a batch: every file that cannot be read (or line, or feed item,
that cannot be used) is yielded as a ``LoadFailure`` naming the source and saying how
to fix it, and the rest of the batch still loads.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant import config
from assistant.ingest import faults
from assistant.ingest.loaders.base import REGISTRY, Batch, LoadFailure, Source, loader_for
from assistant.ingest.loaders.limits import ReadLimits
from assistant.models import Document

#: A browser's "Save page" writes ``Name.html`` and its images, scripts and embedded frames
#: into ``Name_files/`` (Chromium, Firefox) or ``Name-Dateien``/``Name_fichiers`` (localised).
_SAVED_PAGE_DIR_SUFFIXES = ("_files", "-Dateien", "_fichiers", "-bestanden", "_archivos")


def read_source(path: Path, label: str) -> bytes | LoadFailure:
    """Raw bytes of ``path`` or a failure saying why it cannot be read."""
    try:
        if path.is_symlink() and not path.exists():
            return LoadFailure(label, f"broken symbolic link (points to {os.readlink(path)!s}, which does not exist); fix or remove the link")
        st = path.stat()
    except FileNotFoundError:
        return LoadFailure(label, "file not found; check the path")
    except PermissionError:
        return LoadFailure(label, "permission denied; make the file readable (chmod +r) or run as a user who can read it")
    except OSError as e:
        return LoadFailure(label, f"cannot read it ({e.strerror or e}); check the path and the disk")
    if not path.is_file():
        return LoadFailure(label, "not a regular file (a device, socket or pipe); pass an article file or a directory")
    if st.st_size > config.MAX_FILE_BYTES:
        return LoadFailure(
            label,
            f"file is {st.st_size / 1e6:.1f} MB, over the {config.MAX_FILE_BYTES / 1e6:.0f} MB limit "
            "(config.MAX_FILE_BYTES); split it into smaller files",
        )
    try:
        return path.read_bytes()
    except PermissionError:
        return LoadFailure(label, "permission denied; make the file readable (chmod +r) or run as a user who can read it")
    except OSError as e:
        return LoadFailure(label, f"cannot read it ({e.strerror or e}); check the file and the disk")


def _saved_page_assets(d: Path, names: set[str]) -> bool:
    """``d`` holds the assets of a page saved beside it (``Name_files`` next to ``Name.html``)."""
    for suffix in _SAVED_PAGE_DIR_SUFFIXES:
        if d.name.endswith(suffix):
            stem = d.name[: -len(suffix)]
            return any(f"{stem}{ext}" in names for ext in (".html", ".htm", ".HTML", ".HTM"))
    return False


def _walk(root: Path) -> Iterator[tuple[Path, str] | LoadFailure]:
    """Files under ``root`` (sorted, depth first, hidden entries and saved-page asset folders
    skipped), with their path relative to ``root``; directory symlink loops are followed once."""
    seen: set[str] = set()

    def rec(d: Path, rel: Path) -> Iterator[tuple[Path, str] | LoadFailure]:
        real = os.path.realpath(d)
        if real in seen:
            return
        seen.add(real)
        try:
            entries = sorted(d.iterdir(), key=lambda p: p.name)
        except PermissionError:
            yield LoadFailure(str(d), "permission denied on this directory; make it readable (chmod +rx)")
            return
        except OSError as e:
            yield LoadFailure(str(d), f"cannot list this directory ({e.strerror or e})")
            return
        names = {p.name for p in entries}
        for p in entries:
            if p.name.startswith("."):
                continue
            if p.is_dir():
                if not _saved_page_assets(p, names):
                    yield from rec(p, rel / p.name)
            else:
                yield p, (rel / p.name).as_posix()

    yield from rec(root, Path())


def _load_file(path: Path, rel: str, batch: Batch, limits: ReadLimits) -> Iterator[Document | LoadFailure]:
    """The file's documents; anything its loader raises (a bug, MemoryError) is a failure
    of this file, never the end of the batch."""
    loader = loader_for(path)
    assert loader is not None
    label = str(path)
    try:
        faults.check("loader", label)
        data = read_source(path, label)
        if isinstance(data, LoadFailure):
            yield data
            return
        yield from loader.load(Source(path, rel, data, label, limits), batch)
    except Exception as exc:
        why = ("reading it ran out of memory; split it into smaller files" if isinstance(exc, MemoryError)
               else f"the {path.suffix or 'file'} reader failed ({type(exc).__name__}: {exc}); check that the file "
                    "is what its name says, or convert it (e.g. to .txt) and ingest that")
        yield LoadFailure(label, why)


def supported_suffixes() -> list[str]:
    return sorted(REGISTRY)


def iter_sources(paths: Iterable[str | Path] | str | Path,
                 limits: ReadLimits | None = None) -> Iterator[Document | LoadFailure]:
    """Load every document from files and directories, in a deterministic order.

    Directories are walked recursively (sorted, hidden files and folders
    skipped, unknown extensions ignored); a file named explicitly with an
    unknown extension is a failure. ``doc_id`` is the file's base name (a later
    file with the same base name gets its path relative to the directory it was
    found under), a JSONL line's ``id`` or a feed item's id or link. ``limits``: what a
    file may inflate to while it is read (default: from ``ASSISTANT_MAX_DOCUMENT_CHARS``).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    limits = limits or ReadLimits.from_env()
    batch = Batch()
    for given in paths:
        path = Path(given).expanduser()
        label = str(path)
        if path.is_dir():
            for item in _walk(path):
                if isinstance(item, LoadFailure):
                    yield item
                    continue
                p, rel = item
                if loader_for(p) is not None:
                    yield from _load_file(p, rel, batch, limits)
            continue
        if not path.exists() and not path.is_symlink():
            yield LoadFailure(label, "no such file or directory; check the path")
            continue
        if loader_for(path) is None:
            yield LoadFailure(
                label,
                f"unsupported file type {path.suffix or '(no extension)'!r}; supported: "
                + ", ".join(supported_suffixes()) + " (rename it or convert it)",
            )
            continue
        yield from _load_file(path, path.as_posix(), batch, limits)
