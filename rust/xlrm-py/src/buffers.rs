//! Arrow-layout string columns from numpy buffers (`data: uint8`,
//! `offsets: int64`), and the way back. Python gets these buffers zero-copy
//! from a pyarrow `large_string` array (see `xlrm._buffers`).

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::errors::XlrmError;

pub fn slices<'a>(
    data: &'a PyReadonlyArray1<'_, u8>,
    offsets: &'a PyReadonlyArray1<'_, i64>,
) -> PyResult<(&'a [u8], &'a [i64])> {
    let d = data
        .as_slice()
        .map_err(|_| XlrmError::new_err("data buffer must be a contiguous uint8 array"))?;
    let o = offsets
        .as_slice()
        .map_err(|_| XlrmError::new_err("offsets must be a contiguous int64 array"))?;
    Ok((d, o))
}

pub fn to_numpy<'py>(
    py: Python<'py>,
    (data, offsets): (Vec<u8>, Vec<i64>),
) -> (Bound<'py, PyArray1<u8>>, Bound<'py, PyArray1<i64>>) {
    (
        PyArray1::from_vec(py, data),
        PyArray1::from_vec(py, offsets),
    )
}
