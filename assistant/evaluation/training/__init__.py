"""``make train``: rebuild learned selection's models from the benchmark sets.

    assistant train --shared ../shared          # indexes and dumps cached under .cache/train

Steps: build each set's index if missing (``assistant ingest``), dump what the rule
pipeline sees for every question, fit the stages (``trainer``), measure them on the
validation splits (``report``), and write ``assistant/answer/models/selection.json``
and ``reader.json`` beside it, plus the report. Needs scikit-learn (``pip install -e .[dev]``).
"""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.training.data import (
    DUMP_K,
    SETS,
    BenchSet,
    cases,
    dump_record,
    paths,
    read_dump,
    write_dump,
)

__all__ = ["fit_and_write", "run"]


def _index(bench: BenchSet, shared: Path, project: Path, root: Path, log: Callable[[str], None]) -> Path:
    from assistant.api import Assistant

    idx = root / f"idx-{bench.name}"
    if not (idx / "chroma.sqlite3").exists():
        corpus = paths(bench, shared, project)[1]
        log(f"{bench.name}: building the index from {corpus} (once)")
        asst = Assistant.open(index_dir=idx, create=True)
        try:
            report = asst.ingest([corpus])
            log(f"{bench.name}: {report.summary()}")
        finally:
            asst.close()
    return idx


def _dump(bench: BenchSet, idx: Path, shared: Path, project: Path, out: Path, log: Callable[[str], None]) -> Path:
    from assistant.answer.answerer import Answerer
    from assistant.answer.corpus import IndexCorpus
    from assistant.api import Assistant

    path = out / f"dump-{bench.name}.jsonl.gz"
    if path.exists():
        return path
    asst = Assistant.open(index_dir=idx)
    rules = Answerer(asst.retriever, IndexCorpus(asst.local), models=None, fetch=DUMP_K)
    todo = cases(bench, shared, project)
    t0 = time.perf_counter()

    def records():
        for n, case in enumerate(todo, start=1):
            tr = rules.explain(case.question, history=case.history or None, asked_on=case.asked_on or None)
            yield dump_record(bench, case, tr)
            if n % 500 == 0:
                log(f"{bench.name}: {n}/{len(todo)} questions ({time.perf_counter() - t0:.0f} s)")

    n = write_dump(path, records())
    asst.close()
    log(f"{bench.name}: dumped {n} questions in {time.perf_counter() - t0:.0f} s")
    return path


def tokens_fitter(work: Path, adapter: Path | None = None, log: Callable[[str], None] = print,
                  reuse: bool = False):
    """What ``train`` calls to fit the extractive reader (``training.extractive``), working
    in ``work``; with ``adapter``, that fitted adapter is the final one (not refitted); with
    ``reuse``, the out-of-fold adapters a previous run left in ``work`` are reused."""
    from assistant.evaluation.training.extractive import fit_tokens
    from assistant.index.embedding import minilm_path

    given = dict(np.load(adapter)) if adapter is not None else None

    def fit(replies, owner, spans, labels, n, train):
        return fit_tokens(replies, owner, spans, labels, n, train, Path(minilm_path()), work, log, given, reuse=reuse)

    return fit


def run(shared: Path, project: Path, cache: Path, models_out: Path, report_out: Path,
        sets: Sequence[str] = tuple(SETS), log: Callable[[str], None] = print, tokens: bool = True,
        tokens_adapter: Path | None = None, reuse_tokens: bool = False) -> dict[str, Any]:
    """Everything ``make train`` does; returns the report. ``tokens``: fit the extractive
    reader (``tokens_adapter``: reuse that one as the final adapter; ``reuse_tokens``: reuse
    the out-of-fold adapters the last run left under ``cache``)."""
    from assistant.answer.corpus import IndexCorpus
    from assistant.api import Assistant
    from assistant.evaluation.training.trainer import prepare

    cache.mkdir(parents=True, exist_ok=True)
    items, corpora, opened = [], {}, []
    try:
        for name in sets:
            bench = SETS[name]
            idx = _index(bench, shared, project, cache, log)
            dump = _dump(bench, idx, shared, project, cache, log)
            asst = Assistant.open(index_dir=idx)
            opened.append(asst)
            # The reader reads spans from the documents: every set's corpus stays open.
            corpus = corpora[name] = IndexCorpus(asst.local)
            cached = cache / f"items-{name}.pkl"
            if cached.exists() and cached.stat().st_mtime >= dump.stat().st_mtime:
                with cached.open("rb") as f:
                    items.extend(pickle.load(f))
                continue
            t0 = time.perf_counter()
            mine = [it for rec in read_dump(dump) if (it := prepare(rec, corpus)) is not None]
            log(f"{name}: features in {time.perf_counter() - t0:.0f} s")
            with cached.open("wb") as f:
                pickle.dump(mine, f)
            items.extend(mine)
        fitter = tokens_fitter(cache / "tokens", tokens_adapter, log, reuse_tokens) if tokens else None
        return fit_and_write(items, corpora, models_out, report_out, log, fitter)
    finally:
        for asst in opened:
            asst.close()


def fit_and_write(items: list[Any], corpora: Mapping[str, Any], models_out: Path, report_out: Path,
                  log: Callable[[str], None] = print, tokens: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Fit every stage on prepared items (``trainer.prepare``) and the reader on their
    sets' ``corpora``, measure them on the validation items, and write the models (with
    the validation figures in their ``meta``), the reader's beside them, and the report;
    returns the report."""
    from assistant.answer.learned import READER
    from assistant.evaluation.training.report import report as make_report
    from assistant.evaluation.training.trainer import train

    models, reader, figures = train(items, corpora, log, tokens)
    rep = make_report(items, models, reader, figures)
    models = type(models)(**{**models.__dict__, "meta": {**models.meta, "validation": rep["summary"],
                                                         "splits": rep["splits"]}})
    models_out.parent.mkdir(parents=True, exist_ok=True)
    models_out.write_text(json.dumps(models.to_dict(), indent=1) + "\n", encoding="utf-8")
    reader_out = models_out.with_name(f"{READER}.json")
    reader_out.write_text(json.dumps(reader.to_dict(), indent=1) + "\n", encoding="utf-8")
    if figures.get("adapter") is not None:
        from assistant.answer.reader.extractive import ADAPTER

        with models_out.with_name(ADAPTER).open("wb") as f:
            np.savez_compressed(f, **figures["adapter"])
    report_out.parent.mkdir(parents=True, exist_ok=True)
    report_out.write_text(json.dumps(rep, indent=1) + "\n", encoding="utf-8")
    return rep
