"""Best-fit-decreasing packing (Rust) for padding-free training.

* :func:`bfd` — bin id of every length (input order), packing the whole data set at once.
* :func:`pack_sequences` — a column of token sequences → packed rows.
* :func:`pack_pairs` / :func:`pack_pair_table` — preference pairs → packed rows; the chosen and
  rejected sequence of a pair always share a row (pairs are packed as units of
  ``len(chosen) + len(rejected)``), laid out chosen then rejected.
* :func:`balance` — an order of rows giving N ranks nearly the same tokens per step.

Packed rows carry ``input_ids`` (concatenated), ``position_ids`` (restarting at 0 for every
sequence: what transformers' packed-sequence masking and flash-attention varlen read),
``cu_seqlens`` (cumulative boundaries, starting at 0) and ``last_index`` (each sequence's last
token, where a reward model reads its score). Token columns cross into Rust as the Arrow list
buffers (values + offsets), never as Python lists; the result is deterministic for a seed and
the same for any thread count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pyarrow as pa

from xlrm import _core

Oversize = Literal["error", "drop"]

__all__ = [
    "PackStats",
    "PackedRows",
    "balance",
    "bfd",
    "list_buffers",
    "pack_pair_table",
    "pack_pairs",
    "pack_sequences",
]


def bfd(lengths, capacity: int, *, oversize: Oversize = "error") -> np.ndarray:
    """Best-fit-decreasing bin id of each length, in input order (``-1`` = dropped as oversize).

    Bins are numbered in the order they are opened; ``capacity`` is the token budget of a bin.
    ``oversize="error"`` raises ``XlrmError`` on a length above the capacity; ``"drop"`` leaves
    it out with bin ``-1``.
    """
    bins, _, _ = bfd_with_loads(lengths, capacity, oversize=oversize)
    return bins


def bfd_with_loads(lengths, capacity: int, *, oversize: Oversize = "error"):
    """Like :func:`bfd`, also returning the tokens in each bin and the number dropped."""
    arr = np.ascontiguousarray(np.asarray(lengths), dtype=np.int64)
    if arr.ndim != 1:
        raise ValueError(f"lengths must be one-dimensional, got shape {arr.shape}")
    _check_capacity(capacity)
    bins, loads, dropped = _core.pack.bfd(arr, int(capacity), oversize=oversize)
    return bins, loads.astype(np.int64), dropped


def balance(loads, ranks: int, per_rank: int = 1, *, seed: int | None = None) -> dict:
    """Order bins (token ``loads``) so that ranks taking ``per_rank`` consecutive bins in turn get
    nearly the same tokens per step. Returns ``order``, ``rank_of``, ``rank_tokens`` and the
    max/min ratios (``total_ratio``, ``worst_step_ratio``, ``mean_step_ratio``)."""
    arr = np.ascontiguousarray(np.asarray(loads), dtype=np.int64)
    return _core.pack.balance(arr, int(ranks), int(per_rank), seed=seed)


def _check_capacity(capacity) -> None:
    # The upper bound (2^31 - 1 for packed rows) is the core's to check; this catches what
    # would otherwise reach it as a float or a bool.
    if isinstance(capacity, bool) or not isinstance(capacity, int | np.integer) or capacity <= 0:
        raise _core.XlrmError(
            f"invalid argument `capacity`: must be a positive integer number of tokens, got {capacity!r}"
        )


def list_buffers(column) -> tuple[np.ndarray, np.ndarray]:
    """(values: int32 or int64, offsets: int64) of a list-of-token-ids column, zero-copy for the
    values where the Arrow type allows. Accepts a pyarrow (Large)ListArray, a ChunkedArray, or a
    sequence of sequences of ints."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not isinstance(column, pa.Array):
        column = pa.array(list(column) if not isinstance(column, list) else column)
        if len(column) == 0 or pa.types.is_null(column.type):
            column = pa.array([], type=pa.list_(pa.int32()))
    if not (pa.types.is_list(column.type) or pa.types.is_large_list(column.type)):
        raise ValueError(f"expected a list column of token ids, got Arrow type {column.type}")
    if column.null_count:
        raise ValueError(f"token column has {column.null_count} null rows; drop or fill them first")
    values = column.values
    if pa.types.is_null(values.type):  # every row empty: no type to infer
        values = values.cast(pa.int32())
    if not pa.types.is_integer(values.type):
        raise ValueError(f"token ids must be integers, got Arrow type {values.type}")
    if values.type not in (pa.int32(), pa.int64()):
        values = values.cast(pa.int64())
    if values.null_count:
        raise ValueError("token column contains null token ids")
    offsets = column.offsets.to_numpy().astype(np.int64, copy=False)
    return values.to_numpy(zero_copy_only=False), np.ascontiguousarray(offsets)


