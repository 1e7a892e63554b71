"""How the browser tests find Chromium (``tests/browsers.py``), and that ``make test`` fails
without one instead of skipping: fake PATHs, no browser started."""

from __future__ import annotations

import re

import browsers
import pytest
from conftest import ROOT


@pytest.mark.parametrize("name", browsers.NAMES)
def test_chromium_is_found_under_each_usual_name(name):
    path = f"/opt/bin/{name}"
    found = browsers.find_chromium(which=lambda n: path if n == name else None, playwright=lambda: None, env={})
    assert found == path


def test_the_distribution_name_comes_before_playwrights_own():
    assert browsers.find_chromium(which=lambda n: f"/usr/bin/{n}" if n == "google-chrome" else None,
                                  playwright=lambda: "/pw/chrome", env={}) == "/usr/bin/google-chrome"


def test_playwrights_own_browser_when_none_is_on_path():
    assert browsers.find_chromium(which=lambda n: None, playwright=lambda: "/pw/chrome", env={}) == "/pw/chrome"
    assert browsers.find_chromium(which=lambda n: None, playwright=lambda: None, env={}) is None


def test_an_explicit_browser_path_comes_first(tmp_path):
    exe = tmp_path / "chrome"
    exe.write_text("")
    env = {browsers.ENV_PATH: str(exe)}
    assert browsers.find_chromium(which=lambda n: "/usr/bin/chromium", playwright=lambda: None, env=env) == str(exe)
    gone = {browsers.ENV_PATH: str(tmp_path / "nothing-here")}  # a stale setting falls through
    assert browsers.find_chromium(which=lambda n: "/usr/bin/chromium", playwright=lambda: None,
                                  env=gone) == "/usr/bin/chromium"


@pytest.fixture
def no_browser(monkeypatch):
    monkeypatch.setattr(browsers, "_found", lambda: None)


def test_a_missing_browser_fails_under_make_test_with_the_install_command(no_browser, monkeypatch):
    monkeypatch.setenv(browsers.ENV_REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception) as err:
        browsers.require_chromium()
    assert "make browser" in str(err.value) and "apt-get install chromium" in str(err.value)
    assert "playwright install chromium" in str(err.value)


@pytest.mark.parametrize("value", [None, "", "0"])
def test_a_missing_browser_is_a_skip_elsewhere(no_browser, monkeypatch, value):
    if value is None:
        monkeypatch.delenv(browsers.ENV_REQUIRE, raising=False)
    else:
        monkeypatch.setenv(browsers.ENV_REQUIRE, value)
    with pytest.raises(pytest.skip.Exception, match="make browser"):
        browsers.require_chromium()


def _recipe(target: str) -> str:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    m = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n?)+)", text, re.M)
    assert m, f"no `{target}` target in the Makefile"
    return m.group(1)


def test_make_test_requires_the_browser_and_make_test_fast_does_not():
    assert f"{browsers.ENV_REQUIRE}=1" in _recipe("test") and "pytest" in _recipe("test")
    assert browsers.ENV_REQUIRE not in _recipe("test-fast")
    assert "tests/browsers.py" in _recipe("browser")  # installs only when the tests would find none


def test_every_browser_module_uses_the_one_finder():
    launch = "chromium" + ".launch("  # not spelled out, so this module is not one of them
    modules = [p for p in (ROOT / "tests").rglob("test_*.py") if launch in p.read_text(encoding="utf-8")]
    assert {p.name for p in modules} >= {"test_browser.py", "test_first_hour.py", "test_second_hour.py"}
    for module in modules:
        src = module.read_text(encoding="utf-8")
        assert "(chromium, " in src and "which(" not in src, module.name  # conftest's `chromium` fixture
