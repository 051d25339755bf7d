"""Train one Bradley-Terry reward model: the core that ``xlrm train-rm`` runs per training language.

* :func:`item_key` / :func:`split_by_item`: a held-out split by *item*, so that the English pairs
  and their translations (and the built-in set's parallel renderings) hold out the same items in
  every language, whichever language's table is split and in which call. An item is held out
  when a seeded hash of its key falls below ``val_fraction``, a decision that depends on the item
  alone — not on which other items or languages are present.
* :func:`build_reward_config`: a ``PackedRewardConfig`` from the ``training`` mapping as given
  (any TRL ``RewardConfig`` / ``TrainingArguments`` key), CPU-friendly defaults for the rest.
* :func:`train_reward_model`: tokenize (truncation counted per reason), load the RM
  (:func:`xlrm.train.reward_model.load_reward_model`), train with ``PackedRewardTrainer``
  (resuming from the last checkpoint), score the held-out pairs, save the model folder with the
  chat template actually used, the training log and the curves.

torch, transformers and TRL are imported inside the functions.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from xlrm import chat
from xlrm.errors import InputError
from xlrm.models import ModelOptions, model_options, pick_device, pick_dtype
from xlrm.train.tokenize import TokenizeConfig, TokenizedPairs, tokenize_pairs
from xlrm.train.trainer_support import (
    base_arguments,
    check_keys,
    config_fields,
    jsonable,
    save_trained_model,
)

log = logging.getLogger(__name__)

REWARD_CONFIG_DOCS = "https://huggingface.co/docs/trl/reward_trainer#trl.RewardConfig"
TRAINING_HINT = (
    "`training:` takes the fields of TRL's RewardConfig and transformers' TrainingArguments, plus xlrm's "
    f"packing options (packing, packing_capacity, packing_oversize, packed_attn_implementation); see {REWARD_CONFIG_DOCS}"
)


# --- held-out split by item ------------------------------------------------------------------


def item_key(pair_id: str, language: str | None) -> str:
    """The id stem a pair shares with its other-language versions.

    * translated pairs: ``<source id>-<lang>`` (``xlrm.translate``) → ``<source id>``;
    * the built-in set's parallel renderings: ``builtin/<split>/<section>/<kind>-<n>/<lang>`` →
      ``builtin/<split>/<section>/<kind>-<n>`` (and the data stage's ``<id>/<lang>`` for an id
      repeated across languages);
    * both at once (a translated built-in row, ``.../en-ko``): the translation suffix, then the
      source's own language segment.

    Anything else is its own item.
    """
    from xlrm.languages import KNOWN

    stem = pair_id
    translated = False
    if language and stem.endswith(f"-{language}") and len(stem) > len(language) + 1:
        stem, translated = stem[: -len(language) - 1], True
    head, sep, last = stem.rpartition("/")
    if sep and head and (last == language or (translated and last in KNOWN)):
        stem = head
    return stem


def _unit_hash(key: str, seed: int) -> float:
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _as_pair_table(pairs) -> pa.Table:
    if isinstance(pairs, pa.Table):
        return pairs
    if hasattr(pairs, "data") and hasattr(pairs.data, "table"):  # datasets.Dataset
        return pairs.data.table
    from xlrm.data.schema import pairs_to_table

    return pairs_to_table(list(pairs))


def split_by_item(table, val_fraction: float, seed: int = 0) -> tuple[pa.Table, pa.Table]:
    """``(train, val)``: the pairs whose :func:`item_key` hashes (with ``seed``) below
    ``val_fraction`` go to ``val``, so every language holds out the same items and the same call on
    another language's table agrees. With ``val_fraction > 0`` and at least two items, at least one
    item is held out and at least one trains (for very small sets the hash alone could pick none
    or all)."""
    if not 0.0 <= val_fraction < 1.0:
        raise InputError(f"val_fraction must be in [0, 1), got {val_fraction}")
    table = _as_pair_table(table)
    if "id" not in table.column_names:
        raise InputError(f"pairs have no 'id' column (columns: {', '.join(table.column_names)})")
    ids = table["id"].to_pylist()
    langs = table["language"].to_pylist() if "language" in table.column_names else [None] * len(ids)
    keys = [item_key(i, lang) for i, lang in zip(ids, langs, strict=True)]
    u = {k: _unit_hash(k, seed) for k in set(keys)}
    held = {k for k, v in u.items() if v < val_fraction}
    if val_fraction > 0 and len(u) >= 2:
        if not held:
            held = {min(u, key=u.get)}
        elif len(held) == len(u):
            held.discard(max(u, key=u.get))
    mask = pa.array([k in held for k in keys], type=pa.bool_())
    return table.filter(pc.invert(mask)), table.filter(mask)


# --- training arguments -----------------------------------------------------------------------


def _config_fields() -> set[str]:
    from xlrm.train.packed_reward_config import PackedRewardConfig

    return config_fields(PackedRewardConfig)


def check_training_keys(training: Mapping[str, Any]) -> None:
    """An unknown key in ``training`` → :class:`InputError` naming it (with near matches)."""
    check_keys(training, _config_fields(), config_name="RewardConfig", hint=TRAINING_HINT)


def resolve_gradient_checkpointing(training: Mapping[str, Any], requested: bool | None) -> bool:
    """The one checkpointing switch: the ``gradient_checkpointing`` argument, else the
    ``training`` key (either name), else off (tiny CPU models gain nothing from it)."""
    given = [training[k] for k in ("activation_checkpointing", "gradient_checkpointing") if k in training]
    if len({bool(v) for v in given}) > 1:
        raise InputError(
            "training sets activation_checkpointing and gradient_checkpointing differently",
            hint="set one of them (gradient_checkpointing is the deprecated name)",
        )
    if requested is not None and given and bool(given[0]) != bool(requested):
        raise InputError(
            f"gradient_checkpointing={requested} for the model but {not requested} in training",
            hint="set it in one place",
        )
    if requested is not None:
        return bool(requested)
    return bool(given[0]) if given else False


def pick_attention(opts: ModelOptions, device, dtype, model_config, training: Mapping[str, Any]):
    """``(packed_attn_implementation, reason)`` for training (docs/performance.md): ``xlrm_varlen``
    on CPU (per-sequence SDPA beats the masked ``capacity²`` attention there), on a GPU
    flash-attention's varlen kernel where installed (half precision), else the model's own sdpa.
    ``training.packed_attn_implementation`` or the model's ``attn_implementation`` override."""
    import torch

    if training.get("packing") is False:  # TRL's padded path: the packed switch does not apply
        return None, "packing off: the model's own attention on padded batches"
    if training.get("packed_attn_implementation"):
        return training["packed_attn_implementation"], "training.packed_attn_implementation"
    if opts.attn_implementation:
        return None, f"model attn_implementation {opts.attn_implementation!r}"
    kind = getattr(device, "type", str(device))
    if kind == "cpu":
        cfg = model_config.get_text_config() if hasattr(model_config, "get_text_config") else model_config
        window = getattr(cfg, "sliding_window", None) and getattr(cfg, "use_sliding_window", True)
        softcap = getattr(cfg, "attn_logit_softcapping", None)
        if window or softcap:
            # xlrm_varlen implements neither; transformers' sdpa masks do
            return None, "cpu, but the model uses sliding-window attention or soft-capping: its own attention"
        return "xlrm_varlen", "cpu: per-sequence SDPA (xlrm_varlen)"
    if kind == "cuda":
        if importlib.util.find_spec("flash_attn") is not None and dtype in (torch.bfloat16, torch.float16):
            return "flash_attention_2", "cuda with flash-attn installed: varlen kernel"
        return None, "cuda: the model's own sdpa with packed position-id masks"
    return None, f"{kind}: the model's own attention"


