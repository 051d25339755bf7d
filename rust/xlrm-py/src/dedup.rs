//! `xlrm._core.dedup`: exact and near-duplicate removal and decontamination.
//!
//! A text field crosses as three numpy arrays: message contents as Arrow string buffers
//! (`data: uint8`, `offsets: int64`) and `row_offsets: int64` (n + 1) grouping messages
//! into rows. All heavy work runs with the GIL released, on a rayon pool of `threads`
//! threads (0: rayon's default).

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use xlrm_core::dedup::lsh::{optimal_params, LshParams};
use xlrm_core::dedup::minhash::MinHasher;
use xlrm_core::dedup::near::{near_duplicates, HashLists};
use xlrm_core::dedup::shingle::ShingleOptions;
use xlrm_core::dedup::{
    self as core, Chunk, DedupOptions, EvalPrompts, Field, Keep, Messages, Rows,
};
use xlrm_core::limits::with_threads;
use xlrm_core::normalize::NormalizeOptions;

use crate::args;
use crate::buffers::slices;
use crate::errors::{to_py, XlrmError};

/// One chunk of a field: message contents (`data`, `offsets`), `row_offsets`, and an optional
/// per-message skip mask.
type ChunkArrays<'py> = (
    PyReadonlyArray1<'py, u8>,
    PyReadonlyArray1<'py, i64>,
    PyReadonlyArray1<'py, i64>,
    Option<PyReadonlyArray1<'py, bool>>,
);
/// A field: its chunks, in row order.
type FieldArrays<'py> = Vec<ChunkArrays<'py>>;
type ChunkSlices<'a> = (&'a [u8], &'a [i64], &'a [i64], Option<&'a [bool]>);

fn field_slices<'a>(fields: &'a [FieldArrays<'_>]) -> PyResult<Vec<Vec<ChunkSlices<'a>>>> {
    fields
        .iter()
        .map(|chunks| {
            chunks
                .iter()
                .map(|(d, o, r, skip)| {
                    let (d, o) = slices(d, o)?;
                    let r = r.as_slice().map_err(|_| {
                        XlrmError::new_err("row_offsets must be a contiguous int64 array")
                    })?;
                    let skip = match skip {
                        Some(s) => Some(s.as_slice().map_err(|_| {
                            XlrmError::new_err("skip must be a contiguous bool array")
                        })?),
                        None => None,
                    };
                    Ok((d, o, r, skip))
                })
                .collect()
        })
        .collect()
}

/// Validates the buffers (offsets, UTF-8) and builds the core view. Runs without the GIL.
fn rows_of<'a>(fields: &[Vec<ChunkSlices<'a>>]) -> xlrm_core::Result<Rows<'a>> {
    let fs = fields
        .iter()
        .map(|chunks| {
            chunks
                .iter()
                .map(|&(d, o, r, skip)| Chunk::new(Messages::new(d, o)?, r, skip))
                .collect::<xlrm_core::Result<Vec<_>>>()
                .map(Field::new)
        })
        .collect::<xlrm_core::Result<Vec<_>>>()?;
    Rows::new(fs)
}

fn shingle_opts(
    word_ngram: usize,
    char_ngram: usize,
    nfkc: bool,
    casefold: bool,
) -> ShingleOptions {
    ShingleOptions {
        word_ngram,
        char_ngram,
        nfkc,
        casefold,
    }
}

fn lsh_of(bands: usize, rows: usize) -> PyResult<Option<LshParams>> {
    match (bands, rows) {
        (0, 0) => Ok(None),
        (b, r) if b > 0 && r > 0 => Ok(Some(LshParams { bands: b, rows: r })),
        (b, r) => Err(to_py(xlrm_core::Error::Argument {
            name: if b == 0 { "bands" } else { "rows" },
            message: format!(
                "got bands={b}, rows={r}; give both bands and rows, or neither (0) to pick them \
                 from the threshold"
            ),
        })),
    }
}

