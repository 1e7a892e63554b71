"""Commands about the corpus: ingest, stats, show, search."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from assistant.interfaces.options import filters_from, open_assistant, settings_from


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

    from assistant.errors import IngestStopped

    executor, workers, address = executor_from(args)
    try:
        report = asst.ingest(paths, prune=args.prune, progress=progress, wait=not args.no_wait,
                             on_wait=lambda m: print(m, file=sys.stderr), executor=executor, workers=workers,
                             address=address)
    except IngestStopped as stop:
        # The run stopped part-way: name what failed so far and what was committed, then
        # the cause and its fix (exit 4: ``report.EXIT_STOPPED``).
        if bar is not None:
            bar.close()
        if stop.report is not None:
            _print_results(stop.report, args.json, stopped=str(stop))
        print(f"committed before the stop ({len(stop.committed)}): " + (", ".join(stop.committed) or "none"),
              file=sys.stderr)
        raise
    if bar is not None:
        bar.close()
    _print_results(report, args.json)
    if args.show_cleaning:
        from assistant.ingest.cleaning import format_cleaning_report
        from assistant.ingest.loaders import LoadFailure, iter_sources

        for raw in iter_sources(paths):
            if not isinstance(raw, LoadFailure):
                from assistant.ingest.cleaning import clean_document

                print(format_cleaning_report(clean_document(raw)))
    # 0: everything landed; 3: some files failed (each named above), the rest landed.
    return report.exit_code


def _print_results(report: Any, as_json: bool, stopped: str = "") -> None:
    """The report: every failure (file, stage, why and the fix) and note on stderr, the
    summary on stdout; or all of it as JSON."""
    if as_json:
        from dataclasses import asdict

        print(json.dumps({"summary": report.summary(), "results": [asdict(r) for r in report.results],
                          "seconds": report.seconds, "exit_code": 4 if stopped else report.exit_code,
                          **({"stopped": stopped} if stopped else {})}, indent=2))
        return
    for r in report.failures:
        at = f" (at {r.stage})" if r.stage else ""
        print(f"failed: {r.source}{at}: {r.reason}", file=sys.stderr)
    for r in report.results:
        if r.reason and r not in report.failures:
            print(f"note: {r.doc_id or r.source}: {r.reason}", file=sys.stderr)
    if not stopped:
        print(report.summary())


def executor_from(args: argparse.Namespace) -> tuple[str | None, int, str]:
    """(executor, workers, address) the ingest flags ask for: ``--dask`` a cluster,
    ``--workers N`` local processes, neither the pipelined ingest of one process."""
    from assistant.errors import ConfigError

    workers = getattr(args, "workers", None)
    address = getattr(args, "dask", None) or ""
    if workers is not None and workers < 0:
        raise ConfigError(f"--workers {workers} is negative", fix="pass --workers 2, say (0: one process)")
    if address:
        return "dask", workers or 0, address
    if workers:
        return "processes", workers, ""
    return None, 0, ""


def _default_seeds():
    from assistant.config import default_seeds_dir

    return default_seeds_dir()


def cmd_stats(args: argparse.Namespace) -> int:
    import datetime as dt

    asst = open_assistant(args, warm=False)  # nothing is asked: no vector index to load
    st = asst.stats()
    if args.json:
        print(json.dumps(st, indent=2, ensure_ascii=False))
        return 0
    last = dt.datetime.fromtimestamp(st["last_ingest"]).strftime("%Y-%m-%d %H:%M") if st["last_ingest"] else "-"
    print(f"index: {st['where']}\ndocuments: {st['documents']}  chunks: {st['chunks']}  last ingest: {last}")
    rows = [("doc_id", "title", "publisher", "date", "author", "chunks", "metadata from")]
    from assistant.text.dates import show_date

    rows += [(d["doc_id"], d["title"] or "-", d["publisher"] or "-", show_date(d["date"]) or "-", d["author"] or "-",
              str(d["n_chunks"]), metadata_sources(d.get("fmt", ""), d.get("meta_origin") or {})) for d in st["docs"]]
    print(_table(rows, widths=(28, 60, 20, 28, 20, 6, 60)))
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
        from assistant.answer.kinds.base import clip

        return clip(s, w)

    ws = [min(w, max(len(r[i]) for r in rows)) for i, w in enumerate(widths)]
    lines = ["  ".join(cut(c, w).ljust(w) for c, w in zip(r, ws, strict=False)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in ws))
    return "\n".join(lines)


def cmd_search(args: argparse.Namespace) -> int:
    asst = open_assistant(args)
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


def cmd_show(args: argparse.Namespace) -> int:
    asst = open_assistant(args, warm=False)
    d = asst.document(args.doc_id)
    print(f"# {d.title or d.doc_id}\n{d.publisher} {d.date} {d.author}\n\n{d.text}")
    return 0
