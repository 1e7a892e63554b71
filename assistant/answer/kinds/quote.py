"""Who said what: "Who said '...'?" (the speaker of a quoted fragment) and "What did
X say about Y?" (X's statement on Y), both from the quote index built at ingest."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.evidence import Candidate, Evidence, Sent, paragraph_of, stems
from assistant.answer.kinds.base import TypedKind, clip
from assistant.answer.kinds.registry import register
from assistant.answer.question import NOUN_LABEL
from assistant.answer.quote_match import match_quote
from assistant.models import Document, QuestionKind, QuoteRecord
from assistant.text.folding import fold
from assistant.text.names import speakers_match
from assistant.text.tokens import tokenize

#: A "what did X say" answer: at most this many sentences of one continuous statement,
#: and no sentence is added once it runs past this many words. Set by hand on
#: eval/seeds.jsonl.
QUOTE_SENTENCES, QUOTE_WORDS = 2, 60
#: Quote matches kept for "who said '...'", and their score: base + weight x match score.
#: Set by hand on the polnear benchmark.
MATCHES_KEPT, MATCH_BASE, MATCH_WEIGHT = 5, 0.4, 0.6
#: Scores of a statement ("what did X say about Y"): base, topic coverage, retrieval
#: prior of its article; the coverage when the question names no topic. Set by hand.
STATEMENT_BASE, STATEMENT_W_TOPIC, STATEMENT_W_PRIOR, NO_TOPIC_COVERAGE = 0.45, 0.4, 0.15, 0.5
#: Scores of a speaker found by topic: base, coverage, prior, and the penalty when the
#: speaker is one of the question's own names. Set by hand.
SPEAKER_BASE, SPEAKER_W_TOPIC, SPEAKER_W_PRIOR, OWN_NAME_PENALTY = 0.25, 0.6, 0.15, 0.2
#: The quote index's attribution confidence scales a candidate by (floor + (1-floor) x c).
CONFIDENCE_FLOOR = 0.7
#: A sentence of which less than this share of words is new (not in the question, not
#: the speaker, not a speech verb) only frames the statement. Set by hand.
FRAMING_NOVELTY = 0.5
#: Directly quoted words must fill this share of a sentence to be shown as the speaker's
#: own words (less: a quoted phrase inside reported speech). Set by hand.
DIRECT_SHARE = 0.4
#: Characters of the quote shown after a speaker's name.
QUOTE_CLIP = 160

#: Words of attribution that add nothing to what was said.
_FRAMING = frozenset(tokenize("earlier later also said says told responded reacted commented replied added noted "
                              "stated claimed claim accusations remarks"))
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i"})


def _overlaps(spans: set[tuple[str, int, int]], doc_id: str, r: QuoteRecord) -> bool:
    return any(x[0] == doc_id and x[1] < r.end and x[2] > r.start for x in spans)


def sent_at(by_pos: dict[tuple[str, int], Sent], d: Document, s: int, e: int, score: float) -> Sent:
    """The evidence sentence at ``s:e`` (a new one if retrieval did not bring it),
    scored at least ``score``."""
    st = by_pos.get((d.doc_id, s))
    if st is None or st.end != e:
        st = Sent(d, s, e, st.index if st else 0, st.prior if st else 0.0, st.rank if st else 0,
                  st.score if st else 0.0)
    st.score = max(st.score, score)
    return st


def statement_run(d: Document, r: QuoteRecord, s: int, e: int, limit: int) -> list[tuple[Document, int, int]]:
    """The sentences right after ``s:e`` that carry on the same speaker's statement
    (attributed to the same speaker by the quote index, in the same paragraph), at most
    ``limit``: what someone said about a topic often runs over a few sentences
    ("X warned that ... He asserted that ..."), and a framing sentence ("Turning to
    ..., X said") is no answer without the next."""
    if limit <= 0:
        return []
    pe = paragraph_of(d, s)[1]
    spans = [(q.start, q.end) for q in d.quotes
             if q.start < pe and q.end > e and speakers_match(q.speaker, r.speaker)]
    out: list[tuple[Document, int, int]] = []
    words = len(d.text[s:e].split())
    for ss, ee in d.sentences_in(e, pe):
        if ss < e:
            continue
        if len(out) >= limit or words > QUOTE_WORDS or not any(a < ee and b > ss for a, b in spans):
            break
        out.append((d, ss, ee))
        words += len(d.text[ss:ee].split())
    return out


def speaker_mention(d: Document, r: QuoteRecord) -> tuple[str, int, int]:
    """The fullest written form of the speaker nearest the quote (before it if possible)."""
    text = d.text
    if r.speaker_start >= 0 and fold(r.speaker_text) == fold(r.speaker):
        return text[r.speaker_start: r.speaker_end], r.speaker_start, r.speaker_end
    cands = []
    for form in dict.fromkeys([r.speaker, r.speaker_text, r.speaker.split()[-1] if r.speaker else ""]):
        if not form or fold(form) in _PRONOUNS:
            continue
        for m in re.finditer(re.escape(form), text):
            dist = abs(m.start() - r.start)
            cands.append((-len(form) // 8, dist, m.start(), m.end()))
    if cands:
        _, _, s, e = min(cands)
        return text[s:e], s, e
    if r.speaker_start >= 0:
        return text[r.speaker_start: r.speaker_end], r.speaker_start, r.speaker_end
    return r.speaker, r.start, r.start


def quoted_words(doc: Document, speaker: str, start: int, end: int) -> str:
    """The speaker's directly quoted words inside ``doc.text[start:end]`` ("" if none)."""
    parts = [doc.text[max(start, r.start): min(end, r.end)].strip("“”\"‘’ ,")
             for r in doc.quotes
             if r.kind == "direct" and r.start < end and r.end > start and speakers_match(r.speaker, speaker)]
    return " … ".join(p for p in parts if p)


class _QuoteIndexKind(TypedKind):
    """Shared: the quote records of the retrieved articles, and scoring them."""

    def records(self, ev: Evidence) -> tuple[dict[str, Document], dict[str, float],
                                               list[tuple[Document, QuoteRecord]]]:
        passages = ev.passages
        exclude: set[tuple[str, int, int]] = ev.dialogue.get("exclude_quotes", set())
        docs: dict[str, Document] = {}
        for p in passages:
            d = ev.corpus.doc(p.doc_id)
            if d is not None:
                docs.setdefault(p.doc_id, d)
        prior: dict[str, float] = {}
        for p in passages:
            prior.setdefault(p.doc_id, p.score / (passages[0].score or 1.0))
        records = [(d, r) for d in docs.values() for r in d.quotes if not _overlaps(exclude, d.doc_id, r)]
        return docs, prior, records

    def candidate(self, ev: Evidence, d: Document, r: QuoteRecord, score: float,
                  by_pos: dict[tuple[str, int], Sent]) -> Candidate:
        raise NotImplementedError

    def score_record(self, ev: Evidence, r: QuoteRecord, prior: float) -> float | None:
        raise NotImplementedError

    def candidates(self, ev: Evidence) -> list[Candidate]:
        """Quote-index records as answers. ``exclude_quotes`` (from the dialogue): spans a
        "what else" follow-up must not repeat; ``seen_quotes``: spans it showed as
        context, used only when nothing new is left."""
        _, prior, records = self.records(ev)
        seen: set[tuple[str, int, int]] = ev.dialogue.get("seen_quotes", set())
        by_pos = {(s.doc.doc_id, s.start): s for s in ev.sents}
        out: list[Candidate] = []
        for d, r in records:
            score = self.score_record(ev, r, prior.get(d.doc_id, 0.0))
            if score is None:
                continue
            cand = self.candidate(ev, d, r, score * (CONFIDENCE_FLOOR + (1 - CONFIDENCE_FLOOR) * r.confidence),
                                  by_pos)
            cand.seen = _overlaps(seen, d.doc_id, r)
            out.append(cand)
        return out


@register(QuestionKind.SPEAKER)
class SpeakerKind(_QuoteIndexKind):
    """Who said it: the speaker's name as written in a sentence we can cite."""

    def candidates(self, ev: Evidence) -> list[Candidate]:
        if ev.qa.quoted:
            docs, _, records = self.records(ev)
            by_pos = {(s.doc.doc_id, s.start): s for s in ev.sents}
            matched = match_quote(ev.qa.quoted, [r for _, r in records])
            out = [self.candidate(ev, docs[r.doc_id], r, MATCH_BASE + MATCH_WEIGHT * sc, by_pos)
                   for r, sc in matched[:MATCHES_KEPT]]
            if out:
                return out
        return super().candidates(ev)

    def score_record(self, ev: Evidence, r: QuoteRecord, prior: float) -> float | None:
        cov = ev.coverage(ev.qa.focus, stems(r.quote) | stems(r.speaker_text))
        own = [n for n in ev.qa.names if speakers_match(r.speaker, n)]
        return SPEAKER_BASE + SPEAKER_W_TOPIC * cov + SPEAKER_W_PRIOR * prior - (OWN_NAME_PENALTY if own else 0.0)

    def candidate(self, ev: Evidence, d: Document, r: QuoteRecord, score: float,
                  by_pos: dict[tuple[str, int], Sent]) -> Candidate:
        s, e = d.sentence_at(r.start)
        st = sent_at(by_pos, d, s, e, score)
        name, ns, ne = speaker_mention(d, r)
        extra = []
        if not (s <= ns < e):
            cs, ce = d.sentence_at(ns)
            extra.append((d, cs, ce))
        return Candidate(name, st, ns, ne, score, key=fold(r.speaker), quote=r, extra_cites=extra)

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        if cand.quote is None:
            return super().reply(ev, cand, markers, cite_ns)
        return f"{cand.value} {markers} — “{clip(cand.quote.quote, QUOTE_CLIP)}”"


@register(QuestionKind.QUOTE)
class StatementKind(_QuoteIndexKind):
    """What X said about Y: X's statement, up to a few consecutive sentences."""

    #: The asked speaker binds the answer (by the quote index); other names are the topic.
    binds_names = False

    def score_record(self, ev: Evidence, r: QuoteRecord, prior: float) -> float | None:
        subject = ev.qa.subject or ""
        # "First Deputy Interior Minister Doe": the name without its title.
        sw = subject.split()
        subjects = [subject]
        if len(sw) > 1 and sw[-1] not in NOUN_LABEL and any(w in NOUN_LABEL for w in sw[:-1]):
            subjects.append(sw[-1])
        # Only the asked speaker's words (other names in the question are the topic).
        if subject and not any(speakers_match(r.speaker, x) or speakers_match(r.speaker_text, x) for x in subjects):
            return None
        topic = ev.qa.topic or ev.qa.focus
        cov = ev.coverage(topic, stems(r.quote)) if topic else NO_TOPIC_COVERAGE
        return STATEMENT_BASE + STATEMENT_W_TOPIC * cov + STATEMENT_W_PRIOR * prior

    def candidate(self, ev: Evidence, d: Document, r: QuoteRecord, score: float,
                  by_pos: dict[tuple[str, int], Sent]) -> Candidate:
        qa = ev.qa
        s, e = d.sentence_at(r.start)
        # The sentence of the quote that best matches the topic.
        best, best_cov = (s, e), -1.0
        for ss, ee in d.sentences_in(r.start, r.end):
            cov = ev.coverage(qa.topic or qa.focus, stems(d.text[ss:ee]))
            if cov > best_cov:
                best, best_cov = (ss, ee), cov
        s, e = best
        # A sentence that only restates the question ("X responded to the claim that
        # ...") frames the answer; what was said follows in the same paragraph.
        own = stems(d.text[s:e])
        novel = own - set(stems(qa.text)) - stems(r.speaker) - _FRAMING
        framing = bool(own) and len(novel) / len(own) < FRAMING_NOVELTY
        extra = statement_run(d, r, s, e, QUOTE_SENTENCES if framing else QUOTE_SENTENCES - 1)
        if framing and not extra:
            nxt = [(ss, ee) for ss, ee in d.sentences_in(e, paragraph_of(d, s)[1]) if ss >= e]
            extra = [(d, *nxt[0])] if nxt else []
        st = sent_at(by_pos, d, s, e, score)
        value = d.text[s: extra[-1][2] if extra else e]
        return Candidate(value, st, s, e, score, key=f"{d.doc_id}:{r.start}", quote=r, extra_cites=extra)

    def reply(self, ev: Evidence, cand: Candidate, markers: str, cite_ns: Sequence[int]) -> str:
        if cand.quote is None:
            return f"“{cand.value}” {markers}"
        st = cand.sent
        # The speaker's own words go in quotation marks; reported speech is the
        # article's wording, not the speaker's, and is shown as written.
        pieces, direct = [], True
        for (ps, pe), m in zip([(st.start, st.end), *[(s, e) for _, s, e in cand.extra_cites]], cite_ns,
                               strict=True):
            words = quoted_words(st.doc, cand.quote.speaker, ps, pe)
            if len(words) < DIRECT_SHARE * (pe - ps):
                words = ""  # a quoted word or phrase inside reported speech ("called the plan “reckless”")
            direct = direct and bool(words)
            pieces.append(f"“{words}” [{m}]" if words else f"{st.doc.text[ps:pe]} [{m}]")
        lead = f"{cand.quote.speaker} said:" if direct else f"{cand.quote.speaker}, as reported:"
        return f"{lead} {' '.join(pieces)}"
