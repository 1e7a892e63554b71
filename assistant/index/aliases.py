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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.text.folding import fold, name_key

ENTITY_KINDS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT"})
#: Keys shorter than this are too ambiguous to merge on (Lin / Lana -> "ln").
MIN_KEY_LEN = 4


def _similar(a: str, b: str) -> bool:
    """The general similarity rule on top of an equal key: the folded spellings must
    also share a first letter and be close in length (guards against skeleton
    collisions between unrelated short words)."""
    return a[:1] == b[:1] and abs(len(a) - len(b)) <= max(2, len(a) // 3)


def _variants(word: str, group_of: Callable[[str], Mapping[str, int] | None],
              redirects: Callable[[str], Iterable[str]]) -> list[str]:
    """Other folded spellings of ``word`` in the groups of its name key and of the keys its
    folded spellings redirect to (``group_of``: a key's group; ``redirects``: those keys),
    where the group holds a spelling like ``word``'s: the one rule of both alias stores."""
    k = name_key(word)
    if len(k) < MIN_KEY_LEN:
        return []
    f = fold(word)
    out: list[str] = []
    for key in (k, *redirects(k)):
        group = group_of(key)
        if group and any(_similar(f, v) for v in group):
            out.extend(v for v in group if v != f and v not in out)
    return out


def _group_ok(group: Iterable[str]) -> bool:
    """A spelling group is kept when all its spellings are pairwise similar."""
    group = list(group)
    return all(_similar(a, b) for a in group for b in group)


@dataclass
class EntityCounts:
    """What a set of entity mentions adds to the alias table: (name key, folded spelling)
    of each entity word, (key, spelling) of each whole name, (key, label) of each name."""

    tokens: Counter[tuple[str, str]] = field(default_factory=Counter)
    names: Counter[tuple[str, str]] = field(default_factory=Counter)
    labels: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: EntityCounts, sign: int = 1) -> None:
        """Add ``other`` (``sign`` -1: subtract it), keeping counts that go negative."""
        for mine, theirs in ((self.tokens, other.tokens), (self.names, other.names), (self.labels, other.labels)):
            if sign > 0:
                mine.update(theirs)
            else:
                mine.subtract(theirs)

    @classmethod
    def of(cls, entities: Iterable[tuple[str, str]]) -> EntityCounts:
        out = cls()
        for text, label in entities:
            if label not in ENTITY_KINDS:
                continue
            words = [w for w in text.replace("’", "'").split() if w[:1].isalpha()]
            for w in words:
                w = w.removesuffix("'s")
                if w[:1].isupper():
                    k = name_key(w)
                    if len(k) >= MIN_KEY_LEN:
                        out.tokens[(k, fold(w))] += 1
            if words:
                nk = " ".join(name_key(w) for w in words)
                out.names[(nk, " ".join(words))] += 1
                out.labels[(nk, label)] += 1
        return out


def document_entities(annotations: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, label) of the named entities in a document's stored annotations."""
    return [(m[3], m[0]) for m in annotations.get("mentions", []) if m[0] not in ("DATE", "FIGURE")]


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
        counts = EntityCounts.of(entities)
        tok_counts: dict[str, Counter[str]] = defaultdict(Counter)
        name_counts: dict[str, Counter[str]] = defaultdict(Counter)
        label_counts: dict[str, Counter[str]] = defaultdict(Counter)
        for (k, v), n in counts.tokens.items():
            tok_counts[k][v] += n
        for (k, v), n in counts.names.items():
            name_counts[k][v] += n
        for (k, v), n in counts.labels.items():
            label_counts[k][v] += n
        tokens = {k: dict(c) for k, c in tok_counts.items() if _group_ok(c)}
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
        return _variants(word, self.tokens.get, lambda k: sorted(self._redirect.get(k, ())))

    def expand(self, words: Iterable[str]) -> list[str]:
        return [v for w in words for v in self.variants(w)]

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


_ALIAS_SCHEMA = """
CREATE TABLE IF NOT EXISTS alias_tokens (key TEXT, spelling TEXT, fkey TEXT, n INTEGER, PRIMARY KEY (key, spelling));
CREATE INDEX IF NOT EXISTS alias_tokens_fkey ON alias_tokens(fkey);
CREATE TABLE IF NOT EXISTS alias_names (key TEXT, spelling TEXT, n INTEGER, PRIMARY KEY (key, spelling));
CREATE TABLE IF NOT EXISTS alias_labels (key TEXT, label TEXT, n INTEGER, PRIMARY KEY (key, label));
"""
#: Answers remembered per alias index (a question asks the same few names' labels and
#: variants many times; the memory is dropped whenever the counts change).
_MEMO = 4096


