"""Read article files (.txt, .md, .html/.htm, .jsonl) into ``Document`` records.

Bad input never stops a batch: every file or JSONL line that cannot be used is
yielded as a ``LoadFailure`` naming the source and saying how to fix it, and
the rest of the batch still loads.

Encoding detection follows the WHATWG "sniff a BOM, else try UTF-8" order, then
falls back to Windows-1252 / Latin-1 for the bytes UTF-8 rejects when the bytes still look like
text (few control characters), so legacy files load with a correct decode
instead of being rejected or filled with U+FFFD.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from assistant import config
from assistant.ingest.metadata import parse_date
from assistant.models import Document

FORMATS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}

#: Share of NUL bytes above which a file without a UTF-16 layout is binary.
_NUL_BINARY_SHARE = 0.10
#: Share of control characters (after decoding) above which content is not text.
_CONTROL_SHARE = 0.05


@dataclass
class LoadFailure:
    """A source that could not be loaded; ``reason`` says why and how to fix it."""

    source: str
    reason: str


class _DecodeError(Exception):
    pass


# ---------------------------------------------------------------------------
# Decoding


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(
        1
        for c in text
        if c == "\ufffd" or (unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v")
    )
    return bad / len(text)


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejected as Windows-1252 (Latin-1 for its five holes)."""
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start:err.end]
    try:
        return bad.decode("cp1252"), err.end
    except UnicodeDecodeError:
        return bad.decode("latin-1"), err.end


codecs.register_error("assistant-cp1252-fallback", _cp1252_fallback)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a BOM shows NULs in every other byte."""
    if len(data) < 4:
        return None
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    half = len(data) / 2
    for zeros, codec in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if zeros >= 0.4 * half and zeros >= 3 * max(1, min(even, odd)):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if _control_share(text) < _CONTROL_SHARE:
                return text
    return None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and the encoding used, for the raw bytes of a text file.

    Order: BOM (UTF-32/UTF-16/UTF-8), UTF-16 without BOM (NUL layout), strict
    UTF-8, then UTF-8 with every rejected byte read as Windows-1252/Latin-1
    (handles legacy files and files that mix encodings). Stray NULs are removed. Raises ``_DecodeError`` when the
    bytes are binary or decode to control-character soup.
    """
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as e:
                raise _DecodeError(f"it starts with a {codec.upper()} byte-order mark but is not valid {codec.upper()} ({e.reason})") from e
            return text.replace("\x00", ""), codec
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    nul = data.count(0)
    if nul:
        text16 = _utf16_without_bom(data)
        if text16 is not None:
            return text16, "utf-16"
        if nul / len(data) > _NUL_BINARY_SHARE:
            raise _DecodeError(f"it looks binary ({nul / len(data):.0%} of its bytes are NUL)")
        data = data.replace(b"\x00", b"")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Valid UTF-8 sequences stay UTF-8; only the rejected bytes are read as cp1252,
        # so files that mix encodings line by line (or within a line) decode correctly.
        text = data.decode("utf-8", errors="assistant-cp1252-fallback")
        encoding = "utf-8+cp1252"
    share = _control_share(text)
    if share > _CONTROL_SHARE:
        raise _DecodeError(f"it does not decode to text ({share:.0%} control characters): it looks binary")
    return text, encoding


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------
# HTML

_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "nav", "footer", "aside", "form", "iframe", "button", "select", "object", "canvas", "math"})
_PARA_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol", "dl", "table", "figure",
    "section", "article", "header", "main", "hr", "address", "details", "summary", "fieldset",
})
_LINE_TAGS = frozenset({"br", "div", "li", "tr", "dt", "dd", "figcaption", "caption", "center", "option", "tbody", "thead"})
_CELL_TAGS = frozenset({"td", "th"})
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "source", "area", "base", "col", "embed", "param", "track"})


