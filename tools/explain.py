"""Dev tool: show how the answerer handled one question (analysis, evidence, candidates).

    .venv/bin/python tools/explain.py --index-dir DIR "question" [--history "previous question"]
"""

from __future__ import annotations

import argparse

from assistant import Assistant
from assistant.answer.corpus import weight


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("question")
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--history", action="append", default=[])
    ap.add_argument("-n", type=int, default=8)
    args = ap.parse_args()
    asst = Assistant.open(index_dir=args.index_dir)
    tr = asst.answerer.explain(args.question, history=args.history)
    qa = tr.analysis
    print("standalone:", tr.standalone, tr.dialogue if tr.dialogue else "")
    if qa is not None:
        print(f"kind={qa.kind.value} unit={qa.unit!r} gran={qa.granularity!r} labels={qa.labels} names={qa.names} "
              f"years={qa.years} subject={qa.subject!r} topic={qa.topic} quoted={qa.quoted!r}")
        print("focus:", [(t, round(weight(asst.answerer.corpus, t), 2)) for t in qa.focus])
    print("absent names:", tr.absent)
    for p in tr.passages:
        print(f"  P{p.rank} {p.doc_id[:12]} {p.start}-{p.end} {({k: round(v, 3) for k, v in p.scores.items()})}")
    print("sentences:")
    for s in tr.sentences[: args.n]:
        print(f"  {s.score:.3f} lex={s.lex:.2f} prior={s.prior:.2f} names={s.names_ok:.2f} years={s.years_ok} "
              f"{s.doc.doc_id[:6]} | {s.text[:110]}")
    print("candidates:")
    for c in tr.candidates[: args.n]:
        extra = ""
        if c.mention is not None:
            extra = f" unit={c.mention.unit!r} q={c.mention.qualifier!r} frame={c.mention.frame[:8]}"
        if c.quote is not None:
            extra = f" speaker={c.quote.speaker!r} cue={c.quote.cue} conf={c.quote.confidence}"
        print(f"  {c.score:.3f} {c.value[:60]!r}{extra}")
    a = tr.answer
    if a is not None:
        print("\nANSWER:", a.answer, "| abstained" if a.abstained else "")
        print(a.text)


if __name__ == "__main__":
    main()
