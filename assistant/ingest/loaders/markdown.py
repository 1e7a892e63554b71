"""Markdown articles (.md): light stripping that keeps the line structure; YAML front
matter and a leading ``# Title`` give the metadata."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.ingest.loaders.base import Batch, Found, LoadFailure, Source, register, single_document
from assistant.ingest.loaders.decoding import decode_file
from assistant.ingest.metadata import parse_date
from assistant.models import Document

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
    text, info, _origins = _convert(md)
    return text, info


def _convert(md: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """Text, metadata and where each metadata field came from."""
    info = {"title": "", "date": "", "author": ""}
    origins: dict[str, str] = {}
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
                            key, val = "date", parse_date(val)
                        if val and not info.get(key):
                            info[key] = val
                            origins[key] = "md:front matter"
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
                origins["title"] = "md:heading"
            continue
        if _MD_RULE.match(line):
            continue
        h = _MD_HEADING.match(line)
        if h:
            line = h.group(2)
            if first_content and h.group(1) == "#" and not info["title"]:
                info["title"] = _md_inline(line).strip()
                origins["title"] = "md:heading"
        else:
            line = re.sub(r"^(\s{0,3}>\s?)+", "", line)
        if line.strip():
            first_content = False
        out.append(_md_inline(line).rstrip())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")
    return text, info, origins


def _md_inline(line: str) -> str:
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_REFLINK.sub(r"\1", line)
    line = _MD_AUTOLINK.sub(r"\1", line)
    line = _MD_CODE.sub(r"\1", line)
    for rx in _MD_EMPH:
        line = rx.sub(lambda m: m.group(m.lastindex or 1), line)
    return line


@register(".md", ".markdown")
class MarkdownLoader:
    fmt = "md"

    def load(self, src: Source, batch: Batch) -> Iterator[Document | LoadFailure]:
        raw = decode_file(src.data, src.label)
        if isinstance(raw, LoadFailure):
            yield raw
            return
        text, info, origins = _convert(raw)
        found = Found()
        for key, value in info.items():
            found.add(key, value, origins.get(key, "md"))
        yield from single_document(src, batch, self.fmt, text, found)
