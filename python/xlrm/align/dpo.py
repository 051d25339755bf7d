"""One DPO run: TRL's ``DPOTrainer`` on RM-labelled pairs, resumable, launchable.

* :func:`build_dpo_config`: a ``DPOConfig`` from the ``training:`` mapping as given (every key
  checked against DPOConfig's fields first, so a typo is an error naming the key), with CPU- and
  resume-friendly defaults for the keys it leaves out.
* :class:`CountingDPOTrainer`: ``DPOTrainer`` that counts the pairs TRL's own preprocessing
  drops (a prompt that alone fills ``max_length``), so the manifest accounts for every pair.
* :func:`train_dpo`: load the policy through :mod:`xlrm.models` (GGUF included), train from the
  last checkpoint if there is one, save the policy folder (a LoRA adapter merged) with the
  tokenizer carrying the chat template the pairs were sampled with, and the training log.
* ``python -m xlrm.align.dpo SPEC``: the entry point ``accelerate launch`` runs in every process
  (the stage writes the spec; rank 0 writes ``metrics.json`` beside it), as ``xlrm.train.launch``
  does for ``train-rm``.

The reference model is the policy before training. Its log-probabilities are precomputed in one
pass before training (``precompute_ref_log_probs``) unless ``training:`` says otherwise or a LoRA
run trains a single epoch: precomputing frees the memory of a second model copy and costs one
reference forward per pair, the same as computing them on the fly for one epoch and less for
more; a LoRA run gets its reference by switching the adapter off, so for one epoch it gains
nothing. torch, transformers and TRL are imported inside the functions.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from xlrm.errors import InputError
from xlrm.train.trainer_support import (
    base_arguments,
    check_keys,
    config_fields,
    jsonable,
    progress_bars,
    save_trained_model,
    write_unit_metrics,
)

log = logging.getLogger(__name__)

DPO_CONFIG_DOCS = "https://huggingface.co/docs/trl/dpo_trainer#trl.DPOConfig"
TRAINING_HINT = (
    "`training:` takes the fields of TRL's DPOConfig and transformers' TrainingArguments (beta, learning_rate, "
    f"loss_type, num_train_epochs, per_device_train_batch_size, max_length, ...); see {DPO_CONFIG_DOCS}"
)
METRICS = "metrics.json"
DATASET = "dpo_dataset"  # the pairs on disk, with several processes (see _dataset)


def _config_fields() -> set[str]:
    from trl import DPOConfig

    return config_fields(DPOConfig)


def check_training_keys(training: Mapping[str, Any]) -> None:
    """An unknown key in ``training`` → :class:`InputError` naming it (with near matches)."""
    check_keys(training, _config_fields(), config_name="DPOConfig", hint=TRAINING_HINT)


def build_dpo_config(
    training: Mapping[str, Any] | None,
    *,
    out_dir: Path,
    device,
    dtype,
    lora: bool,
    gradient_checkpointing: bool = False,
    progress: bool = True,
):
    """``(DPOConfig, arguments used)``: ``training`` as given, with these defaults for the keys it
    does not set: ``output_dir = out_dir/checkpoints``, ``report_to none``, checkpoints every
    200 steps keeping 2 (``trainer_support.SAVE_STEPS``), ``logging_steps 1``, one epoch, ``seed 0``,
    ``use_cpu`` on a CPU, bf16 only for bf16 weights on a GPU (TRL's default would turn it on for
    CPUs too), gradient checkpointing off unless asked for, and the reference precomputation rule
    of the module docstring."""
    import torch
    from trl import DPOConfig

    training = dict(training or {})
    check_training_keys(training)
    epochs = float(training.get("num_train_epochs", 1))
    defaults, overrides = base_arguments(
        training, _config_fields(), out_dir=out_dir, device=device, bf16_weights=dtype == torch.bfloat16,
        progress=progress, gradient_checkpointing=gradient_checkpointing,
    )  # fmt: skip
    defaults["precompute_ref_log_probs"] = not lora or epochs > 1
    args = {**defaults, **training, **overrides}
    try:
        config = DPOConfig(**args)
    except (TypeError, ValueError) as e:
        raise InputError(f"training: {e}", hint=TRAINING_HINT) from None
    return config, args


def _trainer_class():
    from trl import DPOTrainer

    class CountingDPOTrainer(DPOTrainer):
        """``DPOTrainer`` that records how many pairs its preprocessing kept, per dataset."""

        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
            before = len(dataset)
            out = super()._prepare_dataset(dataset, processing_class, args, dataset_name)
            counts = getattr(self, "xlrm_prepared", {})
            counts[dataset_name] = {"in": before, "kept": len(out)}
            self.xlrm_prepared = counts
            return out

    return CountingDPOTrainer


def _lora_config(lora: dict):
    from peft import LoraConfig

    try:
        return LoraConfig(**{"task_type": "CAUSAL_LM", **lora})
    except TypeError as e:
        raise InputError(
            f"lora: {e}",
            hint="lora takes peft.LoraConfig fields (r, lora_alpha, lora_dropout, target_modules)",
        ) from None


def _dataset(pairs: pa.Table, folder: Path):
    """The pairs as a ``Dataset``; with several processes one that rank 0 saved to ``folder``.

    TRL's reference precomputation has rank 0 write the log-probs to a cache file beside the
    dataset's own files and every rank read it back. An in-memory dataset has no files: each
    process then names a random file in its own temporary folder, and the other ranks fail
    reading a file rank 0 never wrote (FileNotFoundError)."""
    from accelerate import PartialState
    from datasets import Dataset, load_from_disk

    def msgs(col):
        return [[{"role": m["role"], "content": m["content"]} for m in v] for v in pairs[col].to_pylist()]

    ds = Dataset.from_dict({"prompt": msgs("prompt"), "chosen": msgs("chosen"), "rejected": msgs("rejected")})
    state = PartialState()
    if state.num_processes == 1:
        return ds
    with state.main_process_first():
        if state.is_main_process:
            shutil.rmtree(folder, ignore_errors=True)  # with the stale caches of a killed run
            ds.save_to_disk(str(folder))
        return load_from_disk(str(folder))


def train_dpo(
    pairs: pa.Table,
    *,
    opts,
    training: Mapping[str, Any] | None,
    lora: dict | None,
    out_dir: Path | str,
    chat_template: str | None = None,
    gradient_checkpointing: bool | None = None,
    progress: bool = True,
) -> dict:
    """Train a DPO policy from ``opts`` on ``pairs`` (xlrm pair schema). Writes under ``out_dir``:
    ``checkpoints/`` (a rerun resumes from the last one), ``policy/`` and ``train_log.json``.
    Returns the metrics (pairs in and used, steps, data-parallel processes, losses, DPO reward
    accuracy and margin of the last logged step, resume point, the arguments used, the template)."""
    from transformers import AutoModelForCausalLM
    from transformers.trainer_callback import PrinterCallback

    from xlrm import chat
    from xlrm.models import load_tokenizer, load_weights, model_options, pick_device, pick_dtype
    from xlrm.train.checkpoints import last_complete_checkpoint
    from xlrm.train.rm_train import resolve_gradient_checkpointing, split_log_history

    t0 = time.perf_counter()
    opts = model_options(opts)
    training = dict(training or {})
    check_training_keys(training)  # before any weights are read
    gc = resolve_gradient_checkpointing(training, gradient_checkpointing)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if pairs.num_rows == 0:
        raise InputError(
            "no preference pairs to train on", hint="see the labelling counts: every prompt was dropped"
        )
    device = pick_device(opts.device)
    dtype = pick_dtype(opts.dtype, device)
    args, used = build_dpo_config(
        training, out_dir=out_dir, device=device, dtype=dtype, lora=lora is not None,
        gradient_checkpointing=gc, progress=progress,
    )  # fmt: skip

    tokenizer = load_tokenizer(opts)
    template = chat.resolve_template(tokenizer, chat_template)
    template_info = chat.template_info(tokenizer, template)  # before the tokenizer's template is replaced
    # TRL renders conversational pairs with the tokenizer's own template: make it the one the
    # samples were generated with (for a tokenizer without one, xlrm's documented fallback).
    tokenizer.chat_template = template
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model, _ = load_weights(opts, AutoModelForCausalLM, device=device, quiet=True)
    if gc:
        model.config.use_cache = False
    ref_model = None
    if lora is None and not args.precompute_ref_log_probs:
        # TRL would reload the reference from the config's name_or_path, which loses a GGUF
        # file and an adapter: load it through the model layer instead.
        ref_model, _ = load_weights(opts, AutoModelForCausalLM, device=device, quiet=True)
        ref_model.eval()
    trainer_cls = _trainer_class()
    try:
        trainer = trainer_cls(
            model=model,
            ref_model=ref_model,
            args=args,
            train_dataset=_dataset(pairs, out_dir / DATASET),
            processing_class=tokenizer,
            peft_config=_lora_config(lora) if lora is not None else None,
        )
    except ValueError as e:
        raise InputError(f"cannot set up DPO training: {e}", hint=TRAINING_HINT) from None
    if not progress:
        trainer.remove_callback(PrinterCallback)
    prepared = trainer.xlrm_prepared["train"]
    if prepared["kept"] == 0:
        raise InputError(
            f"all {prepared['in']} pairs were dropped by DPO preprocessing: each prompt alone fills "
            f"max_length={args.max_length}",
            hint="raise training.max_length",
        )

    resume = training.get("resume_from_checkpoint")
    ckpt_dir = Path(args.output_dir)
    if resume is None and ckpt_dir.is_dir():
        resume = last_complete_checkpoint(ckpt_dir)
    if resume:
        log.info("resuming DPO from %s", resume)
    result = trainer.train(resume_from_checkpoint=resume)

    policy_dir = out_dir / "policy"
    save_trained_model(trainer, tokenizer, template, policy_dir, lora is not None)
    if trainer.is_world_process_zero():  # every rank is past training (save_trained_model waits)
        shutil.rmtree(out_dir / DATASET, ignore_errors=True)
    log_doc = split_log_history(trainer.state.log_history)
    log_doc = {**log_doc, "global_step": trainer.state.global_step, "resumed_from": resume}
    (out_dir / "train_log.json").write_text(json.dumps(jsonable(log_doc), indent=1), encoding="utf-8")
    last = log_doc["train"][-1] if log_doc["train"] else {}
    return jsonable(
        {
            "pairs": {
                "in": prepared["in"],
                "used": prepared["kept"],
                "dropped": {"prompt_fills_max_length": prepared["in"] - prepared["kept"]},
            },
            "global_step": trainer.state.global_step,
            "epoch": trainer.state.epoch,
            "processes": trainer.accelerator.num_processes,
            "resumed_from": str(resume) if resume else None,
            "final_train_loss": last.get("loss"),
            "mean_train_loss": float(result.training_loss),
            "final_reward_accuracy": last.get("rewards/accuracies"),
            "final_reward_margin": last.get("rewards/margins"),
            "train_runtime_s": float(result.metrics.get("train_runtime", 0.0)),
            "wall_s": time.perf_counter() - t0,
            "precompute_ref_log_probs": bool(args.precompute_ref_log_probs),
            "lora": lora,
            "template": template_info,
            "training_args": used,
            "files": {"policy": str(policy_dir), "checkpoints": str(ckpt_dir)},
        }
    )


def train_from_spec(spec_path: str | Path) -> dict:
    """Run the DPO unit a spec file describes (written by the align stage)."""
    from xlrm.models import ModelOptions

    spec_path = Path(spec_path)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    with progress_bars(spec["progress"]):
        metrics = train_dpo(
            pq.read_table(spec["pairs"]),
            opts=ModelOptions(**spec["model"]),
            training=spec["training"],
            lora=spec["lora"],
            out_dir=spec["out_dir"],
            chat_template=spec.get("chat_template"),
            gradient_checkpointing=spec["gradient_checkpointing"],
            progress=spec["progress"],
        )
    metrics = {**metrics, "unit": spec["unit"]}
    write_unit_metrics(spec_path, metrics, METRICS)
    return metrics


if __name__ == "__main__":
    train_from_spec(sys.argv[1])
