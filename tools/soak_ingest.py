"""Soak under ingest: chat clients asking through the real Gradio server while another
process ingests new documents into the same index (issue 25, item 7).

    .venv/bin/python tools/soak_ingest.py                           # 8 clients, 500 questions, 100 documents
    .venv/bin/python tools/soak_ingest.py --questions 120 --docs 20 --embedder hashing --json soak.json
    .venv/bin/python tools/soak_ingest.py --chroma                  # the index on a `chroma run` server

Method:
- a seed index is built (``--embedder``), and ``app.py`` serves it (``--no-build``);
- optionally (``--bombs``) the two decompression bombs of issue 25 are uploaded first,
  through the chat's upload endpoint, beside a good file: each must fail with a message
  and the good file land, and the server's peak RSS (VmHWM) is reported;
- ``--clients`` gradio clients ask seed-eval questions (``--questions`` in all, and on
  until the ingest ends); after ``--baseline`` of them, another process ingests ``--docs``
  new articles in ``--batches`` runs, as a cron job would; each article states one
  made-up figure;
- after each run a prober asks the chat about one of its articles until the answer
  comes: the time from the end of that run is the freshness delay;
- at the end every new article is asked about once.

Reported: errors (exceptions from the server), answers whose echoed question is not the
one asked (cross-talk), latency p50/p95 overall, p95 before and while the ingest ran, server
RSS at the start, its peak and at the end (of the server and its children), each run's
freshness delay, and how many new articles answered at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import soak  # noqa: E402  (tools/soak.py: channels, cases, percentiles)

_SYLLABLES = ["var", "kel", "dor", "mun", "sta", "bri", "lok", "tren", "vesk", "ham", "rud", "pol", "nor", "sil"]


def article(n: int, rng: random.Random) -> tuple[str, str, str, str]:
    """(file name, text, question, answer): a short news article stating one made-up figure."""
    name = "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize() + f"{n:03d}"
    person = rng.choice(["Mira", "Oskar", "Lena", "Tomas", "Ines"]) + " " + "".join(
        rng.choice(_SYLLABLES) for _ in range(2)).capitalize()
    figure = rng.randint(10_000, 99_999)
    text = (f"Port of {name} reports a record year\n\n"
            f"{name.upper()}, March {n % 27 + 1}, 2025 (Coastal Wire) - The port of {name} handled {figure:,} "
            f"containers in 2024, its director {person} said on Monday.\n\n"
            f"\"It was the busiest year in the history of {name},\" {person} said. The port plans a new quay "
            f"for 2026, and the harbour board approved the budget in February.\n")
    return f"port_{n:03d}.txt", text, f"How many containers did the port of {name} handle in 2024?", f"{figure:,}"


INGEST = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from assistant.api import Assistant
settings = json.loads(sys.argv[2])
batches = json.loads(sys.argv[3])
if settings["embedder"] == "hashing":
    from assistant.index.embedding import HashingEmbedder
    emb = HashingEmbedder()
else:
    emb = None
a = Assistant.open(index_dir=settings.get("index_dir"), chroma_url=settings.get("chroma_url"), embedder=emb,
                   create=True)
for i, paths in enumerate(batches):
    t0 = time.time()
    r = a.ingest(paths)
    print(json.dumps({"batch": i, "start": t0, "end": time.time(), "added": r.count("added"),
                      "failed": r.count("failed")}), flush=True)
"""


@dataclass
class SoakIngestResult:
    clients: int
    questions: int = 0
    errors: int = 0
    cross_talk: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p95_during_ingest_ms: float = 0.0
    p95_before_ingest_ms: float = 0.0
    questions_during_ingest: int = 0
    docs: int = 0
    ingest_seconds: float = 0.0
    freshness_s: list[float] = field(default_factory=list)
    answerable_at_end: int = 0
    rss_start_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_end_mb: float = 0.0
    bombs: dict[str, Any] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def summary(self) -> str:
        fresh = (f"max {max(self.freshness_s):.1f} s, mean {sum(self.freshness_s) / len(self.freshness_s):.1f} s"
                 if self.freshness_s else "-")
        return (f"soak under ingest: {self.questions} questions from {self.clients} clients "
                f"({self.questions_during_ingest} while {self.docs} documents were ingested in "
                f"{self.ingest_seconds:.0f} s); errors {self.errors}, cross-talk {self.cross_talk}; latency p50 "
                f"{self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms, p95 before the ingest "
                f"{self.p95_before_ingest_ms:.0f} ms and during it {self.p95_during_ingest_ms:.0f} ms; freshness after each ingest run: {fresh}; new documents "
                f"answerable at the end {self.answerable_at_end}/{self.docs}; server RSS {self.rss_start_mb:.0f} "
                f"-> peak {self.rss_peak_mb:.0f} -> {self.rss_end_mb:.0f} MB")


