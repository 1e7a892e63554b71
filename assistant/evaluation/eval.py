"""Scripted evaluation: ask every case through ``Assistant.ask`` and score it.

Case format (JSONL): ``{"id", "question", "type", "answers", "sources"}`` plus an
optional ``history`` (earlier questions, oldest first) for follow-ups and an optional
``form`` (how the question is asked: ``FORMS``), which chooses how it is scored.

Scoring (pure functions below):

- *correct*: the folded short answer contains a folded gold answer as a whole
  word sequence (folding: case, diacritics, thousands separators, punctuation);
  for ``speaker`` cases the gold span is reduced to its head name first;
  for ``unanswerable`` cases, correct means the assistant abstained.
- by ``form`` (``form_correct``, on the whole reply): *summary*, at least two gold key phrases (all, if
  fewer) in the answer; *list* and *comparison*, every gold item (a comparison's gold
  is its winner); *yes-no*, the polarity (the answer's first word is the gold's first,
  "Yes" or "No") and a supporting phrase (any other gold); *timeline*, every gold
  item, in the gold's order; *why-how* and *duration*, any gold phrase; *factoid* and
  *follow-up* are scored by their type.
- *short correct*: the short answer is at most ``SHORT_ANSWER_WORDS`` words and holds a
  gold answer (a reply that is a sentence holding the answer does not count); *reply
  correct*: the reply's first line holds one; *exact*: the short answer is a gold answer
  itself, folded and without a leading "the"/"a"/"an" (SQuAD's exact match: "Oregon" for
  "Oregon", not "Outgoing Oregon Gov. Kate Brown"). All three only for cases scored by type.
- *citation correct*: some citation's document is a gold source.
- *supported*: the short answer appears in a cited sentence.
- retrieval recall@1/3/5 and MRR over the ranked retrieved documents.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, ConfigError
from assistant.evaluation.calibration import calibration
from assistant.models import Answer
from assistant.text.folding import fold_answer, name_key
from assistant.text.numbers import TENS_WORDS, UNIT_WORDS

TYPES = ("date", "figure", "speaker", "entity", "quote", "other", "unanswerable")
#: How a question is asked (the optional ``form`` of a case), as in the natural benchmark.
FORMS = ("factoid", "why-how", "summary", "yes-no", "comparison", "list", "duration", "timeline", "follow-up",
         "unanswerable")
#: A summary covers the article when it holds this many of the gold key phrases (the
#: natural benchmark's rule: "at least 2 key points").
SUMMARY_KEY_POINTS = 2
#: A short answer has at most this many words (the definition the reader's issue uses).
SHORT_ANSWER_WORDS = 10


@dataclass
class Case:
    id: str
    question: str
    type: str
    answers: list[str]
    sources: list[str]
    history: list[str] = field(default_factory=list)
    #: The date the question was asked on (ISO), if the set says; "this week" means then.
    asked_on: str = ""
    #: How the question is asked (``FORMS``); "" for a set without forms.
    form: str = ""


def load_cases(path: str | Path, notes: list[str] | None = None) -> list[Case]:
    """Read and validate an eval set; errors name the line and the fix.

    A case repeated verbatim is skipped; a reused id on a different question is kept as
    ``id#2``; both are reported in ``notes`` (external sets have such lines)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"eval set {p} does not exist", fix="pass a JSONL file of cases")
    cases: list[Case] = []
    ids: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{p}:{n} is not valid JSON ({exc.msg})", fix="one JSON object per line") from exc
        missing = [k for k in ("id", "question", "type", "answers", "sources") if k not in d]
        if missing:
            raise ConfigError(f"{p}:{n} lacks {', '.join(missing)}",
                              fix='each case needs "id", "question", "type", "answers", "sources"')
        if d["type"] not in TYPES:
            raise ConfigError(f"{p}:{n} has unknown type {d['type']!r}", fix=f"use one of {', '.join(TYPES)}")
        if d.get("form") and d["form"] not in FORMS:
            raise ConfigError(f"{p}:{n} has unknown form {d['form']!r}", fix=f"use one of {', '.join(FORMS)}")
        if d.get("asked_on"):
            from assistant.text.periods import as_iso_date

            try:
                d["asked_on"] = as_iso_date(d["asked_on"])
            except ConfigError as exc:
                raise ConfigError(f"{p}:{n} has an asked_on that is not a date ({d['asked_on']!r})",
                                  fix='write it as "asked_on": "YYYY-MM-DD"') from exc
        key = (str(d["id"]), str(d["question"]))
        if key in seen:
            if notes is not None:
                notes.append(f"{p}:{n} repeats case {d['id']!r}: skipped")
            continue
        seen.add(key)
        if str(d["id"]) in ids:
            new = next(f"{d['id']}#{i}" for i in range(2, 10**6) if f"{d['id']}#{i}" not in ids)
            if notes is not None:
                notes.append(f"{p}:{n} reuses id {d['id']!r} for another question: kept as {new!r}")
            d["id"] = new
        ids.add(str(d["id"]))
        cases.append(Case(str(d["id"]), str(d["question"]), d["type"], [str(a) for a in d["answers"]],
                          [str(s) for s in d["sources"]], [str(h) for h in d.get("history", [])],
                          str(d.get("asked_on") or ""), str(d.get("form") or "")))
    return cases


