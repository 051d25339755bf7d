"""Streaming hidden-state statistics (Rust): spectra, collapse metrics, CKA, norm distributions.

Every accumulator takes chunks of rows (``n × d``) one at a time, so a model's hidden states
never have to sit in memory as one ``N × d`` matrix::

    acc = GramAccumulator(dim=1024)          # centred spectrum, fast (f32-product) mode
    for chunk in chunks:                     # numpy f32/f16/f64, uint16 bf16 bits, torch CPU tensors
        acc.update(chunk)
    res = acc.finalize()
    res.singular_values, res.top1_share, res.effective_rank, res.n

While a group has at most as many rows as its width (``n ≤ d``: a few hundred probe rows of a
model with ``d`` in the thousands) the rows themselves are kept, and the spectrum comes from
their ``n × n`` Gram (same nonzero eigenvalues as the ``d × d`` one, at a fraction of the cost;
f64 products); past ``d`` rows they are folded into a streaming ``d × d`` f64 Gram, so memory
never exceeds that whatever ``n`` is. ``small_n=False`` uses the streaming Gram from the first
row (the path before there was a small-n one; kept for comparisons). Accumulators are
mergeable (``a.merge(b)`` is the accumulator of both row sets, e.g. across data-parallel shards,
small and large alike) and deterministic for any thread count. Bad input raises
:class:`xlrm._core.XlrmError` (a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from xlrm import _core
from xlrm._core import XlrmError

__all__ = [
    "GramAccumulator",
    "CrossAccumulator",
    "NormAccumulator",
    "Spectrum",
    "Similarity",
    "NormSummary",
    "as_rows",
    "row_norms",
    "wasserstein1",
    "weighted_quantiles",
    "XlrmError",
]

_KINDS = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


def as_rows(x) -> tuple[np.ndarray, str]:
    """A 2-D chunk as ``(C-contiguous array, kind)`` for the Rust core, without copying when possible.

    Accepts numpy float32/float64/float16, numpy uint16/int16 holding bfloat16 bits, an
    ``ml_dtypes`` bfloat16 array, and torch tensors (any device; moved to CPU, bf16 viewed as bits).
    """
    kind = None
    mod = type(x).__module__
    if mod.startswith("torch"):
        import torch  # only reached when a tensor is passed

        t = x.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        if t.dtype == torch.bfloat16:
            x, kind = t.contiguous().view(torch.int16).numpy().view(np.uint16), "bf16"
        elif t.dtype == torch.float16:
            x, kind = t.contiguous().view(torch.int16).numpy().view(np.uint16), "f16"
        elif t.dtype in (torch.float32, torch.float64):
            x = t.numpy()
        else:
            raise XlrmError(f"unsupported tensor dtype {t.dtype}; pass float32, float16, bfloat16 or float64")
    x = np.asarray(x)
    if x.ndim != 2:
        hint = (
            " (use x.reshape(1, -1) for one row)"
            if x.ndim == 1
            else " (pool or reshape to (rows, dim) first)"
        )
        raise XlrmError(f"chunk must be 2-D (rows, dim), got shape {x.shape}{hint}")
    if kind is None:
        dt = x.dtype
        if dt in _KINDS:
            kind = _KINDS[dt]
        elif dt == np.float16:
            x, kind = np.ascontiguousarray(x).view(np.uint16), "f16"
        elif dt.name == "bfloat16" or dt in (np.dtype(np.uint16), np.dtype(np.int16)):
            x, kind = np.ascontiguousarray(x).view(np.uint16), "bf16"
        else:
            raise XlrmError(
                f"unsupported chunk dtype {dt}; pass float32, float64, float16, or bfloat16 "
                "(as ml_dtypes.bfloat16, a uint16 view of the bits, or a torch tensor)"
            )
    return np.ascontiguousarray(x), kind


@dataclass
class Spectrum:
    """Spectrum of the (centred) row matrix and its collapse metrics.

    ``singular_values`` are descending (``min(n, d)`` of them); ``top_k_shares[k]`` is
    ``Σ_{i≤k} σᵢ² / Σ σᵢ²``; ``effective_rank`` is ``exp(H(σ / Σσ))`` (Roy & Vetterli);
    ``stable_rank`` is ``Σ σᵢ² / σ₁²``.
    """

    n: int
    dim: int
    centered: bool
    skipped: int
    singular_values: np.ndarray
    eigenvalues: np.ndarray
    cumulative: np.ndarray
    total: float
    top1_share: float
    effective_rank: float
    stable_rank: float
    top_k_shares: dict[int, float] = field(default_factory=dict)

    @property
    def explained(self) -> np.ndarray:
        """``σᵢ² / Σ σ²`` (the normalised spectrum)."""
        return self.singular_values**2 / self.total

    def summary(self) -> dict:
        """Scalars only (JSON-ready)."""
        out = {
            "n": self.n,
            "dim": self.dim,
            "centered": self.centered,
            "skipped": self.skipped,
            "top1_share": self.top1_share,
            "effective_rank": self.effective_rank,
            "stable_rank": self.stable_rank,
            "sigma1": float(self.singular_values[0]),
            "total": self.total,
        }
        out.update({f"top{k}_share": v for k, v in self.top_k_shares.items()})
        return out


def _spectrum(d: dict, top_k: Iterable[int]) -> Spectrum:
    cum = d["cumulative"]
    shares = {int(k): float(cum[min(k, len(cum)) - 1]) if k > 0 else 0.0 for k in top_k}
    return Spectrum(top_k_shares=shares, **d)


class GramAccumulator:
    """Streaming count, mean and Gram/covariance of rows; spectrum on :meth:`finalize`.

    ``center``: default for :meth:`finalize` (spectrum of the mean-centred matrix).
    ``exact``: f64 products (slower); default f32 products per block of rows summed in f64 (the
    small-n path multiplies in f64 either way; ``exact`` then keeps f64 rows instead of f32).
    ``nonfinite``: ``"skip"`` (count and leave out rows with NaN/Inf) or ``"error"``.
    ``small_n``: keep up to ``dim`` rows and take the spectrum from their ``n × n`` Gram
    (default); ``False``: the streaming ``d × d`` Gram from the first row.
    """

    def __init__(
        self,
        dim: int,
        center: bool = True,
        *,
        exact: bool = False,
        nonfinite: str = "skip",
        block_rows: int | None = None,
        small_n: bool = True,
    ):
        self._acc = _core.stats.GramAccumulator(
            int(dim),
            center=center,
            exact=exact,
            nonfinite=nonfinite,
            block_rows=int(block_rows or 0),
            small_n=bool(small_n),
        )

    def update(self, chunk) -> GramAccumulator:
        arr, kind = as_rows(chunk)
        self._acc.update(arr, kind)
        return self

    def merge(self, other: GramAccumulator) -> GramAccumulator:
        """Fold ``other``'s rows in (``other`` is unchanged)."""
        if not isinstance(other, GramAccumulator):
            raise XlrmError(f"can only merge a GramAccumulator, got {type(other).__name__}")
        self._acc.merge(other._acc.copy() if other is self else other._acc)
        return self

    def copy(self) -> GramAccumulator:
        new = object.__new__(GramAccumulator)
        new._acc = self._acc.copy()
        return new

    def finalize(self, center: bool | None = None, top_k: Sequence[int] = (1, 5, 10)) -> Spectrum:
        return _spectrum(self._acc.finalize(center), top_k)

    def covariance(self, center: bool = True, ddof: int = 1) -> np.ndarray:
        """``d × d`` covariance (``center``) or second-moment matrix, divided by ``n - ddof``."""
        m = self._acc.scatter(center)
        return m / max(self.n - (ddof if center else 0), 1)

    def scatter(self, center: bool = True) -> np.ndarray:
        """``Σ (x − μ)(x − μ)ᵀ`` (or ``Σ x xᵀ`` uncentred), ``d × d`` f64."""
        return self._acc.scatter(center)

    def mean(self) -> np.ndarray:
        return self._acc.mean()

    n = property(lambda self: self._acc.n, doc="rows accepted")
    dim = property(lambda self: self._acc.dim)
    skipped = property(lambda self: self._acc.skipped, doc="rows left out for NaN/Inf")
    exact = property(lambda self: self._acc.exact)
    small_n = property(lambda self: self._acc.small_n)
    keeps_rows = property(
        lambda self: self._acc.keeps_rows,
        doc="True while the rows are kept (n ≤ dim, small_n on); False once the d × d Gram holds them",
    )

    def __repr__(self) -> str:
        return (
            f"GramAccumulator(dim={self.dim}, n={self.n}, skipped={self.skipped}, exact={self.exact}, "
            f"keeps_rows={self.keeps_rows})"
        )


