//! Blocked products `Zᵀ Z` and `Zxᵀ Zy` folded into f64 accumulators.
//!
//! `Z` is a column-major `rows × d` block of shifted hidden states (each
//! feature's values over the block's rows are contiguous, which is the layout
//! the GEMM micro-kernels stream best: measured 2× faster than row-major on
//! AVX2). The output
//! is split into column tiles of a width that depends only on `d`; each tile is
//! one sequential faer GEMM (AVX2/AVX-512 micro-kernels), and rayon runs the
//! tiles in parallel. Every output element is therefore produced by the same
//! sequence of floating-point operations whatever the thread count.
//!
//! Fast mode multiplies in f32 (one GEMM per block of rows into a tile-sized
//! f32 buffer) and adds the tile into the f64 state; exact mode multiplies f64
//! values straight into the f64 state.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{matmul as tri_matmul, BlockStructure};
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::chunk::Elem;

/// Column-tile width for a `d`-wide output.
pub(crate) fn tile_width(d: usize) -> usize {
    d.clamp(1, 256)
}

/// Split a column-major `nrows × ncols` buffer into column tiles and pair the
/// first with the last, the second with the second-to-last, … so that tasks
/// of a lower-triangular product cost about the same. Returns
/// `(first column, tile)` lists, one per task.
pub(crate) fn paired_tiles(
    buf: &mut [f64],
    nrows: usize,
    width: usize,
    pair: bool,
) -> Vec<Vec<(usize, &mut [f64])>> {
    let mut tiles: Vec<(usize, &mut [f64])> = buf
        .chunks_mut(nrows * width)
        .enumerate()
        .map(|(i, t)| (i * width, t))
        .collect();
    let mut tasks = Vec::with_capacity(tiles.len());
    if !pair {
        return tiles.into_iter().map(|t| vec![t]).collect();
    }
    while !tiles.is_empty() {
        let first = tiles.remove(0);
        let mut task = vec![first];
        if let Some(last) = tiles.pop() {
            task.push(last);
        }
        tasks.push(task);
    }
    tasks
}

/// `G[lower] += Zᵀ Z` for a column-major `rows × d` block `z` (f64 products).
pub(crate) fn gram_f64(z: &[f64], rows: usize, d: usize, g: &mut [f64]) {
    if rows == 0 {
        return;
    }
    let zc = MatRef::from_column_major_slice(z, rows, d);
    let w = tile_width(d);
    paired_tiles(g, d, w, true)
        .into_par_iter()
        .for_each(|task| {
            for (j0, tile) in task {
                let tw = tile.len() / d;
                let dst = MatMut::from_column_major_slice_mut(tile, d, tw);
                let (_, dst) = dst.split_at_row_mut(j0);
                let (diag, below) = dst.split_at_row_mut(tw);
                let rhs = zc.subcols(j0, tw);
                tri_matmul(
                    diag,
                    BlockStructure::TriangularLower,
                    Accum::Add,
                    rhs.transpose(),
                    BlockStructure::Rectangular,
                    rhs,
                    BlockStructure::Rectangular,
                    1.0,
                    Par::Seq,
                );
                if j0 + tw < d {
                    matmul(
                        below,
                        Accum::Add,
                        zc.subcols(j0 + tw, d - j0 - tw).transpose(),
                        rhs,
                        1.0,
                        Par::Seq,
                    );
                }
            }
        });
}

/// `G[lower] += Zᵀ Z` with f32 products: each tile is computed in f32 for
/// this block and then added into the f64 state.
pub(crate) fn gram_f32(z: &[f32], rows: usize, d: usize, g: &mut [f64]) {
    if rows == 0 {
        return;
    }
    let zc = MatRef::from_column_major_slice(z, rows, d);
    let w = tile_width(d);
    paired_tiles(g, d, w, true)
        .into_par_iter()
        .for_each(|task| {
            for (j0, tile) in task {
                let tw = tile.len() / d;
                let h = d - j0;
                // Every element read below is written by the products first (Replace).
                with_f32_scratch(h * tw, |tmp| {
                    {
                        let dst = MatMut::from_column_major_slice_mut(&mut *tmp, h, tw);
                        let (diag, below) = dst.split_at_row_mut(tw);
                        let rhs = zc.subcols(j0, tw);
                        tri_matmul(
                            diag,
                            BlockStructure::TriangularLower,
                            Accum::Replace,
                            rhs.transpose(),
                            BlockStructure::Rectangular,
                            rhs,
                            BlockStructure::Rectangular,
                            1.0f32,
                            Par::Seq,
                        );
                        if h > tw {
                            let lhs = zc.subcols(j0 + tw, h - tw).transpose();
                            matmul(below, Accum::Replace, lhs, rhs, 1.0f32, Par::Seq);
                        }
                    }
                    for c in 0..tw {
                        let col = &mut tile[c * d + j0 + c..(c + 1) * d];
                        let src = &tmp[c * h + c..(c + 1) * h];
                        for (o, s) in col.iter_mut().zip(src) {
                            *o += *s as f64;
                        }
                    }
                });
            }
        });
}

