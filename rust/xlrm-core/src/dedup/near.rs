//! Near-duplicate clustering: signatures → LSH candidates → verification by estimated
//! Jaccard → union-find → one keeper per cluster.
//!
//! Memory: the full signatures are not kept. Pass 1 sketches every row and keeps only its
//! band keys (`8 × bands` bytes per row); rows that share a band key become candidates, and
//! only those rows are sketched again (pass 2) for verification. Peak extra memory is about
//! `n × (8·bands + 9) + candidates × 4·num_perm` bytes plus one band's hash map at a time
//! per thread (≈ 16 bytes per row).

use std::collections::hash_map::Entry;

use rayon::prelude::*;

use super::hash::{PrehashedMap, PrehashedState};
use super::lsh::{band_key, LshParams};
use super::minhash::{matches, MinHasher};

/// Anything that can sketch its items: text rows, or lists of pre-computed shingle hashes.
pub trait SigSource: Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Writes item `i`'s densified signature into `sig`; false when the item has no shingles.
    fn sketch(&self, i: usize, m: &MinHasher, sig: &mut [u32]) -> bool;
}

/// Shingle hashes given as a flat array with `n + 1` offsets.
pub struct HashLists<'a> {
    pub hashes: &'a [u64],
    pub offsets: &'a [i64],
}

impl SigSource for HashLists<'_> {
    fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    fn sketch(&self, i: usize, m: &MinHasher, sig: &mut [u32]) -> bool {
        m.clear(sig);
        for &h in &self.hashes[self.offsets[i] as usize..self.offsets[i + 1] as usize] {
            m.push(sig, h);
        }
        m.densify(sig)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NearResult {
    /// `(item, keeper, estimated Jaccard with the keeper)`, sorted by item.
    pub removed: Vec<(u32, u32, f32)>,
    /// Distinct pairs that shared at least one band.
    pub candidate_pairs: usize,
    /// Candidate pairs whose estimated Jaccard reached the threshold.
    pub verified_pairs: usize,
}

/// Smallest number of agreeing slots out of `k` that reaches `threshold`.
pub fn min_matches(threshold: f64, k: usize) -> usize {
    let m = (threshold * k as f64 - 1e-9).ceil().max(0.0) as usize;
    m.min(k)
}

/// Clusters near-duplicate items. `better(a, b)` says whether item `a` should be kept rather
/// than item `b` (strictly; ties keep the smaller index).
pub fn near_duplicates<S: SigSource>(
    src: &S,
    m: &MinHasher,
    p: LshParams,
    threshold: f64,
    better: impl Fn(u32, u32) -> bool + Sync,
) -> NearResult {
    let n = src.len();
    let k = m.num_perm();
    if n < 2 {
        return NearResult::default();
    }

    // Pass 1: band keys only.
    let mut keys = vec![0u64; n * p.bands];
    let mut nonempty = vec![false; n];
    keys.par_chunks_mut(p.bands)
        .zip(nonempty.par_iter_mut())
        .enumerate()
        .for_each_init(
            || vec![0u32; k],
            |sig, (i, (kc, ne))| {
                *ne = src.sketch(i, m, sig);
                if *ne {
                    for (b, slot) in kc.iter_mut().enumerate() {
                        *slot = band_key(sig, b, p);
                    }
                }
            },
        );

    // Candidates: within each band, every row is paired with the first row of its bucket.
    let mut edges: Vec<(u32, u32)> = (0..p.bands)
        .into_par_iter()
        .map(|b| {
            let mut first: PrehashedMap<u64, u32> =
                PrehashedMap::with_capacity_and_hasher(n, PrehashedState);
            let mut out = Vec::new();
            for i in 0..n {
                if !nonempty[i] {
                    continue;
                }
                match first.entry(keys[i * p.bands + b]) {
                    Entry::Occupied(e) => out.push((*e.get(), i as u32)),
                    Entry::Vacant(e) => {
                        e.insert(i as u32);
                    }
                }
            }
            out
        })
        .flatten()
        .collect();
    drop(keys);
    edges.par_sort_unstable();
    edges.dedup();
    let candidate_pairs = edges.len();
    if edges.is_empty() {
        return NearResult::default();
    }

    // Pass 2: full signatures of the candidate rows only.
    let mut slot = vec![u32::MAX; n];
    for &(a, b) in &edges {
        slot[a as usize] = 0;
        slot[b as usize] = 0;
    }
    let mut cand: Vec<u32> = Vec::new();
    for (i, s) in slot.iter_mut().enumerate() {
        if *s == 0 {
            *s = cand.len() as u32;
            cand.push(i as u32);
        }
    }
    let mut sigs = vec![0u32; cand.len() * k];
    sigs.par_chunks_mut(k)
        .zip(cand.par_iter())
        .for_each(|(sig, &i)| {
            src.sketch(i as usize, m, sig);
        });
    let sig_of = |i: u32| {
        let s = slot[i as usize] as usize;
        &sigs[s * k..(s + 1) * k]
    };

    let need = min_matches(threshold, k);
    let verified: Vec<(u32, u32)> = edges
        .par_iter()
        .copied()
        .filter(|&(a, b)| matches(sig_of(a), sig_of(b)) >= need)
        .collect();
    let verified_pairs = verified.len();

    let mut uf = super::unionfind::UnionFind::new(n);
    for &(a, b) in &verified {
        uf.union(a, b);
    }
    let mut keeper = vec![u32::MAX; n];
    let roots: Vec<u32> = cand.iter().map(|&i| uf.find(i)).collect();
    for (&i, &r) in cand.iter().zip(&roots) {
        let cur = keeper[r as usize];
        if cur == u32::MAX || better(i, cur) {
            keeper[r as usize] = i;
        }
    }
    let removed = cand
        .iter()
        .zip(&roots)
        .filter_map(|(&i, &r)| {
            let kp = keeper[r as usize];
            (kp != i).then(|| {
                (
                    i,
                    kp,
                    (matches(sig_of(i), sig_of(kp)) as f64 / k as f64) as f32,
                )
            })
        })
        .collect();
    NearResult {
        removed,
        candidate_pairs,
        verified_pairs,
    }
}
