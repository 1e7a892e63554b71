"""Options the command line and the chat share: where the index is, filters, the
optional LLM. Each shell parses its own arguments with these groups, then turns
them into library objects here, so both read them the same way."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from assistant.config import Settings

FILTER_FIELDS = ("doc_id", "publisher", "date_from", "date_to")


def add_index_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("index location")
    g.add_argument("--index-dir", metavar="DIR",
                   help="the index directory `assistant ingest` builds (default: ./index, env ASSISTANT_INDEX_DIR)")
    g.add_argument("--chroma-url", help="use a Chroma server instead, e.g. http://127.0.0.1:8000 "
                                        "(env ASSISTANT_CHROMA_URL)")
    g.add_argument("--collection", help="collection name prefix (default: news, env ASSISTANT_COLLECTION)")


def add_filter_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters")
    g.add_argument("--doc", action="append", dest="doc_id", help="only this document id (repeatable)")
    g.add_argument("--publisher", action="append", help="only this publisher (repeatable, case-insensitive)")
    g.add_argument("--date-from", help="only documents dated on/after YYYY[-MM[-DD]]")
    g.add_argument("--date-to", help="only documents dated on/before YYYY[-MM[-DD]]")


def add_llm_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("optional LLM synthesis (off by default)")
    g.add_argument("--llm", choices=["none", "openai-like", "ollama"], default="none",
                   help="rewrite the extractive answer with an LLM, checked against the cited passages (default none)")
    g.add_argument("--llm-url", help="base URL of the LLM API, e.g. http://127.0.0.1:8080/v1")
    g.add_argument("--llm-model", help="model name on that server")
    g.add_argument("--llm-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="seconds to wait for the LLM before falling back to the extractive answer (default 30)")


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings().with_(
        index_dir=Path(args.index_dir) if getattr(args, "index_dir", None) else None,
        chroma_url=getattr(args, "chroma_url", None),
        collection=getattr(args, "collection", None),
        chunk_tokens=getattr(args, "chunk_tokens", None),
    )


def filters_from(args: argparse.Namespace) -> dict[str, Any] | None:
    f = {k: getattr(args, k, None) for k in FILTER_FIELDS}
    f = {k: v for k, v in f.items() if v}
    return f or None


def llm_from(args: argparse.Namespace) -> Any:
    """The LLM the options ask for, or None (the default: extractive answers only)."""
    if getattr(args, "llm", "none") in (None, "none"):
        return None
    from assistant.answer.llm import make_llm

    return make_llm(args.llm, url=args.llm_url, model=args.llm_model, timeout=args.llm_timeout)


def open_assistant(args: argparse.Namespace, **kw: Any):
    """Open the index the options name (``Assistant.open``)."""
    from assistant.api import Assistant

    return Assistant.open(settings=settings_from(args), **kw)
