"""The confidence a reader's reply shows: the probability that *what it states* is right.

The span model's calibrated confidence (``reader.read``) was fitted on its own best span,
before the re-ranker's second look and the asked-type step chose the span the reply
states; it also knows nothing of how the re-ranker weighed that span. On realtimeqa 2024
(validation) replies offered as a guess ("Possibly …", shown at about 0.35) were right
54.5% of the time, as often as stated ones shown at 0.5-0.7, and the shown confidence
told right from wrong with an AUROC of 0.754.

So the reply's confidence is read again from everything the reader saw, as one row of
``CONFIDENCE_FEATURES``: how sure the first look and selection were, what the reply does
with the span (states it, offers it as a guess, or gives the sentence), how the re-ranker
scored it against the others and the evidence it counted (documents and sentences that
write the same value, the fit of its kind to the question, its meaning against the asked
noun), and the span model's own row of it. A logistic regression and an isotonic map over
its out-of-fold probabilities (``make train``, ``training.confidence``) turn the row into
the probability shown, and the reply's words follow it: its span is stated from the
reader's ``state_at`` (a probability of being right of about one half) and offered as a
guess ("Possibly …") below it. Whether the reply offers a span at all, or only its
sentence, and whether it abstains, stay the span model's and selection's decisions, whose
thresholds were fitted on their own confidences. (On realtimeqa 2024, hedging by the
shown confidence: 85 guesses right 45.9% of the time and 494 stated answers right 78.9%,
against 99 and 480 at 54.5% and 78.1% hedged by the span model's.)

Pure functions: no index, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from assistant.answer.learned import ConfidenceModel, ReaderModels
from assistant.answer.reader.reader import Reading
from assistant.answer.reader.reply import GUESS, guessed, stated
from assistant.answer.reader.rerank import RERANK_K
from assistant.answer.selection import Selection

#: A probability is read as its log-odds, clipped to [EPS, 1 - EPS] (log-odds within
#: about +-9.2: the calibrated confidences the reader and selection show are rounded to
#: 4 decimals, so nothing finer is written).
EPS = 1e-4
#: Cap on the log-odds gap between the first and the second span (the span model's
#: ``features.GAP_CAP``: beyond it, no news).
GAP_CAP = 10.0
#: The re-ranker's row of the span (``rerank.RERANK_FEATURES``) that enters, as ``look_<f>``:
#: the evidence it counted, not its rank bookkeeping (``z``, ``gap``, ``r_inv``, ``top``),
#: which ``look_p`` and ``look_gap`` already carry.
LOOK_COPIED = ("docs_p", "docs_n", "docs_other", "sents_n", "fit", "misfit", "h_has", "h_sim", "h_gap", "tk",
               "inside_better")
#: The span model's row of the span (``features.span_features``) that enters, as ``span_<f>``:
#: how strongly the evidence around it matches the question.
SPAN_COPIED = ("agree", "agree_n", "q_share", "doc_p", "sent_p", "head_near", "head_in", "prox")
#: Question kinds with a flag of their own (the rest, "other", is the baseline).
KIND_FLAGS = ("speaker", "figure", "entity", "date")
CONFIDENCE_FEATURES = (
    "span_logit", "sent_logit", "guessed", "sentence", "look_p", "look_gap", "first_p", "moved", "retyped",
    *(f"k_{k}" for k in KIND_FLAGS), "n_words",
    *(f"look_{f}" for f in LOOK_COPIED), *(f"span_{f}" for f in SPAN_COPIED),
)
#: Tried and left out (out of fold on realtimeqa's training replies, AUROC 0.781 with the
#: features above): what the question asks for (``features.ASKS``) 0.767, the span's groups
#: 0.770, the rules' vote and the asked unit 0.771, its capitals, digits and rarity 0.782
#: (no gain); all of them at once 0.753. Some 800 rows do not carry more.


def logit(p: float) -> float:
    p = min(max(p, EPS), 1.0 - EPS)
    return math.log(p / (1.0 - p))


def share(scores: Sequence[float]) -> tuple[float, float]:
    """(the first score's softmax share among ``scores``, its gap to the second), over the
    first ``RERANK_K``: how clearly the first won."""
    top = list(scores[:RERANK_K])
    if not top:
        return 0.0, 0.0
    z1 = top[0]
    soft = 1.0 / sum(math.exp(max(-50.0, z - z1)) for z in top)
    gap = min(GAP_CAP, z1 - top[1]) if len(top) > 1 else GAP_CAP
    return soft, gap


def features(kind: str, reading: Reading, sel: Selection, reader: ReaderModels | None) -> dict[str, float]:
    """The row of one reader reply (see the module docstring); ``kind``: the question's
    kind (``QuestionKind`` value)."""
    x = dict.fromkeys(CONFIDENCE_FEATURES, 0.0)
    x["span_logit"] = logit(reading.confidence)
    x["sent_logit"] = logit(sel.confidence)
    say, guess = stated(reading, reader), guessed(reading, reader)
    x["guessed"] = float(guess)
    x["sentence"] = float(not say and not guess)
    final = [z for z, _ in reading.scored]
    first = [z for z, _ in reading.first_look] or final
    x["look_p"], x["look_gap"] = share(final)
    x["first_p"], _ = share(first)
    top = reading.scored[0][1] if reading.scored else None
    x["moved"] = float(bool(reading.first_look) and top is not reading.first_look[0][1])
    x["retyped"] = float(top is not None and reading.span is not top)
    if kind in KIND_FLAGS:
        x[f"k_{kind}"] = 1.0
    x["n_words"] = math.log1p(reading.span.words) if reading.span is not None else 0.0
    _copy(x, "look_", reading.look, LOOK_COPIED)
    _copy(x, "span_", reading.rows[0] if reading.rows else {}, SPAN_COPIED)
    return x


def _copy(x: dict[str, float], prefix: str, row: Mapping[str, float], names: Sequence[str]) -> None:
    for f in names:
        x[prefix + f] = float(row.get(f, 0.0))


def shown(model: ConfidenceModel | None, x: Mapping[str, float], fallback: float) -> float:
    """The confidence to show: the model's probability for row ``x``, or ``fallback`` (the
    reply's own) without a model."""
    return fallback if model is None else model(x)


def hedged(text: str, short: str, x: Mapping[str, float], conf: float, reader: ReaderModels | None) -> str:
    """The reply ``text`` with its short answer ``short`` stated or offered as a guess by
    the confidence it shows: "Possibly" below the reader's ``state_at``, none from it. A
    reply that does not lead with its short answer keeps its words (one that gives only its
    sentence, or sources that differ on the value, side by side)."""
    lead = f"{GUESS} "
    if reader is None or x.get("sentence") or not short or not text.removeprefix(lead).startswith(short):
        return text
    if conf >= reader.state_at:
        return text.removeprefix(lead)
    return text if text.startswith(lead) else lead + text
