"""The chat page's parts that need Gradio, beside ``app.py`` (which lays the page out and
wires them): ``context`` (what every handler shares), ``chat`` (the models warming up, a
question answered and its reply streamed, sources opened, the export), ``endpoints`` (the
``gradio_client`` API and the timeline and who-said views), ``conversations`` (the
sidebar: saved conversations per user), ``documents`` (uploads, and the corpus as a table,
with open, re-ingest and delete). The library (``assistant``) never imports this package.
"""
