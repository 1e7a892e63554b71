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
               backend: str = "auto", app: bool = True) -> dict[str, Any]:
    """Process start to first answer (CLI ``ask`` and, with ``app``, the chat) vs the
    heavy-import floor."""
    env = {**os.environ, "ASSISTANT_EMBED_PRECISION": precision, "ASSISTANT_EMBED_BACKEND": backend}
    floor, floor_onnx, cli, app = [], [], [], []
    for _ in range(repeats):
        # Interleaved so that load from other processes hits both alike.
        f = _run_timed([sys.executable, "-c", IMPORT_FLOOR_CMD], env)
        fo = _run_timed([sys.executable, "-c", IMPORT_FLOOR_ONNX_CMD], env)
        floor_onnx += [fo] if fo else []
        c = _run_timed([sys.executable, "-m", "assistant", "ask", question, "--index-dir", str(index_dir)], env)
        a = _app_first_answer(index_dir, question, env) if app else None
        floor += [f] if f else []
        cli += [c] if c else []
        app += [a] if a else []

    def med(xs: list[float]) -> float | None:
        return round(statistics.median(xs), 3) if xs else None

    return {"cold_start_s": med(cli), "import_floor_s": med(floor), "import_floor_onnx_s": med(floor_onnx),
            "app_cold_start_s": med(app),
            "children_peak_rss_mb": rss_mb(resource.RUSAGE_CHILDREN)}


#: Run in a new process by ``open_and_answer``: open the index, answer once, report the times.
_OPEN_ANSWER = """
import json, sys, time
t0 = time.perf_counter()
from assistant.api import Assistant
t1 = time.perf_counter()
asst = Assistant.open(index_dir=sys.argv[1])
t2 = time.perf_counter()
asst.ask(sys.argv[2])
t3 = time.perf_counter()
asst.ask(sys.argv[3])
t4 = time.perf_counter()
# VmHWM, not ru_maxrss: after fork + exec, Linux's ru_maxrss still counts the parent's peak.
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")]
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "first_ask_s": t3 - t2, "second_ask_s": t4 - t3,
                  "rss_mb": hwm[0] / 1024 if hwm else 0.0}))
"""


#: Run in a new process by ``open_and_answer``: the floor under opening and answering, Chroma
#: opening the index and loading its vector index (on its first query), nothing of ours.
_VECTOR_LOAD = """
import json, sys, time
from pathlib import Path
from assistant.config import Settings
from assistant.index.store import Store
t0 = time.perf_counter()
Store.open(Settings(index_dir=Path(sys.argv[1]))).warm()
print(json.dumps({"vector_load_s": time.perf_counter() - t0}))
"""


def open_and_answer(index_dir: Path, questions: tuple[str, str], repeats: int,
                    env: dict[str, str] | None = None) -> dict[str, Any]:
    """In a new process: ``Assistant.open`` plus one ``ask`` (what a user waits for before
    the first answer, after the imports), a second ``ask``, and the process's peak RSS;
    and its floor, Chroma alone opening the index and loading its vectors in another new
    process. Medians over ``repeats`` processes."""
    env = {**os.environ, **(env or {})}
    runs: list[dict[str, float]] = []
    walls: list[float] = []
    loads: list[float] = []
    for _ in range(repeats):
        load = subprocess.run([sys.executable, "-c", _VECTOR_LOAD, str(index_dir)], env=env,
                              capture_output=True, text=True, timeout=1800)
        if load.returncode == 0:
            loads.append(json.loads(load.stdout.strip().splitlines()[-1])["vector_load_s"])
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _OPEN_ANSWER, str(index_dir), *questions], env=env,
                              capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            sys.stderr.write(f"bench: open-and-answer failed: {proc.stderr[-600:]}\n")
            continue
        walls.append(time.perf_counter() - t0)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    if not runs:
        return {}

    def med(key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 3)

    open_answer = round(statistics.median(r["open_s"] + r["first_ask_s"] for r in runs), 3)
    load = round(statistics.median(loads), 3) if loads else None
    return {"open_s": med("open_s"), "open_answer_s": open_answer, "vector_load_s": load,
            "open_answer_ratio": round(open_answer / load, 3) if load else None,
            "first_ask_s": med("first_ask_s"), "second_ask_s": med("second_ask_s"),
            "open_answer_process_s": round(statistics.median(walls), 3), "open_answer_rss_mb": med("rss_mb")}


def help_time(repeats: int = 3) -> float:
    """Seconds for ``assistant --help`` (must not import the heavy libraries)."""
    times = [_run_timed([sys.executable, "-m", "assistant", "--help"], dict(os.environ)) or 0.0
             for _ in range(repeats)]
    return round(statistics.median(times), 3)


