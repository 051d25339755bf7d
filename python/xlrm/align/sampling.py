"""On-policy samples: K responses per prompt from the policy, with recorded seeds.

Prompts are rendered once, through :mod:`xlrm.chat` (the policy's chat template, or the
documented fallback for a tokenizer without one) with the generation prompt, and tokenized
without special tokens (the template writes any BOS). The ``hf`` backend runs batched
``generate`` on left-padded batches of ``batch_size`` prompts × K sequences; before each batch
the torch RNG is seeded with a seed derived from the base seed, the language and the batch
number, and every response records that seed and batch, so a run is reproducible on the same
hardware and software. The ``vllm`` backend (imported only when selected) gives
each prompt its own derived seed.

Each response records whether it ended with an end-of-sequence token (``finished``) or ran into
``max_new_tokens``, and its length in tokens.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from xlrm.errors import ConfigError, InputError

log = logging.getLogger(__name__)


def derive_seed(base: int, *parts) -> int:
    """A 31-bit seed from the base seed and the parts (language, batch number, ...)."""
    digest = hashlib.sha256(":".join(map(str, (base, *parts))).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass
class Policy:
    """A loaded causal LM with its tokenizer and the chat template used to render prompts."""

    model: object
    tokenizer: object
    device: object
    template: str
    info: dict


def load_policy(opts, *, chat_template: str | None = None) -> Policy:
    from transformers import AutoModelForCausalLM

    from xlrm import chat
    from xlrm.models import load_tokenizer, load_weights

    tok = load_tokenizer(opts)
    template = chat.resolve_template(tok, chat_template)
    model, dev = load_weights(opts, AutoModelForCausalLM, quiet=True)
    model.eval()
    info = {
        "path": opts.path,
        "gguf_file": opts.gguf_file,
        "architecture": type(model).__name__,
        "device": str(dev),
        "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
        "template": chat.template_info(tok, template),
    }
    return Policy(model, tok, dev, template, info)


def _stop_ids(policy: Policy) -> list[int]:
    """Every token that ends a response: the tokenizer's EOS and the generation config's."""
    ids = set()
    eos = getattr(policy.tokenizer, "eos_token_id", None)
    if eos is not None:
        ids.add(int(eos))
    gen = getattr(policy.model, "generation_config", None)
    cfg_eos = getattr(gen, "eos_token_id", None) if gen is not None else None
    if isinstance(cfg_eos, int):
        ids.add(cfg_eos)
    elif isinstance(cfg_eos, list | tuple):
        ids.update(int(i) for i in cfg_eos)
    if not ids:
        raise InputError(
            f"policy {policy.info['path']}: its tokenizer has no EOS token, so responses would never end",
            hint="give the policy a tokenizer with an eos_token",
        )
    return sorted(ids)


def _encode(policy: Policy, prompts: Sequence[list[dict]]) -> list[list[int]]:
    from xlrm import chat

    texts = chat.render(policy.tokenizer, list(prompts), policy.template, add_generation_prompt=True)
    return policy.tokenizer(texts, add_special_tokens=False)["input_ids"]


def generate(
    policy: Policy,
    prompts: Sequence[dict],
    *,
    n: int,
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    seed: int,
    batch_size: int,
    stream: str,
    progress: bool = False,
) -> list[dict]:
    """``n`` responses per prompt (``{id, prompt, ...}`` rows) in prompt order: dicts with ``id``,
    ``sample`` (0..n-1), ``response``, ``finished``, ``tokens``, ``seed`` and ``batch``.
    ``temperature == 0`` decodes greedily (then ``n`` must be 1). ``stream`` (e.g. the language
    and split) enters the seed derivation, so two streams never share random draws."""
    import torch
    from tqdm.auto import tqdm

    if temperature == 0 and n != 1:
        raise ConfigError("greedy decoding (temperature 0) gives one response per prompt; use n=1")
    tok = policy.tokenizer
    stop = _stop_ids(policy)
    pad = tok.pad_token_id if tok.pad_token_id is not None else stop[0]
    encoded = _encode(policy, [p["prompt"] for p in prompts])
    out: list[dict] = []
    batches = range(0, len(prompts), batch_size)
    for b, start in enumerate(
        tqdm(batches, desc=f"sampling {stream}", disable=not progress or None, leave=False)
    ):
        chunk = encoded[start : start + batch_size]
        width = max(len(e) for e in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, e in enumerate(chunk):  # left padding: every prompt ends where generation starts
            ids[i, width - len(e) :] = torch.tensor(e, dtype=torch.long)
            mask[i, width - len(e) :] = 1
        batch_seed = derive_seed(seed, stream, b)
        torch.manual_seed(batch_seed)
        kw = (
            {"do_sample": False}
            if temperature == 0
            else {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0}
        )
        with torch.inference_mode():
            gen = policy.model.generate(
                input_ids=ids.to(policy.device),
                attention_mask=mask.to(policy.device),
                max_new_tokens=max_new_tokens,
                num_return_sequences=n,
                eos_token_id=stop,
                pad_token_id=pad,
                **kw,
            )
        new = gen[:, width:].cpu()
        for row in range(new.shape[0]):
            seq = new[row].tolist()
            end = next((j for j, t in enumerate(seq) if t in stop), None)
            body = seq if end is None else seq[:end]
            p = prompts[start + row // n]
            out.append(
                {
                    "id": p["id"],
                    "sample": row % n,
                    "response": tok.decode(body, skip_special_tokens=True).strip(),
                    "finished": end is not None,
                    "tokens": len(body),
                    "seed": batch_seed,
                    "batch": b,
                }
            )
    return out


def generate_vllm(
    opts,
    prompts: Sequence[dict],
    *,
    n: int,
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    seed: int,
    stream: str,
    template: str,
    engine_kwargs: dict,
) -> list[dict]:
    """The same rows as :func:`generate`, from a vLLM engine; each prompt has its own derived seed
    (``batch`` is the prompt's index)."""
    try:
        from vllm import LLM, SamplingParams
    except ImportError:
        raise ConfigError(
            "sampling.backend vllm needs the vllm package, which is not installed: pip install vllm "
            "(a CUDA GPU), or set sampling.backend: hf"
        ) from None
    from xlrm import chat
    from xlrm.models import load_tokenizer

    tok = load_tokenizer(opts)
    model = str(opts.path if not opts.gguf_file else f"{opts.path}/{opts.gguf_file}")
    llm = LLM(
        model=model,
        tokenizer=opts.path,
        revision=opts.revision,
        trust_remote_code=opts.trust_remote_code,
        seed=seed,
        **engine_kwargs,
    )
    texts = chat.render(tok, [p["prompt"] for p in prompts], template, add_generation_prompt=True)
    encoded = tok(texts, add_special_tokens=False)["input_ids"]
    params = [
        SamplingParams(
            n=n,
            temperature=temperature,
            top_p=top_p if temperature > 0 else 1.0,
            max_tokens=max_new_tokens,
            seed=derive_seed(seed, stream, i),
        )
        for i in range(len(prompts))
    ]
    results = llm.generate([{"prompt_token_ids": e} for e in encoded], params)
    out = []
    for i, (p, res) in enumerate(zip(prompts, results, strict=True)):
        for j, o in enumerate(res.outputs):
            out.append(
                {
                    "id": p["id"],
                    "sample": j,
                    "response": o.text.strip(),
                    "finished": o.finish_reason == "stop",
                    "tokens": len(o.token_ids),
                    "seed": params[i].seed,
                    "batch": i,
                }
            )
    return out


def check_backend(backend: str) -> None:
    """Fail before any model is loaded when the chosen backend is not installed."""
    if backend == "vllm":
        import importlib.util

        if importlib.util.find_spec("vllm") is None:
            raise ConfigError(
                "sampling.backend is vllm but the vllm package is not installed: pip install vllm "
                "(a CUDA GPU), or set sampling.backend: hf"
            )