@dataclass
class Similarity:
    n: int
    skipped: int
    cka: float
    mean_cosine: float | None
    zero_norm: int


class CrossAccumulator:
    """Two models' states of the same inputs, row for row: linear CKA and mean cosine similarity.

    Also keeps each side's Gram, so :meth:`spectra` gives both spectra without a second pass.
    With at most ``max(dim_x, dim_y)`` rows (``small_n``, the default) both sides keep their
    rows and CKA comes from the two centred ``n × n`` Grams, ``⟨Kx, Ky⟩ / (‖Kx‖ ‖Ky‖)``; past
    that, streaming ``d × d`` Grams and the ``dim_x × dim_y`` cross-Gram.
    """

    def __init__(
        self,
        dim_x: int,
        dim_y: int | None = None,
        *,
        exact: bool = False,
        nonfinite: str = "skip",
        block_rows: int | None = None,
        small_n: bool = True,
    ):
        dim_y = dim_x if dim_y is None else dim_y
        self._acc = _core.stats.CrossAccumulator(
            int(dim_x),
            int(dim_y),
            exact=exact,
            nonfinite=nonfinite,
            block_rows=int(block_rows or 0),
            small_n=bool(small_n),
        )

    def update(self, x, y) -> CrossAccumulator:
        ax, kx = as_rows(x)
        ay, ky = as_rows(y)
        self._acc.update(ax, kx, ay, ky)
        return self

    def merge(self, other: CrossAccumulator) -> CrossAccumulator:
        if not isinstance(other, CrossAccumulator):
            raise XlrmError(f"can only merge a CrossAccumulator, got {type(other).__name__}")
        self._acc.merge(other._acc.copy() if other is self else other._acc)
        return self

    def copy(self) -> CrossAccumulator:
        new = object.__new__(CrossAccumulator)
        new._acc = self._acc.copy()
        return new

    def finalize(self) -> Similarity:
        return Similarity(**self._acc.finalize())

    def spectra(
        self, center: bool | None = None, top_k: Sequence[int] = (1, 5, 10)
    ) -> tuple[Spectrum, Spectrum]:
        a, b = self._acc.spectra(center)
        return _spectrum(a, top_k), _spectrum(b, top_k)

    def spectrum(
        self, side: str = "y", center: bool | None = None, top_k: Sequence[int] = (1, 5, 10)
    ) -> Spectrum:
        """One side's spectrum (``"x"`` or ``"y"``): half the work of :meth:`spectra` when the
        other side's is known already (a base model's, say)."""
        return _spectrum(self._acc.spectrum(side, center), top_k)

    n = property(lambda self: self._acc.n)
    skipped = property(lambda self: self._acc.skipped)
    keeps_rows = property(lambda self: self._acc.keeps_rows, doc="True while both sides keep their rows")


