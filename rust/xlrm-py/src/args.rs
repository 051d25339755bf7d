//! Integer arguments, read as Python gave them.
//!
//! pyo3's own `usize` / `u64` extraction turns `-1` or `10**30` into an `OverflowError` that
//! does not say which argument was wrong, and is no `XlrmError`. The extractors here (for
//! `#[pyo3(from_py_with = args::NAME)]`, one per argument name so the message can name it)
//! read any Python int, including numpy integers, and reject values outside the Rust type with
//! an `XlrmError` naming the argument, its value and the accepted range. Each argument's own
//! upper bound (`ranks`, `bins`, `num_perm`, …) is then checked by the core.

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;

use crate::errors::to_py;

/// A Rust integer type an argument can be read into (`Option` for arguments that take None).
pub trait IntArg: Sized {
    fn read(obj: &Bound<'_, PyAny>, name: &'static str) -> PyResult<Self>;
}

/// `value`, written for a message: digits when short, the bit length when not (and always
/// without tripping Python's limit on int → str conversion).
fn describe(obj: &Bound<'_, PyAny>) -> String {
    let text = obj.str().map(|s| s.to_string()).ok();
    match text {
        Some(t) if t.len() <= 40 => t,
        _ => match obj
            .call_method0("bit_length")
            .and_then(|b| b.extract::<u64>())
        {
            Ok(bits) => format!("an integer of {bits} bits"),
            Err(_) => "an integer too large to print".into(),
        },
    }
}

fn out_of_range(name: &'static str, got: String, max: u128) -> PyErr {
    to_py(xlrm_core::Error::Argument {
        name,
        message: format!("must be a whole number from 0 to {max}, got {got}"),
    })
}

fn unsigned<T: TryFrom<i128>>(
    obj: &Bound<'_, PyAny>,
    name: &'static str,
    max: u128,
) -> PyResult<T> {
    let py = obj.py();
    let v = match obj.extract::<i128>() {
        Ok(v) => v,
        Err(e) if e.is_instance_of::<PyOverflowError>(py) => {
            return Err(out_of_range(name, describe(obj), max))
        }
        Err(e) if e.is_instance_of::<PyTypeError>(py) => {
            let ty = obj
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".into());
            return Err(PyTypeError::new_err(format!(
                "invalid argument `{name}`: expected an int, got {ty}"
            )));
        }
        Err(e) => return Err(e),
    };
    T::try_from(v).map_err(|_| out_of_range(name, v.to_string(), max))
}

impl IntArg for usize {
    fn read(obj: &Bound<'_, PyAny>, name: &'static str) -> PyResult<Self> {
        unsigned(obj, name, usize::MAX as u128)
    }
}

impl IntArg for u64 {
    fn read(obj: &Bound<'_, PyAny>, name: &'static str) -> PyResult<Self> {
        unsigned(obj, name, u64::MAX as u128)
    }
}

impl<T: IntArg> IntArg for Option<T> {
    fn read(obj: &Bound<'_, PyAny>, name: &'static str) -> PyResult<Self> {
        if obj.is_none() {
            Ok(None)
        } else {
            T::read(obj, name).map(Some)
        }
    }
}

/// One extractor per argument name: `from_py_with` passes no name, so it lives in the function.
macro_rules! int_args {
    ($($name:ident),* $(,)?) => {$(
        pub fn $name<T: IntArg>(obj: &Bound<'_, PyAny>) -> PyResult<T> {
            T::read(obj, stringify!($name))
        }
    )*};
}

int_args!(
    a, b, bands, bins, block_rows, capacity, char_ngram, dim, dim_x, dim_y, g, keep_head,
    max_length, min_prompt, num_perm, per_rank, ranks, rows, seed, threads, word_ngram,
);