/// Decontaminate, then exact and near dedup. Returns a dict of per-row arrays (`kind`:
/// 0 kept, 1 exact, 2 near, 3 contamination; `reference`; `similarity`; `eval_set`) and the
/// LSH statistics.
#[pyfunction]
#[pyo3(signature = (fields, *, eval_fields=None, eval_set_index=None, priority=None, exact=true, near=true,
    threshold=0.8, num_perm=128, bands=0, rows=0, seed=1, keep="first", word_ngram=2, char_ngram=3,
    nfkc=true, casefold=true, strip_punct=false, fold_whitespace=true, threads=0))]
#[allow(clippy::too_many_arguments)]
fn dedup<'py>(
    py: Python<'py>,
    fields: Vec<FieldArrays<'py>>,
    eval_fields: Option<FieldArrays<'py>>,
    eval_set_index: Option<PyReadonlyArray1<'py, u32>>,
    priority: Option<PyReadonlyArray1<'py, f64>>,
    exact: bool,
    near: bool,
    threshold: f64,
    #[pyo3(from_py_with = args::num_perm)] num_perm: usize,
    #[pyo3(from_py_with = args::bands)] bands: usize,
    #[pyo3(from_py_with = args::rows)] rows: usize,
    #[pyo3(from_py_with = args::seed)] seed: u64,
    keep: &str,
    #[pyo3(from_py_with = args::word_ngram)] word_ngram: usize,
    #[pyo3(from_py_with = args::char_ngram)] char_ngram: usize,
    nfkc: bool,
    casefold: bool,
    strip_punct: bool,
    fold_whitespace: bool,
    #[pyo3(from_py_with = args::threads)] threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let keep = match keep {
        "first" => Keep::First,
        "longest" => Keep::Longest,
        "highest" => Keep::Highest,
        other => {
            return Err(XlrmError::new_err(format!(
                "keep must be first, longest or highest, got {other:?}"
            )))
        }
    };
    let opts = DedupOptions {
        norm: NormalizeOptions {
            nfkc,
            casefold,
            strip_punct,
            fold_whitespace,
        },
        shingle: shingle_opts(word_ngram, char_ngram, nfkc, casefold),
        exact,
        near,
        threshold,
        num_perm,
        lsh: lsh_of(bands, rows)?,
        seed,
        keep,
    };
    let fs = field_slices(&fields)?;
    let ef = match &eval_fields {
        Some(e) => Some(field_slices(std::slice::from_ref(e))?),
        None => None,
    };
    let esi = match &eval_set_index {
        Some(a) => Some(
            a.as_slice()
                .map_err(|_| XlrmError::new_err("eval_set_index must be contiguous uint32"))?,
        ),
        None => None,
    };
    if ef.is_some() != esi.is_some() {
        return Err(XlrmError::new_err(
            "give eval_fields and eval_set_index together",
        ));
    }
    let prio = match &priority {
        Some(a) => Some(
            a.as_slice()
                .map_err(|_| XlrmError::new_err("priority must be contiguous float64"))?,
        ),
        None => None,
    };
    let out = py
        .detach(|| {
            with_threads(threads, || -> xlrm_core::Result<core::Outcome> {
                let rows = rows_of(&fs)?;
                let eval = match (&ef, esi) {
                    (Some(e), Some(idx)) => Some(EvalPrompts {
                        prompts: rows_of(e)?,
                        set_index: idx,
                    }),
                    _ => None,
                };
                core::dedup(&rows, eval.as_ref(), prio, &opts)
            })
        })
        .map_err(to_py)?;
    let d = PyDict::new(py);
    d.set_item("kind", PyArray1::from_vec(py, out.kind))?;
    d.set_item("reference", PyArray1::from_vec(py, out.reference))?;
    d.set_item("similarity", PyArray1::from_vec(py, out.similarity))?;
    d.set_item("eval_set", PyArray1::from_vec(py, out.eval_set))?;
    d.set_item("bands", out.stats.bands)?;
    d.set_item("rows", out.stats.rows)?;
    d.set_item("candidate_pairs", out.stats.candidate_pairs)?;
    d.set_item("verified_pairs", out.stats.verified_pairs)?;
    Ok(d)
}

