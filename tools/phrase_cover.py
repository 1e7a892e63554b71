"""Dev harness: how the retriever's quoted-phrase search should be set, from training
questions (``assistant.retrieval.phrases``).

    .venv/bin/python tools/phrase_cover.py QUESTIONS.jsonl INDEX_DIR [--depth 100]

For every question with a quoted fragment of at least ``MIN_PHRASE_WORDS`` words, the
phrase's own keyword search proposes ``--depth`` chunks. It prints:
- at which rank of those the first chunk of a gold source comes, as recall at 5/10/20/50;
- the share of the phrase the best gold chunk holds in order (``cover``), and the best
  share among chunks of other documents, as counts per threshold: how many questions
  keep their gold chunk, and how many let another document's chunk through, at each
  ``MIN_COVER`` a question would use.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.retrieval.phrases import cover, quoted_phrases  # noqa: E402
from assistant.text.tokens import tokenize  # noqa: E402

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
RECALL_AT = (5, 10, 20, 50)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("questions")
    ap.add_argument("index")
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--query-candidates", type=int, default=0,
                    help="also check the question's own dense and keyword top N (as retrieval does)")
    args = ap.parse_args()
    asst = Assistant.open(args.index, warm=False)
    local = asst.local
    ranks: list[int | None] = []
    gold_cover: list[float] = []
    other_cover: list[float] = []
    firsts: list[tuple[float, bool, bool]] = []  # best share; a gold / another chunk holds it
    for line in Path(args.questions).read_text().splitlines():
        case = json.loads(line)
        phrases = quoted_phrases(case["question"])
        gold = set(case.get("sources") or [])
        if not phrases or not gold:
            continue
        hits = [c for w in phrases for c, _ in local.keyword_search(tokenize(" ".join(w)), args.depth, None)]
        if args.query_candidates:
            r = asst.retriever
            hits += [c for c, _ in local.keyword_search(r.query_tokens(case["question"]), args.query_candidates, None)]
            hits += [c for c, _ in asst.store.query(r.embedder.embed_query(case["question"]), args.query_candidates,
                                                     None)]
        spans = local.spans(set(hits))
        rank, g, o = None, 0.0, 0.0
        shares: list[tuple[float, bool]] = []
        for i, cid in enumerate(dict.fromkeys(hits), start=1):
            span = spans.get(cid)
            doc = local.doc(span.doc_id) if span is not None else None
            if doc is None:
                continue
            share = max(cover(w, doc.text[span[1]:span[2]], at_least=0.0) for w in phrases)
            shares.append((share, span.doc_id in gold))
            if span.doc_id in gold:
                rank = rank or i
                g = max(g, share)
            else:
                o = max(o, share)
        best = max((sh for sh, _ in shares), default=0.0)
        firsts.append((best, any(gd for sh, gd in shares if sh == best), any(not gd for sh, gd in shares if sh == best)))
        ranks.append(rank)
        gold_cover.append(g)
        other_cover.append(o)
    n = len(ranks)
    print(f"{n} questions with a quoted phrase")
    print("gold chunk proposed: " + ", ".join(
        f"@{k} {sum(1 for r in ranks if r is not None and r <= k) / n:.3f}" for k in RECALL_AT))
    print("threshold  gold kept  other doc let through  other doc above gold")
    for t in THRESHOLDS:
        kept = sum(g >= t for g in gold_cover)
        through = sum(o >= t for o in other_cover)
        above = sum(o >= t and o > g for g, o in zip(gold_cover, other_cover, strict=True))
        print(f"{t:9.1f}  {kept / n:9.3f}  {through / n:21.3f}  {above / n:20.3f}")
    print("threshold  best share is a gold chunk's  only another document's")
    for t in THRESHOLDS:
        gold_first = sum(b >= t and g for b, g, _ in firsts)
        other_first = sum(b >= t and o and not g for b, g, o in firsts)
        print(f"{t:9.1f}  {gold_first / n:28.3f}  {other_first / n:22.3f}")
    asst.close()


if __name__ == "__main__":
    main()
