"""``Retriever.as_langchain()`` inside real LangChain (``langchain-core``) pipelines: an LCEL
chain (the retriever piped into a ``RunnableLambda`` that formats the passages; no LLM is
needed), its async and batch paths, checked against ``Retriever.retrieve`` on the real
MiniLM seed index; and the message when the extra is missing.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from conftest import ROOT

from assistant import Assistant
from assistant.errors import ConfigError, InvalidQuestion

QUERIES = ["How many irregular crossings has the EU thwarted via Belarus?", "Lukashenko migrants sanctions",
           "Minsk conference on Eurasian security", 'Who spoke at the "International Conference on Eurasian Security"?']


@pytest.fixture(scope="module")
def seeds(seed_index, minilm_embedder):
    asst = Assistant.open(index_dir=seed_index, embedder=minilm_embedder)
    yield asst
    asst.close()


def _expected(p) -> dict:
    return {"doc_id": p.doc_id, "chunk_id": p.chunk_id, "title": p.title, "publisher": p.publisher, "date": p.date,
            "start": p.start, "end": p.end, "sentence": p.sentence, "sentence_start": p.sentence_start,
            "sentence_end": p.sentence_end, "score": p.score, "dense_score": p.scores["dense"],
            "bm25_score": p.scores["bm25"], "phrase_score": p.scores["phrase"], "rank": p.rank}


def _cite(docs) -> str:
    """What a chain's formatting step does: one cited line per passage."""
    return "\n".join(f"[{d.metadata['rank']}] {d.metadata['title']} ({d.metadata['publisher']}, "
                     f"{d.metadata['doc_id']} {d.metadata['start']}-{d.metadata['end']}): {d.page_content}"
                     for d in docs)


@pytest.mark.slow
def test_as_langchain_in_an_lcel_chain_matches_retrieve(seeds):
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables import RunnableLambda

    retriever = seeds.retriever.as_langchain(k=4)
    assert isinstance(retriever, BaseRetriever)
    chain = retriever | RunnableLambda(_cite)
    for q in QUERIES:
        ours = seeds.retriever.retrieve(q, k=4)
        docs = retriever.invoke(q)
        assert all(isinstance(d, Document) for d in docs) and len(docs) == len(ours) == 4
        for d, p in zip(docs, ours, strict=True):
            assert d.id == p.chunk_id and d.page_content == p.text
            assert d.metadata == _expected(p)
            text = seeds.document(p.doc_id).text  # the offsets index the cleaned article
            assert text[p.start:p.end] == d.page_content
            assert text[d.metadata["sentence_start"]:d.metadata["sentence_end"]] == d.metadata["sentence"]
        assert chain.invoke(q) == _cite(docs)
    # a quoted phrase's score comes through: the chunk holding it whole is first
    assert docs[0].metadata["phrase_score"] == 1.0 and '"' in QUERIES[-1]


@pytest.mark.slow
def test_as_langchain_async_batch_and_filters(seeds):
    from langchain_core.runnables import RunnableLambda

    retriever = seeds.retriever.as_langchain(k=3, filters={"publisher": "pozirk"})
    chain = retriever | RunnableLambda(_cite)
    want = [seeds.retriever.retrieve(q, k=3, filters={"publisher": "pozirk"}) for q in QUERIES]
    # batch runs the queries on threads; each gets its own passages, in order
    for docs, ours in zip(retriever.batch(QUERIES), want, strict=True):
        assert [d.metadata["chunk_id"] for d in docs] == [p.chunk_id for p in ours]
        assert {d.metadata["publisher"] for d in docs} == {"Pozirk"}
    got = asyncio.run(chain.abatch(QUERIES))
    assert got == [_cite(retriever.invoke(q)) for q in QUERIES]
    # the library's errors come through LangChain as they are
    with pytest.raises(InvalidQuestion, match="the query is empty"):
        retriever.invoke("  ")
    with pytest.raises(ConfigError, match="unknown filter"):
        seeds.retriever.as_langchain(filters={"source": "x"}).invoke("migrants")


def test_without_langchain_core_as_langchain_gives_the_pip_command():
    """In a fresh process where langchain-core cannot be imported (as without the extra)."""
    code = ("import sys; sys.modules['langchain_core'] = None\n"
            "from assistant.errors import ConfigError\n"
            "from assistant.retrieval.retriever import Retriever\n"
            "try:\n    Retriever(None, None, None).as_langchain()\n"
            "except ConfigError as exc:\n    print(exc.message); print(exc.fix)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "as_langchain() needs langchain-core" in out.stdout
    assert 'pip install "news-assistant[langchain]"' in out.stdout
