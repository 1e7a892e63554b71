"""Retrieval: filters, name-spelling aliases, citation fields, per-retriever scores,
the llama-index adapter inside llama-index's own query engine, the README example
and ``assistant search --json``.

A small invented corpus (written by the tests) checks filters and aliases with the
hashing embedder; the real MiniLM seed index checks generic properties.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, build_index
from retrieval_corpus import CORPUS, check_passage

from assistant import Assistant, Passage, Retriever
from assistant.errors import ConfigError, InvalidQuestion
from assistant.models import RetrievalMode
from assistant.text.tokens import tokenize

pytestmark = pytest.mark.slow  # ingest runs spaCy

MODES = [m.value for m in RetrievalMode]

DATES = {d["id"]: int(d.get("date", "0").replace("-", "")) for d in CORPUS}
# Broad queries that match something in every article, so filters decide what comes back.
BROAD = ["the city announced on Monday", "bridge port club vote library council", "percent workers students euros"]


@pytest.fixture(scope="module")
def mini_index(tmp_path_factory, hashing_embedder) -> Path:
    d = tmp_path_factory.mktemp("mini")
    src = d / "corpus.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in CORPUS) + "\n", encoding="utf-8")
    return build_index(d / "index", hashing_embedder, [src])


@pytest.fixture(scope="module")
def mini(mini_index, hashing_embedder):
    asst = Assistant.open(index_dir=mini_index, embedder=hashing_embedder)
    yield asst
    asst.close()


@pytest.fixture(scope="module")
def seeds(seed_index, minilm_embedder):
    asst = Assistant.open(index_dir=seed_index, embedder=minilm_embedder)
    yield asst
    asst.close()


# -- filters -----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_doc_id_filter(mini, mode):
    for q in BROAD:
        got = mini.retriever.retrieve(q, k=5, filters={"doc_id": "port"}, mode=mode)
        assert {p.doc_id for p in got} <= {"port"}
    got = mini.retriever.retrieve("dock workers strike", k=5, filters={"doc_id": ["port", "vote"]}, mode=mode)
    assert got and {p.doc_id for p in got} <= {"port", "vote"}


@pytest.mark.parametrize("mode", MODES)
def test_publisher_filter_is_case_insensitive(mini, mode):
    seen: set[str] = set()
    for q in BROAD:
        got = mini.retriever.retrieve(q, k=5, filters={"publisher": "NORTHERN LEDGER"}, mode=mode)
        assert {p.publisher.lower() for p in got} <= {"northern ledger"}
        seen |= {p.doc_id for p in got}
    # Both stored spellings ("Northern Ledger" and "northern ledger") are found.
    assert seen == {"bridge", "club"}
    assert mini.retriever.retrieve("bridge", k=5, filters={"publisher": "Nobody Weekly"}, mode=mode) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("lo", "hi", "inside"), [
    ("2024-01-01", "2024-12-31", {"port", "club"}),
    ("2024-07", None, {"port", "club", "vote"}),  # a month bound starts on its first day
    (None, "2024", {"council", "bridge", "port", "club"}),  # a year bound ends on its last day
    ("2024-07-02", "2024-07-02", {"port"}),
    (20240703, 20250105, {"club", "vote"}),  # YYYYMMDD ints, inclusive
])
def test_date_range_never_returns_a_passage_outside(mini, mode, lo, hi, inside):
    filters = {k: v for k, v in (("date_from", lo), ("date_to", hi)) if v is not None}
    seen: set[str] = set()
    for q in [*BROAD, "Ščarbakoŭ bridge", "library opening hours"]:
        got = mini.retriever.retrieve(q, k=5, filters=filters, mode=mode)
        assert {p.doc_id for p in got} <= inside, (q, filters)
        seen |= {p.doc_id for p in got}
    assert seen == inside  # the filter keeps what is inside, too; an undated article is never inside


def test_dates_are_stored_as_ints_for_chroma_range_filters(mini):
    res = mini.store.chunks.get(include=["metadatas"])
    by_doc = {m["doc_id"]: m["date_int"] for m in res["metadatas"]}
    assert by_doc == DATES
    assert all(type(v) is int for v in by_doc.values())
    # Chroma itself evaluates the range (not only our post-filter).
    hits = mini.store.chunks.get(where={"$and": [{"date_int": {"$gte": 20240101}},
                                                 {"date_int": {"$lte": 20241231}}]}, include=["metadatas"])
    assert {m["doc_id"] for m in hits["metadatas"]} == {"port", "club"}


def test_filter_errors(mini):
    r = mini.retriever
    with pytest.raises(ConfigError, match="unknown filter"):
        r.retrieve("bridge", filters={"author": "x"})
    with pytest.raises(ConfigError, match="date"):
        r.retrieve("bridge", filters={"date_from": "last spring"})
    with pytest.raises(InvalidQuestion):
        r.retrieve("   ")
    with pytest.raises(ConfigError, match="k=0"):
        r.retrieve("bridge", k=0)


# -- aliases -----------------------------------------------------------------------------------
NAMED = {"bridge", "council"}  # the articles naming the person, in either spelling


@pytest.mark.parametrize("spelling", ["Shcharbakov", "Ščarbakoŭ", "Scarbakou", "SHCHERBAKOV", "Shcharbakow"])
def test_name_spelled_any_way_finds_both_articles(mini, spelling):
    """Diacritics, case, plain-ASCII folding (š -> s) and digraph romanisations (š -> sh,
    -oŭ -> -ov / -ow) of one name all reach both articles, whichever spelling each uses."""
    q = f"What did {spelling} say?"
    for mode in ("bm25", "hybrid"):
        got = mini.retriever.retrieve(q, k=3, mode=mode)
        assert {p.doc_id for p in got[:2]} == NAMED, (spelling, mode, [p.doc_id for p in got])


def test_alias_expansion_is_what_finds_it(mini):
    """A spelling absent from the BM25 vocabulary is bridged by the alias table alone."""
    r = mini.retriever
    (tok,) = tokenize("Shcherbakov")
    assert r.local.bm25.df(tok) == 0
    expanded = r.query_tokens("Shcherbakov")
    assert tok in expanded and sum(r.local.bm25.df(t) for t in expanded) == 2
    # A name with no corpus spelling is not expanded, nor is an ordinary word.
    assert r.query_tokens("Smith") == tokenize("Smith")
    assert r.query_tokens("bridge") == tokenize("bridge")


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_a_quoted_phrase_finds_the_chunk_that_holds_its_words_in_order(mini, mode):
    """The rest of the question points at the dock strike; the quoted words stand in
    order only in the bridge article, which comes first with the share it holds. Without
    the quotation marks the same words rank the strike first (so the phrase decides)."""
    r = mini.retriever
    words = "the project cost 41 million euros"
    rest = "at the eastern port, where the union and dock workers strike?"
    quoted = r.retrieve(f'Did anyone say "{words}" {rest}', k=3, mode=mode)
    plain = r.retrieve(f"Did anyone say {words} {rest}", k=3, mode=mode)
    assert quoted[0].doc_id == "bridge" and quoted[0].scores["phrase"] == 1.0
    assert plain[0].doc_id == "port" and all(p.scores["phrase"] == 0.0 for p in plain)
    # The quoted chunk takes the top score; the others keep theirs.
    assert quoted[0].score == max(p.score for p in plain)
    for p in quoted[1:]:
        assert p.scores["phrase"] == 0.0 and p.score <= quoted[0].score


STOPWORD_QUOTE = [
    {"id": "quote", "title": "Ferry service to resume", "publisher": "Harbour Times", "date": "2024-03-01",
     "text": "The ferry service will resume in April. Asked who had come, the harbour master said: "
             "“All of them were there, every single one.” The crossing takes forty minutes."},
    {"id": "budget", "title": "Minister presents harbour budget", "publisher": "Harbour Times", "date": "2024-03-02",
     "text": "The minister presented the harbour budget at the talks on Monday. The minister said the talks "
             "on the harbour budget would continue, and the harbour budget talks resume next week."},
]


@pytest.fixture(scope="module")
def stopword_quote(tmp_path_factory, hashing_embedder):
    d = tmp_path_factory.mktemp("stopq")
    src = d / "corpus.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in STOPWORD_QUOTE) + "\n", encoding="utf-8")
    asst = Assistant.open(index_dir=build_index(d / "index", hashing_embedder, [src]), embedder=hashing_embedder)
    yield asst
    asst.close()


def test_a_phrase_of_dropped_words_is_checked_in_the_questions_own_candidates(stopword_quote):
    """Every word of "all of them were there" is one the keyword index drops, so the
    phrase proposes nothing by itself; the question's own candidates are checked instead."""
    r = stopword_quote.retriever
    assert tokenize("all of them were there") == []
    rest = "at the minister's harbour budget talks"
    quoted = r.retrieve(f'Who said "all of them were there" {rest}?', k=2, mode="bm25")
    plain = r.retrieve(f"Who said all of them were there {rest}?", k=2, mode="bm25")
    assert quoted[0].doc_id == "quote" and quoted[0].scores["phrase"] == 1.0
    assert plain[0].doc_id == "budget"


