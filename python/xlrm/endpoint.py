"""A small client for OpenAI-compatible HTTP endpoints (vLLM, TGI, llama.cpp server, hosted APIs).

One JSON POST at a time per call, safe to share between threads::

    ep = Endpoint("http://127.0.0.1:8000/v1", api_key_env="VLLM_API_KEY", config_prefix="judge.")
    reply = ep.chat_completion({"model": "Qwen/Qwen2.5-7B-Instruct", "messages": [...]})
    reply.content, reply.completion_tokens

429, 5xx, timeouts and refused or dropped connections are retried with exponential backoff
(doubling from ``backoff_s`` with jitter, capped at ``backoff_max_s``; a server's
``Retry-After``, in seconds or as an HTTP date, wins). Other HTTP errors fail at once.

The API key goes to the configured endpoint and nowhere else:

- it is read from the environment variable *named* by ``api_key_env``; a value there that
  looks like a key instead of a variable name is refused, without showing it;
- redirects are never followed (urllib would resend ``Authorization`` to the new host):
  a 3xx is an :class:`EndpointRedirect` naming the target without its query;
- credentials inside ``base_url`` (``https://user:pass@host``) are refused: the only
  credential is the Bearer token from the environment;
- every message this module logs or raises passes through :meth:`Endpoint.redact`, which
  removes the key and the userinfo of any URL, so a server that echoes the key cannot get it
  printed; a key echoed inside a successful answer is replaced by ``***`` there too.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import os
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from xlrm.errors import XlrmError

__all__ = [
    "Endpoint",
    "Completion",
    "EndpointError",
    "EndpointConfigError",
    "EndpointRefused",
    "EndpointRedirect",
    "EndpointUnavailable",
    "EndpointTimeout",
    "EndpointBadResponse",
    "redact",
    "redact_url",
    "looks_like_key",
    "check_env_name",
    "check_base_url",
]

MASK = "***"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Prefixes of the API tokens people paste most often (OpenAI, Hugging Face, Groq, GitHub, xAI,
# Anthropic, Google, Together, generic "key-").
_KEY_PREFIXES = ("sk-", "sk_", "hf_", "gsk_", "ghp_", "gho_", "github_pat_", "xai-", "AIza", "key-", "tgp_")
# scheme://userinfo@: everything up to the *last* '@' of the URL is masked, also past a '/', so
# that a password holding '/' or an unescaped '@' (``https://u:pa/ss@host``) is masked whole.
# A URL with '@' in its path loses its host in messages: the price of never showing a secret.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s'\"<>]*@")
_DETAIL_CHARS = 300


# --- errors -------------------------------------------------------------------


class EndpointError(XlrmError):
    """An OpenAI-compatible endpoint failed; ``url`` is redacted, ``status`` the HTTP code if any."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        self.url, self.status = url, status
        super().__init__(message)


class EndpointConfigError(EndpointError):
    """A base_url or api_key_env that cannot be used safely (credentials in the wrong place)."""


class EndpointRefused(EndpointError):
    """The endpoint answered a client error (400, 401, 403, 404, 422, ...): retrying will not help."""


class EndpointRedirect(EndpointRefused):
    """The endpoint answered a 3xx; redirects are not followed, so the key never leaves the host."""


class EndpointUnavailable(EndpointError):
    """No answer after every retry: 429, 5xx, refused connections or timeouts."""


class EndpointTimeout(EndpointUnavailable):
    """Like :class:`EndpointUnavailable`, the last attempt having timed out."""


class EndpointBadResponse(EndpointError):
    """The endpoint answered 200 with something that is not a chat completion."""


# --- redaction and config checks ---------------------------------------------------


def redact_url(text: str) -> str:
    """``text`` with the userinfo of every URL in it replaced: ``https://u:p@h/v1`` → ``https://***@h/v1``."""
    return _URL_USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)


def redact(text: str, secrets=()) -> str:
    """``text`` with each of ``secrets`` (non-empty strings) and every URL's userinfo masked."""
    out = str(text)
    # Longest first, so a secret that contains another is masked whole.
    for s in sorted((s for s in secrets if s), key=len, reverse=True):
        out = out.replace(s, MASK)
    return redact_url(out)


