"""Scoring evaluation pairs with a model: classifier RMs (packed, padding-free), DPO policies as
implicit RMs, and Hugging Face causal LMs as generative judges.

Every kind reads the pairs through one tokenization (:func:`tokenize_eval`): the RM's own chat
template (:mod:`xlrm.chat`; an RM folder's tokenizer carries the template it was trained with),
``add_special_tokens=False`` (the template writes any BOS), and the training tokenizer's length rule
(:func:`xlrm.train.tokenize.tokenize_pairs`): a pair longer than ``max_length`` loses prompt tokens
from the left (after a leading BOS, the same span from both sides, so the two responses stay
whole and the score is still read at the response's end) and is counted as ``truncated``; a pair
that would need more than its prompt cut is dropped as ``too_long``; pairs whose two sides are the
same tokens (``identical``: every scorer ties them) or empty are dropped too. Drops are counted per
language and reason.

Classifier scoring packs whole pairs into rows with the Rust packer (:func:`xlrm.packing.pack_pairs`),
collates them into padding-free batches (:class:`~xlrm.train.collators.DataCollatorForPackedPreference`)
and reads each sequence's reward at its last token with
:class:`~xlrm.train.packed_reward_trainer.PackedRewardReader`, the same code that trains the RMs.
Attention never crosses sequences: ``xlrm_varlen`` (one SDPA per sequence) on a CPU and
flash-attention's varlen kernel on a GPU run one flat row of ``batch_tokens`` per forward;
transformers' packed mask from ``position_ids`` (sdpa, eager: a GPU without flash-attention, or a
model with sliding windows or soft-capping) runs rows of at most :data:`MASK_ROW_TOKENS` side by
side, since that mask costs the square of the row. No padding token is ever computed (a short
row's tail in a side-by-side batch is its own segment, never read). :func:`score_padded` is RewardBench's way (padded batches
through the model's own forward), kept as the reference the packed path is tested and benchmarked
against.

torch and transformers are imported inside the functions.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xlrm.errors import InputError

log = logging.getLogger(__name__)

__all__ = [
    "AUTO_BATCH_TOKENS",
    "MASK_ROW_TOKENS",
    "HFJudgeGenerator",
    "LoadedScorer",
    "TokenizedEval",
    "check_reward_model",
    "default_attention",
    "dpo_scores",
    "keep_head_tokens",
    "load_causal_lm",
    "load_classifier",
    "packed_rewards",
    "resolve_batch_tokens",
    "response_logps",
    "response_starts",
    "score_padded",
    "tokenize_eval",
    "uses_varlen",
]

GENERATIVE_HINT = (
    "to evaluate a causal LM as a judge that is asked which answer is better, set kind: generative "
    "(a DPO policy: kind: dpo with reference:)"
)


# ---------------------------------------------------------------------------------------------
# Tokenization


_COLUMN_TYPES = (
    pa.string(),
    pa.string(),
    pa.string(),
    pa.list_(pa.int32()),
    pa.list_(pa.int32()),
    pa.int32(),
)


@dataclass
class TokenizedEval:
    """Kept pairs (``id``, ``language``, ``subset``, ``chosen_ids``, ``rejected_ids``,
    ``prompt_removed``) and what happened to the others, per language."""

    table: pa.Table
    dropped: dict[str, Counter] = field(default_factory=dict)
    truncated: Counter = field(default_factory=Counter)
    template: str = ""
    keep_head: int = 0

    def __len__(self) -> int:
        return self.table.num_rows


def keep_head_tokens(tokenizer, template: str) -> int:
    """1 when the template starts every text with the tokenizer's BOS (never cut by truncation),
    else 0: the training tokenizer's rule, computed once so DPO can find response starts."""
    from xlrm import chat

    bos = getattr(tokenizer, "bos_token_id", None)
    if bos is None:
        return 0
    text = chat.render(tokenizer, [{"role": "user", "content": "x"}], template, add_generation_prompt=True)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return 1 if ids and ids[0] == bos else 0


