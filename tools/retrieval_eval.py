"""Dev harness: recall@1/3/5 and MRR of the retriever, per mode, on JSONL eval sets.

    .venv/bin/python tools/retrieval_eval.py --set seeds=eval/seeds.jsonl:INDEX_DIR \\
        [--set rtqa=../shared/benchmarks/realtimeqa/questions.jsonl:/tmp/rtqa-idx] \\
        [--sweep] [--failures N] [--json OUT]

A case counts as answerable when it lists ``sources``; its gold documents are those
sources. Follow-up cases (with ``history``) are asked as written, with no rewriting,
so they measure the retriever alone. The rank of a case is the rank of the first
*passage* whose ``doc_id`` is a gold document (passages, not distinct documents: the
answerer reads the top passages, so a gold document at passage 4 is a miss at 3).
Recall@k is the share of cases with rank <= k; MRR is the mean of 1/rank (0 when
no gold passage is in the top ``--depth``).

``--sweep`` also scores fused rankings for several fusion settings (RRF k, convex
alpha) from one dense and one BM25 run per question, which is how the default in
``assistant/retrieve.py`` was chosen.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.retrieval.fusion import convex, rrf  # noqa: E402

KS = (1, 3, 5)


def load_cases(path: Path, limit: int | None = None, split: str = "") -> list[dict[str, Any]]:
    """Answerable cases; with ``split`` ("train"/"val" of a set named in
    ``evaluation.training.data.SETS``, as ``SET:val``) only that split's."""
    from assistant.evaluation.eval import Case
    from assistant.evaluation.training.data import SETS, split_of

    bench, part = split.split(":") if split else ("", "")
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            c = json.loads(line)
            if not c.get("sources"):
                continue
            if bench and split_of(SETS[bench], Case(id=c["id"], question=c["question"], type=c.get("type", ""),
                                                    answers=c.get("answers", []), sources=c["sources"],
                                                    asked_on=c.get("asked_on", ""))) != part:
                continue
            cases.append(c)
    return cases[:limit] if limit else cases


def first_gold_rank(doc_ids: Sequence[str], gold: set[str]) -> int:
    """1-based rank of the first gold document in a passage ranking, 0 if absent."""
    for n, d in enumerate(doc_ids, start=1):
        if d in gold:
            return n
    return 0


def metrics(ranks: Sequence[int]) -> dict[str, float]:
    """Recall@k and mean reciprocal rank (Voorhees, TREC-8 QA track, 1999)."""
    n = max(len(ranks), 1)
    out = {f"R@{k}": sum(1 for r in ranks if 0 < r <= k) / n for k in KS}
    out["MRR"] = sum(1.0 / r for r in ranks if r > 0) / n
    out["n"] = len(ranks)
    return out


def _ranking(scores: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda i: (-scores[i], i))


def fusion_variants() -> dict[str, Callable[[dict[str, float], dict[str, float]], dict[str, float]]]:
    """Fusion settings compared by ``--sweep`` (dense cosines, raw BM25 scores -> fused)."""
    out: dict[str, Callable[[dict[str, float], dict[str, float]], dict[str, float]]] = {}
    for k in (1, 10, 60):
        out[f"rrf k={k}"] = lambda d, b, k=k: rrf({"dense": _ranking(d), "bm25": _ranking(b)}, k=k)
    for w in (0.3, 0.7):
        out[f"rrf k=60 wd={w}"] = lambda d, b, w=w: rrf(
            {"dense": _ranking(d), "bm25": _ranking(b)}, k=60, weights={"dense": w, "bm25": 1 - w})
    for a in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        out[f"convex a={a}"] = lambda d, b, a=a: convex(d, b, a)
    for a in (0.3, 0.5, 0.7):
        out[f"minmax a={a}"] = lambda d, b, a=a: _minmax_convex(d, b, a)
    return out


def _minmax(scores: dict[str, float]) -> dict[str, float]:
    lo, hi = min(scores.values(), default=0.0), max(scores.values(), default=0.0)
    return {i: (s - lo) / (hi - lo) if hi > lo else 1.0 for i, s in scores.items()}


def _minmax_convex(d: dict[str, float], b: dict[str, float], a: float) -> dict[str, float]:
    """Convex fusion over per-query min-max normalised scores (Bruch et al. 2023's MM)."""
    dn, bn = _minmax(d), _minmax(b)
    return {i: a * dn.get(i, 0.0) + (1 - a) * bn.get(i, 0.0) for i in set(dn) | set(bn)}


