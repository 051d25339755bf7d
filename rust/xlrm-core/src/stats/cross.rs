//! Similarity of two models' representations of the same inputs: streaming
//! linear CKA (Kornblith et al., 2019) from Gram and cross-Gram matrices, and
//! the mean cosine similarity of paired rows.

use rayon::prelude::*;

use super::chunk::{with_rows, Elem};
use super::gram::{block_bounds, check_rows, GramAccumulator, GramOptions, Scratch};
use super::{arg_err, kernel, Chunk, Spectrum};
use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct CrossAccumulator {
    x: GramAccumulator,
    y: GramAccumulator,
    /// Column-major `dx × dy`: `Σ (x − cx)(y − cy)ᵀ`.
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
        let side = |dim, name: &'static str| {
            GramAccumulator::new(dim, opts).map_err(|e| match e {
                Error::Argument {
                    name: "dim",
                    message,
                } => Error::Argument { name, message },
                other => other,
            })
        };
        let x = side(dim_x, "dim_x")?;
        let y = side(dim_y, "dim_y")?;
        Ok(Self {
            x,
            y,
            cross: super::zeros(dim_x * dim_y, "dim_y", "the cross-Gram matrix")?,
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

    /// Fold in paired rows: row `i` of `x` and row `i` of `y` describe the same input.
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
        let good = valid.iter().filter(|v| **v).count() as u64;
        let bad = valid.len() as u64 - good;
        if !(self.x.ensure_shift(x, &valid) && self.y.ensure_shift(y, &valid)) {
            self.x.count(0, bad);
            self.y.count(0, bad);
            return Ok(());
        }
        let cx = self.x.shift().map(<[f64]>::to_vec).unwrap_or_default();
        let cy = self.y.shift().map(<[f64]>::to_vec).unwrap_or_default();
        let (dx, dy) = (self.x.dim(), self.y.dim());
        let br = opts.block_rows(dx.max(dy));
        let mut bx = self.scratch.take(opts.precision);
        let mut by = self.scratch.take(opts.precision);
        for (r0, r1) in block_bounds(x.nrows(), br) {
            bx.fill(x, r0, r1, &valid, &cx);
            by.fill(y, r0, r1, &valid, &cy);
            self.x.absorb_block(&bx);
            self.y.absorb_block(&by);
            let rows = r1 - r0;
            if let (Some(a), Some(b)) = (bx.f32(), by.f32()) {
                kernel::cross_f32(a, dx, b, dy, rows, &mut self.cross);
            } else if let (Some(a), Some(b)) = (bx.f64(), by.f64()) {
                kernel::cross_f64(a, dx, b, dy, rows, &mut self.cross);
            }
        }
        self.scratch.0.push(bx);
        self.scratch.0.push(by);
        self.x.count(good, bad);
        self.y.count(good, bad);
        if dx == dy {
            let (s, n, z) =
                with_rows!(x.rows(), a => with_rows!(y.rows(), b => cosine_sum(a, b, dx, &valid)));
            self.cos_sum += s;
            self.cos_n += n;
            self.zero_norm += z;
        }
        Ok(())
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
        match (
            self.x.shift().map(<[f64]>::to_vec),
            other.x.shift(),
            other.y.shift(),
        ) {
            (_, None, _) | (_, _, None) => {}
            (None, _, _) => self.cross.clone_from(&other.cross),
            (Some(cx1), Some(cx2), Some(cy2)) => {
                let cy1 = self.y.shift().map(<[f64]>::to_vec).unwrap_or_default();
                let n2 = other.n() as f64;
                let dlx: Vec<f64> = cx2.iter().zip(&cx1).map(|(a, b)| a - b).collect();
                let dly: Vec<f64> = cy2.iter().zip(&cy1).map(|(a, b)| a - b).collect();
                let (sx2, sy2) = (other.x_sum(), other.y_sum());
                self.cross
                    .par_chunks_mut(dx)
                    .zip(other.cross.par_chunks(dx))
                    .enumerate()
                    .for_each(|(j, (dst, src))| {
                        for i in 0..dx {
                            dst[i] +=
                                src[i] + sx2[i] * dly[j] + dlx[i] * sy2[j] + n2 * dlx[i] * dly[j];
                        }
                    });
            }
        }
        debug_assert_eq!(self.cross.len(), dx * dy);
        self.x.merge(&other.x)?;
        self.y.merge(&other.y)?;
        self.cos_sum += other.cos_sum;
        self.cos_n += other.cos_n;
        self.zero_norm += other.zero_norm;
        Ok(())
    }

    fn x_sum(&self) -> Vec<f64> {
        self.x.shifted_sum().to_vec()
    }

    fn y_sum(&self) -> Vec<f64> {
        self.y.shifted_sum().to_vec()
    }

    pub fn finalize(&self) -> Result<CrossReport> {
        let n = self.n();
        if n < 2 {
            return Err(arg_err(
                "accumulator",
                format!("CKA needs at least 2 paired rows, got {n}; call update() with more rows"),
            ));
        }
        let sxx = self.x.scatter(true)?;
        let syy = self.y.scatter(true)?;
        let (sx, sy) = (self.x.shifted_sum(), self.y.shifted_sum());
        let nf = n as f64;
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
        Ok(CrossReport {
            n,
            skipped: self.skipped(),
            cka: cross2 / (fx * fy),
            mean_cosine: (self.x.dim() == self.y.dim() && self.cos_n > 0)
                .then(|| self.cos_sum / self.cos_n as f64),
            zero_norm: self.zero_norm,
        })
    }

    /// Spectra of each side (centred by default).
    pub fn spectra(&self, center: Option<bool>) -> Result<(Spectrum, Spectrum)> {
        Ok((self.x.finalize(center)?, self.y.finalize(center)?))
    }
}
