"""The near-miss guard: a question about an article's topic that asks a detail no
article gives ("how much did the fundraiser raise", when the article only says it took
place) is refused rather than answered with the nearest value of another kind or period.

A learned model (``nearmiss`` in ``forms.json``, fitted by ``make train`` on
natural-train's answerable and near-miss questions and the seed cases) reads the reply
the answerer is about to give: how much of the question's rarest words the cited
sentence, its paragraph and its article lack, whether a figure of the asked quantity
stands in the cited sentence, the question's years and names, and the kind; not the
answer's own confidence, which is the selection models' business (with it, the guard refused
right answers over small corpora whose confidences run low). Below its threshold the reply becomes an abstention whose
reason is the feature that weighed most against answering: the reason shown is the
one the model used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.compose import abstain
from assistant.answer.corpus import Corpus, coverage
from assistant.answer.evidence import name_keys, name_present, paragraph_of, required_names, stems
from assistant.answer.forms.features import rare_gap
from assistant.answer.forms.model import choice
from assistant.answer.kinds.figure import unit_score
from assistant.answer.question import FORM_CUES, QuestionAnalysis
from assistant.answer.reader.reply import GUESS, NOT_SURE
from assistant.models import Answer, Document, Passage
from assistant.text.folding import fold

#: Question kinds the guard reads (the forms beyond a factoid judge their own replies).
GUARDED = ("date", "figure", "entity", "speaker", "quote", "other")
#: Focus words that name what is asked ("what was [voter turnout] in ...", "how many
#: [copies] ..."): the question's first content words.
HEAD_WORDS = 2
_FORM_STEMS = frozenset(t for w in (*FORM_CUES, "count", "whole") for t in stems(w))
#: The guard's inputs.
NEARMISS_FEATURES = (
    "miss_sent", "miss_par", "miss_doc", "n_miss_doc", "unit_miss", "year_miss", "name_miss",
    "miss_head", "frame_cover", "has_frame", "subject_miss",
    "k_figure", "k_quote", "k_date", "k_entity", "k_speaker", "k_other", "typed", "hedged", "name_miss_par",
    "doc_size", "miss_doc_long", "n_miss_long",
)
#: Article lengths (characters) that ``doc_size`` maps to 0 and to 1, on a log scale: about a
#: one-sentence news snippet and a full article (measured on the raw texts of ../shared: 90% of
#: realtimeqa's snippets run 160-590 characters; polnear's articles 1,000-9,600, median 4,100;
#: the seeds 3,000-4,600). A word a snippet lacks says little about whether the corpus gives the
#: asked detail; a word a whole article about the topic lacks says much, so the article-level
#: misses are also read scaled by the article's size (weights learned by ``make train``).
DOC_SIZE_RANGE = (100, 10_000)


def doc_size(text: str) -> float:
    """0 for a snippet, 1 for a full article (``DOC_SIZE_RANGE``), log-linear between."""
    lo, hi = DOC_SIZE_RANGE
    return min(max(math.log(max(len(text), 1) / lo) / math.log(hi / lo), 0.0), 1.0)


def features(corpus: Corpus, qa: QuestionAnalysis, answer: Answer) -> tuple[dict[str, float], dict[str, str]]:
    """(features, what each reason would name) for the reply ``answer`` to ``qa``."""
    cite = answer.citations[0] if answer.citations else None
    doc: Document | None = corpus.doc(cite.doc_id) if cite is not None else None
    # The question's words other than its names: names are checked as names (``name_miss``, by
    # transliteration key), not as words a passage must repeat ("Harbor City" is "the city").
    # Nor the words that only shape the question ("how much *higher* is the *count* ...",
    # ``question.FORM_CUES``): a passage need not repeat them.
    named = {t for n in qa.names for t in stems(n)} | _FORM_STEMS
    want = [t for t in qa.focus if t not in named]
    x = {f: 0.0 for f in NEARMISS_FEATURES}
    why: dict[str, str] = {}
    x[f"k_{qa.kind.value}"] = 1.0 if f"k_{qa.kind.value}" in x else 0.0
    # The reply hedges (the reader's "Possibly …" or "Not sure; …"): its own doubt, in words
    # the user sees, not a confidence on another scale.
    x["hedged"] = float(answer.text.startswith((GUESS, NOT_SURE)))
    x["typed"] = float(bool(answer.answer) and cite is not None and answer.answer.strip() != cite.quote.strip())
    if doc is None or cite is None:
        return x, why
    sent = doc.text[cite.start: cite.end]
    ps, pe = paragraph_of(doc, cite.start)
    x["miss_sent"], _ = rare_gap(corpus, want, stems(sent))
    x["miss_par"], _ = rare_gap(corpus, want, stems(doc.text[ps:pe] + " " + doc.title))
    x["miss_doc"], lacked = rare_gap(corpus, want, stems(doc.title + " " + doc.text))
    x["n_miss_doc"] = float(len(lacked))
    x["doc_size"] = doc_size(doc.text)
    x["miss_doc_long"] = x["miss_doc"] * x["doc_size"]
    x["n_miss_long"] = x["n_miss_doc"] * x["doc_size"]
    if lacked:
        why["miss_doc"] = why["n_miss_doc"] = f"the article it comes from never mentions {', '.join(lacked[:3])}"
        why["miss_doc_long"] = why["n_miss_long"] = why["miss_doc"]
    par_lacked = rare_gap(corpus, want, stems(doc.text[ps:pe] + " " + doc.title))[1]
    if par_lacked:
        why["miss_par"] = why["miss_sent"] = f"the closest passage does not mention {', '.join(par_lacked[:3])}"
    head = want[:HEAD_WORDS]
    x["miss_head"], head_lacked = rare_gap(corpus, head, stems(sent))
    if head_lacked:
        why["miss_head"] = f"the closest passage does not mention {', '.join(head_lacked)}"
    span = [m for m in doc.mentions if cite.answer_start >= 0 and m.start <= cite.answer_start < m.end]
    if span and span[0].frame:
        x["has_frame"] = 1.0
        frame = {t for w in span[0].frame for t in stems(w)}
        x["frame_cover"] = coverage(corpus, want, frame)
        why["has_frame"] = f"the {span[0].text} found is not said of {' '.join(head) or 'what was asked'}"
    if qa.subject:
        keys, folded = name_keys(sent), fold(sent)
        if not name_present(qa.subject, keys, folded):
            x["subject_miss"] = 1.0
            why["subject_miss"] = f"the closest passage does not quote {qa.subject}"
    if qa.kind.value == "figure" and qa.unit:
        figs = [m for m in doc.mentions if m.kind == "FIGURE" and cite.start <= m.start and m.end <= cite.end]
        if not any(unit_score(qa, m) not in (None, 0.0) for m in figs):
            x["unit_miss"] = 1.0
            what = {"percent": "share", "money": "sum of money", "length": "length"}.get(qa.unit, qa.unit)
            why["unit_miss"] = f"no figure of the {what} asked for stands in the closest passage"
    if qa.years:
        absent = [y for y in qa.years if y not in doc.text and y not in (doc.date or "")]
        x["year_miss"] = len(absent) / len(qa.years)
        if absent:
            why["year_miss"] = f"the closest article does not concern {', '.join(absent)}"
    names = required_names(corpus, qa)
    if names:
        keys, folded = name_keys(doc.title + " " + doc.text), fold(doc.title + " " + doc.text)
        gone = [n for n in names if not name_present(n, keys, folded)]
        x["name_miss"] = len(gone) / len(names)
        if gone:
            why["name_miss"] = f"the closest article does not mention {', '.join(gone)}"
        around = doc.text[ps:pe]
        keys, folded = name_keys(around), fold(around)
        away = [n for n in names if not name_present(n, keys, folded)]
        x["name_miss_par"] = len(away) / len(names)
        if away:
            why["name_miss_par"] = f"the closest passage does not mention {', '.join(away)}"
    return x, why


def reason(x: dict[str, float], why: dict[str, str], linear) -> str:
    """The feature that weighed most against answering, in words."""
    pushes = sorted(((w * x.get(f, 0.0), f) for f, w in zip(linear.features, linear.weights, strict=True)),
                    key=lambda t: t[0])
    for push, f in pushes:
        if push < 0 and f in why:
            return why[f]
    return ""


#: Off while ``make train`` asks its questions (the guard's rows are the replies it judges).
ENABLED = [True]


def guard(corpus: Corpus, qa: QuestionAnalysis | None, answer: Answer, shown: Sequence[Passage]) -> Answer:
    """``answer``, or an abstention when the near-miss model judges the question asks a
    detail the evidence does not give."""
    model = choice("nearmiss")
    if not ENABLED[0] or model is None or qa is None or answer.abstained or qa.kind.value not in GUARDED:
        return answer
    x, why = features(corpus, qa, answer)
    p = model(x)
    if p >= model.abstain_below:
        return answer
    said = reason(x, why, model.linear)
    if not said:
        return answer  # no evidence feature weighed against it: nothing true to say, so no refusal
    base = dict(question=answer.question, rewritten=answer.rewritten, notice=answer.notice, kind=answer.kind,
                retrieved=answer.retrieved)
    out = abstain(corpus, shown, said, **base)
    return replace(out, confidence=round(p, 4), calibrated=True)

