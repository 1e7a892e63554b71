"""The data learned selection is fitted and judged on: benchmark sets, their fixed
train/validation splits, and one dump per question of what the rule pipeline saw.

Splits (deterministic, written down here and in the training report):

- realtimeqa and realtimeqa-noanswer: by the quiz date ``asked_on``: 2022-2023 train,
  2024 validation (a question and its no-answer twin share a year);
- polnear: by article: validation iff ``int(sha1(file name)[:8], 16) % 5 == 0`` (about 20%);
- seeds (eval/seeds.jsonl): by article with the same rule (articles 000, 003 and 004 are
  validation, 001 and 002 train); a question is train only if all its articles are;
  unanswerable seed questions by the same rule on their id.

Dumps hold, per question, the rule pipeline's answer and everything retrieved, so rows for
every asked-on condition can be rebuilt offline without embedding again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.eval import Case, contains_answer, gold_forms, load_cases
from assistant.models import Answer, Citation, Passage

#: Quiz years used for training; later years are validation.
TRAIN_YEARS = ("2022", "2023")
#: One article in ARTICLE_MOD goes to validation.
ARTICLE_MOD = 5
#: Passages each dump keeps per question (the retrieval depth learned selection reads; a
#: sweep on realtimeqa validation: gold document in the top 10: 0.925, top 20: 0.959).
DUMP_K = 20


@dataclass(frozen=True)
class BenchSet:
    """A question set, the corpus its index is built from, and how it splits."""

    name: str
    questions: str  # relative to the shared folder, or to the project for seeds
    corpus: str
    split: str  # "quiz-year" | "article"
    answerable: bool = True


SETS = {
    "realtimeqa": BenchSet("realtimeqa", "benchmarks/realtimeqa/questions.jsonl",
                           "benchmarks/realtimeqa/corpus.jsonl", "quiz-year"),
    "noanswer": BenchSet("noanswer", "benchmarks/realtimeqa-noanswer/questions.jsonl",
                         "benchmarks/realtimeqa-noanswer/corpus.jsonl", "quiz-year", answerable=False),
    "polnear": BenchSet("polnear", "benchmarks/polnear/questions.jsonl", "benchmarks/polnear/corpus", "article"),
    "seeds": BenchSet("seeds", "eval/seeds.jsonl", "seeds", "article"),
}


def _val_key(key: str) -> bool:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % ARTICLE_MOD == 0


def split_of(bench: BenchSet, case: Case) -> str:
    """'train' or 'val'."""
    if bench.split == "quiz-year":
        return "train" if case.asked_on[:4] in TRAIN_YEARS else "val"
    if case.sources:
        return "val" if any(_val_key(s) for s in case.sources) else "train"
    return "val" if _val_key(case.id) else "train"


def paths(bench: BenchSet, shared: Path, project: Path) -> tuple[Path, Path]:
    """(questions file, corpus path) of a set."""
    base = project if bench.name == "seeds" else shared
    return base / bench.questions, base / bench.corpus


def cases(bench: BenchSet, shared: Path, project: Path) -> list[Case]:
    """The set's distinct cases (repeats skipped as ``assistant eval`` does), without the
    issue-15 forms that learned selection does not serve (summaries, lists, ...)."""
    out = load_cases(paths(bench, shared, project)[0])
    return [c for c in out if not c.form or c.form in ("factoid", "unanswerable")]


# -- dumps -------------------------------------------------------------------------------------------
def dump_record(bench: BenchSet, case: Case, trace: Any) -> dict[str, Any]:
    """What one question's rule pipeline saw and said (JSON-ready)."""
    rule: Answer = trace.rule_answer
    return {
        "id": case.id, "set": bench.name, "split": split_of(bench, case), "type": case.type,
        "asked_on": case.asked_on, "standalone": trace.standalone,
        "golds": [] if case.type == "unanswerable" else gold_forms(case), "sources": case.sources,
        "rule": rule.to_dict() | {"passages": []},
        "fetched": [p.to_dict() for p in trace.fetched],
    }


def write_dump(path: Path, records: Iterator[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    n = 0
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n


def read_dump(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def right(text: str, golds: Sequence[str]) -> bool:
    """A text holds a gold answer (as ``assistant eval`` scores it)."""
    return bool(text) and any(contains_answer(text, g) for g in golds)


def rule_answer(rec: dict[str, Any]) -> Answer:
    d = dict(rec["rule"])
    d["citations"] = [Citation(**c) for c in d.get("citations", [])]
    d["conflicts"], d["passages"] = [], []
    return Answer(**d)


def fetched(rec: dict[str, Any]) -> list[Passage]:
    return [Passage(**p) for p in rec["fetched"]]
