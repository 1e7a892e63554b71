"""Ingest throughput past one process (issue 18): chunks/s of whole ingests of the same
sample, each into a fresh index, through the CLI as a user runs it (model loads and
worker starts included).

    python tools/bench_cluster.py ../shared/benchmarks/polnear/corpus --docs 160 \
        --json eval/reports/cluster-throughput.json

Settings: one process (the default pipelined ingest), ``--workers 1/2/4``, a Dask
cluster already running on this machine (``dask scheduler`` + ``dask worker --nworkers
2 --nthreads 1`` on 127.0.0.1; its start is timed apart), and ``--dask local`` (a
``LocalCluster`` the ingest starts, its start counted). Rounds are interleaved so a
load change on a shared machine hits every setting alike; the best round is kept, and
the load average is recorded with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def sample_files(corpus: Path, n: int) -> list[Path]:
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    step = max(1, len(files) // n)
    return files[::step][:n]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid: int) -> list[int]:
    """A process and all its descendants alive now (a Dask worker's nannies and their workers)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        c, parent = (int(x) for x in line.split())
        children.setdefault(parent, []).append(c)
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (MB)."""
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def start_cluster(workdir: Path, workers: int) -> tuple[str, list[subprocess.Popen], dict]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    t0 = time.perf_counter()
    sched = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                              "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True, cwd=workdir)
    work = subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                             "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(workdir / "w")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            cwd=workdir)
    from distributed import Client

    with Client(address, timeout=60) as c:
        c.wait_for_workers(workers, timeout=120)
    started = time.perf_counter() - t0
    time.sleep(1)
    info = {"start_seconds": round(started, 2), "scheduler_rss_mb": rss_mb(sched.pid),
            "workers_rss_mb_idle": rss_mb(work.pid)}
    return address, [work, sched], info


def stop_all(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children alive now."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def ingest(sample: Path, index: Path, flags: list[str], cluster_pid: int | None = None) -> dict:
    """One CLI ingest: wall time, and the CPU seconds of it and its workers (children
    reaped by the CLI; a running cluster's worker processes counted apart), which a
    shared machine's load does not inflate as much as the wall time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cluster_before = tree_cpu(cluster_pid) if cluster_pid else 0.0
    t0 = time.perf_counter()
    res = subprocess.run([str(BIN / "assistant"), "ingest", str(sample), "--index-dir", str(index), "--no-progress",
                          *flags], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if cluster_pid:
        cpu += tree_cpu(cluster_pid) - cluster_before
    if res.returncode != 0:
        raise SystemExit(f"ingest {flags} failed:\n{res.stderr[-3000:]}")
    chunks = int(re.search(r"chunks written: (\d+)", res.stdout).group(1))
    return {"seconds": round(seconds, 1), "chunks": chunks, "chunks_per_s": round(chunks / seconds, 1),
            "cpu_seconds": round(cpu, 1), "chunks_per_cpu_s": round(chunks / cpu, 2) if cpu else None,
            "load_1min_after": round(os.getloadavg()[0], 2), "summary": res.stdout.strip().splitlines()[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--docs", type=int, default=160, help="sample size (every k-th file)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--cluster-workers", type=int, default=2)
    ap.add_argument("--only", help="comma-separated settings to run (default: all)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    sample = tmp / "sample"
    sample.mkdir()
    for f in sample_files(args.corpus, args.docs):
        shutil.copy(f, sample / f.name)
    t0 = time.perf_counter()
    import distributed  # noqa: F401

    import_seconds = round(time.perf_counter() - t0, 2)
    address, procs, cluster = start_cluster(tmp, args.cluster_workers)
    settings = {
        "1 process (default)": [],
        "--workers 1": ["--workers", "1"],
        "--workers 2": ["--workers", "2"],
        "--workers 4": ["--workers", "4"],
        f"--dask (running cluster, {args.cluster_workers} workers)": ["--dask", address],
        f"--dask local (starts {args.cluster_workers} workers)": ["--dask", "local", "--workers",
                                                                   str(args.cluster_workers)],
    }
    if args.only:
        keep = args.only.split(",")
        settings = {k: v for k, v in settings.items() if any(k.startswith(x) for x in keep)}
    results: dict[str, list[dict]] = {k: [] for k in settings}
    loads = [os.getloadavg()[0]]
    try:
        for r in range(args.rounds):
            for i, (name, flags) in enumerate(settings.items()):
                got = ingest(sample, tmp / f"index-{r}-{i}", flags,
                             cluster_pid=procs[0].pid if flags[:1] == ["--dask"] and flags[1] != "local" else None)
                results[name].append(got)
                loads.append(os.getloadavg()[0])
                print(f"{name:45s} {got['chunks_per_s']:7.1f} chunks/s  ({got['chunks']} chunks, "
                      f"{got['seconds']} s; {got['chunks_per_cpu_s']} chunks per CPU-s; "
                      f"load {got['load_1min_after']})", flush=True)
    finally:
        stop_all(procs)
        shutil.rmtree(tmp, ignore_errors=True)
    flags = Path("/proc/cpuinfo").read_text().split("flags", 1)[1].split("\n", 1)[0] if Path("/proc/cpuinfo").exists() else ""
    report = {
        "corpus": str(args.corpus), "docs": args.docs, "rounds": args.rounds,
        "cores": len(os.sched_getaffinity(0)), "avx512_bf16": "avx512_bf16" in flags, "amx_bf16": "amx_bf16" in flags,
        "load_average_1min": {"min": round(min(loads), 2), "max": round(max(loads), 2)},
        "dask": {"import_seconds": import_seconds, **cluster},
        "best": {k: max(v, key=lambda x: x["chunks_per_s"]) for k, v in results.items() if v},
    }
    print(json.dumps({k: v for k, v in report.items() if k != "best"}, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