class _HTMLText(HTMLParser):
    """Plain text of an HTML page with block structure kept as line breaks.

    Method: a streaming pass over the tag events (stdlib ``html.parser``);
    block-level elements become line or paragraph breaks, whitespace inside text
    collapses as a browser renders it, and non-content subtrees are skipped.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []
        self.pre = 0
        self.in_title = False
        self.in_h1 = False
        self.title = ""
        self.h1 = ""
        self.meta: dict[str, str] = {}
        self.time = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content") and key not in self.meta:
                self.meta[key] = a["content"].strip()
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.meta.setdefault("canonical", a["href"])
            return
        if tag == "title":
            self.in_title = True
            return
        if self.skip:
            if tag in _SKIP_TAGS and tag not in _VOID_TAGS:
                self.skip.append(tag)
            return
        if tag in _SKIP_TAGS:
            self.skip.append(tag)
            return
        if tag == "time" and not self.time:
            self.time = a.get("datetime", "")
        if tag == "h1" and not self.h1:
            self.in_h1 = True
        if tag == "pre":
            self.pre += 1
        self._block(tag)
        if tag == "li":
            self.parts.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            elif tag in self.skip:
                # Unbalanced markup: close back to the matching element.
                while self.skip and self.skip.pop() != tag:
                    pass
            return
        if tag == "h1":
            self.in_h1 = False
        if tag == "pre" and self.pre:
            self.pre -= 1
        self._block(tag)

    def _block(self, tag: str) -> None:
        if tag == "br":
            self.parts.append("\n")  # each <br> is a break of its own: two make a blank line
        elif tag in _PARA_TAGS:
            self._break(2)
        elif tag in _LINE_TAGS:
            self._break(1)
        elif tag in _CELL_TAGS:
            self.parts.append(" ")

    def _break(self, n: int) -> None:
        """End the output with at least ``n`` newlines (adjacent blocks share their breaks)."""
        tail = "".join(self.parts[-4:]).rstrip(" \t")
        have = len(tail) - len(tail.rstrip("\n"))
        if have < n:
            self.parts.append("\n" * (n - have))

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
            return
        if self.skip:
            return
        if not self.pre:
            data = re.sub(r"[ \t\r\n\f\v]+", " ", data)
        if self.in_h1:
            self.h1 += data
        self.parts.append(data)

    def text(self) -> str:
        raw = "".join(self.parts).replace("\u00a0", " ")
        lines = [re.sub(r"[ \t]{2,}", " ", ln).strip() for ln in raw.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def html_to_text(html: str) -> tuple[str, dict[str, str]]:
    """Plain text of an HTML document and its metadata (title, date, author, publisher, url).

    Titles prefer the first ``<h1>``, then ``og:title``, then ``<title>`` minus a
    trailing " | Site" part; the date comes from ``article:published_time`` or
    the first ``<time datetime>`` outside skipped regions.
    """
    p = _HTMLText()
    p.feed(html)
    p.close()
    meta = p.meta
    title = " ".join(p.h1.split()) or meta.get("og:title", "") or meta.get("twitter:title", "")
    if not title and p.title.strip():
        title = " ".join(p.title.split())
        # "Headline | Site Name": drop a short site suffix.
        m = re.match(r"^(.{12,}?)\s+[|–—·-]\s+([^|–—·]{2,40})$", title)
        if m and len(m.group(2).split()) <= 4:
            title = m.group(1)
    date_src = (
        meta.get("article:published_time") or meta.get("datepublished") or meta.get("date")
        or meta.get("pubdate") or meta.get("publish-date") or meta.get("dc.date") or p.time
    )
    author = meta.get("author") or meta.get("article:author") or ""
    if re.match(r"https?://", author):
        author = ""
    info = {
        "title": unescape(title).strip(),
        "date": parse_date(date_src) if date_src else "",
        "author": author.strip(),
        "publisher": meta.get("og:site_name", "").strip(),
        "url": meta.get("og:url") or meta.get("canonical") or "",
    }
    return p.text(), info


_TAG_HINT = re.compile(r"<\s*/?\s*[A-Za-z][\w-]*(?:\s[^<>]*)?/?\s*>|<!--")
_ENTITY_HINT = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")


def strip_inline_html(text: str) -> str:
    """Remove inline markup from a text field (JSONL), keeping plain text as is.

    Text without tags is only entity-decoded (when it has entities), so a plain
    field keeps its exact characters and spacing.
    """
    if _TAG_HINT.search(text):
        return html_to_text(text)[0]
    if _ENTITY_HINT.search(text):
        return unescape(text)
    return text


# ---------------------------------------------------------------------------
# Markdown

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]+|<[^>]*>)(?:\s+\"[^\"]*\")?\)")
_MD_REFLINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_MD_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_MD_EMPH = (
    re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"),
    re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"),
)
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_MD_SETEXT = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")


def markdown_to_text(md: str) -> tuple[str, dict[str, str]]:
    """Light Markdown stripping that keeps line structure.

    Headings lose their ``#``, emphasis and code marks go, ``[t](u)`` becomes
    ``t``, images and link definitions are dropped, blockquote ``>`` removed.
    A leading ``# Title`` (or YAML front matter ``title:``/``date:``/``author:``)
    gives the title and metadata.
    """
    info = {"title": "", "date": "", "author": ""}
    lines = md.split("\n")
    if lines and lines[0].strip() == "---":
        for k in range(1, min(len(lines), 60)):
            if lines[k].strip() in ("---", "..."):
                for fm in lines[1:k]:
                    m = re.match(r"^\s*(title|date|author|published|publisher|url)\s*:\s*(.+?)\s*$", fm, re.I)
                    if m:
                        key = m.group(1).lower()
                        val = m.group(2).strip("\"'")
                        if key in ("date", "published"):
                            info["date"] = info["date"] or parse_date(val)
                        else:
                            info[key] = info.get(key) or val
                lines = lines[k + 1:]
                break
    out: list[str] = []
    in_fence = False
    first_content = True
    for line in lines:
        if re.match(r"^\s{0,3}(```|~~~)", line):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(line.rstrip())
            continue
        if _MD_REFDEF.match(line):
            continue
        if _MD_SETEXT.match(line) and out and out[-1].strip():
            if line.strip()[0] == "=" and len([o for o in out if o.strip()]) == 1 and not info["title"]:
                info["title"] = out[-1].strip()
            continue
        if _MD_RULE.match(line):
            continue
        h = _MD_HEADING.match(line)
        if h:
            line = h.group(2)
            if first_content and h.group(1) == "#" and not info["title"]:
                info["title"] = _md_inline(line).strip()
        else:
            line = re.sub(r"^(\s{0,3}>\s?)+", "", line)
        if line.strip():
            first_content = False
        out.append(_md_inline(line).rstrip())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")
    return text, info


def _md_inline(line: str) -> str:
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_REFLINK.sub(r"\1", line)
    line = _MD_AUTOLINK.sub(r"\1", line)
    line = _MD_CODE.sub(r"\1", line)
    for rx in _MD_EMPH:
        line = rx.sub(lambda m: m.group(m.lastindex or 1), line)
    return line


# ---------------------------------------------------------------------------
# Files and directories


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _abs(path: Path) -> str:
    """Absolute path (symlinks kept) for ``Document.source``: ``prune`` checks whether the
    file still exists, which must not depend on the directory a later ingest runs from."""
    return os.path.abspath(path)


def _read(path: Path, label: str) -> bytes | LoadFailure:
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


def _decode_file(data: bytes, label: str) -> str | LoadFailure:
    if not data.strip():
        return LoadFailure(label, "file is empty (or only whitespace); remove it or add the article text")
    try:
        text, _encoding = decode_bytes(data)
    except _DecodeError as e:
        return LoadFailure(label, f"not a text file: {e}; remove it or convert it to UTF-8 text")
    text = _normalise_newlines(text)
    if not text.strip():
        return LoadFailure(label, "file is empty (or only whitespace); remove it or add the article text")
    return text


class _Batch:
    """Doc ids already handed out in this batch, for deterministic disambiguation."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def file_id(self, path: Path, rel: str) -> str:
        doc_id = path.name
        if doc_id in self.ids:
            doc_id = rel
            n = 2
            while doc_id in self.ids:
                doc_id = f"{rel}#{n}"
                n += 1
        self.ids.add(doc_id)
        return doc_id


