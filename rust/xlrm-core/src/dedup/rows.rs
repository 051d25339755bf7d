//! Rows of chat text as they arrive from Arrow: each field (prompt, chosen, rejected) is a
//! column of message contents plus list offsets saying which messages belong to which row.

use crate::column::StrColumn;
use crate::error::{Error, Result};

/// One text field of every row: the contents of all messages as one string column, and
/// `row_offsets` (n + 1 entries) giving each row's slice of messages.
#[derive(Clone, Copy, Debug)]
pub struct Field<'a> {
    messages: StrColumn<'a>,
    row_offsets: &'a [i64],
}

impl<'a> Field<'a> {
    pub fn new(messages: StrColumn<'a>, row_offsets: &'a [i64]) -> Result<Self> {
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
        Ok(Field {
            messages,
            row_offsets,
        })
    }

    pub fn len(&self) -> usize {
        self.row_offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The messages of row `row`, in order.
    pub fn messages(&self, row: usize) -> impl ExactSizeIterator<Item = &'a str> + '_ {
        let (a, b) = (
            self.row_offsets[row] as usize,
            self.row_offsets[row + 1] as usize,
        );
        (a..b).map(move |i| self.messages.get(i))
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
            fields: vec![self.fields[0]],
        }
    }

    pub fn byte_len(&self, row: usize) -> usize {
        self.fields.iter().map(|f| f.byte_len(row)).sum()
    }
}
