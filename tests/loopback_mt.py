"""A stand-in machine-translation endpoint for stage-chain tests: an OpenAI-compatible
chat-completions server on 127.0.0.1 that "translates" by tagging the text with the target
language (placeholders survive, so the stage's own planning and checks run unchanged).
``delay_s`` slows each answer down so that a test can kill a run in the middle."""

from __future__ import annotations

import re

from loopback_chat import ChatServer, completion, user_messages

_REQUEST = re.compile(r"from (.+?) to (.+?)\.\n\n(.*)", re.S)


def _tag(body: dict, req: dict) -> dict:
    user = user_messages(body)[-1]
    match = _REQUEST.search(user)
    target, text = (match.group(2), match.group(3)) if match else ("?", user)
    return completion(f"<{target}> {text}", completion_tokens=len(text.split()))


class TaggingTranslator(ChatServer):
    """``requests`` counts the requests it received."""

    def __init__(self, delay_s: float = 0.0):
        super().__init__(_tag, delay_s=delay_s)


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
