"""The chat page's parts that need Gradio, beside ``app.py`` (which lays the page out):
``context`` (what every handler shares), ``conversations`` (the sidebar: saved
conversations per user), ``documents`` (the Documents tab: the corpus as a table, with
open, re-ingest and delete). The library (``assistant``) never imports this package.
"""
