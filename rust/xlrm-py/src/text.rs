//! `xlrm._core.text`: normalisation of string columns.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use xlrm_core::normalize::{self, NormalizeOptions};
use xlrm_core::StrColumn;

use crate::buffers::{slices, to_numpy};
use crate::errors::to_py;

fn options(
    nfkc: bool,
    casefold: bool,
    strip_punct: bool,
    fold_whitespace: bool,
) -> NormalizeOptions {
    NormalizeOptions {
        nfkc,
        casefold,
        strip_punct,
        fold_whitespace,
    }
}

/// Normalise a string column given as Arrow buffers; returns new buffers.
#[pyfunction]
#[pyo3(signature = (data, offsets, *, nfkc=true, casefold=true, strip_punct=false, fold_whitespace=true))]
#[allow(clippy::type_complexity)]
fn normalize_column<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    offsets: PyReadonlyArray1<'py, i64>,
    nfkc: bool,
    casefold: bool,
    strip_punct: bool,
    fold_whitespace: bool,
) -> PyResult<(Bound<'py, PyArray1<u8>>, Bound<'py, PyArray1<i64>>)> {
    let (d, o) = slices(&data, &offsets)?;
    let opts = options(nfkc, casefold, strip_punct, fold_whitespace);
    let out = py.detach(|| StrColumn::new(d, o).map(|c| normalize::normalize_column(&c, opts)));
    Ok(to_numpy(py, out.map_err(to_py)?))
}

/// Row-wise equality of two string columns after normalisation.
#[pyfunction]
#[pyo3(signature = (a_data, a_offsets, b_data, b_offsets, *, nfkc=false, casefold=false, strip_punct=false, fold_whitespace=true))]
#[allow(clippy::too_many_arguments)]
fn equal_normalized<'py>(
    py: Python<'py>,
    a_data: PyReadonlyArray1<'py, u8>,
    a_offsets: PyReadonlyArray1<'py, i64>,
    b_data: PyReadonlyArray1<'py, u8>,
    b_offsets: PyReadonlyArray1<'py, i64>,
    nfkc: bool,
    casefold: bool,
    strip_punct: bool,
    fold_whitespace: bool,
) -> PyResult<Bound<'py, PyArray1<bool>>> {
    let (ad, ao) = slices(&a_data, &a_offsets)?;
    let (bd, bo) = slices(&b_data, &b_offsets)?;
    let opts = options(nfkc, casefold, strip_punct, fold_whitespace);
    let out = py.detach(|| -> xlrm_core::Result<Vec<bool>> {
        let a = StrColumn::new(ad, ao)?;
        let b = StrColumn::new(bd, bo)?;
        if a.len() != b.len() {
            return Err(xlrm_core::Error::Argument {
                name: "b",
                message: format!("columns differ in length ({} vs {})", a.len(), b.len()),
            });
        }
        Ok(normalize::equal_normalized(&a, &b, opts))
    });
    Ok(PyArray1::from_vec(py, out.map_err(to_py)?))
}

pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "text")?;
    m.add_function(wrap_pyfunction!(normalize_column, &m)?)?;
    m.add_function(wrap_pyfunction!(equal_normalized, &m)?)?;
    parent.add_submodule(&m)?;
    Ok(())
}
