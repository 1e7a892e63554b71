"""The assistant as an MCP server (``assistant mcp``), for agents and desktop LLM clients.

- ``tools``: the tools (search, ask, timeline, who_said, document, stats): their argument
  schemas, descriptions for an LLM that must choose among them, and what each calls in
  the library. No MCP import: pydantic only.
- ``launch``: the SDK and port checks the command makes before anything loads.
- ``backend``: the one ``Assistant`` the sessions share, opened and warmed in the background.
- ``server``: the official ``mcp`` SDK's server around them, each article as a
  ``news://doc/{doc_id}`` resource, over stdio or streamable HTTP.

The SDK is the optional ``[mcp]`` extra: nothing here imports it until a server is built,
and ``launch.require_mcp`` turns its absence into a message with the pip command.
"""
