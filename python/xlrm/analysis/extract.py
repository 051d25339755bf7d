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
from pathlib import Path

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


def pick_device(device: str):
    import torch

    if device != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def pick_dtype(dtype: str, device):
    import torch

    if dtype == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]


def _locate(path: str) -> tuple[str, str | None]:
    """``(folder or hub id, gguf file name or None)``."""
    p = Path(path)
    if p.suffix == ".gguf":
        if not p.is_file():
            raise InputError(f"GGUF file {path} does not exist")
        return str(p.parent), p.name
    return path, None


def load_model(
    name: str, path: str, *, device: str = "auto", dtype: str = "auto", trust_remote_code: bool = False
) -> LoadedModel:
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    where, gguf = _locate(path)
    dev = pick_device(device)
    torch_dtype = pick_dtype(dtype, dev)
    kw: dict = {"trust_remote_code": trust_remote_code}
    if gguf:
        kw["gguf_file"] = gguf
    from transformers.utils import logging as hf_logging

    # Loading an RM's or LM's backbone leaves its head unused on purpose: no load report.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        tok = AutoTokenizer.from_pretrained(where, **kw)
        if gguf:
            # The GGUF loader builds the causal LM; its decoder is the backbone.
            full = AutoModelForCausalLM.from_pretrained(where, dtype=torch_dtype, **kw)
            model = full.get_decoder() if hasattr(full, "get_decoder") else full.base_model
        else:
            config = AutoConfig.from_pretrained(where, **kw)
            model = AutoModel.from_pretrained(where, config=config, dtype=torch_dtype, **kw)
    except OSError as e:
        raise InputError(
            f"cannot load model {name!r} from {path}: {e}",
            hint="pass a Hugging Face model folder, a hub id or a .gguf file",
        ) from None
    finally:
        hf_logging.set_verbosity(verbosity)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token or tok.unk_token
    model.to(dev).eval()
    cfg = model.config
    cfg = getattr(cfg, "text_config", None) or cfg
    hidden = int(getattr(cfg, "hidden_size", 0) or model.get_input_embeddings().weight.shape[1])
    layers = int(getattr(cfg, "num_hidden_layers", 0))
    return LoadedModel(name, path, model, tok, dev, hidden, layers)


def render(tokenizer, conversation: list[dict]) -> str:
    """The conversation as the model reads it: its chat template, or plain role-tagged turns."""
    if getattr(tokenizer, "chat_template", None):
        try:
            return tokenizer.apply_chat_template(conversation, tokenize=False)
        except Exception as e:  # templates raise many kinds of errors (roles, jinja)
            log.debug("chat template failed (%s); using plain turns", e)
    return "\n".join(f"{m['role']}: {m['content']}" for m in conversation)


def resolve_layers(layers: list[int], num_layers: int) -> list[int]:
    """Config layer indices → indices into ``output_hidden_states`` (``num_layers + 1`` entries)."""
    total = num_layers + 1
    out = []
    for layer in layers:
        idx = layer + total if layer < 0 else layer
        if not 0 <= idx < total:
            raise InputError(
                f"layer {layer} is out of range for a model with {num_layers} layers "
                f"(use 0..{num_layers} or -1..-{total})"
            )
        out.append(idx)
    return out


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
    """Yield ``(first_row, {layer: pooled CPU tensor (batch, d)})`` batch by batch, in row order.

    States stay in the model's dtype (bf16 on GPU) until the Rust accumulators widen them.
    """
    import torch

    idx = resolve_layers(layers, lm.num_layers)
    only_last = idx == [lm.num_layers]
    texts = [render(lm.tokenizer, c) for c in conversations]
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        enc = lm.tokenizer(
            batch,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=max_length,
            add_special_tokens=not getattr(lm.tokenizer, "chat_template", None),
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
            render(lm.tokenizer, conv),
            truncation=True,
            max_length=max_length,
            add_special_tokens=not getattr(lm.tokenizer, "chat_template", None),
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
