"""A stand-in machine-translation endpoint for stage-chain tests: an OpenAI-compatible
chat-completions server on 127.0.0.1 that "translates" by tagging the text with the target
language (placeholders survive, so the stage's own planning and checks run unchanged).
``delay_s`` slows each answer down so that a test can kill a run in the middle."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_REQUEST = re.compile(r"from (.+?) to (.+?)\.\n\n(.*)", re.S)


class TaggingTranslator:
    def __init__(self, delay_s: float = 0.0):
        self.delay_s = delay_s
        self.requests = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                user = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
                match = _REQUEST.search(user)
                target, text = (match.group(2), match.group(3)) if match else ("?", user)
                with server.lock:
                    server.requests += 1
                if server.delay_s:
                    time.sleep(server.delay_s)
                reply = json.dumps(
                    {
                        "choices": [{"message": {"role": "assistant", "content": f"<{target}> {text}"}}],
                        "usage": {"completion_tokens": len(text.split())},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def translate_section(url: str, languages: list[str]) -> dict:
    """A `translate:` section that sends everything to the tagging endpoint."""
    return {
        "backend": "openai_compat",
        "model": "tagger",
        "languages": languages,
        "openai": {"base_url": url, "api_key_env": "", "concurrency": 2, "max_retries": 0},
        "checks": {"language": False, "length_ratio": False},
        "progress": False,
    }
