//! Streaming Gram / scatter matrix of the rows seen so far.
//!
//! State (all f64): the row count `n`, a shift vector `c` (the mean of the
//! first accepted chunk), `s = Σ (x − c)` and the lower triangle of
//! `G = Σ (x − c)(x − c)ᵀ`. Shifting by a representative point keeps the f32
//! products accurate when hidden states have a large common offset (LLM
//! hidden states often do); the centred scatter is `G − s sᵀ / n` and the
//! uncentred Gram is `G + s cᵀ + c sᵀ + n c cᵀ`, both formed in f64 at the end.

use rayon::prelude::*;

use super::chunk::{with_rows, Elem};
use super::kernel;
use super::spectrum::Spectrum;
use super::{arg_err, Chunk};
use crate::error::Result;

/// Precision of the products `xᵢ xⱼ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// f32 products in blocks of rows, each block's sums added into f64.
    Fast,
    /// f64 products throughout.
    Exact,
}

/// What to do with rows holding NaN or ±Inf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonFinite {
    /// Leave the row out and count it (`skipped`).
    Skip,
    /// Reject the whole chunk (the accumulator is left unchanged).
    Error,
}

impl NonFinite {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "skip" => Ok(NonFinite::Skip),
            "error" | "raise" => Ok(NonFinite::Error),
            other => Err(arg_err(
                "nonfinite",
                format!("expected 'skip' or 'error', got {other:?}"),
            )),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            NonFinite::Skip => "skip",
            NonFinite::Error => "error",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GramOptions {
    /// Default for [`GramAccumulator::finalize`]: spectrum of the centred matrix.
    pub center: bool,
    pub precision: Precision,
    pub nonfinite: NonFinite,
    /// Rows per block (products of one block are summed before entering f64
    /// in fast mode). 0 picks the default.
    pub block_rows: usize,
}

impl Default for GramOptions {
    fn default() -> Self {
        Self {
            center: true,
            precision: Precision::Fast,
            nonfinite: NonFinite::Skip,
            block_rows: 0,
        }
    }
}

impl GramOptions {
    pub(crate) fn block_rows(&self, d: usize) -> usize {
        if self.block_rows > 0 {
            return self.block_rows;
        }
        // Every block ends in one pass over the d × d f64 state, which at d in the thousands
        // costs as much as ~150 rows of products: blocks of up to 2048 rows keep that pass
        // under 10 % of the time, with the block buffer near 32 MB. (The f32 rounding of a
        // block's sums is random from block to block, so the error over n rows grows like √n
        // whatever the block size.)
        let elem = match self.precision {
            Precision::Fast => 4,
            Precision::Exact => 8,
        };
        ((32 << 20) / (elem * d.max(1))).clamp(256, 2048)
    }
}

/// A reusable block of shifted rows (column-major, f32 or f64 by precision)
/// and its column sums.
pub(crate) struct Block {
    data: BlockData,
    sums: Vec<f64>,
    rows: usize,
}

enum BlockData {
    F32 { z: Vec<f32>, shift: Vec<f32> },
    F64(Vec<f64>),
}

impl Block {
    pub(crate) fn new(p: Precision) -> Self {
        let data = match p {
            Precision::Fast => BlockData::F32 {
                z: Vec::new(),
                shift: Vec::new(),
            },
            Precision::Exact => BlockData::F64(Vec::new()),
        };
        Self {
            data,
            sums: Vec::new(),
            rows: 0,
        }
    }

