"""Learned selection of the document and the sentence (see ``selector``); the reader
(``assistant.answer.reader``) finds the short answer in what it chose."""

from __future__ import annotations

from assistant.answer.selection.selector import Ranked, Selection, select

__all__ = ["Ranked", "Selection", "select"]
