"""Padding-free (packed) Bradley-Terry reward-model training on top of TRL's ``RewardTrainer``.

``PackedRewardTrainer`` is a ``trl.RewardTrainer`` subclass, so model loading, PEFT/LoRA,
accelerate/DeepSpeed/FSDP, bf16, gradient checkpointing, logging (``report_to``) and checkpoint
resume are TRL's own. What changes with ``args.packing=True``:

* data: after TRL's own preprocessing (tokenization, ``max_length`` filter) the pairs are packed
  with xlrm's Rust best-fit-decreasing packer over the whole data set
  (:func:`xlrm.packing.pack_pair_table`); optionally ordered so every rank gets nearly the same
  tokens per step;
* batches: :class:`~xlrm.train.collators.DataCollatorForPackedPreference` concatenates rows into
  one ``(1, T)`` row with ``position_ids`` restarting per sequence — no padding;
* forward: one forward over the packed row, with ``use_cache=False`` and no attention mask, so
  transformers applies its packed-sequence (block-diagonal causal) masking or flash-attention
  varlen; the per-token scores of the model's head (``score``) are captured with a forward hook
  and the reward of each sequence is read at its last token;
* loss: the same Bradley-Terry loss as TRL (``-logsigmoid(r_c - r_r - margin)``, mean over the
  micro-batch's pairs, plus ``center_rewards_coefficient * mean((r_c + r_r)^2)``) and the same
  metrics.

With ``args.packing=False`` (or a plain ``RewardConfig``) every method falls through to TRL.

One documented difference: padded TRL reads the reward at the rightmost token that is not the
pad token, so a sequence that itself ends with the pad id (pad == EOS and a template ending in
EOS) is scored one token early there; packed training always reads the true last token. With
the templates xlrm uses (ChatML ends in ``<|im_end|>\n``; ``FALLBACK_CHAT_TEMPLATE`` ends in
``{eos}\n``) the two agree. In evaluation, per-batch logits have varying lengths and
``Trainer`` pads them with -100 when concatenating.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn as nn
from datasets import Dataset, IterableDataset
from torch.utils.data import Sampler
from transformers.modeling_outputs import SequenceClassifierOutput
from trl import RewardTrainer

from xlrm.packing import PackStats, pack_pair_table
from xlrm.train.collators import VARLEN_KEYS, DataCollatorForPackedPreference
from xlrm.train.packed_reward_config import PackedRewardConfig

logger = logging.getLogger(__name__)

PACKED_COLUMNS = ["input_ids", "position_ids", "seq_lengths", "margin"]
HEAD_NAMES = ("score", "classifier", "v_head")

__all__ = [
    "GroupShuffleSampler",
    "PackedRewardConfig",
    "PackedRewardReader",
    "PackedRewardTrainer",
    "find_score_head",
]


class GroupShuffleSampler(Sampler[int]):
    """Shuffles whole groups of ``group`` consecutive rows (one optimizer step's rows for all
    ranks, as laid out by rank balancing) per epoch, keeping each group's internal order and a
    short last group last. Deterministic for ``seed`` and epoch."""

    def __init__(self, n: int, group: int, seed: int = 0):
        self.n, self.group, self.seed, self.epoch = n, max(1, group), seed, 0
        self._explicit_epoch = False

    def set_epoch(self, epoch: int) -> None:
        self.epoch, self._explicit_epoch = epoch, True

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        full = self.n // self.group
        order = np.random.default_rng([self.seed, self.epoch]).permutation(full)
        if not self._explicit_epoch:
            self.epoch += 1
        for g in order:
            yield from range(g * self.group, (g + 1) * self.group)
        yield from range(full * self.group, self.n)


def find_score_head(model: nn.Module) -> nn.Module:
    """The module that maps hidden states to per-token scores in a sequence-classification model
    (``score`` in transformers' decoder models), looking through PEFT and accelerate wrappers."""
    m = model
    for _ in range(4):
        for name in HEAD_NAMES:
            head = getattr(m, name, None)
            if isinstance(head, nn.Module):
                return head
        inner = None
        if hasattr(m, "get_base_model"):
            inner = m.get_base_model()
        elif hasattr(m, "module"):
            inner = m.module
        if inner is None or inner is m:
            break
        m = inner
    raise ValueError(
        f"packed reward training needs a sequence-classification model with a per-token head named one of "
        f"{HEAD_NAMES}; {type(model).__name__} has none (load it with AutoModelForSequenceClassification, "
        "num_labels=1, or train with packing=False)"
    )


class _HeadCapture:
    """Keeps the last output of the score head (per-token scores) while armed."""

    def __init__(self):
        self.armed = False
        self.value: torch.Tensor | None = None

    def __call__(self, module, args, output):
        if self.armed:
            self.value = output[0] if isinstance(output, tuple) else output


def _identity(model):
    return model


class PackedRewardReader:
    """Reads per-sequence rewards from one forward over a packed batch (as made by
    :class:`~xlrm.train.collators.DataCollatorForPackedPreference`).

    A forward hook on the model's score head captures the per-token scores, which are then
    gathered at each sequence's last token. The model is called as usual (through any
    DDP/DeepSpeed/PEFT wrapper), with ``use_cache=False`` and no attention mask, so transformers
    derives the packed block-diagonal causal mask from ``position_ids`` (sdpa/eager/flex) or
    uses the varlen boundaries (flash attention, ``xlrm_varlen``).
    """

    def __init__(self, unwrap=_identity):
        self.unwrap = unwrap
        self._capture = _HeadCapture()
        self._hooked: int | None = None

    def _ensure_hook(self, model) -> None:
        head = find_score_head(self.unwrap(model))
        if self._hooked != id(head):
            head.register_forward_hook(self._capture)
            self._hooked = id(head)

    def uses_varlen_kwargs(self, model) -> bool:
        impl = getattr(self.unwrap(model).config, "_attn_implementation", "") or ""
        return "flash" in impl or impl == "xlrm_varlen"

    def __call__(self, model, inputs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """(chosen rewards, rejected rewards, model outputs), pairs in batch order."""
        self._ensure_hook(model)
        kwargs: dict[str, Any] = {"input_ids": inputs["input_ids"], "position_ids": inputs["position_ids"]}
        if "cu_seq_lens_q" in inputs and self.uses_varlen_kwargs(model):
            kwargs.update({k: inputs[k] for k in VARLEN_KEYS})
        self._capture.armed, self._capture.value = True, None
        try:
            outputs = model(**kwargs, use_cache=False)
        finally:
            self._capture.armed = False
        scores, self._capture.value = self._capture.value, None
        if scores is None:
            raise RuntimeError(
                "the score head did not run during the forward pass; cannot read packed rewards"
            )
        flat = scores.reshape(-1, scores.shape[-1])[:, 0]
        return flat[inputs["chosen_index"]], flat[inputs["rejected_index"]], outputs


class PackedRewardTrainer(RewardTrainer):
    """``trl.RewardTrainer`` with padding-free packed batches when ``args.packing`` is true."""

    _tag_names = ["trl", "reward-trainer", "xlrm", "packed"]

    def __init__(
        self,
        model,
        args=None,
        data_collator=None,
        train_dataset=None,
        eval_dataset=None,
        processing_class=None,
        *extra,
        **kwargs,
    ):
        self._packing = bool(getattr(args, "packing", False))
        self.packing_stats: dict[str, PackStats] = {}
        if self._packing and data_collator is None:
            data_collator = DataCollatorForPackedPreference()
        super().__init__(
            model, args, data_collator, train_dataset, eval_dataset, processing_class, *extra, **kwargs
        )
        self.reward_reader = PackedRewardReader(unwrap=self.accelerator.unwrap_model)
        if self._packing:
            impl = getattr(self.args, "packed_attn_implementation", None)
            if impl:
                if impl == "xlrm_varlen":
                    from xlrm.train.attention import register

                    register()
                self.accelerator.unwrap_model(self.model).set_attn_implementation(impl)
            find_score_head(self.accelerator.unwrap_model(self.model))  # fail early, with a clear message
            if isinstance(self.data_collator, DataCollatorForPackedPreference):
                # varlen kernels want one flat row; mask-based attention one row per packed row
                self.data_collator.layout = (
                    "flat" if self.reward_reader.uses_varlen_kwargs(self.model) else "rows"
                )
                self.data_collator.pad_token_id = self.processing_class.pad_token_id
            for name, stats in self.packing_stats.items():
                logger.info("packed %s: %s", name, stats)

    # --- data -------------------------------------------------------------------------------

    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
        dataset = super()._prepare_dataset(dataset, processing_class, args, dataset_name)
        if not getattr(args, "packing", False):
            return dataset
        if isinstance(dataset, IterableDataset):
            raise ValueError(
                "packing needs the whole data set to pack (best fit decreasing is global); pass a map-style "
                "datasets.Dataset or set packing=False for an IterableDataset"
            )
        cols = dataset.column_names
        if "seq_lengths" in cols and "input_ids" in cols and "chosen_ids" not in cols:
            return dataset  # already packed
        table = dataset.with_format("arrow")[:] if len(dataset) else dataset.data.table
        is_train = dataset_name == "train"
        per_rank = args.per_device_train_batch_size if is_train else args.per_device_eval_batch_size
        balance = is_train and getattr(args, "packing_rank_balance", True) and args.world_size > 1
        packed, stats = pack_pair_table(
            table,
            args.effective_packing_capacity,
            oversize=args.packing_oversize,
            ranks=args.world_size if balance else None,
            per_rank=per_rank,
            seed=args.seed if balance else None,
        )
        self.packing_stats[dataset_name] = stats
        # An explicit fingerprint: otherwise datasets hashes the whole packed table.
        key = f"{dataset._fingerprint}:{args.effective_packing_capacity}:{args.packing_oversize}:{balance}:{per_rank}"
        return Dataset(packed, fingerprint=hashlib.sha256(key.encode()).hexdigest()[:16])

    def _set_signature_columns_if_needed(self):
        if self._packing:
            if self._signature_columns is None:
                self._signature_columns = list(PACKED_COLUMNS)
            return
        super()._set_signature_columns_if_needed()

    def _get_train_sampler(self, train_dataset=None):
        stats = self.packing_stats.get("train")
        if self._packing and stats is not None and stats.balance:
            ds = train_dataset if train_dataset is not None else self.train_dataset
            return GroupShuffleSampler(
                len(ds), stats.balance["ranks"] * stats.balance["per_rank"], self.args.seed
            )
        return super()._get_train_sampler(train_dataset)

    # --- loss -------------------------------------------------------------------------------

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if not self._packing:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        mode = "train" if self.model.training else "eval"
        rewards_chosen, rewards_rejected, _ = self.reward_reader(model, inputs)

        if "margin" in inputs:
            loss = -nn.functional.logsigmoid(rewards_chosen - rewards_rejected - inputs["margin"]).mean()
        else:
            loss = -nn.functional.logsigmoid(rewards_chosen - rewards_rejected).mean()
        if self.args.center_rewards_coefficient is not None:
            loss += self.args.center_rewards_coefficient * torch.mean(
                (rewards_chosen + rewards_rejected) ** 2
            )

        if mode == "train":
            num_tokens = inputs.get("num_real_tokens")
            if num_tokens is None:
                num_tokens = torch.tensor(inputs["input_ids"].numel(), device=inputs["input_ids"].device)
            self._total_train_tokens += (
                self.accelerator.gather_for_metrics(num_tokens).sum().item() // self._tp_size
            )
        self._metrics[mode]["num_tokens"] = [self._total_train_tokens]

        logits = torch.cat([rewards_chosen, rewards_rejected])[:, None]
        with torch.no_grad():
            # rows hold different numbers of pairs: pad before gathering across processes
            all_rewards = self.accelerator.gather(
                self.accelerator.pad_across_processes(logits, pad_index=float("nan"))
            )
            all_rewards = all_rewards[~torch.isnan(all_rewards)]
            self._metrics[mode]["min_reward"].append(all_rewards.min().item())
            self._metrics[mode]["mean_reward"].append(all_rewards.mean().item())
            self._metrics[mode]["max_reward"].append(all_rewards.max().item())
            mean_accuracy = (rewards_chosen > rewards_rejected).float().mean()
            self._metrics[mode]["accuracy"].append(
                self.accelerator.gather_for_metrics(mean_accuracy).mean().item()
            )
            mean_margin = (rewards_chosen - rewards_rejected).mean()
            self._metrics[mode]["margin"].append(
                self.accelerator.gather_for_metrics(mean_margin).mean().item()
            )

        return (loss, SequenceClassifierOutput(loss=loss, logits=logits)) if return_outputs else loss
