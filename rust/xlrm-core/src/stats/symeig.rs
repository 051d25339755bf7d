//! Eigenvalues of a dense symmetric matrix by two-stage tridiagonalisation.
//!
//! One-stage Householder tridiagonalisation (LAPACK `dsytrd`, faer's `tridiag`) spends half
//! of its flops in matrix–vector products that stream the whole trailing matrix from memory
//! once per column: for `d` in the thousands it runs at memory speed, and it was most of
//! `finalize()`'s time. Two stages put nearly all of the work into matrix products:
//!
//! 1. band reduction: a Householder QR of each panel of `b` columns below the band, its
//!    reflectors applied to the trailing matrix from both sides as one symmetric rank-`2b`
//!    update (lower triangle only); the next panel is factored while the rest of the update
//!    runs on the other threads;
//! 2. bulge chasing: the band, copied into compact (lower) band storage, is reduced to
//!    tridiagonal with reflectors of length `b` that touch only a few `b × b` blocks near
//!    the diagonal, two sweeps at a time;
//!
//! then root-free implicit QL iterations with Wilkinson shifts give the tridiagonal's
//! eigenvalues. Every step is an orthogonal similarity, so the method is backward stable like
//! the one-stage one. Matrix products split their output between threads, never a sum, so
//! the result does not depend on the thread count.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{matmul as tri_matmul, BlockStructure};
use faer::reborrow::ReborrowMut;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::kernel::{paired_tiles, tile_width};

/// Band half-width: wide enough for efficient matrix products in stage 1, narrow enough that
/// stage 2's `O(d² b)` work stays small.
pub const BAND: usize = 32;

/// Householder reflector `H = I − τ v vᵀ` (`v[0] = 1`) with `H x = (β, 0, …, 0)`. `x` is
/// overwritten with `v`; returns `(τ, β)`.
fn reflector(x: &mut [f64]) -> (f64, f64) {
    let alpha = x[0];
    let tail_max = x[1..].iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if tail_max == 0.0 {
        x[0] = 1.0;
        return (0.0, alpha);
    }
    let scale = tail_max.max(alpha.abs());
    let sum: f64 = x.iter().map(|v| (v / scale) * (v / scale)).sum();
    let norm = scale * sum.sqrt();
    let beta = if alpha >= 0.0 { -norm } else { norm };
    let tau = (beta - alpha) / beta;
    let inv = 1.0 / (alpha - beta);
    x[1..].iter_mut().for_each(|v| *v *= inv);
    x[0] = 1.0;
    (tau, beta)
}

