//! `xlrm._core.pack`: best-fit-decreasing packing, packed rows, rank
//! balancing and pair truncation over token columns given as numpy buffers
//! (`values`: int32 or int64, `offsets`: int64, the Arrow list layout).

use numpy::{Element, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use xlrm_core::pack::truncate::{truncate_pairs as core_truncate, TruncateOptions};
use xlrm_core::pack::{self, Balance, Oversize, PackOptions, PackResult, TokColumn, Token};

use crate::args;
use crate::errors::{to_py, XlrmError};

fn lengths_vec(lengths: &PyReadonlyArray1<'_, i64>, name: &str) -> PyResult<Vec<u64>> {
    let s = lengths
        .as_slice()
        .map_err(|_| XlrmError::new_err(format!("{name} must be a contiguous int64 array")))?;
    s.iter()
        .enumerate()
        .map(|(i, &l)| {
            u64::try_from(l).map_err(|_| {
                XlrmError::new_err(format!(
                    "{name}[{i}] is negative ({l}); token counts are 0 or more"
                ))
            })
        })
        .collect()
}

fn slice<'a, T: Element>(a: &'a PyReadonlyArray1<'_, T>, what: &str) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| XlrmError::new_err(format!("{what} must be a contiguous array")))
}

fn options(
    capacity: u64,
    oversize: &str,
    ranks: Option<usize>,
    per_rank: usize,
    seed: Option<u64>,
) -> PyResult<PackOptions> {
    Ok(PackOptions {
        capacity,
        oversize: Oversize::parse(oversize).map_err(to_py)?,
        ranks,
        per_rank,
        seed,
    })
}

fn balance_into(d: &Bound<'_, PyDict>, b: Balance) -> PyResult<()> {
    let py = d.py();
    d.set_item("order", PyArray1::from_vec(py, b.order))?;
    d.set_item("rank_of", PyArray1::from_vec(py, b.rank_of))?;
    d.set_item("step_of", PyArray1::from_vec(py, b.step_of))?;
    d.set_item("n_steps", b.n_steps)?;
    d.set_item("rank_tokens", PyArray1::from_vec(py, b.rank_tokens))?;
    d.set_item("total_ratio", b.total_ratio)?;
    d.set_item("worst_step_ratio", b.worst_step_ratio)?;
    d.set_item("mean_step_ratio", b.mean_step_ratio)?;
    Ok(())
}

fn result_dict<'py, T: Token + Element>(
    py: Python<'py>,
    r: PackResult<T>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let p = r.packed;
    d.set_item("bin_of", PyArray1::from_vec(py, r.bins.bin_of))?;
    d.set_item("loads", PyArray1::from_vec(py, r.bins.loads))?;
    d.set_item("n_dropped", r.bins.n_dropped)?;
    d.set_item("input_ids", PyArray1::from_vec(py, p.input_ids))?;
    d.set_item("position_ids", PyArray1::from_vec(py, p.position_ids))?;
    d.set_item("token_offsets", PyArray1::from_vec(py, p.token_offsets))?;
    d.set_item("seq_lengths", PyArray1::from_vec(py, p.seq_lengths))?;
    d.set_item("last_index", PyArray1::from_vec(py, p.last_index))?;
    d.set_item("seq_index", PyArray1::from_vec(py, p.seq_index))?;
    d.set_item("seq_offsets", PyArray1::from_vec(py, p.seq_offsets))?;
    d.set_item("cu_seqlens", PyArray1::from_vec(py, p.cu_seqlens))?;
    if let Some(b) = r.balance {
        let bd = PyDict::new(py);
        balance_into(&bd, b)?;
        d.set_item("balance", bd)?;
    }
    Ok(d)
}

/// Best-fit-decreasing bin ids for `lengths` (input order; -1 = dropped) and the bin loads.
#[pyfunction]
#[pyo3(signature = (lengths, capacity, *, oversize="error"))]
#[allow(clippy::type_complexity)]
fn bfd<'py>(
    py: Python<'py>,
    lengths: PyReadonlyArray1<'py, i64>,
    #[pyo3(from_py_with = args::capacity)] capacity: u64,
    oversize: &str,
) -> PyResult<(Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<u64>>, usize)> {
    let lens = lengths_vec(&lengths, "lengths")?;
    let ov = Oversize::parse(oversize).map_err(to_py)?;
    let b = py
        .detach(|| pack::bfd(&lens, capacity, ov))
        .map_err(to_py)?;
    Ok((
        PyArray1::from_vec(py, b.bin_of),
        PyArray1::from_vec(py, b.loads),
        b.n_dropped,
    ))
}

