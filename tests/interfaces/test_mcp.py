"""``assistant mcp`` driven by the official SDK's own client, in a new process, over stdio
and streamable HTTP, against a real index built from the seeds (issue #26).

Every answer is checked against the library's own call in this process (same index, same
query-time embedder), every citation against the slice of its document at its offsets
(through the document tool and through the article's resource), and every bad call for
an error with the fix, followed by a good call that still works. Eight HTTP clients ask
at once and each must get its own answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, free_port, stop, wait_for_port
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from assistant.api import Assistant

pytestmark = [pytest.mark.slow, pytest.mark.server]

ASSISTANT = Path(sys.executable).parent / "assistant"
TOOLS = {"ask", "search", "timeline", "who_said", "document", "stats"}
REQUIRED = {"ask": ["question"], "search": ["query"], "timeline": ["topic"], "who_said": ["topic"],
            "document": ["doc_id"], "stats": []}
EVAL = ROOT / "eval" / "seeds.jsonl"


def _questions(n: int) -> list[str]:
    """``n`` single-turn, answerable questions of the seed eval set with distinct answers."""
    out, answers = [], set()
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d.get("history") or d["type"] == "unanswerable" or not d["answers"] or d["answers"][0] in answers:
            continue
        answers.add(d["answers"][0])
        out.append(d["question"])
    return out[:n]


@pytest.fixture(scope="module")
def index(seed_index, tmp_path_factory) -> Path:
    """A private copy of the seed index for the servers (they only read it)."""
    dst = tmp_path_factory.mktemp("mcp") / "index"
    shutil.copytree(seed_index, dst)
    return dst


@pytest.fixture(scope="module")
def library(index, minilm_embedder):
    """The library over the same index, for the answers the server must give."""
    asst = Assistant.open(index_dir=index, embedder=minilm_embedder)
    yield asst
    asst.close()


def _stdio(index_dir: Path, *extra: str) -> StdioServerParameters:
    """The server as a desktop client starts it (the README's configuration)."""
    return StdioServerParameters(command=str(ASSISTANT), args=["mcp", "--index-dir", str(index_dir), *extra],
                                 env=dict(os.environ))


def _run(server: Any, body: Callable[[Client], Awaitable[Any]], **kw: Any) -> Any:
    async def main() -> Any:
        async with Client(server, read_timeout_seconds=120, **kw) as client:
            return await body(client)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def http_url(index, tmp_path_factory):
    """``assistant mcp --http`` in a process of its own; its log must hold no traceback."""
    port = free_port()
    log = tmp_path_factory.mktemp("mcp-http") / "stderr.txt"
    with log.open("w") as err:
        proc = subprocess.Popen([str(ASSISTANT), "mcp", "--http", "--port", str(port), "--index-dir", str(index)],
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_for_port(port, proc=proc)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(proc)
        text = log.read_text()
        assert "Traceback" not in text and "/mcp" in text, text


async def _call(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """A good call: its structured result, which must equal the JSON of its text."""
    r = await client.call_tool(tool, args)
    assert not r.is_error, r.content[0].text
    assert json.loads(r.content[0].text) == r.structured_content
    return r.structured_content


async def _error(client: Client, tool: str, args: dict[str, Any]) -> str:
    r = await client.call_tool(tool, args)
    assert r.is_error, f"{tool}({args}) did not fail"
    text = r.content[0].text
    assert text.startswith("error: ") and "\nfix: " in text, text
    assert "Traceback" not in text
    return text


def _plain(x: Any) -> Any:
    return json.loads(json.dumps(x, ensure_ascii=False))


async def _check_offsets(client: Client, doc_id: str, start: int, end: int, quote: str, cache: dict) -> None:
    """``quote`` is the document's text at ``start:end``: by the document tool's slice, and
    in the article's resource (the text the offsets index)."""
    got = await _call(client, "document", {"doc_id": doc_id, "start": start, "end": end})
    assert got["text"] == quote and (got["start"], got["end"]) == (start, end)
    if doc_id not in cache:
        res = await client.read_resource(got["uri"])
        cache[doc_id] = res.contents[0].text
    assert cache[doc_id][start:end] == quote


@pytest.fixture(params=["stdio", "http"])
def server(request, index):
    """Where a test's client connects: a new ``assistant mcp`` on stdio, or the HTTP server."""
    return _stdio(index) if request.param == "stdio" else request.getfixturevalue("http_url")


# -- both transports ------------------------------------------------------------------------------------
def test_tools_schemas_and_every_tool_against_the_library(server, library):
    q = "How many crossings were thwarted in 2025?"
    follow = ("What did he say about negotiations?", ["Who is Alaksandar Valfovič?"])

    async def body(c: Client) -> None:
        listed = {t.name: t for t in (await c.list_tools()).tools}
        assert set(listed) == TOOLS
        for name, tool in listed.items():
            s = tool.input_schema
            assert s["type"] == "object" and s["additionalProperties"] is False, name
            assert sorted(s.get("required", [])) == REQUIRED[name]
            assert len(tool.description or "") > 150, f"{name}: a description an LLM can choose by"
            assert tool.output_schema and tool.output_schema["type"] == "object"
            assert tool.annotations and tool.annotations.read_only_hint
            if "filters" in s["properties"]:
                assert set(s["properties"]["filters"]["properties"]) == {"doc_id", "publisher", "date_from", "date_to"}
        assert listed["search"].input_schema["properties"]["k"]["maximum"] >= 10

        texts: dict[str, str] = {}
        # ask: the library's answer, each citation offset-exact
        got = await _call(c, "ask", {"question": q})
        want = library.ask(q)
        assert got["answer"] == want.answer and got["answer"] and not got["abstained"]
        assert [(x["doc_id"], x["start"], x["end"], x["quote"]) for x in got["citations"]] == \
            [(x.doc_id, x.start, x.end, x.quote) for x in want.citations]
        for cit in got["citations"]:
            await _check_offsets(c, cit["doc_id"], cit["start"], cit["end"], cit["quote"], texts)
            if cit["answer_start"] >= 0:
                assert cit["start"] <= cit["answer_start"] < cit["answer_end"] <= cit["end"]
        # a follow-up with its history; an abstention with its reason
        got = await _call(c, "ask", {"question": follow[0], "history": follow[1]})
        want = library.ask(follow[0], history=follow[1])
        assert (got["answer"], got["rewritten"]) == (want.answer, want.rewritten)
        got = await _call(c, "ask", {"question": "Who won the 2030 World Cup?"})
        assert got["abstained"] and got["abstain_reason"] and got["abstain_reason"] in got["text"]
        for cit in got["citations"]:
            await _check_offsets(c, cit["doc_id"], cit["start"], cit["end"], cit["quote"], texts)

        # search, with filters: the library's passages, offsets exact
        got = await _call(c, "search", {"query": "Lukashenko migrants", "k": 3, "filters": {"publisher": "pozirk"}})
        want = library.retriever.retrieve("Lukashenko migrants", k=3, filters={"publisher": "pozirk"})
        assert got["passages"] == _plain([p.to_dict() for p in want]) and len(want) == 3
        for p in got["passages"]:
            assert p["publisher"] == "Pozirk"
            await _check_offsets(c, p["doc_id"], p["start"], p["end"], p["text"], texts)
            await _check_offsets(c, p["doc_id"], p["sentence_start"], p["sentence_end"], p["sentence"], texts)

        # timeline and who_said: the library's views, each sentence offset-exact
        got = await _call(c, "timeline", {"topic": "the migration crisis"})
        assert got["events"] == _plain([e.to_dict() for e in library.timeline("the migration crisis")])
        assert got["events"]
        for e in got["events"]:
            await _check_offsets(c, e["doc_id"], e["start"], e["end"], e["sentence"], texts)
        got = await _call(c, "who_said", {"topic": "the Minsk conference"})
        want = library.who_said_what("the Minsk conference")
        assert got["speakers"] == _plain([s.to_dict() for s in want]) and want
        for sp in got["speakers"]:
            for said in sp["statements"]:
                await _check_offsets(c, said["doc_id"], said["start"], said["end"], said["sentence"], texts)

        # stats, document (whole), resources
        st = await _call(c, "stats", {})
        lib = library.stats()
        assert (st["documents"], st["chunks"]) == (lib["documents"], lib["chunks"]) and st["documents"] == 5
        assert [d["doc_id"] for d in st["docs"]] == [d["doc_id"] for d in lib["docs"]]
        assert st["publishers"] == sorted({d["publisher"] for d in lib["docs"] if d["publisher"]})
        assert "where" not in st and all("source" not in d for d in st["docs"])
        for d in st["docs"]:
            whole = await _call(c, "document", {"doc_id": d["doc_id"]})
            assert whole["text"] == library.document(d["doc_id"]).text and whole["length"] == len(whole["text"])
        listed_res = (await c.list_resources()).resources
        assert sorted(r.name for r in listed_res) == sorted(d["doc_id"] for d in st["docs"])
        for r in listed_res:
            assert (await c.read_resource(r.uri)).contents[0].text == library.document(r.name).text
        templates = (await c.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["news://doc/{doc_id}"]

    _run(server, body)


def test_bad_calls_give_the_fix_and_the_server_carries_on(server, library):
    q = _questions(1)[0]
    want = library.ask(q).answer

    async def body(c: Client) -> None:
        async def still_works() -> None:
            assert (await _call(c, "ask", {"question": q}))["answer"] == want

        # An unknown argument names the ones the tool takes; following the fix works.
        err = await _error(c, "ask", {"question": q, "filter": {"publisher": "Pozirk"}})
        assert "no argument 'filter'" in err and "use only question, history, filters, asked_on" in err
        assert (await _call(c, "ask", {"question": q, "filters": {"publisher": "Pozirk"}}))["text"]
        # The library's own errors, message and fix.
        err = await _error(c, "ask", {"question": "   "})
        assert "the question is empty" in err
        await still_works()
        for bad, says in (({"date_from": "last week"}, "cannot read the date 'last week'"),
                          ({"source": "x"}, "unknown filter(s) ['source']"),
                          (["Pozirk"], "filters must be an object"),
                          ("{not json", "filters must be an object")):
            err = await _error(c, "search", {"query": "migrants", "filters": bad})
            assert says in err, err
            await still_works()
        err = await _error(c, "search", {"query": "migrants", "k": "many"})
        assert "argument 'k'" in err and "an integer from 1 to" in err
        err = await _error(c, "search", {"k": 3})
        assert "needs the argument 'query'" in err
        err = await _error(c, "nosuch", {})
        assert "no tool 'nosuch'" in err and "ask" in err
        await still_works()
        # An unknown doc id: the fix is the stats tool, whose ids work.
        err = await _error(c, "document", {"doc_id": "no-such-article.txt"})
        assert "no document 'no-such-article.txt'" in err and "stats tool" in err
        doc_id = (await _call(c, "stats", {}))["docs"][0]["doc_id"]
        length = (await _call(c, "document", {"doc_id": doc_id}))["length"]
        err = await _error(c, "document", {"doc_id": doc_id, "start": 5, "end": length + 1})
        assert f"pass 0 <= start <= end <= {length}" in err
        with pytest.raises(MCPError, match=r"no document 'nope'.*stats tool"):
            await c.read_resource("news://doc/nope")
        await still_works()

    _run(server, body)


# -- stdio -------------------------------------------------------------------------------------------
def test_stdio_without_an_index_says_how_to_build_it_and_picks_it_up(tmp_path, index, library):
    """A missing index is a tool error with the ingest command; once the index is there
    (here: copied in), the same server answers without a restart."""
    where = tmp_path / "not-yet"
    q = _questions(1)[0]

    async def body(c: Client) -> None:
        assert {t.name for t in (await c.list_tools()).tools} == TOOLS
        err = await _error(c, "ask", {"question": q})
        assert f"no index at {where}" in err and "assistant ingest" in err and f"--index-dir {where}" in err
        with pytest.raises(MCPError, match="no index"):
            await c.list_resources()
        shutil.copytree(index, where)
        assert (await _call(c, "ask", {"question": q}))["answer"] == library.ask(q).answer

    _run(_stdio(where), body)


# -- streamable HTTP -----------------------------------------------------------------------------------
def test_http_legacy_handshake_and_no_server_paths(http_url, index, library):
    """A client of the handshake era (initialize; what most deployed clients speak), and
    errors that name no path on the server."""
    q = "How many crossings were thwarted in 2025?"

    async def body(c: Client) -> None:
        assert {t.name for t in (await c.list_tools()).tools} == TOOLS
        got = await _call(c, "ask", {"question": q})
        assert got["answer"] == library.ask(q).answer
        texts: dict[str, str] = {}
        for cit in got["citations"]:
            await _check_offsets(c, cit["doc_id"], cit["start"], cit["end"], cit["quote"], texts)
        for err in (await _error(c, "document", {"doc_id": "nope"}),
                    await _error(c, "search", {"query": "x", "filters": {"date_to": "soon"}})):
            assert str(index) not in err and str(index.resolve()) not in err and "/tmp" not in err
        assert (await _call(c, "ask", {"question": q}))["answer"] == got["answer"]

    _run(http_url, body, mode="legacy")


def test_http_eight_concurrent_clients_get_their_own_answers(http_url, library):
    questions = _questions(8)
    assert len(questions) == 8
    want = {q: library.ask(q) for q in questions}
    rounds = 3

    async def one_client(i: int) -> list[str]:
        problems = []
        mode = "legacy" if i % 2 else "auto"
        async with Client(http_url, read_timeout_seconds=300, mode=mode) as c:
            for r in range(rounds):
                q = questions[(i + r) % len(questions)]  # every client asks another question each round
                res = await c.call_tool("ask", {"question": q})
                if res.is_error:
                    problems.append(f"client {i}: {res.content[0].text}")
                    continue
                got = res.structured_content
                w = want[q]
                if got["question"] != q or got["answer"] != w.answer or \
                        [x["quote"] for x in got["citations"]] != [x.quote for x in w.citations]:
                    problems.append(f"client {i} asked {q!r}, got the answer {got['answer']!r} to {got['question']!r}")
        return problems

    async def main() -> list[str]:
        results = await asyncio.gather(*(one_client(i) for i in range(8)), return_exceptions=True)
        out = []
        for i, r in enumerate(results):
            out += [f"client {i}: {type(r).__name__}: {r}"] if isinstance(r, BaseException) else r
        return out

    problems = asyncio.run(main())
    assert not problems, "\n".join(problems)
