//! The small-`n` path: while a group has at most as many rows as its width, its rows are kept
//! as they came and every statistic is taken from them directly.
//!
//! With `n ≤ d` rows the `d × d` Gram matrix has rank `≤ n`, so its nonzero eigenvalues are
//! those of the `n × n` Gram `A Aᵀ` of the same (centred) rows `A`: `n² d` flops and an
//! `n × n` eigendecomposition instead of `n d²` and `d × d`. Linear CKA of paired rows is
//! `⟨Kx, Ky⟩_F / (‖Kx‖_F ‖Ky‖_F)` with `K = Ã Ãᵀ` the centred `n × n` Grams (Kornblith et al.,
//! 2019, eq. 5 with a linear kernel), so it needs no `dx × dy` cross-Gram either.
//!
//! Rows are stored exactly as the streaming path would first read them (f32 in fast mode, which
//! is what the fast path rounds every input to, and f64 in exact mode), and every product here
//! is formed in f64: `n² d` flops are cheap next to what the `d × d` path costs. Keeping the rows
//! (`n × d`, never more than the `d × d` state the streaming path would hold) is what makes the
//! state mergeable and lets it switch to the streaming Gram when rows exceed the width: an
//! `n × n` Gram alone could do neither.

use rayon::prelude::*;

use super::chunk::{with_rows, Chunk, Elem};
use super::gram::Precision;
use super::kernel;
use super::spectrum::Spectrum;
use super::{arg_err, zeros};
use crate::error::Result;

/// Raw valid rows, row-major, in the precision the streaming path would read them in.
#[derive(Clone, Debug)]
pub(crate) enum Kept {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

fn reserve<T>(v: &mut Vec<T>, extra: usize, d: usize) -> Result<()> {
    v.try_reserve(extra).map_err(|_| {
        arg_err(
            "chunk",
            format!(
                "cannot keep {} more rows of width {d} ({extra} values); create the accumulator with small_n=False",
                extra / d.max(1)
            ),
        )
    })
}

impl Kept {
    pub(crate) fn new(p: Precision) -> Self {
        match p {
            Precision::Fast => Kept::F32(Vec::new()),
            Precision::Exact => Kept::F64(Vec::new()),
        }
    }

    /// Rows held, for rows of width `d`.
    pub(crate) fn rows(&self, d: usize) -> usize {
        match self {
            Kept::F32(v) => v.len() / d.max(1),
            Kept::F64(v) => v.len() / d.max(1),
        }
    }

    /// Make room for `rows` more rows of width `d`; an error (nothing changed) when the memory
    /// is not there. After it, [`Kept::push_valid`] of that many rows cannot fail.
    pub(crate) fn reserve_rows(&mut self, rows: usize, d: usize) -> Result<()> {
        let extra = crate::limits::product("chunk", rows, d, "rows × width")?;
        match self {
            Kept::F32(v) => reserve(v, extra, d),
            Kept::F64(v) => reserve(v, extra, d),
        }
    }

    /// Append the rows of `chunk` flagged valid (reserve first).
    pub(crate) fn push_valid(&mut self, chunk: &Chunk<'_>, valid: &[bool]) {
        let d = chunk.ncols();
        match self {
            Kept::F32(v) => with_rows!(chunk.rows(), s => {
                for (row, ok) in s.chunks_exact(d).zip(valid) {
                    if *ok {
                        v.extend(row.iter().map(|x| x.f32()));
                    }
                }
            }),
            Kept::F64(v) => with_rows!(chunk.rows(), s => {
                for (row, ok) in s.chunks_exact(d).zip(valid) {
                    if *ok {
                        v.extend(row.iter().map(|x| x.f64()));
                    }
                }
            }),
        }
    }

    /// Append another set of kept rows (converted to this one's precision: an f64 row joining
    /// f32 rows is rounded once, as the fast streaming path would round it).
    pub(crate) fn extend(&mut self, other: &Kept, d: usize) -> Result<()> {
        self.reserve_rows(other.rows(d), d)?;
        match (self, other) {
            (Kept::F32(a), Kept::F32(b)) => a.extend_from_slice(b),
            (Kept::F64(a), Kept::F64(b)) => a.extend_from_slice(b),
            (Kept::F32(a), Kept::F64(b)) => a.extend(b.iter().map(|x| *x as f32)),
            (Kept::F64(a), Kept::F32(b)) => a.extend(b.iter().map(|x| *x as f64)),
        }
        Ok(())
    }

    /// The rows as a chunk (to replay them into the streaming Gram).
    pub(crate) fn chunk(&self, d: usize) -> Result<Chunk<'_>> {
        match self {
            Kept::F32(v) => Chunk::new(super::Rows::F32(v), v.len() / d, d),
            Kept::F64(v) => Chunk::new(super::Rows::F64(v), v.len() / d, d),
        }
    }

    /// Column means in f64 (columns in parallel, rows summed in order: thread-independent).
    pub(crate) fn mean(&self, d: usize) -> Vec<f64> {
        let n = self.rows(d);
        let mut m = vec![0.0; d];
        if n == 0 {
            return m;
        }
        fn sums<T: Elem>(s: &[T], d: usize, m: &mut [f64]) {
            m.par_chunks_mut(256).enumerate().for_each(|(b, out)| {
                let (c0, w) = (b * 256, out.len());
                for row in s.chunks_exact(d) {
                    for (o, v) in out.iter_mut().zip(&row[c0..c0 + w]) {
                        *o += v.f64();
                    }
                }
            });
        }
        match self {
            Kept::F32(v) => sums(v, d, &mut m),
            Kept::F64(v) => sums(v, d, &mut m),
        }
        let inv = 1.0 / n as f64;
        m.iter_mut().for_each(|v| *v *= inv);
        m
    }

