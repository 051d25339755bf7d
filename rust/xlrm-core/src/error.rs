use thiserror::Error;

/// Every failure the core can report. Messages say what is wrong, where
/// (row index, field) and how to fix it, because they reach users verbatim.
#[derive(Debug, Error, PartialEq)]
pub enum Error {
    #[error("invalid column buffers: {0}")]
    Buffers(String),
    #[error("row {row}: text is not valid UTF-8 (byte {byte} of the row); decode the source with errors='replace' or drop the row")]
    Utf8 { row: usize, byte: usize },
    #[error("invalid argument `{name}`: {message}")]
    Argument { name: &'static str, message: String },
}

pub type Result<T> = std::result::Result<T, Error>;