/// `C += Zxᵀ Zy` (column-major `dx × dy`), f64 products.
pub(crate) fn cross_f64(zx: &[f64], dx: usize, zy: &[f64], dy: usize, rows: usize, c: &mut [f64]) {
    if rows == 0 {
        return;
    }
    let xt = MatRef::from_column_major_slice(zx, rows, dx).transpose();
    let yc = MatRef::from_column_major_slice(zy, rows, dy);
    let w = tile_width(dy);
    paired_tiles(c, dx, w, false)
        .into_par_iter()
        .for_each(|task| {
            for (j0, tile) in task {
                let tw = tile.len() / dx;
                let dst = MatMut::from_column_major_slice_mut(tile, dx, tw);
                matmul(dst, Accum::Add, xt, yc.subcols(j0, tw), 1.0, Par::Seq);
            }
        });
}

/// `C += Zxᵀ Zy` with f32 products added per block into the f64 state.
pub(crate) fn cross_f32(zx: &[f32], dx: usize, zy: &[f32], dy: usize, rows: usize, c: &mut [f64]) {
    if rows == 0 {
        return;
    }
    let xt = MatRef::from_column_major_slice(zx, rows, dx).transpose();
    let yc = MatRef::from_column_major_slice(zy, rows, dy);
    let w = tile_width(dy);
    paired_tiles(c, dx, w, false)
        .into_par_iter()
        .for_each(|task| {
            for (j0, tile) in task {
                let tw = tile.len() / dx;
                with_f32_scratch(dx * tw, |tmp| {
                    let dst = MatMut::from_column_major_slice_mut(&mut *tmp, dx, tw);
                    matmul(
                        dst,
                        Accum::Replace,
                        xt,
                        yc.subcols(j0, tw),
                        1.0f32,
                        Par::Seq,
                    );
                    for (o, s) in tile.iter_mut().zip(tmp.iter()) {
                        *o += *s as f64;
                    }
                });
            }
        });
}

/// A block element: f32 (fast mode) or f64 (exact mode).
pub(crate) trait Acc:
    Copy + Default + Send + Sync + core::ops::Sub<Output = Self> + Into<f64>
{
    fn from_elem<T: Elem>(v: T) -> Self;
}
impl Acc for f32 {
    #[inline(always)]
    fn from_elem<T: Elem>(v: T) -> Self {
        v.f32()
    }
}
impl Acc for f64 {
    #[inline(always)]
    fn from_elem<T: Elem>(v: T) -> Self {
        v.f64()
    }
}

/// Write rows `r0..r0 + rows` of a row-major `_ × d` buffer `s`, minus the
/// shift `c` (already in the block's precision), into the column-major
/// `rows × d` block `z`, and the block's column sums (in f64, row order) into
/// `sums`; rows with `valid[r] == false` become zeros (they then add nothing
/// to any sum). Parallel over fixed groups of columns; each `RB × CB` tile is
/// converted row-wise (vectorised) into a small buffer and then written
/// column-wise.
pub(crate) fn fill_block<T: Elem, Z: Acc>(
    s: &[T],
    d: usize,
    r0: usize,
    valid: &[bool],
    c: &[Z],
    z: &mut [Z],
    sums: &mut [f64],
) {
    const CB: usize = 32;
    const RB: usize = 64;
    let rows = z.len() / d;
    if rows == 0 {
        return;
    }
    z.par_chunks_mut(CB * rows)
        .zip(sums.par_chunks_mut(CB))
        .enumerate()
        .for_each(|(b, (out, sum))| {
            let c0 = b * CB;
            let ncol = out.len() / rows;
            let shift = &c[c0..c0 + ncol];
            let mut tile = [Z::default(); RB * CB];
            for rb in (0..rows).step_by(RB) {
                let re = (rb + RB).min(rows);
                for r in rb..re {
                    let t = &mut tile[(r - rb) * CB..(r - rb) * CB + ncol];
                    let g = r0 + r;
                    if valid[g] {
                        let row = &s[g * d + c0..g * d + c0 + ncol];
                        for ((o, v), m) in t.iter_mut().zip(row).zip(shift) {
                            *o = Z::from_elem(*v) - *m;
                        }
                        for (acc, v) in sum.iter_mut().zip(t.iter()) {
                            *acc += (*v).into();
                        }
                    } else {
                        t.fill(Z::default());
                    }
                }
                for j in 0..ncol {
                    let col = &mut out[j * rows + rb..j * rows + re];
                    for (i, o) in col.iter_mut().enumerate() {
                        *o = tile[i * CB + j];
                    }
                }
            }
        });
}

thread_local! {
    /// Per-thread f32 tile buffer reused across blocks (no page faults per block).
    static TILE_F32: core::cell::RefCell<Vec<f32>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's f32 scratch of at least `len` elements.
fn with_f32_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    TILE_F32.with(|cell| match cell.try_borrow_mut() {
        Ok(mut v) => {
            if v.len() < len {
                v.resize(len, 0.0);
            }
            f(&mut v[..len])
        }
        Err(_) => f(&mut vec![0.0; len]),
    })
}