def test_a_phrase_only_reorders_within_a_filter(mini):
    """A filtered search never gains a chunk from outside the filter by its phrase."""
    got = mini.retriever.retrieve('"the project cost 41 million euros"', k=3, filters={"publisher": "Harbour Times"})
    assert got and all(p.publisher == "Harbour Times" and p.scores["phrase"] == 0.0 for p in got)


def test_seed_alias_groups_come_from_the_corpus(seeds):
    """Generic property on the real seeds: each spelling in an alias group occurs in some
    document (nothing typed by hand) and leads to every other spelling of its group."""
    from assistant.text.folding import fold

    texts = " ".join(fold(asst_doc.text) for asst_doc in (seeds.document(d) for d in seeds.local.records()))
    groups = seeds.local.aliases.tokens
    assert any(len(g) > 1 for g in groups.values())  # the seeds do spell some names two ways
    for key, group in groups.items():
        for spelling in group:
            assert spelling in texts, key
            assert set(seeds.local.aliases.variants(spelling)) >= set(group) - {spelling}, (key, spelling)


def test_seed_name_in_one_spelling_finds_every_spelling(seeds):
    """Generic over whatever the seeds hold: a query made of one spelling of a name finds, by
    BM25 alone, exactly the documents that write the name in any of its corpus spellings."""
    from assistant.text.folding import fold

    texts = {d: fold(f"{r.get('title', '')} {seeds.document(d).text}") for d, r in seeds.local.records().items()}
    n_chunks = len(seeds.local.chunks.ids)
    checked = 0
    for group in seeds.local.aliases.tokens.values():
        if len(group) < 2:
            continue
        expected = {d for d, t in texts.items() if any(re.search(rf"\b{re.escape(v)}\b", t) for v in group)}
        for spelling in group:
            alone = {d for d, t in texts.items() if re.search(rf"\b{re.escape(spelling)}\b", t)}
            got = {p.doc_id for p in seeds.retriever.retrieve(spelling, k=n_chunks, mode="bm25")}
            assert got == expected, (spelling, group)
            checked += alone != expected  # the alias table did add documents
    assert checked > 0


