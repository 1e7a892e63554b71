"""Who said what: a quote index built at ingest from a spaCy parse.

Method. Attribution relations (Krestel et al. 2008, "Minding the source";
Pareti 2016, PARC 3.0; Newell et al. 2018, PolNeAR) are a *source*, a *cue*
and a *content*. Contents are found two ways:

* direct quotes: spans between quotation marks, paired per paragraph with the
  newspaper convention that a quote running over several paragraphs re-opens
  each paragraph and closes only at its end;
* reported speech: the clausal complement of a cue verb ("X said that ..."),
  the main clause of "according to X" / "as X noted", and the object phrase of
  a strong speech verb ("X accused Y of ...").

Each content is linked to its cue through the dependency tree (the nearest cue
verb above the quoted tokens), falling back to the attribution clause next to
the quote ("..., X said." / "X said:" at the end of the previous paragraph).
Quotes with no cue of their own continue the previous speaker, as in the
two-stage sieve of Muzny et al. (2017, EACL). Sources are resolved like the
deterministic coreference sieves of Lee et al. (2013, Computational
Linguistics): a name goes to the fullest spelling of that name in the article;
a pronoun goes to the previous speaker when the quote continues, otherwise to
the most recent compatible subject; a definite description ("the minister",
"the agency") goes to an entity the article gave that title or head noun.

Policies. A document, data set or finding ("X's analysis of ... data", "a
recorded phone call shows") is a source, not a speaker: it is attributed to its
owner (possessor, "by/from X", or a proper-name modifier) and dropped when it has
none. "Y quoted X as saying" attributes to X. A descriptor before a name ("rights
group X") is not part of the speaker. Short title-cased quotes used as nouns
(show and book titles) are names, not speech. Headline lines get confidence
0.3 at most and are never continued. Short name keys (under four letters of
``name_key``) must match exactly, so Bob/Bay or Will/Wall are not merged.

Modules, each depending only on the ones above it: ``spans`` (quotation-marked
spans and multi-paragraph chains), ``context`` (per-document state and the records
passed between steps), ``cues`` (cue words and their source tokens), ``speakers``
(source token to speaker name), ``direct`` (the cue of each quotation-marked span),
``indirect`` (reported speech); this module puts them together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.models import QuoteRecord
from assistant.nlp.quotes.context import Context, Event, Said
from assistant.nlp.quotes.cues import cue_name
from assistant.nlp.quotes.direct import is_title_quote, quote_cue
from assistant.nlp.quotes.indirect import indirect_events
from assistant.nlp.quotes.spans import find_quote_spans
from assistant.nlp.quotes.speakers import Resolver, continue_speaker, namelike

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

__all__ = ["extract_quotes", "find_quote_spans"]

# Confidence caps. Hand-set: no measurement or tuning of these values is on record
# (code, commit history, README).
#: A part of a multi-paragraph quote with no cue of its own borrows its chain's cue,
#: at most this confident.
_CHAIN_CONF_CAP = 0.9
#: Cap on any record from a headline-like line (see ``Context.is_headline``).
_HEADLINE_CONF_CAP = 0.3
#: A reported clause is dropped when one of this many preceding records is a direct
#: quote of the same speaker holding it (hand-set; no measurement on record).
_DEDUPE_LOOKBACK = 4


def extract_quotes(doc_id: str, text: str, doc: Doc) -> list[QuoteRecord]:
    """Direct and reported quotes of one article, each attributed to a speaker.

    ``doc`` is ``assistant.nlp.parse(text)``; offsets of every record index ``text``
    (``text[r.start:r.end] == r.quote``). See the package docstring for the method.
    """
    if not text.strip() or len(doc) == 0:
        return []
    ctx = Context(doc_id, text, doc)
    resolver = Resolver(ctx)
    events: list[Event] = []
    # Direct quotes: one cue per chain of paragraphs, shared by all its parts.
    chain_cue: dict[int, tuple[Token | None, Token | None, float]] = {}
    per_quote: list[tuple[Token | None, Token | None, float]] = []
    for qi, q in enumerate(ctx.spans):
        found = quote_cue(ctx, qi)
        per_quote.append(found)
        if found[0] is not None and q.chain not in chain_cue:
            chain_cue[q.chain] = found
    for qi, q in enumerate(ctx.spans):
        if is_title_quote(ctx, q):
            continue
        cue, src, conf = per_quote[qi]
        if cue is None and q.chain in chain_cue:
            cue, src, conf = chain_cue[q.chain]
            conf = min(conf, _CHAIN_CONF_CAP)
        ev = Event(q.start, q.end, "direct", cue_name(cue), src, conf, qspan=q,
                   continuation=cue is None)
        events.append(ev)
    events.extend(indirect_events(ctx))
    events.sort(key=lambda e: (e.start, e.kind != "direct"))

    records: list[QuoteRecord] = []
    for ev in events:
        at = ev.start if ev.source is None else min(ev.start, ev.source.idx)
        if ev.continuation:
            sp = continue_speaker(ctx, ev)
            if sp is None:
                continue
            speaker, mention, s0, s1 = sp, "", -1, -1
            cue = ""
        else:
            speaker, mention, s0, s1 = resolver.resolve(ev.source, ev.source.idx if ev.source is not None else at)
            cue = ev.cue
            if speaker is None:
                continue
        name = speaker.name.strip()
        if not name:
            continue
        conf = min(ev.confidence, speaker.confidence) if not ev.continuation else speaker.confidence
        headline = ctx.is_headline(ev.start)
        if headline:
            conf = min(conf, _HEADLINE_CONF_CAP)  # headlines compress and paraphrase: weak evidence
        conf = round(conf, 3)
        if ev.kind == "indirect" and any(
            r.kind == "direct" and r.start <= ev.start and ev.end <= r.end and r.speaker == name
            for r in records[-_DEDUPE_LOOKBACK:]
        ):
            continue  # the reported clause is the direct quote already recorded
        rec = QuoteRecord(
            doc_id=doc_id, speaker=name, speaker_text=mention, cue=cue,
            quote=text[ev.start: ev.end], start=ev.start, end=ev.end,
            speaker_start=s0, speaker_end=s1, kind=ev.kind, speaker_label=speaker.label,
            confidence=conf,
        )
        records.append(rec)
        if not headline and (speaker.label != "OTHER" or ev.kind == "direct" or namelike(name)):
            ctx.history.append(Said(ev.start, ev.end, ctx.para_of(ev.start), speaker, ev.kind,
                                    ev.kind == "direct" or ev.extra.get("main", False)))
    return records
