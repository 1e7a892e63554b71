"""The timeline and "who said what" views as HTML for the chat's side panel.

Every item shows the exact sentence it comes from and links to it in the document viewer,
with the same links as an answer's sources (``render.source_link``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from assistant.answer.views import Event, Speaker
from assistant.interfaces.render import source_link
from assistant.models import Citation
from assistant.text.dates import show_date

__all__ = ["speakers_html", "timeline_html"]


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _source(doc_id: str, title: str, publisher: str, date: str, sentence: str, start: int, end: int,
            a_s: int = -1, a_e: int = -1) -> str:
    c = Citation(0, doc_id, title, publisher, date, sentence, start, end, 0.0, a_s, a_e)
    where = " · ".join(x for x in (publisher or title or doc_id, show_date(date)) if x)
    return source_link(c, _e(where), "title", title or doc_id)


def _sentence(text: str) -> str:
    return f"“{_e(' '.join(text.split()))}”"


def timeline_html(topic: str, events: Sequence[Event]) -> str:
    """Dated events about ``topic``, oldest first, each with its sentence and source."""
    if not events:
        return f'<p class="view-empty">No dated events about “{_e(topic)}” in the articles.</p>'
    items = "".join(
        f'<li class="view-item"><b class="view-when">{_e(e.label)}</b> {_sentence(e.sentence)} '
        f'<span class="view-src">({_source(e.doc_id, e.title, e.publisher, e.date, e.sentence, e.start, e.end, e.date_start, e.date_end)})</span></li>'
        for e in events)
    return f'<h4>Timeline: {_e(topic)}</h4><ol class="view timeline">{items}</ol>'


def speakers_html(topic: str, speakers: Sequence[Speaker]) -> str:
    """Everyone quoted on ``topic``, each with their statements and sources."""
    if not speakers:
        return f'<p class="view-empty">Nobody is quoted on “{_e(topic)}” in the articles.</p>'
    parts = [f"<h4>Who said what: {_e(topic)}</h4>"]
    for sp in speakers:
        said = "".join(
            f'<li class="view-item">{_sentence(s.sentence)} '
            f'<span class="view-src">({_source(s.doc_id, s.title, s.publisher, s.date, s.sentence, s.start, s.end)})</span></li>'
            for s in sp.statements)
        parts.append(f'<section class="view speaker"><b>{_e(sp.name)}</b><ul>{said}</ul></section>')
    return "".join(parts)