# -- passages and scores -------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_passage_fields_and_offsets(seeds, mode):
    for q in ["irregular border crossings", "who was injured", "ambassadors presented credentials"]:
        got = seeds.retriever.retrieve(q, k=5, mode=mode)
        assert 0 < len(got) <= 5
        assert [p.rank for p in got] == list(range(1, len(got) + 1))
        assert [p.score for p in got] == sorted((p.score for p in got), reverse=True)
        assert len({p.chunk_id for p in got}) == len(got)
        for p in got:
            check_passage(seeds, p)


def test_scores_from_each_retriever(seeds):
    r = seeds.retriever
    q = "How many irregular crossings were thwarted?"
    hybrid = r.retrieve(q, k=5)
    assert any(p.scores["dense"] > 0 and p.scores["bm25"] > 0 for p in hybrid)
    dense = r.retrieve(q, k=5, mode="dense")
    assert all(p.scores["bm25"] == 0 and -1 <= p.scores["dense"] <= 1 for p in dense)
    bm25 = r.retrieve(q, k=5, mode="bm25")
    assert all(p.scores["dense"] == 0 and p.scores["bm25"] > 0 for p in bm25)
    # The fused raw scores of a chunk equal what each retriever gives it alone.
    by_id = {p.chunk_id: p for p in hybrid}
    for p in dense:
        if p.chunk_id in by_id:
            assert by_id[p.chunk_id].scores["dense"] == pytest.approx(p.scores["dense"], abs=1e-5)
    for p in bm25:
        if p.chunk_id in by_id:
            assert by_id[p.chunk_id].scores["bm25"] == pytest.approx(p.scores["bm25"])


