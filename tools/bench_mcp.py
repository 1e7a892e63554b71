"""What the MCP server costs over the library: ask latency and cold start (issue #26).

    .venv/bin/python tools/bench_mcp.py                      # a fresh index from seeds/, 3 rounds
    .venv/bin/python tools/bench_mcp.py --index-dir index --rounds 5 --json eval/reports/mcp-bench.json

Method:
- **ask p50.** The seed eval set's single-turn questions (distinct), asked in rounds. In each
  round every question is asked three ways, one after the other: ``Assistant.ask`` in this
  process (the floor), the ``ask`` tool of ``assistant mcp`` over stdio, and over streamable
  HTTP, each through the SDK's own ``mcp.Client`` (a round trip: JSON-RPC, validation, the
  answer as JSON). Interleaving keeps the three under the same load, which other jobs on a
  shared machine change by the minute. Every server is warmed by one call first. The MCP
  answers must equal the library's (same index, same query embedder); mismatches are counted.
- **Cold start.** From starting ``assistant mcp`` (as a desktop client does) to the first
  ``ask`` answer, with the time to the finished handshake; beside it the CLI's cold start,
  ``assistant ask`` from a new process to its printed answer, the library's own floor; and
  the CPU seconds each process used (start, answer, exit), which the load changes less.

Prints the figures and the ratios; ``--json`` writes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
BIN = Path(sys.executable).parent
ASSISTANT = str(BIN / "assistant")


def questions(limit: int) -> list[str]:
    out, seen = [], set()
    for line in (ROOT / "eval" / "seeds.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d.get("history") or d["question"] in seen:
            continue
        seen.add(d["question"])
        out.append(d["question"])
    return out[:limit]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the HTTP server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing on port {port} after {timeout}s")


def stdio_params(index: Path) -> Any:
    from mcp import StdioServerParameters

    return StdioServerParameters(command=ASSISTANT, args=["mcp", "--index-dir", str(index)], env=dict(os.environ))


async def latency(index: Path, qs: list[str], rounds: int) -> dict[str, Any]:
    from mcp import Client

    from assistant.api import Assistant

    asst = Assistant.open(index_dir=index)
    asst.warm_up()
    port = free_port()
    http = subprocess.Popen([ASSISTANT, "mcp", "--http", "--port", str(port), "--index-dir", str(index)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times: dict[str, list[float]] = {"library": [], "mcp_stdio": [], "mcp_http": []}
    mismatches = errors = 0
    try:
        wait_port(port, http)
        async with Client(stdio_params(index), read_timeout_seconds=300) as stdio, \
                Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=300) as web:
            clients = {"mcp_stdio": stdio, "mcp_http": web}
            for c in clients.values():  # warm: models loaded, tool list fetched
                await c.call_tool("ask", {"question": qs[0]})
            for _ in range(rounds):
                for q in qs:
                    t0 = time.perf_counter()
                    want = asst.ask(q)
                    times["library"].append(time.perf_counter() - t0)
                    for name, c in clients.items():
                        t0 = time.perf_counter()
                        r = await c.call_tool("ask", {"question": q})
                        times[name].append(time.perf_counter() - t0)
                        if r.is_error:
                            errors += 1
                        elif r.structured_content["answer"] != want.answer or \
                                [x["quote"] for x in r.structured_content["citations"]] != [x.quote for x in want.citations]:
                            mismatches += 1
    finally:
        http.terminate()
        http.wait(timeout=30)
        asst.close()
    out: dict[str, Any] = {"questions": len(qs), "rounds": rounds, "errors": errors, "mismatches": mismatches}
    for name, xs in times.items():
        out[f"{name}_p50_ms"] = round(1000 * statistics.median(xs), 1)
        out[f"{name}_p95_ms"] = round(1000 * pct(xs, 0.95), 1)
    for name in ("mcp_stdio", "mcp_http"):
        out[f"{name}_over_library_p50"] = round(out[f"{name}_p50_ms"] / out["library_p50_ms"], 3)
    return out


async def cold_start_once(index: Path, question: str) -> tuple[float, float]:
    from mcp import Client

    t0 = time.perf_counter()
    async with Client(stdio_params(index), read_timeout_seconds=300) as c:
        ready = time.perf_counter() - t0
        r = await c.call_tool("ask", {"question": question})
        first = time.perf_counter() - t0
        if r.is_error:
            raise SystemExit(f"the first ask failed: {r.content[0].text}")
    return ready, first


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cold_start(index: Path, question: str, runs: int) -> dict[str, Any]:
    """Wall seconds, and the CPU seconds of the server process (start, first answer, exit),
    which other jobs on the machine change much less than the wall time."""
    mcp_first, mcp_ready, mcp_cpu, cli, cli_cpu = [], [], [], [], []
    for _ in range(runs):  # interleaved, as above
        cpu = children_cpu()
        ready, first = asyncio.run(cold_start_once(index, question))
        mcp_cpu.append(children_cpu() - cpu)
        mcp_ready.append(ready)
        mcp_first.append(first)
        cpu, t0 = children_cpu(), time.perf_counter()
        subprocess.run([ASSISTANT, "ask", question, "--index-dir", str(index)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cli.append(time.perf_counter() - t0)
        cli_cpu.append(children_cpu() - cpu)
    med = statistics.median
    return {"runs": runs, "mcp_handshake_s": round(med(mcp_ready), 2), "mcp_first_answer_s": round(med(mcp_first), 2),
            "mcp_first_answer_max_s": round(max(mcp_first), 2), "mcp_cpu_s": round(med(mcp_cpu), 2),
            "cli_ask_s": round(med(cli), 2), "cli_cpu_s": round(med(cli_cpu), 2),
            "mcp_over_cli": round(med(mcp_first) / med(cli), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", help="an index to use (default: seeds/ ingested into a temporary one)")
    ap.add_argument("--questions", type=int, default=60, help="distinct seed questions per round (default 60)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the questions (default 3)")
    ap.add_argument("--cold-runs", type=int, default=5, help="cold starts of each kind (default 5)")
    ap.add_argument("--only", choices=["ask", "cold"], help="measure only ask latency, or only cold start")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(args.index_dir) if args.index_dir else Path(tmp) / "index"
        if not args.index_dir:
            subprocess.run([ASSISTANT, "ingest", str(ROOT / "seeds"), "--index-dir", str(index), "--no-progress"],
                           check=True, stdout=subprocess.DEVNULL)
        qs = questions(args.questions)
        load_before = os.getloadavg()[0]
        report: dict[str, Any] = {"cpus": os.cpu_count()}
        if args.only != "cold":
            report["ask"] = asyncio.run(latency(index, qs, args.rounds))
        if args.only != "ask":
            report["cold_start"] = cold_start(index, qs[0], args.cold_runs)
        report["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(f"1-minute load average before and after: {report['load_1min']} ({report['cpus']} CPUs)")
    if "ask" in report:
        lat = report["ask"]
        print(f"ask over {lat['questions']} questions x {lat['rounds']} rounds:")
        for name in ("library", "mcp_stdio", "mcp_http"):
            ratio = f"  ({lat[name + '_over_library_p50']}x the library)" if name != "library" else ""
            print(f"  {name:10s} p50 {lat[name + '_p50_ms']:7.1f} ms  p95 {lat[name + '_p95_ms']:7.1f} ms{ratio}")
        print(f"  MCP answers that differ from the library's: {lat['mismatches']}; errors: {lat['errors']}")
    if "cold_start" in report:
        cold = report["cold_start"]
        print(f"cold start, median of {cold['runs']}: MCP handshake {cold['mcp_handshake_s']} s, first ask answered "
              f"{cold['mcp_first_answer_s']} s (max {cold['mcp_first_answer_max_s']} s); "
              f"`assistant ask` {cold['cli_ask_s']} s ({cold['mcp_over_cli']}x); CPU seconds of the process: "
              f"MCP {cold['mcp_cpu_s']}, `assistant ask` {cold['cli_cpu_s']}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
