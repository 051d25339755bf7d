"""Loopback HTTP servers for the tests: stand-ins for OpenAI-compatible endpoints on 127.0.0.1.

``Loopback`` is the machinery (a free port, a thread per request, a context manager that
starts and stops it, every request recorded); what it answers is up to the test, so a server
can redirect, refuse, echo headers, stall or hang on purpose. ``ChatServer`` is a Loopback that
speaks chat completions through a plain ``reply(body, req)`` function.
"""

from __future__ import annotations

import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def completion(
    content: str, *, prompt_tokens: int = 3, completion_tokens: int | None = None, **fields
) -> dict:
    """A chat.completion payload answering ``content``; ``completion_tokens`` is its word count
    unless given; ``fields`` (e.g. id, model) go at the top level."""
    n = len(content.split()) if completion_tokens is None else completion_tokens
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        **fields,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n},
    }


def json_answer(status: int, payload, headers=None, reason=None, *, ensure_ascii: bool = True):
    """A Loopback answer carrying ``payload`` as JSON."""
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(payload, ensure_ascii=ensure_ascii).encode(),
        reason,
    )


class Loopback:
    """An HTTP server on 127.0.0.1 (port 0: a free one) answering GET and POST.

    Answers come from ``respond(req)`` (the constructor's argument or a subclass's method), where
    ``req`` is ``{"method", "path", "headers", "body" (bytes), "n" (1 for the first request)}``,
    as ``(status, headers, body bytes, reason)``, or None to close the connection unanswered.
    Every request is appended to ``seen`` on arrival, and ``arrived(req)`` runs then under
    ``lock``; ``sent(req, answer)`` runs once an answer is written (not when the client hung up).
    """

    def __init__(self, respond=None):
        if respond is not None:
            self.respond = respond
        self.seen: list[dict] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                req = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": raw}
                with server.lock:
                    server.seen.append(req)
                    req["n"] = len(server.seen)
                    server.arrived(req)
                answer = server.respond(req)
                if answer is None:
                    return
                status, headers, body, reason = answer
                try:
                    self.send_response(status, reason)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    return
                server.sent(req, answer)

            do_POST = do_GET = _serve  # noqa: N815 - http.server's naming

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def requests(self) -> int:
        return len(self.seen)

    def respond(self, req):
        raise NotImplementedError

    def arrived(self, req) -> None:
        pass

    def sent(self, req, answer) -> None:
        pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class ChatServer(Loopback):
    """Chat completions: ``reply(body, req)`` (body: the request's JSON) gives the assistant's text,
    a whole payload (dict), ``(status, message)`` for an ``{"error": {"message": ...}}`` answer, or
    a Loopback answer of four. Before each answer it waits ``delay_s``, plus a random share of
    ``jitter_s`` (so that answers come back out of order under concurrency)."""

    def __init__(self, reply, *, delay_s: float = 0.0, jitter_s: float = 0.0):
        super().__init__()
        self.reply = reply
        self.delay_s = delay_s
        self.jitter_s = jitter_s

    def respond(self, req):
        body = json.loads(req["body"])
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.jitter_s:
            time.sleep(random.uniform(0, self.jitter_s))
        out = self.reply(body, req)
        if isinstance(out, str):
            return json_answer(200, completion(out))
        if isinstance(out, dict):
            return json_answer(200, out)
        if len(out) == 2:
            return json_answer(out[0], {"error": {"message": out[1]}})
        return out


def user_messages(body: dict) -> list[str]:
    """The contents of the user messages of a chat-completions request body."""
    return [m["content"] for m in body["messages"] if m["role"] == "user"]
