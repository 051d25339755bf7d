//! Similarity of two models' representations of the same inputs: streaming
//! linear CKA (Kornblith et al., 2019) from Gram and cross-Gram matrices, and
//! the mean cosine similarity of paired rows.

use rayon::prelude::*;

use super::chunk::{with_rows, Elem};
use super::gram::{block_bounds, check_rows, Dense, GramAccumulator, GramOptions, Scratch};
use super::rows::{self, Kept};
use super::{arg_err, kernel, Chunk, Spectrum};
use crate::error::{Error, Result};

/// Paired rows of two models. While there are at most `max(dx, dy)` of them both sides keep
/// their rows (the small-n path: CKA from the two `n × n` Grams, each spectrum from the smaller
/// of its Grams); past that, streaming Grams of each side and their cross-Gram.
#[derive(Clone, Debug)]
pub struct CrossAccumulator {
    x: GramAccumulator,
    y: GramAccumulator,
    /// Column-major `dx × dy`: `Σ (x − cx)(y − cy)ᵀ`; empty while the rows are kept.
    cross: Vec<f64>,
    cos_sum: f64,
    cos_n: u64,
    zero_norm: u64,
    scratch: Scratch,
}

/// Linear CKA and paired cosine similarity.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossReport {
    pub n: u64,
    pub skipped: u64,
    /// `‖X̃ᵀỸ‖²_F / (‖X̃ᵀX̃‖_F ‖ỸᵀỸ‖_F)` with `X̃, Ỹ` column-centred.
    pub cka: f64,
    /// Mean over rows of `cos(xᵢ, yᵢ)` (raw rows); `None` when widths differ.
    pub mean_cosine: Option<f64>,
    /// Rows left out of the cosine mean because one side had norm 0.
    pub zero_norm: u64,
}

fn cosine_sum<A: Elem, B: Elem>(x: &[A], y: &[B], d: usize, valid: &[bool]) -> (f64, u64, u64) {
    let per_row: Vec<Option<f64>> = x
        .par_chunks(d)
        .zip(y.par_chunks(d))
        .zip(valid.par_iter())
        .with_min_len(64)
        .map(|((a, b), ok)| {
            if !*ok {
                return None;
            }
            let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
            for (u, v) in a.iter().zip(b) {
                let (u, v) = (u.f64(), v.f64());
                ab += u * v;
                aa += u * u;
                bb += v * v;
            }
            Some(if aa > 0.0 && bb > 0.0 {
                ab / (aa.sqrt() * bb.sqrt())
            } else {
                f64::NAN
            })
        })
        .collect();
    let (mut s, mut n, mut z) = (0.0, 0u64, 0u64);
    for v in per_row.into_iter().flatten() {
        if v.is_nan() {
            z += 1;
        } else {
            s += v;
            n += 1;
        }
    }
    (s, n, z)
}