/// Orders bins with `loads` tokens for `ranks` ranks taking `per_rank` bins per step.
#[pyfunction]
#[pyo3(signature = (loads, ranks, per_rank=1, *, seed=None))]
fn balance<'py>(
    py: Python<'py>,
    loads: PyReadonlyArray1<'py, i64>,
    #[pyo3(from_py_with = args::ranks)] ranks: usize,
    #[pyo3(from_py_with = args::per_rank)] per_rank: usize,
    #[pyo3(from_py_with = args::seed)] seed: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let l = lengths_vec(&loads, "loads")?;
    let b = py
        .detach(|| pack::balance(&l, ranks, per_rank, seed))
        .map_err(to_py)?;
    let d = PyDict::new(py);
    balance_into(&d, b)?;
    Ok(d)
}

fn pack_sequences_t<'py, T: Token + Element>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    offsets: &PyReadonlyArray1<'py, i64>,
    o: &PackOptions,
) -> PyResult<Bound<'py, PyDict>> {
    let v: PyReadonlyArray1<'py, T> = values.extract()?;
    let (vs, os) = (slice(&v, "values")?, slice(offsets, "offsets")?);
    let r =
        py.detach(|| TokColumn::new(vs, os, "values").and_then(|c| pack::pack_sequences(&c, o)));
    result_dict(py, r.map_err(to_py)?)
}

fn is_i32(values: &Bound<'_, PyAny>) -> bool {
    values.extract::<PyReadonlyArray1<'_, i32>>().is_ok()
}

fn check_tokens(values: &Bound<'_, PyAny>, name: &str) -> PyResult<()> {
    if is_i32(values) || values.extract::<PyReadonlyArray1<'_, i64>>().is_ok() {
        Ok(())
    } else {
        Err(XlrmError::new_err(format!(
            "{name} must be a 1-D int32 or int64 numpy array of token ids"
        )))
    }
}

/// Packs one token column (values + offsets) into rows of `capacity` tokens.
#[pyfunction]
#[pyo3(signature = (values, offsets, capacity, *, oversize="error", ranks=None, per_rank=1, seed=None))]
#[allow(clippy::too_many_arguments)]
fn pack_sequences<'py>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    offsets: PyReadonlyArray1<'py, i64>,
    #[pyo3(from_py_with = args::capacity)] capacity: u64,
    oversize: &str,
    #[pyo3(from_py_with = args::ranks)] ranks: Option<usize>,
    #[pyo3(from_py_with = args::per_rank)] per_rank: usize,
    #[pyo3(from_py_with = args::seed)] seed: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    check_tokens(values, "values")?;
    let o = options(capacity, oversize, ranks, per_rank, seed)?;
    if is_i32(values) {
        pack_sequences_t::<i32>(py, values, &offsets, &o)
    } else {
        pack_sequences_t::<i64>(py, values, &offsets, &o)
    }
}

fn pack_pairs_t<'py, T: Token + Element>(
    py: Python<'py>,
    c: (&Bound<'py, PyAny>, &PyReadonlyArray1<'py, i64>),
    r: (&Bound<'py, PyAny>, &PyReadonlyArray1<'py, i64>),
    o: &PackOptions,
) -> PyResult<Bound<'py, PyDict>> {
    let cv: PyReadonlyArray1<'py, T> = c.0.extract()?;
    let rv: PyReadonlyArray1<'py, T> = r.0.extract()?;
    let (cs, co) = (slice(&cv, "chosen values")?, slice(c.1, "chosen offsets")?);
    let (rs, ro) = (
        slice(&rv, "rejected values")?,
        slice(r.1, "rejected offsets")?,
    );
    let res = py.detach(|| {
        let c = TokColumn::new(cs, co, "chosen")?;
        let r = TokColumn::new(rs, ro, "rejected")?;
        pack::pack_pairs(&c, &r, o)
    });
    result_dict(py, res.map_err(to_py)?)
}

/// Packs preference pairs (chosen and rejected of a pair in the same row).
#[pyfunction]
#[pyo3(signature = (chosen_values, chosen_offsets, rejected_values, rejected_offsets, capacity, *, oversize="error", ranks=None, per_rank=1, seed=None))]
#[allow(clippy::too_many_arguments)]
fn pack_pairs<'py>(
    py: Python<'py>,
    chosen_values: &Bound<'py, PyAny>,
    chosen_offsets: PyReadonlyArray1<'py, i64>,
    rejected_values: &Bound<'py, PyAny>,
    rejected_offsets: PyReadonlyArray1<'py, i64>,
    #[pyo3(from_py_with = args::capacity)] capacity: u64,
    oversize: &str,
    #[pyo3(from_py_with = args::ranks)] ranks: Option<usize>,
    #[pyo3(from_py_with = args::per_rank)] per_rank: usize,
    #[pyo3(from_py_with = args::seed)] seed: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    check_tokens(chosen_values, "chosen_values")?;
    check_tokens(rejected_values, "rejected_values")?;
    if is_i32(chosen_values) != is_i32(rejected_values) {
        return Err(XlrmError::new_err(
            "chosen and rejected token arrays must have the same dtype",
        ));
    }
    let o = options(capacity, oversize, ranks, per_rank, seed)?;
    let c = (chosen_values, &chosen_offsets);
    let r = (rejected_values, &rejected_offsets);
    if is_i32(chosen_values) {
        pack_pairs_t::<i32>(py, c, r, &o)
    } else {
        pack_pairs_t::<i64>(py, c, r, &o)
    }
}

