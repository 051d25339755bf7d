"""Collator for packed preference rows (padding-free reward-model training).

Each example is one packed row from :func:`xlrm.packing.pack_pair_table`: ``input_ids`` of
several pairs concatenated (chosen, rejected, chosen, rejected, …), ``seq_lengths``,
optionally ``position_ids`` and a per-pair ``margin``. A batch of rows becomes ONE row of shape
``(1, total_tokens)`` — no padding anywhere — with:

* ``position_ids`` restarting at 0 for every sequence: transformers turns these into a
  block-diagonal causal mask (sdpa/eager/flex) or flash-attention varlen boundaries, so
  attention never crosses from one sequence into another;
* ``cu_seq_lens_q``/``cu_seq_lens_k`` (int32) and ``max_length_q``/``max_length_k``: the
  flash-attention varlen arguments, used directly by ``flash_attention_*`` and xlrm's
  ``xlrm_varlen`` attention;
* ``chosen_index``/``rejected_index``: the flat index of every pair's last chosen/rejected
  token, where the reward is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

VARLEN_KEYS = ("cu_seq_lens_q", "cu_seq_lens_k", "max_length_q", "max_length_k")


def _cat(rows: list[dict], key: str, dtype) -> np.ndarray:
    parts = [np.asarray(r[key], dtype=dtype) for r in rows]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


@dataclass
class DataCollatorForPackedPreference:
    """Packed rows → one padding-free row of tensors (see the module docstring)."""

    return_tensors: str = "pt"

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        if not examples:
            raise ValueError("cannot collate an empty batch")
        for key in ("input_ids", "seq_lengths"):
            if key not in examples[0]:
                raise ValueError(
                    f"packed rows need an {key!r} column (got {', '.join(examples[0])}); "
                    "pack the data with xlrm.packing.pack_pair_table"
                )
        input_ids = _cat(examples, "input_ids", np.int64)
        lengths = _cat(examples, "seq_lengths", np.int64)
        if len(lengths) % 2:
            raise ValueError("packed rows must hold whole pairs (an even number of sequences)")
        if lengths.sum() != len(input_ids):
            raise ValueError(f"seq_lengths sum to {lengths.sum()} but the rows hold {len(input_ids)} tokens")
        cu = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=cu[1:])
        if "position_ids" in examples[0]:
            position_ids = _cat(examples, "position_ids", np.int64)
        else:
            position_ids = np.arange(len(input_ids), dtype=np.int64) - np.repeat(cu[:-1], lengths)
        last = cu[1:] - 1
        cu_t = torch.from_numpy(cu.astype(np.int32))
        max_len = int(lengths.max()) if len(lengths) else 0
        out: dict[str, Any] = {
            "input_ids": torch.from_numpy(input_ids)[None],
            "position_ids": torch.from_numpy(position_ids)[None],
            "cu_seq_lens_q": cu_t,
            "cu_seq_lens_k": cu_t.clone(),
            "max_length_q": max_len,
            "max_length_k": max_len,
            "chosen_index": torch.from_numpy(last[0::2].copy()),
            "rejected_index": torch.from_numpy(last[1::2].copy()),
        }
        if "margin" in examples[0]:
            out["margin"] = torch.from_numpy(_cat(examples, "margin", np.float32))
        return out
