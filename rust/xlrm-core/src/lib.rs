//! xlrm-core: the pure-Rust half of xlrm.
//!
//! Nothing here knows about Python: columns arrive as borrowed Arrow-style
//! buffers (`StrColumn`), results leave as plain vectors, and every failure is
//! an [`Error`] that the binding crate turns into a Python exception.

pub mod column;
pub mod dedup;
pub mod error;
pub mod limits;
pub mod normalize;
pub mod pack;
pub mod stats;

pub use column::{StrColumn, StrColumnBuilder};
pub use error::{Error, Result};
