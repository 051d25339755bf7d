//! Best-fit-decreasing bin packing of sequence lengths into bins of a fixed
//! token capacity.
//!
//! Items are visited longest first (ties: lower input index first) and each
//! goes into the open bin whose remaining space is the smallest that still
//! fits it; a new bin is opened only when none fits. Finding that bin is a
//! "next set bit" query on a three-level 64-ary bitmap indexed by remaining
//! space (O(log64 capacity): a few `trailing_zeros`, for capacities up to
//! [`BITMAP_MAX_CAPACITY`]) and O(log bins) with a `BTreeMap` above that, so
//! the whole data set packs in O(n log capacity) after an O(n + capacity)
//! counting sort.
//!
//! The result is a pure function of the lengths and the capacity: no
//! randomness, no threads, so it is the same on every machine.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// Largest capacity served by the bitmap (its arrays are O(capacity)); above it, a `BTreeMap`.
pub const BITMAP_MAX_CAPACITY: u64 = 1 << 22;

/// Marks an item that was dropped because it is longer than the capacity.
pub const DROPPED: i64 = -1;

/// What to do with an item longer than the bin capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oversize {
    /// Fail with an error naming the first such item.
    Error,
    /// Leave it out (bin id [`DROPPED`]) and count it.
    Drop,
}

impl Oversize {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "error" => Ok(Oversize::Error),
            "drop" => Ok(Oversize::Drop),
            other => Err(Error::Argument {
                name: "oversize",
                message: format!("expected 'error' or 'drop', got {other:?}"),
            }),
        }
    }
}

/// The outcome of packing: one bin id per item, in input order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bins {
    /// Bin of each item (input order); [`DROPPED`] for items left out.
    pub bin_of: Vec<i64>,
    /// Tokens in each bin, bins numbered in the order they were opened.
    pub loads: Vec<u64>,
    /// How many items were left out because they exceed the capacity.
    pub n_dropped: usize,
    pub capacity: u64,
}

impl Bins {
    pub fn n_bins(&self) -> usize {
        self.loads.len()
    }

    /// Tokens packed / (bins × capacity); 1.0 for an empty packing.
    pub fn efficiency(&self) -> f64 {
        if self.loads.is_empty() {
            return 1.0;
        }
        let total: u64 = self.loads.iter().sum();
        total as f64 / (self.loads.len() as f64 * self.capacity as f64)
    }
}

/// Open bins indexed by remaining space: "smallest remaining space >= len".
trait FreeSpace {
    fn insert(&mut self, space: u64, bin: u32);
    /// Removes and returns a bin whose remaining space is the smallest that
    /// is >= `len`, with that space.
    fn take_best(&mut self, len: u64) -> Option<(u64, u32)>;
}

/// Open bins by remaining space 1..=capacity: a three-level 64-ary bitmap says which spaces
/// have at least one open bin ("next set bit >= len" is a few `trailing_zeros`), and bins
/// sharing a space form an intrusive LIFO list (`head`/`next`).
struct SpaceBitmap {
    l0: Vec<u64>,
    l1: Vec<u64>,
    l2: Vec<u64>,
    head: Vec<u32>,
    next: Vec<u32>,
}

const NONE: u32 = u32::MAX;

#[inline]
fn from_bit(word: u64, first: usize) -> u64 {
    // bits of `word` at positions >= first (first < 64)
    word & (u64::MAX << first)
}

impl SpaceBitmap {
    fn new(capacity: u64) -> Self {
        let n0 = (capacity as usize + 1).div_ceil(64);
        let n1 = n0.div_ceil(64);
        let n2 = n1.div_ceil(64);
        SpaceBitmap {
            l0: vec![0; n0],
            l1: vec![0; n1],
            l2: vec![0; n2],
            head: vec![NONE; capacity as usize + 1],
            next: Vec::new(),
        }
    }

    fn set(&mut self, s: usize) {
        let w = s >> 6;
        self.l0[w] |= 1 << (s & 63);
        self.l1[w >> 6] |= 1 << (w & 63);
        self.l2[w >> 12] |= 1 << ((w >> 6) & 63);
    }

