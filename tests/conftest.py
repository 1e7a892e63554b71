"""Shared fixtures: seed indexes (fake and real embedder), free ports, a real Chroma server.

Indexes are session-scoped and built once into a temporary directory; tests that modify an
index must copy it (``copy_index``) or build their own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = ROOT / "tests" / "fixtures" / "docs"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


#: Figures tests measured (the seed eval's held-out slice, ...), printed after the run even
#: under -q: a regression guard's figure is worth seeing when it passes too.
_FIGURES: list[str] = []


@pytest.fixture
def figures():
    """``figures(line)``: report a measured figure in the run's summary."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter) -> None:
    if _FIGURES:
        terminalreporter.section("figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


#: Run the suite as if this process had N CPUs (``ASSISTANT_TEST_CPUS=16 OMP_NUM_THREADS=16 make
#: test``): ``index.embedding.default_threads``, from which every thread and worker count is
#: derived, returns N. Subprocesses (the CLI, ingest workers) still see the real count; use
#: ``taskset`` to give the whole run fewer CPUs.
ENV_TEST_CPUS = "ASSISTANT_TEST_CPUS"


@pytest.fixture(scope="session", autouse=True)
def mimic_cpus() -> Iterator[int | None]:
    value = os.environ.get(ENV_TEST_CPUS, "").strip()
    if not value:
        yield None
        return
    if not value.isdigit() or int(value) < 1:
        raise pytest.UsageError(f"{ENV_TEST_CPUS}={value!r}: give a number of CPUs, e.g. 16")
    from assistant.index import embedding

    _REAL["default_threads"] = embedding.default_threads
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(embedding, "default_threads", lambda: int(value))
        yield int(value)


_REAL: dict[str, object] = {}


@pytest.fixture
def real_cpus(monkeypatch) -> None:
    """For a test of ``default_threads`` itself: the real one, under ``ASSISTANT_TEST_CPUS`` too."""
    from assistant.index import embedding

    if "default_threads" in _REAL:
        monkeypatch.setattr(embedding, "default_threads", _REAL["default_threads"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def hashing_embedder():
    from assistant.index.embedding import HashingEmbedder

    return HashingEmbedder()


@pytest.fixture(scope="session")
def minilm_embedder():
    """The real all-MiniLM-L6-v2, loaded once per test session."""
    from assistant.index.embedding import MiniLMEmbedder

    return MiniLMEmbedder()


def build_index(index_dir: Path, embedder, sources=(SEEDS,)) -> Path:
    from assistant.api import Assistant

    asst = Assistant.open(index_dir=index_dir, embedder=embedder, create=True)
    try:
        report = asst.ingest(list(sources))
        assert report.ok, report.summary()
    finally:
        asst.close()
    return index_dir


@pytest.fixture(scope="session")
def seed_index_fake(tmp_path_factory, hashing_embedder) -> Path:
    """seeds/ ingested with the hashing embedder (fast; dense ranking is crude but sensible)."""
    return build_index(tmp_path_factory.mktemp("seed-fake") / "index", hashing_embedder)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, minilm_embedder) -> Path:
    """seeds/ ingested with the real embedder, as `make run` builds it. Read-only: copy to modify."""
    return build_index(tmp_path_factory.mktemp("seed-real") / "index", minilm_embedder)


@pytest.fixture
def copy_index(tmp_path):
    def _copy(src: Path) -> Path:
        dst = tmp_path / f"copy-{src.parent.name}"
        shutil.copytree(src, dst)
        return dst

    return _copy


def wait_for_port(port: int, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, proc=proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a Chromium for the browser tests (``tests/browsers.py``): without one the
    test fails under ``make test`` and skips elsewhere. Ask for it first, so that happens
    before the seed index is built."""
    from browsers import require_chromium

    return require_chromium()


#: Set (to anything but "", "0") by ``make test``: a missing Tesseract fails the OCR tests
#: instead of skipping them, as a missing browser does (``tests/browsers.py``).
ENV_REQUIRE_OCR = "ASSISTANT_REQUIRE_OCR"


def require_tesseract(which=shutil.which, env: dict[str, str] | None = None) -> str:
    """The path of the ``tesseract`` the OCR tests drive: without one the test fails under
    ``make test`` (``ASSISTANT_REQUIRE_OCR``) and skips elsewhere, each time with the fix."""
    path = which("tesseract")
    if path is None:
        why = "tesseract is not installed: run `make ocr` (apt-get install tesseract-ocr tesseract-ocr-eng)"
        if (os.environ if env is None else env).get(ENV_REQUIRE_OCR, "").strip() not in ("", "0"):
            pytest.fail(f"{why} ({ENV_REQUIRE_OCR} is set: `make test` runs the OCR tests)", pytrace=False)
        pytest.skip(why)
    return path


@pytest.fixture(scope="session")
def tesseract() -> str:
    return require_tesseract()


@pytest.fixture
def chroma_server(tmp_path) -> Iterator[str]:
    """A real `chroma run` on a free loopback port; yields its URL."""
    port = free_port()
    proc = start_chroma(tmp_path / "chroma-data", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