/// The exact-duplicate key (xxh3-128 of the canonical normalised row) of every row, as
/// `(high, low)` uint64 halves.
#[pyfunction]
#[pyo3(signature = (fields, *, nfkc=true, casefold=true, strip_punct=false, fold_whitespace=true, threads=0))]
#[allow(clippy::type_complexity)]
fn exact_keys<'py>(
    py: Python<'py>,
    fields: Vec<FieldArrays<'py>>,
    nfkc: bool,
    casefold: bool,
    strip_punct: bool,
    fold_whitespace: bool,
    #[pyo3(from_py_with = args::threads)] threads: usize,
) -> PyResult<(Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<u64>>)> {
    let fs = field_slices(&fields)?;
    let norm = NormalizeOptions {
        nfkc,
        casefold,
        strip_punct,
        fold_whitespace,
    };
    let keys = py
        .detach(|| with_threads(threads, || rows_of(&fs).map(|r| core::exact_keys(&r, norm))))
        .map_err(to_py)?;
    let hi = keys.iter().map(|k| (k >> 64) as u64).collect();
    let lo = keys.iter().map(|&k| k as u64).collect();
    Ok((PyArray1::from_vec(py, hi), PyArray1::from_vec(py, lo)))
}

/// MinHash signatures (`n × num_perm` uint32) and whether each row had any shingle.
#[pyfunction]
#[pyo3(signature = (fields, *, num_perm=128, seed=1, word_ngram=2, char_ngram=3, nfkc=true, casefold=true, threads=0))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn signatures<'py>(
    py: Python<'py>,
    fields: Vec<FieldArrays<'py>>,
    #[pyo3(from_py_with = args::num_perm)] num_perm: usize,
    #[pyo3(from_py_with = args::seed)] seed: u64,
    #[pyo3(from_py_with = args::word_ngram)] word_ngram: usize,
    #[pyo3(from_py_with = args::char_ngram)] char_ngram: usize,
    nfkc: bool,
    casefold: bool,
    #[pyo3(from_py_with = args::threads)] threads: usize,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyArray1<bool>>)> {
    let fs = field_slices(&fields)?;
    let opts = shingle_opts(word_ngram, char_ngram, nfkc, casefold);
    let (sigs, nonempty) = py
        .detach(|| {
            with_threads(threads, || {
                rows_of(&fs).and_then(|r| core::signatures(&r, opts, num_perm, seed))
            })
        })
        .map_err(to_py)?;
    let n = nonempty.len();
    let sigs = PyArray1::from_vec(py, sigs).reshape([n, num_perm])?;
    Ok((sigs.into_any(), PyArray1::from_vec(py, nonempty)))
}

/// Every row's distinct shingle hashes: `(hashes: uint64, offsets: int64)`.
#[pyfunction]
#[pyo3(signature = (fields, *, word_ngram=2, char_ngram=3, nfkc=true, casefold=true, threads=0))]
#[allow(clippy::type_complexity)]
fn shingle_hashes<'py>(
    py: Python<'py>,
    fields: Vec<FieldArrays<'py>>,
    #[pyo3(from_py_with = args::word_ngram)] word_ngram: usize,
    #[pyo3(from_py_with = args::char_ngram)] char_ngram: usize,
    nfkc: bool,
    casefold: bool,
    #[pyo3(from_py_with = args::threads)] threads: usize,
) -> PyResult<(Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<i64>>)> {
    let fs = field_slices(&fields)?;
    let opts = shingle_opts(word_ngram, char_ngram, nfkc, casefold);
    let (h, o) = py
        .detach(|| {
            with_threads(threads, || {
                rows_of(&fs).and_then(|r| core::shingle_hashes(&r, opts))
            })
        })
        .map_err(to_py)?;
    Ok((PyArray1::from_vec(py, h), PyArray1::from_vec(py, o)))
}