def tokenize_eval(
    pairs: pa.Table,
    tokenizer,
    *,
    max_length: int,
    min_prompt_tokens: int,
    chat_template: str | None = None,
) -> TokenizedEval:
    """Tokenize pairs (xlrm schema); drops and truncation are counted per language (see the
    module docstring for the rules)."""
    from xlrm import chat
    from xlrm.train.tokenize import TokenizeConfig, tokenize_pairs

    template = chat.resolve_template(tokenizer, chat_template)
    head = keep_head_tokens(tokenizer, template)
    config = TokenizeConfig(
        max_length=max_length,
        min_prompt_tokens=min_prompt_tokens,
        keep_head_tokens=head,
        chat_template=template,
        cache_dir=None,
    )
    cols = ["id", "language", "subset", "chosen_ids", "rejected_ids", "prompt_removed"]
    languages = sorted(set(pairs["language"].to_pylist()))
    if pairs.num_rows:
        # One call for every language: tokenize_pairs hashes the tokenizer and the data each time
        # (a large vocabulary takes a noticeable fraction of a second), so per-language calls are
        # only made when drops of several reasons must be told apart by language.
        tok = tokenize_pairs(pairs, tokenizer, config)
        table = tok.table.select(cols)
    else:
        table = pa.table({c: pa.array([], t) for c, t in zip(cols, _COLUMN_TYPES, strict=True)})
        tok = None
    kept = Counter(table["language"].to_pylist())
    read = Counter(pairs["language"].to_pylist())
    lost = {lang: read[lang] - kept[lang] for lang in languages}
    reasons = [r for r, v in (tok.dropped.items() if tok else ()) if v]
    dropped: dict[str, Counter] = {lang: Counter() for lang in languages}
    for lang in languages:
        if not lost[lang]:
            continue
        if len(reasons) == 1:
            dropped[lang][reasons[0]] = lost[lang]
        else:
            sub = tokenize_pairs(pairs.filter(pc.equal(pairs["language"], lang)), tokenizer, config)
            dropped[lang].update({k: v for k, v in sub.dropped.items() if v})
    removed = table["prompt_removed"].to_numpy(zero_copy_only=False) > 0
    langs = np.asarray(table["language"].to_pylist(), dtype=object)
    truncated = Counter({lang: int(removed[langs == lang].sum()) for lang in languages})
    return TokenizedEval(table, dropped, truncated, template, head)


# ---------------------------------------------------------------------------------------------
# Models


@dataclass
class LoadedScorer:
    name: str
    model: object
    tokenizer: object
    device: object
    info: dict


def default_attention(device, config=None) -> str:
    """Packed attention per device: ``xlrm_varlen`` on a CPU (cost Σ len², measured faster than
    the packed mask there), flash-attention's varlen kernel on a GPU where installed, else the
    model's sdpa with transformers' packed mask (faster than per-sequence SDPA on a GPU).

    ``xlrm_varlen`` implements neither sliding-window attention nor logit soft-capping, so models
    that use them (Gemma 2/3, Mistral with a window) get transformers' own kernels with the packed
    mask instead: sdpa, or eager for soft-capping (the only one that applies it besides flash)."""
    kind = getattr(device, "type", str(device))
    if kind == "cuda" and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    cfg = getattr(config, "text_config", None) or config
    if cfg is not None and getattr(cfg, "attn_logit_softcapping", None):
        return "eager"
    if kind != "cpu":
        return "sdpa"
    window = getattr(cfg, "sliding_window", None) if cfg is not None else None
    layer_types = getattr(cfg, "layer_types", None) or ()
    sliding = window is not None and getattr(cfg, "use_sliding_window", True) is not False
    if sliding and layer_types:
        sliding = "sliding_attention" in layer_types
    return "sdpa" if sliding else "xlrm_varlen"


def check_reward_model(config, path: str) -> None:
    """Refuse a folder that is not a one-output sequence classifier, before reading weights."""
    archs = list(getattr(config, "architectures", None) or [])
    has_head = any(a.endswith("ForSequenceClassification") or "Reward" in a for a in archs)
    if not has_head:
        raise InputError(
            f"{path} is not a reward model: its config lists {', '.join(archs) or 'no architecture'} and no "
            "sequence-classification head (a classifier RM's architecture ends in ForSequenceClassification)",
            hint=GENERATIVE_HINT,
        )
    labels = int(getattr(config, "num_labels", 1))
    if labels != 1:
        raise InputError(
            f"{path} is not a reward model: its classification head has num_labels={labels}, a reward model "
            "has one output (the scalar reward)",
            hint=GENERATIVE_HINT,
        )


def _prepare(opts, device, config=None):
    from xlrm.models import pick_device

    dev = pick_device(opts.device) if device is None else device
    attn = opts.attn_implementation or default_attention(dev, config)
    return dataclasses.replace(opts, attn_implementation=attn), dev


