"""Training questions asked through the product path under both regimes of the extractive
reader, for the stages fitted on what the committed models say (``training.rerank``,
``training.confidence``).

Every answerable training question of a set is asked with the committed extractive reader,
whose adapter was fitted on these very questions, so its first span is right more often
than on new questions; and again, where ``make train`` left the out-of-fold adapters in the
cache, with the adapter fitted without the question's part (each on half the questions,
``training.extractive``), right less often (README: best-scored candidate right 0.342 on
training questions out of fold against 0.564 on validation). A new question stands between
the two, so a stage learns from both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from assistant.evaluation.training.data import SETS, cases, split_of
from assistant.evaluation.training.fit import fold_of

#: The regimes: the committed reader's scores, and the out-of-fold adapters'.
TOKEN_REGIMES = ("final", "part")


class Asked(Protocol):
    """What a stage keeps of one asked question: it records the regime it was asked in."""

    regime: str


#: A stage's asking: (answerer, set name, cases, log) -> what it keeps of them.
Ask = Callable[[Any, str, Sequence[Any], Callable[[str], None]], Sequence[Asked]]


def part_scorers(cache: Path) -> list[Any]:
    """The extractive reader's out-of-fold adapters ``make train`` left in ``cache/tokens``
    (part ``f``'s adapter was fitted without the training questions of part ``f``), as
    token scorers; [] when a part's adapter is missing."""
    from assistant.evaluation.training.extractive import TOKEN_FOLDS, cached_scorer
    from assistant.index.embedding import minilm_path

    work = cache / "tokens"
    paths = [work / f"fold{f}.npz" for f in range(TOKEN_FOLDS)]
    if not all(p.is_file() for p in paths):
        return []
    return [cached_scorer(p, Path(minilm_path())) for p in paths]


def ask_regimes(shared: Path, project: Path, cache: Path, sets: Sequence[str], ask: Ask, stage: str,
                log: Callable[[str], None] = print, **answerer: Any) -> list[Any]:
    """``ask`` over the answerable training questions of each of ``sets`` (over its
    ``cache/idx-<set>``) in both ``TOKEN_REGIMES``; ``answerer``: keyword arguments of the
    ``Answerer`` they are asked through (the stage's own model off); ``stage`` names the
    stage in the log."""
    from assistant.answer.answerer import Answerer
    from assistant.answer.corpus import IndexCorpus
    from assistant.api import Assistant

    parts = part_scorers(cache)
    if not parts:
        log(f"{stage}: no out-of-fold reader adapters in {cache / 'tokens'}: the committed reader's scores only")
    out: list[Any] = []
    for name in sets:
        bench = SETS[name]
        todo = [c for c in cases(bench, shared, project) if split_of(bench, c) == "train" and c.type != "unanswerable"]
        asst = Assistant.open(index_dir=cache / f"idx-{name}")
        try:
            corpus = IndexCorpus(asst.local)
            out += ask(Answerer(asst.retriever, corpus, **answerer), name, todo, log)
            for f, scorer in enumerate(parts):
                mine = [c for c in todo if fold_of(f"{name}/{c.id}") % len(parts) == f]
                got = ask(Answerer(asst.retriever, corpus, tokens=scorer, **answerer), name, mine, log)
                for g in got:
                    g.regime = TOKEN_REGIMES[1]
                out += got
                scorer.save()
        finally:
            asst.close()
    return out
