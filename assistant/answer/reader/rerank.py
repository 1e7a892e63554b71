"""A second look at the reader's best spans: a small learned re-ranker over its top few.

The span model (``reader.read``) scores every candidate of the best sentences on its own
features. This stage re-orders only its first ``RERANK_K`` spans, on what the span model
cannot see from one span's row:

- the span model's own score and its margin to the best (how sure the first look was);
- how many of the retrieved documents write the same value (a redundancy vote: a weekly
  quiz's answer is news, so several articles name it), and their re-ranker probabilities;
- how many of the kept ranked sentences write it (beyond the three the span model reads);
- whether it is part of a better-scored span, or holds one ("Trump" inside "Donald
  Trump"): one answer's variants compete with each other, not with the other answers;
- whether its kind is the one the question asks for (a person for "who", a place for
  "where"), and how close its meaning is to the noun phrase a "which"/"what" question asks
  about (MiniLM's cosine of "city" and "Buenos Aires" is 0.45, of "city" and "Argentina"
  0.37; of "award show" and "Tony Awards" 0.66, of "award show" and "Broadway" 0.37).

The model is a conditional logit (``make train``, ``training.rerank``) over those
features; its score orders the first ``RERANK_K`` spans. The reply's confidence stays the
span model's in its own best span (``MOVED_RIGHT``). Pure given the model: no index, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from assistant.answer.learned import Linear
from assistant.answer.reader.features import GAP_CAP, LABEL_GROUP, QuestionFrame
from assistant.answer.reader.spans import Span
from assistant.answer.selection.selector import Ranked
from assistant.models import QuestionKind
from assistant.text.folding import fold_answer

#: Spans re-ranked: the span model's best eight; the rest keep its order. On the 891
#: realtimeqa training questions (product path, ``training.rerank``, committed reader
#: scores) the first five hold a right span for 752, the first eight for 762 (760 of 891
#: with out-of-fold reader scores, against 741); with the wh-phrase features the first
#: span is right out of fold for 649 with eight, 646 with five (597 and 598 with the
#: out-of-fold scores). Realtimeqa 2024 (validation): README "Re-ranker".
RERANK_K = 8
#: Retrieved documents (best first by selection's re-ranker) whose texts vote for a value.
#: Selection reads the sentences of its top 3; 5 lets a value the top documents share with
#: the next two count, at the cost of folding five texts per question. Reasoned, not swept.
DOC_VOTES = 5
#: What a span kind is, per what a question asks for (``features.ASKS``): the span groups
#: (``features.GROUPS``) that answer it. "thing" and "none" have no fitting kind.
FITS: Mapping[str, frozenset[str]] = {
    "person": frozenset({"person", "speaker"}), "org": frozenset({"org"}), "place": frozenset({"place"}),
    "norp": frozenset({"norp"}), "date": frozenset({"date"}), "count": frozenset({"figure"}),
    "money": frozenset({"figure"}), "percent": frozenset({"figure"}),
}
#: Question kinds the re-ranker leaves alone: a who-said question's answer is the quote
#: index's speaker, which the span model already puts first for 585 of the 614 polnear
#: training questions with a right span among its first five (product path). A re-ranker
#: fitted on realtimeqa and the seeds (this stage's first version, committed reader scores
#: only) moved those 585 -> 579; one fitted with a quarter of polnear's training questions
#: too left them at 585 out of fold and cost realtimeqa 11 of its 24 out-of-fold gains.
FIRST_LOOK_KINDS = frozenset({QuestionKind.SPEAKER})
#: Out of fold on the realtimeqa and seed training questions (not who-said; product path,
#: both token regimes of ``training.rerank``; the model's ``meta``), the re-ranker put
#: another span first for 224; the span model's own best was right for 99 of them, the
#: re-ranker's for 127. So the span model's calibrated confidence in its best span, which
#: the reply shows and the thresholds for stating, guessing and abstaining were fitted on,
#: is kept for the span the re-ranker puts first: on average it understates it. (Tried: the
#: re-ranked scores fed to the span model's confidence model inflated it, and realtimeqa-
#: noanswer 2024 abstained on 40 of 72 instead of 44; a confidence model of its own,
#: fitted on these product-path rows, moved 40 of realtimeqa 2024's replies to "Not sure":
#: short 0.6234 -> 0.6219.)
MOVED_RIGHT = (224, 99, 127)
#: Vectors for texts, one row each (the query embedder's ``embed_queries``).
Embed = Callable[[Sequence[str]], np.ndarray]
#: The re-ranker's features (see the module docstring).
RERANK_FEATURES = (
    "z", "gap", "r_inv", "top", "tk", "tk_gap", "docs_n", "docs_p", "docs_other", "sents_n",
    "inside_better", "around_better", "fit", "misfit", "q_share", "n_words", "h_has", "h_sim", "h_gap",
)
#: The span model's log-odds beyond +-Z_CAP say no more (its scores fall within about +-15
#: on the training questions) and /Z_CAP keeps them near unit scale.
Z_CAP = 20.0


def votes_of(texts: Sequence[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """(doc id, folded text padded with spaces, probability) of the voting documents, from
    their (doc id, text, probability)."""
    return [(d, f" {fold_answer(t)} ", p) for d, t, p in texts[:DOC_VOTES]]


def _groups(span: Span) -> set[str]:
    return {LABEL_GROUP[s] for s in span.sources if s in LABEL_GROUP}


def _cap(z: float) -> float:
    return min(Z_CAP, max(-Z_CAP, z))


def features(qf: QuestionFrame, scored: Sequence[tuple[float, Span]], rows: Sequence[Mapping[str, float]],
             ranked: Sequence[Ranked], votes: Sequence[tuple[str, str, float]],
             sims: Sequence[float] | None = None) -> list[dict[str, float]]:
    """One row per span of the first ``RERANK_K`` of ``scored`` (the span model's log-odds
    and span, best first; ``rows`` its feature rows, aligned); ``votes``: ``votes_of``;
    ``sims``: each of those spans' cosine to the question's wh-phrase (``head_sims``), or
    None when the question has none or no embedder is at hand."""
    top = scored[:RERANK_K]
    best_sim = max(sims) if sims else 0.0
    z1 = _cap(top[0][0]) if top else 0.0
    sents = [f" {fold_answer(r.doc.text[r.start:r.end])} " for r in ranked]
    keys = [sp.key for _, sp in top]
    fits = FITS.get(qf.asks)
    out: list[dict[str, float]] = []
    for i, (z, sp) in enumerate(top):
        row = rows[i] if i < len(rows) else {}
        key = keys[i]
        pad = f" {key} "
        hits = [(d, p) for d, text, p in votes if key and pad in text]
        groups = _groups(sp)
        better = keys[:i]
        f = {
            "z": _cap(z) / Z_CAP,
            "gap": max(-GAP_CAP, _cap(z) - z1) / GAP_CAP,
            "r_inv": 1.0 / (i + 1),
            "top": float(i == 0),
            "tk": float(row.get("tk", 0.0)),
            "tk_gap": float(row.get("tk_gap", 0.0)),
            "docs_n": math.log1p(len(hits)),
            "docs_p": sum(p for _, p in hits),
            "docs_other": float(any(d != sp.doc_id for d, _ in hits)),
            "sents_n": math.log1p(sum(1 for s in sents if key and pad in s)),
            "inside_better": float(any(k != key and pad in f" {k} " for k in better)),
            "around_better": float(any(k != key and k and f" {k} " in pad for k in better)),
            "fit": float(fits is not None and bool(groups & fits)),
            "misfit": float(fits is not None and bool(groups) and not groups & fits),
            "q_share": float(row.get("q_share", 0.0)),
            "n_words": math.log1p(sp.words),
            "h_has": float(bool(sims)),
            "h_sim": sims[i] if sims else 0.0,
            "h_gap": sims[i] - best_sim if sims else 0.0,
        }
        out.append(f)
    return out


def head_sims(phrase: str, spans: Sequence[Span], embed: Embed | None
              ) -> list[float] | None:
    """The cosine of each span's text to ``phrase`` (``features.head_phrase``) under
    ``embed`` (one row per text), or None without a phrase or an embedder. Rows are scaled
    to unit length here: a caller's embedder need not return unit vectors."""
    if not phrase or embed is None or not spans:
        return None
    vecs = np.asarray(embed([phrase, *(sp.text for sp in spans)]), dtype=np.float32)
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    return [round(float(v @ vecs[0]), 6) for v in vecs[1:]]


def reorder(model: Linear, scored: Sequence[tuple[float, Span]], rows: Sequence[dict[str, float]],
            feats: Sequence[Mapping[str, float]]) -> tuple[list[tuple[float, Span]], list[dict[str, float]]]:
    """``scored`` and ``rows`` with the first ``len(feats)`` spans scored by ``model`` and
    re-ordered (best first); the others keep their order and scores after them."""
    n = len(feats)
    head = sorted(((model(f), i) for i, f in enumerate(feats)), key=lambda t: (-t[0], t[1]))
    new = [(z, scored[i][1]) for z, i in head] + list(scored[n:])
    new_rows = [rows[i] for _, i in head] + list(rows[n:])
    # Spans past the head keep their place below it: never above the head's last score.
    floor = min((z for z, _ in new[:n]), default=0.0)
    new[n:] = [(min(z, floor), sp) for z, sp in new[n:]]
    return new, new_rows

