"""The ingest lock on any platform (issue #17, item 14): ``filelock`` instead of ``fcntl``.

The pipeline must import where there is no ``fcntl`` (Windows), and the lock must still
serialise ingests there; between processes it names the holder and is freed by the OS
when the holder dies. No models load here: only the lock is exercised.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import ROOT

from assistant.config import Settings
from assistant.errors import IndexLocked
from assistant.ingest.pipeline import ingest_lock


def _python(code: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_pipeline_imports_and_locks_without_fcntl(tmp_path):
    """As on Windows: ``fcntl`` cannot be imported, yet the module loads and the lock holds."""
    proc = _python(f"""
        import sys
        sys.modules["fcntl"] = None  # importing it now raises ImportError, as on Windows
        from assistant.config import Settings
        from assistant.errors import IndexLocked
        from assistant.ingest.pipeline import ingest_lock
        s = Settings(index_dir={str(tmp_path / "index")!r})
        with ingest_lock(s):
            try:
                with ingest_lock(s, wait=False):
                    print("NOT LOCKED")
            except IndexLocked as exc:
                print("LOCKED", exc.message)
        with ingest_lock(s, wait=False):
            print("FREE AGAIN")
    """)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "LOCKED another ingest" in out and "NOT LOCKED" not in out and "FREE AGAIN" in out


def test_lock_names_the_holder_and_is_freed_when_it_dies(tmp_path):
    settings = Settings(index_dir=tmp_path / "index")
    holder = _python(f"""
        import time
        from assistant.config import Settings
        from assistant.ingest.pipeline import ingest_lock
        with ingest_lock(Settings(index_dir={str(settings.index_dir)!r})):
            print("HELD", flush=True)
            time.sleep(600)
    """)
    try:
        assert holder.stdout.readline().strip() == "HELD"
        with pytest.raises(IndexLocked) as err, ingest_lock(settings, wait=False):
            pass
        assert f"pid {holder.pid}" in err.value.message and err.value.fix
        waited: list[str] = []
        t0 = time.monotonic()
        with pytest.raises(IndexLocked), ingest_lock(settings, on_wait=waited.append, timeout=0.6):
            pass
        assert time.monotonic() - t0 >= 0.5 and waited and "waiting" in waited[0]
        holder.send_signal(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
        holder.wait(timeout=30)
        with ingest_lock(settings, wait=False):  # the OS freed it with the process
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()
        holder.stderr.close()


def test_pipeline_imports_no_platform_specific_lock_module():
    import ast

    # The lock lives in index/lock.py (readers take it too, to reload); the pipeline re-exports it.
    tree = ast.parse((ROOT / "assistant" / "index" / "lock.py").read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not names & {"fcntl", "msvcrt"} and "filelock" in names
