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
use super::rows::Kept;
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
    /// Keep the rows while there are at most as many as the width and take every statistic
    /// from them (`rows` module); `false`: the streaming `d × d` Gram from the first row on.
    pub small_n: bool,
}

impl Default for GramOptions {
    fn default() -> Self {
        Self {
            center: true,
            precision: Precision::Fast,
            nonfinite: NonFinite::Skip,
            block_rows: 0,
            small_n: true,
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

/// The streaming state: a shift `c`, `s = Σ (x − c)` and the lower triangle of
/// `G = Σ (x − c)(x − c)ᵀ` (column-major `d × d`).
#[derive(Clone, Debug)]
pub(crate) struct Dense {
    shift: Option<Vec<f64>>,
    sum: Vec<f64>,
    gram: Vec<f64>,
}

impl Dense {
    pub(crate) fn new(dim: usize) -> Result<Self> {
        Ok(Self {
            shift: None,
            sum: vec![0.0; dim],
            gram: super::zeros(dim * dim, "dim", "the Gram matrix")?,
        })
    }

    pub(crate) fn shift(&self) -> Option<&[f64]> {
        self.shift.as_deref()
    }

    /// `Σ (x − c)` over the rows absorbed.
    pub(crate) fn shifted_sum(&self) -> &[f64] {
        &self.sum
    }

    /// Set the shift if unset. Returns `false` when the chunk has no valid row.
    pub(crate) fn ensure_shift(&mut self, chunk: &Chunk<'_>, valid: &[bool], p: Precision) -> bool {
        if self.shift.is_none() {
            self.shift = mean_of(chunk, valid).map(|mut m| {
                if p == Precision::Fast {
                    // f32-representable, so the f32 subtraction in fill_block is exact up to one rounding.
                    m.iter_mut().for_each(|v| *v = *v as f32 as f64);
                }
                m
            });
        }
        self.shift.is_some()
    }

    /// Add a filled block's sums and products.
    pub(crate) fn absorb_block(&mut self, b: &Block) {
        let d = self.sum.len();
        for (o, v) in self.sum.iter_mut().zip(&b.sums) {
            *o += v;
        }
        if let Some(z) = b.f32() {
            kernel::gram_f32(z, b.rows(), d, &mut self.gram);
        } else if let Some(z) = b.f64() {
            kernel::gram_f64(z, b.rows(), d, &mut self.gram);
        }
    }

    /// Fold the valid rows of `chunk` in, block by block (the caller counts them).
    fn absorb(&mut self, chunk: &Chunk<'_>, valid: &[bool], buf: &mut Block, opts: &GramOptions) {
        if !self.ensure_shift(chunk, valid, opts.precision) {
            return;
        }
        let d = self.sum.len();
        let c = self.shift.clone().unwrap_or_default();
        for (r0, r1) in block_bounds(chunk.nrows(), opts.block_rows(d)) {
            buf.fill(chunk, r0, r1, valid, &c);
            self.absorb_block(buf);
        }
    }

    /// Add `other` (holding `n2` rows) re-expressed about this state's shift.
    pub(crate) fn merge_from(&mut self, other: &Dense, n2: u64) {
        let Some(c2) = other.shift.as_deref() else {
            return;
        };
        let Some(c1) = self.shift.clone() else {
            self.clone_from(other);
            return;
        };
        let d = self.sum.len();
        let n2 = n2 as f64;
        // x − c1 = (x − c2) + δ, δ = c2 − c1.
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
    }

    /// Lower triangle (column-major `d × d`, upper zero) of the centred scatter or the
    /// uncentred Gram of `n` rows.
    fn scatter_lower(&self, center: bool, n: u64) -> Result<Vec<f64>> {
        let d = self.sum.len();
        let c = self.shift.as_deref().unwrap_or(&[]);
        let n = n as f64;
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
}

#[derive(Clone, Debug)]
enum State {
    /// The rows themselves, while there are at most `row_limit` of them (the small-n path).
    Rows(Kept),
    /// The streaming Gram.
    Dense(Dense),
}

#[derive(Clone, Debug)]
pub struct GramAccumulator {
    dim: usize,
    opts: GramOptions,
    n: u64,
    skipped: u64,
    /// Rows kept before switching to the streaming Gram: the width (inside a cross accumulator
    /// the wider of its two widths), 0 with `small_n` off.
    row_limit: usize,
    state: State,
    scratch: Scratch,
}

/// Fold kept rows into a streaming state as one chunk (the caller counts them).
pub(crate) fn absorb_kept(
    opts: &GramOptions,
    dense: &mut Dense,
    kept: &Kept,
    d: usize,
) -> Result<()> {
    let chunk = kept.chunk(d)?;
    if chunk.nrows() > 0 {
        let valid = vec![true; chunk.nrows()];
        dense.absorb(&chunk, &valid, &mut Block::new(opts.precision), opts);
    }
    Ok(())
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
        Self::with_row_limit(dim, opts, dim)
    }

    /// An accumulator that keeps up to `limit` rows (if `opts.small_n`) before switching.
    pub(crate) fn with_row_limit(dim: usize, opts: GramOptions, limit: usize) -> Result<Self> {
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
        let row_limit = if opts.small_n { limit.min(MAX_DIM) } else { 0 };
        let state = if row_limit > 0 {
            State::Rows(Kept::new(opts.precision))
        } else {
            State::Dense(Dense::new(dim)?)
        };
        Ok(Self {
            dim,
            opts,
            n: 0,
            skipped: 0,
            row_limit,
            state,
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

    /// `true` while the rows themselves are kept (the small-n path), `false` once the
    /// streaming `d × d` Gram holds them.
    pub fn keeps_rows(&self) -> bool {
        matches!(self.state, State::Rows(_))
    }

    pub(crate) fn kept(&self) -> Option<&Kept> {
        match &self.state {
            State::Rows(k) => Some(k),
            State::Dense(_) => None,
        }
    }

    pub(crate) fn kept_mut(&mut self) -> Option<&mut Kept> {
        match &mut self.state {
            State::Rows(k) => Some(k),
            State::Dense(_) => None,
        }
    }

    pub(crate) fn dense(&self) -> Option<&Dense> {
        match &self.state {
            State::Dense(g) => Some(g),
            State::Rows(_) => None,
        }
    }

    pub(crate) fn dense_mut(&mut self) -> Option<&mut Dense> {
        match &mut self.state {
            State::Dense(g) => Some(g),
            State::Rows(_) => None,
        }
    }

    /// Install an empty streaming state (allocated by the caller, so that a cross accumulator
    /// can allocate everything before it changes anything) and hand back the kept rows.
    pub(crate) fn install_dense(&mut self, dense: Dense) -> Option<Kept> {
        match std::mem::replace(&mut self.state, State::Dense(dense)) {
            State::Rows(k) => Some(k),
            State::Dense(old) => {
                self.state = State::Dense(old);
                None
            }
        }
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

    /// Whether `extra` more rows still fit the small-n path.
    pub(crate) fn rows_fit(&self, extra: u64) -> bool {
        self.keeps_rows() && self.n.saturating_add(extra) <= self.row_limit as u64
    }

    /// Fold a chunk of rows in. On error the accumulator is unchanged.
    pub fn update(&mut self, chunk: &Chunk<'_>) -> Result<()> {
        self.check_width(chunk, "")?;
        if chunk.nrows() == 0 {
            return Ok(());
        }
        let valid = check_rows(chunk, self.opts.nonfinite, self.n + self.skipped, "")?;
        let good = valid.iter().filter(|v| **v).count();
        let bad = (valid.len() - good) as u64;
        if self.rows_fit(good as u64) {
            if let Some(kept) = self.kept_mut() {
                kept.reserve_rows(good, chunk.ncols())?;
                kept.push_valid(chunk, &valid);
            }
        } else {
            self.densify()?;
            let mut buf = self.scratch.take(self.opts.precision);
            if let State::Dense(g) = &mut self.state {
                g.absorb(chunk, &valid, &mut buf, &self.opts);
            }
            self.scratch.0.push(buf);
        }
        self.count(good as u64, bad);
        Ok(())
    }

    pub(crate) fn count(&mut self, accepted: u64, skipped: u64) {
        self.n += accepted;
        self.skipped += skipped;
    }

    /// Switch from kept rows to the streaming Gram (the kept rows enter it as one chunk, so
    /// the shift is their mean). Nothing changes if the allocation fails.
    fn densify(&mut self) -> Result<()> {
        let State::Rows(kept) = &self.state else {
            return Ok(());
        };
        let mut dense = Dense::new(self.dim)?;
        absorb_kept(&self.opts, &mut dense, kept, self.dim)?;
        self.state = State::Dense(dense);
        Ok(())
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
        let (d, opts) = (self.dim, self.opts);
        let fits = self.rows_fit(other.n);
        match (&mut self.state, &other.state) {
            (State::Rows(mine), State::Rows(theirs)) if fits => mine.extend(theirs, d)?,
            (State::Rows(mine), State::Dense(theirs)) => {
                // Their streaming state with our rows added.
                let mut dense = theirs.clone();
                absorb_kept(&opts, &mut dense, mine, d)?;
                self.state = State::Dense(dense);
            }
            (State::Rows(mine), State::Rows(theirs)) => {
                // Together past the limit: ours become the streaming state, theirs a chunk of it.
                let mut dense = Dense::new(d)?;
                absorb_kept(&opts, &mut dense, mine, d)?;
                absorb_kept(&opts, &mut dense, theirs, d)?;
                self.state = State::Dense(dense);
            }
            (State::Dense(mine), State::Rows(theirs)) => absorb_kept(&opts, mine, theirs, d)?,
            (State::Dense(mine), State::Dense(theirs)) => mine.merge_from(theirs, other.n),
        }
        self.n += other.n;
        self.skipped += other.skipped;
        Ok(())
    }

    fn nonempty(&self) -> Result<()> {
        if self.n > 0 {
            return Ok(());
        }
        Err(arg_err(
            "accumulator",
            format!(
                "no rows were accumulated{}; call update() with at least one finite row first",
                if self.skipped > 0 {
                    format!(" ({} rows skipped for NaN/Inf)", self.skipped)
                } else {
                    String::new()
                }
            ),
        ))
    }

    /// Mean of the accepted rows.
    pub fn mean(&self) -> Result<Vec<f64>> {
        self.nonempty()?;
        match &self.state {
            State::Rows(k) => Ok(k.mean(self.dim)),
            State::Dense(g) => {
                let inv = 1.0 / self.n as f64;
                let c = g.shift().unwrap_or(&[]);
                Ok(c.iter().zip(&g.sum).map(|(c, s)| c + s * inv).collect())
            }
        }
    }

    /// The full symmetric `d × d` matrix (column-major = row-major):
    /// centred scatter `Σ (x − μ)(x − μ)ᵀ` or uncentred Gram `Σ x xᵀ`.
    pub fn scatter(&self, center: bool) -> Result<Vec<f64>> {
        self.nonempty()?;
        match &self.state {
            State::Rows(k) => k.scatter(self.dim, center),
            State::Dense(g) => {
                let mut out = g.scatter_lower(center, self.n)?;
                super::rows::mirror(&mut out, self.dim);
                Ok(out)
            }
        }
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
        match &self.state {
            State::Rows(k) => k.spectrum(self.dim, self.skipped, center),
            State::Dense(g) => {
                let m = g.scatter_lower(center, self.n)?;
                Spectrum::from_scatter(m, self.dim, self.n, self.skipped, center)
            }
        }
    }
}
