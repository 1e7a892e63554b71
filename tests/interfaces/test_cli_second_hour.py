"""The terminal, as the second hour of use found it (issue #27): fixes that can be typed as
printed with the README's `.venv/bin/assistant`, quiet broken pipes, one human date form in
the views and stats (ISO stays in --json)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

SCRIPT = Path(sys.executable).parent / "assistant"  # what `make install` made: .venv/bin/assistant
#: A shell that has not activated the environment: no `assistant` on its PATH.
PLAIN_PATH = "/usr/local/bin:/usr/bin:/bin"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"PATH": PLAIN_PATH, "ASSISTANT_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1"}, **extra)
    return env


def _fix_line(stderr: str) -> str:
    m = re.search(r"fix: .*?`([^`]+)`", stderr)
    assert m, stderr
    return m.group(1)


@pytest.mark.skipif(not SCRIPT.exists(), reason="no console script beside this interpreter")
@pytest.mark.slow  # the fix ingests an article: spaCy and the embedding model load
def test_a_fix_typed_as_printed_works_in_a_shell_without_the_venv(tmp_path):
    assert shutil.which("assistant", path=PLAIN_PATH) is None
    home = tmp_path / "home"
    home.mkdir()
    articles = tmp_path / "articles"
    articles.mkdir()
    src = sorted(SEEDS.glob("*.txt"))[0]
    shutil.copy(src, articles / src.name)
    env = _env(tmp_path, ASSISTANT_SEEDS_DIR=str(articles))
    res = subprocess.run([str(SCRIPT), "stats"], cwd=home, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2, res.stderr
    fix = _fix_line(res.stderr)
    assert fix.startswith(f"{SCRIPT} ingest "), fix  # the program as it was run, not a bare `assistant`
    built = subprocess.run(["bash", "-c", fix + " --no-progress"], cwd=home, env=env, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr  # was: "bash: assistant: command not found" (127)
    ok = subprocess.run([str(SCRIPT), "stats"], cwd=home, env=env, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and "documents: 1" in ok.stdout


@pytest.mark.skipif(not SCRIPT.exists(), reason="no console script beside this interpreter")
def test_a_relative_invocation_is_printed_as_typed(tmp_path):
    rel = os.path.relpath(SCRIPT, ROOT)
    res = subprocess.run([rel, "stats", "--index-dir", str(tmp_path / "nowhere")], cwd=ROOT, env=_env(tmp_path),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2
    assert _fix_line(res.stderr).startswith(f"{rel} ingest "), res.stderr


def test_the_bare_name_is_kept_when_path_finds_this_program(tmp_path):
    from assistant.interfaces.invocation import as_invoked, program

    bin_dir = str(SCRIPT.parent)
    assert program(str(SCRIPT), path=f"{bin_dir}:{PLAIN_PATH}") == "assistant"
    assert program("assistant", path=PLAIN_PATH) == "assistant"
    assert program(".venv/bin/assistant", path=PLAIN_PATH) == ".venv/bin/assistant"
    fix = "build it: `assistant ingest /data --index-dir /x` or `assistant stats`"
    assert as_invoked(fix, ".venv/bin/assistant") == (
        "build it: `.venv/bin/assistant ingest /data --index-dir /x` or `.venv/bin/assistant stats`")
    assert as_invoked("the `assistant-like` tool", ".venv/bin/assistant") == "the `assistant-like` tool"


@pytest.mark.skipif(not SCRIPT.exists(), reason="no console script beside this interpreter")
@pytest.mark.parametrize("reader", ["head -2", "true"])
def test_a_reader_that_stops_early_ends_the_command_quietly(seed_index_fake, tmp_path, reader):
    """`true` reads nothing and exits at once, so the answer always meets a closed pipe;
    `head -2` as the issue ran it."""
    cmd = (f"{SCRIPT} ask 'How many crossings were thwarted in 2025?' --index-dir {seed_index_fake} | {reader};"
           " echo \"status=${PIPESTATUS[0]}\" >&2")
    res = subprocess.run(["bash", "-c", cmd], env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    err = res.stderr.replace(re.search(r"status=\d+", res.stderr).group(0), "").strip()
    assert err == "", err  # was: "internal error: BrokenPipeError ... please report it"
    status = int(re.search(r"status=(\d+)", res.stderr).group(1))
    assert status in (0, 141)  # done, or stopped by the closed pipe as Unix tools are
    if reader.startswith("head"):
        assert len(res.stdout.splitlines()) == 2


_PARTIAL_ISO = re.compile(r"(?<![\w-])--\d\d-\d\d\b")


def _cli(*argv: str) -> str:
    import contextlib
    import io

    from assistant.interfaces.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


def test_views_and_stats_show_dates_as_the_chat_does_and_json_keeps_iso(seed_index_fake):
    from assistant.api import Assistant

    idx = str(seed_index_fake)
    asst = Assistant.open(index_dir=idx)
    dates = {d["date"] for d in asst.stats()["docs"] if d["date"]}
    asst.close()
    assert any(d.startswith("--") for d in dates)  # the seeds have datelines without a year
    for argv in (("timeline", "the migration crisis"), ("who-said", "the Minsk conference"), ("stats",)):
        text = _cli(*argv, "--index-dir", idx)
        assert not _PARTIAL_ISO.search(text), (argv, _PARTIAL_ISO.search(text).group(0))
        assert "year not stated" in text, argv
    raw = json.loads(_cli("timeline", "the migration crisis", "--index-dir", idx, "--json"))
    assert any(_PARTIAL_ISO.fullmatch(e["date"]) for e in raw)  # ISO, as stored

