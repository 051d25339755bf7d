//! Turning a bin assignment into packed rows: token ids concatenated per bin,
//! position ids restarting at 0 for every sequence, `cu_seqlens` (the
//! cumulative sequence boundaries flash-attention's varlen kernels take) and
//! the index of each sequence's last token (where a reward model reads its
//! score).
//!
//! Within a bin, sequences keep their input order. Bins are filled in
//! parallel into disjoint slices, so the output does not depend on the
//! number of threads.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::pack::bfd::DROPPED;
use crate::pack::tokens::Token;

/// Where each packed sequence goes: sequences grouped by bin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Sequence indices in packed order (bin 0's first, input order within a bin).
    pub order: Vec<u32>,
    /// `n_bins + 1` offsets into `order`.
    pub seq_offsets: Vec<i64>,
    /// `n_bins + 1` offsets into the flat token arrays.
    pub token_offsets: Vec<i64>,
}

impl Layout {
    pub fn n_bins(&self) -> usize {
        self.seq_offsets.len() - 1
    }

    /// Bins in the given order (a permutation of `0..n_bins`, as produced by
    /// rank balancing); the packed rows come out in that order.
    pub fn reorder(&self, bins: &[u32]) -> Result<Layout> {
        let n = self.n_bins();
        let mut seen = vec![false; n];
        for &b in bins {
            let ok = (b as usize) < n && !std::mem::replace(&mut seen[b as usize], true);
            if !ok {
                return Err(Error::Argument {
                    name: "bin_order",
                    message: format!(
                        "must be a permutation of 0..{n}; {b} is out of range or repeated"
                    ),
                });
            }
        }
        if bins.len() != n {
            return Err(Error::Argument {
                name: "bin_order",
                message: format!("has {} entries for {n} bins", bins.len()),
            });
        }
        let mut out = Layout {
            order: Vec::with_capacity(self.order.len()),
            seq_offsets: vec![0],
            token_offsets: vec![0],
        };
        for &b in bins {
            let b = b as usize;
            let (s0, s1) = (
                self.seq_offsets[b] as usize,
                self.seq_offsets[b + 1] as usize,
            );
            out.order.extend_from_slice(&self.order[s0..s1]);
            out.seq_offsets.push(out.order.len() as i64);
            let tokens = self.token_offsets[b + 1] - self.token_offsets[b];
            out.token_offsets
                .push(out.token_offsets.last().unwrap() + tokens);
        }
        Ok(out)
    }
}

/// Groups sequences by bin (a counting sort, stable in input order).
/// Sequences with bin [`DROPPED`] are left out.
pub fn layout(bin_of: &[i64], lengths: &[u64], n_bins: usize) -> Result<Layout> {
    if bin_of.len() != lengths.len() {
        return Err(Error::Argument {
            name: "bin_of",
            message: format!(
                "has {} entries for {} sequences",
                bin_of.len(),
                lengths.len()
            ),
        });
    }
    let mut counts = vec![0i64; n_bins + 1];
    let mut tokens = vec![0i64; n_bins + 1];
    for (i, (&b, &l)) in bin_of.iter().zip(lengths).enumerate() {
        if b == DROPPED {
            continue;
        }
        if b < 0 || b as usize >= n_bins {
            return Err(Error::Argument {
                name: "bin_of",
                message: format!("sequence {i} has bin {b}, outside 0..{n_bins}"),
            });
        }
        counts[b as usize + 1] += 1;
        tokens[b as usize + 1] += l as i64;
    }
    for b in 0..n_bins {
        counts[b + 1] += counts[b];
        tokens[b + 1] += tokens[b];
    }
    let mut cursor = counts.clone();
    let mut order = vec![0u32; counts[n_bins] as usize];
    for (i, &b) in bin_of.iter().enumerate() {
        if b != DROPPED {
            let c = &mut cursor[b as usize];
            order[*c as usize] = i as u32;
            *c += 1;
        }
    }
    Ok(Layout {
        order,
        seq_offsets: counts,
        token_offsets: tokens,
    })
}