    /// Fill with rows `r0..r1` of `chunk` minus the shift `c`, as a
    /// column-major `(r1 − r0) × d` block; invalid rows become zeros.
    pub(crate) fn fill(
        &mut self,
        chunk: &Chunk<'_>,
        r0: usize,
        r1: usize,
        valid: &[bool],
        c: &[f64],
    ) {
        let d = chunk.ncols();
        let rows = r1 - r0;
        self.rows = rows;
        self.sums.clear();
        self.sums.resize(d, 0.0);
        let sums = &mut self.sums;
        match &mut self.data {
            BlockData::F32 { z, shift } => {
                z.resize(rows * d, 0.0);
                // The shift is f32-representable in fast mode, so `x − c` rounds once.
                shift.clear();
                shift.extend(c.iter().map(|v| *v as f32));
                with_rows!(chunk.rows(), s => kernel::fill_block(s, d, r0, valid, shift, &mut z[..rows * d], sums));
            }
            BlockData::F64(z) => {
                z.resize(rows * d, 0.0);
                with_rows!(chunk.rows(), s => kernel::fill_block(s, d, r0, valid, c, &mut z[..rows * d], sums));
            }
        }
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    pub(crate) fn f32(&self) -> Option<&[f32]> {
        match &self.data {
            BlockData::F32 { z, .. } => Some(&z[..self.rows * self.sums.len()]),
            BlockData::F64(_) => None,
        }
    }

    pub(crate) fn f64(&self) -> Option<&[f64]> {
        match &self.data {
            BlockData::F64(z) => Some(&z[..self.rows * self.sums.len()]),
            BlockData::F32 { .. } => None,
        }
    }
}

/// `(start, end)` of the blocks of at most `max_rows` rows that `rows` rows split into, all of
/// about the same size: every block costs one pass over the `d × d` state, so a short last
/// block (4 rows after six of 682 in a 4096-row chunk) would cost as much as a full one.
pub(crate) fn block_bounds(rows: usize, max_rows: usize) -> impl Iterator<Item = (usize, usize)> {
    let blocks = rows.div_ceil(max_rows.max(1));
    (0..blocks).map(move |i| (i * rows / blocks, (i + 1) * rows / blocks))
}

/// Block buffers kept between updates (not part of the state: a clone starts empty).
#[derive(Default)]
pub(crate) struct Scratch(pub(crate) Vec<Block>);

impl Clone for Scratch {
    fn clone(&self) -> Self {
        Scratch(Vec::new())
    }
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scratch")
    }
}

impl Scratch {
    pub(crate) fn take(&mut self, p: Precision) -> Block {
        self.0.pop().unwrap_or_else(|| Block::new(p))
    }
}

/// Widest rows a Gram accumulator takes: its state is `dim²` f64 (32 GiB at this width), so
/// wider rows need a projection first, not more memory.
pub const MAX_DIM: usize = 65_536;

#[derive(Clone, Debug)]
pub struct GramAccumulator {
    dim: usize,
    opts: GramOptions,
    n: u64,
    skipped: u64,
    shift: Option<Vec<f64>>,
    sum: Vec<f64>,
    /// Column-major `dim × dim`; only the lower triangle is kept up to date.
    gram: Vec<f64>,
    scratch: Scratch,
}

/// Row validity of a chunk under `mode`: `Err` names the first bad row.
pub(crate) fn check_rows(
    chunk: &Chunk<'_>,
    mode: NonFinite,
    first_row: u64,
    what: &str,
) -> Result<Vec<bool>> {
    let ok = chunk.finite_rows();
    if mode == NonFinite::Error {
        if let Some(i) = ok.iter().position(|v| !v) {
            return Err(arg_err(
                "chunk",
                format!(
                    "{what}row {i} of this chunk (row {} overall) holds NaN or Inf; drop it or create the accumulator with nonfinite='skip'",
                    first_row + i as u64
                ),
            ));
        }
    }
    Ok(ok)
}

/// Mean of the valid rows in f64 (column-parallel, row order fixed).
pub(crate) fn mean_of(chunk: &Chunk<'_>, valid: &[bool]) -> Option<Vec<f64>> {
    let d = chunk.ncols();
    let k = valid.iter().filter(|v| **v).count();
    if k == 0 {
        return None;
    }
    let mut m = vec![0.0; d];
    with_rows!(chunk.rows(), s => {
        m.par_chunks_mut(256).enumerate().for_each(|(b, out)| {
            let c0 = b * 256;
            for (r, ok) in valid.iter().enumerate() {
                if *ok {
                    let row = &s[r * d + c0..r * d + c0 + out.len()];
                    for (o, v) in out.iter_mut().zip(row) {
                        *o += v.f64();
                    }
                }
            }
        });
    });
    let inv = 1.0 / k as f64;
    m.iter_mut().for_each(|v| *v *= inv);
    Some(m)
}

impl GramAccumulator {
    pub fn new(dim: usize, opts: GramOptions) -> Result<Self> {
        if dim == 0 {
            return Err(arg_err("dim", "must be at least 1"));
        }
        if dim > MAX_DIM {
            return Err(arg_err(
                "dim",
                format!(
                    "{dim} is too wide for a dense {dim}×{dim} Gram matrix (max {MAX_DIM}); \
                     pass the hidden size, or project the states down first"
                ),
            ));
        }
        Ok(Self {
            dim,
            opts,
            n: 0,
            skipped: 0,
            shift: None,
            sum: vec![0.0; dim],
            gram: super::zeros(dim * dim, "dim", "the Gram matrix")?,
            scratch: Scratch::default(),
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn options(&self) -> GramOptions {
        self.opts
    }

    /// Rows accepted so far.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Rows left out because they held NaN or Inf.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    pub(crate) fn check_width(&self, chunk: &Chunk<'_>, what: &str) -> Result<()> {
        if chunk.ncols() != self.dim {
            return Err(arg_err(
                "chunk",
                format!(
                    "{what}chunk has {} columns but the accumulator was created with dim={}; every chunk must have the same width",
                    chunk.ncols(),
                    self.dim
                ),
            ));
        }
        Ok(())
    }

    /// Fold a chunk of rows in. On error the accumulator is unchanged.
    pub fn update(&mut self, chunk: &Chunk<'_>) -> Result<()> {
        self.check_width(chunk, "")?;
        if chunk.nrows() == 0 {
            return Ok(());
        }
        let valid = check_rows(chunk, self.opts.nonfinite, self.n + self.skipped, "")?;
        let mut buf = self.scratch.take(self.opts.precision);
        self.absorb(chunk, &valid, &mut buf);
        self.scratch.0.push(buf);
        Ok(())
    }

    /// Set the shift if unset. Returns `false` when the chunk has no valid row.
    pub(crate) fn ensure_shift(&mut self, chunk: &Chunk<'_>, valid: &[bool]) -> bool {
        if self.shift.is_none() {
            self.shift = mean_of(chunk, valid).map(|mut m| {
                if self.opts.precision == Precision::Fast {
                    // f32-representable, so the f32 subtraction in fill_block is exact up to one rounding.
                    m.iter_mut().for_each(|v| *v = *v as f32 as f64);
                }
                m
            });
        }
        self.shift.is_some()
    }

    /// `Σ (x − c)` over the accepted rows.
    pub(crate) fn shifted_sum(&self) -> &[f64] {
        &self.sum
    }

    pub(crate) fn shift(&self) -> Option<&[f64]> {
        self.shift.as_deref()
    }

    /// Add a filled block's sums and products.
    pub(crate) fn absorb_block(&mut self, b: &Block) {
        let d = self.dim;
        for (o, v) in self.sum.iter_mut().zip(&b.sums) {
            *o += v;
        }
        if let Some(z) = b.f32() {
            kernel::gram_f32(z, b.rows(), d, &mut self.gram);
        } else if let Some(z) = b.f64() {
            kernel::gram_f64(z, b.rows(), d, &mut self.gram);
        }
    }

    pub(crate) fn count(&mut self, accepted: u64, skipped: u64) {
        self.n += accepted;
        self.skipped += skipped;
    }

    /// Process `chunk` block by block.
    fn absorb(&mut self, chunk: &Chunk<'_>, valid: &[bool], buf: &mut Block) {
        let good = valid.iter().filter(|v| **v).count() as u64;
        let bad = valid.len() as u64 - good;
        if !self.ensure_shift(chunk, valid) {
            self.count(0, bad);
            return;
        }
        let c = self.shift.clone().unwrap_or_default();
        for (r0, r1) in block_bounds(chunk.nrows(), self.opts.block_rows(self.dim)) {
            buf.fill(chunk, r0, r1, valid, &c);
            self.absorb_block(buf);
        }
        self.count(good, bad);
    }

    /// Make `self` the accumulator of the union of both row sets.
    pub fn merge(&mut self, other: &GramAccumulator) -> Result<()> {
        if other.dim != self.dim {
            return Err(arg_err(
                "other",
                format!(
                    "cannot merge an accumulator of dim={} into one of dim={}",
                    other.dim, self.dim
                ),
            ));
        }
        self.skipped += other.skipped;
        let Some(c2) = other.shift.as_deref() else {
            return Ok(());
        };
        let Some(c1) = self.shift.clone() else {
            self.n = other.n;
            self.shift = other.shift.clone();
            self.sum.clone_from(&other.sum);
            self.gram.clone_from(&other.gram);
            return Ok(());
        };
        let d = self.dim;
        let n2 = other.n as f64;
        // Re-express the other state about c1: x − c1 = (x − c2) + δ, δ = c2 − c1.
        let delta: Vec<f64> = c2.iter().zip(&c1).map(|(a, b)| a - b).collect();
        let s2 = &other.sum;
        self.gram
            .par_chunks_mut(d)
            .zip(other.gram.par_chunks(d))
            .enumerate()
            .for_each(|(j, (dst, src))| {
                for i in j..d {
                    dst[i] +=
                        src[i] + s2[i] * delta[j] + delta[i] * s2[j] + n2 * delta[i] * delta[j];
                }
            });
        for i in 0..d {
            self.sum[i] += s2[i] + n2 * delta[i];
        }
        self.n += other.n;
        Ok(())
    }

    /// Mean of the accepted rows.
    pub fn mean(&self) -> Result<Vec<f64>> {
        let c = self.nonempty()?;
        let inv = 1.0 / self.n as f64;
        Ok(c.iter().zip(&self.sum).map(|(c, s)| c + s * inv).collect())
    }

    fn nonempty(&self) -> Result<&[f64]> {
        match (&self.shift, self.n) {
            (Some(c), n) if n > 0 => Ok(c),
            _ => Err(arg_err(
                "accumulator",
                format!(
                    "no rows were accumulated{}; call update() with at least one finite row first",
                    if self.skipped > 0 {
                        format!(" ({} rows skipped for NaN/Inf)", self.skipped)
                    } else {
                        String::new()
                    }
                ),
            )),
        }
    }

    /// The full symmetric `d × d` matrix (column-major = row-major):
    /// centred scatter `Σ (x − μ)(x − μ)ᵀ` or uncentred Gram `Σ x xᵀ`.
    pub fn scatter(&self, center: bool) -> Result<Vec<f64>> {
        let d = self.dim;
        let mut out = self.scatter_lower(center)?;
        // Mirror the lower triangle in 64 × 64 tiles (a column-by-column mirror misses the
        // cache on every write once d is in the thousands).
        const T: usize = 64;
        for j0 in (0..d).step_by(T) {
            for i0 in (j0..d).step_by(T) {
                for j in j0..(j0 + T).min(d) {
                    for i in i0.max(j + 1)..(i0 + T).min(d) {
                        out[i * d + j] = out[j * d + i];
                    }
                }
            }
        }
        Ok(out)
    }

    /// The scatter matrix's lower triangle (column-major `d × d`; the upper triangle is zero),
    /// all that the eigensolver reads.
    pub(crate) fn scatter_lower(&self, center: bool) -> Result<Vec<f64>> {
        let c = self.nonempty()?;
        let d = self.dim;
        let n = self.n as f64;
        let s = &self.sum;
        let mut out = super::zeros(d * d, "dim", "the scatter matrix")?;
        out.par_chunks_mut(d).enumerate().for_each(|(j, col)| {
            for i in j..d {
                let g = self.gram[j * d + i];
                col[i] = if center {
                    g - s[i] * s[j] / n
                } else {
                    g + s[i] * c[j] + c[i] * s[j] + n * c[i] * c[j]
                };
            }
        });
        Ok(out)
    }

    /// Spectrum of the centred (or uncentred) row matrix.
    pub fn finalize(&self, center: Option<bool>) -> Result<Spectrum> {
        let center = center.unwrap_or(self.opts.center);
        self.nonempty()?;
        if center && self.n < 2 {
            return Err(arg_err(
                "accumulator",
                "a centred spectrum needs at least 2 rows (1 row centres to zero); add rows or use center=False",
            ));
        }
        let m = self.scatter_lower(center)?;
        Spectrum::from_scatter(m, self.dim, self.n, self.skipped, center)
    }
}
