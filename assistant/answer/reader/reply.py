"""The reply of a learned answer: the short answer first, then the sentence it stands
in, with the confidence that *that answer* is right.

- "London [1] — “London drivers spent …”" when the reader's best span is likely enough
  (``ReaderModels.state_at``); sources that differ on it are shown side by side;
- "Possibly London [1] — “…”" when the best span is likely enough to offer, not to state
  (``ReaderModels.guess_at``), with its own low confidence;
- "Not sure; the closest statement is: “…” [1]" when no span is, with the confidence that
  the sentence holds the answer;
- the best sentence itself for a question that asks for no type of answer (a keyword
  query, a statement);
- "The corpus does not say" below the abstention threshold learned for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.compose import abstain, citation
from assistant.answer.corpus import Corpus
from assistant.answer.kinds.base import SENTENCE_CLIP, clip, relative_note
from assistant.answer.kinds.figure import qualifier_start
from assistant.answer.learned import ReaderModels, SelectionModels
from assistant.answer.reader.reader import Reading
from assistant.answer.reader.spans import CAPITAL, DEMONYM, Span, unit_end, with_quotes_closed
from assistant.answer.selection import Selection
from assistant.models import Answer, Citation, Conflict, Document, Passage
from assistant.text.folding import fold_answer

#: How a reply without a stated answer begins.
NOT_SURE = "Not sure; the closest statement is:"
#: How a reply that offers its best span as a guess begins ("Possibly London [1] — …").
GUESS = "Possibly"


def _rule_reason(rule: Answer) -> str:
    first = rule.text.split("\n", 1)[0]
    return first.removeprefix("The corpus does not say: ").rstrip(".") if rule.abstained else ""


def _from_metadata(rule: Answer, corpus: Corpus) -> bool:
    """Whether the rules' answer is one the cited article's text never writes (its byline)."""
    if rule.abstained or not rule.citations or not rule.answer or rule.citations[0].answer_start >= 0:
        return False
    doc = corpus.doc(rule.citations[0].doc_id)
    return doc is not None and rule.answer not in doc.text


def stated(reading: Reading, reader: ReaderModels | None) -> bool:
    """Whether the reply states the reader's span as the answer."""
    return (reader is not None and reading.wants_span and reading.span is not None
            and reading.confidence >= reader.state_at)


def guessed(reading: Reading, reader: ReaderModels | None) -> bool:
    """Whether the reply offers the reader's span as a guess (likely enough to name, not
    to state)."""
    return (reader is not None and reading.wants_span and reading.span is not None
            and reader.guess_floor <= reading.confidence < reader.state_at)


def reply(models: SelectionModels, reader: ReaderModels | None, sel: Selection, reading: Reading, rule: Answer,
          corpus: Corpus, shown: list[Passage]) -> Answer:
    """The answer for a question learned selection serves (see the module docstring)."""
    retrieved = [d for d, _ in sel.documents] or rule.retrieved
    base = dict(question=rule.question, rewritten=rule.rewritten, notice=rule.notice, kind=rule.kind,
                retrieved=retrieved)
    if _from_metadata(rule, corpus):
        # An answer no sentence states (an author from the byline): no training set has
        # such questions for the reader to learn, so the rules' answer and their own
        # (uncalibrated) confidence stand, as before the reader.
        return replace(rule, retrieved=retrieved)
    say = stated(reading, reader)
    conf = max(sel.confidence, reading.confidence if say else 0.0)
    if sel.doc is None or conf < models.threshold(sel.dated, sel.long):
        why = _rule_reason(rule) or f"the evidence found is too weak (confidence {conf:.2f})"
        return replace(abstain(corpus, shown, why, **base), confidence=conf, calibrated=True)
    if say and reading.span is not None:
        return _short(reading.span, reading.confidence, sel, rule, corpus, base)
    if guessed(reading, reader) and reading.span is not None:
        return _short(reading.span, reading.confidence, sel, rule, corpus, base, lead=f"{GUESS} ")
    doc, s, e = sel.doc, sel.start, sel.end
    sentence = doc.text[s:e]
    lead = f"{NOT_SURE} " if reading.wants_span else ""
    return Answer(text=f"{lead}“{' '.join(sentence.split())}” [1]", answer=sentence, abstained=False,
                  citations=[citation(1, doc, s, e, sel.confidence)], confidence=sel.confidence, calibrated=True,
                  **base)


def chosen_value(conflicts: Sequence[Conflict], key: str) -> Conflict | None:
    """The one of ``conflicts`` (values the sources differ on) that the reader's span, of
    folded text ``key``, writes or stands in; None when it is none of them."""
    return next((c for c in conflicts if (k := fold_answer(c.value)) and key and (k in key or key in k)), None)