/// Packed rows in Arrow list layout (each `*_offsets` has `n_bins + 1` entries).
#[derive(Clone, Debug, PartialEq)]
pub struct Packed<T> {
    /// Token ids of all bins, concatenated; row `b` is
    /// `input_ids[token_offsets[b]..token_offsets[b + 1]]`.
    pub input_ids: Vec<T>,
    /// Position of each token inside its own sequence (0, 1, …, 0, 1, …).
    pub position_ids: Vec<i32>,
    pub token_offsets: Vec<i64>,
    /// Length of each packed sequence, row `b` is
    /// `seq_lengths[seq_offsets[b]..seq_offsets[b + 1]]`.
    pub seq_lengths: Vec<i32>,
    /// Index (within its row) of each sequence's last token; same layout as `seq_lengths`.
    pub last_index: Vec<i32>,
    /// Input index of each packed sequence; same layout as `seq_lengths`.
    pub seq_index: Vec<u32>,
    pub seq_offsets: Vec<i64>,
    /// Cumulative boundaries per row, starting at 0 (`n_seq + 1` entries per
    /// row); row `b` is `cu_seqlens[seq_offsets[b] + b..seq_offsets[b + 1] + b + 1]`.
    pub cu_seqlens: Vec<i32>,
}

/// A zeroed vector for a large output buffer. On Linux the pages are marked for transparent
/// huge pages before they are first touched: filling hundreds of MB of fresh 4 KiB pages is
/// dominated by page faults, and 2 MiB pages cut that several-fold. Purely advisory.
fn zeroed<T: Token>(n: usize) -> Vec<T> {
    let v = vec![T::default(); n];
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 1 << 21;
        let bytes = n * std::mem::size_of::<T>();
        if bytes >= 4 * HUGE {
            let p = v.as_ptr() as usize;
            let start = (p + HUGE - 1) & !(HUGE - 1);
            let end = (p + bytes) & !(HUGE - 1);
            if end > start {
                // SAFETY: the range lies inside `v`'s live allocation; madvise only changes how
                // the kernel backs those pages, never their contents or validity.
                unsafe {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
                }
            }
        }
    }
    v
}

/// Splits `buf` into consecutive mutable chunks at the given offsets.
fn split_by<'a, U>(mut buf: &'a mut [U], offsets: &[i64]) -> Vec<&'a mut [U]> {
    let mut out = Vec::with_capacity(offsets.len().saturating_sub(1));
    for w in offsets.windows(2) {
        let (head, tail) = buf.split_at_mut((w[1] - w[0]) as usize);
        out.push(head);
        buf = tail;
    }
    out
}

