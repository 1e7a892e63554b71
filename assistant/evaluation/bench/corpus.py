"""Synthetic corpora for the benchmark: real sentences recombined into articles, with
planted facts whose questions have one known answer passage (recall@5 at every size)."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Generic vocabulary for planted facts (made-up place and person names are generated).
_ROLES = ("mayor", "spokesperson", "chief engineer", "director", "treasurer", "inspector", "chair")
_THINGS = ("permits", "bridges", "vaccines", "tractors", "licences", "classrooms", "turbines", "ferries")
_VERBS = ("approved", "repaired", "delivered", "inspected", "registered", "installed", "cancelled")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_SYLL = ("ka", "lo", "mer", "vin", "dra", "tes", "bol", "qui", "sar", "nov", "zel", "ham", "rus", "pel", "tor")


def sentence_pool(paths: Sequence[str | Path], limit: int = 50_000) -> list[str]:
    """Prose sentences (6-60 words, one line) of the cleaned documents under ``paths``."""
    from assistant.ingest.cleaning import clean_document
    from assistant.ingest.loaders import LoadFailure, iter_sources
    from assistant.text.sentences import split_sentences

    pool: list[str] = []
    seen: set[str] = set()
    for raw in iter_sources(list(paths)):
        if isinstance(raw, LoadFailure):
            continue
        doc = clean_document(raw)
        for s, e in split_sentences(doc.text):
            sent = doc.text[s:e].strip()
            if "\n" in sent or not 6 <= len(sent.split()) <= 60 or sent in seen:
                continue
            seen.add(sent)
            pool.append(sent)
            if len(pool) >= limit:
                return pool
    return pool


def _name(rng: random.Random, parts: int = 3) -> str:
    return "".join(rng.choice(_SYLL) for _ in range(parts)).capitalize()


def planted_fact(rng: random.Random) -> tuple[str, str, str]:
    """(sentence, question, key): a made-up fact, its question, and a word only it contains."""
    place, person = _name(rng, 3), f"{_name(rng, 2)} {_name(rng, 3)}"
    role, thing, verb = rng.choice(_ROLES), rng.choice(_THINGS), rng.choice(_VERBS)
    n = rng.randint(12, 9800)
    sentence = (f"{person}, the {role} of {place}, said on {rng.choice(_WEEKDAYS)} that {n:,} {thing} "
                f"had been {verb} there since {rng.choice(_MONTHS)}.")
    question = f"How many {thing} were {verb} in {place}?"
    return sentence, question, place


def build_corpus(pool: Sequence[str], n_chunks: int, n_questions: int, out: Path, seed: int = 8,
                 chunk_tokens: int = 200, overlap: int = 30) -> tuple[Path, list[dict[str, Any]]]:
    """Write a JSONL corpus of about ``n_chunks`` chunks; returns (path, planted questions).

    Documents are 12-30 pool sentences in paragraphs of 1-4, sampled without
    replacement inside a document. Each question's fact is planted in its own document.
    """
    from assistant.ingest.chunking import chunk_text, get_tokenizer

    rng = random.Random(seed)
    tok = get_tokenizer()
    docs: list[dict[str, Any]] = []
    total = 0
    while total < n_chunks:
        k = min(len(pool), rng.randint(12, 30))
        sents = rng.sample(list(pool), k)
        paras, i = [], 0
        while i < len(sents):
            step = rng.randint(1, 4)
            paras.append(" ".join(sents[i: i + step]))
            i += step
        year, month, day = rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)
        doc = {"id": f"bench-{len(docs):06d}", "title": " ".join(rng.choice(pool).split()[:9]).rstrip(",.;:"),
               "date": f"{year}-{month:02d}-{day:02d}", "publisher": f"Outlet {rng.randint(1, 12)}",
               "paras": paras}
        text = "\n\n".join(paras)
        total += len(chunk_text(doc["id"], text, budget=chunk_tokens, overlap=overlap, tokenizer=tok))
        docs.append(doc)
    questions: list[dict[str, Any]] = []
    for doc in rng.sample(docs, min(n_questions, len(docs))):
        sentence, question, key = planted_fact(rng)
        p = rng.randrange(len(doc["paras"]))
        doc["paras"][p] = f"{doc['paras'][p]} {sentence}"
        questions.append({"question": question, "doc_id": doc["id"], "key": key, "sentence": sentence})
    with out.open("w", encoding="utf-8") as f:
        for doc in docs:
            paras = doc.pop("paras")
            f.write(json.dumps({**doc, "text": "\n\n".join(paras)}, ensure_ascii=False) + "\n")
    return out, questions