def _load_file(path: Path, rel: str, fmt: str, batch: _Batch) -> Iterator[Document | LoadFailure]:
    label = str(path)
    data = _read(path, label)
    if isinstance(data, LoadFailure):
        yield data
        return
    if fmt == "jsonl":
        yield from _load_jsonl(path, data, batch)
        return
    text = _decode_file(data, label)
    if isinstance(text, LoadFailure):
        yield text
        return
    info: dict[str, str] = {}
    if fmt == "html":
        text, info = html_to_text(text)
    elif fmt == "md":
        text, info = markdown_to_text(text)
    if not text.strip():
        yield LoadFailure(label, f"no readable text left after converting the {fmt.upper()} markup; check that the file holds an article")
        return
    yield Document(
        doc_id=batch.file_id(path, rel),
        text=text,
        source=_abs(path),
        fmt=fmt,
        title=info.get("title", ""),
        date=info.get("date", ""),
        publisher=info.get("publisher", ""),
        author=info.get("author", ""),
        url=info.get("url", ""),
        raw_hash=_sha256(data),
    )


def _str_field(obj: dict, key: str) -> str:
    v = obj.get(key)
    return v.strip() if isinstance(v, str) else ""


def _load_jsonl(path: Path, data: bytes, batch: _Batch) -> Iterator[Document | LoadFailure]:
    label = str(path)
    text = _decode_file(data, label)
    if isinstance(text, LoadFailure):
        yield text
        return
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{label}:line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield LoadFailure(where, f"not valid JSON ({e.msg} at column {e.colno}); each line must be one JSON object")
            continue
        if not isinstance(obj, dict):
            yield LoadFailure(where, f"a JSON {type(obj).__name__}, not an object; each line must be an object like {{\"id\": ..., \"text\": ...}}")
            continue
        body = obj.get("text")
        if not isinstance(body, str) or not body.strip():
            yield LoadFailure(where, "no non-empty string \"text\" field; add the article text under \"text\"")
            continue
        raw_id = obj.get("id")
        if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
            doc_id = f"{path.name}:{n}"
        elif isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool):
            doc_id = str(raw_id).strip()
        else:
            yield LoadFailure(where, f"\"id\" is a {type(raw_id).__name__}; use a string id")
            continue
        if doc_id in batch.ids:
            yield LoadFailure(where, f"duplicate id {doc_id!r} (already used earlier in this batch); give every document a unique id")
            continue
        body = _normalise_newlines(strip_inline_html(body.replace("\x00", "")))
        if not body.strip():
            yield LoadFailure(where, "\"text\" holds only markup, no readable text; add the article text")
            continue
        batch.ids.add(doc_id)
        canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        date_raw = _str_field(obj, "date")
        yield Document(
            doc_id=doc_id,
            text=body,
            source=_abs(path),
            fmt="jsonl",
            title=strip_inline_html(_str_field(obj, "title")),
            date=parse_date(date_raw) if date_raw else "",
            publisher=_str_field(obj, "publisher"),
            author=_str_field(obj, "author"),
            url=_str_field(obj, "url"),
            raw_hash=_sha256(canonical.encode("utf-8")),
        )


