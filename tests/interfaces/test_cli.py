"""The terminal for a new user (issue #17, items 10-12): help that explains, and error
messages whose fix works when it is typed in as printed.

Each error test runs the CLI as a user would, from a directory that is not the checkout,
takes the command between backticks in the ``fix:`` line, runs it, and checks it did what
the message promised.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

from assistant.interfaces.cli import build_parser


def _help(*argv: str) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit):
        build_parser().parse_args([*argv, "--help"])
    return " ".join(buf.getvalue().split())


def test_ask_help_explains_the_question_json_and_timeout_unit():
    h = _help("ask")
    assert re.search(r"question the question, in quotes", h)
    assert re.search(r"--json print the whole answer as JSON", h)
    assert "--llm-timeout SECONDS seconds to wait for the LLM" in h and "(default 30)" in h
    assert "example: assistant ask" in h
    assert "-k K passages to consider (default 5)" in h


def test_every_argument_of_search_show_and_stats_has_help():
    for cmd in ("search", "show", "stats", "ingest", "ask"):
        parser = build_parser()
        sub = next(a for a in parser._actions if a.dest == "command").choices[cmd]
        missing = [a.dest for a in sub._actions if a.dest != "help" and not a.help]
        assert not missing, f"`assistant {cmd}` arguments without help: {missing}"


# -- errors whose fix is run ------------------------------------------------------------------------
@pytest.fixture
def user(tmp_path):
    """A user's shell: a working directory away from the checkout, one article to ingest
    (``ASSISTANT_SEEDS_DIR``, so the fix's ingest is quick), no index settings."""
    home = tmp_path / "work"
    home.mkdir()
    articles = tmp_path / "articles"
    articles.mkdir()
    src = sorted(SEEDS.glob("*.txt"))[0]
    shutil.copy(src, articles / src.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"ASSISTANT_SEEDS_DIR": str(articles), "ASSISTANT_CACHE_DIR": str(tmp_path / "cache"),
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=home, env=env,
                              capture_output=True, text=True, timeout=600)

    run.home = home  # type: ignore[attr-defined]
    return run


def _fix(res: subprocess.CompletedProcess) -> list[str]:
    """The command in the error's fix line, as argv for this interpreter (the program it
    names, the console script of this environment, left out)."""
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res.stderr
    m = re.search(r"fix: .*?`([^`]*assistant [^`]+)`", res.stderr)
    assert m, res.stderr
    argv = shlex.split(m.group(1))
    assert Path(argv[0]).name == "assistant", argv
    return argv[1:]


@pytest.mark.slow  # the fix ingests an article: spaCy and the embedding model load
def test_missing_default_index_names_its_place_and_the_fix_builds_it(user):
    res = user("stats")
    assert "no index at index" not in res.stderr
    assert f"no index at {user.home / 'index'} (the default index directory" in res.stderr
    assert "seeds/" not in res.stderr.replace(str(SEEDS), "")  # no path that exists only in the checkout
    fix = _fix(res)
    assert fix[0] == "ingest" and Path(fix[1]).is_absolute()
    built = user(*fix, "--no-progress")
    assert built.returncode == 0, built.stderr
    ok = user("stats")
    assert ok.returncode == 0 and "documents: 1" in ok.stdout


@pytest.mark.slow
def test_directory_that_is_not_an_index_gets_a_fix_that_works(user):
    notes = user.home / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("my own notes\n")
    res = user("ask", "How many crossings were thwarted in 2025?", "--index-dir", str(notes))
    assert "not an index" in res.stderr and "--rebuild" not in res.stderr  # no dead end
    fix = _fix(res)
    # the rebuild the old message suggested still refuses, and now points the same way out
    refused = user("ingest", "--rebuild", "--index-dir", str(notes), "--no-progress")
    assert "not deleting it" in refused.stderr and _fix(refused) == fix
    assert (notes / "todo.txt").read_text() == "my own notes\n" and sorted(os.listdir(notes)) == ["todo.txt"]
    built = user(*fix, "--no-progress")
    assert built.returncode == 0, built.stderr
    new = fix[fix.index("--index-dir") + 1]
    ans = user("ask", "How many crossings were thwarted in 2025?", "--index-dir", new)
    assert ans.returncode == 0 and "40,549" in ans.stdout, ans.stderr
    assert sorted(os.listdir(notes)) == ["todo.txt"]  # nothing was written among the user's files


@pytest.mark.slow
def test_index_dir_that_is_a_file_gets_a_fix_that_works(user):
    f = user.home / "index.txt"
    f.write_text("not an index\n")
    res = user("stats", "--index-dir", str(f))
    assert "is a file" in res.stderr
    fix = _fix(res)
    rebuilt = user("ingest", "--rebuild", "--index-dir", str(f), "--no-progress")  # was: internal error, exit 1
    assert "is a file" in rebuilt.stderr and _fix(rebuilt) == fix
    built = user(*fix, "--no-progress")
    assert built.returncode == 0, built.stderr
    new = fix[fix.index("--index-dir") + 1]
    ok = user("stats", "--index-dir", new)
    assert ok.returncode == 0 and "documents: 1" in ok.stdout
    assert f.read_text() == "not an index\n"


def test_train_without_the_benchmarks_says_where_they_go(tmp_path, capsys):
    from assistant.interfaces.cli import main

    code = main(["train", "--shared", str(tmp_path / "nowhere"), "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and "no benchmarks folder" in err and "--shared" in err


def test_each_training_stage_asks_with_the_models_the_stages_before_it_wrote(tmp_path, monkeypatch):
    """`assistant train` runs its stages in one process: a stage must not answer with the
    models an earlier stage replaced, still cached from before it ran."""
    from functools import cache

    from assistant.answer import learned
    from assistant.answer.forms import model as forms_model
    from assistant.evaluation.training import forms, rerank
    from assistant.interfaces.cli import main

    # Stand-ins with caches of their own: the real ones stay as other tests loaded them.
    for mod, name in ((learned, "load"), (learned, "load_reader"), (learned, "load_rerank"), (forms_model, "load")):
        monkeypatch.setattr(mod, name, cache(getattr(mod, name).__wrapped__))
    (tmp_path / "benchmarks").mkdir()
    seen = []

    def stage(name):
        def run(*a, **kw):
            seen.append((name, learned.load.cache_info().currsize, forms_model.load.cache_info().currsize))
            learned.load()  # the stage loads what it answers with
            forms_model.load()
        return run

    monkeypatch.setattr(rerank, "run", stage("rerank"))
    monkeypatch.setattr(forms, "run", stage("forms"))
    learned.load()
    forms_model.load()
    for name in ("rerank", "forms"):
        assert main(["train", "--stage", name, "--shared", str(tmp_path), "--cache", str(tmp_path / "c")]) == 0
    assert seen == [("rerank", 0, 0), ("forms", 0, 0)]
