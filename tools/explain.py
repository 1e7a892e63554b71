"""Dev tool: show how the answerer handled one question (analysis, evidence, candidates).

    .venv/bin/python tools/explain.py --index-dir DIR "question" [--history "previous question"]
"""

from __future__ import annotations

import argparse

from assistant import Assistant
from assistant.answer.answerer import sanitise
from assistant.answer.dialogue import rewrite
from assistant.answer.question import analyse
from assistant.models import QuestionKind


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("question")
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--history", action="append", default=[])
    ap.add_argument("-n", type=int, default=8)
    args = ap.parse_args()
    asst = Assistant.open(index_dir=args.index_dir)
    ans = asst.answerer
    q, _ = sanitise(args.question)
    standalone, ctx = rewrite(q, args.history, lambda prev, hist: ans.ask(prev, history=hist), ans.local.aliases)
    qa = analyse(standalone)
    print("standalone:", standalone, ctx if ctx else "")
    print(f"kind={qa.kind.value} unit={qa.unit!r} gran={qa.granularity!r} labels={qa.labels} names={qa.names} "
          f"years={qa.years} subject={qa.subject!r} topic={qa.topic} quoted={qa.quoted!r}")
    print("focus:", [(t, round(ans._weight(t), 2)) for t in qa.focus])
    print("absent names:", ans.absent_names(qa))
    passages = asst.retriever.retrieve(standalone, k=ans.passages)
    for p in passages:
        print(f"  P{p.rank} {p.doc_id[:12]} {p.start}-{p.end} {({k: round(v, 3) for k, v in p.scores.items()})}")
    sents = ans.candidate_sentences(qa, passages)
    print("sentences:")
    for s in sents[: args.n]:
        print(f"  {s.score:.3f} lex={s.lex:.2f} prior={s.prior:.2f} names={s.names_ok:.2f} years={s.years_ok} "
              f"{s.doc.doc_id[:6]} | {s.text[:110]}")
    if qa.kind in (QuestionKind.SPEAKER, QuestionKind.QUOTE):
        cands = ans.quote_candidates(qa, passages, sents, exclude=ctx.get("exclude_quotes", set()),
                                     seen=ctx.get("seen_quotes", set()))
    elif qa.kind == QuestionKind.DATE:
        cands = ans.date_candidates(qa, sents)
    elif qa.kind == QuestionKind.FIGURE:
        cands = ans.figure_candidates(qa, sents)
    elif qa.kind == QuestionKind.ENTITY:
        cands = ans.entity_candidates(qa, sents)
    else:
        cands = []
    cands.sort(key=lambda c: -c.score)
    print("candidates:")
    for c in cands[: args.n]:
        extra = ""
        if c.mention is not None:
            extra = f" unit={c.mention.unit!r} q={c.mention.qualifier!r} frame={c.mention.frame[:8]}"
        if c.quote is not None:
            extra = f" speaker={c.quote.speaker!r} cue={c.quote.cue} conf={c.quote.confidence}"
        print(f"  {c.score:.3f} {c.value[:60]!r}{extra}")
    a = asst.ask(args.question, history=args.history)
    print("\nANSWER:", a.answer, "| abstained" if a.abstained else "")
    print(a.text)


if __name__ == "__main__":
    main()
