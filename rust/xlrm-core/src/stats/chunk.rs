//! Borrowed row-major chunks of hidden states in any of the float formats that
//! models emit (f32, f64, f16, bf16).

use half::{bf16, f16};
use rayon::prelude::*;

use super::arg_err;
use crate::error::Result;

/// The element buffer of a chunk, row-major.
#[derive(Clone, Copy, Debug)]
pub enum Rows<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
    F16(&'a [f16]),
    Bf16(&'a [bf16]),
}

impl Rows<'_> {
    pub fn len(&self) -> usize {
        match self {
            Rows::F32(s) => s.len(),
            Rows::F64(s) => s.len(),
            Rows::F16(s) => s.len(),
            Rows::Bf16(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A row-major `nrows × ncols` chunk. Construction checks the buffer length.
#[derive(Clone, Copy, Debug)]
pub struct Chunk<'a> {
    rows: Rows<'a>,
    nrows: usize,
    ncols: usize,
}

/// A scalar that widens exactly to f64 (and to f32, exactly for all but f64).
pub(crate) trait Elem: Copy + Send + Sync {
    fn f64(self) -> f64;
    fn f32(self) -> f32;
}

impl Elem for f32 {
    #[inline(always)]
    fn f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn f32(self) -> f32 {
        self
    }
}
impl Elem for f64 {
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn f32(self) -> f32 {
        self as f32
    }
}
impl Elem for f16 {
    #[inline(always)]
    fn f64(self) -> f64 {
        self.to_f32() as f64
    }
    #[inline(always)]
    fn f32(self) -> f32 {
        self.to_f32()
    }
}
impl Elem for bf16 {
    #[inline(always)]
    fn f64(self) -> f64 {
        self.f32() as f64
    }
    #[inline(always)]
    fn f32(self) -> f32 {
        f32::from_bits((self.to_bits() as u32) << 16)
    }
}

/// Dispatch on the element type: `with_rows!(chunk.rows(), s => expr)` runs
/// `expr` with `s: &[T]` for the concrete `T`.
macro_rules! with_rows {
    ($rows:expr, $s:ident => $body:expr) => {
        match $rows {
            $crate::stats::Rows::F32($s) => $body,
            $crate::stats::Rows::F64($s) => $body,
            $crate::stats::Rows::F16($s) => $body,
            $crate::stats::Rows::Bf16($s) => $body,
        }
    };
}
pub(crate) use with_rows;

impl<'a> Chunk<'a> {
    /// `rows` holds `nrows * ncols` elements, row after row.
    pub fn new(rows: Rows<'a>, nrows: usize, ncols: usize) -> Result<Self> {
        let expect = nrows
            .checked_mul(ncols)
            .ok_or_else(|| arg_err("chunk", "shape overflows"))?;
        if rows.len() != expect {
            return Err(arg_err(
                "chunk",
                format!(
                    "buffer holds {} values but the shape ({nrows}, {ncols}) needs {expect}; pass a C-contiguous 2-D array",
                    rows.len()
                ),
            ));
        }
        Ok(Self { rows, nrows, ncols })
    }

    pub fn f32(data: &'a [f32], ncols: usize) -> Result<Self> {
        Self::from_flat(Rows::F32(data), ncols)
    }

    pub fn f64(data: &'a [f64], ncols: usize) -> Result<Self> {
        Self::from_flat(Rows::F64(data), ncols)
    }

    fn from_flat(rows: Rows<'a>, ncols: usize) -> Result<Self> {
        if ncols == 0 {
            return Err(arg_err("chunk", "rows must have at least one column"));
        }
        if rows.len() / ncols * ncols != rows.len() {
            return Err(arg_err(
                "chunk",
                format!("{} values do not split into rows of {ncols}", rows.len()),
            ));
        }
        Self::new(rows, rows.len() / ncols, ncols)
    }

    pub fn nrows(&self) -> usize {
        self.nrows
    }

    pub fn ncols(&self) -> usize {
        self.ncols
    }

    pub fn rows(&self) -> Rows<'a> {
        self.rows
    }

    /// `true` for every row whose values are all finite (parallel, exact).
    pub fn finite_rows(&self) -> Vec<bool> {
        let d = self.ncols;
        let mut out = vec![false; self.nrows];
        if d == 0 {
            return out;
        }
        with_rows!(self.rows, s => out
            .par_iter_mut()
            .zip(s.par_chunks_exact(d))
            .with_min_len(64)
            .for_each(|(o, row)| *o = row.iter().all(|v| v.f64().is_finite())));
        out
    }

    /// Euclidean norm of every row, accumulated in f64 (parallel over rows,
    /// each row summed in order, so the result does not depend on threads).
    pub fn row_norms(&self) -> Vec<f64> {
        let d = self.ncols;
        let mut out = vec![0.0; self.nrows];
        if d == 0 {
            return out;
        }
        with_rows!(self.rows, s => out
        .par_iter_mut()
        .zip(s.par_chunks_exact(d))
        .with_min_len(64)
        .for_each(|(o, row)| {
            *o = row.iter().map(|v| { let x = v.f64(); x * x }).sum::<f64>().sqrt()
        }));
        out
    }
}
