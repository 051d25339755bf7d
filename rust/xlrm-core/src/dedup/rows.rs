//! Rows of chat text as they arrive from Arrow: each field (prompt, chosen, rejected) is a
//! column of message contents plus list offsets saying which messages belong to which row.
//! A field may come in several chunks (as Arrow tables do), so nothing is concatenated or
//! copied on the way in.

use crate::error::{Error, Result};

/// Message contents in the Arrow string layout, validated once for the whole buffer with a
/// SIMD UTF-8 check plus a char-boundary check per offset (equivalent to validating every
/// row, several times faster on CJK text).
#[derive(Clone, Copy, Debug)]
pub struct Messages<'a> {
    data: &'a [u8],
    offsets: &'a [i64],
}

impl<'a> Messages<'a> {
    pub fn new(data: &'a [u8], offsets: &'a [i64]) -> Result<Self> {
        let bad = |m: String| Err(Error::Buffers(m));
        let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else {
            return bad("offsets must hold n + 1 entries (got an empty array)".into());
        };
        if first < 0 {
            return bad(format!("first offset is negative ({first})"));
        }
        if let Some(row) = offsets.windows(2).position(|w| w[1] < w[0]) {
            return bad(format!(
                "offsets decrease at row {row} ({} > {})",
                offsets[row],
                offsets[row + 1]
            ));
        }
        if last as u64 > data.len() as u64 {
            return bad(format!(
                "last offset {last} is past the end of the data buffer ({} bytes)",
                data.len()
            ));
        }
        let body = &data[first as usize..last as usize];
        let boundaries_ok = offsets.iter().all(|&o| {
            let o = o as usize;
            o == last as usize || (data[o] as i8) >= -0x40 // not a continuation byte
        });
        if simdutf8::basic::from_utf8(body).is_err() || !boundaries_ok {
            // Slow path, only to say where: the first row that is not valid UTF-8.
            for (row, w) in offsets.windows(2).enumerate() {
                if let Err(e) = std::str::from_utf8(&data[w[0] as usize..w[1] as usize]) {
                    return Err(Error::Utf8 {
                        row,
                        byte: e.valid_up_to(),
                    });
                }
            }
        }
        Ok(Messages { data, offsets })
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Message `i`. Validated in `new`, so this cannot fail.
    #[inline(always)]
    pub fn get(&self, i: usize) -> &'a str {
        let bytes = &self.data[self.offsets[i] as usize..self.offsets[i + 1] as usize];
        // SAFETY: the whole body is valid UTF-8 and every offset is a char boundary (`new`).
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }
}

/// One chunk of a field: message contents as one string column, `row_offsets` (rows + 1
/// entries) giving each row's slice of messages, and optionally a per-message `skip` mask
/// (e.g. system messages).
#[derive(Clone, Copy, Debug)]
pub struct Chunk<'a> {
    messages: Messages<'a>,
    row_offsets: &'a [i64],
    skip: Option<&'a [bool]>,
}

impl<'a> Chunk<'a> {
    pub fn new(
        messages: Messages<'a>,
        row_offsets: &'a [i64],
        skip: Option<&'a [bool]>,
    ) -> Result<Self> {
        let bad = |m: String| Err(Error::Buffers(format!("message list offsets: {m}")));
        if row_offsets.is_empty() {
            return bad("must hold n + 1 entries (got an empty array)".into());
        }
        if row_offsets[0] < 0 {
            return bad(format!("first offset is negative ({})", row_offsets[0]));
        }
        if let Some(row) = row_offsets.windows(2).position(|w| w[1] < w[0]) {
            return bad(format!("offsets decrease at row {row}"));
        }
        let last = *row_offsets.last().unwrap();
        if last as u64 > messages.len() as u64 {
            return bad(format!(
                "last offset {last} is past the {} messages",
                messages.len()
            ));
        }
        if let Some(s) = skip {
            if s.len() != messages.len() {
                return Err(Error::Buffers(format!(
                    "skip mask has {} entries for {} messages",
                    s.len(),
                    messages.len()
                )));
            }
        }
        Ok(Chunk {
            messages,
            row_offsets,
            skip,
        })
    }

    fn len(&self) -> usize {
        self.row_offsets.len() - 1
    }
}

/// One text field of every row, in one or more chunks.
#[derive(Clone, Debug)]
pub struct Field<'a> {
    chunks: Vec<Chunk<'a>>,
    /// First row of each chunk, then the total row count.
    starts: Vec<usize>,
}

impl<'a> Field<'a> {
    pub fn new(chunks: Vec<Chunk<'a>>) -> Self {
        let mut starts = Vec::with_capacity(chunks.len() + 1);
        let mut n = 0;
        for c in &chunks {
            starts.push(n);
            n += c.len();
        }
        starts.push(n);
        Field { chunks, starts }
    }

