"""Load any causal LM as a Bradley-Terry reward model: a sequence classifier with one output.

:func:`load_reward_model` goes through :func:`xlrm.models.load_weights` (local folder, hub id or
GGUF file) with ``AutoModelForSequenceClassification(num_labels=1)`` and then makes the model
safe to train as a reward model:

* **pad token**: transformers' classifiers read the reward at the last token that is not the pad
  token. When the tokenizer has no pad token (TRL then pads with EOS) or its pad token *is* EOS
  (Llama 3), a sequence ending in EOS is scored one token early, at a token that says nothing
  about the response, and the RM never learns. Such tokenizers get a dedicated ``[PAD]`` token,
  the embeddings are resized when the new id does not fit, and ``config.pad_token_id`` is set.
* **reward head**: a fresh head (one not read from the checkpoint) is ``Linear(hidden, 1,
  bias=False)`` initialised from ``N(0, 1/(hidden+1))``, as in the paper's code; a head that was
  read from the checkpoint (continuing an RM) is kept as it is.
* **what trains**: everything (default), only the top ``train_top_blocks`` decoder blocks plus the
  final norm and the head (cheap CPU runs), or a PEFT LoRA adapter (``task_type=SEQ_CLS``, the
  head fully trained through ``modules_to_save``); optional gradient checkpointing
  (non-reentrant, so frozen lower layers need no input-grad workaround).

torch, transformers and peft are imported inside the functions.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from xlrm.errors import InputError
from xlrm.models import ModelOptions, load_config, load_tokenizer, load_weights, model_options

log = logging.getLogger(__name__)

PAD_TOKEN = "[PAD]"
# Attribute names of the final normalisation next to the decoder blocks, across architectures
# (Llama/Qwen/Gemma/Mistral: norm; GPT-2/Falcon/Bloom: ln_f; Phi: final_layernorm; OPT: final_layer_norm).
FINAL_NORM_NAMES = ("norm", "ln_f", "final_layernorm", "final_layer_norm", "norm_f", "final_norm")
DECODER_HINT = (
    "pass a decoder-only causal LM (e.g. Qwen2.5, Llama 3, Gemma, Mistral) or a reward model built on one"
)


def _classifier_mappings():
    from transformers.models.auto import modeling_auto

    return (
        modeling_auto.MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES,
        modeling_auto.MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )


def check_classifiable(config, opts: ModelOptions) -> None:
    """Refuse, before any weights are read, a model that cannot be a last-token reward model:
    an encoder-decoder, an encoder-only model, or a model type transformers has no
    ``ForSequenceClassification`` class for (unless the repository ships one as remote code)."""
    model_type = getattr(config, "model_type", None) or "unknown"
    arch = ", ".join(getattr(config, "architectures", None) or []) or "no architectures listed"
    what = f"{opts.path!r} (model_type {model_type!r}, {arch})"
    if getattr(config, "is_encoder_decoder", False):
        raise InputError(
            f"{what} is an encoder-decoder model; a reward model here is a causal LM whose last token is scored",
            hint=DECODER_HINT,
        )
    seq_cls, masked = _classifier_mappings()
    remote = "AutoModelForSequenceClassification" in (getattr(config, "auto_map", None) or {})
    if model_type not in seq_cls and not (remote and opts.trust_remote_code):
        extra = (
            "; its repository ships one as remote code: set trust_remote_code: true to use it"
            if remote
            else ""
        )
        raise InputError(
            f"{what} cannot be loaded as a sequence classifier: transformers has no "
            f"ForSequenceClassification class for model_type {model_type!r}{extra}",
            hint=DECODER_HINT,
        )
    if model_type in masked:
        raise InputError(
            f"{what} is an encoder (masked LM) model: its classifier reads the first token with "
            "bidirectional attention, so it cannot be trained with last-token packed rewards",
            hint=DECODER_HINT,
        )


def ensure_pad_token(model, tokenizer) -> dict:
    """Give the tokenizer a pad token distinct from EOS (see the module docstring), resize the
    embeddings if the new id does not fit, set ``config.pad_token_id``; returns what was done."""
    import torch

    before = {"pad_token": tokenizer.pad_token, "eos_token": tokenizer.eos_token}
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    info: dict[str, Any] = {"action": "kept", **before, "embeddings_resized": False}
    if pad is None or pad == eos:
        tokenizer.add_special_tokens({"pad_token": PAD_TOKEN})
        info["action"] = "added"
        info["reason"] = "no pad token" if pad is None else "pad token equals EOS"
    pad_id = tokenizer.pad_token_id
    emb = model.get_input_embeddings()
    rows = emb.weight.shape[0]
    if pad_id >= rows:
        # mean_resizing=False: transformers' default samples new rows from a Gaussian fitted to
        # the whole embedding matrix (a hidden² covariance, minutes on CPU for a 4k-wide model).
        # The pad row is never attended to (packed rows have no pad; padded batches mask it),
        # so the mean embedding is a safe, cheap value.
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        weight = model.get_input_embeddings().weight
        with torch.no_grad():
            weight[rows:] = weight[:rows].mean(dim=0, keepdim=True).to(weight.dtype)
        info["embeddings_resized"] = True
    info.update(pad_token=tokenizer.pad_token, pad_token_id=int(pad_id))
    info["vocab_rows"] = int(model.get_input_embeddings().weight.shape[0])
    model.config.pad_token_id = int(pad_id)
    text = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    text.pad_token_id = int(pad_id)
    return info


def head_name(model) -> str:
    """The attribute name of the reward head on the (unwrapped) classifier."""
    from xlrm.train.packed_reward_trainer import HEAD_NAMES

    for name in HEAD_NAMES:
        if getattr(model, name, None) is not None:
            return name
    raise InputError(
        f"{type(model).__name__} has no reward head named one of {HEAD_NAMES}", hint=DECODER_HINT
    )


def init_reward_head(model, *, seed: int = 0) -> dict:
    """Make the head ``Linear(hidden, 1, bias=False)`` with weights from ``N(0, 1/(hidden+1))``
    (the paper's initialisation), drawn from a generator seeded by ``seed``."""
    import torch
    import torch.nn as nn

    from xlrm.train.packed_reward_trainer import find_score_head

    head = find_score_head(model)
    name = head_name(model)
    if not isinstance(head, nn.Linear) or head.out_features != 1:
        raise InputError(
            f"the reward head {name!r} of {type(model).__name__} is {head!r}, not a Linear(hidden, 1)",
            hint=DECODER_HINT,
        )
    replaced = head.bias is not None
    if replaced:  # a bias shifts chosen and rejected alike: it cannot learn, only drift
        new = nn.Linear(head.in_features, 1, bias=False, device=head.weight.device, dtype=head.weight.dtype)
        setattr(model, name, new)
        head = new
    std = 1.0 / math.sqrt(head.in_features + 1)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        w = torch.randn(head.weight.shape, generator=gen, dtype=torch.float32) * std
        head.weight.copy_(w.to(head.weight.dtype))
    return {"name": name, "init": "normal", "std": std, "bias_removed": replaced, "hidden": head.in_features}


def decoder_blocks(model):
    """``(blocks, final_norm)``: the decoder's block list (the ``ModuleList`` of
    ``num_hidden_layers`` entries nearest the top) and the normalisation beside it."""
    import torch.nn as nn

    cfg = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    n = getattr(cfg, "num_hidden_layers", None) or getattr(cfg, "n_layer", None)
    found = None
    for name, module in model.named_modules():
        if isinstance(module, nn.ModuleList) and len(module) == n and len(module):
            if found is None or name.count(".") < found[0].count("."):
                found = (name, module)
    if found is None:
        raise InputError(
            f"cannot find the {n} decoder blocks of {type(model).__name__} to freeze",
            hint="train the whole model (train_top_blocks: null) or use lora",
        )
    name, blocks = found
    parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
    norm = next(
        (getattr(parent, k) for k in FINAL_NORM_NAMES if isinstance(getattr(parent, k, None), nn.Module)),
        None,
    )
    if norm is None:
        raise InputError(
            f"cannot find the final norm next to {name} in {type(model).__name__} (looked for {FINAL_NORM_NAMES})",
            hint="train the whole model (train_top_blocks: null) or use lora",
        )
    return blocks, norm


def freeze_below_top(model, n: int) -> None:
    """Train only the last ``n`` decoder blocks, the final norm and the head."""
    from xlrm.train.packed_reward_trainer import find_score_head

    blocks, norm = decoder_blocks(model)
    if not 0 <= n <= len(blocks):
        raise InputError(
            f"train_top_blocks={n}, but the model has {len(blocks)} decoder blocks",
            hint=f"pick 0..{len(blocks)} (0 = final norm and head only), or null to train everything",
        )
    for p in model.parameters():
        p.requires_grad_(False)
    for module in [*list(blocks)[len(blocks) - n :], norm, find_score_head(model)]:
        for p in module.parameters():
            p.requires_grad_(True)


def lora_config(lora: dict, head: str):
    """``(peft.LoraConfig, settings used)`` for sequence classification; the head is always in
    ``modules_to_save`` (a LoRA-only head would stay a random projection)."""
    try:
        from peft import LoraConfig, TaskType
    except ImportError:
        raise InputError(
            "lora needs the peft package, which is not installed",
            hint="pip install peft (it comes with xlrm's dev extra), or remove the lora settings",
        ) from None
    kw = dict(lora)
    if "task_type" in kw and str(kw["task_type"]).upper() not in ("SEQ_CLS", "TASKTYPE.SEQ_CLS"):
        raise InputError(f"lora.task_type must be SEQ_CLS for a reward model, got {kw['task_type']!r}")
    kw["task_type"] = TaskType.SEQ_CLS
    save = list(kw.get("modules_to_save") or [])
    if head not in save:
        save.append(head)
    kw["modules_to_save"] = save
    try:
        cfg = LoraConfig(**kw)
    except (TypeError, ValueError) as e:
        raise InputError(
            f"lora: {e}",
            hint="keys are peft.LoraConfig fields (r, lora_alpha, lora_dropout, target_modules, ...)",
        ) from None
    used = {k: (sorted(v) if isinstance(v, set) else v) for k, v in kw.items() if k != "task_type"}
    return cfg, used


def apply_lora(model, lora: dict, head: str):
    """``(PeftModel, settings used)``: the model wrapped in a LoRA adapter (see :func:`lora_config`)."""
    from peft import get_peft_model

    cfg, used = lora_config(lora, head)
    return get_peft_model(model, cfg), used


def enable_gradient_checkpointing(model) -> None:
    kw = {"use_reentrant": False}
    model.config.use_cache = False
    if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.x name
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kw)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kw)


