"""Commands for agents and other apps: mcp (the assistant as an MCP server)."""

from __future__ import annotations

import argparse
import logging
import sys

from assistant.interfaces.options import llm_from, settings_from


def cmd_mcp(args: argparse.Namespace) -> int:
    """Serve the MCP tools over stdio (a desktop client starts this command) or, with
    ``--http``, streamable HTTP. Messages go to stderr: stdout is the stdio protocol."""
    from assistant.errors import ConfigError
    from assistant.interfaces.mcp_server.launch import DEFAULT_PORT, check_port, require_mcp

    if not args.http and (args.host is not None or args.port is not None):
        raise ConfigError("--host and --port are for the HTTP server", fix="add --http, or leave them out for stdio")
    require_mcp()
    from assistant.api import Assistant
    from assistant.interfaces.mcp_server.backend import OpenIndex

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    settings = settings_from(args)
    llm = llm_from(args)
    index = OpenIndex(lambda: Assistant.open(settings=settings, llm=llm))
    host, port = args.host or "127.0.0.1", DEFAULT_PORT if args.port is None else args.port
    if args.http:
        check_port(host, port)  # before anything loads: a taken port is a message, not a traceback
    index.start_warm_up()  # the index opens while the SDK is imported
    from assistant.interfaces.mcp_server.server import serve

    serve(index, http=args.http, host=host, port=port)
    return 0
