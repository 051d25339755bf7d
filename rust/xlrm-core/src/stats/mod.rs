//! Streaming statistics of hidden-state matrices.
//!
//! Rows arrive in chunks (`n × d`, row-major, f32/f64/f16/bf16). While a group
//! has at most as many rows as its width they are kept as they are, and spectra
//! and CKA come from the `n × n` Grams (`rows`: no `d × d` eigendecomposition for
//! a few hundred probe rows); past that they are folded into fixed-size state
//! (`d × d` in f64), so memory is bounded by the `d × d` state whatever the
//! number of rows. Everything here is deterministic for any rayon thread count: work is
//! split by output tiles whose shape depends only on `d`, and every sum runs in
//! a fixed order.
//!
//! - [`GramAccumulator`]: count, mean and the Gram/scatter matrix; spectra of
//!   the centred or uncentred matrix through a symmetric eigendecomposition
//!   ([`Spectrum`]: singular values, top-k shares, effective and stable rank).
//! - [`CrossAccumulator`]: two models' representations of the same rows:
//!   streaming linear CKA and mean cosine similarity of paired rows.
//! - [`NormAccumulator`]: row-norm distributions per group (language), with
//!   weighted quantiles, histograms and Wasserstein-1 distances.

mod chunk;
mod cross;
mod gram;
mod kernel;
mod norms;
mod rows;
mod spectrum;
mod symeig;
#[cfg(test)]
mod tests;

pub use chunk::{Chunk, Rows};
pub use cross::{CrossAccumulator, CrossReport};
pub use gram::{GramAccumulator, GramOptions, NonFinite, Precision, MAX_DIM};
pub use norms::{
    wasserstein1, weighted_quantiles, GroupSummary, NormAccumulator, NormReport, MAX_BINS,
    MAX_GROUPS, MAX_HIST_CELLS,
};
pub use spectrum::Spectrum;

use crate::error::Error;

/// A zeroed `len`-element buffer, or an error (not an abort) when memory runs out; `name` is
/// the argument that sized it.
pub(crate) fn zeros(len: usize, name: &'static str, what: &str) -> crate::error::Result<Vec<f64>> {
    crate::limits::filled(len, 0.0, name, what, &format!("use a smaller {name}"))
}

pub(crate) fn arg_err(name: &'static str, message: impl Into<String>) -> Error {
    Error::Argument {
        name,
        message: message.into(),
    }
}
