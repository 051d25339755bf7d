//! A column of strings in the Arrow layout: one contiguous byte buffer plus
//! `n + 1` offsets. This is the only shape text takes when it crosses from
//! Python into the core, so no per-row Python object is ever touched.

use crate::error::{Error, Result};

/// A borrowed, validated string column.
#[derive(Clone, Copy, Debug)]
pub struct StrColumn<'a> {
    data: &'a [u8],
    offsets: &'a [i64],
}

impl<'a> StrColumn<'a> {
    /// Checks the offsets (monotone, inside `data`) and the UTF-8 of every
    /// row up front, so later code can slice without re-checking.
    pub fn new(data: &'a [u8], offsets: &'a [i64]) -> Result<Self> {
        if offsets.is_empty() {
            return Err(Error::Buffers(
                "offsets must hold n + 1 entries (got an empty array)".into(),
            ));
        }
        if offsets[0] < 0 {
            return Err(Error::Buffers(format!(
                "first offset is negative ({})",
                offsets[0]
            )));
        }
        for (row, w) in offsets.windows(2).enumerate() {
            if w[1] < w[0] {
                return Err(Error::Buffers(format!(
                    "offsets decrease at row {row} ({} > {})",
                    w[0], w[1]
                )));
            }
        }
        let last = *offsets.last().unwrap();
        if last as u64 > data.len() as u64 {
            return Err(Error::Buffers(format!(
                "last offset {last} is past the end of the data buffer ({} bytes)",
                data.len()
            )));
        }
        let col = StrColumn { data, offsets };
        for row in 0..col.len() {
            if let Err(e) = std::str::from_utf8(col.bytes(row)) {
                return Err(Error::Utf8 {
                    row,
                    byte: e.valid_up_to(),
                });
            }
        }
        Ok(col)
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn bytes(&self, row: usize) -> &'a [u8] {
        &self.data[self.offsets[row] as usize..self.offsets[row + 1] as usize]
    }

    /// Row `row` as text. Validated in `new`, so this cannot fail.
    pub fn get(&self, row: usize) -> &'a str {
        // SAFETY: every row was checked with `from_utf8` in `new` and the
        // buffers are immutable borrows for 'a.
        unsafe { std::str::from_utf8_unchecked(self.bytes(row)) }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a str> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// Builds an owned column in the same layout, for results going back out.
#[derive(Debug, Default)]
pub struct StrColumnBuilder {
    pub data: Vec<u8>,
    pub offsets: Vec<i64>,
}

impl StrColumnBuilder {
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StrColumnBuilder {
            data: Vec::with_capacity(bytes),
            offsets,
        }
    }

    pub fn push(&mut self, s: &str) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.data.extend_from_slice(s.as_bytes());
        self.offsets.push(self.data.len() as i64);
    }

    pub fn finish(mut self) -> (Vec<u8>, Vec<i64>) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        (self.data, self.offsets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut b = StrColumnBuilder::default();
        for s in ["a", "", "한국어", "中文"] {
            b.push(s);
        }
        let (d, o) = b.finish();
        let c = StrColumn::new(&d, &o).unwrap();
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            vec!["a", "", "한국어", "中文"]
        );
    }

    #[test]
    fn rejects_bad_buffers() {
        assert!(matches!(
            StrColumn::new(b"abc", &[]),
            Err(Error::Buffers(_))
        ));
        assert!(matches!(
            StrColumn::new(b"abc", &[0, 2, 1]),
            Err(Error::Buffers(_))
        ));
        assert!(matches!(
            StrColumn::new(b"abc", &[0, 4]),
            Err(Error::Buffers(_))
        ));
        assert!(matches!(
            StrColumn::new(b"abc", &[-1, 2]),
            Err(Error::Buffers(_))
        ));
        // a Hangul syllable cut in the middle
        let s = "한".as_bytes();
        assert_eq!(
            StrColumn::new(s, &[0, 2]).unwrap_err(),
            Error::Utf8 { row: 0, byte: 0 }
        );
        assert_eq!(
            StrColumn::new(b"ok\xff", &[0, 2, 3]).unwrap_err(),
            Error::Utf8 { row: 1, byte: 0 }
        );
    }
}
