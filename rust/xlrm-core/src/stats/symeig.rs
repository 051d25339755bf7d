//! Eigenvalues of a dense symmetric matrix by two-stage tridiagonalisation.
//!
//! One-stage Householder tridiagonalisation (LAPACK `dsytrd`, faer's `tridiag`) spends half
//! of its flops in matrix–vector products that stream the whole trailing matrix from memory
//! once per column: for `d` in the thousands it runs at memory speed, and it was most of
//! `finalize()`'s time. Two stages put nearly all of the work into matrix products:
//!
//! 1. band reduction: a Householder QR of each panel of `b` columns below the band, its
//!    reflectors applied to the trailing matrix from both sides as one symmetric rank-`2b`
//!    update (lower triangle only);
//! 2. bulge chasing: the band, copied into compact band storage, is reduced to tridiagonal
//!    with reflectors of length `b` that touch only a few `b × b` blocks near the diagonal;
//!
//! then implicit QL iterations with Wilkinson shifts give the tridiagonal's eigenvalues.
//! Every step is an orthogonal similarity, so the method is backward stable like the
//! one-stage one. Matrix products split their output between threads, never a sum, so the
//! result does not depend on the thread count.

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

fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += alpha * x);
}

/// Stage 1: reduces the symmetric column-major `n × n` matrix whose lower triangle is in `a`
/// to a band of half-width `b` (lower triangle; the upper one is neither read nor kept).
fn band_reduce(a: &mut [f64], n: usize, b: usize) {
    let mut k = 0;
    while n > k + b + 1 {
        let m = n - k - b; // rows below the band
        let h = m.min(b); // reflectors in this panel
                          // The panel A[k+b.., k..k+b], copied contiguous, is factored P = Q R with
                          // Q = H₀ H₁ … = I − V T Vᵀ (V unit lower trapezoidal, T upper triangular).
        let mut p = vec![0.0; m * b];
        for c in 0..b {
            p[c * m..(c + 1) * m].copy_from_slice(&a[(k + c) * n + k + b..(k + c) * n + n]);
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
        // R (upper triangle of the factored panel) goes back into A, zeros below it.
        for c in 0..b {
            let col = &mut a[(k + c) * n + k + b..(k + c) * n + n];
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
        let vm = MatRef::from_column_major_slice(&v, m, h);
        let tm = MatRef::from_column_major_slice(&t, h, h);
        let off = (k + b) * n + (k + b); // A₂₂ = A[k+b.., k+b..]
        let w = tile_width(m);
        // Qᵀ A Q = A − V Wᵀ − W Vᵀ with X = A V T, M = Tᵀ Vᵀ X, W = X − ½ V M.
        // (A V)ᵀ one column block per task, from the lower triangle only.
        let mut yt = vec![0.0; h * m];
        {
            let a22 = MatRef::from_column_major_slice_with_stride(&a[off..], m, m, n);
            yt.par_chunks_mut(h * w).enumerate().for_each(|(i, block)| {
                let (s0, bw) = (i * w, block.len() / h);
                let e0 = s0 + bw;
                let mut dst = MatMut::from_column_major_slice_mut(block, h, bw);
                let diag = a22.submatrix(s0, s0, bw, bw);
                let vt = vm.transpose();
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
                    matmul(
                        dst.rb_mut(),
                        Accum::Add,
                        vt.subcols(0, s0),
                        left.transpose(),
                        1.0,
                        Par::Seq,
                    );
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
            });
        }
        // lhs = [V | W], rhs = [W | V]; W starts as X = Y T.
        let mut lhs = vec![0.0; m * 2 * h];
        lhs[..m * h].copy_from_slice(&v);
        matmul(
            MatMut::from_column_major_slice_mut(&mut lhs[m * h..], m, h),
            Accum::Replace,
            MatRef::from_column_major_slice(&yt, h, m).transpose(),
            tm,
            1.0,
            Par::Seq,
        );
        let mut vtx = vec![0.0; h * h];
        matmul(
            MatMut::from_column_major_slice_mut(&mut vtx, h, h),
            Accum::Replace,
            vm.transpose(),
            MatRef::from_column_major_slice(&lhs[m * h..], m, h),
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
        matmul(
            MatMut::from_column_major_slice_mut(&mut lhs[m * h..], m, h),
            Accum::Add,
            vm,
            MatRef::from_column_major_slice(&mm, h, h),
            -0.5,
            Par::Seq,
        );
        let mut rhs = vec![0.0; m * 2 * h];
        rhs[..m * h].copy_from_slice(&lhs[m * h..]);
        rhs[m * h..].copy_from_slice(&v);
        let lhs = MatRef::from_column_major_slice(&lhs, m, 2 * h);
        let rhs = MatRef::from_column_major_slice(&rhs, m, 2 * h);
        // A₂₂[lower] −= lhs rhsᵀ, one pair of column tiles per task (whole columns of `a`).
        paired_tiles(&mut a[(k + b) * n..], n, w, true)
            .into_par_iter()
            .for_each(|task| {
                for (c0, tile) in task {
                    let tw = tile.len() / n;
                    let col = MatMut::from_column_major_slice_mut(tile, n, tw);
                    let (_, below_diag) = col.split_at_row_mut(k + b + c0);
                    let (diag, below) = below_diag.split_at_row_mut(tw);
                    let r = rhs.subrows(c0, tw).transpose();
                    tri_matmul(
                        diag,
                        BlockStructure::TriangularLower,
                        Accum::Add,
                        lhs.subrows(c0, tw),
                        BlockStructure::Rectangular,
                        r,
                        BlockStructure::Rectangular,
                        -1.0,
                        Par::Seq,
                    );
                    if c0 + tw < m {
                        matmul(
                            below,
                            Accum::Add,
                            lhs.subrows(c0 + tw, m - c0 - tw),
                            r,
                            -1.0,
                            Par::Seq,
                        );
                    }
                }
            });
        k += b;
    }
}

/// A symmetric band matrix in compact storage: column `c` holds rows `c − w ..= c + w`
/// contiguously, so the short reflections of stage 2 touch adjacent memory.
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
    /// Both triangles of the band of half-width `b` of the lower-stored `a`, with room for
    /// entries up to `w` off the diagonal.
    fn from_lower(a: &[f64], n: usize, b: usize, w: usize) -> Self {
        let ld = 2 * w + 1;
        let mut data = vec![0.0; n * ld];
        for c in 0..n {
            for r in c..(c + b + 1).min(n) {
                let x = a[c * n + r];
                data[c * ld + w + r - c] = x;
                data[r * ld + w + c - r] = x;
            }
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
        self.data[c * (2 * self.w + 1) + self.w + r - c]
    }
}

impl BandView {
    fn at(&self, r: usize, c: usize) -> usize {
        let i = c * (2 * self.w + 1) + self.w + r - c;
        assert!(i < self.len, "band index out of range");
        i
    }

    /// Rows `r0..r1` of column `c` (all within `w` of `c`).
    #[allow(clippy::mut_from_ref)] // disjointness is the schedule's job, see the type's docs
    fn col(&self, c: usize, r0: usize, r1: usize) -> &mut [f64] {
        let start = self.at(r0, c);
        let end = self.at(r1 - 1, c) + 1;
        // SAFETY: in bounds (checked above); no other live slice overlaps it (see `Band`).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), end - start) }
    }

    fn get(&self, r: usize, c: usize) -> f64 {
        // SAFETY: in bounds (checked in `at`).
        unsafe { *self.ptr.add(self.at(r, c)) }
    }

    fn set(&self, r: usize, c: usize, x: f64) {
        // SAFETY: in bounds (checked in `at`); inside the calling step's window.
        unsafe { *self.ptr.add(self.at(r, c)) = x }
    }

    /// `A ← H A H` for `H = I − τ v vᵀ` on indices `r0..r0 + v.len()`, whose rows (and
    /// columns) are zero outside `lo..hi`.
    fn reflect(&self, r0: usize, v: &[f64], tau: f64, lo: usize, hi: usize, y: &mut [f64]) {
        let r1 = r0 + v.len();
        for c in lo..hi {
            let col = self.col(c, r0, r1);
            let s = dot(v, col);
            axpy(-tau * s, v, col);
        }
        let y = &mut y[..hi - lo];
        y.iter_mut().for_each(|s| *s = 0.0);
        for (t, &vt) in v.iter().enumerate() {
            axpy(vt, self.col(r0 + t, lo, hi), y);
        }
        for (t, &vt) in v.iter().enumerate() {
            axpy(-tau * vt, y, self.col(r0 + t, lo, hi));
        }
    }

    /// For tests: rows `r0..r1` are zero outside `lo..hi` (as far as the storage reaches).
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
            band.reflect(r0, &v[..len], tau, lo, hi, y);
        }
        band.set(r0, col, beta);
        band.set(col, r0, beta);
        for i in r0 + 1..r1 {
            band.set(i, col, 0.0);
            band.set(col, i, 0.0);
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
        let (mut v, mut y) = (vec![0.0; b], vec![0.0; 5 * b]);
        for j in 0..sweeps {
            sweep(&view, b, j, check_windows, &mut v, &mut y, |_| {}, |_| {});
        }
    } else {
        let progress: Vec<AtomicUsize> = (0..sweeps).map(|_| AtomicUsize::new(0)).collect();
        std::thread::scope(|scope| {
            for first in 0..2 {
                let (view, progress) = (&view, &progress);
                scope.spawn(move || {
                    let (mut v, mut y) = (vec![0.0; b], vec![0.0; 5 * b]);
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
                        sweep(view, b, j, false, &mut v, &mut y, wait, done);
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

/// `√(f² + g²)`; the plain formula unless squaring could overflow (hypot is several times slower).
fn norm2(f: f64, g: f64) -> f64 {
    if f.abs().max(g.abs()) < 1e150 {
        (f * f + g * g).sqrt()
    } else {
        f.hypot(g)
    }
}

/// Eigenvalues of the symmetric tridiagonal matrix (`d` diagonal, `e[i]` coupling `i` and
/// `i + 1`, `e[n − 1] = 0`) by implicit QL with Wilkinson shifts; unsorted, in `d`.
/// `Err(l)` if eigenvalue `l` did not converge.
fn tridiagonal_eigenvalues(d: &mut [f64], e: &mut [f64]) -> Result<(), usize> {
    let n = d.len();
    // Deflation is judged against the largest |dₗ| + |eₗ| seen so far (as EISPACK's tql1
    // does), not against the two neighbours alone: eigenvalues at rounding level (a low-rank
    // Gram matrix has many) would otherwise never count as converged.
    let mut scale = 0.0f64;
    for l in 0..n {
        scale = scale.max(d[l].abs() + e[l].abs());
        let mut iterations = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd.max(scale) {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > 60 {
                return Err(l);
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0f64, 1.0f64, 0.0f64);
            let mut deflated = false;
            let mut i = m;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let bb = c * e[i];
                r = norm2(f, g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * bb;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - bb;
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    Ok(())
}

fn eigenvalues_with(a: &mut [f64], n: usize, b: usize, check: bool) -> Result<Vec<f64>, usize> {
    assert_eq!(a.len(), n * n, "a must be n × n");
    band_reduce(a, n, b);
    let mut band = Band::from_lower(a, n, b, 3 * b);
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
            let mut seq = Band::from_lower(&a, n, b, 3 * b);
            let want = chase_bulges(&mut seq, b, true); // checked windows: one thread
            for _ in 0..5 {
                let mut par = Band::from_lower(&a, n, b, 3 * b);
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
        let mut a = random_symmetric(n, 1);
        let t = std::time::Instant::now();
        band_reduce(&mut a, n, b);
        eprintln!("n={n} b={b}: band {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let mut band = Band::from_lower(&a, n, b, 3 * b);
        let (mut d, mut e) = chase_bulges(&mut band, b, false);
        eprintln!("chase {:?}", t.elapsed());
        let t = std::time::Instant::now();
        tridiagonal_eigenvalues(&mut d, &mut e).unwrap();
        eprintln!("ql {:?}", t.elapsed());
    }
}
