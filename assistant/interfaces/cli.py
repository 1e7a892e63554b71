"""Command line: a thin shell over the library (``assistant --help``).

Heavy libraries are imported inside the commands, so ``--help`` is instant.
Errors the library raises on purpose (``AssistantError``) are printed as a
message plus the fix, with exit code 2; there are no tracebacks unless
``ASSISTANT_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from assistant.interfaces.commands.agents import cmd_mcp
from assistant.interfaces.commands.corpus import cmd_ingest, cmd_search, cmd_show, cmd_stats
from assistant.interfaces.commands.evaluation import cmd_bench, cmd_eval, cmd_serve, cmd_train
from assistant.interfaces.commands.questions import cmd_ask, cmd_chat, cmd_views
from assistant.interfaces.options import (
    add_filter_args,
    add_index_args,
    add_llm_args,
)


def _corpus_commands(sub: Any) -> None:
    """Ingest, stats and search: what goes into the index and what it holds."""
    p = sub.add_parser("ingest", help="add or update documents in the index")
    p.add_argument("paths", nargs="*", help="files or directories (.txt .md .html .jsonl .pdf .docx .rss .atom .xml); default: seeds/")
    add_index_args(p)
    p.add_argument("--prune", action="store_true", help="remove documents whose files are gone")
    p.add_argument("--rebuild", action="store_true", help="delete the index first and build it again")
    p.add_argument("--show-cleaning", action="store_true", help="print what cleaning removed from each document")
    p.add_argument("--chunk-tokens", type=int, help="chunk budget in tokens (default 200)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-wait", action="store_true", help="fail instead of waiting when another ingest runs")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    g = p.add_argument_group("past one machine (clean, chunk, annotate and embed elsewhere; this process writes)")
    g.add_argument("--workers", type=int, metavar="N",
                   help="prepare documents in N local worker processes (with --dask local: the cluster's size)")
    g.add_argument("--dask", metavar="ADDRESS",
                   help="prepare documents on the Dask cluster whose scheduler is at ADDRESS, e.g. "
                        "tcp://10.0.0.5:8786 ('local': start one on this machine); needs the [cluster] extra")

    p = sub.add_parser("stats", help="documents, chunks and per-document metadata")
    add_index_args(p)
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.add_argument("--aliases", action="store_true", help="also list name spelling groups")
    p.add_argument("--origins", action="store_true",
                   help="also list where each metadata field came from (e.g. pdf:Title, text:dateline)")

    p = sub.add_parser("search", help="retrieve passages for a query",
                       description="List the passages that best match a query (no answer is composed).")
    p.add_argument("query", help='words to search for, e.g. "Lukashenko migrants" (quote it in the shell)')
    p.add_argument("-k", type=int, default=5, help="how many passages to list (default 5)")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid",
                   help="dense vectors, BM25 words, or both fused (default hybrid)")
    p.add_argument("--json", action="store_true", help="print the passages as JSON instead of text")
    add_index_args(p)
    add_filter_args(p)


def _question_commands(sub: Any) -> None:
    """Ask, chat, timeline and who-said: answers from the index."""
    p = sub.add_parser(
        "ask", help="answer a question with cited sentences", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Answer a question from the indexed articles: a short answer, the reply with [n]\n"
                    "markers, and each cited sentence with its article; or a plain statement that the\n"
                    "corpus does not say.",
        epilog='example:\n  assistant ask "How many attempts targeted Poland in 2025?" --index-dir index')
    p.add_argument("question", help="the question, in quotes (one argument), e.g. \"When did the crisis begin?\"")
    p.add_argument("--json", action="store_true",
                   help="print the whole answer as JSON (text, answer, citations with offsets, confidence...)")
    p.add_argument("-k", type=int, default=5, help="passages to consider (default 5)")
    p.add_argument("--asked-on", metavar="YYYY-MM-DD",
                   help='the date the question is asked (default: today); "this week" and "recently" mean then')
    p.add_argument("--history", action="append", default=[], metavar="EARLIER_QUESTION",
                   help="an earlier question of the conversation, oldest first (repeatable): the question is "
                        'read as its follow-up ("And Lithuania?", "What did he say?")')
    add_index_args(p)
    add_filter_args(p)
    add_llm_args(p)

    p = sub.add_parser("chat", help="ask questions one after another; follow-ups read the earlier ones")
    p.add_argument("-k", type=int, default=5, help="passages to consider")
    p.add_argument("--asked-on", metavar="YYYY-MM-DD", help="the date the questions are asked (default: today)")
    add_index_args(p)
    add_filter_args(p)
    add_llm_args(p)

    for name, what in (("timeline", "dated events about a topic across the articles, oldest first"),
                       ("who-said", "everyone the articles quote on a topic, with what they said")):
        p = sub.add_parser(name, help=what)
        p.add_argument("topic")
        p.add_argument("--json", action="store_true")
        add_index_args(p)
        add_filter_args(p)


def _show_command(sub: Any) -> None:
    """Show: one document's cleaned text."""
    p = sub.add_parser("show", help="print a document's cleaned text")
    p.add_argument("doc_id", help="the document's id, as `assistant stats` lists it")
    add_index_args(p)


