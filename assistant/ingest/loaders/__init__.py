"""Read article files into ``Document`` records, one module per format.

| format | suffixes | module | metadata from the format |
|---|---|---|---|
| plain text | .txt .text | ``text`` | none (the text rules read it) |
| Markdown | .md .markdown | ``markdown`` | front matter, ``# Title`` |
| HTML, saved web pages | .html .htm | ``html`` | ``<h1>``, meta tags, ``<time>`` |
| JSON Lines | .jsonl | ``jsonl`` | the line's fields |
| PDF | .pdf | ``pdf`` (+ ``pdf_layout``) | Title, Author, CreationDate |
| Word | .docx | ``word`` | core properties, Title style |
| RSS / Atom feeds | .rss .atom .xml | ``feeds`` | item title, date, author, link; feed title |

A new format is one module with a class decorated by ``register(".suffix")`` (the
``Loader`` protocol in ``base``), imported below. Every document records where each of its
metadata fields came from (``Document.meta_origin``); cleaning fills the rest from the text.
"""

from __future__ import annotations

# Importing the format modules registers them.
from assistant.ingest.loaders import feeds, html, jsonl, markdown, pdf, text, word  # noqa: F401
from assistant.ingest.loaders.base import REGISTRY, Batch, Found, Loader, LoadFailure, Source, register
from assistant.ingest.loaders.decoding import decode_bytes
from assistant.ingest.loaders.html import html_to_text, strip_inline_html
from assistant.ingest.loaders.markdown import markdown_to_text
from assistant.ingest.loaders.walk import iter_sources, supported_suffixes

__all__ = [
    "REGISTRY", "Batch", "Found", "LoadFailure", "Loader", "Source", "decode_bytes", "html_to_text",
    "iter_sources", "markdown_to_text", "register", "strip_inline_html", "supported_suffixes",
]
