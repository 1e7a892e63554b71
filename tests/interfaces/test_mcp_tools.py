"""The MCP tools without models: schemas, argument errors and their fixes, filters, the
server's error path through the SDK's in-process client, the command line's errors
(a missing SDK, a taken port), and the README's client configuration.

The real server, in its own process over stdio and HTTP, is ``test_mcp.py``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from assistant.errors import ConfigError, IndexMissing
from assistant.interfaces.cli import main
from assistant.interfaces.mcp_server.launch import INSTALL_FIX, require_mcp
from assistant.interfaces.mcp_server.tools import (
    DOC_URI_PREFIX,
    MAX_K,
    TOOLS,
    abstain_reason,
    describe,
    doc_uri,
    parse_filters,
)
from assistant.interfaces.options import FILTER_FIELDS
from assistant.models import Answer
from assistant.retrieval.retriever import FILTER_KEYS


def test_every_tool_publishes_a_strict_schema_and_the_librarys_filters():
    assert set(TOOLS) == {"ask", "search", "timeline", "who_said", "document", "stats"}
    for spec in TOOLS.values():
        schema = spec.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        for name, prop in schema["properties"].items():
            assert prop.get("description"), f"{spec.name}.{name} has no description"
        if "filters" in schema["properties"]:
            filters = schema["properties"]["filters"]
            assert set(filters["properties"]) == set(FILTER_FIELDS) == set(FILTER_KEYS)
            assert filters["additionalProperties"] is False
        assert spec.output_schema["type"] == "object"
    assert TOOLS["search"].input_schema["properties"]["k"]["maximum"] == MAX_K


@pytest.mark.parametrize(("tool", "args", "says", "fix", "fixed"), [
    ("ask", {"question": "q", "filter": {}}, "the ask tool has no argument 'filter'",
     "use only question, history, filters, asked_on", {"question": "q", "filters": {}}),
    ("search", {"k": 2}, "the search tool needs the argument 'query'", "pass query: keywords or a question",
     {"k": 2, "query": "migrants"}),
    ("search", {"query": "x", "k": "five"}, "argument 'k' of the search tool", "pass k as an integer from 1 to 50",
     {"query": "x", "k": 5}),
    ("search", {"query": "x", "k": MAX_K + 1}, "less than or equal to 50", "or leave it out", {"query": "x"}),
    ("ask", {"question": "q", "history": "earlier?"}, "argument 'history' of the ask tool",
     "pass history as a list of strings", {"question": "q", "history": ["earlier?"]}),
    ("document", {"doc_id": "d", "start": -1}, "argument 'start'", "an integer of at least 0",
     {"doc_id": "d", "start": 0}),
    ("stats", {"verbose": True}, "the stats tool has no argument 'verbose'", "call stats with no arguments", {}),
])
def test_bad_arguments_say_what_to_pass_and_the_fix_parses(tool, args, says, fix, fixed):
    with pytest.raises(ConfigError) as err:
        TOOLS[tool].parse(args)
    assert says in err.value.message and fix in err.value.fix
    TOOLS[tool].parse(fixed)  # following the fix gives arguments the tool takes


def test_several_problems_are_all_reported():
    with pytest.raises(ConfigError) as err:
        TOOLS["search"].parse({"q": "x", "k": 0})
    msg = err.value.message
    assert "no argument 'q'" in msg and "needs the argument 'query'" in msg and "argument 'k'" in msg


def test_describe_reads_schemas_as_words():
    assert describe({"type": "integer", "minimum": 1, "maximum": 9}) == "an integer from 1 to 9"
    assert describe({"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]}) == \
        "a list of strings"
    assert describe({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}) == \
        "a string or a list of strings"
    assert describe({"enum": ["a", "b"]}) == 'one of "a", "b"'
    assert describe({"type": "object"}) == "an object"


def test_filters_are_an_object_or_its_json():
    assert parse_filters(None) is None and parse_filters("") is None and parse_filters({}) is None
    assert parse_filters({"publisher": "Reuters"}) == {"publisher": "Reuters"}
    assert parse_filters('{"date_from": "2025-01"}') == {"date_from": "2025-01"}
    for bad in (["Reuters"], "publisher=Reuters", 3):
        with pytest.raises(ConfigError, match="filters must be an object") as err:
            parse_filters(bad)
        assert json.loads(err.value.fix.split("pass e.g. ", 1)[1].split(", or", 1)[0])  # the example is JSON


def test_abstain_reason_and_doc_uris():
    ans = Answer(text="The corpus does not say: the corpus never mentions Mars.\nClosest passages:", answer="",
                 kind="entity", abstained=True)
    assert abstain_reason(ans) == "the corpus never mentions Mars"
    assert abstain_reason(Answer(text="1994 [1]", answer="1994", kind="date", abstained=False)) == ""
    from urllib.parse import unquote

    for doc_id in ("000_d3a1.txt", "reuters/2025/a b.html", "ü?#"):
        uri = doc_uri(doc_id)
        assert uri.startswith(DOC_URI_PREFIX) and "/" not in uri[len(DOC_URI_PREFIX):]
        assert unquote(uri[len(DOC_URI_PREFIX):]) == doc_id


# -- the server's error path, through the SDK's in-process client -------------------------------------------
def test_a_server_without_its_index_answers_every_tool_with_the_fix(tmp_path):
    """No index: the tools are listed, every call is a tool error with the library's
    message and fix, and the server goes on answering."""
    from mcp import Client

    from assistant.interfaces.mcp_server.backend import OpenIndex
    from assistant.interfaces.mcp_server.server import build_server

    opened = []

    def open_missing():
        opened.append(1)
        raise IndexMissing(f"no index at {tmp_path / 'index'}", fix="build it: `assistant ingest seeds`")

    server = build_server(OpenIndex(open_missing), hide_paths=True)

    async def body():
        async with Client(server) as c:
            assert {t.name for t in (await c.list_tools()).tools} == set(TOOLS)
            for name, args in (("ask", {"question": "When?"}), ("stats", {}), ("document", {"doc_id": "x"})):
                r = await c.call_tool(name, args)
                text = r.content[0].text
                assert r.is_error and text.startswith("error: no index at") and "\nfix: build it" in text
                assert str(tmp_path) not in text  # HTTP clients see no server paths
            r = await c.call_tool("ask", {"question": "When?", "colour": "red"})
            assert r.is_error and "no argument 'colour'" in r.content[0].text  # checked before the index

    asyncio.run(body())
    assert len(opened) == 3  # tried again on each call: an index built later is picked up


# -- the command line ---------------------------------------------------------------------------------
def test_without_the_sdk_the_command_gives_the_pip_command(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "mcp", None)  # as if the [mcp] extra were not installed
    assert main(["mcp", "--index-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "needs the MCP Python SDK" in err and INSTALL_FIX in err


def test_an_old_sdk_is_named_with_the_upgrade(monkeypatch):
    from importlib import metadata

    monkeypatch.setattr(metadata, "version", lambda name: "1.9.4")
    with pytest.raises(ConfigError, match=r"this environment has 1\.9\.4") as err:
        require_mcp()
    assert 'pip install -U "news-assistant[mcp]"' in err.value.fix


def test_port_options_need_http_and_a_free_port(capsys, tmp_path):
    assert main(["mcp", "--port", "9000", "--index-dir", str(tmp_path)]) == 2
    assert "fix: add --http" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert main(["mcp", "--http", "--port", str(port), "--index-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "fix: pass another --port" in err


def test_readme_gives_the_client_configuration_the_tests_run():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## From agents and other apps")
    section = readme[start:readme.index("\n## ", start + 5)]
    blocks = [b.split("```", 1)[0] for b in section.split("```json")[1:]]
    servers = [s for b in blocks for s in json.loads(b)["mcpServers"].values()]
    stdio = next(s for s in servers if "command" in s)
    assert Path(stdio["command"]).name == "assistant" and stdio["args"][0] == "mcp" and "--index-dir" in stdio["args"]
    assert any(s.get("url", "").endswith("/mcp") for s in servers)
    assert "assistant mcp --http" in section and "as_langchain(" in section and "RunnableLambda" in section
