"""The seed eval as a regression guard, the report format, and the scorer's rules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from assistant.evaluation.eval import Case, contains_answer, load_cases, run_eval, score_case
from assistant.models import Answer, Citation

CASES = ROOT / "eval" / "seeds.jsonl"

#: Floors below what eval/seeds.jsonl reaches with learned selection (accuracy 0.958, answerable
#: 0.964, abstention recall 0.92, 3 false abstentions: two "who is X" role questions over long
#: articles score 0.64, just under the threshold `make train` chose to keep false abstentions at 5%
#: on every training set; the rules alone had none); a change that loses more than a couple of
#: cases fails here.
FLOOR_ACCURACY = 0.93
FLOOR_ANSWERABLE = 0.94
FLOOR_ABSTENTION_RECALL = 0.85
FLOOR_RECALL_AT_3 = 0.95
#: 4 with the learned yes/no claim floor (issue 24): "Is Hungary still talking to Minsk?" is
#: answered by a sentence that says "maintaining dialogue", no word of the claim's event, the
#: same reading that rightly refuses the unanswerable "Did Poland finish building a wall?".
MAX_FALSE_ABSTENTIONS = 4


def test_eval_set_format() -> None:
    cases = load_cases(CASES)
    assert len(cases) >= 80
    types = {c.type for c in cases}
    assert types == {"date", "figure", "speaker", "entity", "quote", "other", "unanswerable"}
    assert sum(c.type == "unanswerable" for c in cases) >= 15
    seeds = {p.name for p in (ROOT / "seeds").glob("*.txt")}
    for c in cases:
        if c.type == "unanswerable":
            assert not c.answers and not c.sources, c.id
        else:
            assert c.answers and c.sources and set(c.sources) <= seeds, c.id


def test_contains_answer_folds_case_diacritics_and_separators() -> None:
    assert contains_answer("at least 40,549 irregular crossings", "40549")
    assert contains_answer("Alaksandar Valfovič", "Valfovic")
    assert contains_answer("10.970 attempts", "10,970")
    assert not contains_answer("1,415", "415")  # word boundaries, not substrings
    assert not contains_answer("", "June 2021")


def test_score_case_rules() -> None:
    case = Case(id="x", question="q?", type="figure", answers=["28,164"], sources=["a.txt"])
    cit = Citation(n=1, doc_id="a.txt", title="", publisher="", date="", quote="Most – 28,164 – went.", start=0, end=20)
    good = score_case(case, Answer(text="28,164 [1]", answer="28,164", kind="figure", abstained=False, citations=[cit]))
    assert good["correct"] and good["citation_correct"] and good["supported"]
    wrong_doc = Citation(**{**cit.__dict__, "doc_id": "b.txt"})
    assert not score_case(case, Answer(text="", answer="28,164", kind="figure", abstained=False, citations=[wrong_doc]))["citation_correct"]
    assert not score_case(case, Answer(text="", answer="", kind="figure", abstained=True))["correct"]
    unans = Case(id="u", question="q?", type="unanswerable", answers=[], sources=[])
    assert score_case(unans, Answer(text="", answer="", kind="figure", abstained=True))["correct"]
    assert not score_case(unans, Answer(text="x", answer="x", kind="figure", abstained=False))["correct"]


@pytest.mark.slow
def test_seed_eval_regression_guard(seed_index, minilm_embedder) -> None:
    from assistant.api import Assistant

    asst = Assistant.open(index_dir=seed_index, embedder=minilm_embedder)
    report = run_eval(asst, load_cases(CASES))
    s = report["summary"]
    print(json.dumps({k: s[k] for k in ("accuracy", "answerable_accuracy", "abstention_recall",
                                        "abstention_precision", "false_abstentions", "recall@3")}))
    assert s["accuracy"] >= FLOOR_ACCURACY
    assert s["answerable_accuracy"] >= FLOOR_ANSWERABLE
    assert s["abstention_recall"] >= FLOOR_ABSTENTION_RECALL
    assert s["recall@3"] >= FLOOR_RECALL_AT_3
    assert s["false_abstentions"] <= MAX_FALSE_ABSTENTIONS
    item = report["items"][0]
    for key in ("id", "question", "type", "answer", "text", "abstained", "correct", "citations", "retrieved",
                "latency_ms"):
        assert key in item
    assert set(item["citations"][0]) >= {"n", "source", "quote", "start", "end"}


@pytest.mark.slow
def test_cli_eval_writes_report_and_enforces_floor(seed_index, tmp_path) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [json.loads(x) for x in CASES.read_text().splitlines() if x.strip()]
    pick = [c for c in lines if c["type"] in ("figure", "unanswerable")][:6]
    cases.write_text("\n".join(json.dumps(c) for c in pick) + "\n")
    report = tmp_path / "r.json"
    cmd = [sys.executable, "-m", "assistant", "eval", str(cases), "--index-dir", str(seed_index),
           "--report", str(report), "--no-progress"]
    ok = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stderr
    assert "ALL" in ok.stdout
    data = json.loads(report.read_text())
    assert len(data["items"]) == len(pick) and "by_type" in data["summary"]
    bad = subprocess.run([*cmd, "--min-accuracy", "1.01"], capture_output=True, text=True, timeout=600)
    assert bad.returncode == 1


def test_forms_are_read_and_checked(tmp_path) -> None:
    from assistant.errors import ConfigError

    good = tmp_path / "forms.jsonl"
    good.write_text(json.dumps({"id": "a", "question": "Why?", "type": "other", "form": "why-how",
                                "answers": ["x"], "sources": ["s"]}) + "\n")
    assert load_cases(good)[0].form == "why-how"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "a", "question": "Why?", "type": "other", "form": "essay",
                               "answers": ["x"], "sources": ["s"]}) + "\n")
    with pytest.raises(ConfigError) as exc:
        load_cases(bad)
    assert "form" in str(exc.value) and "why-how" in exc.value.fix


def test_seed_set_has_forty_cases_in_the_new_forms() -> None:
    cases = load_cases(CASES)
    new = [c for c in cases if c.form]
    assert len(new) >= 40
    assert {"factoid", "why-how", "summary", "yes-no", "comparison", "list", "duration", "timeline",
            "follow-up"} <= {c.form for c in new}
    assert all(c.history for c in new if c.form == "follow-up")
