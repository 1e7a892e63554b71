"""Command line: a thin shell over the library (``assistant --help``).

Heavy libraries are imported inside the commands, so ``--help`` is instant.
Errors the library raises on purpose (``AssistantError``) are printed as a
message plus the fix, with exit code 2; there are no tracebacks unless
``ASSISTANT_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from assistant.interfaces.options import (
    add_filter_args,
    add_index_args,
    add_llm_args,
    filters_from,
    llm_from,
    settings_from,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Answer questions about a corpus of news articles, citing the exact sentences.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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
    add_index_args(p)
    add_filter_args(p)
    add_llm_args(p)

    p = sub.add_parser("show", help="print a document's cleaned text")
    p.add_argument("doc_id", help="the document's id, as `assistant stats` lists it")
    add_index_args(p)

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

    p = sub.add_parser("serve", help="start the chat (same as python app.py)")
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 7860)")
    p.add_argument("--auth", help="user:password (env ASSISTANT_AUTH)")
    p.add_argument("--share", action="store_true", help="create a public gradio.live link (off by default)")
    add_index_args(p)
    add_llm_args(p)

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
    return parser


def _open(args: argparse.Namespace, **kw: Any):
    from assistant.api import Assistant

    return Assistant.open(settings=settings_from(args), **kw)


# -- commands --------------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.api import Assistant

    settings = settings_from(args)
    paths = args.paths or [str(_default_seeds())]
    if args.rebuild:
        from assistant.index.maintenance import delete_index

        delete_index(settings)
    asst = Assistant.open(settings=settings, create=True)
    bar = None
    if not args.no_progress and not args.json and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="doc", desc="ingest", file=sys.stderr, dynamic_ncols=True)

    def progress(kind: str, res: Any) -> None:
        if bar is not None and res is not None:
            bar.update(1)
            bar.set_postfix_str(f"{res.status}: {res.doc_id or res.source}"[:60])

    report = asst.ingest(paths, prune=args.prune, progress=progress, wait=not args.no_wait,
                         on_wait=lambda m: print(m, file=sys.stderr))
    if bar is not None:
        bar.close()
    if args.json:
        from dataclasses import asdict

        print(json.dumps({"summary": report.summary(), "results": [asdict(r) for r in report.results],
                          "seconds": report.seconds}, indent=2))
    else:
        for r in report.failures:
            print(f"failed: {r.source}: {r.reason}", file=sys.stderr)
        for r in report.results:
            if r.reason and r not in report.failures:
                print(f"note: {r.doc_id or r.source}: {r.reason}", file=sys.stderr)
        print(report.summary())
    if args.show_cleaning:
        from assistant.ingest.cleaning import format_cleaning_report
        from assistant.ingest.loaders import LoadFailure, iter_sources

        for raw in iter_sources(paths):
            if not isinstance(raw, LoadFailure):
                from assistant.ingest.cleaning import clean_document

                print(format_cleaning_report(clean_document(raw)))
    return 0 if report.ok else 1


def _default_seeds():
    from assistant.config import default_seeds_dir

    return default_seeds_dir()


def cmd_stats(args: argparse.Namespace) -> int:
    import datetime as dt

    asst = _open(args)
    st = asst.stats()
    if args.json:
        print(json.dumps(st, indent=2, ensure_ascii=False))
        return 0
    last = dt.datetime.fromtimestamp(st["last_ingest"]).strftime("%Y-%m-%d %H:%M") if st["last_ingest"] else "-"
    print(f"index: {st['where']}\ndocuments: {st['documents']}  chunks: {st['chunks']}  last ingest: {last}")
    rows = [("doc_id", "title", "publisher", "date", "author", "chunks", "metadata from")]
    rows += [(d["doc_id"], d["title"] or "-", d["publisher"] or "-", d["date"] or "-", d["author"] or "-",
              str(d["n_chunks"]), metadata_sources(d.get("fmt", ""), d.get("meta_origin") or {})) for d in st["docs"]]
    print(_table(rows, widths=(28, 60, 20, 12, 20, 6, 60)))
    if args.origins:
        print("\nwhere each field came from:")
        for d in st["docs"]:
            origins = d.get("meta_origin") or {}
            print(f"  {d['doc_id']}: " + (", ".join(f"{k} <- {origins[k]}" for k in _FIELDS if k in origins) or "-"))
    if args.aliases:
        print("\nname spelling groups:")
        for g in st["alias_groups"]:
            print("  " + " ~ ".join(g))
    return 0


_FIELDS = ("title", "date", "author", "publisher", "url")


def metadata_sources(fmt: str, origins: dict[str, str]) -> str:
    """Which fields came from the file format's metadata and which from the text:
    ``"pdf: title author date; text: publisher"`` (``-`` for documents indexed before
    origins were recorded)."""
    from assistant.models import origin_kind

    groups: dict[str, list[str]] = {}
    for name in _FIELDS:
        if name in origins:
            kind = origin_kind(origins[name])
            groups.setdefault((fmt or "format") if kind == "format" else "text", []).append(name)
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in groups.items()) or "-"


def _table(rows: list[tuple[str, ...]], widths: Sequence[int]) -> str:
    def cut(s: str, w: int) -> str:
        return s if len(s) <= w else s[: w - 1] + "…"

    ws = [min(w, max(len(r[i]) for r in rows)) for i, w in enumerate(widths)]
    lines = ["  ".join(cut(c, w).ljust(w) for c, w in zip(r, ws, strict=False)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in ws))
    return "\n".join(lines)


def cmd_search(args: argparse.Namespace) -> int:
    asst = _open(args)
    passages = asst.retriever.retrieve(args.query, k=args.k, filters=filters_from(args), mode=args.mode)
    if args.json:
        print(json.dumps([p.to_dict() for p in passages], indent=2, ensure_ascii=False))
        return 0
    if not passages:
        print("no passages found")
    for p in passages:
        src = " · ".join(x for x in (p.title or p.doc_id, p.publisher, p.date) if x)
        sc = " ".join(f"{k}={v:.3f}" for k, v in p.scores.items())
        print(f"[{p.rank}] {src}\n    {p.doc_id} chars {p.start}-{p.end}  ({sc})\n    » {p.sentence}\n")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    asst = _open(args, llm=llm_from(args))
    ans = asst.ask(args.question, filters=filters_from(args), k=args.k, asked_on=args.asked_on)
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


def cmd_show(args: argparse.Namespace) -> int:
    asst = _open(args)
    d = asst.document(args.doc_id)
    print(f"# {d.title or d.doc_id}\n{d.publisher} {d.date} {d.author}\n\n{d.text}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from assistant.evaluation.calibration import format_calibration, separation
    from assistant.evaluation.eval import format_failures, format_table, load_cases, run_eval

    notes: list[str] = []
    cases = load_cases(args.cases, notes)
    if notes:
        print(f"{len(notes)} repeated cases in {args.cases}; first: {notes[0]}", file=sys.stderr)
    if args.limit:
        cases = cases[: args.limit]
    asst = _open(args, llm=llm_from(args))
    bar = None
    if not args.no_progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(cases), unit="q", desc="eval", file=sys.stderr, dynamic_ncols=True)
    report = run_eval(asst, cases, k=args.k, progress=(lambda i: bar.update(1)) if bar else None, mode=args.mode,
                      use_asked_on=not args.ignore_asked_on)
    if bar:
        bar.close()
    report["summary"]["cases"] = str(args.cases)
    report["summary"]["index"] = asst.settings.where
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps(report, indent=1, ensure_ascii=False))
    if args.unanswerable_report:
        other = _read_report(args.unanswerable_report)
        report["summary"]["separation"] = separation(report["items"], other["items"])
    print(format_table(report["summary"]))
    print(format_calibration(report["summary"]["calibration"]))
    if "separation" in report["summary"]:
        print("against", args.unanswerable_report + ":", report["summary"]["separation"])
    print()
    print(format_failures(report["items"], args.failures))
    if args.report:
        print(f"\nreport written to {args.report}")
    if args.min_accuracy is not None and (report["summary"]["accuracy"] or 0) < args.min_accuracy:
        print(f"accuracy {report['summary']['accuracy']:.3f} is below --min-accuracy {args.min_accuracy}",
              file=sys.stderr)
        return 1
    return 0


def _read_report(path: str) -> dict[str, Any]:
    from pathlib import Path

    from assistant.errors import ConfigError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["items"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is not an eval report ({type(exc).__name__})",
                          fix="pass a file written by `assistant eval ... --report FILE`") from exc
    return data


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the chat (``app.py``) in a process of its own: this package never imports
    Gradio, the app imports the package."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("app") is None:
        from assistant.errors import ConfigError

        raise ConfigError("the chat app (app.py) is not installed beside this package",
                          fix="run from the project checkout, or reinstall with `make install`")
    argv = []
    for flag in ("host", "port", "auth", "index_dir", "chroma_url", "collection", "llm", "llm_url", "llm_model",
                 "llm_timeout"):
        v = getattr(args, flag, None)
        if v not in (None, "none"):
            argv += [f"--{flag.replace('_', '-')}", str(v)]
    if args.share:
        argv.append("--share")
    return subprocess.call([sys.executable, "-m", "app", *argv])


def cmd_bench(args: argparse.Namespace) -> int:
    from assistant.evaluation.bench import main_bench

    return main_bench(args)


COMMANDS = {
    "ingest": cmd_ingest, "stats": cmd_stats, "search": cmd_search, "ask": cmd_ask, "show": cmd_show,
    "eval": cmd_eval, "serve": cmd_serve, "bench": cmd_bench,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    from assistant.errors import AssistantError

    try:
        return COMMANDS[args.command](args)
    except AssistantError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.fix:
            print(f"  fix: {exc.fix}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: no tracebacks for users
        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc}\n  (run with ASSISTANT_DEBUG=1 for details;"
              " please report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