def count_parameters(model) -> tuple[int, int]:
    trainable = total = 0
    for p in model.parameters():
        total += p.numel()
        if p.requires_grad:
            trainable += p.numel()
    return trainable, total


def load_reward_model(
    opts: ModelOptions,
    *,
    train_top_blocks: int | None = None,
    lora: dict | None = None,
    gradient_checkpointing: bool = False,
    device=None,
    seed: int = 0,
):
    """``(model, tokenizer, info)``: ``opts``' model as a one-output sequence classifier, ready
    for Bradley-Terry training (see the module docstring).

    ``info``: ``model_type``, ``architecture``, ``device``, ``dtype``, ``attn_implementation``,
    ``pad_token`` (what :func:`ensure_pad_token` did), ``head`` (fresh and initialised, or
    loaded), ``trainable_params``, ``total_params``, ``trainable_fraction``, ``train_top_blocks``,
    ``lora``, ``gradient_checkpointing`` and ``loading`` (checkpoint keys missing or unexpected
    beyond the expected swap of the LM head for the reward head).

    Raises :class:`InputError` for a model that cannot be a reward model, a folder or id that is
    not a model, conflicting options, or LoRA without peft installed.
    """
    from transformers import AutoModelForSequenceClassification

    opts = model_options(opts)
    if lora is not None and train_top_blocks is not None:
        raise InputError(
            "train_top_blocks and lora were both given", hint="choose one way to limit what trains"
        )
    if opts.adapter and lora is not None:
        raise InputError(
            f"the model has an adapter ({opts.adapter}) and lora asks for a new one",
            hint="merge the adapter into the base model (peft merge_and_unload), save it and train on that folder",
        )
    config = load_config(opts)
    check_classifiable(config, opts)
    # settings that cannot work fail here, before the weights are read
    if train_top_blocks is not None:
        text = config.get_text_config() if hasattr(config, "get_text_config") else config
        n = getattr(text, "num_hidden_layers", None)
        if n is not None and not 0 <= int(train_top_blocks) <= n:
            raise InputError(
                f"train_top_blocks={train_top_blocks}, but the model has {n} decoder blocks",
                hint=f"pick 0..{n} (0 = final norm and head only), or null to train everything",
            )
    if lora is not None:
        lora_config(lora, "score")
    tokenizer = load_tokenizer(opts)
    report: dict = {}
    model, dev = load_weights(
        opts, AutoModelForSequenceClassification, device=device, quiet=True, loading_info=report, num_labels=1
    )
    if opts.adapter:  # an adapter given for inference: train on the merged weights
        model = model.merge_and_unload()
    pad_info = ensure_pad_token(model, tokenizer)

    name = head_name(model)
    missing = list(report.get("missing_keys", []))
    # A SEQ_CLS adapter carries its trained head (PEFT saves it through modules_to_save), so the
    # base checkpoint's missing head says nothing about the merged model's.
    head_fresh = not opts.adapter and any(k == name or k.startswith(f"{name}.") for k in missing)
    if head_fresh:
        head_info = {"source": "new", **init_reward_head(model, seed=seed)}
    else:
        from xlrm.train.packed_reward_trainer import find_score_head

        head = find_score_head(model)
        head_info = {
            "source": "adapter" if opts.adapter else "checkpoint",
            "name": name,
            "bias": getattr(head, "bias", None) is not None,
        }
    # What the swap of an LM for a classifier always causes is expected; anything else is not.
    other_missing = [k for k in missing if not (k == name or k.startswith(f"{name}."))]
    unexpected = [k for k in report.get("unexpected_keys", []) if not k.startswith("lm_head.")]
    if other_missing or unexpected:
        log.warning(
            "loading %s as a reward model: %d weights missing from the checkpoint (%s), %d unused (%s)",
            opts.path,
            len(other_missing),
            ", ".join(other_missing[:5]),
            len(unexpected),
            ", ".join(unexpected[:5]),
        )

    if train_top_blocks is not None:
        freeze_below_top(model, int(train_top_blocks))
    if gradient_checkpointing:
        enable_gradient_checkpointing(model)
    lora_info = None
    if lora is not None:
        model, lora_info = apply_lora(model, lora, name)

    trainable, total = count_parameters(model)
    dtype = next(model.parameters()).dtype
    info = {
        "model_type": getattr(config, "model_type", None),
        "architecture": type(model.get_base_model() if lora is not None else model).__name__,
        "device": str(dev),
        "dtype": str(dtype).replace("torch.", ""),
        "attn_implementation": getattr(model.config, "_attn_implementation", None),
        "pad_token": pad_info,
        "head": head_info,
        "trainable_params": trainable,
        "total_params": total,
        "trainable_fraction": trainable / total if total else 0.0,
        "train_top_blocks": train_top_blocks,
        "lora": lora_info,
        "gradient_checkpointing": bool(gradient_checkpointing),
        "loading": {"missing_keys": other_missing, "unexpected_keys": unexpected},
    }
    return model, tokenizer, info


__all__ = [
    "PAD_TOKEN",
    "apply_lora",
    "check_classifiable",
    "count_parameters",
    "decoder_blocks",
    "ensure_pad_token",
    "freeze_below_top",
    "init_reward_head",
    "load_reward_model",
    "lora_config",
]