/// Near-duplicate clustering of pre-computed shingle hash lists (keep the first of each
/// cluster). Returns `(kind, reference, similarity, candidate_pairs, verified_pairs)`.
#[pyfunction]
#[pyo3(signature = (hashes, offsets, *, threshold=0.8, num_perm=128, bands=0, rows=0, seed=1, threads=0))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn near_from_hashes<'py>(
    py: Python<'py>,
    hashes: PyReadonlyArray1<'py, u64>,
    offsets: PyReadonlyArray1<'py, i64>,
    threshold: f64,
    #[pyo3(from_py_with = args::num_perm)] num_perm: usize,
    #[pyo3(from_py_with = args::bands)] bands: usize,
    #[pyo3(from_py_with = args::rows)] rows: usize,
    #[pyo3(from_py_with = args::seed)] seed: u64,
    #[pyo3(from_py_with = args::threads)] threads: usize,
) -> PyResult<(
    Bound<'py, PyArray1<u8>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f32>>,
    usize,
    usize,
)> {
    let h = hashes
        .as_slice()
        .map_err(|_| XlrmError::new_err("hashes must be a contiguous uint64 array"))?;
    let o = offsets
        .as_slice()
        .map_err(|_| XlrmError::new_err("offsets must be a contiguous int64 array"))?;
    if o.is_empty()
        || o[0] < 0
        || o.windows(2).any(|w| w[1] < w[0])
        || *o.last().unwrap() as u64 > h.len() as u64
    {
        return Err(XlrmError::new_err(
            "offsets must be n + 1 non-decreasing values within the hash array",
        ));
    }
    let opts = DedupOptions {
        threshold,
        num_perm,
        lsh: lsh_of(bands, rows)?,
        seed,
        ..Default::default()
    };
    let p = opts.validate().map_err(to_py)?;
    let m = MinHasher::new(num_perm, seed).map_err(to_py)?;
    let n = o.len() - 1;
    let res = py
        .detach(|| {
            with_threads(threads, || {
                near_duplicates(
                    &HashLists {
                        hashes: h,
                        offsets: o,
                    },
                    &m,
                    p,
                    threshold,
                    |_, _| false,
                )
            })
        })
        .map_err(to_py)?;
    let mut kind = vec![core::KEPT; n];
    let mut reference = vec![-1i64; n];
    let mut sim = vec![f32::NAN; n];
    for &(i, k, s) in &res.removed {
        kind[i as usize] = core::NEAR;
        reference[i as usize] = k as i64;
        sim[i as usize] = s;
    }
    Ok((
        PyArray1::from_vec(py, kind),
        PyArray1::from_vec(py, reference),
        PyArray1::from_vec(py, sim),
        res.candidate_pairs,
        res.verified_pairs,
    ))
}

/// `(bands, rows)` minimising the weighted false-positive / false-negative areas around
/// `threshold` (datasketch's choice at weight 0.5; xlrm's default weight is 0.95).
#[pyfunction]
#[pyo3(signature = (threshold, num_perm=128, false_negative_weight=0.95))]
fn lsh_params(
    threshold: f64,
    #[pyo3(from_py_with = args::num_perm)] num_perm: usize,
    false_negative_weight: f64,
) -> PyResult<(usize, usize)> {
    let p = optimal_params(threshold, num_perm, false_negative_weight).map_err(to_py)?;
    Ok((p.bands, p.rows))
}

pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "dedup")?;
    m.add_function(wrap_pyfunction!(dedup, &m)?)?;
    m.add_function(wrap_pyfunction!(exact_keys, &m)?)?;
    m.add_function(wrap_pyfunction!(signatures, &m)?)?;
    m.add_function(wrap_pyfunction!(shingle_hashes, &m)?)?;
    m.add_function(wrap_pyfunction!(near_from_hashes, &m)?)?;
    m.add_function(wrap_pyfunction!(lsh_params, &m)?)?;
    parent.add_submodule(&m)?;
    Ok(())
}
