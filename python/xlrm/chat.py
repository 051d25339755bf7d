"""One chat rendering for training, scoring, analysis and sampling.

A conversation (``[{role, content}, ...]``) becomes text through the model's chat template, or,
for a tokenizer without one, through :data:`FALLBACK_CHAT_TEMPLATE`. Every stage renders through
:func:`render` with the template :func:`resolve_template` picks, and records
:func:`template_info` in its manifest, so an RM is never scored or analysed on text rendered
differently from what it was trained on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from xlrm.errors import InputError

#: Used when neither the config nor the tokenizer provides a chat template. Each message is
#: ``<|role|>\n{content}{eos}\n``; a BOS (if the tokenizer has one) starts the text, and the
#: generation prompt is ``<|assistant|>\n``. The role markers are plain text, so no new tokens
#: (and no embedding resize) are needed.
FALLBACK_CHAT_TEMPLATE = (
    "{% if bos_token %}{{ bos_token }}{% endif %}"
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}{{ eos_token }}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def resolve_template(tokenizer, override: str | None = None) -> str:
    """The chat template text that will be used: ``override`` (text or a .jinja/.j2 path) >
    the tokenizer's own > :data:`FALLBACK_CHAT_TEMPLATE`."""
    if override is not None:
        p = Path(override)
        if len(override) < 4096 and p.suffix in (".jinja", ".j2"):
            if not p.is_file():
                raise InputError("chat template file does not exist", file=str(p))
            return p.read_text(encoding="utf-8")
        return override
    own = getattr(tokenizer, "chat_template", None)
    if isinstance(own, dict):  # several named templates: take the default one
        own = own.get("default")
    if own:
        return own
    if getattr(tokenizer, "eos_token", None) is None:
        raise InputError(
            f"tokenizer {type(tokenizer).__name__} has no chat template and no EOS token",
            hint="set tokenizer.eos_token, or pass chat_template with an explicit end-of-turn marker",
        )
    return FALLBACK_CHAT_TEMPLATE


def template_info(tokenizer, template: str) -> dict:
    """For manifests: where the template came from and its hash."""
    own = getattr(tokenizer, "chat_template", None)
    if isinstance(own, dict):
        own = own.get("default")
    source = "fallback" if template == FALLBACK_CHAT_TEMPLATE else "model" if template == own else "config"
    return {"source": source, "sha256": hashlib.sha256(template.encode()).hexdigest()[:16]}


def render(tokenizer, conversations, template: str, *, add_generation_prompt: bool = False):
    """One conversation → its text; a list of conversations → a list of texts."""
    return tokenizer.apply_chat_template(
        conversations, chat_template=template, tokenize=False, add_generation_prompt=add_generation_prompt
    )
