"""The seed eval as a regression guard, the report format, and the scorer's rules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from assistant.evaluation.eval import Case, contains_answer, exact_answer, load_cases, run_eval, score_case
from assistant.models import Answer, Citation

CASES = ROOT / "eval" / "seeds.jsonl"

#: The seed articles `make train` holds out (``training.data.split_of``: validation iff
#: sha1(file name) % 5 == 0). Written down so the slice is fixed: a change to the split rule
#: fails ``test_the_held_out_slice_is_the_one_training_never_sees`` instead of moving the floor.
HELD_OUT_ARTICLES = ("000_d3a1bc41f45c605a.txt", "003_e42f40467c54dca3.txt", "004_f717129adf5014f8.txt")
#: Floors on the held-out slice (the 100 seed cases training never saw: those citing a held-out
#: article, and the unanswerable ones whose id falls in validation). Measured with the committed
#: models on this machine: before the reader (#23) accuracy 0.94, answerable 0.957 (89/93),
#: abstention recall 0.714 (5/7), 1 false abstention; with the reader accuracy 0.89, answerable
#: 0.914 (85/93), abstention recall 0.571 (4/7), 3 false abstentions, recall@3 1.0. The reader
#: gives up these seed cases (written beside the rules) for short answers on news nobody here
#: wrote (realtimeqa validation 0.044 -> 0.469, polnear speakers 0.215 -> 0.885); issue #23 keeps
#: the seed target open. Each floor lets a change lose one or two cases, no more.
FLOOR_ACCURACY = 0.87
FLOOR_ANSWERABLE = 0.89
FLOOR_ABSTENTION_RECALL = 0.57
FLOOR_RECALL_AT_3 = 0.95
MAX_FALSE_ABSTENTIONS = 4
#: The rest (91 cases; 71 of them fitted the reply models) is a smoke test, not a quality
#: guard: it measures 0.978 on its own training data, and only a broken pipeline falls below this.
SMOKE_ACCURACY = 0.8
FIGURES = ("n", "accuracy", "answerable_accuracy", "abstention_recall", "abstention_precision",
           "false_abstentions", "recall@3")


def held_out(cases: list[Case]) -> tuple[list[Case], list[Case]]:
    """(the cases training never saw, the rest), by training's own split rule."""
    from assistant.evaluation.training.data import SETS, split_of

    val = [c for c in cases if split_of(SETS["seeds"], c) == "val"]
    return val, [c for c in cases if split_of(SETS["seeds"], c) != "val"]


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


def test_number_words_and_digits_are_the_same_answer() -> None:
    assert contains_answer("six", "6") and contains_answer("6 people", "six")
    assert contains_answer("twenty-one states", "21") and exact_answer("Thirty", "30")
    assert not contains_answer("twenty", "21") and not contains_answer("six", "60")
    assert not exact_answer("six people", "6")  # exact still means the whole answer


def test_a_gold_answers_leading_article_is_not_required() -> None:
    assert contains_answer("Pantheon", "The Pantheon") and contains_answer("umbrella", "An umbrella")
    assert contains_answer("the Hague", "The Hague") and not contains_answer("Pantheon", "The Parthenon")


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


def test_the_held_out_slice_is_the_one_training_never_sees() -> None:
    from assistant.evaluation.training.data import SETS, cases, split_of

    val, rest = held_out(load_cases(CASES))
    assert len(val) >= 90 and len(rest) >= 80 and {c.id for c in val}.isdisjoint(c.id for c in rest)
    seeds = sorted(p.name for p in (ROOT / "seeds").glob("*.txt"))
    by_rule = tuple(n for n in seeds if split_of(SETS["seeds"], Case(id="-", question="?", type="date",
                                                                     answers=["x"], sources=[n])) == "val")
    assert by_rule == HELD_OUT_ARTICLES
    for c in val:  # every held-out answerable case cites a held-out article
        assert c.type == "unanswerable" or set(c.sources) & set(HELD_OUT_ARTICLES), c.id
    # what training reads of the seed set: none of it is in the slice
    trained = [c for c in cases(SETS["seeds"], ROOT, ROOT) if split_of(SETS["seeds"], c) == "train"]
    assert trained and {c.id for c in trained}.isdisjoint(c.id for c in val)


@pytest.fixture(scope="module")
def seed_asst(seed_index, minilm_embedder):
    from assistant.api import Assistant

    asst = Assistant.open(index_dir=seed_index, embedder=minilm_embedder)
    yield asst
    asst.close()


@pytest.mark.slow
def test_seed_eval_regression_guard_on_the_held_out_slice(seed_asst, figures) -> None:
    """The accuracy floor, scored only on seed cases `make train` never fitted on."""
    val, _ = held_out(load_cases(CASES))
    report = run_eval(seed_asst, val)
    s = report["summary"]
    figures(f"seed eval, held-out slice ({len(val)} cases training never saw): "
            + json.dumps({k: s[k] for k in FIGURES}))
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
def test_seed_eval_smoke_on_the_training_slice(seed_asst, figures) -> None:
    """The rest of the seed set: every case runs and is scored; reported apart from the floor."""
    _, rest = held_out(load_cases(CASES))
    report = run_eval(seed_asst, rest)
    s = report["summary"]
    figures(f"seed eval, training slice ({len(rest)} cases, smoke test only): "
            + json.dumps({k: s[k] for k in FIGURES}))
    assert len(report["items"]) == len(rest) and not any(i["error"] for i in report["items"])
    assert s["accuracy"] >= SMOKE_ACCURACY


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
