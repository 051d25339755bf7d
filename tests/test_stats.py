"""Exactness and bad-input tests for xlrm.stats (the Rust streaming statistics)."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from xlrm import stats
from xlrm._core import XlrmError


def known_spectrum(n: int, s: np.ndarray, seed: int = 0, offset: float = 0.0) -> np.ndarray:
    """U · diag(s) · Vᵀ with random orthonormal U (n × d) and V (d × d)."""
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((n, len(s))))
    v, _ = np.linalg.qr(rng.standard_normal((len(s), len(s))))
    return (u * s) @ v.T + offset


def numpy_sv(x: np.ndarray, center: bool) -> np.ndarray:
    x = x.astype(np.float64)
    if center:
        x = x - x.mean(axis=0)
    return np.linalg.svd(x, compute_uv=False)


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("exact", [False, True])
def test_singular_values_match_numpy(center, exact):
    s = np.geomspace(30.0, 0.01, 96)
    x = known_spectrum(700, s, seed=1, offset=0.5).astype(np.float32)
    acc = stats.GramAccumulator(96, center=center, exact=exact, block_rows=128)
    for part in np.array_split(x, 5):
        acc.update(part)
    res = acc.finalize()
    want = numpy_sv(x, center)
    assert res.n == 700 and res.singular_values.shape == want.shape
    assert np.all(np.diff(res.singular_values) <= 0)
    s1 = want[0]
    np.testing.assert_allclose(res.singular_values**2, want**2, rtol=0, atol=1e-6 * s1**2)
    if exact:
        np.testing.assert_allclose(res.singular_values, want, rtol=0, atol=1e-6 * s1)
    total = (want**2).sum()
    assert res.top1_share == pytest.approx(want[0] ** 2 / total, rel=1e-6)
    assert res.top_k_shares[5] == pytest.approx((want[:5] ** 2).sum() / total, rel=1e-6)
    assert res.stable_rank == pytest.approx(total / want[0] ** 2, rel=1e-6)
    p = want / want.sum()
    assert res.effective_rank == pytest.approx(np.exp(-(p * np.log(p)).sum()), rel=1e-5)


def _assert_sigma2(got: np.ndarray, want: np.ndarray) -> None:
    """Squared singular values within 1e-6·σ₁² (numpy's SVD of the f64 matrix as reference)."""
    assert got.shape == want.shape
    np.testing.assert_allclose(got**2, want**2, rtol=0, atol=1e-6 * want[0] ** 2)


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("n", [2, 9, 60, 95, 96, 97, 250])
def test_small_n_path_matches_numpy_svd(n, center, exact):
    # Hidden-state-like rows (decaying scales, a large common offset) of width 96: n ≤ 96 keeps
    # the rows and takes the spectrum from the n × n Gram; n = 96 is the switch point itself.
    rng = np.random.default_rng(n)
    x = (rng.standard_normal((n, 96)) * np.geomspace(4.0, 0.02, 96) + 25.0).astype(np.float32)
    acc = stats.GramAccumulator(96, center=center, exact=exact)
    for part in np.array_split(x, 3):
        acc.update(part)
    assert acc.keeps_rows == (n <= 96) and acc.small_n
    res = acc.finalize()
    _assert_sigma2(res.singular_values, numpy_sv(x, center))
    assert res.eigenvalues.shape == (96,) and res.n == n
    want = numpy_sv(x, center)
    total = (want**2).sum()
    assert res.top1_share == pytest.approx(want[0] ** 2 / total, rel=1e-6)
    dense = stats.GramAccumulator(96, center=center, exact=exact, small_n=False)
    dense.update(x)
    assert not dense.keeps_rows
    np.testing.assert_allclose(acc.scatter(center), dense.scatter(center), rtol=0, atol=1e-5 * total)
    np.testing.assert_allclose(acc.mean(), x.astype(np.float64).mean(0), atol=1e-9)
    # exp(H(σ/Σσ)) weighs σ, not σ², so it needs the smallest values right too: the n × n Gram
    # in f64 gets them (centring leaves one exact zero), where f32 products leave noise.
    p = want[want > 1e-9 * want[0]] / want.sum()
    assert res.effective_rank == pytest.approx(np.exp(-(p * np.log(p)).sum()), rel=1e-6 if n <= 96 else 1e-3)


def test_switch_point_row_by_row():
    rng = np.random.default_rng(20)
    d = 32
    x = rng.standard_normal((d + 2, d)).astype(np.float32) + 3.0
    acc = stats.GramAccumulator(d)
    for i in range(d + 2):
        acc.update(x[i : i + 1])
        assert acc.keeps_rows == (i + 1 <= d), i
        if i >= 1:
            _assert_sigma2(acc.finalize().singular_values, numpy_sv(x[: i + 1], True))
            _assert_sigma2(acc.finalize(center=False).singular_values, numpy_sv(x[: i + 1], False))


def test_merged_shards_of_small_and_large_groups():
    rng = np.random.default_rng(21)
    d = 48
    sizes = [7, 30, 100, 2, 40, 1]  # small, small, large, small, small (30 + 40 > d), one row
    x = rng.standard_normal((sum(sizes), d)).astype(np.float32) * np.linspace(0.2, 2, d).astype(np.float32)
    x[:37] += 5.0  # shards with different means
    bounds = np.cumsum([0, *sizes])
    for exact in (False, True):
        shards = [stats.GramAccumulator(d, exact=exact).update(x[a:b]) for a, b in pairwise(bounds)]
        assert [s.keeps_rows for s in shards] == [k <= d for k in sizes]
        for order in ([0, 1, 2, 3, 4, 5], [5, 3, 0, 1, 4, 2], [2, 4, 0, 5, 3, 1]):
            merged = stats.GramAccumulator(d, exact=exact)
            for i in order:
                merged.merge(shards[i])
            assert merged.n == len(x) and not merged.keeps_rows
            rows = np.concatenate([x[bounds[i] : bounds[i + 1]] for i in order])
            for center in (True, False):
                _assert_sigma2(merged.finalize(center=center).singular_values, numpy_sv(rows, center))
        # Two small groups that fit stay small; a third pushes them past d.
        two = shards[0].copy().merge(shards[1])
        assert two.keeps_rows and two.n == 37
        _assert_sigma2(two.finalize().singular_values, numpy_sv(x[:37], True))
        three = two.copy().merge(shards[4])
        assert not three.keeps_rows and three.n == 77
        _assert_sigma2(three.finalize().singular_values, numpy_sv(np.concatenate([x[:37], x[139:179]]), True))
        # A group merged with itself: every row twice.
        twice = shards[1].copy().merge(shards[1])
        assert not twice.keeps_rows and twice.n == 60  # 2 × 30 rows > 48
        scale = np.abs(shards[1].scatter()).max()
        np.testing.assert_allclose(twice.scatter(), 2 * shards[1].scatter(), rtol=0, atol=1e-6 * scale)
        twice = shards[0].copy().merge(shards[0])
        assert twice.keeps_rows and twice.n == 14
        np.testing.assert_allclose(twice.scatter(), 2 * shards[0].scatter(), rtol=1e-12, atol=1e-9)


def test_cross_small_n_cka_matches_closed_form():
    rng = np.random.default_rng(22)
    x = rng.standard_normal((70, 64)).astype(np.float32) + 2.0
    y = np.tanh(x @ rng.standard_normal((64, 90)) / 8).astype(np.float32)
    xc, yc = (x - x.mean(0)).astype(np.float64), (y - y.mean(0)).astype(np.float64)
    want = np.linalg.norm(xc.T @ yc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc))
    for exact in (False, True):
        small = stats.CrossAccumulator(64, 90, exact=exact)
        for a, b in zip(np.array_split(x, 4), np.array_split(y, 4), strict=True):
            small.update(a, b)
        assert small.keeps_rows  # 70 ≤ max(64, 90)
        dense = stats.CrossAccumulator(64, 90, exact=exact, small_n=False).update(x, y)
        assert not dense.keeps_rows
        for acc in (small, dense):
            assert acc.finalize().cka == pytest.approx(want, rel=1e-6)
        # x: 70 rows of width 64 (its spectrum from the 64 × 64 Gram); y: from the 70 × 70 one.
        sx, sy = small.spectra()
        _assert_sigma2(sx.singular_values, numpy_sv(x, True))
        _assert_sigma2(sy.singular_values, numpy_sv(y, True))
    # Mixed merges: small shards, a large one, small ones that together pass the width.
    big_x = rng.standard_normal((300, 40)).astype(np.float32)
    big_y = (big_x @ rng.standard_normal((40, 40)) + 0.5 * rng.standard_normal((300, 40))).astype(np.float32)
    cuts = [0, 10, 35, 150, 152, 190, 300]
    shards = [stats.CrossAccumulator(40).update(big_x[a:b], big_y[a:b]) for a, b in pairwise(cuts)]
    assert [s.keeps_rows for s in shards] == [True, True, False, True, True, False]
    merged = stats.CrossAccumulator(40)
    for i in (3, 0, 4, 1, 5, 2):
        merged.merge(shards[i])
    whole = stats.CrossAccumulator(40, exact=True).update(big_x, big_y).finalize()
    got = merged.finalize()
    assert got.n == 300 and got.cka == pytest.approx(whole.cka, rel=1e-6)
    assert got.mean_cosine == pytest.approx(whole.mean_cosine, rel=1e-9)
    pair = shards[0].copy().merge(shards[3])
    assert pair.keeps_rows and pair.n == 12