def _list_array(offsets: np.ndarray, values: np.ndarray) -> pa.Array:
    values = pa.array(values)
    if len(values) < 2**31 - 1:
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)
    return pa.LargeListArray.from_arrays(pa.array(offsets), values)


@dataclass
class PackStats:
    """Counts and quality of one packing."""

    items: int
    bins: int
    dropped: int
    tokens: int
    capacity: int
    efficiency: float  # tokens / (bins × capacity)
    balance: dict = field(default_factory=dict)  # ranks, per_rank, total/worst/mean max-min ratios

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PackedRows:
    """Packed rows as flat numpy arrays in Arrow list layout (see the module docstring).

    Row ``b`` holds tokens ``token_offsets[b]:token_offsets[b+1]`` and sequences
    ``seq_offsets[b]:seq_offsets[b+1]``; its ``cu_seqlens`` are
    ``cu_seqlens[seq_offsets[b] + b : seq_offsets[b+1] + b + 1]``. ``seq_index`` is the input
    index of each packed sequence (for pairs: ``2*i`` chosen, ``2*i+1`` rejected of pair ``i``).
    ``bin_of`` gives each input item's bin id (``-1`` dropped); rows come in ``row_bins`` order.
    """

    input_ids: np.ndarray
    position_ids: np.ndarray
    token_offsets: np.ndarray
    seq_lengths: np.ndarray
    last_index: np.ndarray
    seq_index: np.ndarray
    seq_offsets: np.ndarray
    cu_seqlens: np.ndarray
    bin_of: np.ndarray
    loads: np.ndarray
    stats: PackStats

    def __len__(self) -> int:
        return len(self.token_offsets) - 1

    @property
    def cu_offsets(self) -> np.ndarray:
        return self.seq_offsets + np.arange(len(self.seq_offsets), dtype=np.int64)

    def row(self, b: int) -> dict[str, np.ndarray]:
        t0, t1 = self.token_offsets[b], self.token_offsets[b + 1]
        s0, s1 = self.seq_offsets[b], self.seq_offsets[b + 1]
        return {
            "input_ids": self.input_ids[t0:t1],
            "position_ids": self.position_ids[t0:t1],
            "seq_lengths": self.seq_lengths[s0:s1],
            "last_index": self.last_index[s0:s1],
            "seq_index": self.seq_index[s0:s1],
            "cu_seqlens": self.cu_seqlens[s0 + b : s1 + b + 1],
        }

    def to_arrow(self) -> pa.Table:
        """One row per bin: ``input_ids``, ``position_ids``, ``seq_lengths``, ``cu_seqlens``,
        ``last_index``, ``seq_index``."""
        return pa.table(
            {
                "input_ids": _list_array(self.token_offsets, self.input_ids),
                "position_ids": _list_array(self.token_offsets, self.position_ids),
                "seq_lengths": _list_array(self.seq_offsets, self.seq_lengths),
                "cu_seqlens": _list_array(self.cu_offsets, self.cu_seqlens),
                "last_index": _list_array(self.seq_offsets, self.last_index),
                "seq_index": _list_array(self.seq_offsets, self.seq_index.astype(np.int64)),
            }
        )


