"""``PackedRewardConfig``: TRL's ``RewardConfig`` plus the packing switch and its settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import RewardConfig

OVERSIZE = ("error", "drop")


@dataclass
class PackedRewardConfig(RewardConfig):
    r"""[`~trl.RewardConfig`] with padding-free (packed) training.

    With ``packing=True`` pairs are packed by xlrm's Rust best-fit-decreasing packer into rows
    of ``packing_capacity`` tokens (a pair's chosen and rejected always share a row) and a
    micro-batch is ``per_device_train_batch_size`` such rows concatenated into one padding-free
    row; the number of pairs per micro-batch therefore varies while the tokens per micro-batch
    stay nearly constant. With ``packing=False`` training is exactly TRL's ``RewardTrainer``.

    Parameters:
        packing (`bool`, defaults to `True`):
            Train on packed rows without padding.
        packing_capacity (`int`, *optional*):
            Tokens per packed row; default ``2 * max_length`` (or 4096 without ``max_length``), so
            every pair that passes the ``max_length`` filter fits.
        packing_oversize (`str`, defaults to `"error"`):
            A pair longer than the capacity (chosen + rejected): ``"error"`` or ``"drop"`` (counted).
        packing_rank_balance (`bool`, defaults to `True`):
            With several processes, order rows so each rank gets nearly the same tokens per step.
        packed_attn_implementation (`str`, *optional*):
            Attention implementation to switch the model to for packed training, e.g.
            ``"xlrm_varlen"`` (per-sequence SDPA, no ``T²`` mask: best on CPU) or
            ``"flash_attention_2"``. Default: keep the model's own (sdpa/eager use the
            ``position_ids`` packed-sequence mask, flash attention its varlen kernel).
    """

    packing: bool = field(default=True, metadata={"help": "Train on packed rows without padding (xlrm)."})
    packing_capacity: int | None = field(
        default=None,
        metadata={"help": "Tokens per packed row; default 2 * max_length (4096 when max_length is None)."},
    )
    packing_oversize: str = field(
        default="error",
        metadata={
            "help": "Pairs longer than the capacity: 'error' or 'drop' (counted).",
            "choices": list(OVERSIZE),
        },
    )
    packing_rank_balance: bool = field(
        default=True,
        metadata={"help": "With several processes, balance tokens per rank and step."},
    )
    packed_attn_implementation: str | None = field(
        default=None,
        metadata={
            "help": "Attention implementation for packed training ('xlrm_varlen', 'flash_attention_2', ...); "
            "default: the model's own."
        },
    )

    def __post_init__(self):
        super().__post_init__()
        if self.packing_oversize not in OVERSIZE:
            raise ValueError(f"packing_oversize must be one of {OVERSIZE}, got {self.packing_oversize!r}")
        if self.packing_capacity is not None and self.packing_capacity < 2:
            raise ValueError(f"packing_capacity must be at least 2 tokens, got {self.packing_capacity}")

    @property
    def effective_packing_capacity(self) -> int:
        if self.packing_capacity is not None:
            return self.packing_capacity
        return 2 * self.max_length if self.max_length else 4096