# -- scoring (pure) ----------------------------------------------------------------------------
#: A leading article, which neither contains nor exact match requires (SQuAD's normalisation).
_ARTICLE = re.compile(r"^(?:the|a|an) ")
#: A gold name matches by transliteration key only when every key is at least this long:
#: shorter keys collide (Bob/Bay), as in the alias table (``index.aliases.MIN_KEY_LEN``).
MIN_NAME_KEY = 4


def fold_numbers(folded: str) -> str:
    """Number words below a hundred written as digits in folded text ("six" -> "6",
    "twenty one" -> "21"): "six" and "6" are the same answer. Applied to both sides of a
    comparison, so it only ever adds a match between a word and its digits."""
    out: list[str] = []
    for w in folded.split():
        unit = UNIT_WORDS.get(w)
        if unit is not None and 0 < unit < 10 and out and out[-1] in _TENS_DIGITS:
            out[-1] = str(int(out[-1]) + unit)
            continue
        out.append(str(unit) if unit is not None else str(TENS_WORDS[w]) if w in TENS_WORDS else w)
    return " ".join(out)


_TENS_DIGITS = {str(v) for v in TENS_WORDS.values()}


def contains_answer(system: str, gold: str) -> bool:
    """Folded ``gold`` occurs in folded ``system`` on word boundaries, number words read as
    digits (``fold_numbers``) and the gold's leading "the"/"a"/"an" not required (SQuAD's
    normalisation drops articles: "Pantheon" answers "The Pantheon"); a gold name also
    matches another romanisation of it ("Łukašenka" in "Alaksandar Lukashenko")."""
    g, s = fold_numbers(fold_answer(gold)), fold_numbers(fold_answer(system))
    g = _ARTICLE.sub("", g) or g
    if not g:
        return False
    if f" {g} " in f" {s} ":
        return True
    words = gold.split()
    if not words or not all(w[:1].isupper() and w.isalpha() for w in words):
        return False
    want = [name_key(w) for w in words]
    if any(len(k) < MIN_NAME_KEY for k in want):
        return False
    have = [name_key(w) for w in re.findall(r"[^\W\d_]+", system)]
    return any(have[i: i + len(want)] == want for i in range(len(have) - len(want) + 1))


def exact_answer(system: str, gold: str) -> bool:
    """``system`` is ``gold``, folded, a leading article dropped from both (SQuAD's exact
    match normalisation), number words read as digits (``fold_numbers``)."""
    g = _ARTICLE.sub("", fold_numbers(fold_answer(gold)))
    return bool(g) and _ARTICLE.sub("", fold_numbers(fold_answer(system))) == g


def gold_forms(case: Case) -> list[str]:
    if case.type != "speaker":
        return case.answers
    from assistant.text.names import speaker_head

    return [speaker_head(a) or a for a in case.answers]