def looks_like_key(value: str) -> bool:
    """Whether ``value`` looks like an API token rather than an environment variable's name.

    Variable names are short and usually upper case (``OPENAI_API_KEY``); tokens are long and
    mix cases and digits, or carry a well-known prefix (``sk-``, ``hf_``, ...).
    """
    v = value.strip()
    if v.lower().startswith("bearer "):
        return True
    if len(v) >= 16 and v.startswith(_KEY_PREFIXES):
        return True
    if (
        len(v) >= 20
        and any(c.islower() for c in v)
        and any(c.isupper() for c in v)
        and any(c.isdigit() for c in v)
    ):
        return True
    if len(v) >= 32 and re.fullmatch(r"[0-9a-fA-F\-]+", v):  # hex and UUID tokens
        return True
    return False


def check_env_name(name: str, key: str = "api_key_env") -> None:
    """Refuse an ``api_key_env`` that is not a variable name, never repeating the value:
    when it is not a name it is most likely the key itself, pasted in the wrong place.
    An empty name means: send no key."""
    if not name:
        return
    what = None
    if not _ENV_NAME.fullmatch(name):
        what = "is not a variable name (letters, digits and _ only)"
    elif looks_like_key(name):
        what = "looks like an API key rather than the name of a variable"
    if what:
        raise EndpointConfigError(
            f"{key} must be the name of the environment variable that holds the API key "
            f"(e.g. OPENAI_API_KEY), but the value given {what}; it is not shown here in case it "
            f"is the key. Put the key in the environment (export MY_API_KEY=...) and set "
            f"{key}: MY_API_KEY; if the key was written into a config file, remove it there and "
            f"consider it exposed"
        )