def test_best_sentence_is_the_sentence_asked_about(seeds):
    """Querying with one sentence of a document: every passage holding that whole sentence
    cites exactly it (idf-weighted overlap is maximal there)."""
    checked = 0
    for doc_id in seeds.local.records():
        doc = seeds.document(doc_id)
        for s, e in doc.sentences[1::3]:
            sentence = doc.text[s:e]
            if len(set(tokenize(sentence))) < 6:
                continue
            got = seeds.retriever.retrieve(sentence, k=5, filters={"doc_id": doc_id})
            holding = [p for p in got if p.start <= s and e <= p.end]
            assert holding, (doc_id, sentence)
            for p in holding:
                assert (p.sentence_start, p.sentence_end) == (s, e), (doc_id, sentence, p.sentence)
            checked += 1
    assert checked >= 5


def test_k_and_modes(seeds):
    r = seeds.retriever
    assert len(r.retrieve("migrants", k=1)) == 1
    n = len(seeds.local.chunks.ids)
    assert len(r.retrieve("migrants Belarus EU", k=n + 10, mode="dense")) == n
    with pytest.raises(ConfigError, match="sparse"):
        r.retrieve("migrants", mode="sparse")


# -- llama-index ---------------------------------------------------------------------------------
def test_as_llama_index_in_retriever_query_engine(seeds):
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.response_synthesizers.no_text import NoText
    from llama_index.core.retrievers import BaseRetriever

    lli = seeds.retriever.as_llama_index(k=3)
    assert isinstance(lli, BaseRetriever)
    q = "How many irregular crossings has the EU thwarted via Belarus?"
    ours = seeds.retriever.retrieve(q, k=3)

    # The no-text synthesizer, built directly: get_response_synthesizer(response_mode="no_text")
    # drops its llm argument and resolves llama-index's global default (OpenAI, needs a key).
    engine = RetrieverQueryEngine(retriever=lli, response_synthesizer=NoText(llm=MockLLM()))
    resp = engine.query(q)
    assert [n.node.node_id for n in resp.source_nodes] == [p.chunk_id for p in ours]
    for n, p in zip(resp.source_nodes, ours, strict=True):
        md = n.node.metadata
        assert n.node.get_content() == p.text
        assert n.score == pytest.approx(p.score)
        assert {k: md[k] for k in ("doc_id", "title", "publisher", "date", "start", "end", "sentence",
                                   "sentence_start", "sentence_end")} == \
            {"doc_id": p.doc_id, "title": p.title, "publisher": p.publisher, "date": p.date, "start": p.start,
             "end": p.end, "sentence": p.sentence, "sentence_start": p.sentence_start,
             "sentence_end": p.sentence_end}
        assert md["dense_score"] == p.scores["dense"] and md["bm25_score"] == p.scores["bm25"]
        assert md["phrase_score"] == p.scores["phrase"] and md["rank"] == p.rank
        # offsets and scores reach neither the embedder nor the LLM; the citation fields do
        from llama_index.core.schema import MetadataMode
        for mode in (MetadataMode.LLM, MetadataMode.EMBED):
            shown = n.node.get_metadata_str(mode)
            assert "bm25_score" not in shown and "sentence_start" not in shown and p.title in shown

    # With an LLM in the loop (llama-index's scripted MockLLM), sources still carry our metadata.
    engine = RetrieverQueryEngine.from_args(lli, llm=MockLLM(max_tokens=16))
    resp = engine.query(q)
    assert str(resp).strip()  # MockLLM's scripted text went through the synthesizer
    assert [n.node.metadata["doc_id"] for n in resp.source_nodes] == [p.doc_id for p in ours]