def _position(system: str, gold: str) -> int:
    """Where folded ``gold`` first stands in folded ``system`` (-1 if nowhere)."""
    g, s = fold_numbers(fold_answer(gold)), fold_numbers(fold_answer(system))
    i = f" {s} ".find(f" {g} ") if g else -1
    return i


def key_points_covered(system: str, golds: Sequence[str]) -> int:
    """How many gold key phrases the reply holds."""
    return sum(contains_answer(system, g) for g in golds)


def polarity(system: str) -> str:
    """"Yes" or "No" when the reply starts with it, else ""."""
    m = re.match(r"\W*(yes|no)\b", fold_answer(system))
    return m.group(1).capitalize() if m else ""


def in_order(system: str, golds: Sequence[str]) -> bool:
    """Every gold item stands in the reply, each first named after the one before it."""
    pos = [_position(system, g) for g in golds]
    return all(p >= 0 for p in pos) and pos == sorted(pos)


#: Where a reply's first clause ends: punctuation that closes a phrase, or a word that
#: brings in the other side of a comparison.
_CLAUSE_END = re.compile(r"[;:.!?()\[\]—–]|,\s|\s(?:than|vs\.?|versus|against|while|whereas|compared)\s", re.I)


def first_clause(system: str) -> str:
    """The reply up to its first clause break ("Poland (28,668) ..." -> "Poland ")."""
    m = _CLAUSE_END.search(system)
    return system[: m.start()] if m else system


def reply_text(ans: Answer) -> str:
    """The reply as a reader sees it, without its ``[n]`` citation markers: the forms
    beyond factoid (a summary, a list, a timeline) are judged on the whole reply."""
    return re.sub(r"\s*\[\d+\]", "", ans.text)


_QUOTE_SPAN = re.compile(r"“([^”]+?)…?”")
_ITEM = re.compile(r"^- ([^“\n]+?) \[(\d+)\]", re.M)


def quotes_supported(ans: Answer) -> bool:
    """Everything a reply of several parts gives is verbatim in its citations: each
    passage it quotes (“...”, a clipped one by its kept part; a headline's own quotation
    marks count as its article's), and each listed item ("- item [n]") in citation n. A
    reply with neither is not supported."""
    cited = fold_answer(" ".join(f"{c.quote} {c.title}" for c in ans.citations))
    by_n = {c.n: fold_answer(c.quote) for c in ans.citations}
    spans = [m.group(1) for m in _QUOTE_SPAN.finditer(ans.text)]
    items = [(m.group(1), int(m.group(2))) for m in _ITEM.finditer(ans.text)]
    return bool(spans or items) and all(fold_answer(x) in cited for x in spans) \
        and all(fold_answer(x) in by_n.get(n, "") for x, n in items)


def form_correct(form: str, answers: Sequence[str], system: str) -> bool | None:
    """Whether ``system`` (the reply, ``reply_text``) is right for a case of ``form``;
    None when the form is scored by the case's type (factoid, follow-up, no form) on the
    short answer."""
    if form == "summary":
        return key_points_covered(system, answers) >= min(SUMMARY_KEY_POINTS, len(answers))
    if form == "comparison" and len(answers) == 1:
        return contains_answer(first_clause(system), answers[0])
    if form in ("list", "comparison"):
        return bool(answers) and all(contains_answer(system, g) for g in answers)
    if form == "yes-no":
        want, support = (answers[0], answers[1:]) if answers else ("", [])
        return polarity(system) == want.capitalize() and (not support or any(contains_answer(system, g)
                                                                            for g in support))
    if form == "timeline":
        return bool(answers) and in_order(system, answers)
    if form in ("why-how", "duration"):
        return any(contains_answer(system, g) for g in answers)
    return None


