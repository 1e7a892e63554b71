"""Chunking invariants: offsets map back exactly, budgets hold, sentences stay whole."""

import itertools
import random

import pytest

from assistant.ingest.chunking import chunk_id, chunk_text, count_tokens
from assistant.text.sentences import split_sentences

WORDS = ["border", "migrants", "minister", "said", "Poland", "figures", "40,549", "“quoted", "words,”", "he", "added", "the", "of", "a", "in", "Łukašenka", "sanctions", "—", "20.5", "percent", "Dr.", "Smith", "U.S.", "officials"]


def random_text(rng: random.Random, n_sent: int) -> str:
    paras = []
    for _ in range(max(1, n_sent // 4)):
        sents = []
        for _ in range(rng.randint(1, 6)):
            ws = [rng.choice(WORDS) for _ in range(rng.randint(3, 40))]
            sents.append(" ".join(ws).capitalize() + rng.choice([".", "?", "!", ".”"]))
        paras.append(" ".join(sents))
    return "\n\n".join(paras)


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("budget,overlap", [(200, 30), (60, 10), (25, 0)])
def test_offsets_map_back_exactly(seed: int, budget: int, overlap: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng, rng.randint(1, 60))
    chunks = chunk_text("doc", text, budget=budget, overlap=overlap)
    assert chunks, "non-empty text must give chunks"
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert c.text == c.text.strip()
    # Every sentence is covered by some chunk, in order, and chunks advance.
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts))
    for s, e in split_sentences(text):
        assert any(c.start <= s and e <= c.end for c in chunks) or count_tokens(text[s:e]) > budget


@pytest.mark.parametrize("seed", range(10))
def test_budget_respected_and_sentences_whole(seed: int) -> None:
    rng = random.Random(100 + seed)
    text = random_text(rng, 80)
    sents = split_sentences(text)
    chunks = chunk_text("doc", text, budget=120, overlap=20)
    bounds = {s for s, _ in sents} | {e for _, e in sents}
    for c in chunks:
        # A few tokens of slack: joining sentences can merge tokens across the gap.
        assert c.n_tokens <= 120 + 5
        if all(count_tokens(text[s:e]) <= 120 for s, e in sents):
            assert c.start in bounds and c.end in bounds


def test_overlap_repeats_trailing_sentences() -> None:
    text = " ".join(f"Sentence number {i} talks about border crossings in detail." for i in range(60))
    chunks = chunk_text("d", text, budget=60, overlap=15)
    assert len(chunks) > 3
    shared = [a.end > b.start for a, b in itertools.pairwise(chunks)]
    assert all(shared), "consecutive chunks should share an overlapping sentence"


def test_overlong_sentence_is_split_at_words() -> None:
    text = "Word " * 600 + "end."
    chunks = chunk_text("d", text.strip(), budget=50, overlap=0)
    assert len(chunks) > 5
    for c in chunks:
        assert c.n_tokens <= 50
        assert not c.text.startswith(" ") and text[c.start:c.end] == c.text


def test_ids_derive_from_content() -> None:
    a = chunk_text("d", "One fact here. Another fact there.")
    b = chunk_text("d", "One fact here. Another fact there.")
    c = chunk_text("d", "One fact here. A changed fact there.")
    assert [x.chunk_id for x in a] == [x.chunk_id for x in b]
    assert a[0].chunk_id != c[0].chunk_id
    assert chunk_id("d", "x", 0) != chunk_id("e", "x", 0)


def test_empty_text_gives_no_chunks() -> None:
    assert chunk_text("d", "   \n\n ") == []
