"""Commands that ask: ask, chat, and the timeline and who-said views."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from assistant.interfaces.options import filters_from, llm_from, open_assistant


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.answer.question import sanitise

    sanitise(args.question)  # a question that cannot be asked fails before the index opens
    asst = open_assistant(args, llm=llm_from(args))
    ans = asst.ask(args.question, history=args.history or None, filters=filters_from(args), k=args.k,
                   asked_on=args.asked_on)
    if args.json:
        print(json.dumps(ans.to_dict(), indent=2, ensure_ascii=False))
        return 0
    from assistant.errors import AssistantError
    from assistant.interfaces.render import answer_to_text

    def doc_text(doc_id: str) -> str | None:  # titles untitled articles from their lead
        try:
            return asst.document(doc_id).text
        except AssistantError:
            return None

    print(answer_to_text(ans, doc_text=doc_text))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """A conversation in the terminal: one question a line; each is read as a follow-up of
    the ones before. An empty line or end of input ends it."""
    from assistant.errors import InvalidQuestion
    from assistant.interfaces.render import answer_to_text

    asst = open_assistant(args, llm=llm_from(args))
    history: list[tuple[str, Any]] = []
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask about the articles; follow-ups may say he, it, and ... (an empty line ends).")
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line or not line.strip():
            return 0
        question = line.strip()
        try:
            ans = asst.ask(question, history=history or None, filters=filters_from(args), k=args.k,
                           asked_on=args.asked_on)
        except InvalidQuestion as exc:
            print(f"error: {exc.message}\n  fix: {exc.fix}")
            continue
        print(answer_to_text(ans) + "\n")
        history.append((question, ans))


def cmd_views(args: argparse.Namespace) -> int:
    from assistant.text.dates import show_date

    asst = open_assistant(args)
    filters = filters_from(args)
    if args.command == "timeline":
        events = asst.timeline(args.topic, filters=filters)
        if args.json:
            print(json.dumps([e.to_dict() for e in events], indent=2, ensure_ascii=False))
            return 0
        if not events:
            print(f"no dated events about {args.topic!r} in the articles")
        for e in events:
            src = " · ".join(x for x in (e.publisher or e.title or e.doc_id, show_date(e.date)) if x)
            print(f"{e.label}  ({src}; {e.doc_id} chars {e.start}-{e.end})\n    “{' '.join(e.sentence.split())}”")
        return 0
    speakers = asst.who_said_what(args.topic, filters=filters)
    if args.json:
        print(json.dumps([s.to_dict() for s in speakers], indent=2, ensure_ascii=False))
        return 0
    if not speakers:
        print(f"nobody is quoted on {args.topic!r} in the articles")
    for sp in speakers:
        print(sp.name)
        for said in sp.statements:
            src = " · ".join(x for x in (said.publisher or said.title or said.doc_id, show_date(said.date)) if x)
            print(f"    “{' '.join(said.sentence.split())}”  ({src}; {said.doc_id} chars {said.start}-{said.end})")
    return 0