    fn clear(&mut self, s: usize) {
        let w = s >> 6;
        self.l0[w] &= !(1 << (s & 63));
        if self.l0[w] == 0 {
            let u = w >> 6;
            self.l1[u] &= !(1 << (w & 63));
            if self.l1[u] == 0 {
                self.l2[u >> 6] &= !(1 << (u & 63));
            }
        }
    }

    /// Smallest set space >= x.
    fn next_set(&self, x: usize) -> Option<usize> {
        let w = x >> 6;
        if w >= self.l0.len() {
            return None;
        }
        let m = from_bit(self.l0[w], x & 63);
        if m != 0 {
            return Some((w << 6) + m.trailing_zeros() as usize);
        }
        let lowest = |u: usize| -> usize {
            let w = (u << 6) + self.l1[u].trailing_zeros() as usize;
            (w << 6) + self.l0[w].trailing_zeros() as usize
        };
        let w1 = w + 1;
        let u = w1 >> 6;
        if u < self.l1.len() && (w1 & 63) != 0 {
            let m = from_bit(self.l1[u], w1 & 63);
            if m != 0 {
                let ww = (u << 6) + m.trailing_zeros() as usize;
                return Some((ww << 6) + self.l0[ww].trailing_zeros() as usize);
            }
        }
        // first L1 word to search whole: u if w1 starts it, else u + 1
        let u1 = if (w1 & 63) == 0 { u } else { u + 1 };
        let v = u1 >> 6;
        if v >= self.l2.len() {
            return None;
        }
        let m = from_bit(self.l2[v], u1 & 63);
        if m != 0 {
            return Some(lowest((v << 6) + m.trailing_zeros() as usize));
        }
        for vv in v + 1..self.l2.len() {
            if self.l2[vv] != 0 {
                return Some(lowest((vv << 6) + self.l2[vv].trailing_zeros() as usize));
            }
        }
        None
    }
}

impl FreeSpace for SpaceBitmap {
    fn insert(&mut self, space: u64, bin: u32) {
        let s = space as usize;
        if self.next.len() <= bin as usize {
            self.next.resize(bin as usize + 1, NONE);
        }
        self.next[bin as usize] = self.head[s];
        if self.head[s] == NONE {
            self.set(s);
        }
        self.head[s] = bin;
    }

    fn take_best(&mut self, len: u64) -> Option<(u64, u32)> {
        let s = self.next_set(len as usize)?;
        let bin = self.head[s];
        self.head[s] = self.next[bin as usize];
        if self.head[s] == NONE {
            self.clear(s);
        }
        Some((s as u64, bin))
    }
}

/// Ordered map fallback for very large capacities.
#[derive(Default)]
struct Tree(BTreeMap<u64, Vec<u32>>);

impl FreeSpace for Tree {
    fn insert(&mut self, space: u64, bin: u32) {
        self.0.entry(space).or_default().push(bin);
    }

    fn take_best(&mut self, len: u64) -> Option<(u64, u32)> {
        let (&space, bins) = self.0.range_mut(len..).next()?;
        let bin = bins.pop().expect("empty lists are removed");
        if bins.is_empty() {
            self.0.remove(&space);
        }
        Some((space, bin))
    }
}

/// Item indices sorted by length descending, ties by index ascending.
/// Counting sort: O(n + max_len).
fn order_decreasing(lengths: &[u64], keep: &[bool], max_len: u64) -> Vec<u32> {
    if max_len > BITMAP_MAX_CAPACITY {
        let mut idx: Vec<u32> = (0..lengths.len() as u32)
            .filter(|&i| keep[i as usize])
            .collect();
        idx.sort_by(|&a, &b| {
            lengths[b as usize]
                .cmp(&lengths[a as usize])
                .then(a.cmp(&b))
        });
        return idx;
    }
    let m = max_len as usize;
    let mut counts = vec![0usize; m + 2];
    for (i, &l) in lengths.iter().enumerate() {
        if keep[i] {
            counts[m - l as usize + 1] += 1; // bucket 0 = longest
        }
    }
    for b in 1..counts.len() {
        counts[b] += counts[b - 1];
    }
    let total = counts[m + 1];
    let mut out = vec![0u32; total];
    for (i, &l) in lengths.iter().enumerate() {
        if keep[i] {
            let b = m - l as usize;
            out[counts[b]] = i as u32;
            counts[b] += 1;
        }
    }
    out
}

