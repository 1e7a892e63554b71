"""Dev harness: the project's segmented keyword index against the ``tantivy`` Python
bindings, on the same chunks and the same tokens (the project's tokeniser).

    .venv/bin/python tools/keyword_engines.py --index polnear=.cache/idx-polnear \\
        --index realtimeqa=.cache/idx-realtimeqa --copies 10 --json eval/reports/keyword-engines.json

For each engine: build time and disk for the real chunks replicated ``--copies`` times
(each copy renames the words that occur in at most 3 chunks, as an archive's new names
do), open time, query p50/p95 (top 40, the retriever's depth), the time to add and to
delete 100 documents in the built index, and, on the real chunks alone, BM25-only
R@1/R@5 of the gold document on each set's validation split and the top-10 overlap with
exact BM25 (bm25s-equivalent scores). Needs ``pip install tantivy`` (not a project
dependency).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.index.cache import LocalIndex  # noqa: E402
from assistant.index.keyword import KeywordChunk, SegmentedIndex  # noqa: E402
from assistant.text.tokens import tokenize  # noqa: E402

SETS = {"polnear": "benchmarks/polnear/questions.jsonl", "realtimeqa": "benchmarks/realtimeqa/questions.jsonl"}


def read_chunks(index_dir: Path) -> tuple[list[KeywordChunk], LocalIndex]:
    local = LocalIndex(index_dir / "assistant")
    doc_ids = sorted(local.records())
    return local._keyword_chunks(doc_ids), local  # the exact input ingest gives the index


def replicate(chunks: list[KeywordChunk], copies: int) -> list[KeywordChunk]:
    df = Counter(t for c in chunks for t in set(c.tokens))
    rare = {t for t, n in df.items() if n <= 3}
    out = list(chunks)
    for k in range(1, copies):
        out += [KeywordChunk(f"{c.chunk_id}~{k}", f"{c.doc_id}~{k}", c.start, c.end,
                             [f"{t}x{k}" if t in rare else t for t in c.tokens]) for c in chunks]
    return out


class Tantivy:
    """The tantivy bindings behind the same calls: our tokens, joined by spaces, indexed
    with tantivy's whitespace tokenizer (so both engines see the same terms)."""

    def __init__(self, path: Path) -> None:
        import tantivy

        self.t = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
        sb.add_text_field("chunk_id", stored=True, tokenizer_name="raw")
        sb.add_text_field("doc_id", stored=True, tokenizer_name="raw")
        self.schema = sb.build()
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path))
        self._writer = None

    def writer(self) -> Any:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        return self._writer

    def apply(self, remove: list[str], add: list[KeywordChunk]) -> None:
        w = self.writer()
        for d in set(remove) | {c.doc_id for c in add}:
            w.delete_documents("doc_id", d)
        for c in add:
            w.add_document(self.t.Document(body=" ".join(c.tokens), chunk_id=c.chunk_id, doc_id=c.doc_id))
        w.commit()
        w.wait_merging_threads()
        self._writer = None
        self.index.reload()

    def search(self, tokens: list[str], k: int) -> list[tuple[str, float]]:
        q = self.t.Query.boolean_query([(self.t.Occur.Should, self.t.Query.term_query(self.schema, "body", t))
                                        for t in tokens])
        searcher = self.index.searcher()
        hits = searcher.search(q, k).hits
        return [(searcher.doc(a)["chunk_id"][0], s) for s, a in hits]


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def du(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def questions(shared: Path, name: str, local: LocalIndex) -> list[tuple[list[str], set[str]]]:
    from assistant.evaluation.eval import Case
    from assistant.evaluation.training.data import SETS as SPLITS
    from assistant.evaluation.training.data import split_of

    out = []
    for line in (shared / SETS[name]).read_text(encoding="utf-8").splitlines():
        c = json.loads(line)
        if not c.get("sources"):
            continue
        case = Case(id=c["id"], question=c["question"], type=c.get("type", ""), answers=c.get("answers", []),
                    sources=c["sources"], asked_on=c.get("asked_on", ""))
        if split_of(SPLITS[name], case) != "val":
            continue
        import re

        words = re.findall(r"[^\W\d_]{3,}", c["question"])
        toks = tokenize(c["question"]) + [t for v in local.aliases.expand(words) for t in tokenize(v)]
        out.append((toks, set(c["sources"])))
    return out


def recall(search: Any, qs: list[tuple[list[str], set[str]]], doc_of: dict[str, str]) -> dict[str, float]:
    ranks = []
    for toks, gold in qs:
        hits = search(toks, 10)
        r = next((n for n, (cid, _) in enumerate(hits, 1) if doc_of.get(cid) in gold), 0)
        ranks.append(r)
    n = max(len(ranks), 1)
    return {"R@1": round(sum(1 for r in ranks if r == 1) / n, 3), "R@5": round(sum(1 for r in ranks if 0 < r <= 5) / n, 3),
            "n": len(ranks)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", action="append", required=True, metavar="SET=INDEX_DIR")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--json")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kw-engines-"))
    report: dict[str, Any] = {"quality": {}, "scale": {}}
    all_chunks: list[KeywordChunk] = []
    qs_all: list[list[str]] = []
    try:
        for spec in args.index:
            name, path = spec.split("=", 1)
            chunks, local = read_chunks(Path(path))
            all_chunks += chunks
            qs = questions(Path(args.shared), name, local)
            qs_all += [t for t, _ in qs]
            doc_of = {c.chunk_id: c.doc_id for c in chunks}
            ours = SegmentedIndex(work / f"q-ours-{name}")
            ours.apply([], chunks)
            tan = Tantivy(work / f"q-tantivy-{name}")
            tan.apply([], chunks)
            overlap = statistics.mean(
                len({c for c, _ in ours.view().search(t, 10)} & {c for c, _ in tan.search(t, 10)}) / 10 for t in qs[:300]
                for t in [t[0]])
            report["quality"][name] = {"chunks": len(chunks), "segments": recall(ours.view().search, qs, doc_of),
                                       "tantivy": recall(tan.search, qs, doc_of),
                                       "tantivy_top10_overlap_with_exact": round(overlap, 3)}
            print(name, report["quality"][name], flush=True)
            local.close()
        big = replicate(all_chunks, args.copies)
        docs = sorted({c.doc_id for c in big})
        extra = {d for d in docs if d.endswith(f"~{args.copies - 1}")}
        new_docs = sorted(extra)[:100]
        base = [c for c in big if c.doc_id not in set(new_docs)]
        added = [c for c in big if c.doc_id in set(new_docs)]
        report["scale"]["chunks"] = len(base)
        report["scale"]["add_chunks"] = len(added)
        for name, make in (("segments", lambda p: SegmentedIndex(p)), ("tantivy", lambda p: Tantivy(p))):
            path = work / f"s-{name}"
            eng = make(path)
            build_s, _ = timed(lambda eng=eng: eng.apply([], base))
            disk = du(path)
            open_s, eng2 = timed(lambda make=make, path=path: make(path))
            search = (lambda t, k, e=eng2: e.view().search(t, k)) if name == "segments" else eng2.search
            first_s, _ = timed(lambda search=search: search(qs_all[0], 40))
            lat = []
            for t in qs_all[:400]:
                d, _ = timed(lambda t=t, search=search: search(t, 40))
                lat.append(d * 1000)
            add_s, _ = timed(lambda eng=eng: eng.apply([], added))
            del_s, _ = timed(lambda eng=eng: eng.apply(new_docs, []))
            lat.sort()
            report["scale"][name] = {"build_s": round(build_s, 2), "disk_mb": round(disk / 1e6, 1),
                                     "open_s": round(open_s, 4), "open_first_query_s": round(open_s + first_s, 4),
                                     "query_p50_ms": round(lat[len(lat) // 2], 3),
                                     "query_p95_ms": round(lat[int(len(lat) * 0.95)], 3),
                                     "add_100_docs_s": round(add_s, 3), "delete_100_docs_s": round(del_s, 3)}
            print(name, report["scale"][name], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
