"""Tiny random-weight models built from a config (xlrm.bundled builds the same for
``xlrm:tiny-llama``): seconds on a CPU, real transformers code paths."""

from __future__ import annotations

from xlrm.bundled import tiny_llama, word_tokenizer

__all__ = ["pair_texts", "tiny_llama", "word_tokenizer"]


def pair_texts(rows) -> list[str]:
    return [m["content"] for r in rows for f in ("prompt", "chosen", "rejected") for m in r[f]]
