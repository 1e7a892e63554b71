"""Spelling and transliteration aliases of names, learned from the corpus.

At ingest spaCy finds PERSON/ORG/GPE/NORP/LOC entities. Their tokens are grouped
by ``folding.name_key`` (a transliteration-insensitive consonant skeleton), so
Łukašenka / Lukashenko / Lukashenka fall in one group. At query time any query
word whose key matches a group is expanded with the group's spellings, so BM25
finds an article whatever spelling the question uses. No names are listed by hand.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.text.folding import fold, name_key

ENTITY_KINDS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT"})
#: Keys shorter than this are too ambiguous to merge on (Lin / Lana -> "ln").
MIN_KEY_LEN = 4


def _similar(a: str, b: str) -> bool:
    """The general similarity rule on top of an equal key: the folded spellings must
    also share a first letter and be close in length (guards against skeleton
    collisions between unrelated short words)."""
    return a[:1] == b[:1] and abs(len(a) - len(b)) <= max(2, len(a) // 3)


@dataclass
class AliasTable:
    """``key -> {folded spelling: count}`` over entity tokens, plus full-name groups."""

    tokens: dict[str, dict[str, int]] = field(default_factory=dict)
    names: dict[str, dict[str, int]] = field(default_factory=dict)
    #: name key of a whole entity -> its most frequent NER label
    labels: dict[str, str] = field(default_factory=dict)
    #: key of a *folded* spelling -> the keys of the groups holding it. Folding loses the
    #: caron (Łukašenka -> lukasenka), so a user typing the plain-ASCII form gets another key
    #: (š -> s, not sh); this maps it back to the group.
    _redirect: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._redirect:
            return
        for k, group in self.tokens.items():
            for v in group:
                fk = name_key(v)
                if fk != k and len(fk) >= MIN_KEY_LEN:
                    self._redirect.setdefault(fk, set()).add(k)

    @classmethod
    def build(cls, entities: Iterable[tuple[str, str]]) -> AliasTable:
        """``entities``: (surface text, label) pairs as found by NER."""
        tok_counts: dict[str, Counter[str]] = defaultdict(Counter)
        name_counts: dict[str, Counter[str]] = defaultdict(Counter)
        label_counts: dict[str, Counter[str]] = defaultdict(Counter)
        for text, label in entities:
            if label not in ENTITY_KINDS:
                continue
            words = [w for w in text.replace("’", "'").split() if w[:1].isalpha()]
            for w in words:
                w = w.removesuffix("'s")
                if w[:1].isupper():
                    k = name_key(w)
                    if len(k) >= MIN_KEY_LEN:
                        tok_counts[k][fold(w)] += 1
            if words:
                nk = " ".join(name_key(w) for w in words)
                name_counts[nk][" ".join(words)] += 1
                label_counts[nk][label] += 1
        tokens = {
            k: dict(c) for k, c in tok_counts.items()
            if all(_similar(a, b) for a in c for b in c)
        }
        names = {k: dict(c) for k, c in name_counts.items() if len(c) > 1}
        labels = {k: c.most_common(1)[0][0] for k, c in label_counts.items()}
        return cls(tokens, names, labels)

    def label(self, name: str) -> str:
        """The NER label the corpus most often gives ``name`` ("" if never seen)."""
        words = [w.removesuffix("'s").removesuffix("’s") for w in name.split() if w[:1].isalpha()]
        keys = [name_key(w) for w in words]
        hit = self.labels.get(" ".join(keys))
        if hit is None:  # an ASCII-folded spelling: try the keys of the groups it folds from
            keys = [min(self._redirect[k]) if k in self._redirect else k for k in keys]
            hit = self.labels.get(" ".join(keys))
        return hit or ""

    def variants(self, word: str) -> list[str]:
        """Other folded spellings of ``word`` seen in the corpus (not including itself)."""
        k = name_key(word)
        if len(k) < MIN_KEY_LEN:
            return []
        f = fold(word)
        out: list[str] = []
        for key in (k, *sorted(self._redirect.get(k, ()))):
            group = self.tokens.get(key)
            if group and any(_similar(f, v) for v in group):
                out.extend(v for v in group if v != f and v not in out)
        return out

    def expand(self, words: Iterable[str]) -> list[str]:
        out: list[str] = []
        for w in words:
            out.extend(self.variants(w))
        return out

    def groups(self) -> list[list[str]]:
        """Full-name spelling groups, most frequent spelling first (for display)."""
        return [sorted(c, key=lambda s: -c[s]) for c in self.names.values()]

    def save(self, path: Path) -> None:
        # The redirects are saved too: recomputing them (a name key per spelling) took
        # 1.6 s when a 100k-chunk index opened.
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"tokens": self.tokens, "names": self.names, "labels": self.labels,
                                   "redirect": {k: sorted(v) for k, v in self._redirect.items()}},
                                  ensure_ascii=False))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> AliasTable:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        table = cls.__new__(cls)
        table.tokens, table.names, table.labels = data.get("tokens", {}), data.get("names", {}), data.get("labels", {})
        table._redirect = {k: set(v) for k, v in data.get("redirect", {}).items()}
        if "redirect" not in data:  # written before the redirects were saved
            table.__post_init__()
        return table
