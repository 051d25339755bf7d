"""xlrm.packing: the Rust best-fit-decreasing packer through its Python API."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlrm import packing
from xlrm.errors import XlrmError


def reference_bfd(lengths, capacity):
    """O(n × bins) best fit decreasing: the definition the packer must match."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    space: list[int] = []
    bins = [-1] * len(lengths)
    for i in order:
        fits = [b for b in range(len(space)) if space[b] >= lengths[i]]
        if fits:
            b = min(fits, key=lambda b: space[b])
        else:
            space.append(capacity)
            b = len(space) - 1
        space[b] -= lengths[i]
        bins[i] = b
    return bins


def loads(bins, lengths):
    out = np.zeros(max(bins, default=-1) + 1, dtype=np.int64)
    for b, n in zip(bins, lengths, strict=True):
        if b >= 0:
            out[b] += n
    return out


def test_bfd_small():
    assert packing.bfd([5, 2, 3, 1, 4], 5).tolist() == [0, 2, 2, 1, 1]
    assert packing.bfd(np.array([], dtype=np.int64), 8).tolist() == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 200), max_size=300), st.integers(200, 600))
def test_bfd_matches_reference(lengths, capacity):
    got = packing.bfd(lengths, capacity)
    want = reference_bfd(lengths, capacity)
    # bins tied on remaining space are interchangeable: compare the multiset of loads
    assert sorted(loads(got, lengths)) == sorted(loads(want, lengths))
    assert (loads(got, lengths) <= capacity).all()
    assert np.array_equal(packing.bfd(lengths, capacity), got)  # deterministic


def test_oversize_error_and_drop():
    with pytest.raises(XlrmError, match="item 1 has 9 tokens, more than the bin capacity 8"):
        packing.bfd([3, 9, 2], 8)
    assert packing.bfd([3, 9, 2], 8, oversize="drop").tolist() == [0, -1, 0]
    with pytest.raises(XlrmError, match="oversize"):
        packing.bfd([3], 8, oversize="truncate")


@pytest.mark.parametrize("bad", [0, -4, 2.5, True])
def test_bad_capacity(bad):
    with pytest.raises(ValueError, match="capacity"):
        packing.bfd([1, 2], bad)


def test_bad_lengths():
    with pytest.raises(XlrmError, match="negative"):
        packing.bfd([3, -1], 8)
    with pytest.raises(XlrmError, match="length 0"):
        packing.bfd([3, 0], 8)
    with pytest.raises(ValueError, match="one-dimensional"):
        packing.bfd([[1, 2]], 8)


def test_errors_are_value_errors():
    assert issubclass(XlrmError, ValueError)


def _pairs(n, seed=0, max_len=40):
    rng = np.random.default_rng(seed)
    chosen = [rng.integers(5, 1000, rng.integers(1, max_len)).tolist() for _ in range(n)]
    rejected = [rng.integers(5, 1000, rng.integers(1, max_len)).tolist() for _ in range(n)]
    return chosen, rejected


