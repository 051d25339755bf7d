//! Singular values of the row matrix from the eigenvalues of its `d × d`
//! scatter matrix, and the collapse metrics derived from them.

use super::symeig::symmetric_eigenvalues_in_place;

use super::arg_err;
use crate::error::Result;

/// The spectrum of an `n × d` matrix `X` (centred or not) and its summaries.
///
/// With `σ` the singular values and `λ = σ²` the eigenvalues of `XᵀX`:
/// - `top1_share = σ₁² / Σ σᵢ²` (the share of the largest direction),
/// - `cumulative[k-1] = Σ_{i≤k} σᵢ² / Σ σᵢ²` (top-k shares),
/// - `effective_rank = exp(H(p))`, `p = σ / Σ σ` (Roy & Vetterli, 2007),
/// - `stable_rank = Σ σᵢ² / σ₁²`.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrum {
    pub n: u64,
    pub dim: usize,
    pub centered: bool,
    pub skipped: u64,
    /// Descending, `min(n, d)` values, each ≥ 0.
    pub singular_values: Vec<f64>,
    /// Descending eigenvalues of the scatter matrix (all `d`, clipped at 0).
    pub eigenvalues: Vec<f64>,
    /// `Σ σᵢ²` (the sum of the clipped eigenvalues).
    pub total: f64,
    pub top1_share: f64,
    pub cumulative: Vec<f64>,
    pub effective_rank: f64,
    pub stable_rank: f64,
}

/// Eigenvalues (ascending) of a full symmetric `d × d` matrix, which is consumed
/// (two-stage tridiagonalisation, see `symeig`).
pub fn symmetric_eigenvalues(mut m: Vec<f64>, d: usize) -> Result<Vec<f64>> {
    symmetric_eigenvalues_in_place(&mut m, d).map_err(|i| {
        arg_err(
            "accumulator",
            format!(
                "the eigenvalue iterations did not converge (eigenvalue {i}); check the inputs for huge values"
            ),
        )
    })
}

impl Spectrum {
    /// `m`: the symmetric scatter matrix (column-major `d × d`); only its lower triangle is read.
    pub fn from_scatter(
        m: Vec<f64>,
        d: usize,
        n: u64,
        skipped: u64,
        centered: bool,
    ) -> Result<Self> {
        Self::from_gram(m, d, d, n, skipped, centered)
    }

    /// `m`: a symmetric `k × k` matrix (column-major, lower triangle read) with the nonzero
    /// eigenvalues of the `d × d` scatter matrix: the scatter itself (`k = d`) or the `n × n`
    /// Gram of the rows (`k = n ≤ d`), whose eigenvalues are those of the scatter matrix less
    /// `d − n` zeros (which are put back, so `eigenvalues` always has `d` entries).
    pub(crate) fn from_gram(
        m: Vec<f64>,
        k: usize,
        d: usize,
        n: u64,
        skipped: u64,
        centered: bool,
    ) -> Result<Self> {
        if m.iter().any(|v| !v.is_finite()) {
            return Err(arg_err(
                "accumulator",
                "the Gram matrix overflowed to Inf/NaN; scale the inputs down (values near f64 limits)",
            ));
        }
        let mut ev = symmetric_eigenvalues(m, k)?;
        ev.reverse();
        ev.iter_mut().for_each(|v| *v = v.max(0.0));
        ev.resize(d.max(k), 0.0);
        let k = (n.min(d as u64)) as usize;
        let sv: Vec<f64> = ev[..k].iter().map(|v| v.sqrt()).collect();
        let total: f64 = ev.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return Err(arg_err(
                "accumulator",
                format!(
                    "the {} matrix is zero (all {n} rows are {}); its spectrum has no shares",
                    if centered { "centred" } else { "uncentred" },
                    if centered { "identical" } else { "zero" }
                ),
            ));
        }
        let mut cumulative = Vec::with_capacity(k);
        let mut acc = 0.0;
        for v in &ev[..k] {
            acc += v;
            cumulative.push((acc / total).min(1.0));
        }
        let sv_sum: f64 = sv.iter().sum();
        let entropy: f64 = sv
            .iter()
            .map(|s| s / sv_sum)
            .filter(|p| *p > 0.0)
            .map(|p| -p * p.ln())
            .sum();
        Ok(Spectrum {
            n,
            dim: d,
            centered,
            skipped,
            top1_share: ev[0] / total,
            stable_rank: total / ev[0],
            effective_rank: entropy.exp(),
            singular_values: sv,
            eigenvalues: ev,
            total,
            cumulative,
        })
    }

    /// Share of the top `k` directions (`k` past the rank gives 1).
    pub fn top_k_share(&self, k: usize) -> f64 {
        if k == 0 {
            return 0.0;
        }
        self.cumulative.get(k - 1).copied().unwrap_or(1.0)
    }
}