def raw_scores(asst: Assistant, query: str, n: int) -> tuple[dict[str, float], dict[str, float]]:
    """Unfused candidate lists, as ``Retriever.retrieve`` gathers them: chunk id -> dense
    cosine, and chunk id -> BM25 score of the alias-expanded query."""
    r = asst.retriever
    dense = {cid: cos for cid, cos, _ in r.store.query(r.embedder.embed_query(query), n)}
    bm25 = dict(asst.local.keyword_search(r.query_tokens(query), n))
    spans = asst.local.spans(set(dense) | set(bm25))
    return {c: s for c, s in dense.items() if c in spans}, bm25


def evaluate(asst: Assistant, cases: list[dict[str, Any]], depth: int, sweep: bool,
             failures: int) -> dict[str, Any]:
    r = asst.retriever
    ranks: dict[str, list[int]] = {"dense": [], "bm25": [], "fused": []}
    sweep_ranks: dict[str, list[int]] = {name: [] for name in fusion_variants()} if sweep else {}
    misses: list[tuple[str, str, int, int, int]] = []
    for c in cases:
        gold = set(c["sources"])
        per = {}
        for mode, name in (("dense", "dense"), ("bm25", "bm25"), ("hybrid", "fused")):
            ps = r.retrieve(c["question"], k=depth, mode=mode)
            per[name] = first_gold_rank([p.doc_id for p in ps], gold)
            ranks[name].append(per[name])
        if not 0 < per["fused"] <= 3:
            misses.append((c["id"], c["question"], per["dense"], per["bm25"], per["fused"]))
        if sweep:
            dense, bm25 = raw_scores(asst, c["question"], max(r.candidates, 4 * depth))
            spans = asst.local.spans(set(dense) | set(bm25))
            for name, fn in fusion_variants().items():
                order = _ranking(fn(dense, bm25))[:depth]
                sweep_ranks[name].append(first_gold_rank([spans[i][0] for i in order], gold))
    out: dict[str, Any] = {m: metrics(v) for m, v in ranks.items()}
    if sweep:
        out["sweep"] = {name: metrics(v) for name, v in sweep_ranks.items()}
    out["misses@3"] = [dict(zip(("id", "question", "dense", "bm25", "fused"), m, strict=False))
                       for m in misses[:failures]]
    return out


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = ["| mode | " + " | ".join(f"{s} R@1 | R@3 | R@5 | MRR" for s in results) + " |",
             "|---|" + "---|---|---|---|" * len(results)]
    for mode in ("dense", "bm25", "fused"):
        cells = []
        for res in results.values():
            m = res[mode]
            cells.append(" | ".join(f"{m[x]:.3f}" for x in ("R@1", "R@3", "R@5", "MRR")))
        lines.append(f"| {mode} | " + " | ".join(cells) + " |")
    lines.append("n: " + ", ".join(f"{s}={res['fused']['n']}" for s, res in results.items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="NAME=CASES:INDEX_DIR",
                    help="an eval set and the index built from its corpus (repeatable)")
    ap.add_argument("--depth", type=int, default=10, help="passages retrieved per query for MRR")
    ap.add_argument("--limit", type=int, help="only the first N answerable cases of each set")
    ap.add_argument("--split", default="", metavar="SET:PART",
                    help="only one split of the learned-selection splits, e.g. realtimeqa:val or polnear:val")
    ap.add_argument("--sweep", action="store_true", help="also score fusion variants")
    ap.add_argument("--failures", type=int, default=0, help="list up to N fused misses at 3 per set")
    ap.add_argument("--json", help="write all figures here")
    args = ap.parse_args(argv)
    results: dict[str, dict[str, Any]] = {}
    for spec in args.set:
        name, rest = spec.split("=", 1)
        cases_path, index_dir = rest.rsplit(":", 1)
        cases = load_cases(Path(cases_path), args.limit, args.split)
        asst = Assistant.open(index_dir=index_dir)
        try:
            results[name] = evaluate(asst, cases, args.depth, args.sweep, args.failures)
        finally:
            asst.close()
        res = results[name]
        print(f"== {name}: {len(cases)} answerable cases", file=sys.stderr)
        if args.sweep:
            for v, m in res["sweep"].items():
                print(f"   {v:18s} R@1 {m['R@1']:.3f}  R@3 {m['R@3']:.3f}  R@5 {m['R@5']:.3f}  "
                      f"MRR {m['MRR']:.3f}", file=sys.stderr)
        for m in res["misses@3"]:
            print(f"   miss {m['id']}: dense={m['dense']} bm25={m['bm25']} fused={m['fused']}  {m['question']}",
                  file=sys.stderr)
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