    /// A field in one chunk without a skip mask.
    pub fn single(messages: Messages<'a>, row_offsets: &'a [i64]) -> Result<Self> {
        Ok(Field::new(vec![Chunk::new(messages, row_offsets, None)?]))
    }

    pub fn len(&self) -> usize {
        *self.starts.last().unwrap()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn locate(&self, row: usize) -> (&Chunk<'a>, usize) {
        if self.chunks.len() == 1 {
            return (&self.chunks[0], row);
        }
        let c = self.starts.partition_point(|&s| s <= row) - 1;
        (&self.chunks[c], row - self.starts[c])
    }

    /// The messages of row `row`, in order, without skipped ones.
    #[inline]
    pub fn messages(&self, row: usize) -> impl Iterator<Item = &'a str> + Clone + '_ {
        let (c, r) = self.locate(row);
        let (a, b) = (c.row_offsets[r] as usize, c.row_offsets[r + 1] as usize);
        let (messages, skip) = (c.messages, c.skip);
        (a..b)
            .filter(move |&i| skip.is_none_or(|s| !s[i]))
            .map(move |i| messages.get(i))
    }

    /// Total UTF-8 bytes of row `row`'s messages (before normalisation).
    pub fn byte_len(&self, row: usize) -> usize {
        self.messages(row).map(str::len).sum()
    }
}

/// The fields of a table that take part in dedup, all with the same number of rows. By
/// convention field 0 is the prompt (decontamination reads it).
#[derive(Clone, Debug)]
pub struct Rows<'a> {
    fields: Vec<Field<'a>>,
}

impl<'a> Rows<'a> {
    pub fn new(fields: Vec<Field<'a>>) -> Result<Self> {
        let Some(first) = fields.first() else {
            return Err(Error::Argument {
                name: "fields",
                message: "need at least one text field".into(),
            });
        };
        if let Some(f) = fields.iter().find(|f| f.len() != first.len()) {
            return Err(Error::Argument {
                name: "fields",
                message: format!(
                    "fields differ in row count ({} vs {})",
                    first.len(),
                    f.len()
                ),
            });
        }
        if first.len() > u32::MAX as usize - 1 {
            return Err(Error::Argument {
                name: "fields",
                message: "more than 2^32 - 2 rows".into(),
            });
        }
        Ok(Rows { fields })
    }

    pub fn len(&self) -> usize {
        self.fields[0].len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn fields(&self) -> &[Field<'a>] {
        &self.fields
    }

    /// Only field 0 (the prompt).
    pub fn prompt_only(&self) -> Rows<'a> {
        Rows {
            fields: vec![self.fields[0].clone()],
        }
    }

    pub fn byte_len(&self, row: usize) -> usize {
        self.fields.iter().map(|f| f.byte_len(row)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::StrColumnBuilder;

    #[test]
    fn validates_utf8_and_boundaries() {
        assert!(Messages::new("ab한".as_bytes(), &[0, 1, 5]).is_ok());
        // an offset inside a Hangul syllable
        assert_eq!(
            Messages::new("ab한".as_bytes(), &[0, 3, 5]).unwrap_err(),
            Error::Utf8 { row: 0, byte: 2 }
        );
        assert_eq!(
            Messages::new(b"ok\xff", &[0, 2, 3]).unwrap_err(),
            Error::Utf8 { row: 1, byte: 0 }
        );
        assert!(matches!(
            Messages::new(b"abc", &[0, 4]),
            Err(Error::Buffers(_))
        ));
        assert!(matches!(Messages::new(b"abc", &[]), Err(Error::Buffers(_))));
        assert!(matches!(
            Messages::new(b"abc", &[2, 1]),
            Err(Error::Buffers(_))
        ));
        // bytes outside the rows are not looked at
        assert!(Messages::new(b"\xffab", &[1, 3]).is_ok());
    }

    #[test]
    fn chunks_and_skip_masks() {
        let mut b = StrColumnBuilder::default();
        for s in ["sys", "a", "b", "c"] {
            b.push(s);
        }
        let (d, o) = b.finish();
        let col = Messages::new(&d, &o).unwrap();
        let skip = [true, false, false, false];
        let r1 = [0i64, 2, 3];
        let r2 = [3i64, 4];
        let f = Field::new(vec![
            Chunk::new(col, &r1, Some(&skip)).unwrap(),
            Chunk::new(col, &r2, None).unwrap(),
        ]);
        assert_eq!(f.len(), 3);
        assert_eq!(f.messages(0).collect::<Vec<_>>(), vec!["a"]);
        assert_eq!(f.messages(1).collect::<Vec<_>>(), vec!["b"]);
        assert_eq!(f.messages(2).collect::<Vec<_>>(), vec!["c"]);
        assert!(Chunk::new(col, &[0, 5], None).is_err());
        assert!(Chunk::new(col, &[0, 1], Some(&[true])).is_err());
    }
}
