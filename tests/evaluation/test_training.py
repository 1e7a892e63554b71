"""``make train``'s pipeline on a tiny synthetic benchmark, in seconds and without
``../shared``: dump what the rule pipeline sees, prepare the features, fit every stage,
calibrate, choose the thresholds, write ``selection.json``, reload it and answer the same;
and the reproducibility claim (the same dump gives a byte-identical ``selection.json``).

The benchmark is made up (``fakes``): towns whose ports report ferry counts and pier
repairs, each in its own article, with near-miss articles about the same town in another
year, and questions about towns no article mentions.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from fakes import RULES_ONLY, FakeRetriever, MemoryCorpus, date, entity, fake_answerer, figure, make_doc

from assistant.answer.answerer import Answerer
from assistant.answer.learned import SelectionModels
from assistant.evaluation.eval import Case
from assistant.evaluation.training import fit_and_write
from assistant.evaluation.training import trainer as trainer_mod
from assistant.evaluation.training.data import (
    DUMP_K,
    BenchSet,
    dump_record,
    read_dump,
    split_of,
    write_dump,
)
from assistant.evaluation.training.trainer import prepare

TOWNS = ["Harlow", "Brisk", "Olten", "Varna", "Mersk", "Dunmore", "Kestrel", "Lowick", "Pellam", "Ardeen",
         "Corvin", "Tamsby", "Wexley", "Rindle", "Ostrava", "Fennick", "Galloway", "Hexham", "Islay", "Jarrow",
         "Kilda", "Lorne", "Morven", "Nairn", "Oban", "Portree", "Rosehall", "Skerry", "Tain", "Ullapool",
         "Voe", "Wick", "Yell", "Zetland", "Alnmouth", "Bamburgh", "Craster", "Dunstan", "Embleton", "Felton"]
ABSENT = ["Quarrow", "Stenby", "Vallis", "Threx", "Mordane", "Ulvik", "Brannock", "Cadwell", "Dorring", "Eskdale",
          "Fallow", "Glenrick"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
#: The synthetic set, split by article as polnear and the seeds are.
BENCH = BenchSet("synthetic", "questions.jsonl", "corpus", "article")


def _article(i: int, town: str, year: int, n: int) -> tuple:
    month, day = MONTHS[i % 12], 1 + (i * 7) % 27
    pier = f"{month} {day}, {year}"
    text = (f"{town} port handled {n:,} ferries in {year}, officials said. "
            f"The harbour master, Ines Calder, called the season busy. "
            f"Repairs to the {town} pier began on {pier}.")
    doc = make_doc(f"{i:03d}-{town.lower()}-{year}.txt", text, title=f"{town} port report {year}",
                   mentions=[entity("GPE", town), entity("PERSON", "Ines Calder"),
                             figure(f"{n:,}", str(n), "ferry", frame=["ferries", "handled", "port"]),
                             date(str(year), str(year), frame=["handled"]),
                             date(pier, f"{year}-{MONTHS.index(month) + 1:02d}-{day:02d}",
                                  frame=["repair", "pier", "began"])])
    return doc, pier


def synthetic() -> tuple[list, list[Case]]:
    """(documents, cases): per town an article for 2023 and a near miss for 2022 (another
    count, another repair date); a figure and a date question about 2023 (some about 2022);
    unanswerable questions about towns no article names, and about barges, which no article
    counts (the rules answer those with the ferry count: wrong answers to learn from)."""
    docs, cases = [], []
    for i, town in enumerate(TOWNS):
        n = 1000 + 37 * i
        doc, pier = _article(2 * i, town, 2023, n)
        near, near_pier = _article(2 * i + 1, town, 2022, n - 400)
        docs += [doc, near]
        cases.append(Case(id=f"f{i}", question=f"How many ferries did {town} port handle in 2023?", type="figure",
                          answers=[f"{n:,}"], sources=[doc.doc_id]))
        if i % 4 == 1:
            cases.append(Case(id=f"d{i}", question=f"When did repairs to the {town} pier begin in 2022?",
                              type="date", answers=[near_pier], sources=[near.doc_id]))
        else:
            cases.append(Case(id=f"d{i}", question=f"When did repairs to the {town} pier begin in 2023?",
                              type="date", answers=[pier], sources=[doc.doc_id]))
        if i % 3 == 0:
            cases.append(Case(id=f"b{i}", question=f"How many barges did {town} port handle in 2023?",
                              type="unanswerable", answers=[], sources=[]))
    for j, town in enumerate(ABSENT):
        cases.append(Case(id=f"u{j}", question=f"How many ferries did {town} port handle in 2023?",
                          type="unanswerable", answers=[], sources=[]))
    return docs, cases


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """The synthetic set dumped as ``make train`` dumps a benchmark (the rule pipeline's
    answer and the DUMP_K passages retrieved, per question), written and read back."""
    docs, cases = synthetic()
    corpus = MemoryCorpus(docs)
    rules = Answerer(FakeRetriever(corpus), corpus, models=RULES_ONLY, fetch=DUMP_K)
    path = tmp_path_factory.mktemp("train") / "dump-synthetic.jsonl.gz"
    n = write_dump(path, (dump_record(BENCH, c, rules.explain(c.question)) for c in cases))
    assert n == len(cases)
    return corpus, cases, path


@pytest.fixture(scope="module")
def synthetic_rankers():
    """The document and sentence rankers fit on the named benchmark sets only
    (``trainer.RANKER_SETS``): name the synthetic one."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(trainer_mod, "RANKER_SETS", (BENCH.name,))
        yield


