"""Commands for people who measure: eval, train, bench; and serve (hands over to the app)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from assistant.interfaces.options import llm_from, open_assistant


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
    asst = open_assistant(args, llm=llm_from(args))
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


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from assistant.errors import ConfigError

    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ConfigError("training needs scikit-learn, a development dependency",
                          fix='install it: `pip install -e ".[dev]"` (make install does)') from None
    from assistant.evaluation.training import run
    from assistant.evaluation.training.data import SETS
    from assistant.evaluation.training.report import format_report

    shared = Path(args.shared)
    if not (shared / "benchmarks").is_dir():
        raise ConfigError(f"no benchmarks folder in {shared.resolve()}",
                          fix="pass --shared with the folder that holds benchmarks/ (the project's ../shared)")
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        raise ConfigError(f"unknown set(s) {unknown}", fix=f"choose from {', '.join(SETS)}")
    from assistant.config import project_root

    project = project_root()
    models = Path(args.models) if args.models else project / "assistant" / "answer" / "models" / "selection.json"
    stage = getattr(args, "stage", "all")
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    adapter = Path(args.tokens_adapter) if getattr(args, "tokens_adapter", None) else None
    if adapter is not None and not adapter.is_file():
        raise ConfigError(f"no adapter file {adapter}", fix="pass the .npz a training run wrote, or leave out --tokens-adapter")
    if stage in ("all", "selection"):
        rep = run(shared, project, Path(args.cache), models, Path(args.report), sets, log=log,
                  tokens=getattr(args, "tokens", True), tokens_adapter=adapter,
                  reuse_tokens=getattr(args, "reuse_tokens", False))
        print(format_report(rep))
        print(f"models written to {models}; report to {args.report}")
    # Each later stage asks its questions with the models the stages before it wrote.
    _forget_loaded_models()
    if stage in ("all", "rerank"):
        from assistant.evaluation.training import rerank

        out = models.with_name("rerank.json")
        rerank.run(shared, project, Path(args.cache), out, log=log)
        print(f"re-ranker written to {out}")
    _forget_loaded_models()
    if stage in ("all", "confidence"):
        from assistant.evaluation.training import confidence

        out = models.with_name("confidence.json")
        confidence.run(shared, project, Path(args.cache), out, log=log)
        print(f"confidence model written to {out}")
    _forget_loaded_models()
    if stage in ("all", "forms"):
        from assistant.evaluation.training import forms

        out = models.with_name("forms.json")
        forms.run(shared, project, Path(args.cache), out, Path(args.forms_report), log=log)
        print(f"forms models written to {out}; report to {args.forms_report}")
    return 0


def _forget_loaded_models() -> None:
    """Drop the models this process has loaded, so the next load reads the files again: the
    selection, reader, re-ranker and confidence models (``answer.learned``) and the forms models."""
    from assistant.answer import learned
    from assistant.answer.forms import model as forms_model

    for loader in (learned.load, learned.load_reader, learned.load_rerank, learned.load_confidence,
                   forms_model.load):
        loader.cache_clear()


def cmd_bench(args: argparse.Namespace) -> int:
    from assistant.evaluation.bench import main_bench

    return main_bench(args)


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
    cmd = [sys.executable, "-m", "app", *argv]
    if os.name == "posix":
        # Become the app (same process), so a signal to `assistant serve` reaches the server
        # itself and no orphan keeps the port.
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, cmd)
    return subprocess.call(cmd)
