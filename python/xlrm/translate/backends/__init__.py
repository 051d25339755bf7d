"""Translation backends: local Hugging Face seq2seq and causal models, OpenAI-compatible endpoints.

torch and transformers are imported only when a Hugging Face backend is built.
"""

from __future__ import annotations

from xlrm.translate.backends.base import Backend, BackendError, Batch, render_prompt


def make_backend(cfg, model_id: str, langs: list[str]) -> Backend:
    """The backend ``cfg.backend`` for ``model_id``, serving the target languages ``langs``."""
    if cfg.backend == "hf_seq2seq":
        from xlrm.translate.backends.hf_seq2seq import HFSeq2SeqBackend

        return HFSeq2SeqBackend(cfg, model_id, langs)
    if cfg.backend == "hf_causal":
        from xlrm.translate.backends.hf_causal import HFCausalBackend

        return HFCausalBackend(cfg, model_id, langs)
    if cfg.backend == "openai_compat":
        from xlrm.translate.backends.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(cfg, model_id, langs)
    raise ValueError(f"unknown backend {cfg.backend!r}")


__all__ = ["Backend", "BackendError", "Batch", "make_backend", "render_prompt"]
