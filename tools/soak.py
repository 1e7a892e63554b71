"""Soak test: many concurrent clients asking eval questions; no errors, no cross-talk, flat memory.

    .venv/bin/python tools/soak.py                                  # 8 clients x 500 questions, Python API
    .venv/bin/python tools/soak.py --via gradio                     # the same through app.py + gradio_client
    .venv/bin/python tools/soak.py --index-dir index --questions 200 --json soak.json

Method: every distinct question of the eval set (follow-ups with their history)
is first asked once, sequentially, through the same channel; that answer is the
reference. The soak then asks ``--questions`` questions drawn at random from the
set, spread over ``--clients`` threads (one gradio ``Client`` per thread, i.e. one
session each). An answer "matches" when its short answer, its cited quotes and the
question it reports answering equal the reference for *its own* question, so a
reply leaking between sessions or threads is caught. Reported: errors, mismatches,
latency p50/p95/max against the sequential floor (the machine may be shared, so
ratios are the comparable figure), throughput, and RSS before and after (of this
process, or of the server process with ``--via gradio``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

#: (question, history) -> {"answer", "quotes", "question"}; raises on error.
AskFn = Callable[[str, list[str]], dict[str, Any]]


@dataclass
class Case:
    id: str
    question: str
    history: list[str]
    answers: list[str]


@dataclass
class SoakResult:
    clients: int
    questions: int
    errors: int = 0
    mismatches: int = 0
    reference_correct: int = 0
    reference_cases: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    floor_p50_ms: float = 0.0
    throughput_qps: float = 0.0
    seconds: float = 0.0
    rss_start_mb: float = 0.0
    rss_end_mb: float = 0.0
    samples: list[str] = field(default_factory=list)  # first few errors / mismatches

    def summary(self) -> str:
        return (
            f"soak: {self.questions} questions, {self.clients} clients, {self.seconds:.1f} s "
            f"({self.throughput_qps:.2f} q/s); errors {self.errors}, mismatches {self.mismatches}; "
            f"latency p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms, max {self.max_ms:.0f} ms "
            f"(sequential floor p50 {self.floor_p50_ms:.0f} ms, p95/floor {self.p95_ms / max(self.floor_p50_ms, 1e-9):.1f}x); "
            f"RSS {self.rss_start_mb:.0f} MB -> {self.rss_end_mb:.0f} MB; "
            f"reference correct {self.reference_correct}/{self.reference_cases}"
        )


def load_cases(path: Path) -> list[Case]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(Case(d["id"], d["question"], list(d.get("history", [])), list(d.get("answers", []))))
    return out


def correct(reply: dict[str, Any], answers: Sequence[str]) -> bool:
    from assistant.text.folding import fold_answer

    if not answers:
        return bool(reply.get("abstained"))
    got = fold_answer(f"{reply.get('answer', '')} {reply.get('text', '')}")
    return any(fold_answer(a) in got for a in answers)


def _key(reply: dict[str, Any]) -> tuple:
    return reply.get("question", ""), reply.get("answer", ""), tuple(reply.get("quotes", ()))


def _percentile(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def run_soak(make_ask: Callable[[], AskFn], cases: Sequence[Case], *, clients: int = 8, questions: int = 500,
             seed: int = 0, max_seconds: float = 1800.0, rss: Callable[[], float] | None = None) -> SoakResult:
    """Reference pass, then ``questions`` random questions over ``clients`` threads.

    ``make_ask`` is called once per client (one session each) and once for the reference.
    """
    ref_ask = make_ask()
    reference: dict[str, tuple] = {}
    floor: list[float] = []
    res = SoakResult(clients=clients, questions=0, reference_cases=len(cases))
    for c in cases:
        t0 = time.perf_counter()
        reply = ref_ask(c.question, c.history)
        floor.append(time.perf_counter() - t0)
        reference[c.id] = _key(reply)
        res.reference_correct += correct(reply, c.answers)
    rng = random.Random(seed)
    plan = [rng.choice(cases) for _ in range(questions)]
    per_client = [plan[i::clients] for i in range(clients)]
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    res.rss_start_mb = rss() if rss else 0.0
    asks = [make_ask() for _ in range(clients)]  # sessions are opened before the clock starts

    def client(n: int) -> None:
        ask = asks[n]
        for c in per_client[n]:
            if time.monotonic() > deadline:
                return
            t0 = time.perf_counter()
            try:
                reply = ask(c.question, c.history)
                err = None
            except Exception as exc:  # counted, never fatal: the soak measures them
                reply, err = {}, f"{c.id}: {type(exc).__name__}: {exc}"
            dt = time.perf_counter() - t0
            with lock:
                res.questions += 1
                latencies.append(dt)
                if err:
                    res.errors += 1
                    if len(res.samples) < 10:
                        res.samples.append(err)
                elif _key(reply) != reference[c.id]:
                    res.mismatches += 1
                    if len(res.samples) < 10:
                        res.samples.append(f"{c.id}: got {_key(reply)[:2]} expected {reference[c.id][:2]}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,), name=f"soak-{n}") for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res.seconds = time.perf_counter() - t0
    res.rss_end_mb = rss() if rss else 0.0
    ms = [x * 1000 for x in latencies]
    res.p50_ms, res.p95_ms, res.max_ms = _percentile(ms, 0.5), _percentile(ms, 0.95), max(ms, default=0.0)
    res.floor_p50_ms = statistics.median(floor) * 1000 if floor else 0.0
    res.throughput_qps = res.questions / res.seconds if res.seconds else 0.0
    return res


# -- channels -------------------------------------------------------------------------------------
def api_ask(asst: Any) -> AskFn:
    def ask(question: str, history: list[str]) -> dict[str, Any]:
        a = asst.ask(question, history=history or None)
        return {"question": a.question, "answer": a.answer, "quotes": [c.quote for c in a.citations],
                "abstained": a.abstained, "text": a.text}

    return ask


def gradio_ask(url: str) -> AskFn:
    from gradio_client import Client

    client = Client(url, verbose=False)

    def ask(question: str, history: list[str]) -> dict[str, Any]:
        d = client.predict(question, json.dumps(history) if history else "", "", api_name="/ask")
        return {"question": d.get("question", ""), "answer": d.get("answer", ""),
                "quotes": [c["quote"] for c in d.get("citations", [])], "abstained": d.get("abstained"),
                "text": d.get("text", "")}

    return ask


def process_rss_mb(pid: int | None = None) -> Callable[[], float]:
    import psutil

    proc = psutil.Process(pid or os.getpid())

    def rss() -> float:
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total / 1e6

    return rss


def build_seed_index(index_dir: Path, embedder: Any) -> None:
    from assistant.api import Assistant
    from assistant.config import default_seeds_dir

    a = Assistant.open(index_dir=index_dir, embedder=embedder, create=True)
    print(a.ingest([default_seeds_dir()]).summary(), file=sys.stderr)
    a.close()


def _embedder(name: str) -> Any:
    from assistant.index.embedding import HashingEmbedder, MiniLMEmbedder

    return HashingEmbedder() if name == "hashing" else MiniLMEmbedder()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", help="an index of seeds/ (default: build one in a temporary directory)")
    ap.add_argument("--embedder", choices=["minilm", "hashing"], default="minilm",
                    help="embedder for the index (hashing only for a quick check; gradio mode needs minilm)")
    ap.add_argument("--cases", default=str(ROOT / "eval" / "seeds.jsonl"))
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=1800.0, help="stop asking after this long")
    ap.add_argument("--via", choices=["api", "gradio"], default="api")
    ap.add_argument("--gradio-url", help="an app.py already running (default: start one on a free port)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)

    cases = load_cases(Path(args.cases))
    tmp = None
    index_dir = Path(args.index_dir) if args.index_dir else None
    embedder = None
    if index_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="soak-")
        index_dir = Path(tmp.name) / "index"
        embedder = _embedder(args.embedder)
        build_seed_index(index_dir, embedder)
    server = None
    try:
        if args.via == "api":
            from assistant.api import Assistant

            asst = Assistant.open(index_dir=index_dir, embedder=embedder or _embedder(args.embedder))

            def make_ask() -> AskFn:
                return api_ask(asst)  # one Assistant shared by all threads, like the chat server

            rss = process_rss_mb()
        else:
            url = args.gradio_url
            if url is None:
                port = _free_port()
                server = subprocess.Popen(
                    [sys.executable, str(ROOT / "app.py"), "--index-dir", str(index_dir), "--port", str(port),
                     "--no-build"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                url = f"http://127.0.0.1:{port}/"
                _wait_http(url, server)
            rss = process_rss_mb(server.pid) if server else (lambda: 0.0)

            def make_ask() -> AskFn:
                return gradio_ask(url)

        res = run_soak(make_ask, cases, clients=args.clients, questions=args.questions, seed=args.seed,
                       max_seconds=args.max_seconds, rss=rss)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if tmp is not None:
            tmp.cleanup()
    print(res.summary())
    for s in res.samples:
        print("  " + s)
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(res), indent=2))
    return 0 if res.errors == 0 and res.mismatches == 0 else 1


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 300.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1.0)
    raise TimeoutError(f"app.py did not answer at {url} within {timeout:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
