//! MinHash signatures by one-permutation hashing with optimal densification (Shrivastava,
//! ICML 2017): each shingle is hashed once and lands in one of `k` bins, keeping the
//! smallest value per bin; empty bins then borrow the value of a non-empty bin chosen by a
//! fixed, seed-dependent probe sequence. For two sets A and B every slot agrees with
//! probability exactly |A∩B| / |A∪B|, as with k independent permutations, at O(|A| + k)
//! cost instead of O(|A|·k).
//!
//! slot of shingle h: `x = fold(h ^ seed_key, OPH_MUL)` (high ^ low half of the 128-bit
//! product), bin `((x >> 32) * k) >> 32`, value `min(x as u32, u32::MAX - 1)`; probe `a` of
//! empty bin `i`:
//! `y = fmix64(probe_key ^ (i << 32) ^ a)`, bin `((y >> 32) * k) >> 32`, for a = 1, 2, …

use crate::error::{Error, Result};

use super::hash::{fmix64, fold_mul};

/// The value of a bin no shingle reached (only left in signatures of empty sets).
pub const EMPTY: u32 = u32::MAX;
pub const MAX_PERM: usize = 1024;
const OPH_MUL: u64 = 0xd6e8_feb8_6659_fd93;

#[derive(Clone, Copy, Debug)]
pub struct MinHasher {
    k: usize,
    seed_key: u64,
    probe_key: u64,
}

impl MinHasher {
    pub fn new(num_perm: usize, seed: u64) -> Result<Self> {
        if num_perm == 0 || num_perm > MAX_PERM {
            return Err(Error::Argument {
                name: "num_perm",
                message: format!("must be between 1 and {MAX_PERM}, got {num_perm}"),
            });
        }
        Ok(MinHasher {
            k: num_perm,
            seed_key: fmix64(seed ^ 0x5851_f42d_4c95_7f2d),
            probe_key: fmix64(seed.wrapping_add(0x1405_7b7e_f767_814f)),
        })
    }

    pub fn num_perm(&self) -> usize {
        self.k
    }

    #[inline(always)]
    fn bin(&self, x: u64) -> usize {
        (((x >> 32) * self.k as u64) >> 32) as usize
    }

    /// Resets `sig` (length `num_perm`) to all-empty.
    #[inline]
    pub fn clear(&self, sig: &mut [u32]) {
        sig.fill(EMPTY);
    }

    /// Adds one shingle hash.
    #[inline(always)]
    pub fn push(&self, sig: &mut [u32], h: u64) {
        let x = fold_mul(h ^ self.seed_key, OPH_MUL);
        let b = self.bin(x);
        let v = (x as u32).min(EMPTY - 1);
        // SAFETY: `bin` maps into 0..k and callers pass `sig.len() == k`.
        let slot = unsafe { sig.get_unchecked_mut(b) };
        if v < *slot {
            *slot = v;
        }
    }

    /// Fills empty bins from non-empty ones. Returns false (and leaves `sig` all-empty) for
    /// the empty set.
    pub fn densify(&self, sig: &mut [u32]) -> bool {
        debug_assert_eq!(sig.len(), self.k);
        let empty = sig.iter().filter(|&&v| v == EMPTY).count();
        if empty == 0 {
            return true;
        }
        if empty == self.k {
            return false;
        }
        // A copy of the filled bins, without zeroing a 4 KiB stack array first.
        let mut buf = [std::mem::MaybeUninit::<u32>::uninit(); MAX_PERM];
        for (d, &v) in buf.iter_mut().zip(sig.iter()) {
            d.write(v);
        }
        // SAFETY: the first `k` entries were just written.
        let orig: &[u32] =
            unsafe { std::slice::from_raw_parts(buf.as_ptr() as *const u32, self.k) };
        for (i, slot) in sig.iter_mut().enumerate() {
            if *slot != EMPTY {
                continue;
            }
            let mut a = 1u64;
            loop {
                let j = self.bin(fmix64(self.probe_key ^ ((i as u64) << 32) ^ a));
                if orig[j] != EMPTY {
                    *slot = orig[j];
                    break;
                }
                a += 1;
            }
        }
        true
    }

    /// Signature of a set of shingle hashes; `None` for the empty set.
    pub fn signature(&self, hashes: impl IntoIterator<Item = u64>) -> Option<Vec<u32>> {
        let mut sig = vec![EMPTY; self.k];
        for h in hashes {
            self.push(&mut sig, h);
        }
        self.densify(&mut sig).then_some(sig)
    }
}

/// Number of agreeing slots.
#[inline]
pub fn matches(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x == y).count()
}

/// Estimated Jaccard similarity: the fraction of agreeing slots.
#[inline]
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    matches(a, b) as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn identical_sets_agree_everywhere() {
        let m = MinHasher::new(128, 7).unwrap();
        let a = m.signature([1u64, 2, 3]).unwrap();
        let b = m.signature([3u64, 2, 1, 1]).unwrap();
        assert_eq!(a, b);
        assert!(a.iter().all(|&v| v != EMPTY));
        assert_eq!(m.signature(std::iter::empty()), None);
    }

    #[test]
    fn rejects_bad_num_perm() {
        assert!(MinHasher::new(0, 1).is_err());
        assert!(MinHasher::new(MAX_PERM + 1, 1).is_err());
    }

    /// The mean error over many random pairs is small and unbiased at 128 slots.
    #[test]
    fn estimates_jaccard() {
        let m = MinHasher::new(128, 1).unwrap();
        let mut total_err = 0.0;
        let mut total_signed = 0.0;
        let trials = 400;
        for t in 0..trials as u64 {
            let n = 20 + (t * 37 % 400);
            let shared = n * (t % 10) / 10;
            let a: Vec<u64> = (0..n).map(|i| fmix64(t << 32 | i)).collect();
            let b: Vec<u64> = (0..shared)
                .chain(n..2 * n - shared)
                .map(|i| fmix64(t << 32 | i))
                .collect();
            let exact = shared as f64 / (2 * n - shared) as f64;
            let est = jaccard(&m.signature(a).unwrap(), &m.signature(b).unwrap());
            total_err += (est - exact).abs();
            total_signed += est - exact;
        }
        assert!(
            total_err / trials as f64 <= 0.05,
            "mean abs error {}",
            total_err / trials as f64
        );
        assert!((total_signed / trials as f64).abs() <= 0.01);
    }

    proptest! {
        #[test]
        fn order_and_repeats_do_not_matter(mut v in prop::collection::vec(any::<u64>(), 1..50), k in 1usize..300) {
            let m = MinHasher::new(k, 3).unwrap();
            let a = m.signature(v.clone()).unwrap();
            v.reverse();
            v.extend(v.clone());
            prop_assert_eq!(a, m.signature(v).unwrap());
        }
    }
}
