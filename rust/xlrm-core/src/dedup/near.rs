//! Near-duplicate clustering: signatures → LSH candidates → verification by estimated
//! Jaccard → union-find → one keeper per cluster.
//!
//! Memory: one signature per row (`4 × num_perm` bytes) and its band keys (`8 × bands`),
//! one hash map per thread (at most 40 bytes per row), the candidate pairs (16 bytes each
//! while collected) and a few vectors of `n` entries: at most
//! `n × (4·num_perm + 8·bands + 40·threads + 32) + 16 × candidate pairs` bytes besides the
//! text, which is only borrowed.

use std::collections::hash_map::Entry;

use rayon::prelude::*;

use crate::error::Result;
use crate::limits::{filled, product};

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

/// `n × num_perm` signature slots, allocated fallibly: the one buffer of dedup that grows with
/// both the data and an argument.
pub(crate) fn signature_buffer(n: usize, k: usize) -> Result<Vec<u32>> {
    let len = product("num_perm", n, k, "rows × num_perm")?;
    filled(
        len,
        0u32,
        "num_perm",
        &format!("the MinHash signatures of {n} rows × num_perm {k}"),
        "lower num_perm or dedup the data in shards",
    )
}

/// Clusters near-duplicate items. `better(a, b)` says whether item `a` should be kept rather
/// than item `b` (strictly; ties keep the smaller index). Fails only when the signatures or
/// band keys do not fit in memory.
pub fn near_duplicates<S: SigSource>(
    src: &S,
    m: &MinHasher,
    p: LshParams,
    threshold: f64,
    better: impl Fn(u32, u32) -> bool + Sync,
) -> Result<NearResult> {
    let n = src.len();
    let k = m.num_perm();
    if n < 2 {
        return Ok(NearResult::default());
    }

    // Every signature, once, and its band keys while it is still in cache.
    let bands = p.bands;
    let mut sigs = signature_buffer(n, k)?;
    let mut keys = filled(
        product("bands", n, bands, "rows × bands")?,
        0u64,
        "bands",
        &format!("the LSH band keys of {n} rows × {bands} bands"),
        "lower bands or dedup the data in shards",
    )?;
    let mut nonempty = vec![false; n];
    sigs.par_chunks_mut(k)
        .zip(keys.par_chunks_mut(bands))
        .zip(nonempty.par_iter_mut())
        .enumerate()
        .for_each(|(i, ((sig, kc), ne))| {
            *ne = src.sketch(i, m, sig);
            if *ne {
                for (b, key) in kc.iter_mut().enumerate() {
                    *key = band_key(sig, b, p);
                }
            }
        });
    let sig_of = |i: u32| &sigs[i as usize * k..(i as usize + 1) * k];

    // Candidates: within each band, every row is paired with the first row of its bucket.
    // One hash map per worker, cleared between its bands (fresh maps would fault in new pages).
    let workers = rayon::current_num_threads().clamp(1, bands);
    let mut edges: Vec<(u32, u32)> = (0..workers)
        .into_par_iter()
        .map(|w| {
            let mut first: PrehashedMap<u64, u32> =
                PrehashedMap::with_capacity_and_hasher(n, PrehashedState);
            let mut out = Vec::new();
            for b in (w..bands).step_by(workers) {
                first.clear();
                for i in (0..n as u32).filter(|&i| nonempty[i as usize]) {
                    match first.entry(keys[i as usize * bands + b]) {
                        Entry::Occupied(e) => out.push((*e.get(), i)),
                        Entry::Vacant(e) => {
                            e.insert(i);
                        }
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
    Ok(NearResult {
        removed,
        candidate_pairs,
        verified_pairs,
    })
}