@pytest.mark.parametrize("dtype", [pa.int32(), pa.int64()])
def test_pack_pairs_keeps_pairs_together(dtype):
    chosen, rejected = _pairs(300)
    c = pa.array(chosen, type=pa.list_(dtype))
    r = pa.array(rejected, type=pa.large_list(dtype))
    rows = packing.pack_pairs(c, r, 128)
    assert rows.stats.items == 300 and rows.stats.dropped == 0
    assert rows.stats.tokens == sum(map(len, chosen)) + sum(map(len, rejected))
    seen = set()
    for b in range(len(rows)):
        row = rows.row(b)
        assert len(row["input_ids"]) <= 128
        assert row["cu_seqlens"][0] == 0 and row["cu_seqlens"][-1] == len(row["input_ids"])
        seq = row["seq_index"]
        assert (seq[0::2] % 2 == 0).all() and (seq[1::2] == seq[0::2] + 1).all()  # chosen, then its rejected
        for k, s in enumerate(seq):
            want = (chosen if s % 2 == 0 else rejected)[s // 2]
            a, z = row["cu_seqlens"][k], row["cu_seqlens"][k + 1]
            assert row["input_ids"][a:z].tolist() == want
            assert row["position_ids"][a:z].tolist() == list(range(len(want)))
            assert row["last_index"][k] == z - 1
            seen.add(int(s))
    assert seen == set(range(600))


def test_pack_pair_table_columns_and_margin():
    chosen, rejected = _pairs(50, seed=1)
    t = pa.table({"chosen_ids": chosen, "rejected_ids": rejected, "margin": np.linspace(0, 1, 50)})
    out, stats = packing.pack_pair_table(t, 100)
    assert set(out.column_names) == {
        "input_ids",
        "position_ids",
        "seq_lengths",
        "cu_seqlens",
        "last_index",
        "pair_index",
        "margin",
    }
    assert stats.bins == out.num_rows
    pairs = [p for row in out["pair_index"].to_pylist() for p in row]
    assert sorted(pairs) == list(range(50))
    for row in out.to_pylist():
        assert np.allclose(row["margin"], np.linspace(0, 1, 50)[row["pair_index"]])
        assert len(row["seq_lengths"]) == 2 * len(row["pair_index"])
    with pytest.raises(ValueError, match="no 'chosen_ids' column"):
        packing.pack_pair_table(pa.table({"x": [1]}), 10)


def test_pairs_oversize_and_empty():
    with pytest.raises(XlrmError, match=r"pair 0 has 5 tokens \(chosen \+ rejected\)"):
        packing.pack_pairs([[1, 2, 3]], [[4, 5]], 4)
    rows = packing.pack_pairs([[1, 2, 3], [1]], [[4, 5], [2]], 4, oversize="drop")
    assert rows.stats.dropped == 1 and rows.bin_of.tolist() == [-1, 0]
    with pytest.raises(XlrmError, match="empty data set"):
        packing.pack_pairs([], [], 16)
    with pytest.raises(XlrmError, match="empty side"):
        packing.pack_pairs([[1]], [[]], 16)
    with pytest.raises(ValueError, match="null"):
        packing.pack_pairs(pa.array([[1], None]), pa.array([[1], [2]]), 16)


def test_rank_balance_and_seed():
    chosen, rejected = _pairs(2000, seed=2, max_len=300)
    a = packing.pack_pairs(chosen, rejected, 1024, ranks=4, per_rank=2, seed=7)
    b = packing.pack_pairs(chosen, rejected, 1024, ranks=4, per_rank=2, seed=7)
    c = packing.pack_pairs(chosen, rejected, 1024, ranks=4, per_rank=2, seed=8)
    assert np.array_equal(a.input_ids, b.input_ids) and np.array_equal(a.seq_index, b.seq_index)
    assert not np.array_equal(a.seq_index, c.seq_index)
    bal = a.stats.balance
    assert bal["ranks"] == 4 and bal["total_ratio"] < 1.05 and bal["worst_step_ratio"] >= 1.0
    assert sum(bal["rank_tokens"]) == a.stats.tokens
    # same bins as the unbalanced packing, only reordered
    plain = packing.pack_pairs(chosen, rejected, 1024)
    assert sorted(plain.loads) == sorted(a.loads) and np.array_equal(plain.bin_of, a.bin_of)


def test_balance_direct():
    b = packing.balance([100, 90, 60, 50], ranks=2, per_rank=2)
    assert b["order"].tolist() == [0, 3, 1, 2] and b["total_ratio"] == 1.0
    with pytest.raises(XlrmError, match="ranks"):
        packing.balance([1], ranks=0)


def test_pack_sequences_efficiency_on_long_tail():
    rng = np.random.default_rng(0)
    lengths = np.minimum(rng.lognormal(5.0, 1.0, 20000).astype(np.int64) + 1, 2048)
    bins, loads_, dropped = packing.bfd_with_loads(lengths, 2048)
    assert dropped == 0
    assert loads_.sum() / (len(loads_) * 2048) > 0.99


def test_packing_and_tokenize_import_no_torch():
    import subprocess
    import sys

    code = (
        "import sys, xlrm.packing, xlrm.train.tokenize, xlrm.train.collators;"
        "heavy = [m for m in ('torch', 'transformers', 'trl') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