fn check(lengths: &[u64], capacity: u64, oversize: Oversize) -> Result<(Vec<bool>, usize, u64)> {
    if capacity == 0 {
        return Err(Error::Argument {
            name: "capacity",
            message: "must be a positive number of tokens".into(),
        });
    }
    if lengths.len() >= u32::MAX as usize {
        return Err(Error::Argument {
            name: "lengths",
            message: format!(
                "{} items is more than this packer supports (2^32 - 1)",
                lengths.len()
            ),
        });
    }
    let mut keep = vec![true; lengths.len()];
    let mut dropped = 0;
    let mut max_len = 0;
    for (i, &l) in lengths.iter().enumerate() {
        if l == 0 {
            return Err(Error::Argument {
                name: "lengths",
                message: format!("item {i} has length 0; remove empty sequences before packing"),
            });
        }
        if l > capacity {
            match oversize {
                Oversize::Error => {
                    return Err(Error::Argument {
                        name: "capacity",
                        message: format!(
                            "item {i} has {l} tokens, more than the bin capacity {capacity}; raise the capacity, \
                             truncate the data, or pass oversize='drop' to leave such items out"
                        ),
                    })
                }
                Oversize::Drop => {
                    keep[i] = false;
                    dropped += 1;
                }
            }
        } else {
            max_len = max_len.max(l);
        }
    }
    Ok((keep, dropped, max_len))
}

fn run<F: FreeSpace>(
    lengths: &[u64],
    capacity: u64,
    order: &[u32],
    free: &mut F,
    bin_of: &mut [i64],
) -> Vec<u64> {
    let mut loads: Vec<u64> = Vec::new();
    for &i in order {
        let l = lengths[i as usize];
        let (space, bin) = match free.take_best(l) {
            Some(found) => found,
            None => {
                loads.push(0);
                (capacity, (loads.len() - 1) as u32)
            }
        };
        bin_of[i as usize] = bin as i64;
        loads[bin as usize] += l;
        let left = space - l;
        if left > 0 {
            free.insert(left, bin);
        }
    }
    loads
}