/// Eight independent partial sums: a single running sum is bound by the latency of each
/// add (the compiler may not reorder floating-point sums), eight fill the vector units.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `dst += alpha · lhs · rhs` on one thread, by the `gemm` crate (faer's own dependency):
/// for the thin products of stage 1 (inner dimension 64, or a transposed row panel on the
/// right) it beat faer's `matmul` by ~15 % on the update and ~8 % on stage 1 as a whole, in
/// interleaved `stage_times` runs with a temporary switch between the two (2-core AVX2 machine).
fn gemm_add(dst: MatMut<'_, f64>, lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>, alpha: f64) {
    assert!(dst.nrows() == lhs.nrows() && dst.ncols() == rhs.ncols() && lhs.ncols() == rhs.nrows());
    // SAFETY: the three views are valid for their shapes and strides (faer guarantees it), the
    // shapes agree (checked above), and `dst` is borrowed mutably so it aliases neither input.
    unsafe {
        gemm::gemm(
            dst.nrows(),
            dst.ncols(),
            lhs.ncols(),
            dst.as_ptr_mut(),
            dst.col_stride(),
            dst.row_stride(),
            true,
            lhs.as_ptr(),
            lhs.col_stride(),
            lhs.row_stride(),
            rhs.as_ptr(),
            rhs.col_stride(),
            rhs.row_stride(),
            1.0,
            alpha,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += alpha * x);
}

/// One factored panel of stage 1: `Q = I − V T Vᵀ` (block Householder form) for the reflectors
/// that clear the `m × b` block below the band in columns `k..k + b`.
struct Panel {
    /// `m × h`, column-major, unit lower trapezoidal.
    v: Vec<f64>,
    /// `h × h`, column-major, upper triangular.
    t: Vec<f64>,
    m: usize,
    h: usize,
}

/// Householder QR of the panel `A[k + b.., k..k + b]`; `cols` holds columns `k..k + b` of the
/// column-major `n × n` matrix. `R` goes back into the panel (zeros below it).
fn factor_panel(cols: &mut [f64], n: usize, k: usize, b: usize) -> Panel {
    let m = n - k - b; // rows below the band
    let h = m.min(b); // reflectors in this panel
    let mut p = vec![0.0; m * b];
    for c in 0..b {
        p[c * m..(c + 1) * m].copy_from_slice(&cols[c * n + k + b..(c + 1) * n]);
    }
    let mut taus = vec![0.0; h];
    let mut betas = vec![0.0; h];
    for i in 0..h {
        let (head, tail) = p.split_at_mut((i + 1) * m);
        let vi = &mut head[i * m + i..];
        let (tau, beta) = reflector(vi);
        taus[i] = tau;
        betas[i] = beta;
        for c in 0..b - i - 1 {
            let col = &mut tail[c * m + i..(c + 1) * m];
            let s = dot(vi, col);
            axpy(-tau * s, vi, col);
        }
    }
    for c in 0..b {
        let col = &mut cols[c * n + k + b..(c + 1) * n];
        for (r, slot) in col.iter_mut().enumerate() {
            *slot = match r {
                r if r < c && r < h => p[c * m + r],
                r if r == c && r < h => betas[r],
                _ => 0.0,
            };
        }
    }
    let mut v = vec![0.0; m * h];
    for i in 0..h {
        v[i * m + i] = 1.0;
        v[i * m + i + 1..(i + 1) * m].copy_from_slice(&p[i * m + i + 1..(i + 1) * m]);
    }
    // T by the forward recurrence T[..i, i] = −τᵢ T[..i, ..i] (V[:, ..i]ᵀ vᵢ).
    let mut t = vec![0.0; h * h];
    for i in 0..h {
        t[i * h + i] = taus[i];
        let vi = &v[i * m + i..(i + 1) * m];
        let z: Vec<f64> = (0..i)
            .map(|s| dot(&v[s * m + i..(s + 1) * m], vi))
            .collect();
        for r in 0..i {
            let acc: f64 = (r..i).map(|s| t[s * h + r] * z[s]).sum();
            t[i * h + r] = -taus[i] * acc;
        }
    }
    Panel { v, t, m, h }
}

/// `X = A₂₂ V T` for the lower-stored trailing matrix `A₂₂` (`m × m` at `a22`, leading
/// dimension `n`), as `m × h` column-major. One block of rows of `X` per task: its rows of
/// `Vᵀ A₂₂` (from the lower triangle, the part above the diagonal block read transposed)
/// times `T`.
fn times_trailing(a22: MatRef<'_, f64>, panel: &Panel, w: usize) -> Vec<f64> {
    let (m, h) = (panel.m, panel.h);
    let vt = MatRef::from_column_major_slice(&panel.v, m, h).transpose();
    let tm = MatRef::from_column_major_slice(&panel.t, h, h);
    let mut x = vec![0.0; m * h];
    let blocks: Vec<(usize, usize)> = (0..m.div_ceil(w))
        .map(|i| (i * w, ((i + 1) * w).min(m)))
        .collect();
    let parts: Vec<Vec<f64>> = blocks
        .par_iter()
        .map(|&(s0, e0)| {
            let bw = e0 - s0;
            let mut yt = vec![0.0; h * bw];
            let mut dst = MatMut::from_column_major_slice_mut(&mut yt, h, bw);
            let diag = a22.submatrix(s0, s0, bw, bw);
            tri_matmul(
                dst.rb_mut(),
                BlockStructure::Rectangular,
                Accum::Replace,
                vt.subcols(s0, bw),
                BlockStructure::Rectangular,
                diag,
                BlockStructure::TriangularLower,
                1.0,
                Par::Seq,
            );
            tri_matmul(
                dst.rb_mut(),
                BlockStructure::Rectangular,
                Accum::Add,
                vt.subcols(s0, bw),
                BlockStructure::Rectangular,
                diag.transpose(),
                BlockStructure::StrictTriangularUpper,
                1.0,
                Par::Seq,
            );
            if s0 > 0 {
                let left = a22.submatrix(s0, 0, bw, s0); // A[block, ..s0], stored below the diagonal
                gemm_add(dst.rb_mut(), vt.subcols(0, s0), left.transpose(), 1.0);
            }
            if e0 < m {
                let below = a22.submatrix(e0, s0, m - e0, bw);
                matmul(
                    dst.rb_mut(),
                    Accum::Add,
                    vt.subcols(e0, m - e0),
                    below,
                    1.0,
                    Par::Seq,
                );
            }
            let mut xb = vec![0.0; bw * h];
            matmul(
                MatMut::from_column_major_slice_mut(&mut xb, bw, h),
                Accum::Replace,
                MatRef::from_column_major_slice(&yt, h, bw).transpose(),
                tm,
                1.0,
                Par::Seq,
            );
            xb
        })
        .collect();
    for (&(s0, e0), xb) in blocks.iter().zip(&parts) {
        let bw = e0 - s0;
        for c in 0..h {
            x[c * m + s0..c * m + e0].copy_from_slice(&xb[c * bw..(c + 1) * bw]);
        }
    }
    x
}

/// `A₂₂[lower] −= lhs rhsᵀ` on columns `c0..c0 + cols.len() / n` of `A₂₂`, where `cols` holds
/// those (whole) columns of `a` and `A₂₂` starts at row and column `top`; one pair of column
/// tiles per task.
fn update_trailing(
    cols: &mut [f64],
    n: usize,
    top: usize,
    c0: usize,
    lhs: MatRef<'_, f64>,
    rhs: MatRef<'_, f64>,
    w: usize,
) {
    let m = lhs.nrows();
    paired_tiles(cols, n, w, true)
        .into_par_iter()
        .for_each(|task| {
            for (off, tile) in task {
                let c = c0 + off;
                let tw = tile.len() / n;
                let col = MatMut::from_column_major_slice_mut(tile, n, tw);
                let (_, below_diag) = col.split_at_row_mut(top + c);
                let (diag, below) = below_diag.split_at_row_mut(tw);
                let r = rhs.subrows(c, tw).transpose();
                tri_matmul(
                    diag,
                    BlockStructure::TriangularLower,
                    Accum::Add,
                    lhs.subrows(c, tw),
                    BlockStructure::Rectangular,
                    r,
                    BlockStructure::Rectangular,
                    -1.0,
                    Par::Seq,
                );
                if c + tw < m {
                    gemm_add(below, lhs.subrows(c + tw, m - c - tw), r, -1.0);
                }
            }
        });
}

/// Stage 1: reduces the symmetric column-major `n × n` matrix whose lower triangle is in `a`
/// to a band of half-width `b` (lower triangle; the upper one is neither read nor kept).
///
/// Each step factors a panel of `b` columns and applies its reflectors to the trailing matrix
/// `A₂₂` from both sides, `Qᵀ A₂₂ Q = A₂₂ − V Wᵀ − W Vᵀ` with `X = A₂₂ V T`,
/// `W = X − ½ V (Tᵀ Vᵀ X)`. The panel factorisation is sequential, so the next panel's
/// columns are updated first and factored while the other threads update the rest.
fn band_reduce(a: &mut [f64], n: usize, b: usize) {
    if n <= b + 1 {
        return;
    }
    let mut k = 0;
    let mut panel = factor_panel(&mut a[..b * n], n, 0, b);
    loop {
        let (m, h) = (panel.m, panel.h);
        let w = tile_width(m);
        let top = k + b; // A₂₂ = A[top.., top..]
        let x = times_trailing(
            MatRef::from_column_major_slice_with_stride(&a[top * n + top..], m, m, n),
            &panel,
            w,
        );
        let vm = MatRef::from_column_major_slice(&panel.v, m, h);
        let tm = MatRef::from_column_major_slice(&panel.t, h, h);
        let mut vtx = vec![0.0; h * h];
        matmul(
            MatMut::from_column_major_slice_mut(&mut vtx, h, h),
            Accum::Replace,
            vm.transpose(),
            MatRef::from_column_major_slice(&x, m, h),
            1.0,
            Par::Seq,
        );
        let mut mm = vec![0.0; h * h];
        matmul(
            MatMut::from_column_major_slice_mut(&mut mm, h, h),
            Accum::Replace,
            tm.transpose(),
            MatRef::from_column_major_slice(&vtx, h, h),
            1.0,
            Par::Seq,
        );
        // lhs = [V | W], rhs = [W | V] with W = X − ½ V M.
        let mut lhs = vec![0.0; m * 2 * h];
        let mut rhs = vec![0.0; m * 2 * h];
        lhs[..m * h].copy_from_slice(&panel.v);
        lhs[m * h..].copy_from_slice(&x);
        matmul(
            MatMut::from_column_major_slice_mut(&mut lhs[m * h..], m, h),
            Accum::Add,
            vm,
            MatRef::from_column_major_slice(&mm, h, h),
            -0.5,
            Par::Seq,
        );
        rhs[..m * h].copy_from_slice(&lhs[m * h..]);
        rhs[m * h..].copy_from_slice(&panel.v);
        let lhs = MatRef::from_column_major_slice(&lhs, m, 2 * h);
        let rhs = MatRef::from_column_major_slice(&rhs, m, 2 * h);
        let trailing = &mut a[top * n..];
        if n <= top + b + 1 {
            update_trailing(trailing, n, top, 0, lhs, rhs, w);
            return;
        }
        let (next, rest) = trailing.split_at_mut(b * n);
        update_trailing(next, n, top, 0, lhs, rhs, b);
        let (next_panel, ()) = rayon::join(
            || factor_panel(next, n, top, b),
            || update_trailing(rest, n, top, b, lhs, rhs, w),
        );
        panel = next_panel;
        k = top;
    }
}

/// A symmetric band matrix in compact storage, lower triangle only: column `c` holds rows
/// `c ..= c + w` contiguously, so the short reflections of stage 2 touch adjacent memory.
///
/// Accessed through a raw pointer so that two sweeps of the bulge chase can work on it at
/// once: every access makes a short slice inside the window of the step that owns it, and
/// the schedule in [`chase_bulges`] keeps the windows of concurrent steps disjoint.
struct Band {
    n: usize,
    w: usize,
    data: Vec<f64>,
}

#[derive(Clone, Copy)]
struct BandView {
    n: usize,
    w: usize,
    ptr: *mut f64,
    len: usize,
}

// SAFETY: a BandView is only shared between the threads of `chase_bulges`, which touch
// disjoint windows of the storage (see the schedule there) and is not used after it returns.
unsafe impl Send for BandView {}
unsafe impl Sync for BandView {}

impl Band {
    /// The band of half-width `b` of the lower-stored `a`, with room for entries up to `w`
    /// below the diagonal.
    fn from_lower(a: &[f64], n: usize, b: usize, w: usize) -> Self {
        let mut data = vec![0.0; n * (w + 1)];
        for c in 0..n {
            let r1 = (c + b + 1).min(n);
            data[c * (w + 1)..c * (w + 1) + r1 - c].copy_from_slice(&a[c * n + c..c * n + r1]);
        }
        Band { n, w, data }
    }

    fn view(&mut self) -> BandView {
        BandView {
            n: self.n,
            w: self.w,
            ptr: self.data.as_mut_ptr(),
            len: self.data.len(),
        }
    }

    fn get(&self, r: usize, c: usize) -> f64 {
        self.data[c * (self.w + 1) + r - c]
    }
}

impl BandView {
    fn at(&self, r: usize, c: usize) -> usize {
        assert!(
            r >= c && r - c <= self.w,
            "({r}, {c}) is outside the stored band"
        );
        let i = c * (self.w + 1) + r - c;
        assert!(i < self.len, "band index out of range");
        i
    }

    /// Rows `r0..r1` of column `c` (`c ≤ r0`, `r1 − 1 ≤ c + w`).
    #[allow(clippy::mut_from_ref)] // disjointness is the schedule's job, see the type's docs
    fn col(&self, c: usize, r0: usize, r1: usize) -> &mut [f64] {
        let start = self.at(r0, c);
        let end = self.at(r1 - 1, c) + 1;
        // SAFETY: in bounds (checked above); no other live slice overlaps it (see `Band`).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), end - start) }
    }

    /// Entry `(r, c)` of the symmetric matrix (zero outside the stored band).
    fn get(&self, r: usize, c: usize) -> f64 {
        let (r, c) = (r.max(c), r.min(c));
        if r - c > self.w {
            return 0.0;
        }
        // SAFETY: in bounds (checked in `at`).
        unsafe { *self.ptr.add(self.at(r, c)) }
    }

    fn set(&self, r: usize, c: usize, x: f64) {
        // SAFETY: in bounds (checked in `at`); inside the calling step's window.
        unsafe { *self.ptr.add(self.at(r, c)) = x }
    }

    /// `A ← H A H` for `H = I − τ v vᵀ` on the indices `I = r0..r0 + v.len()`, where the rows
    /// of `I` are zero outside columns `col..hi`; column `col` itself is left to the caller.
    /// Only the lower triangle is updated, each part from the side that reaches it: the
    /// bulge `A[I, col + 1..r0]` from the left, the diagonal block `A[I, I]` from both sides
    /// (as a symmetric rank-2 update), and `A[I.end..hi, I]` from the right. That is half
    /// the flops of updating both triangles.
    #[allow(clippy::too_many_arguments)]
    fn reflect(
        &self,
        col: usize,
        r0: usize,
        v: &[f64],
        tau: f64,
        hi: usize,
        y: &mut [f64],
        z: &mut [f64],
    ) {
        let len = v.len();
        let r1 = r0 + len;
        for c in col + 1..r0 {
            let x = self.col(c, r0, r1);
            let s = dot(v, x);
            axpy(-tau * s, v, x);
        }
        // y = A[I, I] v from the lower triangle, then w = τ y − ½ τ² (vᵀ y) v and
        // A[I, I] −= v wᵀ + w vᵀ.
        let y = &mut y[..len];
        y.iter_mut().for_each(|s| *s = 0.0);
        for t in 0..len {
            let x = self.col(r0 + t, r0 + t, r1);
            y[t] += dot(x, &v[t..]);
            axpy(v[t], &x[1..], &mut y[t + 1..]);
        }
        let k = 0.5 * tau * tau * dot(v, y);
        y.iter_mut()
            .zip(v)
            .for_each(|(s, vt)| *s = tau * *s - k * vt);
        for t in 0..len {
            let x = self.col(r0 + t, r0 + t, r1);
            axpy(-y[t], &v[t..], x);
            axpy(-v[t], &y[t..], x);
        }
        if hi > r1 {
            let z = &mut z[..hi - r1];
            z.iter_mut().for_each(|s| *s = 0.0);
            for (t, &vt) in v.iter().enumerate() {
                axpy(vt, self.col(r0 + t, r1, hi), z);
            }
            for (t, &vt) in v.iter().enumerate() {
                axpy(-tau * vt, z, self.col(r0 + t, r1, hi));
            }
        }
    }

    /// For tests: rows `r0..r1` are zero outside columns `lo..hi` (as far as the band reaches).
    fn assert_window(&self, r0: usize, r1: usize, lo: usize, hi: usize) {
        for r in r0..r1 {
            for c in r.saturating_sub(self.w)..(r + self.w + 1).min(self.n) {
                if c < lo || c >= hi {
                    assert!(
                        self.get(r, c) == 0.0,
                        "fill at ({r}, {c}) outside the window {lo}..{hi}"
                    );
                }
            }
        }
    }
}

/// One sweep of the bulge chase: clears column `j` below its subdiagonal and chases the
/// bulge to the bottom. Step `k`'s window is `[j + 1 + (k − 1)b, j + 1 + (k + 2)b)`;
/// `before(k)` runs before step `k`, `after(k)` after it.
#[allow(clippy::too_many_arguments)]
fn sweep(
    band: &BandView,
    b: usize,
    j: usize,
    check_windows: bool,
    v: &mut [f64],
    y: &mut [f64],
    z: &mut [f64],
    mut before: impl FnMut(usize),
    mut after: impl FnMut(usize),
) {
    let n = band.n;
    let (mut col, mut r0, mut k) = (j, j + 1, 0);
    loop {
        let r1 = (r0 + b).min(n);
        if r1 <= r0 + 1 {
            break;
        }
        before(k);
        let len = r1 - r0;
        v[..len].copy_from_slice(band.col(col, r0, r1));
        let (tau, beta) = reflector(&mut v[..len]);
        if tau != 0.0 {
            let lo = col.max(j);
            let hi = (r1 + b).min(n);
            if check_windows {
                band.assert_window(r0, r1, lo, hi);
            }
            band.reflect(col, r0, &v[..len], tau, hi, y, z);
        }
        band.set(r0, col, beta);
        for i in r0 + 1..r1 {
            band.set(i, col, 0.0);
        }
        after(k);
        col = r0;
        r0 = col + b;
        k += 1;
    }
}

/// Steps sweep `j` must let sweep `j − 1` finish before its own step `k` may run: windows of
/// `(j − 1, k′)` and `(j, k)` are disjoint once `k′ ≥ k + LAG`.
const LAG: usize = 4;

/// Stage 2: band of half-width `b` → tridiagonal, by chasing bulges. Sweep `j` clears column
/// `j` below its subdiagonal; that reflector fills the block `b` rows further down, whose
/// first column the next reflector clears, and so on to the bottom. What a sweep leaves below
/// the band (less than `2b` off the diagonal) the next sweeps clear.
///
/// Two threads run alternate sweeps, sweep `j` at step `k` only once sweep `j − 1` has done
/// `k + LAG` steps: steps whose windows overlap run in the sequential order, so the result is
/// bit for bit the sequential one. Returns the diagonal and the subdiagonal (trailing 0).
fn chase_bulges(band: &mut Band, b: usize, check_windows: bool) -> (Vec<f64>, Vec<f64>) {
    let n = band.n;
    let sweeps = n.saturating_sub(2);
    let view = band.view();
    if check_windows || sweeps < 8 * b {
        let (mut v, mut y, mut z) = (vec![0.0; b], vec![0.0; b], vec![0.0; b]);
        for j in 0..sweeps {
            sweep(
                &view,
                b,
                j,
                check_windows,
                &mut v,
                &mut y,
                &mut z,
                |_| {},
                |_| {},
            );
        }
    } else {
        let progress: Vec<AtomicUsize> = (0..sweeps).map(|_| AtomicUsize::new(0)).collect();
        std::thread::scope(|scope| {
            for first in 0..2 {
                let (view, progress) = (&view, &progress);
                scope.spawn(move || {
                    let (mut v, mut y, mut z) = (vec![0.0; b], vec![0.0; b], vec![0.0; b]);
                    for j in (first..sweeps).step_by(2) {
                        let wait = |k: usize| {
                            if j > 0 {
                                let mut spins = 0u32;
                                while progress[j - 1].load(Ordering::Acquire) < k + LAG {
                                    spins += 1;
                                    if spins < 128 {
                                        std::hint::spin_loop();
                                    } else {
                                        std::thread::yield_now();
                                    }
                                }
                            }
                        };
                        let done = |k: usize| progress[j].store(k + 1, Ordering::Release);
                        sweep(view, b, j, false, &mut v, &mut y, &mut z, wait, done);
                        progress[j].store(usize::MAX, Ordering::Release);
                    }
                });
            }
        });
    }
    let diag = (0..n).map(|i| band.get(i, i)).collect();
    let mut off: Vec<f64> = (0..n.saturating_sub(1))
        .map(|i| band.get(i + 1, i))
        .collect();
    off.push(0.0);
    (diag, off)
}

/// Eigenvalues of the 2 × 2 symmetric matrix `[[a, b], [b, c]]`, the smaller one from the
/// determinant so that it keeps its relative accuracy.
fn eigenvalues_2x2(a: f64, b: f64, c: f64) -> (f64, f64) {
    let (sum, diff) = (a + c, (a - c).abs());
    let rt = diff.hypot(2.0 * b.abs());
    let (big, small) = if a.abs() > c.abs() { (a, c) } else { (c, a) };
    if sum == 0.0 {
        return (0.5 * rt, -0.5 * rt);
    }
    let rt1 = 0.5 * (sum + rt.copysign(sum));
    (rt1, (big / rt1) * small - (b / rt1) * b)
}

/// Eigenvalues of the symmetric tridiagonal matrix (`d` diagonal, `e[i]` coupling `i` and
/// `i + 1`, `e[n − 1] = 0`) by implicit QL with Wilkinson shifts in the root-free form of
/// Pal, Walker and Kahan (LAPACK's `dsterf`): it works on the squares of `e`, so a rotation
/// costs two divisions and no square root. Unsorted, in `d`; `e` is overwritten.
/// `Err(l)` if eigenvalue `l` did not converge.
fn tridiagonal_eigenvalues(d: &mut [f64], e: &mut [f64]) -> Result<(), usize> {
    let n = d.len();
    // Scaled to norm ≤ 1 so that the squares neither overflow nor lose the entries that matter.
    let norm = d.iter().chain(e.iter()).fold(0.0f64, |m, v| m.max(v.abs()));
    if norm == 0.0 || !norm.is_finite() {
        return if norm == 0.0 { Ok(()) } else { Err(0) };
    }
    let inv = 1.0 / norm;
    d.iter_mut().for_each(|v| *v *= inv);
    let e2 = e;
    e2.iter_mut().for_each(|v| *v = (*v * inv) * (*v * inv));
    let eps2 = f64::EPSILON * f64::EPSILON;
    // Deflation is judged against the largest |dₗ| + |eₗ| seen so far (as EISPACK's tql1
    // does), not against the two neighbours alone: eigenvalues at rounding level (a low-rank
    // Gram matrix has many) would otherwise never count as converged.
    let mut scale = 0.0f64;
    let mut l = 0;
    while l < n {
        scale = scale.max(d[l].abs() + e2[l].sqrt());
        let mut iterations = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let dd = (d[m].abs() + d[m + 1].abs()).max(scale);
                if e2[m] <= eps2 * dd * dd {
                    break;
                }
                m += 1;
            }
            if m < n - 1 {
                e2[m] = 0.0;
            }
            if m == l {
                break;
            }
            if m == l + 1 {
                let (r1, r2) = eigenvalues_2x2(d[l], e2[l].sqrt(), d[l + 1]);
                d[l] = r1;
                d[l + 1] = r2;
                e2[l] = 0.0;
                scale = scale.max(d[l + 1].abs());
                l += 1;
                break;
            }
            iterations += 1;
            if iterations > 60 {
                return Err(l);
            }
            let rte = e2[l].sqrt();
            let g = (d[l + 1] - d[l]) / (2.0 * rte);
            let r = g.hypot(1.0);
            let sigma = d[l] - rte / (g + r.copysign(g));
            let (mut c, mut s) = (1.0f64, 0.0f64);
            let mut gamma = d[m] - sigma;
            let mut p = gamma * gamma;
            for i in (l..m).rev() {
                let bb = e2[i];
                let r = p + bb;
                if i + 1 != m {
                    e2[i + 1] = s * r;
                }
                let oldc = c;
                c = p / r;
                s = bb / r;
                let oldgam = gamma;
                let alpha = d[i];
                gamma = c * (alpha - sigma) - s * oldgam;
                d[i + 1] = oldgam + (alpha - gamma);
                p = if c != 0.0 {
                    gamma * gamma / c
                } else {
                    oldc * bb
                };
            }
            e2[l] = s * p;
            d[l] = sigma + gamma;
        }
        l += 1;
    }
    d.iter_mut().for_each(|v| *v *= norm);
    Ok(())
}