@dataclass
class NormSummary:
    """One group's distribution: weighted count, moments, quantiles and histogram on shared edges."""

    group: str
    count: int
    weight: float
    skipped: int
    mean: float
    std: float
    min: float
    max: float
    quantiles: dict[float, float]
    hist: np.ndarray

    def summary(self) -> dict:
        out = {
            k: getattr(self, k) for k in ("group", "count", "weight", "skipped", "mean", "std", "min", "max")
        }
        out.update({f"q{q:g}": v for q, v in self.quantiles.items()})
        return out


class NormAccumulator:
    """Row-norm distributions per named group (e.g. language), streaming, optionally weighted.

    ``update(chunk, group)`` adds the L2 norm of each row to ``group`` (one name for the chunk,
    or one per row). ``add_values`` adds precomputed values (token-embedding norms with token
    frequencies as weights). Memory is 16 bytes per row, so quantiles and distances are exact.
    """

    def __init__(self, *, nonfinite: str = "skip"):
        self._acc = _core.stats.NormAccumulator(nonfinite=nonfinite)
        self._names: list[str] = []
        self._ids: dict[str, int] = {}

    @property
    def groups(self) -> list[str]:
        return list(self._names)

    def _group_ids(self, group, n: int) -> np.ndarray:
        if isinstance(group, str):
            group = [group] * n
        names = list(group)
        if len(names) != n:
            raise XlrmError(f"got {len(names)} group labels for {n} rows")
        for g in names:
            if g not in self._ids:
                self._ids[g] = len(self._names)
                self._names.append(g)
        return np.fromiter((self._ids[g] for g in names), dtype=np.uint32, count=n)

    @staticmethod
    def _weights(weights, n: int) -> np.ndarray | None:
        if weights is None:
            return None
        w = np.ascontiguousarray(weights, dtype=np.float64).reshape(-1)
        if len(w) != n:
            raise XlrmError(f"got {len(w)} weights for {n} rows")
        return w

    def update(self, chunk, group, weights=None) -> NormAccumulator:
        arr, kind = as_rows(chunk)
        ids = self._group_ids(group, arr.shape[0])
        self._acc.update(arr, kind, ids, self._weights(weights, arr.shape[0]))
        return self

    def add_values(self, values, group, weights=None) -> NormAccumulator:
        v = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
        ids = self._group_ids(group, len(v))
        self._acc.add_values(v, ids, self._weights(weights, len(v)))
        return self

    def merge(self, other: NormAccumulator) -> NormAccumulator:
        """Fold ``other`` in, matching groups by name."""
        for i, name in enumerate(other._names):
            vals, w = other._acc.group_values(i)
            if len(vals):
                self.add_values(vals, name, w)
        return self

    def values(self, group: str) -> tuple[np.ndarray, np.ndarray]:
        """``(values, weights)`` of one group."""
        return self._acc.group_values(self._index(group))

    def _index(self, group: str) -> int:
        if group not in self._ids:
            raise XlrmError(f"unknown group {group!r}; known: {', '.join(self._names) or 'none'}")
        return self._ids[group]

    def distance(self, a: str, b: str) -> float:
        """Wasserstein-1 distance between the distributions of groups ``a`` and ``b``."""
        return self._acc.distance(self._index(a), self._index(b))

    def distances(self) -> dict[tuple[str, str], float]:
        """W1 for every pair of non-empty groups."""
        names = [g for i, g in enumerate(self._names) if len(self._acc.group_values(i)[0])]
        return {(a, b): self.distance(a, b) for i, a in enumerate(names) for b in names[i + 1 :]}

    def finalize(
        self,
        quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
        bins: int = 50,
        range: tuple[float, float] | None = None,
    ) -> tuple[np.ndarray, dict[str, NormSummary]]:
        """``(edges, {group: NormSummary})`` with histograms on shared edges."""
        qs = [float(q) for q in quantiles]
        rep = self._acc.finalize(qs, int(bins), range)
        out = {}
        for name, g in zip(self._names, rep["groups"], strict=False):
            if g is None:
                continue
            qv = g.pop("quantiles")
            out[name] = NormSummary(group=name, quantiles=dict(zip(qs, map(float, qv), strict=True)), **g)
        return rep["edges"], out


