//! Packing for padding-free training.
//!
//! * [`bfd`]: best-fit-decreasing bin packing of lengths, O(n log capacity).
//! * [`pack_sequences`] / [`pack_pairs`]: whole tokenized data sets into packed
//!   rows (`input_ids`, `position_ids`, `cu_seqlens`, last-token indices).
//!   Pairs are packed as units of `len(chosen) + len(rejected)`, so both sides
//!   of a preference pair always share a row.
//! * [`balance`]: orders rows so each of N ranks gets nearly the same tokens
//!   per optimizer step.
//! * [`truncate`]: length limits for pairs that never change the comparison.
//!
//! Everything is deterministic: same input, options and seed, same output,
//! whatever the number of threads.

pub mod balance;
pub mod bfd;
pub mod layout;
pub mod tokens;
pub mod truncate;

pub use balance::{balance, Balance, MAX_PER_RANK, MAX_RANKS};
pub use bfd::{bfd, Bins, Oversize, DROPPED};
pub use layout::{fill, layout, Layout, Packed};
pub use tokens::{TokColumn, TokColumnBuilder, Token};

use crate::error::{Error, Result};

/// Largest packed row: positions, `cu_seqlens` and last-token indices are int32, so a row
/// holds at most 2^31 − 1 tokens and a larger capacity could never be used.
pub const MAX_ROW_TOKENS: u64 = i32::MAX as u64;

/// How to pack a data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackOptions {
    /// Tokens per packed row.
    pub capacity: u64,
    pub oversize: Oversize,
    /// Ranks to balance rows over; `None` keeps bins in the order they were opened.
    pub ranks: Option<usize>,
    /// Rows each rank takes per step (the per-device batch size).
    pub per_rank: usize,
    /// Shuffles the order of balanced steps.
    pub seed: Option<u64>,
}

impl PackOptions {
    pub fn new(capacity: u64) -> Self {
        PackOptions {
            capacity,
            oversize: Oversize::Error,
            ranks: None,
            per_rank: 1,
            seed: None,
        }
    }

    /// Checks the sizes before any work: the capacity, and the balancing shape when balancing.
    pub fn validate(&self) -> Result<()> {
        if self.capacity == 0 || self.capacity > MAX_ROW_TOKENS {
            return Err(Error::Argument {
                name: "capacity",
                message: format!(
                    "{} tokens per row is outside the supported range 1 to {MAX_ROW_TOKENS} \
                     (packed rows carry int32 positions); pass the model's context length",
                    self.capacity
                ),
            });
        }
        match self.ranks {
            Some(r) => balance::check_shape(r, self.per_rank),
            None => Ok(()),
        }
    }
}

/// A packed data set: the bin assignment, the optional rank balance and the rows.
#[derive(Debug)]
pub struct PackResult<T> {
    /// One bin per input item (sequence, or pair for [`pack_pairs`]).
    pub bins: Bins,
    pub balance: Option<Balance>,
    /// Rows in training order (the balanced order when balancing).
    pub packed: Packed<T>,
}

fn finish<'s, T: Token, F>(
    bins: Bins,
    seq_bins: &[i64],
    seq_lengths: &[u64],
    what: &str,
    o: &PackOptions,
    seq: F,
) -> Result<PackResult<T>>
where
    F: Fn(usize) -> &'s [T] + Sync,
{
    if seq_bins.is_empty() {
        return Err(Error::Argument {
            name: "data",
            message: format!("there are no {what} to pack (empty data set)"),
        });
    }
    if bins.n_bins() == 0 {
        return Err(Error::Argument {
            name: "capacity",
            message: format!(
                "all {} {what} are longer than the capacity {} and were dropped; raise the capacity",
                bins.n_dropped, o.capacity
            ),
        });
    }
    let mut lay = layout(seq_bins, seq_lengths, bins.n_bins())?;
    let bal = match o.ranks {
        Some(r) => {
            let b = balance(&bins.loads, r, o.per_rank, o.seed)?;
            lay = lay.reorder(&b.order)?;
            Some(b)
        }
        None => None,
    };
    let packed = fill(&lay, seq)?;
    Ok(PackResult {
        bins,
        balance: bal,
        packed,
    })
}

/// Packs a column of token sequences into rows of `o.capacity` tokens.
pub fn pack_sequences<T: Token>(col: &TokColumn<'_, T>, o: &PackOptions) -> Result<PackResult<T>> {
    o.validate()?;
    let lengths = col.lengths();
    let bins = bfd(&lengths, o.capacity, o.oversize)?;
    let seq_bins = bins.bin_of.clone();
    finish(bins, &seq_bins, &lengths, "sequences", o, |i| col.get(i))
}

