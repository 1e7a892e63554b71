"""Dev harness: measure the quote index (assistant.quotes) on PolNeAR who-said-what questions.

Reads /work/shared (never imported by the package or the tests). Parses are cached
under /tmp as a spaCy DocBin, so only the first run pays for spaCy.

    .venv/bin/python tools/polnear_quotes.py                # scores, tune/holdout split
    .venv/bin/python tools/polnear_quotes.py --errors 40    # also print 40 tune-split errors
    .venv/bin/python tools/polnear_quotes.py --seeds        # print every quote of the seed articles

A question counts as correct when the folded speaker of the best-matching record
contains the folded ``speaker_head`` of the gold speaker span.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.quote_match import match_quote  # noqa: E402
from assistant.nlp.quotes import extract_quotes  # noqa: E402
from assistant.text.folding import fold  # noqa: E402
from assistant.text.names import speaker_head  # noqa: E402

SHARED = Path("/work/shared")
POLNEAR = SHARED / "benchmarks" / "polnear"
CACHE = Path("/tmp/polnear_quotes")


def load_docs(files: list[Path], cache_name: str) -> dict[str, object]:
    """Parsed Docs by file name, from the DocBin cache (built on first use)."""
    from spacy.tokens import DocBin

    from assistant.nlp.model import load_nlp, parse_many

    nlp = load_nlp()
    bin_path, names_path = CACHE / f"{cache_name}.spacy", CACHE / f"{cache_name}_names.pkl"
    if bin_path.exists() and names_path.exists():
        names = pickle.loads(names_path.read_bytes())
        docs = list(DocBin().from_bytes(bin_path.read_bytes()).get_docs(nlp.vocab))
        return dict(zip(names, docs, strict=False))
    CACHE.mkdir(parents=True, exist_ok=True)
    db = DocBin(store_user_data=False)
    names = []
    t0 = time.time()
    for i in range(0, len(files), 50):
        batch = files[i: i + 50]
        for f, d in zip(batch, parse_many([f.read_text(encoding="utf-8") for f in batch], nlp), strict=False):
            db.add(d)
            names.append(f.name)
        print(f"parsed {len(names)}/{len(files)} in {time.time() - t0:.0f}s", file=sys.stderr)
    bin_path.write_bytes(db.to_bytes())
    names_path.write_bytes(pickle.dumps(names))
    docs = list(DocBin().from_bytes(bin_path.read_bytes()).get_docs(nlp.vocab))
    return dict(zip(names, docs, strict=False))


def split_of(qid: str) -> str:
    return "holdout" if int(hashlib.md5(qid.encode()).hexdigest(), 16) % 5 == 0 else "tune"


def run_polnear(args: argparse.Namespace) -> None:
    files = sorted((POLNEAR / "corpus").glob("*.txt"))
    docs = load_docs(files, "docs")
    records: dict[str, list] = {}
    t0 = time.perf_counter()
    for f in files:
        text = f.read_text(encoding="utf-8")
        records[f.name] = extract_quotes(f.name, text, docs[f.name])
    dt = time.perf_counter() - t0
    n_rec = sum(len(v) for v in records.values())
    print(f"extract_quotes: {len(files)} articles, {n_rec} records, "
          f"{1000 * dt / len(files):.1f} ms/article")

    questions = [json.loads(line) for line in (POLNEAR / "questions.jsonl").open(encoding="utf-8")]
    stats = {s: {"n": 0, "answered": 0, "correct": 0} for s in ("tune", "holdout", "all")}
    errors = []
    t1 = time.perf_counter()
    for q in questions:
        frag = re.match(r'Who said "(.*)"\?$', q["question"], re.S).group(1)
        gold = q["answers"][0]
        head = fold(speaker_head(gold))
        matches = match_quote(frag, records[q["sources"][0]])
        answer = matches[0][0].speaker if matches else ""
        ok = bool(matches) and head in fold(answer)
        for s in (split_of(q["id"]), "all"):
            st = stats[s]
            st["n"] += 1
            st["answered"] += bool(matches)
            st["correct"] += ok
        if not ok and split_of(q["id"]) == "tune":
            errors.append((q, frag, gold, head, matches[:3]))
    mt = time.perf_counter() - t1
    print(f"match_quote: {1000 * mt / len(questions):.2f} ms/question")
    for s, st in stats.items():
        n, a, c = st["n"], st["answered"], st["correct"]
        print(f"{s:8s} n={n:5d} coverage={a / n:.3f} accuracy={c / n:.3f} "
              f"precision={c / max(a, 1):.3f}")
    if args.errors:
        import random

        random.Random(args.seed).shuffle(errors)
        for q, frag, gold, head, matches in errors[: args.errors]:
            print(f"\n{q['id']} {q['sources'][0]}\n  frag: {frag[:100]!r}\n  gold: {gold!r} (head {head!r})")
            for r, s in matches:
                print(f"  got {s:.2f} {r.kind} [{r.speaker!r} / {r.speaker_text!r} / {r.cue}] "
                      f"conf={r.confidence} q={r.quote[:80]!r}")
            if not matches:
                print("  (no record)")


def run_seeds() -> None:
    from assistant.nlp.model import parse

    for f in sorted((ROOT / "seeds").glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        doc = parse(text)
        t0 = time.perf_counter()
        recs = extract_quotes(f.name, text, doc)
        dt = 1000 * (time.perf_counter() - t0)
        print(f"=== {f.name} ({len(recs)} records, {dt:.1f} ms)")
        for r in recs:
            assert text[r.start: r.end] == r.quote
            print(f"  [{r.kind:8s}] {r.speaker!r} ({r.speaker_label}; as {r.speaker_text!r}; cue {r.cue!r}; "
                  f"conf {r.confidence}): {r.quote[:110]!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--errors", type=int, default=0, help="print this many tune-split errors")
    ap.add_argument("--seed", type=int, default=0, help="shuffle seed for --errors")
    ap.add_argument("--seeds", action="store_true", help="print the seed articles' quotes instead")
    args = ap.parse_args()
    if args.seeds:
        run_seeds()
    else:
        run_polnear(args)


if __name__ == "__main__":
    main()
