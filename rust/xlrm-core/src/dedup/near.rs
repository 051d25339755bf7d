//! Near-duplicate clustering: signatures → LSH candidates → verification by estimated
//! Jaccard → union-find → one keeper per cluster.
//!
//! Memory: one signature per row (`4 × num_perm` bytes), one band's hash map at a time per
//! thread (about 20 bytes per row), the candidate pairs (8 bytes each) and a few vectors of
//! `n` entries: about `n × (4·num_perm + 16) + threads × 20·n` bytes besides the text.

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

    // Every signature, once.
    let mut sigs = vec![0u32; n * k];
    let mut nonempty = vec![false; n];
    sigs.par_chunks_mut(k)
        .zip(nonempty.par_iter_mut())
        .enumerate()
        .for_each(|(i, (sig, ne))| *ne = src.sketch(i, m, sig));
    let sig_of = |i: u32| &sigs[i as usize * k..(i as usize + 1) * k];

    // Candidates: within each band, every row is paired with the first row of its bucket.
    let mut edges: Vec<(u32, u32)> = (0..p.bands)
        .into_par_iter()
        .map(|b| {
            let mut first: PrehashedMap<u64, u32> =
                PrehashedMap::with_capacity_and_hasher(n, PrehashedState);
            let mut out = Vec::new();
            for i in (0..n as u32).filter(|&i| nonempty[i as usize]) {
                match first.entry(band_key(sig_of(i), b, p)) {
                    Entry::Occupied(e) => out.push((*e.get(), i)),
                    Entry::Vacant(e) => {
                        e.insert(i);
                    }
                }
            }
            out
        })
        .flatten()
        .collect();
    edges.par_sort_unstable();
    edges.dedup();
    let candidate_pairs = edges.len();

    let need = min_matches(threshold, k);
    let verified: Vec<(u32, u32)> = edges
        .par_iter()
        .copied()
        .filter(|&(a, b)| matches(sig_of(a), sig_of(b)) >= need)
        .collect();
    let verified_pairs = verified.len();
    drop(edges);

    let mut uf = super::unionfind::UnionFind::new(n);
    let mut touched = vec![false; n];
    for &(a, b) in &verified {
        uf.union(a, b);
        touched[a as usize] = true;
        touched[b as usize] = true;
    }
    let members: Vec<u32> = (0..n as u32).filter(|&i| touched[i as usize]).collect();
    let roots: Vec<u32> = members.iter().map(|&i| uf.find(i)).collect();
    let mut keeper = vec![u32::MAX; n];
    for (&i, &r) in members.iter().zip(&roots) {
        let cur = keeper[r as usize];
        if cur == u32::MAX || better(i, cur) {
            keeper[r as usize] = i;
        }
    }
    let removed = members
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