def _items(corpus, path: Path) -> list:
    return [it for rec in read_dump(path) if (it := prepare(rec, corpus)) is not None]


@pytest.fixture(scope="module")
def written(bench, synthetic_rankers, tmp_path_factory) -> tuple[Path, Path, dict]:
    """(selection.json, training.json, the report): ``fit_and_write`` on the dump, as ``make
    train`` does after its dumps."""
    corpus, _, path = bench
    out = tmp_path_factory.mktemp("written")
    rep = fit_and_write(_items(corpus, path), {BENCH.name: corpus}, out / "selection.json", out / "training.json", log=lambda m: None)
    return out / "selection.json", out / "training.json", rep


def test_the_synthetic_set_has_both_splits_and_every_kind(bench):
    _, cases, path = bench
    splits = {c.id: split_of(BENCH, c) for c in cases}
    for kind in ("f", "d"):
        assert sum(splits[c.id] == "train" for c in cases if c.id[0] == kind) >= trainer_mod.MIN_KIND_QUESTIONS
        assert any(splits[c.id] == "val" for c in cases if c.id[0] == kind)
    recs = read_dump(path)
    assert [r["id"] for r in recs] == [c.id for c in cases]
    assert all(r["split"] == splits[r["id"]] and len(r["fetched"]) <= DUMP_K for r in recs)
    assert all(r["fetched"] for r in recs)  # every question retrieved something to learn from


def test_train_fits_calibrates_thresholds_saves_and_reloads_to_the_same_answers(bench, written, synthetic_rankers):
    corpus, cases, path = bench
    models_out, report_out, rep = written

    # fitted: every stage has weights, the calibration is a monotone map, a threshold was chosen
    loaded = SelectionModels.from_dict(json.loads(models_out.read_text(encoding="utf-8")))
    assert set(loaded.kinds) == {"figure", "date"}  # both kinds had >= MIN_KIND_QUESTIONS to train on
    for stage in (loaded.doc_stage1, loaded.doc_stage2, loaded.sentence, loaded.reply_sentence):
        assert any(w != 0.0 for w in stage.weights)
    xs, ys = loaded.calibration.xs, loaded.calibration.ys
    assert list(xs) == sorted(xs) and list(ys) == sorted(ys) and 0.0 <= ys[0] <= ys[-1] <= 1.0
    # the report is the one written, and travels with the models
    assert json.loads(report_out.read_text(encoding="utf-8")) == json.loads(json.dumps(rep))
    val = rep["summary"]["synthetic/none"]
    assert loaded.meta["validation"]["synthetic/none"] == val and val["n"] > 0
    # learned on training questions, judged on validation ones: it picks the right article and
    # sentence over the near misses at least as often as the rules answer right
    assert val["reply_right"] >= 0.9 and val["auroc_right_vs_wrong"] is not None, val

    # the threshold keeps false abstentions at FALSE_ABSTENTION on the training questions
    fitted, _, figures = trainer_mod.train(_items(corpus, path), {BENCH.name: corpus}, log=lambda m: None)
    conf, train_rows = figures["reply_confidence"], figures["train_mask"]
    answerable = [r.item.answerable for r in figures["replies"]]
    kept = [c for c, t, a in zip(conf, train_rows, answerable, strict=True) if t and a]
    assert len(kept) >= trainer_mod.MIN_KIND_QUESTIONS and 0.0 < loaded.abstain_below_nodate <= 1.0
    assert sum(c < loaded.abstain_below_nodate for c in kept) / len(kept) <= trainer_mod.FALSE_ABSTENTION
    assert val["false_abstentions"] <= 0.1  # and on the validation questions

    # reloaded from the file, the models answer exactly as the fitted ones
    assert replace(fitted, meta={}) == replace(loaded, meta={})
    for c in cases:
        a = fake_answerer(corpus.docs.values(), models=fitted).explain(c.question)
        b = fake_answerer(corpus.docs.values(), models=loaded).explain(c.question)
        assert a.answer.to_dict() == b.answer.to_dict(), c.id
        if c.type != "unanswerable":
            assert b.selection is not None, c.id  # learned selection answered, not the rules alone
        elif c.id.startswith("b"):
            # the rules give the ferry count for barges; the models learned to abstain
            assert not b.rule_answer.abstained and b.answer.abstained, c.id