fn eigenvalues_with(a: &mut [f64], n: usize, b: usize, check: bool) -> Result<Vec<f64>, usize> {
    assert_eq!(a.len(), n * n, "a must be n × n");
    band_reduce(a, n, b);
    let mut band = Band::from_lower(a, n, b, 2 * b);
    let (mut d, mut e) = chase_bulges(&mut band, b, check);
    tridiagonal_eigenvalues(&mut d, &mut e)?;
    d.sort_by(f64::total_cmp);
    Ok(d)
}

/// Ascending eigenvalues of the symmetric column-major `n × n` matrix whose lower triangle
/// is in `a` (overwritten). `Err(i)` if the QL iterations for eigenvalue `i` did not converge.
pub fn symmetric_eigenvalues_in_place(a: &mut [f64], n: usize) -> Result<Vec<f64>, usize> {
    eigenvalues_with(a, n, BAND, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_symmetric(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut a = vec![0.0; n * n];
        for c in 0..n {
            for r in c..n {
                let v = next();
                a[c * n + r] = v;
                a[r * n + c] = v;
            }
        }
        a
    }

    fn faer_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
        let m = MatRef::from_column_major_slice(a, n, n);
        let mut ev: Vec<f64> = m.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        ev.sort_by(f64::total_cmp);
        ev
    }

    #[test]
    fn matches_the_one_stage_method() {
        for &(n, b) in &[
            (1, 4),
            (2, 4),
            (3, 2),
            (5, 4),
            (9, 4),
            (17, 4),
            (33, 8),
            (40, 3),
            (64, 8),
            (100, 7),
            (130, 32),
        ] {
            let a = random_symmetric(n, n as u64 * 31 + b as u64);
            let want = faer_eigenvalues(&a, n);
            let mut work = a.clone();
            // the upper triangle must not be read
            for c in 1..n {
                for r in 0..c {
                    work[c * n + r] = f64::NAN;
                }
            }
            let got = eigenvalues_with(&mut work, n, b, true).unwrap();
            let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 1e-13 * scale * n as f64,
                    "n={n} b={b}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn handles_diagonal_low_rank_and_repeated_spectra() {
        let n = 70;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[i * n + i] = (i % 3) as f64;
        }
        let ev = symmetric_eigenvalues_in_place(&mut a.clone(), n).unwrap();
        let mut want: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
        want.sort_by(f64::total_cmp);
        assert_eq!(ev, want);
        // rank one: u uᵀ has eigenvalues |u|², 0, …, 0
        let u: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        for c in 0..n {
            for r in 0..n {
                a[c * n + r] = u[r] * u[c];
            }
        }
        let ev = symmetric_eigenvalues_in_place(&mut a, n).unwrap();
        let norm2: f64 = u.iter().map(|x| x * x).sum();
        assert!((ev[n - 1] - norm2).abs() < 1e-12 * norm2);
        assert!(ev[..n - 1].iter().all(|v| v.abs() < 1e-12 * norm2));
    }

    #[test]
    fn tridiagonal_matches_dense() {
        let cases: Vec<(Vec<f64>, Vec<f64>)> = vec![
            (vec![3.0], vec![0.0]),
            (vec![1.0, 1.0], vec![1e-3, 0.0]),
            (vec![2.0, -1.0, 4.0], vec![0.5, 0.0, 0.0]), // splits after the first 2 × 2
            (vec![1.0; 21], vec![1.0; 21]),              // equal diagonal
            (
                (0..30).map(|i| 10f64.powi(i / 3 - 5)).collect(),
                vec![1e-3; 30],
            ), // graded
            (
                (0..40).map(|i| (i as f64 * 0.7).sin()).collect(),
                (0..40)
                    .map(|i| if i % 7 == 3 { 0.0 } else { (i as f64).cos() })
                    .collect(),
            ),
            ((0..25).map(|i| -(i as f64)).collect(), vec![1e200; 25]), // squares would overflow unscaled
        ];
        for (d0, mut e0) in cases {
            let n = d0.len();
            e0[n - 1] = 0.0;
            let mut dense = vec![0.0; n * n];
            for i in 0..n {
                dense[i * n + i] = d0[i];
                if i + 1 < n {
                    dense[i * n + i + 1] = e0[i];
                    dense[(i + 1) * n + i] = e0[i];
                }
            }
            let want = faer_eigenvalues(&dense, n);
            let (mut d, mut e) = (d0.clone(), e0.clone());
            tridiagonal_eigenvalues(&mut d, &mut e).unwrap();
            d.sort_by(f64::total_cmp);
            let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (g, w) in d.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 1e-13 * scale * n as f64,
                    "n={n}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn same_result_with_threads() {
        let n = 700; // several tiles per panel
        let a = random_symmetric(n, 5);
        let with = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| symmetric_eigenvalues_in_place(&mut a.clone(), n).unwrap())
        };
        let one = with(1);
        assert_eq!(one, with(2));
        assert_eq!(one, with(3));
    }

    #[test]
    fn pipelined_chase_equals_the_sequential_one() {
        for &(n, b) in &[(40, 4), (90, 8), (200, 8), (400, 32)] {
            let mut a = random_symmetric(n, 7 + n as u64);
            band_reduce(&mut a, n, b);
            let mut seq = Band::from_lower(&a, n, b, 2 * b);
            let want = chase_bulges(&mut seq, b, true); // checked windows: one thread
            for _ in 0..5 {
                let mut par = Band::from_lower(&a, n, b, 2 * b);
                assert_eq!(chase_bulges(&mut par, b, false), want, "n={n} b={b}");
                assert_eq!(par.data, seq.data);
            }
        }
    }

    /// `cargo test --release -p xlrm-core stage_times -- --ignored --nocapture` (N, BAND env)
    #[test]
    #[ignore]
    fn stage_times() {
        let var = |k: &str, d: usize| std::env::var(k).map(|v| v.parse().unwrap()).unwrap_or(d);
        let (n, b) = (var("N", 2048), var("BAND", BAND));
        let mut best = [f64::INFINITY; 3];
        for _ in 0..var("REPS", 3) {
            let mut a = random_symmetric(n, 1);
            let t = std::time::Instant::now();
            band_reduce(&mut a, n, b);
            best[0] = best[0].min(t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            let mut band = Band::from_lower(&a, n, b, 2 * b);
            let (mut d, mut e) = chase_bulges(&mut band, b, false);
            best[1] = best[1].min(t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            tridiagonal_eigenvalues(&mut d, &mut e).unwrap();
            best[2] = best[2].min(t.elapsed().as_secs_f64());
        }
        let [band, chase, ql] = best;
        eprintln!("n={n} b={b}, best of runs: band {band:.3} s, chase {chase:.3} s, QL {ql:.3} s");
    }
}