    /// The rows in f64 (row-major `n × d`), minus their mean when `center`.
    pub(crate) fn matrix(&self, d: usize, center: bool) -> Result<Vec<f64>> {
        let n = self.rows(d);
        let mu = if center { self.mean(d) } else { vec![0.0; d] };
        let mut a = zeros(n * d, "dim", "the kept rows in f64")?;
        fn fill<T: Elem>(s: &[T], d: usize, mu: &[f64], a: &mut [f64]) {
            a.par_chunks_mut(d)
                .zip(s.par_chunks_exact(d))
                .with_min_len(16)
                .for_each(|(out, row)| {
                    for ((o, x), m) in out.iter_mut().zip(row).zip(mu) {
                        *o = x.f64() - m;
                    }
                });
        }
        match self {
            Kept::F32(v) => fill(v, d, &mu, &mut a),
            Kept::F64(v) => fill(v, d, &mu, &mut a),
        }
        Ok(a)
    }
}

/// Lower triangle (column-major `n × n`) of `A Aᵀ` for a row-major `n × d` matrix `a`.
pub(crate) fn row_gram(a: &[f64], n: usize, d: usize) -> Result<Vec<f64>> {
    let mut k = zeros(n * n, "dim", "the n × n Gram matrix")?;
    // Row-major `n × d` is column-major `d × n`, i.e. `Aᵀ`; the kernel forms `(Aᵀ)ᵀ Aᵀ`.
    kernel::gram_f64(a, d, n, &mut k);
    Ok(k)
}

/// Lower triangle (column-major `d × d`) of `Aᵀ A` for a row-major `n × d` matrix `a`.
pub(crate) fn col_gram(a: &[f64], n: usize, d: usize) -> Result<Vec<f64>> {
    // The kernel wants `A` column-major: transpose once (n·d, small next to the n·d² product).
    let mut t = zeros(n * d, "dim", "the kept rows, transposed")?;
    t.par_chunks_mut(n.max(1)).enumerate().for_each(|(j, col)| {
        for (i, o) in col.iter_mut().enumerate() {
            *o = a[i * d + j];
        }
    });
    let mut g = zeros(d * d, "dim", "the scatter matrix")?;
    kernel::gram_f64(&t, n, d, &mut g);
    Ok(g)
}

/// Mirror the lower triangle of a column-major `d × d` matrix into the upper one.
pub(crate) fn mirror(m: &mut [f64], d: usize) {
    // 64 × 64 tiles: a column-by-column mirror misses the cache on every write at large d.
    const T: usize = 64;
    for j0 in (0..d).step_by(T) {
        for i0 in (j0..d).step_by(T) {
            for j in j0..(j0 + T).min(d) {
                for i in i0.max(j + 1)..(i0 + T).min(d) {
                    m[i * d + j] = m[j * d + i];
                }
            }
        }
    }
}

impl Kept {
    /// Spectrum of the kept rows, from the smaller of the `n × n` and the `d × d` Gram.
    pub(crate) fn spectrum(&self, d: usize, skipped: u64, center: bool) -> Result<Spectrum> {
        let n = self.rows(d);
        let a = self.matrix(d, center)?;
        if n <= d {
            let k = row_gram(&a, n, d)?;
            drop(a);
            Spectrum::from_gram(k, n, d, n as u64, skipped, center)
        } else {
            let g = col_gram(&a, n, d)?;
            drop(a);
            Spectrum::from_gram(g, d, d, n as u64, skipped, center)
        }
    }

    /// `Σ (x − μ)(x − μ)ᵀ` (or `Σ x xᵀ`), the full symmetric column-major `d × d` matrix.
    pub(crate) fn scatter(&self, d: usize, center: bool) -> Result<Vec<f64>> {
        let n = self.rows(d);
        let a = self.matrix(d, center)?;
        let mut g = col_gram(&a, n, d)?;
        mirror(&mut g, d);
        Ok(g)
    }
}

/// `Σ_ij A_ij B_ij` over two symmetric matrices given by their lower triangles (column-major
/// `n × n`): off-diagonal entries count twice. Columns in parallel, each summed in order, and
/// the column sums added in order, so the result does not depend on the thread count.
pub(crate) fn sym_dot(a: &[f64], b: &[f64], n: usize) -> f64 {
    let cols: Vec<f64> = (0..n)
        .into_par_iter()
        .with_min_len(16)
        .map(|j| {
            let (ca, cb) = (&a[j * n + j..(j + 1) * n], &b[j * n + j..(j + 1) * n]);
            let off: f64 = ca[1..].iter().zip(&cb[1..]).map(|(x, y)| x * y).sum();
            ca[0] * cb[0] + 2.0 * off
        })
        .collect();
    cols.iter().sum()
}

/// Linear CKA of paired kept rows from their centred `n × n` Grams.
pub(crate) fn cka(x: &Kept, dx: usize, y: &Kept, dy: usize) -> Result<f64> {
    let n = x.rows(dx);
    debug_assert_eq!(n, y.rows(dy));
    let kx = row_gram(&x.matrix(dx, true)?, n, dx)?;
    let ky = row_gram(&y.matrix(dy, true)?, n, dy)?;
    let (fx, fy) = (sym_dot(&kx, &kx, n).sqrt(), sym_dot(&ky, &ky, n).sqrt());
    if fx == 0.0 || fy == 0.0 {
        return Err(arg_err(
            "accumulator",
            "one side's rows are all identical; CKA is undefined",
        ));
    }
    Ok(sym_dot(&kx, &ky, n) / (fx * fy))
}
