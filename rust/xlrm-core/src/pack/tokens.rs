//! A column of token-id sequences in the Arrow list layout: one flat value
//! buffer plus `n + 1` offsets (what pyarrow stores for `list<int32>` or
//! `large_list<int64>`).

use crate::error::{Error, Result};

/// Token ids the packer can carry (Arrow `int32` and `int64`).
pub trait Token: Copy + Default + Send + Sync + PartialEq + 'static {}
impl Token for i32 {}
impl Token for i64 {}

/// A borrowed, validated list column of token ids.
#[derive(Clone, Copy, Debug)]
pub struct TokColumn<'a, T> {
    values: &'a [T],
    offsets: &'a [i64],
}

impl<'a, T: Token> TokColumn<'a, T> {
    /// Checks that `offsets` has `n + 1` monotone entries inside `values`.
    pub fn new(values: &'a [T], offsets: &'a [i64], name: &'static str) -> Result<Self> {
        if offsets.is_empty() {
            return Err(Error::Argument {
                name,
                message: "offsets must hold n + 1 entries (got an empty array)".into(),
            });
        }
        if offsets[0] < 0 {
            return Err(Error::Argument {
                name,
                message: format!("first offset is negative ({})", offsets[0]),
            });
        }
        if let Some(row) = offsets.windows(2).position(|w| w[1] < w[0]) {
            return Err(Error::Argument {
                name,
                message: format!(
                    "offsets decrease at row {row} ({} > {})",
                    offsets[row],
                    offsets[row + 1]
                ),
            });
        }
        let last = *offsets.last().unwrap();
        if last as u64 > values.len() as u64 {
            return Err(Error::Argument {
                name,
                message: format!(
                    "last offset {last} is past the end of the values ({} tokens)",
                    values.len()
                ),
            });
        }
        Ok(TokColumn { values, offsets })
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, row: usize) -> &'a [T] {
        &self.values[self.offsets[row] as usize..self.offsets[row + 1] as usize]
    }

    pub fn row_len(&self, row: usize) -> u64 {
        (self.offsets[row + 1] - self.offsets[row]) as u64
    }

    pub fn lengths(&self) -> Vec<u64> {
        self.offsets
            .windows(2)
            .map(|w| (w[1] - w[0]) as u64)
            .collect()
    }
}

/// An owned list column built row by row.
#[derive(Debug)]
pub struct TokColumnBuilder<T> {
    pub values: Vec<T>,
    pub offsets: Vec<i64>,
}

impl<T: Token> TokColumnBuilder<T> {
    pub fn with_capacity(rows: usize, tokens: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        TokColumnBuilder {
            values: Vec::with_capacity(tokens),
            offsets,
        }
    }

    /// Appends one row made of the given pieces, in order.
    pub fn push_parts(&mut self, parts: &[&[T]]) {
        for p in parts {
            self.values.extend_from_slice(p);
        }
        self.offsets.push(self.values.len() as i64);
    }

    pub fn finish(self) -> (Vec<T>, Vec<i64>) {
        (self.values, self.offsets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_offsets() {
        let v = [1i32, 2, 3];
        assert!(TokColumn::new(&v, &[], "x").is_err());
        assert!(TokColumn::new(&v, &[-1, 2], "x").is_err());
        assert!(TokColumn::new(&v, &[0, 2, 1], "x").is_err());
        assert!(TokColumn::new(&v, &[0, 4], "x").is_err());
        let c = TokColumn::new(&v, &[0, 2, 3], "x").unwrap();
        assert_eq!(c.get(0), &[1, 2]);
        assert_eq!(c.lengths(), vec![2, 1]);
    }
}