def check_base_url(url: str, key: str = "base_url") -> None:
    """Refuse a ``base_url`` that is not an http(s) API root or that carries credentials."""
    if looks_like_key(url) and "://" not in url:
        raise EndpointConfigError(
            f"{key} must be the endpoint's URL (e.g. http://127.0.0.1:8000/v1), but the value "
            f"given looks like an API key (not shown); put the key in an environment variable "
            f"named by api_key_env"
        )
    if "@" in url:  # userinfo, also one that urlsplit misreads (a '/' in the password)
        raise EndpointConfigError(
            f"{key} carries credentials (shown masked: {MASK}@{url.rsplit('@', 1)[1]}): xlrm does not send user:password "
            f"from URLs, and would otherwise write them into logs and manifests. Remove them from "
            f"the URL, put the token in an environment variable and name it with api_key_env "
            f"(it is sent as 'Authorization: Bearer ...' to this host only)"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise EndpointConfigError(
            f"{key} {redact_url(url)!r} is not a valid URL (check the host and port)"
        ) from None
    if parts.scheme not in ("http", "https"):
        raise EndpointConfigError(f"{key} must start with http:// or https://, got {redact_url(url)!r}")
    if not parts.hostname:
        raise EndpointConfigError(f"{key} {redact_url(url)!r} has no host")
    if parts.query or parts.fragment:
        raise EndpointConfigError(
            f"{key} {redact_url(url)!r} has a query string or fragment; give the API root only "
            f"(e.g. https://host/v1) and put request parameters in the request body"
        )


# --- the client ---------------------------------------------------------------


@dataclass
class Completion:
    """One chat-completions answer; ``completion_tokens`` is None when the server reports no usage."""

    content: str
    completion_tokens: int | None
    finish_reason: str | None
    payload: dict


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turns every redirect into the HTTPError it came with, so no request is ever resent."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Endpoint:
    """An OpenAI-compatible API root; thread-safe (counters under a lock, one connection per call).

    ``api_key`` (explicit) wins over the variable named by ``api_key_env``; with neither,
    requests carry no ``Authorization`` header (a local vLLM without ``--api-key``).
    ``config_prefix`` (e.g. ``"openai."``) is put before option names in hints, so an error
    names the config key to change.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        backoff_max_s: float = 60.0,
        config_prefix: str = "",
        logger: logging.Logger | None = None,
    ):
        self._prefix = config_prefix
        check_base_url(base_url, f"{config_prefix}base_url")
        check_env_name(api_key_env, f"{config_prefix}api_key_env")
        if timeout_s <= 0 or max_retries < 0 or backoff_s < 0 or backoff_max_s < 0:
            raise EndpointConfigError(
                f"{config_prefix}timeout_s must be > 0 and {config_prefix}max_retries, "
                f"{config_prefix}backoff_s, {config_prefix}backoff_max_s >= 0"
            )
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.timeout_s, self.max_retries = float(timeout_s), int(max_retries)
        self.backoff_s, self.backoff_max_s = float(backoff_s), float(backoff_max_s)
        self.log = logger or logging.getLogger("xlrm.endpoint")
        self.host = urllib.parse.urlsplit(self.base_url).hostname or ""
        self._key = api_key if api_key is not None else (os.environ.get(api_key_env) if api_key_env else None)
        self._key = self._key.strip() if self._key else None
        if not self._key:
            self.log.info(
                "no API key%s: requests to %s carry no Authorization header",
                f" in ${api_key_env}" if api_key_env else "",
                self.base_url,
            )
        # Loopback servers are reached directly, whatever proxy the environment names.
        handlers: list = [_NoRedirect()]
        if self.host in _LOOPBACK:
            handlers.append(urllib.request.ProxyHandler({}))
        self._opener = urllib.request.build_opener(*handlers)
        self._lock = threading.Lock()
        self._requests = 0
        self._retries = 0
        self._scrubbed = False

    def __repr__(self) -> str:
        key = f"key from ${self.api_key_env}" if self._key else "no key"
        return f"Endpoint({self.base_url!r}, {key})"

    @property
    def requests(self) -> int:
        """HTTP requests sent, retries included."""
        return self._requests

    @property
    def retries(self) -> int:
        """Requests that were retries of an earlier failed one."""
        return self._retries

    @property
    def has_key(self) -> bool:
        return bool(self._key)

    def url_for(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def redact(self, text: str) -> str:
        """``text`` without the API key (also as ``Bearer <key>``) and without URL userinfo."""
        return redact(text, (self._key,) if self._key else ())

    # -- requests ----------------------------------------------------------------

    def chat_completion(self, body: dict, path: str = "chat/completions") -> Completion:
        """POST a chat-completions ``body``; the first choice's message text and usage."""
        payload = self.post_json(path, body)
        url = self.url_for(path)
        try:
            choice = payload["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            snippet = self.redact(json.dumps(payload, ensure_ascii=False))[:_DETAIL_CHARS]
            raise EndpointBadResponse(
                f"{url} answered without choices[0].message.content: {snippet} "
                f"(is {self._prefix}base_url a chat-completions API root, e.g. .../v1?)",
                url=url,
            ) from None
        if not isinstance(content, str):
            raise EndpointBadResponse(
                self.redact(f"{url} answered a non-text message content: {content!r:.200}"), url=url
            )
        usage = payload.get("usage") or {}
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        if not isinstance(tokens, int) or isinstance(tokens, bool):
            tokens = None
        finish = choice.get("finish_reason") if isinstance(choice, dict) else None
        return Completion(content, tokens, finish if isinstance(finish, str) else None, payload)

    def post_json(self, path: str, body: dict) -> dict:
        """POST ``body`` as JSON to ``base_url/path``, retrying what can pass; the answer as a dict."""
        url = self.url_for(path)
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        last, timed_out = "", False
        for attempt in range(self.max_retries + 1):
            with self._lock:
                self._requests += 1
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
            retry_after = None
            try:
                with self._opener.open(request, timeout=self.timeout_s) as resp:
                    raw = resp.read()
                return self._decode(url, raw)
            except urllib.error.HTTPError as e:
                code, err_headers = e.code, e.headers
                detail = self._error_detail(e)
                e.close()
                if 300 <= code < 400:
                    raise self._redirect_error(url, code, err_headers) from None
                if code == 429 or code >= 500:
                    last, timed_out = f"HTTP {code} {detail}".strip(), False
                    retry_after = err_headers.get("Retry-After") if err_headers else None
                else:
                    raise EndpointRefused(
                        self.redact(f"{url} answered HTTP {code}: {detail}{self._hint(code, body)}"),
                        url=url,
                        status=code,
                    ) from None
            except urllib.error.URLError as e:
                last, timed_out = _describe(e.reason), isinstance(e.reason, TimeoutError)
            except TimeoutError:
                last, timed_out = f"timed out after {self.timeout_s:g} s", True
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                last, timed_out = _describe(e), False
            if attempt < self.max_retries:
                with self._lock:
                    self._retries += 1
                delay = self._delay(attempt, retry_after)
                self.log.warning(
                    "%s",
                    self.redact(f"{url}: {last}; retry {attempt + 1}/{self.max_retries} in {delay:.1f} s"),
                )
                time.sleep(delay)
        p = self._prefix
        cls = EndpointTimeout if timed_out else EndpointUnavailable
        raise cls(
            self.redact(
                f"{url}: no answer after {self.max_retries + 1} attempts (last: {last}); is the server "
                f"running and is {p}base_url right? ({p}max_retries, {p}timeout_s and {p}backoff_s tune this)"
            ),
            url=url,
        )

    # -- helpers -------------------------------------------------------------------

    def _decode(self, url: str, raw: bytes) -> dict:
        try:
            payload = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            snippet = self.redact(raw.decode("utf-8", "replace"))[:200]
            raise EndpointBadResponse(
                f"{url} answered something that is not JSON: {snippet!r} "
                f"(is {self._prefix}base_url the API root, e.g. .../v1?)",
                url=url,
            ) from None
        if not isinstance(payload, dict):
            raise EndpointBadResponse(
                self.redact(f"{url} answered JSON that is not an object: {raw[:200]!r}"), url=url
            )
        return self._scrub(payload) if self._key else payload

    def _scrub(self, obj: Any) -> Any:
        """The answer with every echo of the key masked, so it cannot reach outputs either."""
        if isinstance(obj, str):
            if self._key in obj:
                if not self._scrubbed:
                    self._scrubbed = True
                    self.log.warning(
                        "%s answered text containing the API key; it was replaced by %s", self.base_url, MASK
                    )
                return obj.replace(self._key, MASK)
            return obj
        if isinstance(obj, dict):
            return {self._scrub(k): self._scrub(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._scrub(v) for v in obj]
        return obj

    def _error_detail(self, e: urllib.error.HTTPError) -> str:
        """The server's error message, redacted *before* it is cut (a cut key would survive masking)."""
        try:
            text = self.redact(e.read().decode("utf-8", "replace"))
        except Exception:
            return ""
        try:
            err = json.loads(text).get("error")
            if isinstance(err, dict):
                return str(err.get("message", err))[:_DETAIL_CHARS]
            if err:
                return str(err)[:_DETAIL_CHARS]
        except (json.JSONDecodeError, AttributeError):
            pass
        return text[:_DETAIL_CHARS]

    def _redirect_error(self, url: str, code: int, headers) -> EndpointRedirect:
        location = headers.get("Location") if headers else None
        p = self._prefix
        if not location:
            return EndpointRedirect(
                self.redact(
                    f"{url} answered HTTP {code} (a redirect without a Location header); check {p}base_url"
                ),
                url=url,
                status=code,
            )
        target = urllib.parse.urlsplit(urllib.parse.urljoin(url, location))
        host = target.hostname or "?"
        netloc = f"{host}:{target.port}" if target.port else host
        shown = urllib.parse.urlunsplit((target.scheme, netloc, target.path, "", ""))
        here = urllib.parse.urlsplit(url)
        if host == here.hostname and target.scheme == "https" and here.scheme == "http":
            hint = f"the server wants HTTPS: set {p}base_url to https://…"
        elif host == here.hostname:
            hint = f"set {p}base_url to the path the server redirects to"
        else:
            hint = f"if {host} is the server you mean to use, set {p}base_url to it"
        return EndpointRedirect(
            self.redact(
                f"{url} answered HTTP {code}, a redirect to {shown}; xlrm does not follow redirects so "
                f"that the API key is sent to the configured host only ({hint})"
            ),
            url=url,
            status=code,
        )

    def _hint(self, code: int, body: dict) -> str:
        p = self._prefix
        model = body.get("model") if isinstance(body, dict) else None
        if code in (401, 403):
            if not self._key:
                where = f"${self.api_key_env} is not set" if self.api_key_env else f"{p}api_key_env is empty"
                return f" (no API key was sent: {where}; export the key there)"
            return f" (check the API key in ${self.api_key_env} and that it may use this endpoint)"
        if code in (400, 404, 422):
            return f" (check base_url {self.base_url!r} and the model name {model!r}; {p}base_url is the API root, e.g. .../v1)"
        return ""

    def _delay(self, retry: int, retry_after: str | None) -> float:
        if retry_after:
            wait = _retry_after_s(retry_after)
            if wait is not None:
                return min(self.backoff_max_s, wait)
        base = min(self.backoff_max_s, self.backoff_s * (2**retry))
        return base * random.uniform(0.5, 1.0)


def _retry_after_s(value: str) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110); None if neither."""
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe(reason) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve host ({reason})"
    return str(reason) or type(reason).__name__
