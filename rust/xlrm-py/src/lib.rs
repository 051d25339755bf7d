//! The `xlrm._core` extension module. Only glue lives here: argument
//! conversion, GIL release around heavy work, and error mapping. Each Python
//! submodule has its own Rust file.

use pyo3::prelude::*;

mod args;
mod buffers;
mod dedup;
mod errors;
mod pack;
mod stats;
mod text;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("XlrmError", m.py().get_type::<errors::XlrmError>())?;
    text::register(m)?;
    pack::register(m)?;
    dedup::register(m)?;
    stats::register(m)?;
    Ok(())
}
