"""Where the browser tests find Chromium, and what a missing one means.

Chromium is looked for under the names distributions and Google give it, then as the
browser Playwright installed for itself (``playwright install chromium``), so the browser
tests run on a developer's machine as they do on Debian. Without one, ``make test`` (which
sets ``ASSISTANT_REQUIRE_BROWSER=1``, as CI does) fails with the command that installs it;
anything else (``make test-fast``, a bare ``pytest``) skips those tests and says why.

``python tests/browsers.py`` prints the browser found (exit 1 when there is none):
``make browser`` asks it before installing one.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import NoReturn

import pytest

#: Executable names of Chromium and Chrome, most specific first: Debian's ``chromium``,
#: Ubuntu's and Fedora's ``chromium-browser``, Google's packages, a ``chrome`` on PATH.
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Set (to anything but "", "0") by ``make test``: a missing browser fails instead of skipping.
ENV_REQUIRE = "ASSISTANT_REQUIRE_BROWSER"
#: An explicit browser executable, tried first (a Chrome outside PATH, e.g. on macOS).
ENV_PATH = "ASSISTANT_CHROMIUM"
INSTALL = ("install Chromium: `make browser` (runs `apt-get install chromium` as root on Debian/Ubuntu), "
           "or `.venv/bin/python -m playwright install chromium` where its download is allowed, "
           f"or set {ENV_PATH}=/path/to/chrome")


def playwright_chromium() -> str | None:
    """The Chromium Playwright installed for itself, if it did (None otherwise)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:  # no driver, or no browser registry: nothing installed
        return None
    return path if path and Path(path).is_file() else None


def find_chromium(which: Callable[[str], str | None] = shutil.which,
                  playwright: Callable[[], str | None] = playwright_chromium,
                  env: dict[str, str] | None = None) -> str | None:
    """The path of a Chromium to drive: ``ASSISTANT_CHROMIUM``, then the first of ``NAMES``
    on PATH, then Playwright's own; None when there is none."""
    explicit = (os.environ if env is None else env).get(ENV_PATH, "").strip()
    if explicit and Path(explicit).is_file():
        return explicit
    for name in NAMES:
        path = which(name)
        if path:
            return path
    return playwright()


def browser_required(env: dict[str, str] | None = None) -> bool:
    return (os.environ if env is None else env).get(ENV_REQUIRE, "").strip() not in ("", "0")


@cache
def _found() -> str | None:
    return find_chromium()


def require_chromium() -> str:
    """Chromium's path for a browser test; without one (or without Playwright) the test
    fails under ``make test`` and is skipped otherwise, each time with the fix."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("playwright is not installed: run `make install`")
    path = _found()
    if path is None:
        _missing(f"no Chromium found (looked for {', '.join(NAMES)} on PATH and Playwright's own): {INSTALL}")
    return path


def _missing(why: str) -> NoReturn:
    if browser_required():
        pytest.fail(f"{why} ({ENV_REQUIRE} is set: `make test` runs the browser tests)", pytrace=False)
    pytest.skip(why)


if __name__ == "__main__":
    found = find_chromium()
    print(found or f"no Chromium found: {INSTALL}", file=sys.stdout if found else sys.stderr)
    sys.exit(0 if found else 1)