/// Packs preference pairs: pair `i` is the unit `chosen[i] + rejected[i]`,
/// laid out as sequences `2i` (chosen) and `2i + 1` (rejected), adjacent in
/// the same row. `seq_index` in the result uses that numbering.
pub fn pack_pairs<T: Token>(
    chosen: &TokColumn<'_, T>,
    rejected: &TokColumn<'_, T>,
    o: &PackOptions,
) -> Result<PackResult<T>> {
    o.validate()?;
    if chosen.len() != rejected.len() {
        return Err(Error::Argument {
            name: "rejected",
            message: format!(
                "chosen has {} rows and rejected {}",
                chosen.len(),
                rejected.len()
            ),
        });
    }
    let n = chosen.len();
    let mut seq_lengths = Vec::with_capacity(2 * n);
    let mut units = Vec::with_capacity(n);
    for i in 0..n {
        let (c, r) = (chosen.row_len(i), rejected.row_len(i));
        if c == 0 || r == 0 {
            return Err(Error::Argument {
                name: if c == 0 { "chosen" } else { "rejected" },
                message: format!("pair {i} has an empty side; drop empty pairs before packing"),
            });
        }
        seq_lengths.extend([c, r]);
        units.push(c + r);
    }
    let bins = bfd(&units, o.capacity, o.oversize).map_err(|e| match e {
        Error::Argument {
            name: "capacity",
            message,
        } => Error::Argument {
            name: "capacity",
            message: message
                .replace("item", "pair")
                .replace("tokens,", "tokens (chosen + rejected),"),
        },
        other => other,
    })?;
    let seq_bins: Vec<i64> = bins.bin_of.iter().flat_map(|&b| [b, b]).collect();
    finish(bins, &seq_bins, &seq_lengths, "pairs", o, |s| {
        if s % 2 == 0 {
            chosen.get(s / 2)
        } else {
            rejected.get(s / 2)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(rows: &[&[i64]]) -> (Vec<i64>, Vec<i64>) {
        let mut b = TokColumnBuilder::with_capacity(rows.len(), 0);
        for r in rows {
            b.push_parts(&[r]);
        }
        b.finish()
    }

    #[test]
    fn pairs_share_a_row() {
        let (cv, co) = col(&[&[1, 2, 3], &[4, 5], &[6]]);
        let (rv, ro) = col(&[&[7], &[8, 9, 10], &[11, 12]]);
        let c = TokColumn::new(&cv, &co, "c").unwrap();
        let r = TokColumn::new(&rv, &ro, "r").unwrap();
        let p = pack_pairs(&c, &r, &PackOptions::new(6)).unwrap();
        // units 4, 5, 3 → bins: [pair1 (5)], [pair0 (4)], [pair2 (3)]? best fit: 5→b0 (1 left), 4→b1 (2 left), 3→b2
        assert_eq!(p.bins.bin_of, vec![1, 0, 2]);
        let rows = &p.packed;
        assert_eq!(rows.input_ids, vec![4, 5, 8, 9, 10, 1, 2, 3, 7, 6, 11, 12]);
        assert_eq!(rows.seq_index, vec![2, 3, 0, 1, 4, 5]);
        assert_eq!(rows.last_index, vec![1, 4, 2, 3, 0, 2]);
        assert_eq!(rows.position_ids, vec![0, 1, 0, 1, 2, 0, 1, 2, 0, 0, 0, 1]);
    }

    #[test]
    fn empty_and_all_dropped_are_errors() {
        let (v, o) = col(&[]);
        let c = TokColumn::new(&v, &o, "c").unwrap();
        let e = pack_pairs(&c, &c, &PackOptions::new(8)).unwrap_err();
        assert!(e.to_string().contains("empty data set"), "{e}");
        let (v, o) = col(&[&[1, 2, 3]]);
        let c = TokColumn::new(&v, &o, "c").unwrap();
        let e = pack_pairs(&c, &c, &PackOptions::new(4)).unwrap_err();
        assert!(
            e.to_string()
                .contains("pair 0 has 6 tokens (chosen + rejected)"),
            "{e}"
        );
        let opts = PackOptions {
            oversize: Oversize::Drop,
            ..PackOptions::new(4)
        };
        let e = pack_pairs(&c, &c, &opts).unwrap_err();
        assert!(e.to_string().contains("were dropped"), "{e}");
    }

    #[test]
    fn absurd_sizes_are_rejected_before_packing() {
        let (v, o) = col(&[&[1, 2, 3], &[4]]);
        let c = TokColumn::new(&v, &o, "c").unwrap();
        let cases = [
            (PackOptions::new(0), "capacity"),
            (PackOptions::new(MAX_ROW_TOKENS + 1), "capacity"),
            (PackOptions::new(u64::MAX), "capacity"),
            (
                PackOptions {
                    ranks: Some(1_000_000_000_000),
                    ..PackOptions::new(8)
                },
                "ranks",
            ),
            (
                PackOptions {
                    ranks: Some(0),
                    ..PackOptions::new(8)
                },
                "ranks",
            ),
            (
                PackOptions {
                    ranks: Some(2),
                    per_rank: usize::MAX,
                    ..PackOptions::new(8)
                },
                "per_rank",
            ),
        ];
        for (opts, want) in cases {
            for e in [
                pack_sequences(&c, &opts).unwrap_err(),
                pack_pairs(&c, &c, &opts).unwrap_err(),
            ] {
                match e {
                    Error::Argument { name, message } => {
                        assert_eq!(name, want, "{message}");
                        assert!(message.contains("supported range"), "{message}");
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        // The largest capacity is accepted.
        let p = pack_sequences(&c, &PackOptions::new(MAX_ROW_TOKENS)).unwrap();
        assert_eq!(p.bins.n_bins(), 1);
    }

    #[test]
    fn balanced_rows_follow_the_balance_order() {
        let rows: Vec<Vec<i64>> = (1..=20).map(|n| (0..n).collect()).collect();
        let refs: Vec<&[i64]> = rows.iter().map(|r| r.as_slice()).collect();
        let (v, o) = col(&refs);
        let c = TokColumn::new(&v, &o, "c").unwrap();
        let opts = PackOptions {
            ranks: Some(2),
            per_rank: 2,
            seed: Some(3),
            ..PackOptions::new(24)
        };
        let p = pack_sequences(&c, &opts).unwrap();
        let b = p.balance.as_ref().unwrap();
        let lens: Vec<i64> = p
            .packed
            .token_offsets
            .windows(2)
            .map(|w| w[1] - w[0])
            .collect();
        let want: Vec<i64> = b
            .order
            .iter()
            .map(|&k| p.bins.loads[k as usize] as i64)
            .collect();
        assert_eq!(lens, want);
        assert_eq!(p.packed.input_ids.len(), (1..=20).sum::<usize>());
    }
}

#[cfg(test)]
mod determinism {
    use super::*;
    use proptest::prelude::*;

    fn run(rows: &[Vec<i32>], threads: usize) -> Packed<i32> {
        let mut b = TokColumnBuilder::with_capacity(rows.len(), 0);
        for r in rows {
            b.push_parts(&[r]);
        }
        let (v, o) = b.finish();
        let c = TokColumn::new(&v, &o, "c").unwrap();
        let opts = PackOptions {
            ranks: Some(3),
            per_rank: 2,
            seed: Some(11),
            ..PackOptions::new(64)
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| pack_pairs(&c, &c.clone(), &opts).unwrap().packed)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn same_rows_for_any_thread_count(lens in proptest::collection::vec(1usize..30, 1..120)) {
            let rows: Vec<Vec<i32>> = lens.iter().enumerate().map(|(i, &n)| (0..n as i32).map(|t| t * 7 + i as i32).collect()).collect();
            let one = run(&rows, 1);
            prop_assert_eq!(&run(&rows, 4), &one);
            // every sequence exactly once, intact, positions restarting at 0
            let mut seen = vec![0; 2 * rows.len()];
            for b in 0..one.seq_offsets.len() - 1 {
                let row = &one.input_ids[one.token_offsets[b] as usize..one.token_offsets[b + 1] as usize];
                let pos = &one.position_ids[one.token_offsets[b] as usize..one.token_offsets[b + 1] as usize];
                prop_assert!(row.len() <= 64);
                let mut at = 0;
                for k in one.seq_offsets[b] as usize..one.seq_offsets[b + 1] as usize {
                    let s = one.seq_index[k] as usize;
                    seen[s] += 1;
                    let want = &rows[s / 2];
                    prop_assert_eq!(&row[at..at + want.len()], want.as_slice());
                    prop_assert!(pos[at..at + want.len()].iter().enumerate().all(|(p, &x)| x == p as i32));
                    prop_assert_eq!(one.last_index[k] as usize, at + want.len() - 1);
                    at += want.len();
                }
                prop_assert_eq!(at, row.len());
            }
            prop_assert!(seen.iter().all(|&n| n == 1));
        }
    }
}