/// Fills packed rows for `lay`, reading sequence `i`'s tokens from `seq(i)`.
pub fn fill<'s, T, F>(lay: &Layout, seq: F) -> Result<Packed<T>>
where
    T: Token,
    F: Fn(usize) -> &'s [T] + Sync,
{
    let n_bins = lay.n_bins();
    if let Some(w) = lay
        .token_offsets
        .windows(2)
        .find(|w| w[1] - w[0] > i32::MAX as i64)
    {
        return Err(Error::Argument {
            name: "capacity",
            message: format!(
                "a packed row of {} tokens does not fit int32 positions",
                w[1] - w[0]
            ),
        });
    }
    let n_tok = *lay.token_offsets.last().unwrap() as usize;
    let n_seq = lay.order.len();
    let mut input_ids = zeroed::<T>(n_tok);
    let mut position_ids = zeroed::<i32>(n_tok);
    let mut seq_lengths = vec![0i32; n_seq];
    let mut last_index = vec![0i32; n_seq];
    let mut cu_seqlens = vec![0i32; n_seq + n_bins];
    let cu_offsets: Vec<i64> = lay
        .seq_offsets
        .iter()
        .enumerate()
        .map(|(b, &o)| o + b as i64)
        .collect();

    let ids = split_by(&mut input_ids, &lay.token_offsets);
    let pos = split_by(&mut position_ids, &lay.token_offsets);
    let lens = split_by(&mut seq_lengths, &lay.seq_offsets);
    let lasts = split_by(&mut last_index, &lay.seq_offsets);
    let cus = split_by(&mut cu_seqlens, &cu_offsets);
    let mismatch = ids
        .into_par_iter()
        .zip(pos)
        .zip(lens)
        .zip(lasts)
        .zip(cus)
        .enumerate()
        .map(|(b, ((((ids, pos), lens), lasts), cu))| {
            let seqs = &lay.order[lay.seq_offsets[b] as usize..lay.seq_offsets[b + 1] as usize];
            let mut at = 0usize;
            cu[0] = 0;
            for (k, &s) in seqs.iter().enumerate() {
                let toks = seq(s as usize);
                let end = at + toks.len();
                if end > ids.len() {
                    return Some(s);
                }
                ids[at..end].copy_from_slice(toks);
                for (p, slot) in pos[at..end].iter_mut().enumerate() {
                    *slot = p as i32;
                }
                lens[k] = toks.len() as i32;
                lasts[k] = end as i32 - 1;
                cu[k + 1] = end as i32;
                at = end;
            }
            (at != ids.len()).then(|| seqs.first().copied().unwrap_or(0))
        })
        .find_first(|m| m.is_some())
        .flatten();
    if let Some(s) = mismatch {
        return Err(Error::Argument {
            name: "lengths",
            message: format!(
                "sequence lengths disagree with the token columns (first at sequence {s})"
            ),
        });
    }
    Ok(Packed {
        input_ids,
        position_ids,
        token_offsets: lay.token_offsets.clone(),
        seq_lengths,
        last_index,
        seq_index: lay.order.clone(),
        seq_offsets: lay.seq_offsets.clone(),
        cu_seqlens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_fills() {
        let seqs: Vec<Vec<i32>> = vec![vec![1, 2, 3], vec![4], vec![5, 6], vec![7, 8, 9, 10]];
        let lengths: Vec<u64> = seqs.iter().map(|s| s.len() as u64).collect();
        let bin_of = [1, 0, DROPPED, 0];
        let lay = layout(&bin_of, &lengths, 2).unwrap();
        assert_eq!(lay.order, vec![1, 3, 0]);
        assert_eq!(lay.seq_offsets, vec![0, 2, 3]);
        assert_eq!(lay.token_offsets, vec![0, 5, 8]);
        let p = fill(&lay, |i| seqs[i].as_slice()).unwrap();
        assert_eq!(p.input_ids, vec![4, 7, 8, 9, 10, 1, 2, 3]);
        assert_eq!(p.position_ids, vec![0, 0, 1, 2, 3, 0, 1, 2]);
        assert_eq!(p.seq_lengths, vec![1, 4, 3]);
        assert_eq!(p.last_index, vec![0, 4, 2]);
        assert_eq!(p.cu_seqlens, vec![0, 1, 5, 0, 3]);

        let r = lay.reorder(&[1, 0]).unwrap();
        let q = fill(&r, |i| seqs[i].as_slice()).unwrap();
        assert_eq!(q.input_ids, vec![1, 2, 3, 4, 7, 8, 9, 10]);
        assert_eq!(q.cu_seqlens, vec![0, 3, 0, 1, 5]);
        assert!(lay.reorder(&[0, 0]).is_err());
        assert!(lay.reorder(&[0]).is_err());
    }

    #[test]
    fn rejects_inconsistent_input() {
        assert!(layout(&[0, 5], &[1, 1], 2).is_err());
        assert!(layout(&[0], &[1, 1], 1).is_err());
        let lay = layout(&[0], &[3], 1).unwrap();
        let short = [1i64, 2];
        assert!(fill(&lay, |_| short.as_slice()).is_err());
    }
}