class AliasIndex:
    """The alias table kept as counts in SQLite, so adding or removing a document changes
    only its own entities' rows (``apply``), and opening reads nothing. Answers what
    ``AliasTable`` answers (``variants``, ``expand``, ``label``, ``groups``), with the same
    rules, computed per looked-up group.

    ``db`` is the annotation store's connection: the counts change in the same transaction
    as the documents they come from. ``version`` tells it when to forget memoised answers."""

    def __init__(self, db: Any, version: Any) -> None:
        self._db = db
        self._version = version
        self._memo: dict[tuple[str, str], Any] = {}
        self._memo_version: object = None

    @staticmethod
    def create(db: Any) -> None:
        db.executescript(_ALIAS_SCHEMA)

    @staticmethod
    def apply(db: Any, counts: EntityCounts) -> None:
        """Add ``counts`` (negative ones remove); call inside the caller's transaction."""
        up = "ON CONFLICT DO UPDATE SET n = n + excluded.n"
        db.executemany(f"INSERT INTO alias_tokens VALUES (?, ?, ?, ?) {up}",
                       [(k, v, name_key(v), n) for (k, v), n in counts.tokens.items() if n])
        db.executemany(f"INSERT INTO alias_names VALUES (?, ?, ?) {up}",
                       [(k, v, n) for (k, v), n in counts.names.items() if n])
        db.executemany(f"INSERT INTO alias_labels VALUES (?, ?, ?) {up}",
                       [(k, v, n) for (k, v), n in counts.labels.items() if n])
        for table, rows in (("alias_tokens", counts.tokens), ("alias_names", counts.names),
                            ("alias_labels", counts.labels)):
            col = "label" if table == "alias_labels" else "spelling"
            db.executemany(f"DELETE FROM {table} WHERE key = ? AND {col} = ? AND n <= 0",
                           [kv for kv, n in rows.items() if n < 0])

    @staticmethod
    def clear(db: Any) -> None:
        db.execute("DELETE FROM alias_tokens")
        db.execute("DELETE FROM alias_names")
        db.execute("DELETE FROM alias_labels")

    def _remember(self, kind: str, arg: str, compute: Any) -> Any:
        v = self._version()
        if v != self._memo_version or len(self._memo) > _MEMO:
            self._memo, self._memo_version = {}, v
        key = (kind, arg)
        if key not in self._memo:
            self._memo[key] = compute(arg)
        return self._memo[key]

    def _group(self, key: str) -> dict[str, int] | None:
        rows = self._db.execute("SELECT spelling, n FROM alias_tokens WHERE key = ? AND n > 0 ORDER BY n DESC, spelling",
                                (key,)).fetchall()
        group = dict(rows)
        return group if group and _group_ok(group) else None

    def _redirect(self, key: str) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT key FROM alias_tokens WHERE fkey = ? AND key != ? AND n > 0",
                                (key, key)).fetchall()
        return sorted(k for (k,) in rows if len(key) >= MIN_KEY_LEN and self._group(k) is not None)

    def variants(self, word: str) -> list[str]:
        """Other folded spellings of ``word`` seen in the corpus (not including itself)."""
        return list(self._remember("variants", word, self._variants))

    def _variants(self, word: str) -> list[str]:
        return _variants(word, self._group, self._redirect)

    def expand(self, words: Iterable[str]) -> list[str]:
        return [v for w in words for v in self.variants(w)]

    def label(self, name: str) -> str:
        """The NER label the corpus most often gives ``name`` ("" if never seen)."""
        return self._remember("label", name, self._label)

    def _top_label(self, key: str) -> str | None:
        row = self._db.execute("SELECT label FROM alias_labels WHERE key = ? AND n > 0 ORDER BY n DESC, label LIMIT 1",
                               (key,)).fetchone()
        return row[0] if row else None

    def _label(self, name: str) -> str:
        words = [w.removesuffix("'s").removesuffix("’s") for w in name.split() if w[:1].isalpha()]
        keys = [name_key(w) for w in words]
        hit = self._top_label(" ".join(keys))
        if hit is None:  # an ASCII-folded spelling: try the keys of the groups it folds from
            redirected = []
            for k in keys:
                targets = self._redirect(k) if len(k) >= MIN_KEY_LEN else []
                redirected.append(min(targets) if targets else k)
            if redirected != keys:
                hit = self._top_label(" ".join(redirected))
        return hit or ""

    @property
    def tokens(self) -> dict[str, dict[str, int]]:
        """Every kept spelling group (``AliasTable.tokens``): a full read, for display and tests."""
        by_key: dict[str, dict[str, int]] = defaultdict(dict)
        for k, v, n in self._db.execute("SELECT key, spelling, n FROM alias_tokens WHERE n > 0 ORDER BY key, n DESC"):
            by_key[k][v] = n
        return {k: g for k, g in by_key.items() if _group_ok(g)}

    def groups(self) -> list[list[str]]:
        """Full-name spelling groups, most frequent spelling first (for display)."""
        by_key: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for k, v, n in self._db.execute("SELECT key, spelling, n FROM alias_names WHERE n > 0"):
            by_key[k].append((v, n))
        return [[v for v, _ in sorted(g, key=lambda x: (-x[1], x[0]))] for g in by_key.values() if len(g) > 1]
