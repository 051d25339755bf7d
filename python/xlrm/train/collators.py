"""Collator for packed preference rows (padding-free reward-model training).

Each example is one packed row from :func:`xlrm.packing.pack_pair_table`: ``input_ids`` of
several pairs concatenated (chosen, rejected, chosen, rejected, …), ``seq_lengths``,
optionally ``position_ids`` and a per-pair ``margin``. A batch of rows becomes ONE row of shape
``(1, total_tokens)`` — no padding anywhere — (``layout="flat"``) or, for mask-based attention,
a ``(rows, longest_row)`` batch (``layout="rows"``), with:

* ``position_ids`` restarting at 0 for every sequence: transformers turns these into a
  block-diagonal causal mask (sdpa/eager/flex) or flash-attention varlen boundaries, so
  attention never crosses from one sequence into another;
* ``cu_seq_lens_q``/``cu_seq_lens_k`` (int32) and ``max_length_q``/``max_length_k``: the
  flash-attention varlen arguments, used directly by ``flash_attention_*`` and xlrm's
  ``xlrm_varlen`` attention (flat layout only);
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
    """Packed rows → padding-free tensors (see the module docstring).

    ``layout="flat"`` (default) concatenates the rows into one ``(1, T)`` row: no padding at all;
    right for flash-attention varlen and ``xlrm_varlen``, whose cost is ``Σ len²``.
    ``layout="rows"`` keeps the rows as a ``(B, T_max)`` batch, padding only the short rows' tails
    (BFD rows are nearly full; the tail is its own position-id segment, so nothing attends to
    it): right for mask-based attention (sdpa/eager), whose packed mask costs ``T²`` per row —
    ``B × capacity²`` instead of ``(B × capacity)²``.
    """

    layout: str = "flat"
    pad_token_id: int = 0
    return_tensors: str = "pt"

    def __post_init__(self):
        if self.layout not in ("flat", "rows"):
            raise ValueError(f"layout must be 'flat' or 'rows', got {self.layout!r}")

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
        rows = [np.asarray(e["input_ids"], dtype=np.int64) for e in examples]
        lens = [np.asarray(e["seq_lengths"], dtype=np.int64) for e in examples]
        for b, (ids, sl) in enumerate(zip(rows, lens, strict=True)):
            if len(sl) % 2:
                raise ValueError(f"packed row {b} must hold whole pairs (an even number of sequences)")
            if sl.sum() != len(ids):
                raise ValueError(
                    f"row {b}: seq_lengths sum to {sl.sum()} but the row holds {len(ids)} tokens"
                )
        lengths = np.concatenate(lens)
        max_len = int(lengths.max()) if len(lengths) else 0
        real = int(lengths.sum())
        if self.layout == "flat":
            input_ids = np.concatenate(rows)[None]
            width = len(input_ids[0])
            row_start = np.zeros(len(rows), dtype=np.int64)
            np.cumsum([len(r) for r in rows[:-1]], out=row_start[1:])
        else:
            width = max(len(r) for r in rows)
            input_ids = np.full((len(rows), width), self.pad_token_id, dtype=np.int64)
            for b, r in enumerate(rows):
                input_ids[b, : len(r)] = r
            row_start = np.arange(len(rows), dtype=np.int64) * width
        # row_start: flat index where each packed row begins (rows follow each other, or one per line)
        position_ids = np.zeros(input_ids.size, dtype=np.int64)
        last = []
        for b, (r, sl) in enumerate(zip(rows, lens, strict=True)):
            cu = np.zeros(len(sl) + 1, dtype=np.int64)
            np.cumsum(sl, out=cu[1:])
            at = row_start[b]
            position_ids[at : at + len(r)] = np.arange(len(r)) - np.repeat(cu[:-1], sl)
            tail = (width - len(r)) if self.layout == "rows" else 0
            position_ids[at + len(r) : at + len(r) + tail] = np.arange(tail)  # a segment of its own
            last.append(at + cu[1:] - 1)
        last_idx = np.concatenate(last)
        out: dict[str, Any] = {
            "input_ids": torch.from_numpy(input_ids),
            "position_ids": torch.from_numpy(position_ids.reshape(input_ids.shape)),
            "chosen_index": torch.from_numpy(last_idx[0::2].copy()),
            "rejected_index": torch.from_numpy(last_idx[1::2].copy()),
            "num_real_tokens": torch.tensor(real),
        }
        if self.layout == "flat":
            cu_all = np.zeros(len(lengths) + 1, dtype=np.int32)
            np.cumsum(lengths, out=cu_all[1:])
            cu_t = torch.from_numpy(cu_all)
            out.update(
                cu_seq_lens_q=cu_t, cu_seq_lens_k=cu_t.clone(), max_length_q=max_len, max_length_k=max_len
            )
        if "margin" in examples[0]:
            out["margin"] = torch.from_numpy(_cat(examples, "margin", np.float32))
        return out
