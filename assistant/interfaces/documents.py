"""The corpus as a table for the chat's Documents tab: each document's title, publisher,
date and where each came from, searchable and sortable, with its actions (open,
re-ingest, delete) as links the page script forwards to the server.

Pure functions over ``Assistant.stats()["docs"]``; no gradio. Every value from the corpus
is escaped. An action link is ``#doc=<action>:<url-encoded doc id>``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from assistant.models import date_to_int, origin_kind
from assistant.text.dates import show_date
from assistant.text.folding import fold

__all__ = ["ACTIONS", "SORTS", "DocRow", "confirm_html", "documents_html", "filter_rows", "parse_action",
           "rows_from_stats", "sort_rows"]

#: What a row's links do.
ACTIONS = ("open", "reingest", "delete")
#: Fragment prefix of an action link.
ACTION_PREFIX = "doc="
#: Orders the table offers: label -> key.
SORTS = {"newest first": "added", "title": "title", "publisher": "publisher", "date (newest first)": "date"}
_FIELDS = ("title", "publisher", "date", "author")


@dataclass
class DocRow:
    doc_id: str
    title: str
    publisher: str
    date: str
    author: str
    chunks: int
    fmt: str
    added: float
    #: field -> where it came from ("pdf:Title", "text:dateline", ...)
    origins: dict[str, str] = field(default_factory=dict)

    @property
    def ocr(self) -> str:
        """How the text was read when it was OCRed from a scan, else ""."""
        return self.origins.get("text", "") if self.origins.get("text", "").startswith("ocr:") else ""

    def haystack(self) -> str:
        return fold(" ".join((self.doc_id, self.title, self.publisher, self.date, show_date(self.date),
                              self.author, self.fmt)))


def rows_from_stats(docs: Iterable[Mapping[str, Any]]) -> list[DocRow]:
    return [DocRow(str(d.get("doc_id", "")), str(d.get("title", "") or ""), str(d.get("publisher", "") or ""),
                   str(d.get("date", "") or ""), str(d.get("author", "") or ""), int(d.get("n_chunks", 0) or 0),
                   str(d.get("fmt", "") or ""), float(d.get("ingested_at", 0) or 0),
                   dict(d.get("meta_origin") or {})) for d in docs]


def filter_rows(rows: Sequence[DocRow], query: str) -> list[DocRow]:
    """Rows whose id, title, publisher, date (as stored or shown), author or format
    contain every word of ``query`` (case and accents ignored)."""
    words = fold(query or "").split()  # None from a cleared box is no search
    return [r for r in rows if all(w in r.haystack() for w in words)]


def sort_rows(rows: Sequence[DocRow], key: str) -> list[DocRow]:
    """``key``: added (newest first), title, publisher (empty last), date (newest first,
    undated last)."""
    if key == "title":
        return sorted(rows, key=lambda r: (fold(r.title or r.doc_id), r.doc_id))
    if key == "publisher":
        return sorted(rows, key=lambda r: (not r.publisher, fold(r.publisher), fold(r.title or r.doc_id)))
    if key == "date":
        return sorted(rows, key=lambda r: (-date_to_int(r.date), fold(r.title or r.doc_id)))
    return sorted(rows, key=lambda r: (-r.added, r.doc_id))


def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _link(action: str, doc_id: str, label: str, title: str) -> str:
    return (f'<a href="#{ACTION_PREFIX}{action}:{quote(doc_id, safe="")}" class="doc-act act-{action}"'
            f' title="{_e(title)}">{label}</a>')


def parse_action(value: str) -> tuple[str, str] | None:
    """(action, doc id) from a clicked link's value ("#doc=delete:<id> <timestamp>"); None
    for anything else (it comes from a browser)."""
    key = (value or "").strip().rsplit(" ", 1)[0] if " " in (value or "").strip() else (value or "").strip()
    key = key[1:] if key.startswith("#") else key
    if not key.startswith(ACTION_PREFIX):
        return None
    action, sep, doc_id = key[len(ACTION_PREFIX):].partition(":")
    if not sep or action not in ACTIONS or not doc_id:
        return None
    return action, unquote(doc_id)


def _origins(row: DocRow) -> str:
    """"title: pdf, date: text (dateline)" -- where each shown field came from."""
    parts = []
    for name in _FIELDS:
        o = row.origins.get(name)
        if not o:
            continue
        source, _, rule = o.partition(":")
        shown = f"{source} ({rule})" if origin_kind(o) == "text" and rule else o
        parts.append(f"{name}: {shown}")
    return "; ".join(parts) or "-"


def documents_html(rows: Sequence[DocRow], total: int, query: str = "") -> str:
    """The table: one row per document (its title, with its id and where each field came
    from beneath; publisher; date; actions); a line says how many are shown."""
    query = query or ""
    if total == 0:
        return '<div class="docs-empty">No documents yet: add some above.</div>'
    head = '<tr><th>title</th><th>publisher</th><th>date</th><th class="acts">actions</th></tr>'
    body = []
    for r in rows:
        title = r.title or r.doc_id
        ocr = f' · <span class="ocr-badge" title="{_e(r.ocr)}">OCR from a scan</span>' if r.ocr else ""
        ident = f"<code>{_e(r.doc_id)}</code>" if title != r.doc_id else ""
        meta = " · ".join(x for x in (ident, f"from: {_e(_origins(r))}") if x)
        acts = "<br>".join((_link("open", r.doc_id, "open", f"read {title}"),
                            _link("reingest", r.doc_id, "re-ingest", f"read the file of {title} again"),
                            _link("delete", r.doc_id, "delete", f"remove {title} from the index")))
        body.append(f'<tr class="doc-row" data-doc="{_e(r.doc_id)}"><td class="t">'
                    f'{_link("open", r.doc_id, _e(title), f"read {title}")}<div class="doc-meta">{meta}{ocr}</div>'
                    f'</td><td>{_e(r.publisher or "-")}</td><td>{_e(show_date(r.date) or "-")}</td>'
                    f'<td class="acts">{acts}</td></tr>')
    shown = (f"{len(rows)} of {total} documents match “{_e(query.strip())}”" if query.strip()
             else f"{total} document{'s' if total != 1 else ''}")
    table = f'<div class="table-wrap"><table>{head}{"".join(body)}</table></div>' if rows else ""
    return f'<div class="docs-table"><div class="docs-count">{shown}</div>{table}</div>'


def confirm_html(rows: Sequence[DocRow], query: str = "") -> str:
    """What a delete will remove, asked before it is done."""
    query = query or ""
    if len(rows) == 1:
        r = rows[0]
        what = f"“{_e(r.title or r.doc_id)}” (<code>{_e(r.doc_id)}</code>)"
    else:
        names = ", ".join(f"“{_e(r.title or r.doc_id)}”" for r in rows[:3])
        more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
        match = f" matching “{_e(query.strip())}”" if query.strip() else ""
        what = f"{len(rows)} documents{match}: {names}{more}"
    return (f'<div class="docs-confirm-text">Delete {what} from the index? Answers will no longer find or '
            "cite it; a file uploaded through this page goes with it.</div>")