def _vmhwm_mb(pid: int) -> float:
    """The peak resident size of process ``pid`` (Linux /proc), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def upload(url: str, files: list[Path]) -> str:
    """Upload ``files`` through the chat's /upload endpoint; the event stream's text."""
    import httpx

    with httpx.Client(base_url=url, timeout=600) as http:
        up = http.post("gradio_api/upload", files=[("files", (f.name, f.read_bytes())) for f in files])
        up.raise_for_status()
        payload = {"data": [[{"path": p, "orig_name": f.name, "meta": {"_type": "gradio.FileData"}}
                             for p, f in zip(up.json(), files, strict=True)]]}
        ev = http.post("gradio_api/call/upload", json=payload).json()["event_id"]
        return http.get(f"gradio_api/call/upload/{ev}").text


def run(args: argparse.Namespace, work: Path) -> SoakIngestResult:
    res = SoakIngestResult(clients=args.clients, docs=args.docs)
    index_dir = work / "index"
    embedder = soak._embedder(args.embedder)
    chroma = None
    settings: dict[str, Any] = {"embedder": args.embedder}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env["ASSISTANT_CACHE_DIR"] = str(work / "cache")
    os.environ["ASSISTANT_CACHE_DIR"] = env["ASSISTANT_CACHE_DIR"]
    if args.chroma:
        port = soak._free_port()
        chroma = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(work / "chroma"),
                                   "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        settings["chroma_url"] = f"http://127.0.0.1:{port}"
        _wait_port(port)
    else:
        settings["index_dir"] = str(index_dir)
    from assistant.api import Assistant
    from assistant.config import default_seeds_dir

    a = Assistant.open(index_dir=index_dir if not args.chroma else None, chroma_url=settings.get("chroma_url"),
                       embedder=embedder, create=True)
    print(a.ingest([default_seeds_dir()]).summary(), file=sys.stderr)
    a.close()

    rng = random.Random(args.seed)
    new = work / "new"
    new.mkdir()
    docs = [article(n, rng) for n in range(args.docs)]
    for name, text, _, _ in docs:
        (new / name).write_text(text, encoding="utf-8")
    per = max(1, -(-args.docs // args.batches))
    batches = [[str(new / d[0]) for d in docs[i: i + per]] for i in range(0, len(docs), per)]

    port = soak._free_port()
    url = f"http://127.0.0.1:{port}/"
    where = ["--chroma-url", settings["chroma_url"]] if args.chroma else ["--index-dir", str(index_dir)]
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), *where, "--port", str(port), "--no-build"],
                              cwd=ROOT, env={**env, "ASSISTANT_UPLOAD_DIR": str(work / "uploads")},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ingest = None
    try:
        soak._wait_http(url, server)
        rss = soak.process_rss_mb(server.pid)
        cases = [c for c in soak.load_cases(Path(args.cases))]
        warm = soak.gradio_ask(url)
        for c in cases[:3]:  # the models load on the first questions
            warm(c.question, c.history)
        if args.bombs:
            res.bombs = _bombs(url, work, server.pid)
        res.rss_start_mb = rss()
        peak = [res.rss_start_mb]

        latencies: list[tuple[float, float]] = []  # (start, seconds)
        lock = threading.Lock()
        ingest_window = [0.0, 0.0]
        ingest_done = threading.Event()
        runs: list[dict[str, Any]] = []
        asks = [soak.gradio_ask(url) for _ in range(args.clients)]
        plan = [rng.choice(cases) for _ in range(args.questions)]
        per_client = [plan[i::args.clients] for i in range(args.clients)]
        deadline = time.monotonic() + args.max_seconds

        def client(n: int) -> None:
            ask, mine, i = asks[n], per_client[n], 0
            while time.monotonic() < deadline and (i < len(mine) or not ingest_done.is_set()):
                c = mine[i % len(mine)] if mine else rng.choice(cases)
                i += 1
                t0 = time.time()
                try:
                    reply = ask(c.question, c.history)
                    err = None
                except Exception as exc:  # counted: the soak measures them
                    reply, err = {}, f"{c.id}: {type(exc).__name__}: {exc}"
                dt = time.time() - t0
                with lock:
                    res.questions += 1
                    latencies.append((t0, dt))
                    if err:
                        res.errors += 1
                        if len(res.samples) < 10:
                            res.samples.append(err)
                    elif not c.history and reply.get("question") not in ("", c.question):
                        res.cross_talk += 1
                        if len(res.samples) < 10:
                            res.samples.append(f"{c.id}: asked {c.question!r}, answer for {reply.get('question')!r}")

        def sample_rss() -> None:
            while not stop_sampling.is_set():
                peak.append(rss())
                stop_sampling.wait(1.0)

        stop_sampling = threading.Event()
        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)]
        for t in threads:
            t.start()
        while res.questions < args.baseline and time.monotonic() < deadline:  # latency without an ingest
            time.sleep(0.2)
        ingest = subprocess.Popen([sys.executable, "-c", INGEST, str(ROOT), json.dumps(settings), json.dumps(batches)],
                                  env=env, stdout=subprocess.PIPE, text=True)
        ingest_window[0] = time.time()
        probe = soak.gradio_ask(url)
        for line in ingest.stdout:  # type: ignore[union-attr]
            got = json.loads(line)
            runs.append(got)
            name, _, question, answer = docs[got["batch"] * per]
            res.freshness_s.append(_answered_after(probe, question, answer, got["end"], args.fresh_timeout))
        ingest.wait()
        ingest_window[1] = time.time()
        ingest_done.set()
        for t in threads:
            t.join()
        stop_sampling.set()
        sampler.join()
        res.ingest_seconds = ingest_window[1] - ingest_window[0]
        for _, _, question, answer in docs:
            reply = probe(question, [])
            res.answerable_at_end += answer in reply.get("answer", "") + reply.get("text", "")
        res.rss_end_mb = rss()
        res.rss_peak_mb = max(peak)
        ms = [d * 1000 for _, d in latencies]
        during = [d * 1000 for s, d in latencies if ingest_window[0] <= s <= ingest_window[1]]
        res.p50_ms, res.p95_ms = soak._percentile(ms, 0.5), soak._percentile(ms, 0.95)
        res.p95_during_ingest_ms = soak._percentile(during, 0.95)
        res.p95_before_ingest_ms = soak._percentile([d * 1000 for s, d in latencies if s < ingest_window[0]], 0.95)
        res.questions_during_ingest = len(during)
        if sum(r["failed"] for r in runs):
            res.samples.append(f"ingest runs: {runs}")
    finally:
        for p in (ingest, server, chroma):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    return res


def _answered_after(ask: Any, question: str, answer: str, since: float, timeout: float) -> float:
    """Seconds from ``since`` until the chat's reply to ``question`` holds ``answer`` (inf: never)."""
    end = time.time() + timeout
    while time.time() < end:
        reply = ask(question, [])
        if answer in reply.get("answer", "") + reply.get("text", ""):
            return round(time.time() - since, 2)
        time.sleep(0.25)
    return float("inf")


