"""A fake LLM server that behaves like one: the OpenAI chat-completions API on a loopback
port, streaming a scripted reply as server-sent events, one token per event with a pause
between them (as a model writes), or answering whole when not asked to stream."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLMServer:
    """``with FakeLLMServer(reply, pause) as srv: srv.url`` (".../v1"); ``srv.sent`` holds
    (monotonic time, token) for every token written to a client."""

    def __init__(self, reply: str, pause: float = 0.05) -> None:
        self.reply = reply
        self.pause = pause
        self.sent: list[tuple[float, str]] = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                outer.requests.append(body)
                tokens = [t for t in outer.reply.split(" ")]
                tokens = [t + (" " if i < len(tokens) - 1 else "") for i, t in enumerate(tokens)]
                if not body.get("stream"):
                    data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                                       "choices": [{"index": 0, "finish_reason": "stop",
                                                    "message": {"role": "assistant", "content": outer.reply}}]})
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data.encode())
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, tok in enumerate(tokens):
                    delta = {"role": "assistant", "content": tok} if i == 0 else {"content": tok}
                    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    outer.sent.append((time.monotonic(), tok))
                    time.sleep(outer.pause)
                end = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeLLMServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