def _numbers(training: dict) -> dict:
    """YAML 1.1 reads ``1e-5`` (no dot) as a string; TRL's config would then fail deep inside the
    optimizer. Strings that are numbers for a numeric field become numbers."""
    from dataclasses import fields as dc_fields

    from xlrm.train.packed_reward_config import PackedRewardConfig

    types = {f.name: f.type for f in dc_fields(PackedRewardConfig)}
    out = dict(training)
    for k, v in training.items():
        tp = str(types.get(k, ""))
        if isinstance(v, str) and ("float" in tp or "int" in tp):
            try:
                out[k] = int(v) if "int" in tp and "float" not in tp else float(v)
            except ValueError:
                pass  # TRL's own error names the key
    return out


def build_reward_config(
    training: Mapping[str, Any] | None,
    *,
    out_dir: Path,
    device,
    dtype,
    has_eval: bool,
    max_length: int | None,
    gradient_checkpointing: bool = False,
    packed_attn_implementation: str | None = None,
    packing_capacity: int | None = None,
    progress: bool = True,
):
    """``(PackedRewardConfig, arguments used)``: ``training`` as given (every key checked against
    the config's fields), with these defaults for keys it does not set: ``output_dir =
    out_dir/checkpoints``, ``report_to none``, ``save_strategy steps`` every 200 steps keeping 2
    (``trainer_support.SAVE_STEPS``), ``logging_steps 1``, ``eval_strategy epoch`` when there are
    held-out pairs, one epoch, ``seed 0``, ``use_cpu`` on a CPU, bf16 mixed precision only for bf16 weights
    on a GPU (TRL would turn it on for CPUs too), no TRL length filter (tokenization already cut
    pairs to ``max_length``) and ``packing_capacity`` ``2 * max_length`` (so every pair fits), and
    the attention and checkpointing chosen by the caller. A ``training.max_length`` other than
    the tokenization's is refused."""
    import torch

    from xlrm.train.packed_reward_config import PackedRewardConfig

    training = dict(training or {})
    check_training_keys(training)
    fields = _config_fields()
    if "max_length" in training and training["max_length"] != max_length:
        raise InputError(
            f"training.max_length={training['max_length']} but pairs are tokenized with max_length={max_length}",
            hint="set max_length in the tokenize settings only (it truncates and counts; TRL's would silently drop)",
        )
    defaults, overrides = base_arguments(
        training, fields, out_dir=out_dir, device=device, bf16_weights=dtype == torch.bfloat16,
        progress=progress, gradient_checkpointing=gradient_checkpointing,
    )  # fmt: skip
    defaults |= {
        "eval_strategy": "epoch" if has_eval else "no",
        # Pairs are already truncated to max_length by tokenization (which counts what it cuts),
        # so TRL's own length filter would drop nothing: skip that pass over the data.
        "max_length": None,
    }
    if packed_attn_implementation is not None:
        defaults["packed_attn_implementation"] = packed_attn_implementation
    if packing_capacity is None and max_length:
        packing_capacity = 2 * max_length  # PackedRewardConfig's rule, from the tokenization limit
    if packing_capacity is not None:
        defaults["packing_capacity"] = packing_capacity
    args = {**defaults, **_numbers(training), **overrides}
    try:
        config = PackedRewardConfig(**args)
    except (TypeError, ValueError) as e:
        raise InputError(f"training: {e}", hint=TRAINING_HINT) from None
    return config, args


