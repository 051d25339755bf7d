"""Run a model over the probe texts and stream pooled hidden states, batch by batch.

torch and transformers are imported here only. A model folder may hold a sequence-classification
RM or a causal LM (the backbone is loaded, heads are ignored); a ``.gguf`` file is dequantised by
transformers' GGUF loader. Nothing of size ``N × d`` is built: each batch's pooled states go to
the caller (accumulators, shard writers) and are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from xlrm.errors import InputError

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    name: str
    path: str
    model: object  # the backbone (no LM / score head)
    tokenizer: object
    device: object
    hidden_size: int
    num_layers: int
    template: str = ""  # the chat template texts are rendered with (xlrm.chat)


def load_model(
    name: str, path: str, *, device: str = "auto", dtype: str = "auto", trust_remote_code: bool = False
) -> LoadedModel:
    """The backbone of ``path`` through the one model layer (xlrm.models)."""
    from transformers import AutoModel, AutoModelForCausalLM

    from xlrm import chat
    from xlrm.models import load_config, load_tokenizer, load_weights, model_options

    opts = model_options(path, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
    tok = load_tokenizer(opts)
    if opts.gguf_file:
        # The GGUF loader builds the causal LM; its decoder is the backbone.
        full, dev = load_weights(opts, AutoModelForCausalLM, quiet=True)
        model = full.get_decoder() if hasattr(full, "get_decoder") else full.base_model
    else:
        # An RM's or LM's backbone leaves its head unused on purpose: no load report.
        model, dev = load_weights(opts, AutoModel, quiet=True, config=load_config(opts))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token or tok.unk_token
    model.eval()
    cfg = model.config
    cfg = getattr(cfg, "text_config", None) or cfg
    hidden = int(getattr(cfg, "hidden_size", 0) or model.get_input_embeddings().weight.shape[1])
    layers = int(getattr(cfg, "num_hidden_layers", 0))
    return LoadedModel(name, path, model, tok, dev, hidden, layers, chat.resolve_template(tok))


def render(lm: LoadedModel, conversation: list[dict]) -> str:
    """The conversation as the model reads it, through the one chat rendering (xlrm.chat)."""
    from xlrm import chat

    return chat.render(lm.tokenizer, conversation, lm.template)


def model_depth(path: str, *, trust_remote_code: bool = False) -> int:
    """Decoder layers of the model at ``path``, from its config alone (no weights loaded), so a
    layer spec can be checked against every model before the first forward pass."""
    from xlrm.models import load_config, model_options

    cfg = load_config(model_options(path, trust_remote_code=trust_remote_code))
    cfg = getattr(cfg, "text_config", None) or cfg
    return int(getattr(cfg, "num_hidden_layers", 0))


def pooled_batches(
    lm: LoadedModel,
    conversations: list[list[dict]],
    *,
    layers: list[int],
    pooling: str,
    batch_size: int,
    max_length: int,
    on_batch: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[int, dict[int, object]]]:
    """Yield ``(first_row, {layer: pooled CPU tensor (batch, d)})`` batch by batch, in row order;
    ``layers`` are hidden-state indices ``0 .. num_layers`` (:func:`xlrm.analysis.layers.resolve`).

    States stay in the model's dtype (bf16 on GPU) until the Rust accumulators widen them.
    """
    import torch

    idx = list(layers)
    if any(not 0 <= i <= lm.num_layers for i in idx):
        raise InputError(f"hidden-state indices {idx} do not fit {lm.name} ({lm.num_layers} layers)")
    only_last = idx == [lm.num_layers]
    texts = [render(lm, c) for c in conversations]
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        enc = lm.tokenizer(
            batch,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=max_length,
            add_special_tokens=False,  # the template writes any BOS itself, as in training
        )
        enc = {k: v.to(lm.device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}
        with torch.inference_mode():
            out = lm.model(**enc, output_hidden_states=not only_last, use_cache=False)
        hs = (out.last_hidden_state,) if only_last else out.hidden_states
        mask = enc["attention_mask"]
        pooled = {}
        for layer, i in zip(layers, idx, strict=True):
            h = hs[0] if only_last else hs[i]
            if pooling == "last":
                # Position of the last real token, for left or right padding alike.
                last = mask.shape[1] - 1 - mask.flip(1).to(torch.int64).argmax(1)
                p = h[torch.arange(h.shape[0], device=h.device), last]
            else:
                m = mask.unsqueeze(-1).to(torch.float32)
                p = (h.to(torch.float32) * m).sum(1) / m.sum(1).clamp_min(1.0)
            pooled[layer] = p.detach().to("cpu")
        if on_batch:
            on_batch(start, len(batch))
        yield start, pooled


def token_counts(lm: LoadedModel, conversations: list[list[dict]], max_length: int):
    """Token-id frequencies (numpy int64, vocabulary-sized) of the rendered conversations."""
    import numpy as np

    emb = lm.model.get_input_embeddings().weight
    counts = np.zeros(emb.shape[0], dtype=np.int64)
    for conv in conversations:
        ids = lm.tokenizer(
            render(lm, conv),
            truncation=True,
            max_length=max_length,
            add_special_tokens=False,
        )["input_ids"]
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(counts))]
        counts += np.bincount(ids, minlength=len(counts))
    return counts


def embedding_row_norms(lm: LoadedModel):
    """L2 norm of every input-embedding row (f64 numpy), computed in Rust from the weights' dtype."""
    from xlrm.stats import row_norms

    w = lm.model.get_input_embeddings().weight.detach()
    return row_norms(w.to("cpu"))