def test_the_same_dump_gives_a_byte_identical_selection_json(bench, written, synthetic_rankers, tmp_path):
    """The reproducibility claim: fixed splits and folds, lbfgs, rounded exports. The dump is
    read and its features prepared afresh, as a second `make train` would."""
    corpus, _, path = bench
    first_models, first_report, _ = written
    again = tmp_path / "selection.json"
    fit_and_write(_items(corpus, path), {BENCH.name: corpus}, again, tmp_path / "training.json", log=lambda m: None)
    assert again.read_bytes() == first_models.read_bytes()
    assert (tmp_path / "training.json").read_bytes() == first_report.read_bytes()


def test_a_stored_threshold_never_abstains_on_the_confidence_its_quantile_answers():
    from assistant.evaluation.training.fit import round_down

    # An isotonic plateau: many replies share one confidence; the quantile lands on it.
    plateau = 0.710383
    assert round_down(plateau) == 0.7103 and not plateau < round_down(plateau)
    assert round(plateau, 4) > plateau  # what the old rounding stored: the plateau abstained
    for x in (0.0, 0.1086959, 0.25, 0.4375, 0.99999, 1.0):
        assert round_down(x) <= x and x - round_down(x) < 1e-4


def test_the_near_miss_threshold_sits_midway_in_its_gap():
    import numpy as np

    from assistant.evaluation.training.forms import nearmiss_threshold

    conf = np.asarray([0.2, 0.5, 0.5, 0.8, 0.9])
    y = np.asarray([0, 0, 1, 1, 1])  # near-misses at 0.2 and 0.5; an answerable but wrong reply at 0.5
    kept_right = np.asarray([False, False, False, True, True])
    # Refusing below 0.8 costs nothing; any threshold in (0.5, 0.8] does that: the middle.
    assert nearmiss_threshold(conf, y, kept_right) == 0.65
    # A right answer at 0.5 moves the cheapest threshold down to it (one near-miss answered).
    assert nearmiss_threshold(conf, y, np.asarray([False, False, True, True, True])) == 0.35
    # Nothing below the cheapest threshold: it stays.
    assert nearmiss_threshold(np.asarray([0.7, 0.9]), np.asarray([1, 1]), np.asarray([True, True])) == 0.7


def test_the_forms_stage_stops_with_the_fix_when_an_index_is_missing(tmp_path):
    from assistant.answer.forms import guard
    from assistant.errors import ConfigError
    from assistant.evaluation.training.forms import FORM_SETS, ask_all

    with pytest.raises(ConfigError) as err:
        ask_all(tmp_path / "shared", tmp_path, tmp_path / "cache", lambda m: None)
    assert "idx-" in str(err.value) and "--stage selection" in str(err.value)
    assert "realtimeqa" in FORM_SETS  # the guard's realtimeqa rows come from the selection stage's index too
    assert guard.ENABLED[0]  # nothing was asked, and the guard is left on
