"""String columns to and from the Arrow buffer layout the Rust core reads.

pyarrow already stores text as (offsets, bytes); handing those two buffers to
Rust as numpy views avoids building a Python object per row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def as_large_string(values: pa.Array | pa.ChunkedArray | Sequence[str]) -> pa.LargeStringArray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values, type=pa.large_string())
    if values.null_count:
        raise ValueError(f"string column has {values.null_count} nulls; fill or drop them first")
    if values.type != pa.large_string():
        values = values.cast(pa.large_string())
    return values


def to_buffers(values) -> tuple[np.ndarray, np.ndarray]:
    """(data: uint8, offsets: int64) views of a string column, zero-copy where possible."""
    arr = as_large_string(values)
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64, count=len(arr) + 1, offset=arr.offset * 8)
    if data_buf is None:
        data = np.zeros(0, dtype=np.uint8)
    else:
        data = np.frombuffer(data_buf, dtype=np.uint8)
    return data, offsets


def from_buffers(data: np.ndarray, offsets: np.ndarray) -> pa.LargeStringArray:
    return pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