/// Packs `lengths` into bins of `capacity` tokens, best fit decreasing.
pub fn bfd(lengths: &[u64], capacity: u64, oversize: Oversize) -> Result<Bins> {
    let (keep, n_dropped, max_len) = check(lengths, capacity, oversize)?;
    let order = order_decreasing(lengths, &keep, max_len);
    let mut bin_of = vec![DROPPED; lengths.len()];
    let loads = if capacity <= BITMAP_MAX_CAPACITY {
        run(
            lengths,
            capacity,
            &order,
            &mut SpaceBitmap::new(capacity),
            &mut bin_of,
        )
    } else {
        run(lengths, capacity, &order, &mut Tree::default(), &mut bin_of)
    };
    Ok(Bins {
        bin_of,
        loads,
        n_dropped,
        capacity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Straightforward O(n × bins) best fit decreasing, the reference.
    fn naive(lengths: &[u64], capacity: u64) -> Vec<i64> {
        let mut order: Vec<usize> = (0..lengths.len()).collect();
        order.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]).then(a.cmp(&b)));
        let mut space: Vec<u64> = Vec::new();
        let mut bin_of = vec![DROPPED; lengths.len()];
        for i in order {
            let l = lengths[i];
            let best = (0..space.len())
                .filter(|&b| space[b] >= l)
                .min_by_key(|&b| space[b]);
            let b = match best {
                Some(b) => b,
                None => {
                    space.push(capacity);
                    space.len() - 1
                }
            };
            space[b] -= l;
            bin_of[i] = b as i64;
        }
        bin_of
    }

    fn loads_of(bin_of: &[i64], lengths: &[u64]) -> Vec<u64> {
        let n = bin_of.iter().copied().max().map_or(0, |m| m + 1) as usize;
        let mut loads = vec![0; n];
        for (&b, &l) in bin_of.iter().zip(lengths) {
            if b >= 0 {
                loads[b as usize] += l;
            }
        }
        loads
    }

    #[test]
    fn small_example() {
        let b = bfd(&[5, 2, 3, 1, 4], 5, Oversize::Error).unwrap();
        assert_eq!(b.n_bins(), 3);
        assert_eq!(b.loads, vec![5, 5, 5]);
        assert_eq!(b.bin_of, vec![0, 2, 2, 1, 1]);
        assert!((b.efficiency() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn empty_input() {
        let b = bfd(&[], 8, Oversize::Error).unwrap();
        assert_eq!(b.n_bins(), 0);
        assert!(b.bin_of.is_empty());
    }

    #[test]
    fn oversize_error_or_drop() {
        let e = bfd(&[3, 9, 2], 8, Oversize::Error).unwrap_err();
        assert!(e.to_string().contains("item 1 has 9 tokens"), "{e}");
        let b = bfd(&[3, 9, 2], 8, Oversize::Drop).unwrap();
        assert_eq!(b.bin_of, vec![0, DROPPED, 0]);
        assert_eq!(b.n_dropped, 1);
        assert_eq!(b.loads, vec![5]);
    }

    #[test]
    fn bad_arguments() {
        assert!(bfd(&[1], 0, Oversize::Error).is_err());
        let e = bfd(&[1, 0], 4, Oversize::Error).unwrap_err();
        assert!(e.to_string().contains("item 1 has length 0"), "{e}");
        assert!(Oversize::parse("truncate").is_err());
    }

    #[test]
    fn huge_capacity_uses_the_map() {
        let cap = BITMAP_MAX_CAPACITY * 4;
        let lengths = [cap, cap / 2, cap / 2 + 1, cap / 2 - 1, 7];
        let b = bfd(&lengths, cap, Oversize::Error).unwrap();
        assert_eq!(b.bin_of, naive(&lengths, cap));
    }

    proptest! {
        #[test]
        fn matches_naive_best_fit(lengths in proptest::collection::vec(1u64..=64, 0..300), capacity in 64u64..200) {
            let b = bfd(&lengths, capacity, Oversize::Error).unwrap();
            let reference = naive(&lengths, capacity);
            // same bin sizes (bin ids can differ only when several bins tie on space)
            let mut got = loads_of(&b.bin_of, &lengths);
            let mut want = loads_of(&reference, &lengths);
            prop_assert_eq!(&got, &b.loads);
            got.sort_unstable();
            want.sort_unstable();
            prop_assert_eq!(got, want);
            prop_assert!(b.loads.iter().all(|&l| l <= capacity && l > 0));
        }

        #[test]
        fn every_item_once_and_within_capacity(lengths in proptest::collection::vec(1u64..5000, 0..400), capacity in 1u64..4096) {
            let b = bfd(&lengths, capacity, Oversize::Drop).unwrap();
            let over = lengths.iter().filter(|&&l| l > capacity).count();
            prop_assert_eq!(b.n_dropped, over);
            for (i, &bin) in b.bin_of.iter().enumerate() {
                prop_assert_eq!(bin == DROPPED, lengths[i] > capacity);
            }
            prop_assert!(b.loads.iter().all(|&l| l <= capacity));
            let packed: u64 = lengths.iter().filter(|&&l| l <= capacity).sum();
            prop_assert_eq!(b.loads.iter().sum::<u64>(), packed);
            // deterministic
            prop_assert_eq!(bfd(&lengths, capacity, Oversize::Drop).unwrap(), b);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn matches_naive_at_large_capacities(lengths in proptest::collection::vec(1u64..=300_000, 0..120), capacity in 300_000u64..400_000) {
            let b = bfd(&lengths, capacity, Oversize::Error).unwrap();
            let mut got = loads_of(&b.bin_of, &lengths);
            let mut want = loads_of(&naive(&lengths, capacity), &lengths);
            got.sort_unstable();
            want.sort_unstable();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn bitmap_next_set_matches_a_scan(spaces in proptest::collection::btree_set(1usize..=270_000, 0..200), probes in proptest::collection::vec(0usize..=270_000, 1..50)) {
            let mut bm = SpaceBitmap::new(270_000);
            for &s in &spaces {
                bm.set(s);
            }
            for &x in &probes {
                prop_assert_eq!(bm.next_set(x), spaces.range(x..).next().copied());
            }
            // clearing keeps the summary levels right
            for &s in spaces.iter().step_by(2) {
                bm.clear(s);
            }
            let left: std::collections::BTreeSet<usize> = spaces.iter().copied().skip(1).step_by(2).collect();
            for &x in &probes {
                prop_assert_eq!(bm.next_set(x), left.range(x..).next().copied());
            }
        }

    }
}