def _bombs(url: str, work: Path, pid: int) -> dict[str, Any]:
    """Upload the issue's two bombs beside a good file through the chat."""
    sys.path.insert(0, str(ROOT / "tests"))
    import bombs

    d = work / "bombs"
    d.mkdir()
    files = [bombs.pdf_bomb(d / "bomb.pdf"), bombs.docx_bomb(d / "bomb.docx"), d / "ferry.txt"]
    files[2].write_text("Ferry line report\n\nThe ferry line to Gotland carried 31,337 passengers in May, the "
                        "operator said.\n", encoding="utf-8")
    before = _vmhwm_mb(pid)
    t0 = time.time()
    stream = upload(url, files)
    return {"seconds": round(time.time() - t0, 1), "server_peak_rss_mb_before": before,
            "server_peak_rss_mb_after": _vmhwm_mb(pid), "stream": stream[-3000:]}


def _wait_port(port: int, timeout: float = 60.0) -> None:
    import socket

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing on port {port}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--docs", type=int, default=100)
    ap.add_argument("--batches", type=int, default=10, help="ingest runs the documents are split into")
    ap.add_argument("--baseline", type=int, default=100, help="questions asked before the ingest starts")
    ap.add_argument("--embedder", choices=["minilm", "hashing"], default="minilm")
    ap.add_argument("--chroma", action="store_true", help="the index on a `chroma run` server")
    ap.add_argument("--bombs", action="store_true", help="upload the issue's two bombs first")
    ap.add_argument("--cases", default=str(ROOT / "eval" / "seeds.jsonl"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fresh-timeout", type=float, default=60.0)
    ap.add_argument("--max-seconds", type=float, default=3600.0)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-ingest-") as tmp:
        res = run(args, Path(tmp))
    print(res.summary())
    if res.bombs:
        print(f"bombs through the chat: {res.bombs['seconds']} s, server peak RSS "
              f"{res.bombs['server_peak_rss_mb_before']:.0f} -> {res.bombs['server_peak_rss_mb_after']:.0f} MB")
    for s in res.samples:
        print("  " + s)
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(res), indent=2, default=str))
    return 0 if res.errors == 0 and res.cross_talk == 0 and res.answerable_at_end == res.docs else 1


if __name__ == "__main__":
    sys.exit(main())
