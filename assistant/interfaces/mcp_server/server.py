"""The MCP server (``assistant mcp``) on the official ``mcp`` SDK, over stdio or streamable HTTP.

Built on the SDK's low-level ``Server`` rather than ``MCPServer``: the tools' schemas are
``tools``' own and arguments are checked against them strictly (``MCPServer`` drops an
argument it does not know without a word). Every tool error is a tool result with
``isError`` whose text is the library's message and fix; the server stays up after any
bad call, and the next good call works.

One ``Assistant`` serves every session (``backend.OpenIndex``): it opens and warms its
models in the background from the start, as the chat does, while the server answers the
handshake. Library calls run in worker threads, at most ``ASK_CONCURRENCY`` at once.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import anyio
import anyio.to_thread
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from assistant import __version__
from assistant.errors import AssistantError, ConfigError
from assistant.interfaces.mcp_server.backend import OpenIndex
from assistant.interfaces.mcp_server.launch import DEFAULT_PORT, check_port
from assistant.interfaces.mcp_server.tools import (
    DOC_URI_PREFIX,
    DOC_URI_TEMPLATE,
    TOOLS,
    ToolSpec,
    doc_uri,
    read_document,
)
from assistant.interfaces.web import scrub_paths

if TYPE_CHECKING:
    from assistant.api import Assistant

__all__ = ["ASK_CONCURRENCY", "build_server", "serve"]

#: Library calls at once, shared by all sessions: the chat's default (app.py), for the
#: machines this targets have few cores; the same environment variable sets both.
ASK_CONCURRENCY = int(os.environ.get("ASSISTANT_ASK_CONCURRENCY", "2"))
#: Articles per ``resources/list`` page.
RESOURCE_PAGE = 1000
#: Seconds uvicorn waits for open streams when stopping, before it closes them.
SHUTDOWN_GRACE = 5
INSTRUCTIONS = (
    "Answers questions about a corpus of news articles, citing the exact sentences. Use ask for a question "
    "(it abstains when the articles do not say), search to gather passages, timeline and who_said for a topic "
    "across articles, document (or the resource news://doc/{doc_id}) to read an article, stats for what the "
    "corpus holds. Offsets are character offsets into an article's cleaned text, end exclusive.")
log = logging.getLogger("assistant.mcp")


def build_server(index: OpenIndex, *, hide_paths: bool = False, concurrency: int = ASK_CONCURRENCY) -> Server[Any]:
    """The MCP server over ``index``. ``hide_paths``: no server paths in what clients see
    (HTTP clients may be on other machines; a stdio client is the user's own process)."""
    gate = threading.BoundedSemaphore(max(1, concurrency))
    tools = [types.Tool(name=t.name, title=t.title, description=t.description, input_schema=t.input_schema,
                        output_schema=t.output_schema,
                        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True,
                                                          open_world_hint=False))
             for t in TOOLS.values()]
    schemas = {t.name: t.input_schema for t in tools}

    def shown(text: str) -> str:
        if not hide_paths:
            return text
        asst = index.peek()  # never opens: an error about opening must not open again
        known = [(asst.settings.index_dir, "the index"), (asst.settings.cache_dir, "the index cache")] if asst else []
        return scrub_paths(text, known)

    def error(exc: AssistantError) -> types.CallToolResult:
        text = f"error: {exc.message}" + (f"\nfix: {exc.fix}" if exc.fix else "")
        return types.CallToolResult(content=[types.TextContent(text=shown(text))], is_error=True)

    def run(spec: ToolSpec, args: Any) -> dict[str, Any]:
        with gate:
            return spec.run(index.get(), args)

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        spec = TOOLS.get(params.name)
        try:
            if spec is None:
                raise ConfigError(f"there is no tool {params.name!r}", fix=f"call one of {', '.join(TOOLS)}")
            data = await anyio.to_thread.run_sync(partial(run, spec, spec.parse(params.arguments or {})))
        except AssistantError as exc:
            return error(exc)
        except Exception as exc:  # a bug: reported, logged, and the server carries on
            log.exception("tool %s failed", params.name)
            return error(AssistantError(f"internal error in {params.name}: {type(exc).__name__}: {exc}",
                                        fix="see the server's log (stderr) and please report it"))
        return types.CallToolResult(content=[types.TextContent(text=json.dumps(data, ensure_ascii=False))],
                                    structured_content=data)

    async def list_resources(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        cursor = params.cursor if params is not None else None
        if cursor is not None and not cursor.isdigit():
            raise MCPError(types.INVALID_PARAMS, f"unknown cursor {cursor!r}: pass the nextCursor a listing gave")
        start = int(cursor or 0)
        with _as_mcp_error(shown):
            records = await anyio.to_thread.run_sync(lambda: _doc_records(index.get()))
        page = records[start:start + RESOURCE_PAGE]
        more = start + RESOURCE_PAGE < len(records)
        return types.ListResourcesResult(resources=[_resource(r) for r in page],
                                         next_cursor=str(start + RESOURCE_PAGE) if more else None)

    async def list_templates(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[types.ResourceTemplate(
            name="article", title="A news article", uri_template=DOC_URI_TEMPLATE, mime_type="text/plain",
            description="The cleaned text of an article, by its doc_id (percent-encoded): the text that "
                        "citation offsets index.")])

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        if not uri.startswith(DOC_URI_PREFIX):
            raise MCPError(types.INVALID_PARAMS, f"unknown resource {uri!r}: articles are {DOC_URI_TEMPLATE}")
        doc_id = unquote(uri[len(DOC_URI_PREFIX):])
        with _as_mcp_error(shown, code=types.INVALID_PARAMS):
            doc = await anyio.to_thread.run_sync(lambda: read_document(index.get(), doc_id))
        return types.ReadResourceResult(contents=[types.TextResourceContents(
            uri=uri, mime_type="text/plain", text=doc.text,
            meta={"doc_id": doc.doc_id, "title": doc.title, "publisher": doc.publisher, "date": doc.date})])

    return Server("news-assistant", version=__version__, title="News assistant", instructions=INSTRUCTIONS,
                  get_tool_input_schema=schemas.get, on_list_tools=list_tools, on_call_tool=call_tool,
                  on_list_resources=list_resources, on_list_resource_templates=list_templates,
                  on_read_resource=read_resource)


@contextmanager
def _as_mcp_error(shown: Callable[[str], str], code: int = types.INTERNAL_ERROR) -> Iterator[None]:
    """The library's errors as a JSON-RPC error (resources have no isError result)."""
    try:
        yield
    except AssistantError as exc:
        raise MCPError(code, shown(f"{exc.message} (fix: {exc.fix})" if exc.fix else exc.message),
                       data={"error": shown(exc.message), "fix": shown(exc.fix)}) from None


def _doc_records(asst: Assistant) -> list[dict[str, Any]]:
    asst.refresh()
    return [r for _, r in sorted(asst.local.records().items())]


def _resource(record: dict[str, Any]) -> types.Resource:
    doc_id = str(record.get("doc_id", ""))
    about = " · ".join(x for x in (record.get("publisher"), record.get("date")) if x)
    return types.Resource(uri=doc_uri(doc_id), name=doc_id, title=record.get("title") or doc_id,
                          description=about or None, mime_type="text/plain",
                          meta={"doc_id": doc_id, "publisher": record.get("publisher") or "",
                                "date": record.get("date") or ""})


# -- transports ------------------------------------------------------------------------------------------
def serve(index: OpenIndex, *, http: bool = False, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Serve until the client goes (stdio) or the process is stopped (HTTP)."""
    server = build_server(index, hide_paths=http)
    if http:
        check_port(host, port)
    index.start_warm_up()
    try:
        if http:
            _serve_http(server, host, port)
        else:
            anyio.run(_serve_stdio, server)
    finally:
        index.close()


async def _serve_stdio(server: Server[Any]) -> None:
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


def _serve_http(server: Server[Any], host: str, port: int) -> None:
    import uvicorn

    app = server.streamable_http_app(host=host)
    shown_host = f"[{host}]" if ":" in host else host
    print(f"MCP server (streamable HTTP) at http://{shown_host}:{port}/mcp", file=sys.stderr, flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: {host} is reachable from other machines and the server has no authentication",
              file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                  timeout_graceful_shutdown=SHUTDOWN_GRACE)).run()
