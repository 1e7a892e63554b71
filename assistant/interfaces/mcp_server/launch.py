"""What starting the MCP server needs before the SDK loads: the check that a suitable
``mcp`` SDK is installed (with the pip command when it is not), the port check, and the
default port. Nothing here imports the SDK."""

from __future__ import annotations

import socket

from assistant.errors import ConfigError

#: The oldest SDK whose API the server is written against (the low-level ``Server`` takes
#: its handlers as constructor arguments from 2.x on).
MIN_MCP = (2, 3)
INSTALL_FIX = 'pip install "news-assistant[mcp]"  (or: pip install "mcp>=2.3,<3")'
#: ``assistant mcp --http`` listens here unless told otherwise (clients use /mcp on it).
DEFAULT_PORT = 8765


def require_mcp() -> None:
    """Raise ``ConfigError`` with the pip command unless a suitable ``mcp`` SDK is installed
    (without importing it: the index starts opening while the SDK is imported)."""
    import importlib.util
    from importlib import metadata

    try:
        found = importlib.util.find_spec("mcp") is not None
        version = metadata.version("mcp") if found else ""
    except (ImportError, ValueError, metadata.PackageNotFoundError):
        found, version = False, ""
    if not found or not version:
        raise ConfigError("`assistant mcp` needs the MCP Python SDK, which is not installed here", fix=INSTALL_FIX)
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if parts < MIN_MCP:
        raise ConfigError(f"`assistant mcp` needs the MCP Python SDK {'.'.join(map(str, MIN_MCP))} or newer; "
                          f"this environment has {version}", fix=INSTALL_FIX.replace("pip install", "pip install -U"))


def check_port(host: str, port: int) -> None:
    """``ConfigError`` with the fix unless ``host:port`` is free to listen on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                              fix=f"pass another --port (e.g. --port {port + 1}), or stop what listens there") from None