def score_case(case: Case, ans: Answer) -> dict[str, Any]:
    """Correct / citation / supported flags and the gold rank for one case."""
    cited = [c.doc_id for c in ans.citations]
    if case.type == "unanswerable":
        correct = ans.abstained
        cite_ok = None
        supported = None
    else:
        by_form = form_correct(case.form, case.answers, reply_text(ans))
        correct = not ans.abstained and (by_form if by_form is not None
                                         else any(contains_answer(ans.answer, g) for g in gold_forms(case)))
        cite_ok = (not ans.abstained) and any(d in case.sources for d in cited)
        # A statement over consecutive sentences is cited sentence by sentence.
        supported = (not ans.abstained) and bool(ans.answer) and (
            any(fold_answer(ans.answer) in fold_answer(c.quote) for c in ans.citations)
            or fold_answer(ans.answer) in fold_answer(" ".join(c.quote for c in ans.citations)))
        if by_form is not None:
            # A reply of several parts: everything it quotes stands in the cited sentences.
            supported = (not ans.abstained) and quotes_supported(ans)
    rank = next((i for i, d in enumerate(ans.retrieved, start=1) if d in case.sources), None)
    short = reply = exact = None
    if case.type != "unanswerable" and form_correct(case.form, case.answers, "") is None:
        golds = gold_forms(case)
        short = not ans.abstained and len(ans.answer.split()) <= SHORT_ANSWER_WORDS \
            and any(contains_answer(ans.answer, g) for g in golds)
        exact = not ans.abstained and any(exact_answer(ans.answer, g) for g in [*golds, *case.answers])
        first = reply_text(ans).split("\n", 1)[0]
        reply = not ans.abstained and any(contains_answer(first, g) for g in golds)
    return {"correct": bool(correct), "short_correct": short, "exact_correct": exact, "reply_correct": reply,
            "citation_correct": cite_ok,
            "supported": supported, "gold_rank": rank}


