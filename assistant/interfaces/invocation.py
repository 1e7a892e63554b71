"""How the user started this program, so that a printed fix can be typed as printed.

The library's errors name their fix as a command (``assistant ingest ...``), but a user who
followed the README ran ``.venv/bin/assistant`` and has no ``assistant`` on ``PATH``: typed
as printed, the fix was "command not found". The shells (CLI, ``app.py``) rewrite each
backquoted ``assistant ...`` command in a message to the program as it was invoked:
``assistant`` when that is what ``PATH`` finds, else the path as typed
(``.venv/bin/assistant``), or ``python -m assistant``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

__all__ = ["as_invoked", "program"]

#: A command in backquotes that starts with the bare program name.
_COMMAND = re.compile(r"`assistant(?=[\s`])")


def _same_file(a: str | None, b: str | Path) -> bool:
    if not a:
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _shown(path: str) -> str:
    """A path as a shell word; one inside the current directory stays relative, as typed."""
    return shlex.quote(path)


def program(argv0: str | None = None, executable: str | None = None, path: str | None = None) -> str:
    """The command that runs this program again from the user's shell.

    ``argv0`` is ``sys.argv[0]`` (the console script as typed, ``.../assistant/__main__.py``
    for ``python -m assistant``, or ``app.py``); ``path`` the ``PATH`` to look names up in."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = executable or sys.executable
    on_path = shutil.which("assistant", path=path if path is not None else os.environ.get("PATH"))
    name = Path(argv0).name
    if name == "assistant":
        if "/" not in argv0 and "\\" not in argv0:
            return "assistant"  # found on PATH, as typed
        return "assistant" if _same_file(on_path, argv0) else _shown(argv0)
    # python -m assistant, app.py, or anything else in this interpreter: the console script
    # beside the interpreter is what `make install` made.
    script = Path(executable).parent / "assistant"
    if _same_file(on_path, script):
        return "assistant"
    if script.exists():
        try:
            rel = script.absolute().relative_to(Path.cwd())
            return _shown(str(rel))
        except ValueError:
            return _shown(str(script.absolute()))
    python = shutil.which("python3", path=path) or shutil.which("python", path=path)
    shown = Path(python).name if _same_file(python, executable) else _shown(executable)
    return f"{shown} -m assistant"


def as_invoked(text: str, prog: str | None = None) -> str:
    """``text`` with each backquoted ``assistant ...`` command starting with ``prog``
    (default: ``program()``)."""
    if "`assistant" not in text:
        return text
    prog = program() if prog is None else prog
    if prog == "assistant":
        return text
    return _COMMAND.sub(lambda m: "`" + prog, text)
