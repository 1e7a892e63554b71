"""Faster, exact stand-ins for two steps of the spaCy pipeline, by memoising per word.

Measured on news text (``assistant bench``, eval/reports/ingest-tuning.json), the
``attribute_ruler`` took ~12% of spaCy's time and the ``lemmatizer`` ~7%, almost all of
it Python-level work per token that depends only on a few attributes of the token:

- the attribute ruler's ``Matcher`` runs ~180 one- and two-token patterns over each
  token's TAG, LOWER, DEP and IS_SPACE. ``RuleMatcher`` evaluates them once per
  distinct (tag, lower, dep, is_space) and returns the very match list the Matcher
  returns; the ruler's own ``set_annotations`` then applies it, unchanged.
- the rule lemmatizer's answer depends on (word, POS, morphology) only (spaCy caches
  it on that key). ``fast_lemmatize`` reads those as arrays and asks the lemmatizer
  once per distinct key.

Both are installed only after checking them against the originals on a sample text
(``install``), and ``tests/nlp/test_speedups.py`` compares them on the seeds and news
articles. Everything extractors read (tag_, pos_, dep_, lemma_, ents, sentences)
comes out identical.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

#: Token attributes the compiled patterns may test, as the Matcher names them.
_FEATURES = ("TAG", "LOWER", "DEP", "IS_SPACE")
#: Distinct feature tuples memoised before the memo is cleared (bounds memory on huge runs).
MEMO_LIMIT = 500_000
#: Text both implementations must agree on before the fast one is used.
CHECK_TEXT = ("It's 5 p.m. and we ain't gonna wait: the minister said on Tuesday that 1,250 permits were "
              "approved in March. \u201cWe will not back down,\u201d she told reporters.\n\n  There are "
              "two   spaces here, and I gave it to you. Let's go, y'all. He gets what he got.")


def _predicate(key: str, spec: Any) -> Callable[[Any], bool] | None:
    if key == "IS_SPACE":
        return (lambda v: v is spec) if isinstance(spec, bool) else None
    if isinstance(spec, str):
        return lambda v: v == spec
    if isinstance(spec, dict) and len(spec) == 1:
        (op, arg), = spec.items()
        if op == "IN":
            values = frozenset(arg)
            return lambda v: v in values
        if op == "NOT_IN":
            values = frozenset(arg)
            return lambda v: v not in values
        if op == "REGEX":
            rx = re.compile(arg)
            return lambda v: rx.search(v) is not None
    return None


class RuleMatcher:
    """The attribute ruler's matches, computed per distinct token instead of per token."""

    def __init__(self, ruler: Any) -> None:
        strings = ruler.vocab.strings
        #: pattern -> (rule index, the rule's match id, length)
        self.patterns: list[tuple[int, int, int]] = []
        #: (pattern, position) -> a test of one token's (tag, lower, dep, is_space)
        self.tests: list[tuple[int, int, Callable[[tuple[str, str, str, bool]], bool]]] = []
        for rule, p in enumerate(ruler.patterns):
            match_id = strings[str(rule)]
            for pattern in p["patterns"]:
                pid = len(self.patterns)
                self.patterns.append((rule, match_id, len(pattern)))
                for pos, spec in enumerate(pattern):
                    checks = []
                    for key, value in spec.items():
                        if key not in _FEATURES:
                            raise ValueError(f"pattern attribute {key} is not supported")
                        pred = _predicate(key, value)
                        if pred is None:
                            raise ValueError(f"pattern {key}: {value!r} is not supported")
                        checks.append((_FEATURES.index(key), pred))
                    self.tests.append((pid, pos, _all(checks)))
        self._memo: dict[tuple[str, str, str, bool], tuple[tuple[int, ...], frozenset[tuple[int, int]]]] = {}

    def _satisfied(self, feats: tuple[str, str, str, bool]) -> tuple[tuple[int, ...], frozenset[tuple[int, int]]]:
        hit = self._memo.get(feats)
        if hit is None:
            ok = [(pid, pos) for pid, pos, test in self.tests if test(feats)]
            hit = (tuple(pid for pid, pos in ok if pos == 0), frozenset(ok))
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            self._memo[feats] = hit
        return hit

    def __call__(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        """``(rule, match id, start, end)`` sorted, as ``AttributeRuler.match`` returns them."""
        sat = [self._satisfied((t.tag_, t.lower_, t.dep_, t.is_space)) for t in doc]
        n = len(sat)
        out = []
        for start, (starts, _) in enumerate(sat):
            for pid in starts:
                rule, match_id, length = self.patterns[pid]
                end = start + length
                if length == 1 or (end <= n and all((pid, k) in sat[start + k][1] for k in range(1, length))):
                    out.append((rule, match_id, start, end))
        out.sort()
        return out


def _all(checks: list[tuple[int, Callable[[Any], bool]]]) -> Callable[[tuple[str, str, str, bool]], bool]:
    return lambda feats: all(pred(feats[i]) for i, pred in checks)


def fast_lemmatize(lemmatizer: Any) -> Callable[[Doc], Doc]:
    """``lemmatizer.__call__`` for a rule lemmatizer that does not overwrite: every token
    without a lemma gets ``lemmatizer.lemmatize(token)[0]``, asked once per distinct
    (word, POS, morphology) and kept for the rest of the run."""
    from spacy.attrs import LEMMA, MORPH, ORTH, POS

    memo: dict[tuple[int, int, int], int] = {}
    strings = lemmatizer.vocab.strings

    def call(doc: Doc) -> Doc:
        if not len(doc):
            return doc
        arr = doc.to_array([ORTH, POS, MORPH, LEMMA])
        rows = arr.tolist()
        changed = False
        for i, (orth, pos, morph, lemma) in enumerate(rows):
            if lemma:
                continue
            key = (orth, pos, morph)
            got = memo.get(key)
            if got is None:
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                got = memo[key] = strings.add(lemmatizer.lemmatize(doc[i])[0])
            arr[i, 3] = got
            changed = True
        if changed:
            doc.from_array([LEMMA], arr[:, 3:4].copy())
        return doc

    return call


def install(nlp: Language) -> list[str]:
    """Swap in the fast steps that give the same result on ``CHECK_TEXT``; returns the names
    of the pipes sped up. Anything unexpected (another model, new pattern kinds) leaves
    the original in place."""
    done: list[str] = []
    if "attribute_ruler" in nlp.pipe_names:
        ruler = nlp.get_pipe("attribute_ruler")
        try:
            fast = RuleMatcher(ruler)
            probe = nlp.make_doc(CHECK_TEXT)
            for _, proc in nlp.pipeline:
                if proc is ruler:
                    break
                probe = proc(probe)
            if fast(probe) == ruler.match(probe):
                ruler.match = fast  # the instance's match; its set_annotations is unchanged
                done.append("attribute_ruler")
        except ValueError:
            pass
    if "lemmatizer" in nlp.pipe_names:
        lem = nlp.get_pipe("lemmatizer")
        if getattr(lem, "mode", "") == "rule" and not getattr(lem, "overwrite", True):
            before = [t.lemma_ for t in nlp(CHECK_TEXT)]
            fast_call = fast_lemmatize(lem)
            cls = type(lem)
            # spaCy calls a pipe through its type (``proc(doc)``), so the fast call goes in a
            # subclass: the same object, lookups and settings, another __call__.
            lem.__class__ = type(f"Fast{cls.__name__}", (cls,),
                                 {"__call__": lambda self, doc: fast_call(doc), "__module__": __name__})
            if [t.lemma_ for t in nlp(CHECK_TEXT)] == before:
                done.append("lemmatizer")
            else:
                lem.__class__ = cls
    return done