def _dtype_name(model) -> str:
    return str(next(model.parameters()).dtype).replace("torch.", "")


def load_classifier(name: str, opts, *, device=None) -> LoadedScorer:
    """A one-output sequence-classification RM through the model layer, its head checked to come
    from the checkpoint (a head initialised at random would score noise)."""
    from transformers import AutoModelForSequenceClassification

    from xlrm.models import load_config, load_tokenizer, load_weights
    from xlrm.train.packed_reward_trainer import find_score_head

    config = load_config(opts)
    check_reward_model(config, opts.path)
    opts, dev = _prepare(opts, device, config)
    tok = load_tokenizer(opts)
    report: dict = {}
    model, dev = load_weights(
        opts, AutoModelForSequenceClassification, device=dev, quiet=True, loading_info=report
    )
    head = find_score_head(model)
    prefix = next(n for n, m in model.named_modules() if m is head)
    fresh = [k for k in report.get("missing_keys", []) if k == prefix or k.startswith(prefix + ".")]
    if fresh and not opts.adapter:
        raise InputError(
            f"{opts.path} is not a trained reward model: its checkpoint has no weights for the score head "
            f"({', '.join(fresh)}), so transformers initialised it at random",
            hint="pass an RM trained by `xlrm train-rm` or another reward model; " + GENERATIVE_HINT,
        )
    model.eval()
    info = {
        "path": opts.path,
        "architecture": type(model).__name__,
        "device": str(dev),
        "dtype": _dtype_name(model),
        "attn_implementation": opts.attn_implementation,
    }
    return LoadedScorer(name, model, tok, dev, info)


def load_causal_lm(name: str, opts, *, device=None) -> LoadedScorer:
    """A causal LM (DPO policy or reference, or a generative judge) through the model layer."""
    from transformers import AutoModelForCausalLM

    from xlrm.models import load_config, load_tokenizer, load_weights

    opts, dev = _prepare(opts, device, load_config(opts))
    tok = load_tokenizer(opts)
    model, dev = load_weights(opts, AutoModelForCausalLM, device=dev, quiet=True)
    model.eval()
    info = {
        "path": opts.path,
        "architecture": type(model).__name__,
        "device": str(dev),
        "dtype": _dtype_name(model),
        "attn_implementation": opts.attn_implementation,
    }
    return LoadedScorer(name, model, tok, dev, info)


# ---------------------------------------------------------------------------------------------
# Packed forward passes


def _progress(total: int, desc: str):
    from tqdm.auto import tqdm

    # disable=None: a bar on a terminal, nothing in logs and tests
    return tqdm(total=total, desc=desc, unit="pair", disable=None, leave=False, dynamic_ncols=True)


#: Row length for mask-based attention (sdpa, eager): the packed mask and its masked-out work
#: grow with the square of the row, so such rows stay short and several go in one forward.
MASK_ROW_TOKENS = 4096


def uses_varlen(model) -> bool:
    """Whether the model's attention splits packed rows by ``cu_seq_lens`` (flash, xlrm_varlen)."""
    impl = getattr(model.config, "_attn_implementation", "") or ""
    return "flash" in impl or impl == "xlrm_varlen"


@dataclass
class _Plan:
    rows: object  # xlrm.packing.PackedRows
    per_batch: int
    layout: str


#: ``batch_tokens: 0`` (auto) per device. On a CPU, rows of a few thousand tokens keep a layer's
#: activations in cache: rows of 16k tokens took ~20 % more CPU time per pair in
#: benches/bench_eval_rm.py (the elementwise ops then stream from memory); a GPU wants big rows.
AUTO_BATCH_TOKENS = {"cpu": 4096}
AUTO_BATCH_TOKENS_ACCELERATOR = 16384


def resolve_batch_tokens(batch_tokens: int, device) -> int:
    if batch_tokens:
        return batch_tokens
    return AUTO_BATCH_TOKENS.get(getattr(device, "type", str(device)), AUTO_BATCH_TOKENS_ACCELERATOR)