# --- scoring, logs, curves --------------------------------------------------------------------


def _eval_batches(trainer):
    """The eval rows in batches, each row scored by exactly one process.

    One process: the trainer's eval dataloader. Several: a contiguous shard of the rows per
    process in a plain DataLoader — not the accelerate-prepared one, whose ``even_batches``
    pads the last batch of the short ranks with rows from the start (16 "pairs" from 6 held
    out with 2 ranks and eval batches of 8), and ``gather`` does not drop those repeats."""
    acc = trainer.accelerator
    if acc.num_processes == 1:
        return trainer.get_eval_dataloader()
    from datasets import Dataset as HFDataset
    from torch.utils.data import DataLoader

    ds = trainer.eval_dataset
    if isinstance(ds, HFDataset):
        ds = trainer._remove_unused_columns(ds, description="evaluation")
        ds = ds.shard(num_shards=acc.num_processes, index=acc.process_index, contiguous=True)
    else:
        from torch.utils.data import Subset

        ds = Subset(ds, range(acc.process_index, len(ds), acc.num_processes))
    collate = trainer.data_collator
    if not isinstance(trainer.eval_dataset, HFDataset):
        collate = trainer._get_collator_with_removed_columns(collate, description="evaluation")
    return DataLoader(
        ds, batch_size=trainer.args.per_device_eval_batch_size, collate_fn=collate, shuffle=False
    )


