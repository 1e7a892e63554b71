"""Dev harness: do filters ever mislead? Asks every case of an eval set unfiltered and under
each filter given (default: every publisher and every single article of the index), and counts

- replies under a filter that do not say so (must be 0);
- answers under a filter where the unfiltered question is abstained on (must be 0);
- answers under a filter to cases marked unanswerable.

    .venv/bin/python tools/filter_check.py eval/seeds.jsonl --index-dir /tmp/seeds-index
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.evaluation.eval import load_cases  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases")
    ap.add_argument("--index-dir", required=True)
    args = ap.parse_args()
    asst = Assistant.open(index_dir=args.index_dir)
    docs = asst.stats()["docs"]
    filters = [{"publisher": p} for p in sorted({d["publisher"] for d in docs if d["publisher"]})]
    filters += [{"doc_id": [d["doc_id"]]} for d in docs]
    counts = {"filtered_questions": 0, "answered": 0, "without_filter_notice": 0,
              "answered_where_unfiltered_abstains": 0, "unanswerable_answered": 0}
    for case in load_cases(args.cases):
        history = case.history or None
        unfiltered = asst.ask(case.question, history=history)
        for f in filters:
            ans = asst.ask(case.question, history=history, filters=f)
            counts["filtered_questions"] += 1
            counts["without_filter_notice"] += not ans.notice.startswith("Filtered:")
            if ans.abstained:
                continue
            counts["answered"] += 1
            if unfiltered.abstained:
                counts["answered_where_unfiltered_abstains"] += 1
                print(f"answered under {f} but not unfiltered: {case.id} {case.question}", file=sys.stderr)
            elif case.type == "unanswerable":
                counts["unanswerable_answered"] += 1
                print(f"unanswerable answered under {f} (and unfiltered): {case.id}", file=sys.stderr)
    print(json.dumps(counts))
    return 0 if not counts["without_filter_notice"] and not counts["answered_where_unfiltered_abstains"] else 1


if __name__ == "__main__":
    sys.exit(main())
