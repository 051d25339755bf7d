"""Loading Hugging Face models for translation: device, dtype, and refusing non-translation models."""

from __future__ import annotations

import logging
from pathlib import Path

from xlrm.errors import ConfigError, InputError

log = logging.getLogger("xlrm.translate")

# Heads that generate text; anything else (classification, token tagging, QA, bare encoders) is refused.
_GENERATIVE_SUFFIXES = ("ForConditionalGeneration", "MTModel", "ForSeq2SeqLM", "ForCausalLM", "LMHeadModel")


def load_config(model_id: str, trust_remote_code: bool):
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(model_id, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, KeyError) as e:
        where = "folder" if Path(model_id).exists() else "Hub id"
        raise ConfigError(
            f"cannot load the translation model {model_id!r} ({where}): {str(e).splitlines()[0]} "
            "(give a folder with config.json and safetensors weights, or a Hub id that is reachable or cached)"
        ) from None


def check_generative(model_id: str, config, kind: str) -> None:
    """Refuse a model that cannot translate with ``kind`` ("seq2seq" or "causal"), saying why."""
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES,
    )

    model_type = getattr(config, "model_type", "?")
    archs = list(getattr(config, "architectures", None) or [])
    what = f"{archs[0]} (model_type {model_type})" if archs else f"a {model_type} model"
    need = {
        "seq2seq": "backend hf_seq2seq needs an encoder-decoder translation model (NLLB, M2M100, MarianMT, mBART-50)",
        "causal": "backend hf_causal needs a causal language model (X-ALMA, Llama, Qwen, ...)",
    }[kind]
    if archs and not any(a.endswith(_GENERATIVE_SUFFIXES) for a in archs):
        raise ConfigError(
            f"model {model_id!r} is {what}, which has no text-generation head, so it is not a "
            f"translation model; {need}"
        )
    if kind == "seq2seq":
        if (
            not getattr(config, "is_encoder_decoder", False)
            or model_type not in MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES
        ):
            hint = (
                "; for a decoder-only model use backend hf_causal"
                if model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
                else ""
            )
            raise ConfigError(
                f"model {model_id!r} is {what}, not an encoder-decoder translation model; {need}{hint}"
            )
    else:
        if getattr(config, "is_encoder_decoder", False):
            raise ConfigError(
                f"model {model_id!r} is {what}, an encoder-decoder model; use backend hf_seq2seq"
            )
        if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
            raise ConfigError(f"model {model_id!r} is {what}, not a causal language model; {need}")


def model_max_length(config, tokenizer, default: int = 4096) -> int:
    for attr in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, int) and 0 < tok_max < 1_000_000:
        return tok_max
    return default


def load(model_id: str, kind: str, opts):
    """→ (model, tokenizer, config, device) through the model layer (xlrm.models): weights as
    safetensors, remote code only when allowed, the one device/dtype choice."""
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    from xlrm.models import ModelOptions, load_tokenizer, load_weights

    config = load_config(model_id, opts.trust_remote_code)
    check_generative(model_id, config, kind)
    if opts.num_threads:
        import torch

        torch.set_num_threads(opts.num_threads)
    mopts = ModelOptions(
        path=model_id, dtype=opts.dtype, device=opts.device, trust_remote_code=opts.trust_remote_code
    )
    try:
        tokenizer = load_tokenizer(mopts)
        cls = AutoModelForSeq2SeqLM if kind == "seq2seq" else AutoModelForCausalLM
        model, device = load_weights(mopts, cls, use_safetensors=True)
    except InputError as e:  # the translate stage reports model problems as config errors
        raise ConfigError(f"{e} (xlrm loads safetensors weights only)") from None
    model.eval()
    log.info(
        "loaded %s (%s) on %s, %s",
        model_id,
        type(model).__name__,
        device,
        str(model.dtype).replace("torch.", ""),
    )
    return model, tokenizer, config, str(device)
