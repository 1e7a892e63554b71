"""Dump the ingest-time annotations of a document sample, to diff two versions of the
annotation code (issue 16: cheaper annotation must keep them identical, or say how not).

    python tools/annotation_dump.py OUT.jsonl seeds /path/to/polnear/corpus --every 6
    python tools/annotation_dump.py --diff BEFORE.jsonl AFTER.jsonl

Documents are read and cleaned exactly as ingest does; each line is
``{"doc_id", "seconds", "annotations"}``. ``--every N`` keeps every N-th document of a
directory (sorted by file name) after the first path, so the sample is fixed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _annotator():
    """The production annotation stage; the plain parse + annotate of older versions."""
    try:
        from assistant.ingest.stages import annotate_document

        return lambda doc, sents: annotate_document(doc, sents)
    except ImportError:
        from assistant.nlp.annotate import annotate, nlp_slice
        from assistant.nlp.model import parse

        return lambda doc, sents: annotate(doc.doc_id, doc.text, doc.date, parse(nlp_slice(doc.text)), sents)


def dump(out: Path, paths: list[str], every: int) -> None:
    from assistant.ingest.cleaning import clean_document
    from assistant.ingest.loaders import LoadFailure, iter_sources
    from assistant.text.sentences import split_sentences

    run = _annotator()
    files: list[str] = [paths[0]]
    for p in paths[1:]:
        pp = Path(p)
        found = sorted(str(f) for f in pp.iterdir() if f.is_file()) if pp.is_dir() else [p]
        files += found[::every]
    total = 0.0
    with out.open("w", encoding="utf-8") as f:
        for raw in iter_sources(files):
            if isinstance(raw, LoadFailure):
                continue
            doc = clean_document(raw)
            sents = split_sentences(doc.text)
            t0 = time.perf_counter()
            ann = run(doc, sents)
            dt = time.perf_counter() - t0
            total += dt
            f.write(json.dumps({"doc_id": doc.doc_id, "seconds": round(dt, 4), "annotations": ann},
                               ensure_ascii=False, sort_keys=True) + "\n")
    print(f"annotated {len(files)} paths in {total:.1f} s -> {out}")


def diff(a: Path, b: Path) -> int:
    def read(p: Path) -> dict[str, dict]:
        return {r["doc_id"]: r["annotations"] for r in map(json.loads, p.read_text(encoding="utf-8").splitlines())}

    x, y = read(a), read(b)
    bad = 0
    for doc_id in sorted(set(x) | set(y)):
        ax, ay = x.get(doc_id), y.get(doc_id)
        if ax == ay:
            continue
        bad += 1
        if ax is None or ay is None:
            print(f"{doc_id}: only in {'the first' if ay is None else 'the second'}")
            continue
        for key in sorted(set(ax) | set(ay)):
            if ax.get(key) != ay.get(key):
                vx, vy = ax.get(key), ay.get(key)
                if isinstance(vx, list) and isinstance(vy, list):
                    sx, sy = {json.dumps(v) for v in vx}, {json.dumps(v) for v in vy}
                    print(f"{doc_id}: {key}: -{len(sx - sy)} +{len(sy - sx)}")
                    for v in sorted(sx - sy)[:3]:
                        print(f"    - {v[:160]}")
                    for v in sorted(sy - sx)[:3]:
                        print(f"    + {v[:160]}")
                else:
                    print(f"{doc_id}: {key}: {vx!r} -> {vy!r}")
    print(f"{len(x)} vs {len(y)} documents; {bad} differ")
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_or_a")
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--every", type=int, default=6)
    ap.add_argument("--diff", action="store_true", help="compare two dumps (paths: the second dump)")
    args = ap.parse_args()
    if args.diff:
        return diff(Path(args.out_or_a), Path(args.paths[0]))
    dump(Path(args.out_or_a), args.paths, args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