def score_eval_pairs(trainer) -> dict:
    """Score every held-out pair with the trained model (the trainer's eval data, packed or
    padded): ``accuracy`` (fraction with chosen > rejected), ``loss`` (mean Bradley-Terry loss,
    no margin), ``margin`` (mean chosen − rejected), ``pairs``. With several processes each
    scores its own shard of the eval rows (every pair once) and the differences are gathered."""
    import torch

    model = trainer.model
    was_training = model.training
    model.eval()
    diffs = []
    with torch.no_grad():
        for batch in _eval_batches(trainer):
            batch = trainer._prepare_inputs(batch)
            with trainer.compute_loss_context_manager():
                _, out = trainer.compute_loss(model, batch, return_outputs=True)
            c, r = out.logits.squeeze(-1).float().chunk(2)
            diffs.append(c - r)
    trainer._metrics["eval"].clear()  # compute_loss records metrics for the next log; these are ours
    model.train(was_training)
    acc = trainer.accelerator
    diff = torch.cat(diffs) if diffs else torch.zeros(0, device=acc.device)
    if acc.num_processes > 1:  # packed rows hold different numbers of pairs: pad, gather, unpad
        diff = acc.gather(acc.pad_across_processes(diff, pad_index=float("nan")))
        diff = diff[~torch.isnan(diff)]
    diff = diff.cpu()
    if not diff.numel():
        return {"pairs": 0, "accuracy": None, "loss": None, "margin": None}
    return {
        "pairs": int(diff.numel()),
        "accuracy": float((diff > 0).float().mean()),
        "loss": float(torch.nn.functional.softplus(-diff).mean()),
        "margin": float(diff.mean()),
    }


def split_log_history(history: list[dict]) -> dict:
    """Trainer ``log_history`` → ``{"train": per-step entries, "eval": per-evaluation entries,
    "summary": the end-of-training entry}``."""
    train = [h for h in history if "loss" in h and not any(k.startswith("eval_") for k in h)]
    evals = [h for h in history if "eval_loss" in h]
    summary = next((h for h in reversed(history) if "train_runtime" in h), {})
    return {"train": train, "eval": evals, "summary": summary}