def _short(span: Span, conf: float, sel: Selection, rule: Answer, corpus: Corpus, base: dict,
           lead: str = "") -> Answer:
    """"<answer> [n] — “<sentence>”", citing the sentence the span stands in (and the
    sentence that names a speaker, when that is another one); ``lead`` hedges a guess."""
    chosen = chosen_value(rule.conflicts, span.key)
    if chosen is not None:
        # Sources differ on this very value: every source is shown, with its date; the short
        # answer is the value the reader chose among them, not the first source's.
        return replace(rule, answer=chosen.value, confidence=conf, calibrated=True, retrieved=base["retrieved"])
    if "RULE" in span.sources and span.start >= 0 and not rule.abstained and rule.text:
        # The reader chose the rules' own answer: their reply form stays (its notes, such as
        # a date read from the dateline, and every sentence it cites), with the reader's
        # confidence in it.
        out = replace(rule, text=lead + rule.text, confidence=conf, calibrated=True, retrieved=base["retrieved"])
        return _rule_with_unit(out, corpus.doc(span.doc_id))
    doc = corpus.doc(span.doc_id)
    span = with_unit(span, doc) if not span.sources & {DEMONYM, CAPITAL} else span
    # "“Goblin mode": the quotation its noun phrase opened, closed as the text closes it (a
    # matter of how the answer is written, so after the confidence was read).
    span = with_quotes_closed(span, doc)
    sents = _cited(span, sel, rule, doc)
    if doc is None or not sents:
        return replace(rule, confidence=conf, calibrated=True, retrieved=base["retrieved"])
    cites: list[Citation] = [citation(n, doc, s, e, conf, (span.start, span.end)) for n, (s, e) in
                             enumerate(sents, start=1)]
    markers = "".join(f"[{c.n}]" for c in cites)
    note = relative_note(span.mention, doc)
    if "META" in span.sources:
        note += " (from the article's byline)"
    if DEMONYM in span.sources and doc is not None:
        note += f" (the article says “{doc.text[span.start:span.end]}”)"
    if CAPITAL in span.sources and doc is not None:
        note += f" (the article names its capital, {doc.text[span.start:span.end]})"
    quoted = clip(doc.text[sents[0][0]:sents[0][1]], SENTENCE_CLIP)
    return Answer(text=f"{lead}{span.text} {markers}{note} — “{quoted}”", answer=span.text, abstained=False,
                  citations=cites, confidence=conf, calibrated=True, **base)


def figure_end(doc: Document, start: int, end: int) -> int:
    """Where the answer ``doc.text[start:end]`` ends with its figure's unit and rate
    (``spans.unit_end``): the figure it ends with ("nearly $1 million", a phrase), or ``end``."""
    m = next((x for x in doc.mentions if x.kind == "FIGURE" and x.end == end and x.start >= start), None)
    return unit_end(doc.text, end, m.unit or "") if m is not None else end


#: Qualifiers ingest records before a figure that bound or approximate its value, and so are
#: part of it ("*more than* 1,000 people" is not 1,000 people). Not emphasis ("only 9%", "a
#: total of 31"), an increment ("another 500"), a range's end, nor "over"/"under"/"above"/
#: "below", which as often place a figure in time or on a scale ("over 10 years").
_OF_THE_VALUE = frozenset({"no fewer than", "no more than", "not more than", "not less than", "more than",
                           "less than", "fewer than", "greater than", "at least", "at most", "up to", "as many as",
                           "as much as", "as few as", "as little as", "close to", "upwards of", "in excess of",
                           "just over", "just under", "well over", "nearly", "almost", "about", "around",
                           "approximately", "roughly", "some", "an estimated", "estimated"})


def figure_start(doc: Document, start: int, end: int) -> int:
    """Where the answer ``doc.text[start:end]`` starts with the bound or approximation its
    figure was written with ("*nearly* $1 million", "*more than* 170"; ``Mention.qualifier``),
    or ``start``: "more than 1,000 people" is not 1,000 people."""
    m = next((x for x in doc.mentions if x.kind == "FIGURE" and x.start == start and x.end <= end
              and x.qualifier.lower() in _OF_THE_VALUE), None)
    return start if m is None else qualifier_start(doc.text, m)


def with_unit(span: Span, doc: Document | None) -> Span:
    """A figure's span with its qualifier, the noun it counts and its rate."""
    if doc is None or span.start < 0:
        return span
    start, end = figure_start(doc, span.start, span.end), figure_end(doc, span.start, span.end)
    if (start, end) == (span.start, span.end):
        return span
    return replace(span, start=start, end=end, text=doc.text[start:end])


def _rule_with_unit(ans: Answer, doc: Document | None) -> Answer:
    """The rules' reply with its figure's unit and rate, where its short answer is marked
    in its first citation."""
    c = ans.citations[0] if ans.citations else None
    if doc is None or c is None or c.answer_start < 0 or c.doc_id != doc.doc_id or not ans.answer \
            or doc.text[c.answer_start:c.answer_end] != ans.answer or ans.answer not in ans.text:
        return ans
    end = figure_end(doc, c.answer_start, c.answer_end)
    if end <= c.answer_end:
        return ans
    longer = doc.text[c.answer_start:end]
    return replace(ans, answer=longer, text=ans.text.replace(ans.answer, longer, 1),
                   citations=[replace(c, answer_end=end), *ans.citations[1:]])


def _cited(span: Span, sel: Selection, rule: Answer, doc: Document | None) -> Sequence[tuple[int, int]]:
    """The sentences to cite for ``span``: the ranked sentence it was found in, then the
    sentence that holds the span itself if that is another (a speaker named before the quote)."""
    if doc is None:
        return []
    if 0 <= span.sent < len(sel.ranked):
        r = sel.ranked[span.sent]
        out = [(r.start, r.end)]
    elif rule.citations:  # the rule pipeline's answer, from a sentence learned selection did not rank
        c = rule.citations[0]
        out = [(c.start, c.end)]
    else:
        return []
    if span.start >= 0 and not (out[0][0] <= span.start < out[0][1]):
        s, e = doc.sentence_at(span.start)
        if e > s:
            out.append((s, e))
    return out
