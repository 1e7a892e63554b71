"""Dev harness: the growth picture of docs/scaling.md from bench reports.

    .venv/bin/python tools/scaling_plot.py eval/reports/bench-scaling-synthetic.json \\
        eval/reports/bench-1m-synthetic.json --png docs/scaling.png --json eval/reports/scaling-fit.json

Each component's cost at every measured size (log-log), a power law ``cost = a * n^k``
fitted to the measured points (least squares in log space), and that line carried on to
100M chunks (dashed), with the fitted exponents and the projections written to --json.
Needs matplotlib (not a project dependency: ``pip install matplotlib``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

#: (report key, label, scale to the unit shown, panel)
PER_QUERY = [
    ("query_embed_p50_ms", "query embedding (p50)", 1.0),
    ("chroma_query_p50_ms", "Chroma HNSW query (p50)", 1.0),
    ("bm25_p50_ms", "keyword query (p50)", 1.0),
    ("selection_p50_ms", "learned selection (p50)", 1.0),
    ("ask_p50_ms", "whole ask (p50)", 1.0),
]
PER_INDEX = [
    ("open_s", "open an index (s)", 1.0),
    ("add_into_index_s", "ingest 100 new documents (s)", 1.0),
    ("rss_mb_per_1k_chunks", "RSS per chunk (KB)", 1.0),
    ("keyword_build_s", "full keyword rebuild (s)", 1.0),
]
PROJECT_TO = (1e7, 1e8)


def fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(a, k) of cost = a * n^k through the points (log-space least squares)."""
    pts = [(math.log(n), math.log(c)) for n, c in points if n > 0 and c and c > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    k = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else 0.0
    return math.exp(my - k * mx), k


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("reports", nargs="+")
    ap.add_argument("--png", required=True)
    ap.add_argument("--json")
    args = ap.parse_args()
    sizes: dict[int, dict] = {}
    for r in args.reports:
        for fig in json.loads(Path(r).read_text())["sizes"].values():
            sizes[int(fig.get("chunks") or fig["target_chunks"])] = fig
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, dict] = {}
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2))
    for ax, series, ylabel in ((axes[0], PER_QUERY, "ms per question"), (axes[1], PER_INDEX, "cost")):
        for key, label, scale in series:
            pts = sorted((n, f[key] * scale) for n, f in sizes.items() if f.get(key))
            if not pts:
                continue
            line = ax.plot([n for n, _ in pts], [c for _, c in pts], "o-", label=label)[0]
            ab = fit(pts)
            if ab:
                a, k = ab
                xs = [pts[-1][0], *PROJECT_TO]
                ax.plot(xs, [a * x ** k for x in xs], "--", color=line.get_color(), alpha=0.6)
                out[key] = {"points": pts, "exponent": round(k, 3),
                            **{f"projected_{int(x):.0e}": round(a * x ** k, 3) for x in PROJECT_TO}}
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks in the index")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.axvspan(1.2e6, 1e8, color="0.9", zorder=0)
        ax.legend(fontsize=8)
    axes[0].set_title("per question (measured; dashed: fitted power law, projected)")
    axes[1].set_title("per index and per ingest")
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    for key, v in out.items():
        print(f"{key:28s} exponent {v['exponent']:6.3f}  " +
              "  ".join(f"{k} {x}" for k, x in v.items() if k.startswith("projected")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
