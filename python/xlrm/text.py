"""Text normalisation (Rust): NFKC, case folding, whitespace folding, punctuation stripping."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from xlrm import _core
from xlrm._buffers import from_buffers, to_buffers


def normalize(
    values,
    *,
    nfkc: bool = True,
    casefold: bool = True,
    strip_punct: bool = False,
    fold_whitespace: bool = True,
) -> pa.LargeStringArray:
    """Normalise a column of strings; returns a pyarrow ``large_string`` array in input order."""
    data, offsets = to_buffers(values)
    out = _core.text.normalize_column(
        data,
        offsets,
        nfkc=nfkc,
        casefold=casefold,
        strip_punct=strip_punct,
        fold_whitespace=fold_whitespace,
    )
    return from_buffers(*out)


def equal_normalized(
    a,
    b,
    *,
    nfkc: bool = False,
    casefold: bool = False,
    strip_punct: bool = False,
    fold_whitespace: bool = True,
) -> np.ndarray:
    """Row-wise ``a[i] == b[i]`` after normalisation (whitespace folding only by default)."""
    ad, ao = to_buffers(a)
    bd, bo = to_buffers(b)
    return _core.text.equal_normalized(
        ad,
        ao,
        bd,
        bo,
        nfkc=nfkc,
        casefold=casefold,
        strip_punct=strip_punct,
        fold_whitespace=fold_whitespace,
    )