def _plan(tok: TokenizedEval, batch_tokens: int, varlen: bool) -> _Plan:
    """Whole pairs packed into rows: one flat row of ``batch_tokens`` per forward for varlen
    attention (cost Σ len² whatever the row), rows of at most ``MASK_ROW_TOKENS`` side by side
    (``batch_tokens`` in all) for mask-based attention. A pair longer than that gets a row of its
    own size."""
    from xlrm.packing import pack_pairs

    lengths = pc.add(
        pc.list_value_length(tok.table["chosen_ids"]), pc.list_value_length(tok.table["rejected_ids"])
    )
    longest = int(pc.max(lengths).as_py() or 0)
    row = batch_tokens if varlen else min(batch_tokens, MASK_ROW_TOKENS)
    capacity = max(row, longest, 1)
    rows = pack_pairs(tok.table["chosen_ids"], tok.table["rejected_ids"], capacity)
    per_batch = 1 if varlen else max(1, batch_tokens // capacity)
    return _Plan(rows, per_batch, "flat" if varlen else "rows")


def _batches(plan: _Plan, device, pad_token_id: int = 0):
    """Padding-free batches (tensors on ``device``) and, per packed row in them, its sequences and
    the flat index where the row starts."""
    from xlrm.train.collators import DataCollatorForPackedPreference

    collate = DataCollatorForPackedPreference(layout=plan.layout, pad_token_id=pad_token_id)
    rows = plan.rows
    for first in range(0, len(rows), plan.per_batch):
        parts = [rows.row(b) for b in range(first, min(first + plan.per_batch, len(rows)))]
        batch = collate([{"input_ids": r["input_ids"], "seq_lengths": r["seq_lengths"]} for r in parts])
        width = batch["input_ids"].shape[1]
        starts = (
            np.cumsum([0] + [len(r["input_ids"]) for r in parts[:-1]])
            if plan.layout == "flat"
            else np.arange(len(parts)) * width
        )
        batch = {k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()}
        yield batch, parts, starts


def _pad_id(tokenizer) -> int:
    pad = getattr(tokenizer, "pad_token_id", None)
    if pad is None:
        pad = getattr(tokenizer, "eos_token_id", None)
    return int(pad) if pad is not None else 0  # the tail of a row is a segment of its own: never read


def packed_rewards(
    scorer: LoadedScorer, tok: TokenizedEval, *, batch_tokens: int, desc: str = ""
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Rewards of every kept pair (chosen, rejected; float64 in table order) and timing info."""
    import torch

    from xlrm.train.packed_reward_trainer import PackedRewardReader

    n = len(tok)
    chosen, rejected = np.full(n, np.nan), np.full(n, np.nan)
    started = time.perf_counter()
    rows = 0
    if n:
        plan = _plan(tok, resolve_batch_tokens(batch_tokens, scorer.device), uses_varlen(scorer.model))
        rows = len(plan.rows)
        reader = PackedRewardReader()
        with _progress(n, desc or scorer.name) as bar, torch.inference_mode():
            for batch, parts, _ in _batches(plan, scorer.device, _pad_id(scorer.tokenizer)):
                pair = np.concatenate([r["seq_index"][0::2] // 2 for r in parts])
                c, rj, _ = reader(scorer.model, batch)
                chosen[pair] = c.float().cpu().numpy()
                rejected[pair] = rj.float().cpu().numpy()
                bar.update(len(pair))
    seconds = time.perf_counter() - started
    return (
        chosen,
        rejected,
        _timing(n, tok, seconds, batch_tokens=resolve_batch_tokens(batch_tokens, scorer.device), rows=rows),
    )


def _timing(n: int, tok: TokenizedEval, seconds: float, **extra) -> dict:
    tokens = int(pc.sum(pc.list_value_length(tok.table["chosen_ids"])).as_py() or 0) + int(
        pc.sum(pc.list_value_length(tok.table["rejected_ids"])).as_py() or 0
    )
    return {
        "pairs": n,
        "tokens": tokens,
        "seconds": round(seconds, 3),
        "pairs_per_s": round(n / seconds, 2) if seconds > 0 else None,
        **extra,
    }


def score_padded(
    model,
    chosen_ids,
    rejected_ids,
    *,
    pad_token_id: int,
    batch_size: int = 8,
    sort: bool = False,
    device=None,
) -> tuple[np.ndarray, np.ndarray]:
    """RewardBench's way of scoring a classifier RM: batches of ``batch_size`` pairs in data order,
    the chosen sequences then the rejected ones, each right-padded to the batch's longest and run
    through the model's own forward (which reads the reward at the last non-pad token).
    ``sort=True`` batches pairs of similar length instead (less padding; not what RewardBench does).
    The reference for the packed path in tests and benchmarks."""
    import torch

    device = device or next(model.parameters()).device
    chosen_ids = [list(x) for x in chosen_ids]
    rejected_ids = [list(x) for x in rejected_ids]
    n = len(chosen_ids)
    order = np.arange(n)
    if sort:
        order = np.argsort(
            [max(len(c), len(r)) for c, r in zip(chosen_ids, rejected_ids, strict=True)], kind="stable"
        )
    out_c, out_r = np.empty(n), np.empty(n)

    def run(seqs):
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
            mask[i, : len(s)] = 1
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False).logits
        return logits[:, 0].float().cpu().numpy()

    with torch.inference_mode():
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            out_c[idx] = run([chosen_ids[i] for i in idx])
            out_r[idx] = run([rejected_ids[i] for i in idx])
    return out_c, out_r


# ---------------------------------------------------------------------------------------------
# DPO: implicit rewards


def _lcp(a: np.ndarray, b: np.ndarray) -> int:
    m = min(len(a), len(b))
    diff = np.flatnonzero(a[:m] != b[:m])
    return int(diff[0]) if len(diff) else m


def response_starts(pairs: pa.Table, tok: TokenizedEval, tokenizer) -> np.ndarray:
    """Where the responses begin in each kept pair's (possibly truncated) sequences: the prompt
    (rendered with the generation prompt) tokens both sides share, minus the prompt tokens that
    truncation removed. At least 1, so every response token has a preceding position."""
    from xlrm import chat

    by_key = {
        (p["language"], p["id"]): p["prompt"] for p in pairs.select(["id", "language", "prompt"]).to_pylist()
    }
    ids = tok.table["id"].to_pylist()
    langs = tok.table["language"].to_pylist()
    prompts = [by_key[(lang, i)] for lang, i in zip(langs, ids, strict=True)]
    texts = chat.render(tokenizer, prompts, tok.template, add_generation_prompt=True) if prompts else []
    encoded = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
    removed = tok.table["prompt_removed"].to_numpy()
    chosen = tok.table["chosen_ids"].to_pylist()
    rejected = tok.table["rejected_ids"].to_pylist()
    h = tok.keep_head
    starts = np.ones(len(ids), dtype=np.int64)
    for i, p in enumerate(encoded):
        p = np.asarray(p)
        k = int(removed[i])
        if k:  # the truncated prompt, as tokenize_pairs cut it
            p = np.concatenate([p[:h], p[h + k :]])
        s = min(_lcp(p, np.asarray(chosen[i])), _lcp(p, np.asarray(rejected[i])))
        starts[i] = max(s, 1)
    return starts


def _lm_head(model):
    """The output projection and the logit transform a causal LM applies after it."""
    import torch

    head = model.get_output_embeddings()
    cfg = getattr(model.config, "text_config", None) or model.config
    cap = getattr(cfg, "final_logit_softcapping", None)
    scale = getattr(cfg, "logit_scale", None)  # Cohere multiplies
    divide = getattr(cfg, "logits_scaling", None)  # Granite divides

    def logits(h):
        x = head(h)
        if scale is not None:
            x = x * scale
        if divide is not None:
            x = x / divide
        if cap is not None:
            x = torch.tanh(x / cap) * cap
        return x

    return logits


def response_logps(
    scorer: LoadedScorer,
    tok: TokenizedEval,
    starts: np.ndarray,
    *,
    batch_tokens: int,
    desc: str = "",
    chunk: int = 2048,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Sum of log-probabilities of each kept pair's chosen and rejected response tokens under the
    model: one packed decoder pass per row, the vocabulary projection only at response positions,
    ``chunk`` positions at a time (so no ``T × vocabulary`` logits are ever held)."""
    import torch

    from xlrm.train.collators import VARLEN_KEYS

    n = len(tok)
    out = np.zeros(2 * n)
    started = time.perf_counter()
    model = scorer.model
    decoder = model.get_decoder()
    project = _lm_head(model)
    varlen = uses_varlen(model)
    if n:
        plan = _plan(tok, resolve_batch_tokens(batch_tokens, scorer.device), varlen)
        with _progress(n, desc or scorer.name) as bar, torch.inference_mode():
            for batch, parts, row_starts in _batches(plan, scorer.device, _pad_id(scorer.tokenizer)):
                kwargs = {"input_ids": batch["input_ids"], "position_ids": batch["position_ids"]}
                if varlen:
                    kwargs.update({k: batch[k] for k in VARLEN_KEYS})
                hidden = decoder(**kwargs, use_cache=False).last_hidden_state
                hidden = hidden.reshape(-1, hidden.shape[-1])
                ids = batch["input_ids"].reshape(-1)
                seqs = np.concatenate([r["seq_index"].astype(np.int64) for r in parts])
                lengths = np.concatenate([r["seq_lengths"].astype(np.int64) for r in parts])
                offsets = np.concatenate(
                    [
                        at + np.concatenate([[0], np.cumsum(r["seq_lengths"])[:-1]])
                        for at, r in zip(row_starts, parts, strict=True)
                    ]
                ).astype(np.int64)
                begin = np.minimum(starts[seqs // 2], lengths)
                # target positions t in [start, length) of each sequence, predicted at position t - 1
                counts = lengths - begin
                owner = np.repeat(np.arange(len(seqs)), counts)
                within = (
                    np.arange(counts.sum())
                    - np.repeat(np.cumsum(counts) - counts, counts)
                    + np.repeat(begin, counts)
                )
                target = torch.from_numpy(np.repeat(offsets, counts) + within).to(ids.device)
                owner_t = torch.from_numpy(owner).to(ids.device)
                sums = torch.zeros(len(seqs), dtype=torch.float64, device=ids.device)
                for s in range(0, len(target), chunk):
                    pos = target[s : s + chunk]
                    logp = torch.log_softmax(project(hidden[pos - 1]).float(), dim=-1)
                    picked = logp.gather(1, ids[pos][:, None])[:, 0]
                    sums.index_add_(0, owner_t[s : s + chunk], picked.double())
                out[seqs] = sums.cpu().numpy()
                bar.update(len(seqs) // 2)
    seconds = time.perf_counter() - started
    return out[0::2].copy(), out[1::2].copy(), _timing(n, tok, seconds)


def dpo_scores(policy: tuple[np.ndarray, np.ndarray], reference: tuple[np.ndarray, np.ndarray]):
    """Implicit rewards ``log π(y|x) − log π_ref(y|x)`` of the chosen and rejected responses (the
    DPO β scales both sides alike, so it does not change which one wins and is left out)."""
    return policy[0] - reference[0], policy[1] - reference[1]


# ---------------------------------------------------------------------------------------------
# Generative judges


class HFJudgeGenerator:
    """A Hugging Face causal LM as :class:`xlrm.eval.judge.PairwiseJudge`'s ``generate`` callable:
    conversations rendered through :mod:`xlrm.chat` with the generation prompt, left-padded, greedy
    decoding of up to ``max_new_tokens``, the new tokens decoded without special tokens."""

    def __init__(self, scorer: LoadedScorer, *, max_new_tokens: int, template: str):
        self.scorer, self.max_new_tokens, self.template = scorer, max_new_tokens, template
        tok = scorer.tokenizer
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        if self.pad_id is None:
            raise InputError(
                f"judge {scorer.name}: the tokenizer has neither a pad nor an EOS token",
                hint="give the judge model a tokenizer with an EOS token",
            )

    def __repr__(self) -> str:
        return f"HFJudgeGenerator({self.scorer.name!r})"

    def render(self, conversation) -> list[int]:
        from xlrm import chat

        text = chat.render(self.scorer.tokenizer, conversation, self.template, add_generation_prompt=True)
        return self.scorer.tokenizer(text, add_special_tokens=False)["input_ids"]

    def __call__(self, conversations) -> list[str]:
        import torch

        encoded = [self.render(c) for c in conversations]
        width = max(len(e) for e in encoded)
        ids = torch.full((len(encoded), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(encoded), width), dtype=torch.long)
        for i, e in enumerate(encoded):  # left padding: every prompt ends where generation starts
            ids[i, width - len(e) :] = torch.tensor(e, dtype=torch.long)
            mask[i, width - len(e) :] = 1
        model = self.scorer.model
        with torch.inference_mode():
            out = model.generate(
                input_ids=ids.to(self.scorer.device),
                attention_mask=mask.to(self.scorer.device),
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=self.pad_id,
            )
        new = out[:, width:].cpu()
        return [self.scorer.tokenizer.decode(row, skip_special_tokens=True) for row in new]