def row_norms(chunk) -> np.ndarray:
    """L2 norm of each row (f64), any supported dtype."""
    arr, kind = as_rows(chunk)
    return _core.stats.row_norms(arr, kind)


def wasserstein1(a, b, a_weights=None, b_weights=None) -> float:
    """Wasserstein-1 distance between two weighted 1-D samples (weights normalised per side)."""

    def f(v):
        return None if v is None else np.ascontiguousarray(v, dtype=np.float64).reshape(-1)

    return _core.stats.wasserstein1(f(a), f(b), f(a_weights), f(b_weights))


def weighted_quantiles(values, q, weights=None) -> np.ndarray:
    """Quantiles with numpy's ``linear`` rule on the frequency-weighted sample.

    ``values`` must be finite: where ``numpy.quantile`` answers NaN for a sample holding NaN
    (which then travels silently into reports), this raises :class:`XlrmError` naming the
    first NaN or ±Inf. Drop them first (``values[numpy.isfinite(values)]``) to get the
    quantiles of the rest, as ``numpy.nanquantile`` does for NaN.
    """
    v = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    w = None if weights is None else np.ascontiguousarray(weights, dtype=np.float64).reshape(-1)
    return _core.stats.weighted_quantiles(v, [float(x) for x in np.atleast_1d(q)], w)
