"""Any OpenAI-compatible chat-completions endpoint (vLLM, TGI, llama.cpp server, hosted APIs).

One request per segment, ``openai.concurrency`` in flight. 429, 5xx, timeouts and connection
errors are retried with exponential backoff (doubling from ``backoff_s``, capped at
``backoff_max_s``, a server's ``Retry-After`` taking precedence); other HTTP errors fail at
once. The API key is read from the environment variable named by ``api_key_env`` and is
never logged, stored in the manifest, or put into an error message.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from xlrm.translate.backends.base import Backend, BackendError, Batch, render_prompt

log = logging.getLogger("xlrm.translate")
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class OpenAICompatBackend(Backend):
    name = "openai_compat"

    def __init__(self, cfg, model_id: str, langs: list[str]):
        self.opts = cfg.openai
        self.model_id = model_id
        self.segment_limit = cfg.max_segment_tokens
        self.url = self.opts.base_url.rstrip("/") + "/chat/completions"
        host = urllib.parse.urlsplit(self.url).hostname or ""
        # Loopback servers are reached directly, whatever proxy the environment names.
        handlers = [urllib.request.ProxyHandler({})] if host in _LOOPBACK else []
        self._opener = urllib.request.build_opener(*handlers)
        self._key = os.environ.get(self.opts.api_key_env) if self.opts.api_key_env else None
        if not self._key:
            log.info("no API key in $%s: requests carry no Authorization header", self.opts.api_key_env)
        self._pool = ThreadPoolExecutor(
            max_workers=self.opts.concurrency, thread_name_prefix="xlrm-translate"
        )
        self.requests = 0
        self.retries = 0

    def settings(self, attempt: int) -> dict:
        o = self.opts
        return {
            "system": o.system_prompt,
            "template": o.prompt_template,
            "max_tokens": o.max_tokens,
            "temperature": o.retry_temperature if attempt else o.temperature,
            "extra": o.extra_body,
            "attempt": attempt,
        }

    def count_tokens(self, texts: list[str]) -> list[int]:
        # No tokenizer at hand: about 3 characters per token errs on the short side.
        return [len(t) // 3 + 1 for t in texts]

    def body(self, text: str, src: str, tgt: str, attempt: int) -> dict:
        o = self.opts
        messages = []
        if o.system_prompt:
            messages.append({"role": "system", "content": render_prompt(o.system_prompt, "", src, tgt)})
        messages.append({"role": "user", "content": render_prompt(o.prompt_template, text, src, tgt)})
        body = {
            "model": self.model_id,
            "messages": messages,
            "max_tokens": o.max_tokens,
            "temperature": o.retry_temperature if attempt else o.temperature,
        }
        if attempt:
            body["seed"] = attempt
        body.update(o.extra_body)
        return body

    def translate(self, texts: list[str], src: str, tgt: str, attempt: int = 0) -> Batch:
        results = list(self._pool.map(lambda t: self._one(t, src, tgt, attempt), texts))
        outputs = [r[0] for r in results]
        return Batch(outputs, sum(r[1] for r in results))

    def _one(self, text: str, src: str, tgt: str, attempt: int) -> tuple[str, int]:
        payload = self.post(self.body(text, src, tgt, attempt))
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise BackendError(
                f"{self.url} answered without choices[0].message.content: {json.dumps(payload)[:300]}"
            ) from None
        if not isinstance(content, str):
            raise BackendError(f"{self.url} answered a non-text message content: {content!r:.200}")
        usage = payload.get("usage") or {}
        tokens = usage.get("completion_tokens")
        if not isinstance(tokens, int):
            tokens = len(content) // 4 + 1
        if "\n" not in text:
            content = content.strip().split("\n", 1)[0]
        return content.strip(), tokens

    def _delay(self, retry: int, retry_after: str | None) -> float:
        o = self.opts
        if retry_after:
            try:
                return min(o.backoff_max_s, max(0.0, float(retry_after)))
            except ValueError:
                pass
        base = min(o.backoff_max_s, o.backoff_s * (2**retry))
        return base * random.uniform(0.5, 1.0)

    def post(self, body: dict) -> dict:
        o = self.opts
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        last = ""
        for retry in range(o.max_retries + 1):
            self.requests += 1
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            retry_after = None
            try:
                with self._opener.open(request, timeout=o.timeout_s) as resp:
                    raw = resp.read()
                try:
                    return json.loads(raw)
                except json.JSONDecodeError:
                    raise BackendError(
                        f"{self.url} answered something that is not JSON: {raw[:200]!r}"
                    ) from None
            except urllib.error.HTTPError as e:
                detail = _read_error(e)
                e.close()
                if e.code == 429 or e.code >= 500:
                    last = f"HTTP {e.code} {detail}".strip()
                    retry_after = e.headers.get("Retry-After") if e.headers else None
                else:
                    hint = ""
                    if e.code in (401, 403):
                        hint = f" (check the API key in ${o.api_key_env})"
                    elif e.code in (400, 404, 422):
                        hint = f" (check base_url {o.base_url!r} and the model name {self.model_id!r})"
                    raise BackendError(f"{self.url} answered HTTP {e.code}: {detail}{hint}") from None
            except urllib.error.URLError as e:
                last = _describe(e.reason)
            except TimeoutError:
                last = f"timed out after {o.timeout_s:g} s"
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                last = _describe(e)
            if retry < o.max_retries:
                self.retries += 1
                delay = self._delay(retry, retry_after)
                log.warning("%s: %s; retry %d/%d in %.1f s", self.url, last, retry + 1, o.max_retries, delay)
                time.sleep(delay)
        raise BackendError(
            f"{self.url}: no answer after {o.max_retries + 1} attempts (last: {last}); is the server running "
            "and is openai.base_url right? (openai.max_retries, openai.timeout_s and openai.backoff_s tune this)"
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _read_error(e: urllib.error.HTTPError) -> str:
    try:
        body = e.read().decode("utf-8", "replace")
    except Exception:
        return ""
    try:
        err = json.loads(body).get("error")
        if isinstance(err, dict):
            return str(err.get("message", err))[:300]
        if err:
            return str(err)[:300]
    except (json.JSONDecodeError, AttributeError):
        pass
    return body[:300]


def _describe(reason) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve host ({reason})"
    return str(reason) or type(reason).__name__
