"""What the page's handlers share: the open ``Assistant``, the conversation store, and
the small helpers every part of the page uses (messages without server paths, a
document's text, whether it was read by OCR, the corpus side panel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.api import Assistant
from assistant.errors import AssistantError
from assistant.interfaces.conversations import ConversationStore
from assistant.interfaces.examples import example_questions
from assistant.interfaces.render import display_title, stats_html
from assistant.interfaces.web import error_html

#: Shown when something unexpected fails (the details go to the server's log).
INTERNAL = "Something went wrong on the server (it is in the server's log). Please try again."


@dataclass
class Ctx:
    asst: Assistant
    updir: Path
    store: ConversationStore
    warm: Any
    stream_delay: float = 0.0
    #: Paths a message may carry, and the names shown instead.
    known: list[tuple[Path, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.asst.settings
        self.known = [(s.index_dir, "the index"), (s.cache_dir, "the index cache"), (self.updir, "the upload folder")]

    def err(self, exc: AssistantError | str) -> str:
        return error_html(exc, self.known)

    def doc_text(self, doc_id: str) -> str | None:
        try:
            return self.asst.document(doc_id).text
        except AssistantError:
            return None

    def scanned(self, doc_id: str) -> str:
        """How ``doc_id``'s text was read when it was OCRed from a scan ("" otherwise)."""
        origin = (self.asst.local.records().get(doc_id) or {}).get("meta_origin") or {}
        note = str(origin.get("text", ""))
        return note if note.startswith("ocr:") else ""

    def corpus_choices(self) -> tuple[list[tuple[str, str]], list[str]]:
        docs = self.asst.stats()["docs"]
        doc_choices = [(f"{display_title(d['title'], d['doc_id'], self.doc_text(d['doc_id']))} ({d['doc_id']})",
                        d["doc_id"]) for d in docs]
        pubs = sorted({d["publisher"] for d in docs if d["publisher"]}, key=str.casefold)
        return doc_choices, pubs

    def examples(self) -> list[list[str]]:
        st = self.asst.stats()
        docs = st["docs"]
        # A spread of at most 40 documents: enough variety, bounded cost on a big corpus.
        picked = docs[:: max(1, len(docs) // 40)][:40]
        views = []
        for d in picked:
            try:
                views.append(self.asst.document(d["doc_id"]))
            except AssistantError:
                continue
        return [[q] for q in example_questions(views, n=4, aliases=st.get("alias_groups", []))]

    def side_panel(self) -> tuple[Any, ...]:
        """The corpus tab's summary, filter choices and example questions, as they are now."""
        self.asst.refresh(force=True)
        doc_choices, pubs = self.corpus_choices()
        return (stats_html(self.asst.stats()), gr.update(choices=doc_choices), gr.update(choices=pubs),
                gr.update(samples=self.examples()))