def _rows(d: dict, capacity: int, items: int, ranks, per_rank) -> PackedRows:
    loads = d["loads"].astype(np.int64)
    tokens = int(loads.sum())
    bal = {}
    if "balance" in d:
        b = d["balance"]
        bal = {
            "ranks": ranks,
            "per_rank": per_rank,
            "steps": int(b["n_steps"]),
            "rank_tokens": b["rank_tokens"].tolist(),
            "total_ratio": float(b["total_ratio"]),
            "worst_step_ratio": float(b["worst_step_ratio"]),
            "mean_step_ratio": float(b["mean_step_ratio"]),
        }
    stats = PackStats(
        items=items,
        bins=len(loads),
        dropped=int(d["n_dropped"]),
        tokens=tokens,
        capacity=int(capacity),
        efficiency=tokens / (len(loads) * capacity) if len(loads) else 1.0,
        balance=bal,
    )
    return PackedRows(
        input_ids=d["input_ids"],
        position_ids=d["position_ids"],
        token_offsets=d["token_offsets"],
        seq_lengths=d["seq_lengths"],
        last_index=d["last_index"],
        seq_index=d["seq_index"],
        seq_offsets=d["seq_offsets"],
        cu_seqlens=d["cu_seqlens"],
        bin_of=d["bin_of"],
        loads=loads,
        stats=stats,
    )


def pack_sequences(
    column,
    capacity: int,
    *,
    oversize: Oversize = "error",
    ranks: int | None = None,
    per_rank: int = 1,
    seed: int | None = None,
) -> PackedRows:
    """Pack a column of token sequences (Arrow list column or lists of ints) into rows of at most
    ``capacity`` tokens. ``ranks`` orders the rows for that many data-parallel ranks taking
    ``per_rank`` rows per step (``seed`` shuffles the steps)."""
    _check_capacity(capacity)
    values, offsets = list_buffers(column)
    d = _core.pack.pack_sequences(
        values, offsets, int(capacity), oversize=oversize, ranks=ranks, per_rank=per_rank, seed=seed
    )
    return _rows(d, capacity, len(offsets) - 1, ranks, per_rank)


def _same_dtype(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if a.dtype != b.dtype:
        return a.astype(np.int64), b.astype(np.int64)
    return a, b


def pack_pairs(
    chosen,
    rejected,
    capacity: int,
    *,
    oversize: Oversize = "error",
    ranks: int | None = None,
    per_rank: int = 1,
    seed: int | None = None,
) -> PackedRows:
    """Pack preference pairs: pair ``i`` (``chosen[i]`` then ``rejected[i]``) always lands whole
    in one row. ``oversize="drop"`` leaves out pairs whose two sides exceed ``capacity`` together
    (counted in ``stats.dropped``); ``"error"`` raises ``XlrmError``."""
    _check_capacity(capacity)
    cv, co = list_buffers(chosen)
    rv, ro = list_buffers(rejected)
    cv, rv = _same_dtype(cv, rv)
    d = _core.pack.pack_pairs(
        cv, co, rv, ro, int(capacity), oversize=oversize, ranks=ranks, per_rank=per_rank, seed=seed
    )
    return _rows(d, capacity, len(co) - 1, ranks, per_rank)


def pack_pair_table(
    table: pa.Table,
    capacity: int,
    *,
    chosen: str = "chosen_ids",
    rejected: str = "rejected_ids",
    margin: str | None = "margin",
    oversize: Oversize = "error",
    ranks: int | None = None,
    per_rank: int = 1,
    seed: int | None = None,
) -> tuple[pa.Table, PackStats]:
    """Pack a tokenized pair table into an Arrow table with one row per packed row.

    Columns: ``input_ids``, ``position_ids``, ``seq_lengths``, ``cu_seqlens``, ``last_index``
    (sequences alternate chosen, rejected), ``pair_index`` (input row of each pair in the row)
    and, when the input has a ``margin`` column, ``margin`` per pair.
    """
    for name in (chosen, rejected):
        if name not in table.column_names:
            raise ValueError(
                f"pair table has no {name!r} column (columns: {', '.join(table.column_names)}); "
                "tokenize it first with xlrm.train.tokenize.tokenize_pairs"
            )
    rows = pack_pairs(
        table[chosen], table[rejected], capacity, oversize=oversize, ranks=ranks, per_rank=per_rank, seed=seed
    )
    out = rows.to_arrow()
    pair_offsets = rows.seq_offsets // 2
    pair_index = rows.seq_index[0::2].astype(np.int64) // 2
    out = out.drop_columns(["seq_index"]).append_column("pair_index", _list_array(pair_offsets, pair_index))
    if margin is not None and margin in table.column_names:
        m = table[margin].to_numpy().astype(np.float32)[pair_index]
        out = out.append_column("margin", _list_array(pair_offsets, m))
    return out, rows.stats