def _pct(xs: Sequence[bool]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def summarise(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Summary figures overall and by type (see module docstring)."""

    def block(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        ans = [r for r in rows if r["type"] != "unanswerable"]
        ranks = [r["gold_rank"] for r in ans]
        lat = sorted(r["latency_ms"] for r in rows) or [0.0]
        typed = [r for r in ans if r.get("short_correct") is not None]
        return {
            "n": len(rows),
            "accuracy": _pct([r["correct"] for r in rows]),
            "short_accuracy": _pct([bool(r["short_correct"]) for r in typed]),
            "exact_accuracy": _pct([bool(r.get("exact_correct")) for r in typed]),
            "reply_accuracy": _pct([bool(r["reply_correct"]) for r in typed]),
            "citation_accuracy": _pct([bool(r["citation_correct"]) for r in ans]),
            "supported_rate": _pct([bool(r["supported"]) for r in ans]),
            "false_abstentions": sum(r["abstained"] for r in ans),
            "recall@1": _pct([x is not None and x <= 1 for x in ranks]),
            "recall@3": _pct([x is not None and x <= 3 for x in ranks]),
            "recall@5": _pct([x is not None and x <= 5 for x in ranks]),
            "mrr": round(sum(1 / x for x in ranks if x) / len(ranks), 4) if ranks else None,
            "latency_p50_ms": round(statistics.median(lat), 1),
            "latency_p95_ms": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1),
        }

    out = block(items)
    abst = [r for r in items if r["abstained"]]
    unans = [r for r in items if r["type"] == "unanswerable"]
    out["abstention_precision"] = _pct([r["type"] == "unanswerable" for r in abst])
    out["abstention_recall"] = _pct([r["abstained"] for r in unans])
    answerable = [r for r in items if r["type"] != "unanswerable"]
    out["answerable_accuracy"] = _pct([r["correct"] for r in answerable])
    out["answerable_correct_and_cited"] = _pct([r["correct"] and bool(r["citation_correct"]) for r in answerable])
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in items:
        by_type[r["type"]].append(r)
    out["by_type"] = {t: block(rows) for t, rows in sorted(by_type.items())}
    by_form: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in items:
        if r.get("form"):
            by_form[r["form"]].append(r)
    out["by_form"] = {f: block(by_form[f]) for f in FORMS if f in by_form}
    return out


# -- running ----------------------------------------------------------------------------------
def run_eval(asst: Any, cases: Iterable[Case], k: int = 5, progress: Callable[[int], None] | None = None,
             mode: str | None = None, use_asked_on: bool = True) -> dict[str, Any]:
    """Ask every case; returns ``{"summary", "items"}`` (the report). ``use_asked_on``:
    ask each case on its ``asked_on`` date (else on today's, the product default)."""
    items = []
    if mode:
        asst.retriever.mode = type(asst.retriever.mode)(mode)
    for i, case in enumerate(cases):
        t0 = time.perf_counter()
        try:
            ans = asst.ask(case.question, history=case.history or None, k=k,
                           asked_on=(case.asked_on or None) if use_asked_on else None)
            error = ""
        except AssistantError as exc:
            ans = Answer(text=str(exc), answer="", kind="error", abstained=True)
            error = str(exc)
        latency = (time.perf_counter() - t0) * 1000
        sc = score_case(case, ans)
        items.append({
            "id": case.id, "question": case.question, "type": case.type, "form": case.form, "kind": ans.kind,
            "answer": ans.answer, "text": ans.text, "abstained": ans.abstained, "confidence": ans.confidence, **sc,
            "expected": case.answers, "sources": case.sources, "rewritten": ans.rewritten,
            "asked_on": (case.asked_on or "") if use_asked_on else "",
            "citations": [{"n": c.n, "source": c.doc_id, "quote": c.quote, "start": c.start, "end": c.end}
                          for c in ans.citations],
            "retrieved": ans.retrieved, "latency_ms": round(latency, 2), "error": error,
        })
        if progress:
            progress(i + 1)
    summary = summarise(items)
    summary["calibration"] = calibration(items)
    return {"summary": summary, "items": items}


def format_table(summary: dict[str, Any]) -> str:
    cols = ("n", "accuracy", "short_accuracy", "reply_accuracy", "citation_accuracy", "supported_rate", "recall@1",
            "recall@3", "recall@5", "mrr", "latency_p50_ms")
    heads = ("type", "n", "acc", "short", "reply", "cite", "supp", "R@1", "R@3", "R@5", "MRR", "p50 ms")

    def fmt(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float) and v <= 1.0:
            return f"{v:.3f}"
        return str(v)

    def table(first: str, groups: dict[str, Any], total: bool) -> list[str]:
        rows = [(first, *heads[1:])]
        for t, b in groups.items():
            rows.append((t, *(fmt(b[c]) for c in cols)))
        if total:
            rows.append(("ALL", *(fmt(summary[c]) for c in cols)))
        w = [max(len(r[i]) for r in rows) for i in range(len(heads))]
        out = ["  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r)) for r in rows]
        out.insert(1, "  ".join("-" * x for x in w))
        return out

    lines = table("type", summary["by_type"], True)
    if summary.get("by_form"):
        lines += ["", *table("form", summary["by_form"], False)]
    lines.append("")
    lines.append(
        f"answerable accuracy {fmt(summary['answerable_accuracy'])}  short answer {fmt(summary['short_accuracy'])}"
        f" (exact {fmt(summary['exact_accuracy'])})"
        f"  reply {fmt(summary['reply_accuracy'])}  correct+cited "
        f"{fmt(summary['answerable_correct_and_cited'])}  abstention precision "
        f"{fmt(summary['abstention_precision'])} recall {fmt(summary['abstention_recall'])}  "
        f"false abstentions {summary['false_abstentions']}  latency p50 {summary['latency_p50_ms']} ms "
        f"p95 {summary['latency_p95_ms']} ms"
    )
    return "\n".join(lines)


def format_failures(items: Sequence[dict[str, Any]], n: int = 10) -> str:
    bad = [r for r in items if not r["correct"]]
    if not bad:
        return "no failures"
    out = [f"{len(bad)} failures; first {min(n, len(bad))}:"]
    for r in bad[:n]:
        got = "(abstained)" if r["abstained"] else repr(r["answer"][:80])
        want = "(abstain)" if r["type"] == "unanswerable" else " | ".join(r["expected"])[:80]
        out.append(f"- {r['id']} [{r.get('form') or r['type']}] {r['question'][:90]}\n    expected {want}; got {got}; "
                   f"gold rank {r['gold_rank']}")
    return "\n".join(out)
