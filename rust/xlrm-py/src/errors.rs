use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::PyErr;

create_exception!(
    _core,
    XlrmError,
    PyValueError,
    "Bad input rejected by the Rust core; the message says what, where and how to fix it."
);

/// Core errors become `XlrmError` (a `ValueError`), never panics.
pub fn to_py(e: xlrm_core::Error) -> PyErr {
    XlrmError::new_err(e.to_string())
}
