"""What every translation backend provides, and the prompt rendering they share."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass

from xlrm import languages
from xlrm.errors import XlrmError
from xlrm.translate.cache import Identity


class BackendError(XlrmError):
    """The translation backend failed: an endpoint that does not answer, a model that errors."""


@dataclass
class Batch:
    outputs: list[str]
    tokens: int  # tokens generated (reported by the endpoint, or counted)


def render_prompt(template: str, text: str, src: str, tgt: str) -> str:
    """Fill ``{src_name} {tgt_name} {src} {tgt} {text}``; other braces in the template stay as they are."""
    fields = {
        "{src_name}": languages.language(src).name,
        "{tgt_name}": languages.language(tgt).name,
        "{src}": src,
        "{tgt}": tgt,
    }
    out = template
    for k, v in fields.items():
        out = out.replace(k, v)
    return out.replace("{text}", text)


def settings_hash(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Backend(ABC):
    """A translation model behind one interface; one instance serves one model."""

    name: str = ""
    model_id: str = ""
    segment_limit: int = 256  # the longest segment (in this backend's tokens) sent at once

    @abstractmethod
    def settings(self, attempt: int) -> dict:
        """The settings that change the output of ``attempt`` (0 = first try); they key the cache."""

    def identity(self, attempt: int = 0) -> Identity:
        return Identity(self.name, self.model_id, settings_hash(self.settings(attempt)))

    @abstractmethod
    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens per text, as this backend counts them against ``segment_limit``."""

    @abstractmethod
    def translate(self, texts: list[str], src: str, tgt: str, attempt: int = 0) -> Batch:
        """One output per input text, in order; ``attempt > 0`` asks for a different (sampled) try."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Free the model or the connection pool."""