impl CrossAccumulator {
    pub fn new(dim_x: usize, dim_y: usize, opts: GramOptions) -> Result<Self> {
        // Each side reports its own argument, not the accumulator's generic `dim`.
        let limit = dim_x.max(dim_y);
        let side = |dim, name: &'static str| {
            GramAccumulator::with_row_limit(dim, opts, limit).map_err(|e| match e {
                Error::Argument {
                    name: "dim",
                    message,
                } => Error::Argument { name, message },
                other => other,
            })
        };
        let x = side(dim_x, "dim_x")?;
        let y = side(dim_y, "dim_y")?;
        let cross = if x.keeps_rows() {
            Vec::new()
        } else {
            super::zeros(dim_x * dim_y, "dim_y", "the cross-Gram matrix")?
        };
        Ok(Self {
            x,
            y,
            cross,
            cos_sum: 0.0,
            cos_n: 0,
            zero_norm: 0,
            scratch: Scratch::default(),
        })
    }

    pub fn n(&self) -> u64 {
        self.x.n()
    }

    pub fn skipped(&self) -> u64 {
        self.x.skipped()
    }

    pub fn x(&self) -> &GramAccumulator {
        &self.x
    }

    pub fn y(&self) -> &GramAccumulator {
        &self.y
    }

    /// `true` while both sides keep their rows (the small-n path).
    pub fn keeps_rows(&self) -> bool {
        self.x.keeps_rows()
    }

    /// Fold in paired rows: row `i` of `x` and row `i` of `y` describe the same input.
    /// On error the accumulator is unchanged.
    pub fn update(&mut self, x: &Chunk<'_>, y: &Chunk<'_>) -> Result<()> {
        self.x.check_width(x, "x: ")?;
        self.y.check_width(y, "y: ")?;
        if x.nrows() != y.nrows() {
            return Err(arg_err(
                "y",
                format!(
                    "x has {} rows but y has {}; pass the two models' states of the same inputs",
                    x.nrows(),
                    y.nrows()
                ),
            ));
        }
        if x.nrows() == 0 {
            return Ok(());
        }
        let opts = self.x.options();
        let first = self.x.n() + self.x.skipped();
        let vx = check_rows(x, opts.nonfinite, first, "x: ")?;
        let vy = check_rows(y, opts.nonfinite, first, "y: ")?;
        let valid: Vec<bool> = vx.iter().zip(&vy).map(|(a, b)| *a && *b).collect();
        let good = valid.iter().filter(|v| **v).count();
        let bad = (valid.len() - good) as u64;
        let (dx, dy) = (self.x.dim(), self.y.dim());
        if self.x.rows_fit(good as u64) {
            // Both reservations first, so that a failure leaves both sides as they were.
            if let (Some(kx), Some(ky)) = (self.x.kept_mut(), self.y.kept_mut()) {
                kx.reserve_rows(good, dx)?;
                ky.reserve_rows(good, dy)?;
                kx.push_valid(x, &valid);
                ky.push_valid(y, &valid);
            }
        } else {
            self.densify()?;
            self.absorb_pair(x, y, &valid);
        }
        self.x.count(good as u64, bad);
        self.y.count(good as u64, bad);
        if dx == dy {
            let (s, n, z) =
                with_rows!(x.rows(), a => with_rows!(y.rows(), b => cosine_sum(a, b, dx, &valid)));
            self.cos_sum += s;
            self.cos_n += n;
            self.zero_norm += z;
        }
        Ok(())
    }

    /// Streaming states for both sides and the cross-Gram, with the kept rows replayed into
    /// them. Everything is allocated before anything changes, so a failure changes nothing.
    fn densify(&mut self) -> Result<()> {
        if !self.keeps_rows() {
            return Ok(());
        }
        let (dx, dy) = (self.x.dim(), self.y.dim());
        let gx = Dense::new(dx)?;
        let gy = Dense::new(dy)?;
        let cross = super::zeros(dx * dy, "dim_y", "the cross-Gram matrix")?;
        let kx = self.x.install_dense(gx);
        let ky = self.y.install_dense(gy);
        self.cross = cross;
        if let (Some(kx), Some(ky)) = (kx, ky) {
            self.absorb_kept_pair(&kx, &ky)?;
        }
        Ok(())
    }

    fn absorb_kept_pair(&mut self, kx: &Kept, ky: &Kept) -> Result<()> {
        let (cx, cy) = (kx.chunk(self.x.dim())?, ky.chunk(self.y.dim())?);
        if cx.nrows() > 0 {
            self.absorb_pair(&cx, &cy, &vec![true; cx.nrows()]);
        }
        Ok(())
    }

    /// Fold the valid paired rows into the streaming states (the caller counts them).
    fn absorb_pair(&mut self, x: &Chunk<'_>, y: &Chunk<'_>, valid: &[bool]) {
        let opts = self.x.options();
        let (dx, dy) = (self.x.dim(), self.y.dim());
        let (Some(gx), Some(gy)) = (self.x.dense_mut(), self.y.dense_mut()) else {
            return;
        };
        if !(gx.ensure_shift(x, valid, opts.precision) && gy.ensure_shift(y, valid, opts.precision))
        {
            return;
        }
        let cx = gx.shift().map(<[f64]>::to_vec).unwrap_or_default();
        let cy = gy.shift().map(<[f64]>::to_vec).unwrap_or_default();
        let br = opts.block_rows(dx.max(dy));
        let mut bx = self.scratch.take(opts.precision);
        let mut by = self.scratch.take(opts.precision);
        for (r0, r1) in block_bounds(x.nrows(), br) {
            bx.fill(x, r0, r1, valid, &cx);
            by.fill(y, r0, r1, valid, &cy);
            gx.absorb_block(&bx);
            gy.absorb_block(&by);
            let rows = r1 - r0;
            if let (Some(a), Some(b)) = (bx.f32(), by.f32()) {
                kernel::cross_f32(a, dx, b, dy, rows, &mut self.cross);
            } else if let (Some(a), Some(b)) = (bx.f64(), by.f64()) {
                kernel::cross_f64(a, dx, b, dy, rows, &mut self.cross);
            }
        }
        self.scratch.0.push(bx);
        self.scratch.0.push(by);
    }

    pub fn merge(&mut self, other: &CrossAccumulator) -> Result<()> {
        if (other.x.dim(), other.y.dim()) != (self.x.dim(), self.y.dim()) {
            return Err(arg_err(
                "other",
                format!(
                    "cannot merge dims ({}, {}) into ({}, {})",
                    other.x.dim(),
                    other.y.dim(),
                    self.x.dim(),
                    self.y.dim()
                ),
            ));
        }
        let (dx, dy) = (self.x.dim(), self.y.dim());
        match (self.keeps_rows(), other.keeps_rows()) {
            (true, true) if self.x.rows_fit(other.n()) => {
                let rows = other.n() as usize;
                if let (Some(kx), Some(ky), Some(ox), Some(oy)) = (
                    self.x.kept_mut(),
                    self.y.kept_mut(),
                    other.x.kept(),
                    other.y.kept(),
                ) {
                    // Both reservations first: a failure changes nothing, and after them the
                    // extensions cannot fail.
                    kx.reserve_rows(rows, dx)?;
                    ky.reserve_rows(rows, dy)?;
                    kx.extend(ox, dx)?;
                    ky.extend(oy, dy)?;
                }
            }
            (true, false) => {
                // Their streaming state with our rows added.
                let mut merged = other.clone();
                if let (Some(kx), Some(ky)) = (self.x.kept(), self.y.kept()) {
                    merged.absorb_kept_pair(kx, ky)?;
                }
                merged.x.count(self.n(), self.skipped());
                merged.y.count(self.n(), self.skipped());
                merged.cos_sum += self.cos_sum;
                merged.cos_n += self.cos_n;
                merged.zero_norm += self.zero_norm;
                *self = merged;
                return Ok(());
            }
            (_, true) => {
                self.densify()?;
                if let (Some(ox), Some(oy)) = (other.x.kept(), other.y.kept()) {
                    self.absorb_kept_pair(ox, oy)?;
                }
            }
            (false, false) => self.merge_dense(other),
        }
        self.x.count(other.n(), other.skipped());
        self.y.count(other.n(), other.skipped());
        self.cos_sum += other.cos_sum;
        self.cos_n += other.cos_n;
        self.zero_norm += other.zero_norm;
        Ok(())
    }

    /// Both streaming: the cross-Gram re-expressed about our shifts, then each side's state.
    fn merge_dense(&mut self, other: &CrossAccumulator) {
        let dx = self.x.dim();
        let n2 = other.n() as f64;
        if let (Some(gx1), Some(gy1), Some(gx2), Some(gy2)) = (
            self.x.dense(),
            self.y.dense(),
            other.x.dense(),
            other.y.dense(),
        ) {
            match (gx1.shift(), gy1.shift(), gx2.shift(), gy2.shift()) {
                (_, _, None, _) | (_, _, _, None) => {}
                (None, _, _, _) | (_, None, _, _) => self.cross.clone_from(&other.cross),
                (Some(cx1), Some(cy1), Some(cx2), Some(cy2)) => {
                    let dlx: Vec<f64> = cx2.iter().zip(cx1).map(|(a, b)| a - b).collect();
                    let dly: Vec<f64> = cy2.iter().zip(cy1).map(|(a, b)| a - b).collect();
                    let (sx2, sy2) = (gx2.shifted_sum(), gy2.shifted_sum());
                    self.cross
                        .par_chunks_mut(dx)
                        .zip(other.cross.par_chunks(dx))
                        .enumerate()
                        .for_each(|(j, (dst, src))| {
                            for i in 0..dx {
                                dst[i] += src[i]
                                    + sx2[i] * dly[j]
                                    + dlx[i] * sy2[j]
                                    + n2 * dlx[i] * dly[j];
                            }
                        });
                }
            }
        }
        // Each side's own state (the counts are added by the caller).
        if let (Some(mx), Some(ox)) = (self.x.dense_mut(), other.x.dense()) {
            mx.merge_from(ox, other.n());
        }
        if let (Some(my), Some(oy)) = (self.y.dense_mut(), other.y.dense()) {
            my.merge_from(oy, other.n());
        }
    }

    pub fn finalize(&self) -> Result<CrossReport> {
        let n = self.n();
        if n < 2 {
            return Err(arg_err(
                "accumulator",
                format!("CKA needs at least 2 paired rows, got {n}; call update() with more rows"),
            ));
        }
        let cka = match (self.x.kept(), self.y.kept()) {
            (Some(kx), Some(ky)) => rows::cka(kx, self.x.dim(), ky, self.y.dim())?,
            _ => self.dense_cka()?,
        };
        Ok(CrossReport {
            n,
            skipped: self.skipped(),
            cka,
            mean_cosine: (self.x.dim() == self.y.dim() && self.cos_n > 0)
                .then(|| self.cos_sum / self.cos_n as f64),
            zero_norm: self.zero_norm,
        })
    }

    fn dense_cka(&self) -> Result<f64> {
        let (Some(gx), Some(gy)) = (self.x.dense(), self.y.dense()) else {
            return Err(arg_err(
                "accumulator",
                "internal: the two sides are in different states",
            ));
        };
        let sxx = self.x.scatter(true)?;
        let syy = self.y.scatter(true)?;
        let (sx, sy) = (gx.shifted_sum(), gy.shifted_sum());
        let nf = self.n() as f64;
        let dx = self.x.dim();
        let cross2: f64 = self
            .cross
            .par_chunks(dx)
            .enumerate()
            .map(|(j, col)| {
                col.iter()
                    .zip(sx)
                    .map(|(c, a)| (c - a * sy[j] / nf).powi(2))
                    .sum::<f64>()
            })
            .collect::<Vec<_>>()
            .iter()
            .sum();
        let fro = |m: &[f64]| m.iter().map(|v| v * v).sum::<f64>().sqrt();
        let (fx, fy) = (fro(&sxx), fro(&syy));
        if fx == 0.0 || fy == 0.0 {
            return Err(arg_err(
                "accumulator",
                "one side's rows are all identical; CKA is undefined",
            ));
        }
        Ok(cross2 / (fx * fy))
    }

    /// Spectra of each side (centred by default).
    pub fn spectra(&self, center: Option<bool>) -> Result<(Spectrum, Spectrum)> {
        Ok((self.x.finalize(center)?, self.y.finalize(center)?))
    }
}
