"""Files uploaded through the chat: copied into one upload folder, never outside it.

A browser (or any HTTP client) chooses the file name, so the name is untrusted:
``../evil.txt``, ``/etc/passwd``, ``C:\\x\\..\\y.txt`` or names with control
characters must all land inside the upload folder under a plain name. Sizes and
counts are limited before anything is read into the index.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import ENV_UPLOAD_DIR, Settings
from assistant.errors import IngestError
from assistant.ingest.loaders import supported_suffixes

#: Formats the loaders read (every suffix a loader is registered for: text, Markdown, HTML,
#: JSONL, PDF, Word .docx, RSS/Atom feeds).
ALLOWED_SUFFIXES = tuple(supported_suffixes())
#: One uploaded file may not exceed this (bytes); the ingest limit for files on disk is larger.
MAX_UPLOAD_BYTES = int(os.environ.get("ASSISTANT_MAX_UPLOAD_BYTES", 25_000_000))
#: Files accepted in one upload.
MAX_UPLOAD_FILES = int(os.environ.get("ASSISTANT_MAX_UPLOAD_FILES", 20))
_MAX_NAME = 120


def default_upload_dir(settings: Settings) -> Path:
    """``ASSISTANT_UPLOAD_DIR``, else ``uploads/`` beside the index's local caches."""
    env = os.environ.get(ENV_UPLOAD_DIR, "").strip()
    return Path(env).expanduser() if env else settings.cache_dir / "uploads"


def safe_name(name: str) -> str:
    """A plain file name from an untrusted one: last path component (either slash),
    NFC-normalised, control and reserved characters replaced, no leading dots.

    Raises ``IngestError`` when nothing usable is left or the suffix is not one the
    loaders read.
    """
    raw = str(name)
    base = re.split(r"[\\/]", raw)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join("_" if (unicodedata.category(ch)[0] == "C" or ch in '<>:"|?*') else ch for ch in base)
    base = base.strip().lstrip(".").strip()
    if not base or base in (".", ".."):
        raise IngestError(f"the upload name {raw!r} has no usable file name", source=raw,
                          fix="rename the file, e.g. article.txt")
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix.lower()}" not in ALLOWED_SUFFIXES:
        raise IngestError(f"{raw!r} is not a supported file type", source=raw,
                          fix=f"upload one of {', '.join(ALLOWED_SUFFIXES)}")
    stem = stem[: _MAX_NAME - len(suffix) - 1] or "upload"
    return f"{stem}.{suffix.lower()}"


def confined_path(upload_dir: Path, name: str) -> Path:
    """``upload_dir / safe_name(name)``, checked to resolve inside ``upload_dir``."""
    root = Path(upload_dir).resolve()
    target = (root / safe_name(name)).resolve()
    if target.parent != root:
        raise IngestError(f"the upload name {name!r} points outside the upload folder", source=str(name),
                          fix="rename the file to a plain name")
    return target


@dataclass
class StagedUploads:
    """What ``stage_uploads`` did: files placed in the upload folder, and files refused."""

    saved: list[tuple[str, Path]] = field(default_factory=list)  # (name as uploaded, path)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (name as uploaded, reason)

    @property
    def paths(self) -> list[Path]:
        return [p for _, p in self.saved]


def stage_uploads(files: Iterable[tuple[str, str | Path]], upload_dir: Path, *,
                  max_bytes: int = MAX_UPLOAD_BYTES, max_files: int = MAX_UPLOAD_FILES) -> StagedUploads:
    """Copy uploaded files (``(name as uploaded, temporary path)``) into ``upload_dir``.

    A bad file (type, size, name) is refused with a reason and the others go on.
    More than ``max_files`` files is refused as a whole: it is a mistake or abuse,
    not something to half-do. A name already taken by a different file gets a
    numbered name so one upload never silently replaces another's document.
    """
    items: Sequence[tuple[str, str | Path]] = list(files)
    if len(items) > max_files:
        raise IngestError(f"{len(items)} files uploaded at once; the limit is {max_files}",
                          fix=f"upload at most {max_files} files at a time")
    upload_dir = Path(upload_dir)
    upload_dir.mkdir(parents=True, exist_ok=True)
    out = StagedUploads()
    for name, tmp in items:
        shown = str(name)
        try:
            target = confined_path(upload_dir, shown)
            src = Path(tmp)
            if not src.is_file():
                raise IngestError(f"{shown!r} was not received", source=shown, fix="upload it again")
            size = src.stat().st_size
            if size > max_bytes:
                raise IngestError(f"{shown!r} is {size / 1e6:.1f} MB; uploads are limited to "
                                  f"{max_bytes / 1e6:.0f} MB", source=shown,
                                  fix="split the file, or ingest it from disk with `assistant ingest`")
            if size == 0:
                raise IngestError(f"{shown!r} is empty", source=shown, fix="upload a file with text in it")
            target = _free_name(target, src)
            shutil.copyfile(src, target)
            out.saved.append((shown, target))
        except IngestError as exc:
            out.rejected.append((shown, exc.message))
        except OSError as exc:
            out.rejected.append((shown, f"could not be saved: {exc.strerror or exc}"))
    return out


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 16), fb.read(1 << 16)
            if x != y:
                return False
            if not x:
                return True


def _free_name(target: Path, src: Path) -> Path:
    """``target`` if free or already holding the same bytes, else ``stem-2.ext``, ``stem-3.ext``..."""
    if not target.exists() or _same_bytes(target, src):
        return target
    for i in range(2, 10_000):
        cand = target.with_name(f"{target.stem}-{i}{target.suffix}")
        if not cand.exists() or _same_bytes(cand, src):
            return cand
    raise IngestError(f"too many uploads named {target.name!r}", source=target.name, fix="rename the file")
