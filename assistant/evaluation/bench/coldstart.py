"""Cold start: seconds from a new process to its first answer (CLI and chat app), against
the time that importing the heavy libraries alone takes."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from assistant.evaluation.bench.measure import rss_mb

#: What importing the heavy libraries costs: the floor for any cold start.
IMPORT_FLOOR_CMD = "import torch, chromadb, llama_index.core, sentence_transformers"
#: The same floor for the path the CLI takes when the model runs under ONNX Runtime.
IMPORT_FLOOR_ONNX_CMD = "import chromadb, onnxruntime, tokenizers"


def _run_timed(cmd: list[str], env: dict[str, str], timeout: float = 300) -> float | None:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        sys.stderr.write(f"bench: {' '.join(cmd[:4])}... failed: {proc.stderr.decode()[-400:]}\n")
        return None
    return time.perf_counter() - t0


def _gradio_call(port: int, api: str, data: list[Any], timeout: float) -> Any:
    """One call of a Gradio app's named API over its REST interface (``/gradio_api/call``):
    a POST that queues the call, then the event stream that carries the result."""
    import urllib.request

    base = f"http://127.0.0.1:{port}/gradio_api/call/{api}"
    req = urllib.request.Request(base, data=json.dumps({"data": data}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        event_id = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{base}/{event_id}", timeout=timeout) as r:
        event = ""
        for raw in r:
            line = raw.decode("utf-8").strip()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(f"the app's {api} API failed: {line[5:].strip()}")
                return json.loads(line[5:])
    raise RuntimeError(f"the app's {api} API returned no result")


def _app_first_answer(index_dir: Path, question: str, env: dict[str, str], timeout: float = 300) -> float | None:
    """Seconds from starting the chat app (``python -m app``) to its first answer through
    its ``/ask`` API. None when the app is not installed or did not answer in time."""
    import importlib.util
    import socket

    if importlib.util.find_spec("app") is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "app", "--index-dir", str(index_dir), "--port", str(port),
                             "--no-build"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                return None
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            return None
        _gradio_call(port, "ask", [question, "", ""], timeout)
        return time.perf_counter() - t0
    except Exception as exc:  # a broken app must not stop the benchmark
        sys.stderr.write(f"bench: app cold start failed: {type(exc).__name__}: {exc}\n")
        return None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def cold_start(index_dir: Path, question: str, precision: str, repeats: int,
               backend: str = "auto") -> dict[str, Any]:
    """Process start to first answer (CLI ``ask`` and the app) vs the heavy-import floor."""
    env = {**os.environ, "ASSISTANT_EMBED_PRECISION": precision, "ASSISTANT_EMBED_BACKEND": backend}
    floor, floor_onnx, cli, app = [], [], [], []
    for _ in range(repeats):
        # Interleaved so that load from other processes hits both alike.
        f = _run_timed([sys.executable, "-c", IMPORT_FLOOR_CMD], env)
        fo = _run_timed([sys.executable, "-c", IMPORT_FLOOR_ONNX_CMD], env)
        floor_onnx += [fo] if fo else []
        c = _run_timed([sys.executable, "-m", "assistant", "ask", question, "--index-dir", str(index_dir)], env)
        a = _app_first_answer(index_dir, question, env)
        floor += [f] if f else []
        cli += [c] if c else []
        app += [a] if a else []

    def med(xs: list[float]) -> float | None:
        return round(statistics.median(xs), 3) if xs else None

    return {"cold_start_s": med(cli), "import_floor_s": med(floor), "import_floor_onnx_s": med(floor_onnx),
            "app_cold_start_s": med(app),
            "children_peak_rss_mb": rss_mb(resource.RUSAGE_CHILDREN)}


def help_time(repeats: int = 3) -> float:
    """Seconds for ``assistant --help`` (must not import the heavy libraries)."""
    times = [_run_timed([sys.executable, "-m", "assistant", "--help"], dict(os.environ)) or 0.0
             for _ in range(repeats)]
    return round(statistics.median(times), 3)