def _walk(root: Path) -> Iterator[tuple[Path, str] | LoadFailure]:
    """Files under ``root`` (sorted, depth first, hidden entries skipped), with
    their path relative to ``root``; directory symlink loops are followed once."""
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
        for p in entries:
            if p.name.startswith("."):
                continue
            if p.is_dir():
                yield from rec(p, rel / p.name)
            else:
                yield p, (rel / p.name).as_posix()

    yield from rec(root, Path())


def iter_sources(paths: Iterable[str | Path] | str | Path) -> Iterator[Document | LoadFailure]:
    """Load every document from files and directories, in a deterministic order.

    Directories are walked recursively (sorted, hidden files and folders
    skipped, unknown extensions ignored); a file named explicitly with an
    unknown extension is a failure. ``doc_id`` is the file's base name (a later
    file with the same base name gets its path relative to the directory it was
    found under) or a JSONL line's ``id``.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    batch = _Batch()
    for given in paths:
        path = Path(given).expanduser()
        label = str(path)
        if path.is_dir():
            for item in _walk(path):
                if isinstance(item, LoadFailure):
                    yield item
                    continue
                p, rel = item
                fmt = FORMATS.get(p.suffix.lower())
                if fmt:
                    yield from _load_file(p, rel, fmt, batch)
            continue
        if not path.exists() and not path.is_symlink():
            yield LoadFailure(label, "no such file or directory; check the path")
            continue
        fmt = FORMATS.get(path.suffix.lower())
        if not fmt:
            yield LoadFailure(
                label,
                f"unsupported file type {path.suffix or '(no extension)'!r}; supported: "
                + ", ".join(sorted(FORMATS)) + " (rename it or convert it)",
            )
            continue
        yield from _load_file(path, path.as_posix(), fmt, batch)