def _eval_command(sub: Any) -> None:
    """Eval: score the assistant on an eval set."""
    p = sub.add_parser("eval", help="score the assistant on a JSONL eval set")
    p.add_argument("cases", help="eval set (JSONL: id, question, type, answers, sources)")
    p.add_argument("--report", help="write the JSON report here")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--min-accuracy", type=float, help="exit 1 when accuracy is below this (0..1)")
    p.add_argument("--limit", type=int, help="only the first N cases")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], help="retrieval mode (default hybrid)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--failures", type=int, default=10, help="worst failures to print")
    p.add_argument("--unanswerable-report", metavar="REPORT.json",
                   help="an eval report of unanswerable questions: also print how well confidence separates "
                        "this set's right answers from them")
    p.add_argument("--ignore-asked-on", action="store_true",
                   help="ask every case today, ignoring the set's asked_on dates")
    add_index_args(p)
    add_llm_args(p)


def _server_commands(sub: Any) -> None:
    """Serve and mcp: the chat, and the tools for agents."""
    p = sub.add_parser("serve", help="start the chat (same as python app.py)")
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 7860)")
    p.add_argument("--auth", help="user:password (env ASSISTANT_AUTH)")
    p.add_argument("--share", action="store_true", help="create a public gradio.live link (off by default)")
    add_index_args(p)
    add_llm_args(p)

    p = sub.add_parser(
        "mcp", help="serve the assistant to agents and LLM clients over MCP (stdio; --http for HTTP)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve the tools search, ask, timeline, who_said, document and stats, and each article as\n"
                    "the resource news://doc/{doc_id}, over the Model Context Protocol: on stdio (a desktop\n"
                    "client starts this command), or streamable HTTP with --http. Needs the [mcp] extra.",
        epilog="examples:\n  assistant mcp --index-dir /data/index\n"
               "  assistant mcp --http --port 8765      # clients connect to http://127.0.0.1:8765/mcp")
    p.add_argument("--http", action="store_true", help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio")
    p.add_argument("--host", help="with --http: the address to bind (default 127.0.0.1; any other is reachable "
                                  "from other machines, and the server has no authentication)")
    p.add_argument("--port", type=int, help="with --http: the port (default 8765)")
    add_index_args(p)
    add_llm_args(p)


def _training_commands(sub: Any) -> None:
    """Train and bench: fitting the learned parts, and measuring speed."""
    p = sub.add_parser("train", help="fit learned answer selection on the benchmark sets (needs [dev] extras)")
    p.add_argument("--shared", default="../shared", help="the folder holding benchmarks/ (default ../shared)")
    p.add_argument("--cache", default=".cache/train", help="where indexes and dumps are kept between runs")
    p.add_argument("--sets", default="realtimeqa,noanswer,polnear,seeds", help="comma-separated sets to use")
    p.add_argument("--models", default=None, help="write the models here (default: the package's models file)")
    p.add_argument("--report", default="eval/reports/training.json", help="write the validation report here")
    p.add_argument("--stage", choices=("all", "selection", "rerank", "confidence", "forms"), default="all",
                   help="fit learned selection, the re-ranker of the reader's best spans (after it), the "
                        "model of a reader reply's shown confidence (after both), the question forms' "
                        "choices (last), or all four in that order (default)")
    p.add_argument("--forms-report", default="eval/reports/training-forms.json",
                   help="write the forms stage's report here")
    p.add_argument("--no-tokens", dest="tokens", action="store_false",
                   help="fit the span model without the extractive reader (no torch fine-tuning)")
    p.add_argument("--tokens-adapter", default=None,
                   help="use this fitted extractive-reader adapter (.npz) as the final one instead of "
                        "fitting it (the training questions are still scored out of fold)")
    p.add_argument("--reuse-tokens", action="store_true",
                   help="reuse the out-of-fold reader adapters the last run left in CACHE/tokens instead of "
                        "refitting them (token scores are cached per adapter): refits the later stages "
                        "(span model, calibration, abstention thresholds) in minutes; only while the "
                        "training questions and the reader's recipe are unchanged")

    p = sub.add_parser("bench", help="measure ingest, query and answer speed against their floors")
    p.add_argument("--sizes", default=None, help="corpus sizes in chunks (default 1000,10000,100000; --quick: 300)")
    p.add_argument("--quick", action="store_true", help="small sizes, few repeats (under 3 minutes)")
    p.add_argument("--compare-precision", action="store_true",
                   help="also time fp32 / bf16 / int8 embedding on the same chunks (speed, cosine to fp32)")
    p.add_argument("--json", dest="json_out", help="write the figures here")
    p.add_argument("--corpus", action="append", help="extra corpus to draw sentences from")
    p.add_argument("--precision", default=None, help="embedding precision: auto, fp32, bf16, int8")
    p.add_argument("--synthetic-vectors", action="store_true",
                   help="fill the index with perturbed copies of a real base index instead of ingesting "
                        "(for 100k-1M chunks: the query path at scale)")
    p.add_argument("--base-chunks", type=int, help="chunks of the base ingested for --synthetic-vectors (default 2000)")
    p.add_argument("--base-index", help="with --synthetic-vectors: copy this index as the base (it is not modified)")
    p.add_argument("--add-docs", type=int, help="with --synthetic-vectors: then ingest this many new documents into "
                                                "each filled index and into an empty one (default 100; --quick: 0)")
    p.add_argument("--add-corpus", help="where those new documents come from: a .jsonl file or a folder of articles "
                                        "(default: recombined from the sentence pool)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Answer questions about a corpus of news articles, citing the exact sentences.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _corpus_commands(sub)
    _question_commands(sub)
    _show_command(sub)
    _eval_command(sub)
    _server_commands(sub)
    _training_commands(sub)
    return parser


#: Each command, by name (each imports its heavy libraries when it runs).
COMMANDS = {
    "ingest": cmd_ingest, "stats": cmd_stats, "search": cmd_search, "ask": cmd_ask, "chat": cmd_chat,
    "timeline": cmd_views, "who-said": cmd_views, "show": cmd_show, "eval": cmd_eval, "serve": cmd_serve,
    "bench": cmd_bench, "train": cmd_train, "mcp": cmd_mcp,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    from assistant.errors import AssistantError

    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit as "Exception ignored"
        return code
    except AssistantError as exc:
        print_error(exc)
        return exc.exit_code
    except BrokenPipeError as exc:
        if stdout_closed():
            return quiet_broken_pipe()
        return internal_error(exc)  # another pipe or socket: a real failure
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: no tracebacks for users
        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        return internal_error(exc)


def internal_error(exc: BaseException) -> int:
    print(f"internal error: {type(exc).__name__}: {exc}\n  (run with ASSISTANT_DEBUG=1 for details;"
          " please report it)", file=sys.stderr)
    return 1


def print_error(exc) -> None:
    """An ``AssistantError`` as "error: ..." and "  fix: ...", each command in it as the
    user can type it (``invocation.as_invoked``)."""
    from assistant.interfaces.invocation import as_invoked

    print(f"error: {as_invoked(exc.message)}", file=sys.stderr)
    if exc.fix:
        print(f"  fix: {as_invoked(exc.fix)}", file=sys.stderr)


#: Exit status of a process that a closed pipe stopped: 128 + SIGPIPE, as ``yes | head -1``
#: leaves it (POSIX shells report a process killed by signal N as 128 + N).
BROKEN_PIPE_EXIT = 141


def stdout_closed() -> bool:
    """Whether our standard output is a pipe whose reader has gone (poll reports an error
    on it), as opposed to a socket or another pipe breaking inside a command."""
    import select

    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no poll (Windows) or no real stdout
        return True


def quiet_broken_pipe() -> int:
    """The reader of our output went away (``assistant ask ... | head -2``): stop without a
    word, as Unix tools do. stdout is pointed at /dev/null so that the interpreter's flush
    at exit finds nowhere to complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return BROKEN_PIPE_EXIT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
