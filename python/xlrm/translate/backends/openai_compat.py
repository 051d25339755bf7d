"""Any OpenAI-compatible chat-completions endpoint (vLLM, TGI, llama.cpp server, hosted APIs).

One request per segment, ``openai.concurrency`` in flight, through :class:`xlrm.endpoint.Endpoint`:
429, 5xx, timeouts and connection errors are retried with exponential backoff (doubling from
``backoff_s``, capped at ``backoff_max_s``, a server's ``Retry-After`` taking precedence); other
HTTP errors fail at once, and redirects are errors (never followed with the key). The API key is
read from the environment variable named by ``api_key_env`` and is never logged, stored in the
manifest, or put into an error message, whatever the server answers.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from xlrm.endpoint import Endpoint, EndpointError
from xlrm.translate.backends.base import Backend, BackendError, Batch, render_prompt

log = logging.getLogger("xlrm.translate")


class OpenAICompatBackend(Backend):
    name = "openai_compat"

    def __init__(self, cfg, model_id: str, langs: list[str]):
        self.opts = cfg.openai
        self.model_id = model_id
        self.segment_limit = cfg.max_segment_tokens
        try:
            self.endpoint = Endpoint(
                self.opts.base_url,
                api_key_env=self.opts.api_key_env,
                timeout_s=self.opts.timeout_s,
                max_retries=self.opts.max_retries,
                backoff_s=self.opts.backoff_s,
                backoff_max_s=self.opts.backoff_max_s,
                config_prefix="openai.",
                logger=log,
            )
        except EndpointError as e:  # the stage reports backend failures as BackendError
            raise BackendError(str(e)) from None
        self.url = self.endpoint.url_for("chat/completions")
        self._pool = ThreadPoolExecutor(
            max_workers=self.opts.concurrency, thread_name_prefix="xlrm-translate"
        )

    @property
    def requests(self) -> int:
        return self.endpoint.requests

    @property
    def retries(self) -> int:
        return self.endpoint.retries

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
        try:
            reply = self.endpoint.chat_completion(self.body(text, src, tgt, attempt))
        except EndpointError as e:  # already redacted by the endpoint
            raise BackendError(str(e)) from None
        content = reply.content
        tokens = reply.completion_tokens
        if tokens is None:
            tokens = len(content) // 4 + 1
        if "\n" not in text:
            content = content.strip().split("\n", 1)[0]
        return content.strip(), tokens

    def close(self) -> None:
        self._pool.shutdown(wait=True)