type Col<'a, 'py> = (&'a Bound<'py, PyAny>, &'a PyReadonlyArray1<'py, i64>);

fn truncate_t<'py, T: Token + Element>(
    py: Python<'py>,
    cols: [Col<'_, 'py>; 3],
    opts: &TruncateOptions,
) -> PyResult<Bound<'py, PyDict>> {
    let pv: PyReadonlyArray1<'py, T> = cols[0].0.extract()?;
    let cv: PyReadonlyArray1<'py, T> = cols[1].0.extract()?;
    let rv: PyReadonlyArray1<'py, T> = cols[2].0.extract()?;
    let (ps, po) = (
        slice(&pv, "prompt values")?,
        slice(cols[0].1, "prompt offsets")?,
    );
    let (cs, co) = (
        slice(&cv, "chosen values")?,
        slice(cols[1].1, "chosen offsets")?,
    );
    let (rs, ro) = (
        slice(&rv, "rejected values")?,
        slice(cols[2].1, "rejected offsets")?,
    );
    let t = py
        .detach(|| {
            let p = TokColumn::new(ps, po, "prompt")?;
            let c = TokColumn::new(cs, co, "chosen")?;
            let r = TokColumn::new(rs, ro, "rejected")?;
            core_truncate(&p, &c, &r, opts)
        })
        .map_err(to_py)?;
    let d = PyDict::new(py);
    d.set_item("chosen_values", PyArray1::from_vec(py, t.chosen.0))?;
    d.set_item("chosen_offsets", PyArray1::from_vec(py, t.chosen.1))?;
    d.set_item("rejected_values", PyArray1::from_vec(py, t.rejected.0))?;
    d.set_item("rejected_offsets", PyArray1::from_vec(py, t.rejected.1))?;
    d.set_item("status", PyArray1::from_vec(py, t.status))?;
    d.set_item("prompt_removed", PyArray1::from_vec(py, t.prompt_removed))?;
    Ok(d)
}

/// Applies length limits to pairs without changing what they compare (see
/// `xlrm_core::pack::truncate`); returns the kept rows and a status per pair.
#[pyfunction]
#[pyo3(signature = (prompt_values, prompt_offsets, chosen_values, chosen_offsets, rejected_values, rejected_offsets, *, max_length, min_prompt=0, keep_head=0, truncate_responses=false))]
#[allow(clippy::too_many_arguments)]
fn truncate_pairs<'py>(
    py: Python<'py>,
    prompt_values: &Bound<'py, PyAny>,
    prompt_offsets: PyReadonlyArray1<'py, i64>,
    chosen_values: &Bound<'py, PyAny>,
    chosen_offsets: PyReadonlyArray1<'py, i64>,
    rejected_values: &Bound<'py, PyAny>,
    rejected_offsets: PyReadonlyArray1<'py, i64>,
    #[pyo3(from_py_with = args::max_length)] max_length: usize,
    #[pyo3(from_py_with = args::min_prompt)] min_prompt: usize,
    #[pyo3(from_py_with = args::keep_head)] keep_head: usize,
    truncate_responses: bool,
) -> PyResult<Bound<'py, PyDict>> {
    for (v, name) in [
        (prompt_values, "prompt_values"),
        (chosen_values, "chosen_values"),
        (rejected_values, "rejected_values"),
    ] {
        check_tokens(v, name)?;
    }
    let i32s = [prompt_values, chosen_values, rejected_values].map(is_i32);
    if i32s.iter().any(|&b| b != i32s[0]) {
        return Err(XlrmError::new_err(
            "prompt, chosen and rejected token arrays must have the same dtype",
        ));
    }
    let opts = TruncateOptions {
        max_length,
        min_prompt,
        keep_head,
        truncate_responses,
    };
    let cols = [
        (prompt_values, &prompt_offsets),
        (chosen_values, &chosen_offsets),
        (rejected_values, &rejected_offsets),
    ];
    if i32s[0] {
        truncate_t::<i32>(py, cols, &opts)
    } else {
        truncate_t::<i64>(py, cols, &opts)
    }
}

pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "pack")?;
    m.add_function(wrap_pyfunction!(bfd, &m)?)?;
    m.add_function(wrap_pyfunction!(balance, &m)?)?;
    m.add_function(wrap_pyfunction!(pack_sequences, &m)?)?;
    m.add_function(wrap_pyfunction!(pack_pairs, &m)?)?;
    m.add_function(wrap_pyfunction!(truncate_pairs, &m)?)?;
    parent.add_submodule(&m)?;
    Ok(())
}