def test_fast_mode_on_a_wide_matrix_with_a_large_offset():
    # d past the 256-column tile width, hidden-state-like common offset.
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((600, 300)) * np.linspace(0.1, 3, 300) + 40.0).astype(np.float32)
    res = stats.GramAccumulator(300).update(x).finalize()
    want = numpy_sv(x, True)
    np.testing.assert_allclose(res.singular_values**2, want**2, rtol=0, atol=1e-6 * want[0] ** 2)
    raw = stats.GramAccumulator(300).update(x).finalize(center=False)
    want_raw = numpy_sv(x, False)
    np.testing.assert_allclose(raw.singular_values**2, want_raw**2, rtol=0, atol=1e-6 * want_raw[0] ** 2)


def test_merge_equals_one_accumulator():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((900, 40)).astype(np.float32)
    x[:300] += 2.0  # shards with different means
    whole = stats.GramAccumulator(40, exact=True).update(x)
    shards = [stats.GramAccumulator(40, exact=True).update(p) for p in np.array_split(x, [300, 310, 700])]
    merged = stats.GramAccumulator(40, exact=True)
    for sh in shards:
        merged.merge(sh)
    assert merged.n == whole.n == 900
    np.testing.assert_allclose(merged.scatter(), whole.scatter(), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(merged.mean(), x.astype(np.float64).mean(0), atol=1e-12)
    np.testing.assert_allclose(
        merged.finalize().singular_values, whole.finalize().singular_values, rtol=1e-10
    )
    # Merging with itself doubles every row.
    twice = whole.copy().merge(whole)
    assert twice.n == 1800
    np.testing.assert_allclose(twice.scatter(), 2 * whole.scatter(), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(whole.covariance(), np.cov(x.astype(np.float64), rowvar=False), atol=1e-10)


def test_half_precision_inputs():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((128, 24)).astype(np.float32)
    f16 = x.astype(np.float16)
    bf16_bits = (x.view(np.uint32) >> 16).astype(np.uint16)  # truncation to bf16
    bf16_as_f32 = (bf16_bits.astype(np.uint32) << 16).view(np.float32)
    for chunk, widened in [(f16, f16.astype(np.float64)), (bf16_bits, bf16_as_f32.astype(np.float64))]:
        got = stats.GramAccumulator(24, exact=True).update(chunk).finalize()
        want = numpy_sv(widened, True)
        np.testing.assert_allclose(got.singular_values, want, rtol=0, atol=1e-9 * want[0])
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(x).to(torch.bfloat16)
    got = stats.GramAccumulator(24, exact=True).update(t).finalize()
    want = numpy_sv(t.float().numpy(), True)
    np.testing.assert_allclose(got.singular_values, want, rtol=0, atol=1e-9 * want[0])
    got16 = stats.GramAccumulator(24, exact=True).update(torch.from_numpy(f16)).finalize()
    np.testing.assert_allclose(got16.singular_values, numpy_sv(f16, True), rtol=0, atol=1e-9 * want[0])
    np.testing.assert_allclose(
        stats.row_norms(t), np.linalg.norm(t.float().numpy().astype(np.float64), axis=1)
    )


def test_non_contiguous_and_float64_inputs():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((50, 30))
    a = stats.GramAccumulator(10, exact=True).update(x[:, ::3]).finalize()
    np.testing.assert_allclose(a.singular_values, numpy_sv(x[:, ::3], True), rtol=1e-10)


def test_bad_input_raises_clear_errors():
    acc = stats.GramAccumulator(8)
    with pytest.raises(XlrmError, match="no rows were accumulated"):
        acc.finalize()
    with pytest.raises(XlrmError, match="has 7 columns but the accumulator was created with dim=8"):
        acc.update(np.zeros((3, 7), np.float32))
    with pytest.raises(XlrmError, match="must be 2-D"):
        acc.update(np.zeros(8, np.float32))
    with pytest.raises(XlrmError, match="unsupported chunk dtype"):
        acc.update(np.zeros((2, 8), np.int64))
    with pytest.raises(XlrmError, match="nonfinite"):
        stats.GramAccumulator(8, nonfinite="maybe")
    with pytest.raises(XlrmError, match="dim"):
        stats.GramAccumulator(0)
    x = np.ones((4, 8), np.float32)
    x[1, 3] = np.nan
    x[2, 0] = np.inf
    x[3] = 2.0
    acc.update(x)
    assert (acc.n, acc.skipped) == (2, 2)
    strict = stats.GramAccumulator(8, nonfinite="error")
    strict.update(np.arange(16, dtype=np.float32).reshape(2, 8))
    before = strict.scatter()
    with pytest.raises(XlrmError, match=r"row 1 of this chunk \(row 3 overall\) holds NaN or Inf"):
        strict.update(x)
    assert strict.n == 2
    np.testing.assert_array_equal(strict.scatter(), before)
    with pytest.raises(XlrmError, match="merge"):
        acc.merge(stats.GramAccumulator(9).update(np.ones((2, 9), np.float32)))
    one = stats.GramAccumulator(8).update(np.ones((1, 8), np.float32))
    with pytest.raises(XlrmError, match="at least 2 rows"):
        one.finalize()
    assert one.finalize(center=False).singular_values[0] == pytest.approx(np.sqrt(8))
    with pytest.raises(XlrmError, match="identical"):
        stats.GramAccumulator(8).update(np.ones((5, 8), np.float32)).finalize()


def test_cka_identities_and_cosine():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((500, 32)).astype(np.float32)
    q, _ = np.linalg.qr(rng.standard_normal((32, 32)))
    for exact in (False, True):
        same = stats.CrossAccumulator(32, exact=exact).update(x, x).finalize()
        assert same.cka == pytest.approx(1.0, abs=1e-6) and same.mean_cosine == pytest.approx(1.0, abs=1e-6)
        rot = stats.CrossAccumulator(32, exact=exact)
        for a, b in zip(np.array_split(x, 3), np.array_split(3.5 * x @ q, 3), strict=True):
            rot.update(a, b.astype(np.float32))
        assert rot.finalize().cka == pytest.approx(1.0, abs=1e-6)
    # Against the closed form on centred matrices, with different widths.
    y = np.tanh(x @ rng.standard_normal((32, 20))).astype(np.float32)
    xc, yc = x - x.mean(0), y - y.mean(0)
    xc, yc = xc.astype(np.float64), yc.astype(np.float64)
    want = np.linalg.norm(xc.T @ yc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc))
    acc = stats.CrossAccumulator(32, 20, exact=True)
    half = stats.CrossAccumulator(32, 20, exact=True)
    acc.update(x[:200], y[:200])
    half.update(x[200:], y[200:])
    sim = acc.merge(half).finalize()
    assert sim.cka == pytest.approx(want, rel=1e-9) and sim.mean_cosine is None
    sx, sy = acc.spectra()
    np.testing.assert_allclose(sx.singular_values, numpy_sv(x, True), rtol=1e-8)
    np.testing.assert_array_equal(acc.spectrum("y").singular_values, sy.singular_values)
    np.testing.assert_array_equal(acc.spectrum("x").singular_values, sx.singular_values)
    with pytest.raises(XlrmError, match="side must be 'x' or 'y'"):
        acc.spectrum("z")
    z = x + 0.1 * rng.standard_normal(x.shape).astype(np.float32)
    cos = (x * z).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(z, axis=1)
    got = stats.CrossAccumulator(32).update(x, z).finalize()
    assert got.mean_cosine == pytest.approx(cos.mean(), rel=1e-6)
    with pytest.raises(XlrmError, match="x has 3 rows but y has 2"):
        stats.CrossAccumulator(32).update(x[:3], x[:2])


def test_norm_distributions():
    rng = np.random.default_rng(7)
    acc = stats.NormAccumulator()
    en = rng.standard_normal((300, 16)).astype(np.float32)
    ko = (2 * rng.standard_normal((200, 16))).astype(np.float32)
    acc.update(en[:100], "en").update(en[100:], "en")
    acc.update(ko, ["ko"] * 200)
    edges, groups = acc.finalize(quantiles=(0.1, 0.5, 0.9), bins=20)
    ne, nk = np.linalg.norm(en.astype(np.float64), axis=1), np.linalg.norm(ko.astype(np.float64), axis=1)
    g = groups["en"]
    assert g.count == 300 and g.mean == pytest.approx(ne.mean()) and g.std == pytest.approx(ne.std())
    for q, v in g.quantiles.items():
        assert v == pytest.approx(np.quantile(ne, q))
    counts, want_edges = np.histogram(np.concatenate([ne, nk]), bins=20)
    np.testing.assert_allclose(edges, want_edges)
    np.testing.assert_allclose(groups["en"].hist + groups["ko"].hist, counts)
    from_scipy_free = stats.wasserstein1(ne, nk)
    assert acc.distance("en", "ko") == pytest.approx(from_scipy_free)
    # W1 of equal-size samples is the mean gap of the sorted values.
    a, b = rng.standard_normal(50), rng.standard_normal(50) + 1
    assert stats.wasserstein1(a, b) == pytest.approx(np.abs(np.sort(a) - np.sort(b)).mean())
    # Weighted quantiles equal numpy's on the repeated sample.
    v, w = rng.random(30), rng.integers(1, 5, 30)
    qs = [0.0, 0.3, 0.5, 0.77, 1.0]
    np.testing.assert_allclose(stats.weighted_quantiles(v, qs, w), np.quantile(np.repeat(v, w), qs))
    assert stats.wasserstein1(v, v, w, w) == 0.0
    assert stats.wasserstein1(np.repeat(v, w), a) == pytest.approx(stats.wasserstein1(v, a, w))
    merged = stats.NormAccumulator().add_values(nk, "ko").merge(acc)
    assert merged.finalize()[1]["ko"].count == 400
    with pytest.raises(XlrmError, match="unknown group"):
        acc.distance("en", "zh")
    with pytest.raises(XlrmError):
        stats.NormAccumulator().finalize()
    x = np.ones((2, 4), np.float32)
    x[0, 0] = np.nan
    acc.update(x, "zz")
    assert acc.finalize()[1]["zz"].skipped == 1
    with pytest.raises(XlrmError, match="NaN"):
        stats.NormAccumulator(nonfinite="error").update(x, "zz")


def test_deterministic_across_thread_counts(tmp_path: Path):
    script = tmp_path / "run.py"
    script.write_text(
        "import numpy as np, sys\n"
        "from xlrm import stats\n"
        # d large enough that the eigensolver's matrix products run in parallel
        "x = np.random.default_rng(8).standard_normal((1500, 600)).astype(np.float32)\n"
        "a = stats.GramAccumulator(600, block_rows=256)\n"
        "[a.update(p) for p in np.array_split(x, 3)]\n"
        "c = stats.CrossAccumulator(600).update(x, x[:, ::-1].copy()).finalize()\n"
        # the small-n path: 400 rows of width 600, the 400 × 400 Gram in parallel tiles
        "s = stats.GramAccumulator(600).update(x[:400])\n"
        "k = stats.CrossAccumulator(600).update(x[:400], x[:400, ::-1].copy()).finalize()\n"
        "assert s.keeps_rows\n"
        "sys.stdout.write(a.finalize().singular_values.tobytes().hex() + a.scatter().tobytes().hex()[:5000]"
        " + repr(c.cka) + s.finalize().singular_values.tobytes().hex() + repr(k.cka))\n"
    )
    outs = set()
    root = Path(__file__).resolve().parents[1] / "python"
    for threads in ("1", "2", "3"):
        env = {**os.environ, "RAYON_NUM_THREADS": threads, "PYTHONPATH": str(root)}
        outs.add(
            subprocess.run(
                [sys.executable, str(script)], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
    assert len(outs) == 1