def plot_curves(log_doc: dict, path: Path) -> Path | None:
    """Loss, accuracy and learning rate per step (training) with the evaluations as points, as a
    PNG; None (and a logged warning) when matplotlib is not installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        log.warning("matplotlib is not installed: no %s (pip install matplotlib, or xlrm[plots])", path.name)
        return None
    train, evals = log_doc["train"], log_doc["eval"]
    # Figure + Agg canvas directly: no pyplot, no global backend switch in the caller's process.
    fig = Figure(figsize=(12, 3.6))
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.9, wspace=0.28)  # no layout engine: cheap
    FigureCanvasAgg(fig)
    panels = [
        ("loss", "eval_loss", "Bradley-Terry loss"),
        ("accuracy", "eval_accuracy", "accuracy"),
        ("learning_rate", None, "learning rate"),
    ]
    for k, (key, eval_key, title) in enumerate(panels):
        ax = fig.add_subplot(1, 3, k + 1)
        pts = [(h["step"], h[key]) for h in train if h.get(key) is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), lw=1, label="train")
        if eval_key:
            ev = [(h["step"], h[eval_key]) for h in evals if h.get(eval_key) is not None]
            if ev:
                ax.plot(*zip(*ev, strict=True), "o-", ms=4, label="held out")
        ax.set_title(title)
        ax.set_xlabel("step")
        if eval_key and evals:
            ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    return path


# --- the training run -------------------------------------------------------------------------


def _num_rows(pairs) -> int:
    if pairs is None:
        return 0
    if isinstance(pairs, pa.Table):
        return pairs.num_rows
    return len(pairs)


def _pair_counts(tok: TokenizedPairs, pack_stats=None) -> dict:
    """Pairs in, used, truncated and dropped per reason (tokenization's reasons, plus
    ``packing_oversize`` for pairs the packer left out with ``packing_oversize: drop``)."""
    dropped = dict(tok.dropped)
    packed_out = int(pack_stats.dropped) if pack_stats is not None else 0
    if packed_out:
        dropped["packing_oversize"] = packed_out
    return {
        "in": tok.counts["in"],
        "used": tok.counts["out"] - packed_out,
        "prompt_truncated": tok.counts["prompt_truncated"],
        "responses_truncated": tok.counts["responses_truncated"],
        "dropped": dropped,
    }


def _dataset(tok: TokenizedPairs):
    from datasets import Dataset

    cols = ["chosen_ids", "rejected_ids"] + (["margin"] if "margin" in tok.table.column_names else [])
    return Dataset(tok.table.select(cols))


def _longest_pair(tok: TokenizedPairs) -> int:
    c = pc.list_value_length(tok.table["chosen_ids"])
    r = pc.list_value_length(tok.table["rejected_ids"])
    return int(pc.max(pc.add(c, r)).as_py() or 0)


def train_reward_model(
    train_pairs,
    val_pairs=None,
    *,
    opts: ModelOptions | str | dict,
    training: Mapping[str, Any] | None = None,
    tokenize: TokenizeConfig | None = None,
    out_dir: Path | str,
    train_top_blocks: int | None = None,
    lora: dict | None = None,
    gradient_checkpointing: bool | None = None,
    progress: bool = True,
) -> dict:
    """Train one Bradley-Terry reward model on ``train_pairs`` (pairs in the xlrm schema: an Arrow
    table, a ``datasets.Dataset`` or a list of dicts), holding out ``val_pairs``.

    Writes under ``out_dir``: ``checkpoints/`` (Trainer checkpoints; a rerun resumes from the
    last one), ``model/`` (safetensors, config, tokenizer with the chat template used),
    ``train_log.json`` and ``curves.png``. Returns the metrics (keys in the docs of the
    ``train-rm`` stage): ``pairs`` (train/val: in, used, truncated and dropped per reason),
    ``packing``, ``tokens_seen`` (real tokens trained on in this call), ``tokens_per_s`` (over
    ``train_runtime_s``, the Trainer's wall time, evaluations included), ``wall_s``,
    ``global_step``, ``epoch``, ``processes`` (data-parallel processes), ``resumed_from``,
    ``final_train_loss``, ``mean_train_loss``, ``val_accuracy``, ``val_loss``, ``val_margin``,
    ``val_pairs``, ``template``,
    ``attn_implementation``, ``attn_reason``, ``model`` (load info), ``training_args`` and
    ``files``.

    Raises :class:`InputError` for an unknown ``training`` key, a training set whose pairs are
    all dropped (too long, identical, empty) and for models that cannot be reward models.
    """
    t0 = time.perf_counter()
    opts = model_options(opts)
    training = dict(training or {})
    tokenize = tokenize or TokenizeConfig()
    tokenize.validate()
    check_training_keys(training)  # before any weights are read
    gc = resolve_gradient_checkpointing(training, gradient_checkpointing)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if _num_rows(train_pairs) == 0:
        raise InputError(
            "no training pairs", hint="check the data (and translate) stage output for this language"
        )

    from transformers.trainer_callback import PrinterCallback

    from xlrm.train.checkpoints import last_complete_checkpoint
    from xlrm.train.packed_reward_trainer import PackedRewardTrainer
    from xlrm.train.reward_model import load_reward_model

    device = pick_device(opts.device)
    dtype = pick_dtype(opts.dtype, device)
    seed = int(training.get("seed", 0))
    model, tokenizer, model_info = load_reward_model(
        opts,
        train_top_blocks=train_top_blocks,
        lora=lora,
        gradient_checkpointing=gc,
        device=device,
        seed=seed,
    )

    tok_train = tokenize_pairs(train_pairs, tokenizer, tokenize)
    if tok_train.table.num_rows == 0:
        reasons = ", ".join(f"{k}: {v}" for k, v in tok_train.dropped.items() if v) or "none"
        limit = tokenize.max_length
        raise InputError(
            f"all {tok_train.counts['in']} training pairs were dropped in tokenization ({reasons})",
            hint=f"raise tokenize max_length (now {limit}; 0 = no limit) or set truncate_responses: true"
            if tok_train.dropped.get("too_long")
            else "check the pairs: chosen and rejected must be non-empty and differ",
        )
    tok_val = tokenize_pairs(val_pairs, tokenizer, tokenize) if _num_rows(val_pairs) else None
    val_dropped_all = None  # the held-out pairs' counts survive even when none is left to score
    if tok_val is not None and tok_val.table.num_rows == 0:
        val_dropped_all = _pair_counts(tok_val, None)
        log.warning("every held-out pair was dropped in tokenization (%s): no validation", tok_val.dropped)
        tok_val = None
    template = tok_train.template
    template_info = chat.template_info(tokenizer, template)

    max_length = tokenize.max_length or None
    capacity = None
    if max_length is None and "packing_capacity" not in training:
        # no length limit: rows must still hold the longest pair (PackedRewardConfig's 4096 might not)
        longest = max(_longest_pair(tok_train), _longest_pair(tok_val) if tok_val else 0)
        capacity = max(4096, longest)
    attn, attn_reason = pick_attention(opts, device, dtype, model.config, training)
    args, used_args = build_reward_config(
        training,
        out_dir=out_dir,
        device=device,
        dtype=dtype,
        has_eval=tok_val is not None,
        max_length=max_length,
        gradient_checkpointing=gc,
        packed_attn_implementation=attn,
        packing_capacity=capacity,
        progress=progress,
    )
    try:
        trainer = PackedRewardTrainer(
            model=model,
            args=args,
            train_dataset=_dataset(tok_train),
            eval_dataset=_dataset(tok_val) if tok_val is not None else None,
            processing_class=tokenizer,
        )
    except ValueError as e:  # e.g. a pair longer than packing_capacity with packing_oversize=error
        raise InputError(f"cannot set up training: {e}", hint=TRAINING_HINT) from None
    if not progress:
        trainer.remove_callback(PrinterCallback)
    attn_used = getattr(trainer.accelerator.unwrap_model(trainer.model).config, "_attn_implementation", None)

    resume = training.get("resume_from_checkpoint")
    ckpt_dir = Path(args.output_dir)
    if resume is None and ckpt_dir.is_dir():
        resume = last_complete_checkpoint(ckpt_dir)
    if resume:
        log.info("resuming from %s", resume)
    result = trainer.train(resume_from_checkpoint=resume)

    val = (
        score_eval_pairs(trainer)
        if tok_val is not None
        else {"pairs": 0, "accuracy": None, "loss": None, "margin": None}
    )

    model_dir = out_dir / "model"
    adapter_only = save_trained_model(trainer, tokenizer, template, model_dir, lora is not None)

    log_doc = split_log_history(trainer.state.log_history)
    log_doc = {**log_doc, "val": val, "global_step": trainer.state.global_step, "resumed_from": resume}
    log_path = out_dir / "train_log.json"
    curves = None
    if trainer.is_world_process_zero():
        log_path.write_text(json.dumps(jsonable(log_doc), indent=1), encoding="utf-8")
        curves = plot_curves(log_doc, out_dir / "curves.png")

    runtime = float(result.metrics.get("train_runtime", 0.0))
    tokens = int(getattr(trainer, "_total_train_tokens", 0))
    last_loss = next((h["loss"] for h in reversed(log_doc["train"]) if "loss" in h), None)
    return jsonable(
        {
            "pairs": {
                "train": _pair_counts(tok_train, trainer.packing_stats.get("train")),
                "val": _pair_counts(tok_val, trainer.packing_stats.get("eval"))
                if tok_val is not None
                else val_dropped_all,
            },
            "packing": {k: v.as_dict() for k, v in trainer.packing_stats.items()},
            "tokens_seen": tokens,
            "tokens_per_s": tokens / runtime if runtime > 0 else None,
            "train_runtime_s": runtime,
            "wall_s": time.perf_counter() - t0,
            "global_step": trainer.state.global_step,
            "epoch": trainer.state.epoch,
            "processes": trainer.accelerator.num_processes,
            "resumed_from": str(resume) if resume else None,
            "final_train_loss": last_loss,
            "mean_train_loss": float(result.training_loss),
            "val_accuracy": val["accuracy"],
            "val_loss": val["loss"],
            "val_margin": val["margin"],
            "val_pairs": val["pairs"],
            "template": template_info,
            "attn_implementation": attn_used,
            "attn_reason": attn_reason,
            "model": model_info,
            "training_args": used_args,
            "files": {
                "model": str(model_dir),
                "model_is_adapter": adapter_only,
                "train_log": str(log_path),
                "curves": str(curves) if curves else None,
                "checkpoints": str(ckpt_dir),
            },
        }
    )


__all__ = [
    "REWARD_CONFIG_DOCS",
    "build_reward_config",
    "check_training_keys",
    "item_key",
    "pick_attention",
    "plot_curves",
    "score_eval_pairs",
    "split_by_item",
    "split_log_history",
    "train_reward_model",
]