def test_as_llama_index_applies_filters(seeds):
    doc_id = sorted(seeds.local.records())[0]
    lli = seeds.retriever.as_llama_index(k=4, filters={"doc_id": doc_id})
    nodes = lli.retrieve("migrants at the border")
    assert nodes and {n.node.metadata["doc_id"] for n in nodes} == {doc_id}


# -- public API and CLI --------------------------------------------------------------------------
def _readme_example(index_dir: Path) -> str:
    """The issue's README example, pointed at a real index."""
    return (
        "from assistant import Assistant, Retriever, Passage\n"
        f"asst = Assistant.open(index_dir={str(index_dir)!r})           # or chroma_url=\"http://host:port\"\n"
        "passages = asst.retriever.retrieve(\"question\", k=5, filters={\"publisher\": \"Pozirk\"})\n"
        "lli = asst.retriever.as_llama_index()             # a llama_index BaseRetriever\n"
    )


def test_readme_example_runs(seed_index, minilm_embedder, monkeypatch):
    import assistant.index.embedding

    monkeypatch.setattr(assistant.index.embedding, "default_embedder", lambda *a, **kw: minilm_embedder)
    readme = ROOT / "README.md"
    code = None
    if readme.exists():
        blocks = re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
        code = next((b for b in blocks if "as_llama_index" in b), None)
    if code is not None:
        code = re.sub(r"index_dir=\"[^\"]*\"", f"index_dir={str(seed_index)!r}", code)
    ns: dict = {}
    exec(code or _readme_example(seed_index), ns)
    assert isinstance(ns["asst"].retriever, Retriever)
    if "passages" in ns:
        assert all(isinstance(p, Passage) for p in ns["passages"])
    from llama_index.core.retrievers import BaseRetriever

    assert isinstance(ns["lli"], BaseRetriever)
    ns["asst"].close()


def test_issue_example_publisher_filter(seeds):
    """The documented call: a publisher filter returns only that publisher's passages."""
    pub = next(r["publisher"] for r in seeds.local.records().values() if r["publisher"])
    got = seeds.retriever.retrieve("question", k=5, filters={"publisher": pub})
    assert got and {p.publisher for p in got} == {pub}


def test_cli_search_json(seed_index, minilm_embedder, monkeypatch, capsys):
    import assistant.index.embedding
    from assistant.interfaces.cli import main

    monkeypatch.setattr(assistant.index.embedding, "default_embedder", lambda *a, **kw: minilm_embedder)
    q = "How many irregular crossings were thwarted?"
    assert main(["search", q, "-k", "3", "--json", "--index-dir", str(seed_index)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert isinstance(out, list) and len(out) == 3
    for d in out:
        assert {"doc_id", "chunk_id", "title", "publisher", "date", "text", "start", "end", "sentence",
                "sentence_start", "sentence_end", "score", "scores", "rank"} <= set(d)
        assert set(d["scores"]) == {"dense", "bm25", "fused", "phrase"}
    assert [d["rank"] for d in out] == [1, 2, 3]

    doc_id = out[0]["doc_id"]
    assert main(["search", q, "-k", "2", "--json", "--mode", "bm25", "--doc", doc_id,
                 "--index-dir", str(seed_index)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out and {d["doc_id"] for d in out} == {doc_id} and all(d["scores"]["dense"] == 0 for d in out)

    # Human-readable output names the source of each passage.
    assert main(["search", q, "-k", "2", "--index-dir", str(seed_index)]) == 0
    text = capsys.readouterr().out
    assert "[1]" in text and doc_id in text


def test_cli_search_errors_are_one_line(tmp_path, capsys):
    from assistant.interfaces.cli import main

    assert main(["search", "x", "--index-dir", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no index at") and "Traceback" not in err
